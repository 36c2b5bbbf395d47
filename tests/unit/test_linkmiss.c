// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* linkmiss.c: which links' kprobe skips count. A kprobe and a kretprobe on
 * one function (the SYN-ACK hook's pair, connect()'s) share one probe, and
 * the kernel counts one skip of it in both: counted once, the kretprobe's.
 * A lone kprobe counts its own; a link that is no kprobe's counts none.
 * And an fd that is no BPF link tells nothing. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdint.h>
#include <cmocka.h>
#include "linkmiss.h"

static void test_pair_counted_once(void **state)
{
	(void)state;
	/* 0, 1: kprobe and kretprobe on one function, skipped 3 times (and the
	 * kretprobe lacked an instance once); 2: a kprobe elsewhere; 3: no
	 * kprobe (a tp_btf link). */
	const struct kprobe_link l[] = {
		{ .ret = false, .addr = 0xffffffff81000100, .missed = 3 },
		{ .ret = true, .addr = 0xffffffff81000100, .missed = 4 },
		{ .ret = false, .addr = 0xffffffff81000200, .missed = 2 },
		{ 0 },
	};
	const bool is_kp[] = { true, true, true, false };

	assert_int_equal(link_kprobe_missed(l, is_kp, 4, 0), 0);
	assert_int_equal(link_kprobe_missed(l, is_kp, 4, 1), 4);
	assert_int_equal(link_kprobe_missed(l, is_kp, 4, 2), 2);
	assert_int_equal(link_kprobe_missed(l, is_kp, 4, 3), 0);
}

/* Without the address (not shown to this reader) no pair can be told: each
 * counts its own, never fewer than were skipped. */
static void test_no_address_counts_each(void **state)
{
	(void)state;
	const struct kprobe_link l[] = {
		{ .ret = false, .addr = 0, .missed = 1 },
		{ .ret = true, .addr = 0, .missed = 1 },
	};
	const bool is_kp[] = { true, true };

	assert_int_equal(link_kprobe_missed(l, is_kp, 2, 0), 1);
	assert_int_equal(link_kprobe_missed(l, is_kp, 2, 1), 1);
}

static void test_not_a_link(void **state)
{
	struct kprobe_link k = { .ret = true, .addr = 1, .missed = 9 };

	(void)state;
	assert_int_equal(link_kprobe_info(-1, &k), -1);
	assert_int_equal(k.missed, 0);
	assert_int_equal(link_kprobe_info(0, &k), -1); /* stdin: no BPF object */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pair_counted_once),
		cmocka_unit_test(test_no_address_counts_each),
		cmocka_unit_test(test_not_a_link),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
