// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* conntab: per-state accounting and the inferences, from hand-made records
 * shaped like the ones the kernel side sends (see bpf/state.bpf.c). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "conntab.h"

#define MS 1000000ULL
#define MAX_OUT 8

struct sinkbuf {
	struct conn out[MAX_OUT];
	int n;
	int transitions;
};

static void emit(void *ctx, const struct conn *c)
{
	struct sinkbuf *b = ctx;

	assert_true(b->n < MAX_OUT);
	b->out[b->n++] = *c;
}

static void on_tr(void *ctx, const struct transition *t)
{
	(void)t;
	((struct sinkbuf *)ctx)->transitions++;
}

static struct conntab *mk(struct sinkbuf *b, const uint32_t *pids, uint32_t n_pids)
{
	struct conntab_cfg cfg = {
		.fin_inferred = true, .pids = pids, .n_pids = n_pids,
		.emit = emit, .transition = on_tr, .ctx = b,
	};

	memset(b, 0, sizeof(*b));
	return conntab_new(&cfg);
}

/* 127.0.0.1:lport -> 127.0.0.1:rport */
static struct tl_event rec(uint8_t type, uint64_t sk, uint64_t birth, uint8_t flags, uint16_t lport,
			   uint16_t rport)
{
	struct tl_event e = { .type = type, .skaddr = sk, .birth_ns = birth, .flags = flags };

	e.tuple.family = 2;
	e.tuple.saddr[0] = 127;
	e.tuple.saddr[3] = 1;
	e.tuple.daddr[0] = 127;
	e.tuple.daddr[3] = 1;
	e.tuple.sport = lport;
	e.tuple.dport = rport;
	if (flags & TL_F_OWNER_KNOWN) {
		e.owner.pid = 100;
		e.owner.tid = 100;
		strcpy(e.owner.comm, "client");
	}
	return e;
}

static void st(struct conntab *t, struct tl_event e, uint8_t old, uint8_t new, uint64_t entered, uint64_t ts)
{
	e.oldstate = old;
	e.newstate = new;
	e.entered_ns = entered;
	e.ts_ns = ts;
	conntab_apply(t, &e);
}

static void path_is(const struct conn *c, const uint8_t *want, int n)
{
	assert_int_equal(c->path_len, n);
	assert_memory_equal(c->path, want, n);
}

#define ACTIVE (TL_F_BIRTH_SEEN | TL_F_OWNER_KNOWN)
#define PASSIVE (TL_F_BIRTH_SEEN | TL_F_PASSIVE)

/* Client closes first; the server is local and traced, so the client's
 * orphaned FIN_WAIT2 (handed to a timewait sock) becomes TIME_WAIT when
 * the server sends its FIN. */
