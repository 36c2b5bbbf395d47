// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* conntab and failed connect()s: one connect_error per attempt, from the
 * kernel's TL_REC_CONNERR record or from a row's SYN_SENT -> CLOSE with an
 * error; and no row for a socket that never became a connection. Records
 * shaped as bpf/owner.bpf.c and bpf/state.bpf.c send them. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "conntab.h"

#define MS 1000000ULL
#define SK(a) (0xffff888000000000ULL | (a))
#define NETNS 4026532374u
#define MAX_CE 4

struct seen {
	struct conn rows[4];
	int n_rows;
	struct conn_error ce[MAX_CE];
	int n_ce;
};

static void on_row(void *ctx, const struct conn *c)
{
	struct seen *s = ctx;

	assert_true(s->n_rows < 4);
	s->rows[s->n_rows++] = *c;
}

static void on_ce(void *ctx, const struct conn_error *ce)
{
	struct seen *s = ctx;

	assert_true(s->n_ce < MAX_CE);
	s->ce[s->n_ce++] = *ce;
}

static struct conntab *table(struct seen *s, struct filter *f)
{
	struct conntab_cfg cfg = { .filter = f, .emit = on_row, .connect_error = on_ce, .ctx = s };

	memset(s, 0, sizeof(*s));
	return conntab_new(&cfg);
}

/* pid 100's socket to 127.0.0.1:dport, from local port lport (0: none). */
static struct tl_rec sock_rec(uint8_t type, uint64_t sk, uint16_t lport, uint16_t dport)
{
	struct tl_rec e = { .type = type, .skaddr = sk, .birth_ns = 1000 * MS, .ts_ns = 1001 * MS,
			    .flags = TL_F_BIRTH_SEEN | TL_F_OWNER_KNOWN, .netns = NETNS, .fd = 3 };

	e.tuple.family = TL_AF_INET;
	e.tuple.daddr[0] = 127;
	e.tuple.daddr[3] = 1;
	if (lport) {
		e.tuple.saddr[0] = 127;
		e.tuple.saddr[3] = 1;
	}
	e.tuple.sport = lport;
	e.tuple.dport = dport;
	e.owner.pid = e.owner.tid = 100;
	strcpy(e.owner.comm, "client");
	return e;
}

/* EADDRNOTAVAIL: SYN_SENT and back to CLOSE inside connect(), no port: the
 * kernel side held both STATE records back (the tuple never complete).
 * Before connect_error it still sent an OWNER record from the syscall's
 * exit (state CLOSE, sport and dport 0: tcp_v4_connect() zeroes inet_dport
 * on failure); that record made a row that never ended. Now it makes none,
 * and the CONNERR record is the one trace. */
static void test_eaddrnotavail_no_row(void **state)
{
	struct seen s;
	struct conntab *t = table(&s, NULL);
	struct tl_rec owner = sock_rec(TL_REC_OWNER, SK(0x10), 0, 0);
	struct tl_rec ce = sock_rec(TL_REC_CONNERR, SK(0x10), 0, 8080);
	struct summary sum = {};

	(void)state;
	owner.oldstate = owner.newstate = TL_CLOSE;
	conntab_apply(t, &owner);
	ce.oldstate = ce.newstate = TL_CLOSE;
	ce.sk_err = EADDRNOTAVAIL;
	ce.birth_ns = 0;
	conntab_apply(t, &ce);
	assert_int_equal(conntab_count(t), 0);
	conntab_flush(t, 2000 * MS);
	conntab_summary(t, &sum);
	assert_int_equal(s.n_rows, 0);
	assert_int_equal(sum.unseen, 0);
	assert_int_equal(sum.conns_open + sum.conns_closed, 0);
	assert_int_equal(s.n_ce, 1);
	assert_int_equal(s.ce[0].err, EADDRNOTAVAIL);
	assert_int_equal(s.ce[0].owner.pid, 100);
	assert_true(s.ce[0].owner_known);
	assert_int_equal(s.ce[0].tuple.dport, 8080);
	assert_int_equal(s.ce[0].tuple.daddr[0], 127);
	assert_int_equal(s.ce[0].netns, NETNS);
	assert_int_equal(s.ce[0].ts_ns, 1001 * MS);
	conntab_free(t);
}

/* The SYN went out (the row exists); a reset, or the SYN retries running
 * out, ends it with sk_err set: the row ends refused / syn_timeout and
 * says one connect_error. An abort (the owner closed, sk_err 0) and an
 * established connection's timeout are no failed connect(). */
