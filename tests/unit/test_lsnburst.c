// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* lsnburst.c: bursts of a listener's drops over a run's listings: start,
 * continue, end after quiet listings, restart, a listener that goes away,
 * a counter reset, the first listing as baseline, a new listener, a
 * namespace not listed, the end of the run; the warning line. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "lsnburst.h"

#define S 1000000000ULL

struct seen {
	int starts, ends;
	uint64_t start_drops;
	struct lsn_burst last;
	char warning[512];
};

static void on_start(void *ctx, const struct lsn *l, const struct lsn_ns *c, uint64_t drops)
{
	struct seen *x = ctx;

	x->starts++;
	x->start_drops = drops;
	lsn_burst_warning(l, c, drops, x->warning, sizeof(x->warning));
}

static void on_end(void *ctx, const struct lsn_burst *b)
{
	struct seen *x = ctx;

	x->ends++;
	x->last = *b;
}

/* A listing: namespace 7 (somaxconn 4096) unless `no_ns`, and listener
 * 127.0.0.1:80 (inode `ino`, pid 42 "srv" fd 3, backlog 1) with `drops`
 * unless `drops` is -1 (not listed). */
static void listing(struct lsnburst *b, uint64_t t, uint64_t ino, int64_t drops, bool no_ns)
{
	struct lsn_snap s = { 0 };

	if (!no_ns) {
		struct lsn_ns *c = lsn_snap_add_ns(&s);

		assert_non_null(c);
		c->netns = 7;
		c->somaxconn = 4096;
	}
	if (drops != -1) {
		struct lsn *l = lsn_snap_add(&s);

		assert_non_null(l);
		l->netns = 7;
		l->inode = ino;
		l->t.family = TL_AF_INET;
		l->t.saddr[0] = 127;
		l->t.saddr[3] = 1;
		l->t.sport = 80;
		l->pid = 42;
		l->fd = 3;
		memcpy(l->comm, "srv", 4);
		l->backlog = 1;
		l->drops = drops;
	}
	assert_int_equal(lsnburst_update(b, &s, t * S), 0);
	lsn_snap_free(&s);
}

static void setup(struct lsnburst *b, struct seen *x)
{
	const struct lsnburst_cb cb = { .start = on_start, .end = on_end, .ctx = x };

	memset(x, 0, sizeof(*x));
	assert_int_equal(lsnburst_init(b, &cb), 0);
}

static void test_start_continue_end_restart(void **state)
{
	struct lsnburst b;
	struct seen x;

	(void)state;
	setup(&b, &x);
	listing(&b, 1, 100, 5, false); /* baseline: 5 from before the run */
	listing(&b, 2, 100, 5, false);
	assert_int_equal(x.starts, 0);
	listing(&b, 3, 100, 43, false); /* starts: 38 */
	assert_int_equal(x.starts, 1);
	assert_int_equal(x.start_drops, 38);
	listing(&b, 4, 100, 81, false); /* continues */
	listing(&b, 5, 100, 81, false);
	listing(&b, 6, 100, 81, false); /* two quiet listings: still going */
	listing(&b, 7, 100, 119, false); /* continues (a SYN retried 2 s later) */
	assert_int_equal(x.starts, 1);
	assert_int_equal(x.ends, 0);
	for (uint64_t t = 8; t <= 9; t++)
		listing(&b, t, 100, 119, false);
	assert_int_equal(x.ends, 0);
	listing(&b, 10, 100, 119, false); /* the third quiet one: over */
	assert_int_equal(x.ends, 1);
	assert_int_equal(x.last.drops, 114);
	assert_int_equal(x.last.start_ns, 3 * S);
	assert_int_equal(x.last.last_ns, 7 * S);
	assert_int_equal(x.last.how, LSN_END_QUIET);
	assert_int_equal(x.last.limit, LSN_LIMIT_BACKLOG);
	assert_int_equal(x.last.somaxconn, 4096);
	assert_int_equal(x.last.l.pid, 42);
	listing(&b, 11, 100, 119, false); /* no second end */
	assert_int_equal(x.ends, 1);
	listing(&b, 12, 100, 120, false); /* the next drop: a new burst */
	assert_int_equal(x.starts, 2);
	assert_int_equal(x.start_drops, 1);
	lsnburst_finish(&b); /* the run ends during it */
	assert_int_equal(x.ends, 2);
	assert_int_equal(x.last.drops, 1);
	assert_int_equal(x.last.how, LSN_END_EXIT);
	lsnburst_finish(&b);
	assert_int_equal(x.ends, 2); /* nothing was going any more */
	lsnburst_fini(&b);
}