static void test_client_close_first_with_local_peer(void **state)
{
	struct sinkbuf b;
	struct conntab *t = mk(&b, NULL, 0);
	struct tl_event c = rec(TL_REC_STATE, 0xc1, 1000 * MS, ACTIVE, 40000, 80);
	struct tl_event s = rec(TL_REC_STATE, 0x5e, 1001 * MS, PASSIVE, 80, 40000);
	static const uint8_t cpath[] = { TL_SYN_SENT, TL_ESTABLISHED, TL_FIN_WAIT1, TL_FIN_WAIT2, TL_TIME_WAIT };
	static const uint8_t spath[] = { TL_SYN_RECV, TL_ESTABLISHED, TL_CLOSE_WAIT, TL_LAST_ACK, TL_CLOSE };

	(void)state;
	/* CLOSE -> SYN_SENT held back in the kernel (port not yet chosen). */
	st(t, c, TL_SYN_SENT, TL_ESTABLISHED, 1000 * MS, 1001 * MS);
	st(t, s, TL_SYN_RECV, TL_ESTABLISHED, 1001 * MS, 1001 * MS + 10);
	st(t, c, TL_ESTABLISHED, TL_FIN_WAIT1, 1001 * MS, 1101 * MS);
	st(t, s, TL_ESTABLISHED, TL_CLOSE_WAIT, 1001 * MS + 10, 1101 * MS);
	st(t, c, TL_FIN_WAIT1, TL_FIN_WAIT2, 1101 * MS, 1102 * MS);
	c.sk_err = 0;
	st(t, c, TL_FIN_WAIT2, TL_CLOSE, 1102 * MS, 1102 * MS); /* hand-over, no peer FIN */
	conntab_tick(t, 5000 * MS);
	assert_int_equal(b.n, 0); /* parked: waiting for the server's FIN */
	st(t, s, TL_CLOSE_WAIT, TL_LAST_ACK, 1101 * MS, 3101 * MS);
	st(t, s, TL_LAST_ACK, TL_CLOSE, 3101 * MS, 3101 * MS + 50);
	conntab_tick(t, 9000 * MS);
	assert_int_equal(b.n, 2);

	const struct conn *cc = b.out[0].role == ROLE_ACTIVE ? &b.out[0] : &b.out[1];
	const struct conn *sc = b.out[0].role == ROLE_ACTIVE ? &b.out[1] : &b.out[0];

	path_is(cc, cpath, 5);
	assert_int_equal(cc->cause, CAUSE_FIN);
	assert_true(cc->closed);
	assert_int_equal(cc->state_ns[TL_SYN_SENT], 1 * MS);
	assert_int_equal(cc->state_ns[TL_ESTABLISHED], 100 * MS);
	assert_int_equal(cc->state_ns[TL_FIN_WAIT1], 1 * MS);
	assert_int_equal(cc->state_ns[TL_FIN_WAIT2], 1999 * MS); /* until the server's FIN */
	assert_true(cc->unmeasured & (1u << TL_TIME_WAIT));
	assert_false(cc->unmeasured & (1u << TL_FIN_WAIT2));
	assert_int_equal(cc->fin_sent, 1);
	assert_int_equal(cc->owner.pid, 100);

	path_is(sc, spath, 5);
	assert_int_equal(sc->cause, CAUSE_FIN);
	assert_int_equal(sc->state_ns[TL_CLOSE_WAIT], 2000 * MS);
	assert_int_equal(sc->state_ns[TL_LAST_ACK], 50);
	assert_int_equal(sc->fin_sent, 1);
	assert_false(sc->owner_known); /* nobody accepted it in these records */
	conntab_free(t);
}

/* The peer's FIN had arrived before the hand-over (SOCK_DONE): TIME_WAIT. */
static void test_handover_with_peer_fin_is_time_wait(void **state)
{
	struct sinkbuf b;
	struct conntab *t = mk(&b, NULL, 0);
	struct tl_event c = rec(TL_REC_STATE, 0xc1, 10 * MS, ACTIVE, 40000, 80);
	static const uint8_t want[] = { TL_SYN_SENT, TL_ESTABLISHED, TL_FIN_WAIT1, TL_FIN_WAIT2, TL_TIME_WAIT };

	(void)state;
	st(t, c, TL_SYN_SENT, TL_ESTABLISHED, 10 * MS, 11 * MS);
	st(t, c, TL_ESTABLISHED, TL_FIN_WAIT1, 11 * MS, 20 * MS);
	st(t, c, TL_FIN_WAIT1, TL_FIN_WAIT2, 20 * MS, 21 * MS);
	c.flags |= TL_F_PEER_FIN;
	st(t, c, TL_FIN_WAIT2, TL_CLOSE, 21 * MS, 30 * MS);
	conntab_tick(t, 1000 * MS);
	assert_int_equal(b.n, 1);
	path_is(&b.out[0], want, 5);
	assert_int_equal(b.out[0].state, TL_TIME_WAIT);
	assert_int_equal(b.out[0].state_ns[TL_FIN_WAIT2], 9 * MS);
	assert_int_equal(b.out[0].cause, CAUSE_FIN);
	conntab_free(t);
}

