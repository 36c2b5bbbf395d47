// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* filter: -4/-6/-L/-D on tuples, -p/-c/--cgroup on owners, as the kernel
 * side decides them (bpf/common.bpf.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "cli.h"
#include "filter.h"

static struct tl_tuple tup(uint16_t family, uint16_t sport, uint16_t dport)
{
	struct tl_tuple t = { .sport = sport, .dport = dport, .family = family };

	return t;
}

static struct tl_owner own(uint32_t pid, const char *comm)
{
	struct tl_owner o = { .pid = pid, .tid = pid };
	size_t n = strlen(comm);

	/* A full-length comm has no NUL, as the kernel may hand it over. */
	memcpy(o.comm, comm, n < TL_COMM_LEN ? n : TL_COMM_LEN);
	return o;
}

static void test_none_lets_all_through(void **state)
{
	struct options o = { 0 };
	struct filter f;
	struct tl_tuple t = tup(10, 40000, 443);
	struct tl_owner ow = own(1, "x");

	(void)state;
	filter_init(&f, &o);
	assert_true(filter_tuple_wanted(&f, &t));
	assert_false(filter_by_owner(&f));
	assert_true(filter_owner_wanted(&f, &ow, 5));
	assert_true(filter_owner_shown(&f, false, &ow, 0));
	/* NULL: the same, for callers built without options (the unit tests). */
	assert_true(filter_tuple_wanted(NULL, &t));
	assert_false(filter_by_owner(NULL));
	assert_true(filter_owner_wanted(NULL, &ow, 5));
	assert_true(filter_owner_shown(NULL, false, &ow, 0));
}

static void test_tuple(void **state)
{
	struct options o = { .family = 2, .lports = { 80, 443 }, .n_lports = 2 };
	struct filter f;
	struct tl_tuple t;

	(void)state;
	filter_init(&f, &o);
	t = tup(2, 443, 40000);
	assert_true(filter_tuple_wanted(&f, &t));
	t = tup(10, 443, 40000); /* -4 */
	assert_false(filter_tuple_wanted(&f, &t));
	t = tup(2, 8080, 40000); /* not one of -L */
	assert_false(filter_tuple_wanted(&f, &t));
	o = (struct options){ .rports = { 53 }, .n_rports = 1 };
	filter_init(&f, &o);
	t = tup(10, 40000, 53);
	assert_true(filter_tuple_wanted(&f, &t));
	t = tup(10, 53, 40000); /* -D is the remote end only */
	assert_false(filter_tuple_wanted(&f, &t));
	assert_false(filter_by_owner(&f)); /* tuple filters are not owner filters */
}

static void test_owner(void **state)
{
	struct options o = { .pids = { 100, 200 }, .n_pids = 2 };
	struct filter f;
	struct tl_owner a = own(200, "srv"), b = own(300, "srv");

	(void)state;
	filter_init(&f, &o);
	assert_true(filter_by_owner(&f));
	assert_true(filter_owner_wanted(&f, &a, 0));
	assert_false(filter_owner_wanted(&f, &b, 0));
	/* Kinds are ANDed: -p and -c both have to match. */
	memcpy(o.comms[0], "srv", 4);
	memcpy(o.comms[1], "other", 6);
	o.n_comms = 2;
	filter_init(&f, &o);
	assert_true(filter_owner_wanted(&f, &a, 0));
	a = own(200, "client");
	assert_false(filter_owner_wanted(&f, &a, 0));
	o = (struct options){ .cgroup_id = 77 };
	filter_init(&f, &o);
	assert_true(filter_by_owner(&f));
	assert_true(filter_owner_wanted(&f, &a, 77));
	assert_false(filter_owner_wanted(&f, &a, 78));
	assert_false(filter_owner_wanted(&f, &a, 0)); /* cgroup unknown */
}

/* A 15-character name fills the kernel's comm with its NUL; -c compares at
 * most TL_COMM_LEN bytes, and a longer owner name is not a prefix match. */
static void test_comm_length(void **state)
{
	struct options o = { .n_comms = 1 };
	struct filter f;
	struct tl_owner full = own(1, "fifteen_chars_x"), longer = own(1, "fifteen_chars_xy");

	(void)state;
	memcpy(o.comms[0], "fifteen_chars_x", 16);
	filter_init(&f, &o);
	assert_true(filter_owner_wanted(&f, &full, 0));
	assert_false(filter_owner_wanted(&f, &longer, 0));
	memcpy(o.comms[0], "fifteen", 8);
	filter_init(&f, &o);
	assert_false(filter_owner_wanted(&f, &full, 0));
}

static void test_shown_needs_known_owner(void **state)
{
	struct options o = { .pids = { 100 }, .n_pids = 1 };
	struct filter f;
	struct tl_owner yes = own(100, "a"), no = own(101, "a");

	(void)state;
	filter_init(&f, &o);
	assert_false(filter_owner_shown(&f, false, &yes, 0)); /* not learnt yet */
	assert_true(filter_owner_shown(&f, true, &yes, 0));
	assert_false(filter_owner_shown(&f, true, &no, 0));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_none_lets_all_through),
		cmocka_unit_test(test_tuple),
		cmocka_unit_test(test_owner),
		cmocka_unit_test(test_comm_length),
		cmocka_unit_test(test_shown_needs_known_owner),
	};

	return cmocka_run_group_tests_name("filter", tests, NULL, NULL);
}
