// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The timewait and request phase machines, table-driven: each row an event
 * sequence and the end it must come to.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "conn_acct.h"
#include "reqphase.h"
#include "twphase.h"

#define S(x) ((uint64_t)((x) * 1e9))
#define MAX_EV 6

/* ------------------------------------------------------------ timewait */

struct tw_row {
	const char *name;
	uint8_t from;              /* the full socket's state at the hand-over (at 10 s) */
	struct tw_ev ev[MAX_EV];   /* the first is the hand-over */
	bool ended;
	uint8_t cause;
	uint64_t end_at;
	uint8_t state;             /* the connection's state after the last event */
	uint8_t phase;             /* enum tw_state after the last event */
	uint64_t fw2_ns, tw_ns;    /* time settled in FIN_WAIT2 and TIME_WAIT (ended rows) */
};

#define HANDOVER(sub_, mode_) { .kind = TWE_HANDOVER, .sub = (sub_), .mode = (mode_), .ts = S(10) }
#define LISTED(gen_, at, sub_, due_) \
	{ .kind = TWE_LISTED, .gen = (gen_), .ts = S(at), .sub = (sub_), .due = S(due_) }
#define DONE(gen_, at) { .kind = TWE_LISTING_DONE, .gen = (gen_), .ts = S(at) }