/* Orphaned FIN_WAIT2 hand-over and no local peer: the rest of FIN_WAIT2
 * lives in the timewait sock and is not measured; never shown as CLOSE. */
static void test_handover_without_peer(void **state)
{
	struct sinkbuf b;
	struct conntab *t = mk(&b, NULL, 0);
	struct tl_event c = rec(TL_REC_STATE, 0xc1, 10 * MS, ACTIVE, 40000, 443);

	(void)state;
	st(t, c, TL_SYN_SENT, TL_ESTABLISHED, 10 * MS, 11 * MS);
	st(t, c, TL_ESTABLISHED, TL_FIN_WAIT1, 11 * MS, 20 * MS);
	st(t, c, TL_FIN_WAIT1, TL_FIN_WAIT2, 20 * MS, 21 * MS);
	st(t, c, TL_FIN_WAIT2, TL_CLOSE, 21 * MS, 21 * MS);
	conntab_tick(t, 1000 * MS);
	assert_int_equal(b.n, 1);
	assert_int_equal(b.out[0].state, TL_FIN_WAIT2);
	assert_int_equal(b.out[0].path[b.out[0].path_len - 1], TL_FIN_WAIT2);
	assert_true(b.out[0].unmeasured & (1u << TL_FIN_WAIT2));
	assert_int_equal(b.out[0].cause, CAUSE_FIN);
	conntab_free(t);
}

/* SO_LINGER {1,0}: CLOSE first, the RST right after; the linger joins them. */
static void test_rst_after_close(void **state)
{
	struct sinkbuf b;
	struct conntab *t = mk(&b, NULL, 0);
	struct tl_event c = rec(TL_REC_STATE, 0xc1, 10 * MS, ACTIVE, 40000, 80);
	struct tl_event r = rec(TL_REC_RESET, 0xc1, 10 * MS, ACTIVE, 40000, 80);

	(void)state;
	st(t, c, TL_SYN_SENT, TL_ESTABLISHED, 10 * MS, 11 * MS);
	st(t, c, TL_ESTABLISHED, TL_CLOSE, 11 * MS, 50 * MS);
	r.kind = TL_RST_SENT;
	r.oldstate = r.newstate = TL_CLOSE;
	r.ts_ns = 50 * MS + 1000;
	conntab_apply(t, &r);
	conntab_tick(t, 60 * MS); /* still lingering */
	assert_int_equal(b.n, 0);
	conntab_tick(t, 200 * MS);
	assert_int_equal(b.n, 1);
	assert_int_equal(b.out[0].rst_sent, 1);
	assert_int_equal(b.out[0].cause, CAUSE_RST_SENT);
	assert_int_equal(b.out[0].fin_sent, 0);
	conntab_free(t);
}

static void test_rst_received_and_refused(void **state)
{
	struct sinkbuf b;
	struct conntab *t = mk(&b, NULL, 0);
	struct tl_event s = rec(TL_REC_STATE, 0x5e, 10 * MS, PASSIVE, 80, 40000);
	struct tl_event r = rec(TL_REC_RESET, 0x5e, 10 * MS, PASSIVE, 80, 40000);
	struct tl_event c = rec(TL_REC_STATE, 0xc2, 20 * MS, ACTIVE, 40001, 81);

	(void)state;
	st(t, s, TL_SYN_RECV, TL_ESTABLISHED, 10 * MS, 11 * MS);
	r.kind = TL_RST_RECV;
	r.ts_ns = 30 * MS;
	conntab_apply(t, &r);
	s.sk_err = ECONNRESET;
	st(t, s, TL_ESTABLISHED, TL_CLOSE, 11 * MS, 30 * MS);
	c.sk_err = ECONNREFUSED;
	st(t, c, TL_SYN_SENT, TL_CLOSE, 20 * MS, 21 * MS);
	conntab_flush(t, 100 * MS);
	assert_int_equal(b.n, 2);
	for (int i = 0; i < 2; i++) {
		if (b.out[i].role == ROLE_PASSIVE) {
			assert_int_equal(b.out[i].cause, CAUSE_RST_RECV);
			assert_int_equal(b.out[i].rst_recv, 1);
		} else {
			assert_int_equal(b.out[i].cause, CAUSE_REFUSED);
			assert_int_equal(b.out[i].state_ns[TL_SYN_SENT], 1 * MS);
		}
		assert_true(b.out[i].closed);
	}
	conntab_free(t);
}

