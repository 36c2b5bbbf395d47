// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* listenstat.c: laying a namespace's overflow and syncookie counters on its
 * listeners only where the listeners' own drops make it certain, finding a
 * request sock's listener, the hint, and the JSON line's keys. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "listenstat.h"

static void mk(struct lsn *l, uint64_t netns, uint16_t family, uint8_t a0, uint16_t port, int64_t drops)
{
	memset(l, 0, sizeof(*l));
	l->netns = netns;
	l->t.family = family;
	l->t.saddr[0] = a0;
	l->t.sport = port;
	l->drops = drops;
	l->fd = -1;
	l->synack_retrans = l->half_open_timeouts = LSN_UNKNOWN; /* as lsn_snap_add() */
}

static const struct lsn_ns ns7 = { .netns = 7, .overflows = 38, .drops = 38, .cookies_sent = 5,
				   .cookies_ok = 4, .somaxconn = 4096 };

static void test_attribute_one_dropping(void **state)
{
	struct lsn v[3];

	(void)state;
	mk(&v[0], 7, TL_AF_INET, 127, 80, 38);
	mk(&v[1], 7, TL_AF_INET, 127, 81, 0);
	mk(&v[2], 9, TL_AF_INET, 127, 80, 3); /* another namespace: untouched */
	v[2].overflows = -5;
	lsn_attribute(v, 3, &ns7);
	assert_int_equal(v[0].overflows, 38);
	assert_int_equal(v[1].overflows, 0); /* no drop, so no overflow */
	assert_int_equal(v[2].overflows, -5);
	/* Two listeners in the namespace: the syncookies are not laid on one. */
	assert_true(v[0].syncookies_sent == LSN_UNKNOWN && v[1].syncookies_ok == LSN_UNKNOWN);
}

static void test_attribute_uncertain(void **state)
{
	struct lsn v[2];

	(void)state;
	/* Two with drops: whose overflows they were is not known. */
	mk(&v[0], 7, TL_AF_INET, 127, 80, 20);
	mk(&v[1], 7, TL_AF_INET, 127, 81, 20);
	lsn_attribute(v, 2, &ns7);
	assert_true(v[0].overflows == LSN_UNKNOWN && v[1].overflows == LSN_UNKNOWN);
	/* Fewer drops than the namespace's overflows: a closed listener had some. */
	mk(&v[0], 7, TL_AF_INET, 127, 80, 10);
	lsn_attribute(v, 1, &ns7);
	assert_true(v[0].overflows == LSN_UNKNOWN);
	/* Alone in its namespace: the syncookies are its own. */
	assert_int_equal(v[0].syncookies_sent, 5);
	assert_int_equal(v[0].syncookies_ok, 4);
}

static void test_find_req(void **state)
{
	struct lsn v[3];
	struct tl_tuple req = { .family = TL_AF_INET, .sport = 80 };

	(void)state;
	req.saddr[0] = 127;
	mk(&v[0], 7, TL_AF_INET6, 0, 80, 0);   /* [::]:80 */
	mk(&v[1], 7, TL_AF_INET, 0, 80, 0);    /* 0.0.0.0:80 */
	mk(&v[2], 7, TL_AF_INET, 127, 80, 0);  /* 127.0.0.1:80 */
	assert_ptr_equal(lsn_find_req(v, 3, 7, &req), &v[2]);
	assert_ptr_equal(lsn_find_req(v, 2, 7, &req), &v[1]);
	assert_ptr_equal(lsn_find_req(v, 1, 7, &req), &v[0]);
	assert_null(lsn_find_req(v, 3, 8, &req));
	req.sport = 81;
	assert_null(lsn_find_req(v, 3, 7, &req));
}