static const struct tw_row tw_rows[] = {
	{ "listed in TIME_WAIT, gone past its timer: fin at the midpoint", TL_FIN_WAIT2,
	  { HANDOVER(TL_TIME_WAIT, TWM_LISTINGS), LISTED(1, 11, TL_TIME_WAIT, 70), DONE(1, 11),
	    DONE(2, 71) },
	  true, CAUSE_FIN, S(70.5), TL_CLOSE, TWP_ENDED, 0, S(60.5) },
	{ "FIN_WAIT2, a traced peer's FIN, then its timer", TL_FIN_WAIT2,
	  { HANDOVER(TL_FIN_WAIT2, TWM_LISTINGS), LISTED(1, 11, TL_FIN_WAIT2, 70),
	    { .kind = TWE_PEER_FIN, .ts = S(12) }, LISTED(2, 13, TL_TIME_WAIT, 72), DONE(3, 73) },
	  true, CAUSE_FIN, S(72.5), TL_CLOSE, TWP_ENDED, S(2), S(60.5) },
	{ "peer FIN before the first listing: applied at confirmation", TL_FIN_WAIT2,
	  { HANDOVER(TL_FIN_WAIT2, TWM_LISTINGS), { .kind = TWE_PEER_FIN, .ts = S(12) },
	    LISTED(1, 13, TL_TIME_WAIT, 72) },
	  false, 0, 0, TL_TIME_WAIT, TWP_LIVE, 0, 0 },
	{ "hooked: expired by its timer", TL_FIN_WAIT2,
	  { HANDOVER(TL_TIME_WAIT, TWM_HOOKED), { .kind = TWE_HOOK_END, .ts = S(70), .expired = true } },
	  true, CAUSE_FIN, S(70), TL_CLOSE, TWP_ENDED, 0, S(60) },
	{ "hooked: FIN_WAIT2 expired: fin_wait2_timeout", TL_FIN_WAIT2,
	  { HANDOVER(TL_FIN_WAIT2, TWM_HOOKED), { .kind = TWE_HOOK_END, .ts = S(70), .expired = true } },
	  true, CAUSE_FIN_WAIT2_TIMEOUT, S(70), TL_CLOSE, TWP_ENDED, S(60), 0 },
	{ "hooked: rearmed for TIME_WAIT, then expired", TL_FIN_WAIT2,
	  { HANDOVER(TL_FIN_WAIT2, TWM_HOOKED), { .kind = TWE_REARM, .sub = TL_TIME_WAIT, .ts = S(12) },
	    { .kind = TWE_HOOK_END, .ts = S(72), .expired = true } },
	  true, CAUSE_FIN, S(72), TL_CLOSE, TWP_ENDED, S(2), S(60) },
	{ "hooked: killed early, a later connect() is not its reuse", TL_FIN_WAIT2,
	  { HANDOVER(TL_TIME_WAIT, TWM_HOOKED), { .kind = TWE_HOOK_END, .ts = S(20) },
	    { .kind = TWE_REUSE, .ts = S(21), .active = true } },
	  true, CAUSE_TW_KILLED, S(20), TL_CLOSE, TWP_ENDED, 0, S(10) },
	{ "hooked: the connect() that began before the kill reused it", TL_FIN_WAIT2,
	  { HANDOVER(TL_TIME_WAIT, TWM_HOOKED), { .kind = TWE_HOOK_END, .ts = S(20) },
	    { .kind = TWE_REUSE, .ts = S(19.9), .active = true } },
	  true, CAUSE_TW_REUSE, S(20), TL_CLOSE, TWP_ENDED, 0, S(10) },
	{ "hooked: a kill waits for a reuse, then is written", TL_FIN_WAIT2,
	  { HANDOVER(TL_TIME_WAIT, TWM_HOOKED), { .kind = TWE_HOOK_END, .ts = S(20) },
	    { .kind = TWE_SETTLE, .ts = S(22) }, { .kind = TWE_SETTLE, .ts = S(23) } },
	  true, CAUSE_TW_KILLED, S(20), TL_CLOSE, TWP_ENDED, 0, S(10) },
	{ "hooked: a kill not yet settled stays killed", TL_FIN_WAIT2,
	  { HANDOVER(TL_TIME_WAIT, TWM_HOOKED), { .kind = TWE_HOOK_END, .ts = S(20) },
	    { .kind = TWE_SETTLE, .ts = S(22) } },
	  false, 0, 0, TL_TIME_WAIT, TWP_KILLED, 0, 0 },
	{ "hooked: no sock made (tcp_max_tw_buckets)", TL_FIN_WAIT2,
	  { HANDOVER(TL_TIME_WAIT, TWM_NO_SOCK) },
	  true, CAUSE_TW_OVERFLOW, S(10), TL_CLOSE, TWP_ENDED, 0, 0 },
	{ "never listed, the namespace counted an overflow", TL_FIN_WAIT2,
	  { HANDOVER(TL_TIME_WAIT, TWM_LISTINGS), { .kind = TWE_LISTING_DONE, .gen = 1, .ts = S(11),
						    .overflow = true } },
	  true, CAUSE_TW_OVERFLOW, S(10), TL_CLOSE, TWP_ENDED, 0, 0 },
	{ "never listed, no overflow: killed at the midpoint, two listings say so", TL_FIN_WAIT2,
	  { HANDOVER(TL_TIME_WAIT, TWM_LISTINGS), DONE(1, 12), DONE(2, 13),
	    { .kind = TWE_SETTLE, .ts = S(16) } },
	  true, CAUSE_TW_KILLED, S(11), TL_CLOSE, TWP_ENDED, 0, S(1) },
	{ "missed by one listing, held by the next: alive", TL_FIN_WAIT2,
	  { HANDOVER(TL_TIME_WAIT, TWM_LISTINGS), LISTED(1, 11, TL_TIME_WAIT, 70), DONE(2, 12),
	    LISTED(3, 13, TL_TIME_WAIT, 70), DONE(4, 71) },
	  true, CAUSE_FIN, S(70.5), TL_CLOSE, TWP_ENDED, 0, S(60.5) },
	{ "missed once, settled: one absence is no proof", TL_FIN_WAIT2,
	  { HANDOVER(TL_TIME_WAIT, TWM_LISTINGS), LISTED(1, 11, TL_TIME_WAIT, 70), DONE(2, 12),
	    { .kind = TWE_SETTLE, .ts = S(30) } },
	  false, 0, 0, TL_TIME_WAIT, TWP_KILLED, 0, 0 },
	{ "a listing before the hand-over tells nothing", TL_FIN_WAIT2,
	  { HANDOVER(TL_TIME_WAIT, TWM_LISTINGS), DONE(1, 9) },
	  false, 0, 0, TL_FIN_WAIT2, TWP_UNCONFIRMED, 0, 0 },
	{ "its namespace torn down", TL_CLOSING,
	  { HANDOVER(TL_TIME_WAIT, TWM_LISTINGS), LISTED(1, 11, TL_TIME_WAIT, 70),
	    { .kind = TWE_NETNS_GONE, .ts = S(30) } },
	  true, CAUSE_NETNS_GONE, S(30), TL_CLOSE, TWP_ENDED, 0, S(20) },
	{ "untrackable: settled on the hand-over, TIME_WAIT unmeasured", TL_FIN_WAIT2,
	  { HANDOVER(TL_TIME_WAIT, TWM_UNTRACKABLE) },
	  true, CAUSE_FIN, S(10), TL_TIME_WAIT, TWP_ENDED, 0, 0 },
	{ "it sent a reset: rst_sent, exactly then", TL_FIN_WAIT2,
	  { HANDOVER(TL_FIN_WAIT2, TWM_LISTINGS), { .kind = TWE_RST_SENT, .ts = S(15) } },
	  true, CAUSE_RST_SENT, S(15), TL_CLOSE, TWP_ENDED, S(5), 0 },
	{ "its peer reset it while a kill waited", TL_FIN_WAIT2,
	  { HANDOVER(TL_FIN_WAIT2, TWM_HOOKED), { .kind = TWE_HOOK_END, .ts = S(14) },
	    { .kind = TWE_PEER_RST, .ts = S(15) } },
	  true, CAUSE_RST_RECV, S(15), TL_CLOSE, TWP_ENDED, S(5), 0 },
	{ "TIME_WAIT placed by a listing, refined by the peer's FIN read later", TL_FIN_WAIT2,
	  { HANDOVER(TL_FIN_WAIT2, TWM_LISTINGS), LISTED(1, 11, TL_FIN_WAIT2, 70),
	    LISTED(2, 13, TL_TIME_WAIT, 72.5), { .kind = TWE_PEER_FIN, .ts = S(12.2) }, DONE(3, 73) },
	  true, CAUSE_FIN, S(72.75), TL_CLOSE, TWP_ENDED, S(2.2), S(60.55) },
};

