// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* lsndrop.c: dropped_by's rule (a full accept queue whose drops rose since
 * an earlier look made after the client's SYN) and the looks, at most one
 * per listener per 100 ms. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "lsndrop.h"

#define MS 1000000ULL
#define SYN (500 * MS) /* when the client's SYN left */

static struct lsndrop_look L(uint64_t ts, bool found, uint32_t q, uint32_t backlog, int64_t drops)
{
	struct lsndrop_look l = { .ts = ts, .found = found, .accept_queue = q, .backlog = backlog,
				  .drops = drops };
	return l;
}

static void test_decide(void **state)
{
	struct lsndrop_look none = { 0 }, a = L(1000 * MS, true, 2, 1, 5);
	struct lsndrop_look full = L(2000 * MS, true, 2, 1, 43), b;

	(void)state;
	/* Full (2 children waiting, backlog 1) and 38 more drops: set. */
	assert_true(lsndrop_decide(&a, &full, SYN));
	/* Not full: 1 waiting of backlog 1 still takes a child. */
	b = L(2000 * MS, true, 1, 1, 43);
	assert_false(lsndrop_decide(&a, &b, SYN));
	/* Full, but no drop since: the handshake was not dropped there. */
	b = L(2000 * MS, true, 2, 1, 5);
	assert_false(lsndrop_decide(&a, &b, SYN));
	/* No previous look: nothing measured. */
	assert_false(lsndrop_decide(&none, &full, SYN));
	/* The listener is gone (no longer listed), or was not before. */
	b = L(2000 * MS, false, 0, 0, 0);
	assert_false(lsndrop_decide(&a, &b, SYN));
	b = L(1000 * MS, false, 0, 0, 0);
	assert_false(lsndrop_decide(&b, &full, SYN));
	/* Drops not reported. */
	b = L(1000 * MS, true, 2, 1, -1);
	assert_false(lsndrop_decide(&b, &full, SYN));
	/* Out of order. */
	assert_false(lsndrop_decide(&full, &a, SYN));
	/* The earlier look was before the client's SYN: the drops may all
	 * be from before it. */
	assert_false(lsndrop_decide(&a, &full, 1500 * MS));
}

/* A fake listener whose looks the test scripts. */
struct fake {
	struct lsndrop_look next;
	int err;
	int calls;
};

static int fake_look(void *ctx, const struct tl_listen_key *k, struct lsndrop_look *out)
{
	struct fake *f = ctx;

	(void)k;
	f->calls++;
	if (f->err)
		return f->err;
	*out = f->next;
	return 0;
}

static void test_check(void **state)
{
	struct fake f = { .next = L(0, true, 2, 1, 10) };
	struct lsndrop d;
	struct tl_listen_key k = { .netns = 7, .family = TL_AF_INET, .port = 8080, .addr = { 127, 0, 0, 1 } };
	struct tl_listen_key k2 = k;

	(void)state;
	k2.port = 8081;
	assert_int_equal(lsndrop_init(&d, fake_look, &f), 0);
	/* The first look: nothing to compare it with. */
	assert_false(lsndrop_check(&d, &k, 1000 * MS, SYN));
	assert_int_equal(f.calls, 1);
	/* Within 100 ms: the same look, not another. */
	f.next.drops = 50;
	assert_false(lsndrop_check(&d, &k, 1050 * MS, SYN));
	assert_int_equal(f.calls, 1);
	/* Later: drops rose with the queue full. */
	assert_true(lsndrop_check(&d, &k, 1100 * MS, SYN));
	assert_int_equal(f.calls, 2);
	/* The clients of that wave share the look and its answer. */
	assert_true(lsndrop_check(&d, &k, 1150 * MS, SYN));
	assert_int_equal(f.calls, 2);
	/* Another listener has looks of its own. */
	assert_false(lsndrop_check(&d, &k2, 1150 * MS, SYN));
	assert_int_equal(f.calls, 3);
	/* A wave read over two looks: the third sees no more drops than the
	 * second, and still compares with the first (10 drops). */
	assert_true(lsndrop_check(&d, &k, 1300 * MS, SYN));
	assert_int_equal(f.calls, 4);
	/* A client whose SYN left after that first look: not yet. */
	assert_false(lsndrop_check(&d, &k, 1300 * MS, 1200 * MS));
	/* The queue drained: not set, though drops rose. */
	f.next = L(0, true, 0, 1, 60);
	assert_false(lsndrop_check(&d, &k, 1500 * MS, SYN));
	/* A look that fails decides nothing and is counted. */
	f.err = -ENOENT;
	assert_false(lsndrop_check(&d, &k, 1700 * MS, SYN));
	assert_int_equal(d.looks, 6);
	assert_int_equal(d.look_errs, 1);
	lsndrop_fini(&d);
	lsndrop_fini(NULL);
}

/* Many listeners at once: at most LSNDROP_MAX_LOOKS_PER_S looks in a
 * second, the rest decided on what was last seen (counted); the next
 * second has a new budget. */
static void test_budget(void **state)
{
	struct fake f = { .next = L(0, true, 2, 1, 10) };
	struct lsndrop d;
	struct tl_listen_key k = { .netns = 7, .family = TL_AF_INET, .addr = { 127, 0, 0, 1 } };

	(void)state;
	assert_int_equal(lsndrop_init(&d, fake_look, &f), 0);
	for (int i = 0; i < LSNDROP_MAX_LOOKS_PER_S + 5; i++) {
		k.port = (uint16_t)(9000 + i);
		assert_false(lsndrop_check(&d, &k, 1000 * MS + (uint64_t)i * MS, SYN));
	}
	assert_int_equal(f.calls, LSNDROP_MAX_LOOKS_PER_S);
	assert_int_equal(d.skipped, 5);
	k.port = 9000 + LSNDROP_MAX_LOOKS_PER_S; /* skipped before: looked now */
	assert_false(lsndrop_check(&d, &k, 2000 * MS, SYN));
	assert_int_equal(f.calls, LSNDROP_MAX_LOOKS_PER_S + 1);
	lsndrop_fini(&d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_decide),
		cmocka_unit_test(test_check),
		cmocka_unit_test(test_budget),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