static void test_gone_and_reset(void **state)
{
	struct lsnburst b;
	struct seen x;

	(void)state;
	setup(&b, &x);
	listing(&b, 1, 100, 0, false);
	listing(&b, 2, 100, 7, false);
	listing(&b, 3, 100, -1, false); /* its namespace listed, it is not */
	assert_int_equal(x.ends, 1);
	assert_int_equal(x.last.how, LSN_END_GONE);
	assert_int_equal(x.last.drops, 7);
	/* A new socket with the same inode, fewer drops: a reset, no burst
	 * from its own 2 (it came back after being gone: new, so they count). */
	listing(&b, 4, 100, 2, false);
	assert_int_equal(x.starts, 2);
	listing(&b, 5, 100, 9, false);
	listing(&b, 6, 100, 1, false); /* went back during the burst */
	assert_int_equal(x.ends, 2);
	assert_int_equal(x.last.how, LSN_END_RESET);
	assert_int_equal(x.last.drops, 9);
	listing(&b, 7, 100, 1, false);
	listing(&b, 8, 100, 4, false); /* counts from the new value */
	assert_int_equal(x.starts, 3);
	assert_int_equal(x.start_drops, 3);
	lsnburst_fini(&b);
}

static void test_new_listener_and_unlisted_namespace(void **state)
{
	struct lsnburst b;
	struct seen x;

	(void)state;
	setup(&b, &x);
	listing(&b, 1, 100, 30, false); /* first listing: baseline, no burst */
	assert_int_equal(x.starts, 0);
	listing(&b, 2, 200, 12, false); /* made since: its 12 are the run's */
	assert_int_equal(x.starts, 1);
	assert_int_equal(x.start_drops, 12);
	assert_int_equal(x.ends, 0); /* 100 went away, not in a burst: nothing */
	/* The namespace could not be listed twice: 200 is kept, not new
	 * again when it comes back; its burst goes on. */
	listing(&b, 3, 200, -1, true);
	listing(&b, 4, 200, -1, true);
	listing(&b, 5, 200, 12, false);
	assert_int_equal(x.starts, 1);
	listing(&b, 6, 200, 12, false);
	listing(&b, 7, 200, 12, false);
	assert_int_equal(x.ends, 1);
	assert_int_equal(x.last.drops, 12);
	assert_int_equal(x.last.how, LSN_END_QUIET);
	/* Unlisted LSN_BURST_QUIET times: gone with its namespace. */
	listing(&b, 8, 200, 13, false);
	for (uint64_t t = 9; t < 9 + LSN_BURST_QUIET; t++)
		listing(&b, t, 200, -1, true);
	assert_int_equal(x.ends, 2);
	assert_int_equal(x.last.how, LSN_END_GONE);
	assert_int_equal(x.last.drops, 1);
	lsnburst_fini(&b);
}

static void test_warning(void **state)
{
	struct lsnburst b;
	struct seen x;

	(void)state;
	setup(&b, &x);
	listing(&b, 1, 100, 0, false);
	listing(&b, 2, 100, 38, false);
	assert_string_equal(x.warning,
			    "listener 127.0.0.1:80 (pid 42 srv fd 3, netns 7) is dropping handshakes: 38 since "
			    "the last listing (sk_drops); its limit 1 is the application's listen() backlog "
			    "(somaxconn is higher): raise the backlog, or accept faster");
	assert_string_equal(lsn_burst_end_name(LSN_END_QUIET), "quiet");
	assert_string_equal(lsn_burst_end_name(LSN_END_EXIT), "exit");
	lsnburst_fini(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_start_continue_end_restart),
		cmocka_unit_test(test_gone_and_reset),
		cmocka_unit_test(test_new_listener_and_unlisted_namespace),
		cmocka_unit_test(test_warning),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