static void test_row_end(void **state)
{
	static const struct {
		uint8_t old;
		int32_t err;
		enum close_cause cause;
		int n_ce;
	} cases[] = {
		{ TL_SYN_SENT, ECONNREFUSED, CAUSE_REFUSED, 1 },
		{ TL_SYN_SENT, ETIMEDOUT, CAUSE_SYN_TIMEOUT, 1 },
		{ TL_SYN_SENT, EHOSTUNREACH, CAUSE_ABORT, 1 },
		{ TL_SYN_SENT, 0, CAUSE_ABORT, 0 },
		{ TL_ESTABLISHED, ETIMEDOUT, CAUSE_TIMEOUT, 0 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct seen s;
		struct conntab *t = table(&s, NULL);
		struct tl_rec e = sock_rec(TL_REC_STATE, SK(0x20), 40000, 9090);

		if (cases[i].old == TL_ESTABLISHED) {
			e.oldstate = TL_SYN_SENT;
			e.newstate = TL_ESTABLISHED;
			conntab_apply(t, &e);
			e.ts_ns += MS;
		}
		e.oldstate = cases[i].old;
		e.newstate = TL_CLOSE;
		e.sk_err = cases[i].err;
		conntab_apply(t, &e);
		conntab_flush(t, 2000 * MS);
		assert_int_equal(s.n_rows, 1);
		assert_int_equal(s.rows[0].cause, cases[i].cause);
		assert_int_equal(s.n_ce, cases[i].n_ce);
		if (s.n_ce) {
			assert_int_equal(s.ce[0].err, cases[i].err);
			assert_int_equal(s.ce[0].tuple.dport, 9090);
			assert_int_equal(s.ce[0].owner.pid, 100);
			assert_int_equal(s.ce[0].netns, NETNS);
			assert_int_equal(s.ce[0].ts_ns, e.ts_ns);
		}
		conntab_free(t);
	}
}

/* A row whose CLOSE no program saw, healed at the socket's end: its
 * failure still comes out, once. */
static void test_healed_row_end(void **state)
{
	struct seen s;
	struct conntab *t = table(&s, NULL);
	struct tl_rec e = sock_rec(TL_REC_OWNER, SK(0x30), 40001, 9090);

	(void)state;
	e.oldstate = e.newstate = TL_SYN_SENT; /* EINPROGRESS: the OWNER record */
	conntab_apply(t, &e);
	e.type = TL_REC_DESTROY;
	e.oldstate = TL_SYN_SENT;
	e.newstate = TL_CLOSE;
	e.sk_err = ETIMEDOUT;
	e.ts_ns += 3000 * MS;
	conntab_apply(t, &e);
	conntab_flush(t, 9000 * MS);
	assert_int_equal(s.n_rows, 1);
	assert_int_equal(s.n_ce, 1);
	assert_int_equal(s.ce[0].err, ETIMEDOUT);
	conntab_free(t);
}

/* The CLOSE of a timed-out connect() was skipped (t_42: the timer softirq
 * nested in another BPF program), its SYN_SENT record held back (no port
 * yet): the kernel side sends the row's OWNER record from the connect()'s
 * exit (remote end already cleared by tcp_disconnect()), then the CONNERR.
 * The CONNERR ends that row, healed, with the caller's destination, and
 * tells the failure once; the socket's later DESTROY changes nothing. A
 * CONNERR of another life of the same address leaves the row alone. */
static void test_connerr_heals_open_row(void **state)
{
	struct seen s;
	struct conntab *t = table(&s, NULL);
	struct tl_rec owner = sock_rec(TL_REC_OWNER, SK(0x50), 40002, 0);
	struct tl_rec ce = sock_rec(TL_REC_CONNERR, SK(0x50), 40002, 7070);
	struct tl_rec destroy;
	struct summary sum = {};

	(void)state;
	owner.oldstate = owner.newstate = TL_SYN_SENT;
	owner.ts_ns = 1003 * MS;
	conntab_apply(t, &owner);
	ce.oldstate = ce.newstate = TL_CLOSE;
	ce.sk_err = ETIMEDOUT;
	ce.ts_ns = 1003 * MS;
	ce.birth_ns = 999 * MS; /* another life: not this row's end */
	conntab_apply(t, &ce);
	assert_int_equal(s.n_rows, 0);
	assert_int_equal(s.n_ce, 1);
	ce.birth_ns = owner.birth_ns;
	conntab_apply(t, &ce);
	destroy = owner;
	destroy.type = TL_REC_DESTROY;
	destroy.newstate = TL_CLOSE;
	destroy.ts_ns = 1005 * MS;
	conntab_apply(t, &destroy);
	conntab_flush(t, 9000 * MS);
	conntab_summary(t, &sum);
	assert_int_equal(s.n_rows, 1);
	assert_true(s.rows[0].closed);
	assert_int_equal(s.rows[0].cause, CAUSE_SYN_TIMEOUT);
	assert_true(s.rows[0].inferred);
	assert_int_equal(s.rows[0].tuple.dport, 7070);
	assert_int_equal(s.rows[0].tuple.daddr[0], 127);
	assert_int_equal(s.rows[0].end_ns, 1003 * MS);
	assert_int_equal(s.n_ce, 2);
	assert_int_equal(s.ce[1].err, ETIMEDOUT);
	assert_int_equal(s.ce[1].tuple.dport, 7070);
	assert_int_equal(s.ce[1].owner.pid, 100);
	assert_int_equal(sum.healed, 1);
	assert_int_equal(sum.unseen, 0);
	conntab_free(t);
}

/* -p: a failure is told only for a wanted owner, as rows are written. */
static void test_owner_filter(void **state)
{
	struct filter f = { .n_pids = 1, .pids = { 200 } };
	struct seen s;
	struct conntab *t = table(&s, &f);
	struct tl_rec ce = sock_rec(TL_REC_CONNERR, SK(0x40), 0, 8080);

	(void)state;
	ce.oldstate = ce.newstate = TL_CLOSE;
	ce.sk_err = ECONNREFUSED;
	conntab_apply(t, &ce);
	assert_int_equal(s.n_ce, 0);
	ce.owner.pid = 200;
	conntab_apply(t, &ce);
	assert_int_equal(s.n_ce, 1);
	assert_int_equal(s.ce[0].owner.pid, 200);
	conntab_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_eaddrnotavail_no_row),
		cmocka_unit_test(test_row_end),
		cmocka_unit_test(test_healed_row_end),
		cmocka_unit_test(test_connerr_heals_open_row),
		cmocka_unit_test(test_owner_filter),
	};

	return cmocka_run_group_tests_name("conntab_connerr", tests, NULL, NULL);
}