static void test_hint(void **state)
{
	struct lsn l;
	struct lsn_ns c = ns7;
	char buf[512];

	(void)state;
	mk(&l, 7, TL_AF_INET, 127, 80, 38);
	l.t.saddr[3] = 1;
	l.backlog = 1;
	l.overflows = 0;
	assert_int_equal(lsn_hint(&l, &c, buf, sizeof(buf)), 0); /* no overflow: no hint */
	l.overflows = LSN_UNKNOWN;
	assert_int_equal(lsn_hint(&l, &c, buf, sizeof(buf)), 0);
	l.overflows = 38;
	assert_int_equal(lsn_hint(&l, &c, buf, sizeof(buf)), 1);
	assert_non_null(strstr(buf, "127.0.0.1:80 overflowed its accept queue 38 times"));
	assert_non_null(strstr(buf, "the application's listen() backlog"));
	assert_int_equal(lsn_limit(&l, &c), LSN_LIMIT_BACKLOG);
	l.backlog = 4096;
	assert_int_equal(lsn_hint(&l, &c, buf, sizeof(buf)), 1);
	assert_non_null(strstr(buf, "net.core.somaxconn (4096)"));
	assert_int_equal(lsn_limit(&l, &c), LSN_LIMIT_SOMAXCONN);
	assert_string_equal(lsn_limit_name(LSN_LIMIT_SOMAXCONN), "somaxconn");
	c.somaxconn = LSN_UNKNOWN;
	assert_int_equal(lsn_limit(&l, &c), LSN_LIMIT_UNKNOWN);
	assert_null(lsn_limit_name(LSN_LIMIT_UNKNOWN));
	assert_int_equal(lsn_hint(&l, &c, buf, sizeof(buf)), 1);
	assert_non_null(strstr(buf, "listen() backlog (somaxconn is unknown)"));
	l.t.family = TL_AF_INET6;
	memset(l.t.saddr, 0, sizeof(l.t.saddr));
	assert_int_equal(lsn_hint(&l, &c, buf, sizeof(buf)), 1);
	assert_non_null(strstr(buf, "listener [::]:80 overflowed"));
}

static void test_json(void **state)
{
	struct lsn l;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	(void)state;
	assert_non_null(f);
	mk(&l, 7, TL_AF_INET, 127, 80, 2);
	l.t.saddr[3] = 1;
	l.pid = 42;
	l.fd = 3;
	memcpy(l.comm, "a\"b", 4);
	l.backlog = 1;
	l.overflows = LSN_UNKNOWN;
	l.syncookies_sent = 0;
	l.syncookies_ok = 0;
	assert_int_equal(lsn_print_json(f, &l, NULL), 0);
	l.pid = 0;
	l.synack_retrans = 3; /* a run's counts (lsncount.h); --once's null above */
	l.half_open_timeouts = 1;
	assert_int_equal(lsn_print_json(f, &l, "2026-12-03T17:36:10.588010Z"), 0);
	fclose(f);
	assert_string_equal(buf,
			    "{\"event\":\"listener\",\"pid\":42,\"comm\":\"a\\\"b\",\"fd\":3,\"netns\":7,"
			    "\"laddr\":\"127.0.0.1\",\"lport\":80,\"accept_queue\":0,\"backlog\":1,\"syn_queue\":0,"
			    "\"drops\":2,\"overflows\":null,\"synack_retrans\":null,\"half_open_timeouts\":null,"
			    "\"syncookies_sent\":0,\"syncookies_ok\":0,\"timing\":\"inferred\"}\n"
			    /* In a run: the listing's time; no holder: nulls. */
			    "{\"event\":\"listener\",\"time\":\"2026-12-03T17:36:10.588010Z\",\"pid\":null,"
			    "\"comm\":null,\"fd\":null,\"netns\":7,"
			    "\"laddr\":\"127.0.0.1\",\"lport\":80,\"accept_queue\":0,\"backlog\":1,\"syn_queue\":0,"
			    "\"drops\":2,\"overflows\":null,\"synack_retrans\":3,\"half_open_timeouts\":1,"
			    "\"syncookies_sent\":0,\"syncookies_ok\":0,\"timing\":\"inferred\"}\n");
	free(buf);
}

/* The text table's lines, as --once --listeners prints them and the live
 * view's listener pane shows them: one formatter for both. */