static void test_timeouts(void **state)
{
	struct sinkbuf b;
	struct conntab *t = mk(&b, NULL, 0);
	struct tl_event c = rec(TL_REC_STATE, 0xc1, 10 * MS, ACTIVE, 40000, 80);
	struct tl_event d = rec(TL_REC_STATE, 0xd1, 10 * MS, ACTIVE, 40001, 80);

	(void)state;
	c.sk_err = ETIMEDOUT;
	st(t, c, TL_SYN_SENT, TL_CLOSE, 10 * MS, 127010 * MS);
	st(t, d, TL_SYN_SENT, TL_ESTABLISHED, 10 * MS, 11 * MS);
	d.sk_err = ETIMEDOUT;
	st(t, d, TL_ESTABLISHED, TL_CLOSE, 11 * MS, 900 * MS);
	conntab_flush(t, 200000 * MS);
	assert_int_equal(b.n, 2);
	assert_int_equal(b.out[0].skaddr == 0xc1 ? b.out[0].cause : b.out[1].cause, CAUSE_SYN_TIMEOUT);
	assert_int_equal(b.out[0].skaddr == 0xd1 ? b.out[0].cause : b.out[1].cause, CAUSE_TIMEOUT);
	conntab_free(t);
}

/* SYN-ACK retransmits arrive keyed by tuple, before the child exists. */
static void test_synack_join(void **state)
{
	struct sinkbuf b;
	struct conntab *t = mk(&b, NULL, 0);
	struct tl_event sa = rec(TL_REC_SYNACK, 0x1157e2, 0, 0, 80, 40000);
	struct tl_event other = rec(TL_REC_SYNACK, 0x1157e2, 0, 0, 80, 40999);
	struct tl_event s = rec(TL_REC_STATE, 0x5e, 10 * MS, PASSIVE, 80, 40000);
	struct summary sum = {};

	(void)state;
	sa.ts_ns = 1010 * MS;
	conntab_apply(t, &sa);
	sa.ts_ns = 3010 * MS;
	conntab_apply(t, &sa);
	other.ts_ns = 3010 * MS;
	conntab_apply(t, &other);
	st(t, s, TL_SYN_RECV, TL_ESTABLISHED, 3500 * MS, 3500 * MS);
	conntab_flush(t, 4000 * MS);
	assert_int_equal(b.n, 1);
	assert_int_equal(b.out[0].synack_retrans, 2);
	assert_false(b.out[0].closed);
	assert_int_equal(b.out[0].cause, CAUSE_OPEN);
	assert_int_equal(b.out[0].state_ns[TL_ESTABLISHED], 500 * MS); /* so far */
	conntab_summary(t, &sum);
	assert_int_equal(sum.synack_orphans, 1); /* 40999 never completed */
	assert_int_equal(sum.conns_open, 1);
	conntab_free(t);
}

