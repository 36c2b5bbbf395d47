// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The live view's listener pane: a listing kept and sorted by drops, the
 * namespace's overflows laid on its listeners, the rows and hints as
 * --once --listeners words them, the title, scrolling, and the hints'
 * word-wrap. Hand-made listings; exact strings compared. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "view_lsn.h"

/* A listener on 127.0.0.1:PORT of namespace NETNS, owned by PID (0: none). */
static void add(struct lsn_snap *s, uint64_t netns, uint16_t port, int64_t drops, uint32_t accept_queue,
		uint32_t pid)
{
	struct lsn *l = lsn_snap_add(s);

	assert_non_null(l);
	l->netns = netns;
	l->t.family = TL_AF_INET;
	l->t.saddr[0] = 127;
	l->t.saddr[3] = 1;
	l->t.sport = port;
	l->inode = port;
	l->drops = drops;
	l->accept_queue = accept_queue;
	l->backlog = 1;
	if (pid) {
		l->pid = pid;
		l->fd = 3;
		memcpy(l->comm, "tlpeer", 7);
	}
}

static void add_ns(struct lsn_snap *s, uint64_t netns, int64_t overflows)
{
	struct lsn_ns *c = lsn_snap_add_ns(s);

	assert_non_null(c);
	*c = (struct lsn_ns){ .netns = netns, .overflows = overflows, .drops = overflows,
			      .cookies_sent = 0, .cookies_ok = 0, .somaxconn = 4096 };
}

/* Namespace 7: port 80 dropped 60 (all of the namespace's 60 overflows),
 * port 81 none; namespace 9: port 90 dropped 5, port 91 drops unknown,
 * and two dropping there, so whose overflows they were is not known. */
static void listing(struct lsn_snap *s)
{
	memset(s, 0, sizeof(*s));
	add(s, 9, 91, LSN_UNKNOWN, 0, 0);
	add(s, 7, 81, 0, 0, 4242);
	add(s, 9, 90, 5, 1, 0);
	add(s, 7, 80, 60, 2, 4242);
	add_ns(s, 7, 60);
	add_ns(s, 9, 5);
}

static void test_sorted_and_laid(void **state)
{
	struct view_lsn p = { 0 };
	struct lsn_snap s;

	(void)state;
	listing(&s);
	assert_int_equal(view_lsn_set(&p, &s, 0, 4200000), 0);
	lsn_snap_free(&s); /* the pane keeps its own copy */
	assert_int_equal(p.s.n, 4);
	/* Most drops first, unknown drops last. */
	assert_int_equal(p.s.v[0].t.sport, 80);
	assert_int_equal(p.s.v[1].t.sport, 90);
	assert_int_equal(p.s.v[2].t.sport, 81);
	assert_int_equal(p.s.v[3].t.sport, 91);
	/* The namespace's overflows, where the listener's drops make it sure. */
	assert_int_equal(p.s.v[0].overflows, 60);
	assert_int_equal(p.s.v[2].overflows, 0);
	assert_true(p.s.v[1].overflows == LSN_UNKNOWN && p.s.v[3].overflows == LSN_UNKNOWN);
	assert_int_equal(p.n_dropping, 3); /* 80, 90 and the unknown 91 */
	assert_int_equal(p.n_hinted, 1);
	view_lsn_fini(&p);
}

static void test_lines(void **state)
{
	char buf[512], want[512];
	struct view_lsn p = { 0 };
	struct lsn_snap s;

	(void)state;
	listing(&s);
	assert_int_equal(view_lsn_set(&p, &s, 0, 4200000), 0);
	/* The header and rows are --once --listeners' own lines. */
	view_lsn_head(buf, sizeof(buf));
	lsn_fmt_header(want, sizeof(want));
	assert_string_equal(buf, want);
	view_lsn_row(&p, 0, buf, sizeof(buf));
	assert_string_equal(buf, "4242    tlpeer             3 7          127.0.0.1:80                        2 "
				 "      1      0       60        60       0       0          ?         ?");
	view_lsn_row(&p, 3, buf, sizeof(buf));
	assert_string_equal(buf, "-       -                  - 9          127.0.0.1:91                        0 "
				 "      1      0        ?         ?       0       0          ?         ?");
	view_lsn_row(&p, 4, buf, sizeof(buf));
	assert_string_equal(buf, "");
	/* The hint of the one listener that overflowed, as the text's. */
	view_lsn_hint(&p, 0, buf, sizeof(buf));
	assert_string_equal(buf, "hint: listener 127.0.0.1:80 overflowed its accept queue 60 times "
				 "(TcpExtListenOverflows): its limit 1 is the application's listen() backlog "
				 "(somaxconn is higher): raise the backlog, or accept faster");
	view_lsn_hint(&p, 1, buf, sizeof(buf));
	assert_string_equal(buf, "");
	view_lsn_title(&p, 30, buf, sizeof(buf));
	assert_string_equal(buf, "listeners: 4 in 2 network namespaces, 3 dropping; most drops first, rows 1-4; "
				 "listed in 4.200 ms; L: back");
	lsn_snap_free(&s);
	view_lsn_fini(&p);
}