static void tw_run(const struct tw_row *r, struct tw_phase *p, struct conn *c, struct tw_out *out)
{
	memset(p, 0, sizeof(*p));
	memset(c, 0, sizeof(*c));
	c->start_exact = true;
	c->state = r->from;
	c->state_entered_ns = S(5);
	conn_path_add(c, r->from);
	conn_settle(c, S(10)); /* 5 s in `from` before the hand-over */
	memset(out, 0, sizeof(*out));
	for (int i = 0; i < MAX_EV && (i == 0 || r->ev[i].kind != TWE_HANDOVER); i++) {
		struct tw_ev ev = r->ev[i];
		struct tw_out o;

		if (i == 0)
			ev.from = r->from;
		tw_step(p, c, &ev, &o);
		if (o.ended)
			*out = o;
	}
}

static void test_tw_rows(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(tw_rows) / sizeof(tw_rows[0]); i++) {
		const struct tw_row *r = &tw_rows[i];
		struct tw_phase p;
		struct conn c;
		struct tw_out out;

		print_message("  %s\n", r->name);
		tw_run(r, &p, &c, &out);
		assert_int_equal(out.ended, r->ended);
		assert_int_equal(c.state, r->state);
		assert_int_equal(p.state, r->phase);
		if (!r->ended)
			continue;
		assert_int_equal(out.cause, r->cause);
		assert_int_equal(out.end_at, r->end_at);
		assert_int_equal(c.state_ns[TL_TIME_WAIT], r->tw_ns);
		if (r->from == TL_FIN_WAIT2)
			assert_int_equal(c.state_ns[TL_FIN_WAIT2], S(5) + r->fw2_ns);
	}
}

/* A confirmed TIME_WAIT hand-over shows as its own inferred step, then the
 * end: what --stream prints. */
static void test_tw_steps(void **state)
{
	struct tw_phase p = { 0 };
	struct conn c = { .state = TL_FIN_WAIT2, .state_entered_ns = S(5), .start_exact = true };
	struct tw_ev ev = { .kind = TWE_HANDOVER, .from = TL_FIN_WAIT2, .sub = TL_TIME_WAIT,
			    .mode = TWM_HOOKED, .ts = S(10) };
	struct tw_out out;

	(void)state;
	tw_step(&p, &c, &ev, &out);
	assert_int_equal(out.n_steps, 1);
	assert_int_equal(out.steps[0].kind, TR_INFERRED);
	assert_int_equal(out.steps[0].from, TL_FIN_WAIT2);
	assert_int_equal(out.steps[0].to, TL_TIME_WAIT);
	assert_int_equal(out.steps[0].at, S(10));
	assert_int_equal(out.steps[0].old_ns, S(5));
	ev = (struct tw_ev){ .kind = TWE_HOOK_END, .ts = S(70), .expired = true };
	tw_step(&p, &c, &ev, &out);
	assert_int_equal(out.n_steps, 1);
	assert_int_equal(out.steps[0].to, TL_CLOSE);
	assert_int_equal(out.steps[0].old_ns, S(60));
	/* Ended: nothing more happens to it. */
	ev = (struct tw_ev){ .kind = TWE_GIVE_UP, .ts = S(80) };
	tw_step(&p, &c, &ev, &out);
	assert_false(out.ended);
	assert_int_equal(out.n_steps, 0);
}

/* ------------------------------------------------------------ requests */

struct req_row {
	const char *name;
	uint64_t synacks[3];        /* SYN-ACK retransmit times (0: none) */
	uint64_t hashed, unhashed;  /* hooked (0: not seen) */
	uint64_t listed;            /* a listing of its namespace held it then (0: none) */
	struct req_when when[3];    /* asked in turn until over */
	int over_at;                /* the index of `when` it is over at; -1: never */
	uint64_t end;
	uint64_t start;             /* the half-open row's start */
};