static void test_retransmit_kinds_and_fin_hook(void **state)
{
	struct sinkbuf b;
	struct conntab_cfg cfg = { .fin_inferred = false, .emit = emit, .ctx = &b };
	struct conntab *t;
	struct tl_event c = rec(TL_REC_STATE, 0xc1, 10 * MS, ACTIVE, 40000, 80);
	struct tl_event r = rec(TL_REC_RETRANS, 0xc1, 10 * MS, ACTIVE, 40000, 80);
	struct tl_event f = rec(TL_REC_FIN, 0xc1, 10 * MS, ACTIVE, 40000, 80);

	(void)state;
	memset(&b, 0, sizeof(b));
	t = conntab_new(&cfg);
	r.kind = TL_RT_SYN;
	r.oldstate = TL_SYN_SENT;
	r.entered_ns = 10 * MS;
	r.ts_ns = 1010 * MS;
	conntab_apply(t, &r); /* first record seen for it: seeds SYN_SENT */
	conntab_apply(t, &r);
	st(t, c, TL_SYN_SENT, TL_ESTABLISHED, 10 * MS, 3010 * MS);
	r.kind = TL_RT_DATA;
	conntab_apply(t, &r);
	st(t, c, TL_ESTABLISHED, TL_FIN_WAIT1, 3010 * MS, 3020 * MS);
	f.ts_ns = 3020 * MS;
	conntab_apply(t, &f); /* hook tier: the FIN comes as its own record */
	r.kind = TL_RT_FIN;
	conntab_apply(t, &r);
	conntab_flush(t, 4000 * MS);
	assert_int_equal(b.n, 1);
	assert_int_equal(b.out[0].syn_retrans, 2);
	assert_int_equal(b.out[0].data_retrans, 1);
	assert_int_equal(b.out[0].fin_retrans, 1);
	assert_int_equal(b.out[0].fin_sent, 1);
	assert_int_equal(b.out[0].state_ns[TL_SYN_SENT], 3000 * MS);
	conntab_free(t);
}

/* -p: a passive connection flows while its owner is unknown and is dropped
 * once accept() names someone else; one never attributed is only counted. */
static void test_pid_filter(void **state)
{
	static const uint32_t pids[] = { 100 };
	struct sinkbuf b;
	struct conntab *t = mk(&b, pids, 1);
	struct tl_event s = rec(TL_REC_STATE, 0x5e, 10 * MS, PASSIVE, 80, 40000);
	struct tl_event o = rec(TL_REC_OWNER, 0x5e, 10 * MS, PASSIVE | TL_F_OWNER_KNOWN, 80, 40000);
	struct tl_event u = rec(TL_REC_STATE, 0x77, 10 * MS, PASSIVE, 80, 40001);
	struct tl_event mine = rec(TL_REC_STATE, 0xc1, 10 * MS, ACTIVE, 40002, 80);
	struct summary sum = {};

	(void)state;
	st(t, s, TL_SYN_RECV, TL_ESTABLISHED, 10 * MS, 11 * MS);
	o.owner.pid = 200;
	o.flags |= TL_F_FILTERED;
	o.oldstate = o.newstate = TL_ESTABLISHED;
	o.ts_ns = 12 * MS;
	conntab_apply(t, &o);
	assert_int_equal(conntab_count(t), 0);
	st(t, u, TL_SYN_RECV, TL_ESTABLISHED, 10 * MS, 11 * MS);
	st(t, mine, TL_SYN_SENT, TL_ESTABLISHED, 10 * MS, 11 * MS);
	conntab_flush(t, 100 * MS);
	assert_int_equal(b.n, 1);
	assert_int_equal(b.out[0].owner.pid, 100);
	conntab_summary(t, &sum);
	assert_int_equal(sum.unattributed, 1);
	conntab_free(t);
}

/* Socket addresses are reused: a new birth ends the old life as "lost". */
static void test_address_reuse(void **state)
{
	struct sinkbuf b;
	struct conntab *t = mk(&b, NULL, 0);
	struct tl_event a = rec(TL_REC_STATE, 0xc1, 10 * MS, ACTIVE, 40000, 80);
	struct tl_event n = rec(TL_REC_STATE, 0xc1, 500 * MS, ACTIVE, 40001, 80);

	(void)state;
	st(t, a, TL_SYN_SENT, TL_ESTABLISHED, 10 * MS, 11 * MS);
	st(t, n, TL_SYN_SENT, TL_ESTABLISHED, 500 * MS, 501 * MS);
	assert_int_equal(b.n, 1);
	assert_int_equal(b.out[0].cause, CAUSE_LOST);
	assert_int_equal(b.out[0].tuple.sport, 40000);
	assert_int_equal(conntab_count(t), 1);
	conntab_free(t);
}