static void test_failed_listing(void **state)
{
	struct view_lsn p = { 0 };
	struct lsn_snap s;
	char buf[512];

	(void)state;
	view_lsn_title(&p, 30, buf, sizeof(buf));
	assert_string_equal(buf, "listing the listeners...");
	assert_int_equal(view_lsn_set(&p, NULL, -EPERM, 1000), 0);
	view_lsn_title(&p, 30, buf, sizeof(buf));
	assert_string_equal(buf, "cannot list the listeners: Operation not permitted");
	/* A listing, then a failed one: the last listing stays, said so. */
	listing(&s);
	assert_int_equal(view_lsn_set(&p, &s, 0, 1000), 0);
	assert_int_equal(view_lsn_set(&p, NULL, -ENOENT, 2000), 0);
	assert_int_equal(p.s.n, 4);
	view_lsn_title(&p, 2, buf, sizeof(buf));
	assert_string_equal(buf, "cannot list the listeners: No such file or directory; the last listing: "
				 "listeners: 4 in 2 network namespaces, 3 dropping; most drops first, rows 1-2; "
				 "listed in 0.002 ms; L: back");
	/* An empty listing: no rows, no hints. */
	lsn_snap_free(&s);
	add_ns(&s, 7, 0);
	assert_int_equal(view_lsn_set(&p, &s, 0, 1000), 0);
	assert_int_equal(p.s.n, 0);
	assert_int_equal(p.n_hinted, 0);
	view_lsn_title(&p, 30, buf, sizeof(buf));
	assert_string_equal(buf, "listeners: 0 in 1 network namespace, 0 dropping; listed in 0.001 ms; L: back");
	lsn_snap_free(&s);
	view_lsn_fini(&p);
}

static void test_scroll(void **state)
{
	struct view_lsn p = { 0 };
	struct lsn_snap s = { 0 };
	char buf[512];

	(void)state;
	for (uint16_t port = 1; port <= 10; port++)
		add(&s, 7, port, 10 - port, 0, 0);
	add_ns(&s, 7, 0);
	assert_int_equal(view_lsn_set(&p, &s, 0, 0), 0);
	view_lsn_scroll(&p, 3, 4);
	assert_int_equal(p.top, 3);
	view_lsn_title(&p, 4, buf, sizeof(buf));
	assert_non_null(strstr(buf, "rows 4-7;"));
	view_lsn_scroll(&p, 100, 4); /* not past the last screenful */
	assert_int_equal(p.top, 6);
	view_lsn_title(&p, 4, buf, sizeof(buf));
	assert_non_null(strstr(buf, "rows 7-10;"));
	view_lsn_scroll(&p, -4, 4);
	assert_int_equal(p.top, 2);
	view_lsn_scroll(&p, -100, 4);
	assert_int_equal(p.top, 0);
	view_lsn_scroll(&p, 5, 20); /* all fit: nothing to scroll */
	assert_int_equal(p.top, 0);
	/* A shorter listing keeps the top row within it. */
	view_lsn_scroll(&p, 6, 4);
	s.n = 3;
	assert_int_equal(view_lsn_set(&p, &s, 0, 0), 0);
	assert_int_equal(p.top, 2);
	lsn_snap_free(&s);
	view_lsn_fini(&p);
}

static void test_wrap(void **state)
{
	const char *text = "hint: listener 127.0.0.1:80 overflowed", *rest;
	char buf[64];

	(void)state;
	rest = view_lsn_wrap(text, 20, buf, sizeof(buf));
	assert_string_equal(buf, "hint: listener");
	assert_string_equal(rest, "127.0.0.1:80 overflowed");
	rest = view_lsn_wrap(rest, 20, buf, sizeof(buf));
	assert_string_equal(buf, "127.0.0.1:80");
	rest = view_lsn_wrap(rest, 20, buf, sizeof(buf));
	assert_string_equal(buf, "overflowed");
	assert_null(rest);
	/* A word longer than the line is cut. */
	rest = view_lsn_wrap("abcdefghij klm", 4, buf, sizeof(buf));
	assert_string_equal(buf, "abcd");
	assert_string_equal(rest, "efghij klm");
	/* Exactly the width: one line. */
	assert_null(view_lsn_wrap("abcd", 4, buf, sizeof(buf)));
	assert_string_equal(buf, "abcd");
	/* A space right at the width ends the line there. */
	rest = view_lsn_wrap("abcd efg", 4, buf, sizeof(buf));
	assert_string_equal(buf, "abcd");
	assert_string_equal(rest, "efg");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sorted_and_laid),
		cmocka_unit_test(test_lines),
		cmocka_unit_test(test_failed_listing),
		cmocka_unit_test(test_scroll),
		cmocka_unit_test(test_wrap),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