/* Its namespace not listable (unknown, or gone). */
#define TICK(t) { .kind = REQ_TICK, .now = S(t), .linger_ns = S(0.1), .slack_ns = S(0.5) }
#define LISTING(t, g) { .kind = REQ_LISTING, .now = S(t), .gen = (g), .own_netns = true, .listable = true }
#define FINAL(t) { .kind = REQ_FINAL, .now = S(t), .linger_ns = S(0.1) }

static const struct req_row req_rows[] = {
	/* One retransmit at 2 s (SYN at 1 s): next due at 4 s. */
	{ "listed no more past its due time (and the grace): half-open", { S(2) }, 0, 0, S(3),
	  { LISTING(5, 2), LISTING(8, 3) }, 1, S(4), S(1) },
	{ "listed past its due time: its timer only late", { S(2) }, 0, 0, S(4.5),
	  { FINAL(5) }, -1, 0, 0 },
	/* The grace: 3 s, or the handshake so far (2 s) and half again + 1 s. */
	{ "unlistable: on the schedule alone, with slack and grace", { S(2) }, 0, 0, 0,
	  { TICK(8), TICK(8.6) }, 1, S(4), S(1) },
	{ "hooked, unhashed: exact, after a retry's grace", { S(2) }, S(1), S(4), 0,
	  { TICK(9.5), TICK(9.7) }, 1, S(4), S(1) },
	{ "hooked, unhashed, at exit: no retry can come", { S(2) }, S(1), S(4), 0,
	  { FINAL(4.2) }, 0, S(4), S(1) },
	{ "at exit, not yet due: alive", { S(2) }, 0, 0, 0, { FINAL(3) }, -1, 0, 0 },
};

static void test_req_rows(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(req_rows) / sizeof(req_rows[0]); i++) {
		const struct req_row *r = &req_rows[i];
		struct req_phase p = { 0 };
		int over = -1;
		uint64_t end = 0;

		print_message("  %s\n", r->name);
		if (r->hashed)
			req_hashed(&p, r->hashed);
		for (int k = 0; k < 3 && r->synacks[k]; k++)
			req_synack(&p, r->synacks[k], k == 0 && !r->hashed);
		if (r->listed)
			req_listed(&p, 1, r->listed);
		if (r->unhashed)
			req_unhashed(&p, r->unhashed);
		for (int k = 0; k < 3 && r->when[k].kind + r->when[k].now; k++) {
			if (req_over(&p, &r->when[k], &end)) {
				over = k;
				break;
			}
		}
		assert_int_equal(over, r->over_at);
		if (over >= 0) {
			struct conn c = { 0 };

			assert_int_equal(end, r->end);
			req_fill_row(&p, &c, end);
			assert_int_equal(c.start_ns, r->start);
			assert_int_equal(c.cause, CAUSE_SYNACK_TIMEOUT);
			assert_int_equal(c.state_ns[TL_SYN_RECV], end - r->start);
			assert_int_equal(c.synack_retrans, 1);
			assert_int_equal(c.inferred, !r->unhashed);
		}
	}
}

/* 6.1 drops a request whose SYN-ACK retransmit fails (an OUTPUT drop); the
 * client's SYN 3 s after its first makes another on the 4-tuple. When a
 * listing misses that one (dropped a second later too, or its unhash not
 * read yet) the handshake is due from the second request's SYN, with a
 * grace that grows with it: the SYN 7 s after the first still continues
 * it, one row (t_24 on 6.1, under load). */
static void test_req_rehashed(void **state)
{
	struct req_phase p = { 0 };
	struct req_when l1 = LISTING(5.5, 2), l2 = LISTING(11.5, 3), l3 = LISTING(12, 4);
	uint64_t end = 0;

	(void)state;
	req_hashed(&p, S(1));
	req_hashed(&p, S(4));
	assert_false(req_over(&p, &l1, &end));
	/* Due at 5 s; lasted 4 s, so a grace of 4 + 2 + 1 = 7 s: not before 12 s. */
	assert_false(req_over(&p, &l2, &end));
	assert_true(req_over(&p, &l3, &end));
	assert_int_equal(end, S(5));
	/* The SYN at 8 s, before that: alive again, its own timer. */
	p = (struct req_phase){ 0 };
	req_hashed(&p, S(1));
	req_hashed(&p, S(4));
	assert_false(req_over(&p, &l1, &end));
	req_hashed(&p, S(8));
	req_listed(&p, 5, S(8.5));
	assert_false(req_over(&p, &l2, &end));
	assert_int_equal(p.begin_ns, S(1)); /* one handshake, from the first SYN */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tw_rows),
		cmocka_unit_test(test_tw_steps),
		cmocka_unit_test(test_req_rows),
		cmocka_unit_test(test_req_rehashed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
