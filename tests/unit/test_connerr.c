// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* connerr: failed connect()s counted per process and destination, the
 * lines in order, the errno names, the EADDRNOTAVAIL hint and when it is
 * (not) given. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "connerr.h"

static struct conn_error ce(uint32_t pid, const char *comm, uint8_t last, uint16_t port, int err)
{
	struct conn_error e = { .ts_ns = 5, .owner_known = true, .err = err, .netns = 77 };

	e.owner.pid = e.owner.tid = pid;
	memcpy(e.owner.comm, comm, strnlen(comm, TL_COMM_LEN));
	e.tuple.family = TL_AF_INET;
	e.tuple.daddr[0] = 10;
	e.tuple.daddr[3] = last;
	e.tuple.dport = port;
	/* The local end and the tid are no part of a line's identity. */
	e.tuple.sport = (uint16_t)(40000 + pid);
	return e;
}

static void test_counts_per_line(void **state)
{
	struct connerr_tab t;
	const struct connerr_line *top[CONNERR_TOP];
	struct conn_error e;

	(void)state;
	assert_int_equal(connerr_init(&t), 0);
	for (int i = 0; i < 10; i++) {
		e = ce(319, "tlpeer", 1, 8080, EADDRNOTAVAIL);
		e.ts_ns = 100 + (uint64_t)i;
		e.owner.tid = 400 + (uint32_t)i;
		assert_int_equal(connerr_add(&t, &e), 0);
	}
	e = ce(319, "tlpeer", 1, 8080, ECONNREFUSED); /* another errno */
	connerr_add(&t, &e);
	e = ce(319, "tlpeer", 2, 8080, EADDRNOTAVAIL); /* another address */
	connerr_add(&t, &e);
	e = ce(319, "tlpeer", 1, 8081, EADDRNOTAVAIL); /* another port */
	connerr_add(&t, &e);
	e = ce(320, "tlpeer", 1, 8080, EADDRNOTAVAIL); /* another process */
	connerr_add(&t, &e);
	e = ce(320, "tlpeer", 1, 8080, EADDRNOTAVAIL);
	connerr_add(&t, &e);
	assert_int_equal(t.total, 15);
	assert_int_equal(t.unlisted, 0);
	assert_int_equal(t.lines.count, 5);
	assert_int_equal(connerr_top(&t, top, CONNERR_TOP), 5);
	assert_int_equal(top[0]->count, 10);
	assert_int_equal(top[0]->owner.pid, 319);
	assert_int_equal(top[0]->err, EADDRNOTAVAIL);
	assert_int_equal(top[0]->first_ns, 100);
	assert_int_equal(top[0]->last_ns, 109);
	assert_int_equal(top[0]->tuple.sport, 0);
	assert_int_equal(top[1]->count, 2);
	assert_int_equal(top[1]->owner.pid, 320);
	/* Ties by pid, then address, port, errno: 10.0.0.1:8080 ECONNREFUSED
	 * (111), 10.0.0.1:8081, 10.0.0.2:8080. */
	assert_int_equal(top[2]->err, ECONNREFUSED);
	assert_int_equal(top[3]->tuple.dport, 8081);
	assert_int_equal(top[4]->tuple.daddr[3], 2);
	/* top N: the most first, no more than asked. */
	assert_int_equal(connerr_top(&t, top, 2), 2);
	assert_int_equal(top[0]->count, 10);
	assert_int_equal(top[1]->count, 2);
	connerr_fini(&t);
	connerr_fini(&t); /* twice, and on a zeroed table: nothing */
}

static void test_names_and_dest(void **state)
{
	struct connerr_line l = { .tuple = { .family = TL_AF_INET6, .dport = 443 } };
	char buf[16], d[64];

	(void)state;
	assert_string_equal(connerr_name(EADDRNOTAVAIL, buf, sizeof(buf)), "EADDRNOTAVAIL");
	assert_string_equal(connerr_name(ECONNREFUSED, buf, sizeof(buf)), "ECONNREFUSED");
	assert_string_equal(connerr_name(ETIMEDOUT, buf, sizeof(buf)), "ETIMEDOUT");
	assert_string_equal(connerr_name(ENETUNREACH, buf, sizeof(buf)), "ENETUNREACH");
	assert_string_equal(connerr_name(4000, buf, sizeof(buf)), "E4000");
	l.tuple.daddr[15] = 1;
	connerr_dest(&l, d, sizeof(d));
	assert_string_equal(d, "[::1]:443");
	l.tuple.family = TL_AF_INET;
	l.tuple.daddr[0] = 127;
	connerr_dest(&l, d, sizeof(d));
	assert_string_equal(d, "127.0.0.0:443");
}