/* A record lost in between: time goes to the state we knew, path notes it. */
static void test_missed_transition(void **state)
{
	struct sinkbuf b;
	struct conntab *t = mk(&b, NULL, 0);
	struct tl_event s = rec(TL_REC_STATE, 0x5e, 10 * MS, PASSIVE, 80, 40000);
	static const uint8_t want[] = { TL_SYN_RECV, TL_ESTABLISHED, TL_CLOSE_WAIT, TL_LAST_ACK, TL_CLOSE };

	(void)state;
	st(t, s, TL_SYN_RECV, TL_ESTABLISHED, 10 * MS, 11 * MS);
	/* ESTABLISHED -> CLOSE_WAIT was dropped */
	st(t, s, TL_CLOSE_WAIT, TL_LAST_ACK, 20 * MS, 30 * MS);
	st(t, s, TL_LAST_ACK, TL_CLOSE, 30 * MS, 31 * MS);
	conntab_flush(t, 100 * MS);
	assert_int_equal(b.n, 1);
	path_is(&b.out[0], want, 5);
	assert_int_equal(b.out[0].state_ns[TL_ESTABLISHED], 9 * MS);
	assert_int_equal(b.out[0].state_ns[TL_CLOSE_WAIT], 10 * MS);
	conntab_free(t);
}

/* The tool started after the connection was born: what came before first
 * sight is unknown (empty), not zero; states entered later are measured. */
static void test_seen_mid_life(void **state)
{
	struct sinkbuf b;
	struct conntab *t = mk(&b, NULL, 0);
	struct tl_event s = rec(TL_REC_STATE, 0x5e, 0, TL_F_OWNER_KNOWN, 80, 40000);

	(void)state;
	st(t, s, TL_ESTABLISHED, TL_CLOSE_WAIT, 0, 100 * MS);
	st(t, s, TL_CLOSE_WAIT, TL_LAST_ACK, 100 * MS, 300 * MS);
	st(t, s, TL_LAST_ACK, TL_CLOSE, 300 * MS, 301 * MS);
	conntab_flush(t, 400 * MS);
	assert_int_equal(b.n, 1);
	assert_false(b.out[0].start_exact);
	assert_int_equal(b.out[0].role, ROLE_UNKNOWN);
	assert_true(b.out[0].unmeasured & (1u << TL_SYN_RECV));
	assert_true(b.out[0].unmeasured & (1u << TL_ESTABLISHED)); /* entered before we looked */
	assert_false(b.out[0].unmeasured & (1u << TL_CLOSE_WAIT));
	assert_int_equal(b.out[0].state_ns[TL_CLOSE_WAIT], 200 * MS);
	assert_int_equal(b.out[0].cause, CAUSE_FIN);
	conntab_free(t);
}

static void count_open(void *ctx, struct conn *c)
{
	(void)c;
	(*(int *)ctx)++;
}

/* The owner a record carries wins: accept names the forking parent, its
 * close() (other holders left) marks it released, a holder scan names the
 * child and another holder; fd and cgroup come with the owner. */
