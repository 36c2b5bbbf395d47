// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The exit status: 0 only when every record is accounted for. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include "summary.h"

static void test_clean_run(void **state)
{
	/* Counters that are not losses: orphans, unattributed, seeded. */
	struct summary s = { .records = 100, .conns_closed = 5, .conns_open = 2,
			     .synack_orphans = 3, .unattributed = 4, .seeded = 7 };

	(void)state;
	assert_int_equal(summary_lost(&s), 0);
	assert_int_equal(run_status(&s, false), TL_EXIT_OK);
}

static void test_each_loss(void **state)
{
	static const size_t offs[] = {
		offsetof(struct summary, rb_drops), offsetof(struct summary, map_full),
		offsetof(struct summary, stale), offsetof(struct summary, bad_records),
		offsetof(struct summary, missed), offsetof(struct summary, tw_unconfirmed),
		offsetof(struct summary, unseen), offsetof(struct summary, gaps),
	};

	(void)state;
	for (size_t i = 0; i < sizeof(offs) / sizeof(offs[0]); i++) {
		struct summary s = {};

		*(uint64_t *)((char *)&s + offs[i]) = 2;
		assert_int_equal(summary_lost(&s), 2);
		assert_int_equal(run_status(&s, false), TL_EXIT_LOST);
	}
}

static void test_error_wins(void **state)
{
	struct summary lost = { .rb_drops = 1 }, clean = {};

	(void)state;
	assert_int_equal(run_status(&lost, true), TL_EXIT_ERROR);
	assert_int_equal(run_status(&clean, true), TL_EXIT_ERROR);
	assert_int_equal(TL_EXIT_USAGE, 2);
	assert_int_equal(TL_EXIT_LOST, 3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_clean_run),
		cmocka_unit_test(test_each_loss),
		cmocka_unit_test(test_error_wins),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