/* A hint only where a measurement backs it: EADDRNOTAVAIL, the ports in
 * use to that destination measured, 80 % of the range or more. */
static void test_hint(void **state)
{
	struct connerr_tab t;
	struct conn_error e = ce(319, "tlpeer", 1, 8080, EADDRNOTAVAIL);
	struct connerr_line *l;
	char h[512];
	int n;

	(void)state;
	assert_int_equal(connerr_init(&t), 0);
	for (int i = 0; i < 10; i++)
		connerr_add(&t, &e);
	e.err = ECONNREFUSED;
	connerr_add(&t, &e);
	assert_int_equal(t.unmeasured, 1);
	l = connerr_take_unmeasured(&t);
	assert_non_null(l);
	assert_int_equal(l->err, EADDRNOTAVAIL);
	assert_true(l->measure_tried);
	assert_int_equal(t.unmeasured, 0);
	assert_int_equal(connerr_hint(l, h, sizeof(h)), 0); /* not measured */
	assert_string_equal(h, "");
	assert_null(connerr_take_unmeasured(&t)); /* ECONNREFUSED is never measured */
	e.err = EADDRNOTAVAIL;
	connerr_add(&t, &e); /* an 11th on its line: still nothing to measure */
	assert_null(connerr_take_unmeasured(&t));
	l->ports = (struct connerr_ports){ .known = true, .in_use = 7, .lo = 40000, .hi = 40009 };
	assert_int_equal(connerr_hint(l, h, sizeof(h)), 0); /* 70 %: no hint */
	l->ports.in_use = 8;
	assert_true(connerr_hint(l, h, sizeof(h)) > 0);
	l->ports.in_use = 10;
	n = connerr_hint(l, h, sizeof(h));
	assert_int_equal(n, (int)strlen(h));
	assert_string_equal(h, "hint: connect() to 10.0.0.1:8080 failed EADDRNOTAVAIL 11 times: 10 of the "
			       "10 ports of net.ipv4.ip_local_port_range (40000-40009) were in use to it "
			       "(netns 77): net.ipv4.tcp_tw_reuse=1 where TIME_WAIT sockets hold them, "
			       "more destination addresses, or a wider ip_local_port_range");
	l->ports.hi = l->ports.lo - 1; /* an empty range: nothing to compare with */
	assert_int_equal(connerr_hint(l, h, sizeof(h)), 0);
	l->ports.hi = 40009;
	l->err = ECONNREFUSED; /* no knob to name */
	assert_int_equal(connerr_hint(l, h, sizeof(h)), 0);
	connerr_fini(&t);
}

/* Past CONNERR_MAX_LINES distinct lines, failures are counted, unlisted. */
static void test_line_cap(void **state)
{
	struct connerr_tab t;
	struct conn_error e;

	(void)state;
	assert_int_equal(connerr_init(&t), 0);
	for (uint32_t i = 0; i < CONNERR_MAX_LINES; i++) {
		e = ce(1000 + i, "scan", 1, 80, ECONNREFUSED);
		assert_int_equal(connerr_add(&t, &e), 0);
	}
	e = ce(5, "late", 1, 80, ECONNREFUSED);
	assert_int_equal(connerr_add(&t, &e), -ENOMEM);
	e = ce(1000, "scan", 1, 80, ECONNREFUSED); /* a line that exists still counts */
	assert_int_equal(connerr_add(&t, &e), 0);
	assert_int_equal(t.total, CONNERR_MAX_LINES + 2);
	assert_int_equal(t.unlisted, 1);
	assert_int_equal(t.lines.count, CONNERR_MAX_LINES);
	connerr_fini(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_counts_per_line),
		cmocka_unit_test(test_names_and_dest),
		cmocka_unit_test(test_hint),
		cmocka_unit_test(test_line_cap),
	};

	return cmocka_run_group_tests_name("connerr", tests, NULL, NULL);
}