static void test_owner_handover_and_holders(void **state)
{
	struct sinkbuf b;
	struct conntab *t = mk(&b, NULL, 0);
	struct tl_event s = rec(TL_REC_STATE, 0x5e, 1000 * MS, PASSIVE, 80, 40000);
	struct tl_event o;

	(void)state;
	st(t, s, TL_SYN_RECV, TL_ESTABLISHED, 1000 * MS, 1000 * MS + 10);
	o = rec(TL_REC_OWNER, 0x5e, 1000 * MS, PASSIVE | TL_F_OWNER_KNOWN, 80, 40000);
	o.owner.pid = o.owner.tid = 200;
	o.own.fd = 4;
	o.own.cgroup = 77;
	o.ts_ns = 1001 * MS;
	conntab_apply(t, &o);
	o.flags |= TL_F_RELEASED;
	o.own.fd = -1;
	conntab_apply(t, &o);
	o.type = TL_REC_HOLDER;
	o.kind = TL_HOLDER_OWNER;
	o.flags &= ~TL_F_RELEASED;
	o.owner.pid = o.owner.tid = 201;
	strcpy(o.owner.comm, "child");
	o.own.fd = 4;
	conntab_apply(t, &o);
	o.kind = TL_HOLDER_OTHER;
	o.owner.pid = 202;
	o.own.fd = 9;
	conntab_apply(t, &o);
	conntab_apply(t, &o); /* an iterator's retried record: not twice */
	conntab_flush(t, 2000 * MS);
	assert_int_equal(b.n, 1);
	assert_int_equal(b.out[0].owner.pid, 201);
	assert_string_equal(b.out[0].owner.comm, "child");
	assert_int_equal(b.out[0].fd, 4);
	assert_int_equal(b.out[0].cgroup, 77);
	assert_false(b.out[0].owner_released);
	assert_false(b.out[0].preexisting);
	assert_int_equal(b.out[0].n_others, 1);
	assert_int_equal(b.out[0].others[0].pid, 202);
	assert_int_equal(b.out[0].others[0].fd, 9);
	conntab_free(t);
}

/* A CLOSE record carries byte counts where others carry fd and cgroup. */
static void test_close_keeps_fd(void **state)
{
	struct sinkbuf b;
	struct conntab *t = mk(&b, NULL, 0);
	struct tl_event c = rec(TL_REC_STATE, 0xc1, 1000 * MS, ACTIVE, 40000, 80);

	(void)state;
	c.own.fd = 3;
	c.own.cgroup = 55;
	st(t, c, TL_SYN_SENT, TL_ESTABLISHED, 1000 * MS, 1001 * MS);
	c.bytes_acked = 1234;
	c.bytes_received = 99;
	st(t, c, TL_ESTABLISHED, TL_CLOSE, 1001 * MS, 1002 * MS);
	conntab_tick(t, 3000 * MS);
	assert_int_equal(b.n, 1);
	assert_int_equal(b.out[0].fd, 3);
	assert_int_equal(b.out[0].cgroup, 55);
	assert_int_equal(b.out[0].bytes_acked, 1234);
	conntab_free(t);
}

/* Seeded sockets: preexisting, counted once; one seeded by sock_diag (keyed
 * by its cookie) is taken over by the first kernel record for its tuple. */
static void test_seed_and_adoption(void **state)
{
	struct sinkbuf b;
	struct conntab *t = mk(&b, NULL, 0);
	struct tl_event sd = rec(TL_REC_SEED, 0x1234, 0, 0, 80, 40000);
	struct tl_event it = rec(TL_REC_SEED, 0xffff888000000100ULL, 0, TL_F_HOLDERS, 81, 40001);
	struct tl_event h, live;
	struct summary sum = {};
	int n = 0;

	(void)state;
	sd.oldstate = sd.newstate = TL_CLOSE_WAIT;
	sd.ts_ns = 1000 * MS;
	sd.own.fd = -1;
	conntab_apply(t, &sd);
	h = sd;
	h.type = TL_REC_HOLDER;
	h.flags = TL_F_OWNER_KNOWN;
	h.owner.pid = h.owner.tid = 300;
	h.own.fd = 7;
	conntab_apply(t, &h);
	it.oldstate = it.newstate = TL_ESTABLISHED;
	it.ts_ns = it.entered_ns = 1000 * MS;
	conntab_apply(t, &it);
	conntab_apply(t, &it); /* retried by the iterator */
	/* The kernel now reports the sock_diag one by its address. */
	live = rec(TL_REC_STATE, 0xffff888000000200ULL, 0, 0, 80, 40000);
	st(t, live, TL_CLOSE_WAIT, TL_LAST_ACK, 0, 3000 * MS);
	conntab_foreach_open(t, count_open, &n);
	assert_int_equal(n, 2);
	conntab_summary(t, &sum);
	assert_int_equal(sum.seeded, 2);
	conntab_flush(t, 4000 * MS);
	assert_int_equal(b.n, 2);
	for (int i = 0; i < 2; i++) {
		const struct conn *c = &b.out[i];

		assert_true(c->preexisting);
		if (c->tuple.sport == 80) {
			assert_int_equal(c->skaddr, 0xffff888000000200ULL);
			assert_int_equal(c->owner.pid, 300);
			assert_int_equal(c->fd, 7);
			assert_int_equal(c->state, TL_LAST_ACK);
		} else {
			assert_false(c->owner_known);
			assert_int_equal(c->state, TL_ESTABLISHED);
		}
	}
	conntab_free(t);
}