static void test_text(void **state)
{
	char line[LSN_LINE_LEN], *buf = NULL;
	struct lsn l;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	(void)state;
	assert_non_null(f);
	lsn_fmt_header(line, sizeof(line));
	assert_string_equal(line, "PID     COMM              FD NETNS      LISTEN                         ACCEPT "
				  "BACKLOG  SYN_Q    DROPS OVERFLOWS COOKIES COOK_OK SYNACK_RTX HALF_OPEN");
	mk(&l, 4026532240ULL, TL_AF_INET, 127, 7001, 60);
	l.t.saddr[3] = 1;
	l.pid = 5837;
	l.fd = 3;
	memcpy(l.comm, "tl\x1bpeer", 8); /* an escape in a comm is shown escaped */
	l.accept_queue = 2;
	l.backlog = 1;
	l.overflows = 60;
	l.syncookies_sent = LSN_UNKNOWN;
	l.synack_retrans = 4; /* a run's counts; --once's stay "?" (below) */
	l.half_open_timeouts = 1;
	lsn_fmt_row(&l, line, sizeof(line));
	assert_string_equal(line, "5837    tl\\x1bpeer         3 4026532240 127.0.0.1:7001                      2 "
				  "      1      0       60        60       ?       0          4         1");
	assert_int_equal(lsn_print_row(f, &l), 0);
	l.pid = 0; /* no holder: every owner column "-" */
	l.t.family = TL_AF_INET6;
	memset(l.t.saddr, 0, sizeof(l.t.saddr));
	l.synack_retrans = l.half_open_timeouts = LSN_UNKNOWN;
	assert_int_equal(lsn_print_row(f, &l), 0);
	fclose(f);
	assert_string_equal(buf, "5837    tl\\x1bpeer         3 4026532240 127.0.0.1:7001                      2 "
				 "      1      0       60        60       ?       0          4         1\n"
				 "-       -                  - 4026532240 [::]:7001                           2 "
				 "      1      0       60        60       ?       0          ?         ?\n");
	free(buf);
}

/* A listener of namespace 7 on 127.0.0.1:PORT into s. */
static void add_row(struct lsn_snap *s, uint16_t port, int64_t drops, uint64_t inode)
{
	struct lsn *l = lsn_snap_add(s);

	assert_non_null(l);
	mk(l, 7, TL_AF_INET, 127, port, drops);
	l->inode = inode;
}

static void add_ns(struct lsn_snap *s, int64_t overflows, int64_t drops)
{
	struct lsn_ns *c = lsn_snap_add_ns(s);

	assert_non_null(c);
	*c = ns7;
	c->overflows = overflows;
	c->drops = drops;
}

static void test_since(void **state)
{
	struct lsn_snap a = { 0 }, b = { 0 };

	(void)state;
	add_row(&a, 80, 10, 100);
	add_ns(&a, 8, 10);
	/* The end: the same listener (inode 100) 14 drops, a new one 3. */
	add_row(&b, 80, 14, 100);
	add_row(&b, 81, 3, 101);
	add_ns(&b, 12, 17);
	lsn_since(&b, &a);
	assert_int_equal(b.v[0].drops, 4);
	assert_int_equal(b.v[1].drops, 3);
	assert_int_equal(b.ns[0].overflows, 4);
	assert_int_equal(b.ns[0].drops, 7);
	/* Two listeners dropped during the run: the 4 overflows are not laid
	 * on either. */
	lsn_attribute(b.v, b.n, &b.ns[0]);
	assert_true(b.v[0].overflows == LSN_UNKNOWN && b.v[1].overflows == LSN_UNKNOWN);
	b.v[1].drops = 0;
	lsn_attribute(b.v, b.n, &b.ns[0]);
	assert_int_equal(b.v[0].overflows, 4);
	lsn_snap_free(&a);
	lsn_snap_free(&b);
	assert_null(b.v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_attribute_one_dropping),
		cmocka_unit_test(test_attribute_uncertain),
		cmocka_unit_test(test_find_req),
		cmocka_unit_test(test_hint),
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_text),
		cmocka_unit_test(test_since),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