/* -c and --cgroup on the owner, like -p. */
static void test_comm_and_cgroup_filters(void **state)
{
	static const char comms[1][TL_COMM_LEN] = { "server" };
	struct sinkbuf b;
	struct conntab_cfg cfg = { .comms = comms, .n_comms = 1, .cgroup = 77, .emit = emit, .ctx = &b };
	struct conntab *t;
	struct tl_event e;

	(void)state;
	memset(&b, 0, sizeof(b));
	t = conntab_new(&cfg);
	for (int i = 0; i < 3; i++) {
		e = rec(TL_REC_OWNER, 0x100 + i, 1000 * MS, PASSIVE | TL_F_OWNER_KNOWN, 80, 40000 + i);
		e.oldstate = e.newstate = TL_ESTABLISHED;
		e.ts_ns = 1000 * MS;
		strcpy(e.owner.comm, i == 1 ? "other" : "server");
		e.own.cgroup = i == 2 ? 78 : 77;
		conntab_apply(t, &e);
	}
	conntab_flush(t, 2000 * MS);
	assert_int_equal(b.n, 1);
	assert_int_equal(b.out[0].tuple.dport, 40000);
	conntab_free(t);
}

/* Alerts: at the threshold, then after 2x, 4x ... the previous interval. */
static void test_close_wait_due(void **state)
{
	struct conn c = { .state = TL_CLOSE_WAIT, .state_entered_ns = 1000 * MS };
	const uint64_t s = 1000 * MS;

	(void)state;
	assert_false(conntab_cw_due(&c, 1999 * MS, s));
	assert_true(conntab_cw_due(&c, 2000 * MS, s));
	assert_false(conntab_cw_due(&c, 2100 * MS, s));
	assert_false(conntab_cw_due(&c, 3999 * MS, s));
	assert_true(conntab_cw_due(&c, 4000 * MS, s));
	assert_false(conntab_cw_due(&c, 7999 * MS, s));
	assert_true(conntab_cw_due(&c, 8000 * MS, s));
	assert_int_equal(c.cw_alerts, 3);
	c.state = TL_LAST_ACK;
	assert_false(conntab_cw_due(&c, 100000 * MS, s));
	conntab_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_client_close_first_with_local_peer),
		cmocka_unit_test(test_handover_with_peer_fin_is_time_wait),
		cmocka_unit_test(test_handover_without_peer),
		cmocka_unit_test(test_rst_after_close),
		cmocka_unit_test(test_rst_received_and_refused),
		cmocka_unit_test(test_timeouts),
		cmocka_unit_test(test_synack_join),
		cmocka_unit_test(test_retransmit_kinds_and_fin_hook),
		cmocka_unit_test(test_pid_filter),
		cmocka_unit_test(test_address_reuse),
		cmocka_unit_test(test_missed_transition),
		cmocka_unit_test(test_seen_mid_life),
		cmocka_unit_test(test_owner_handover_and_holders),
		cmocka_unit_test(test_close_keeps_fd),
		cmocka_unit_test(test_seed_and_adoption),
		cmocka_unit_test(test_comm_and_cgroup_filters),
		cmocka_unit_test(test_close_wait_due),
	};

	return cmocka_run_group_tests_name("conntab", tests, NULL, NULL);
}
