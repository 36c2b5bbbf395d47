// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Full sockets' records, as the table applies them: a socket's birth (or
 * first sight), its owners, its states and its close, retransmits, resets
 * and FINs. A close that hands the connection to a timewait sock, and a
 * passive child's request, go on in conntab_minisock.c.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "conn_extra.h"
#include "conntab_priv.h"

/* A socket being torn down can report port 0 (unhashed); keep what we had. */
static void update_tuple(struct conn *c, const struct tl_tuple *tu)
{
	if (tu->sport && tu->dport)
		c->tuple = *tu;
}

static struct entry *create(struct conntab *t, const struct tl_rec *e)
{
	struct entry *en = calloc(1, sizeof(*en));
	struct conn *c;
	bool born = e->flags & TL_F_BIRTH_SEEN;
	bool passive = e->flags & TL_F_PASSIVE;
	uint8_t s = e->oldstate;

	if (!en)
		return NULL;
	c = &en->c;
	c->skaddr = e->skaddr;
	c->birth_ns = e->birth_ns;
	c->tuple = e->tuple;
	c->role = passive ? ROLE_PASSIVE : born ? ROLE_ACTIVE : ROLE_UNKNOWN;
	c->start_exact = born && e->birth_ns;
	c->preexisting = !born;
	c->fd = -1;
	c->cause = CAUSE_OPEN;
	if (e->type == TL_REC_STATE && (s == TL_CLOSE || s == TL_LISTEN)) {
		/* The birth transition itself. */
		c->start_ns = e->ts_ns;
		c->state = e->newstate;
		c->state_entered_ns = e->ts_ns;
		conn_path_add(c, e->newstate);
	} else if (c->start_exact) {
		/* The birth record was held back (tuple incomplete at birth: the
		 * local port of a connect(), the addresses of a fresh child). The
		 * first state is certain; its duration is when only one step
		 * separates it from the state this record reports. */
		uint8_t first = passive ? TL_SYN_RECV : TL_SYN_SENT;
		uint64_t entered = e->entered_ns ? e->entered_ns : e->ts_ns;

		c->start_ns = e->birth_ns;
		c->state = first;
		c->state_entered_ns = e->birth_ns;
		conn_path_add(c, first);
		if (s != first) {
			if (s == TL_ESTABLISHED && entered >= e->birth_ns)
				conn_settle(c, entered);
			else
				c->unmeasured |= TL_BIT(first) | TL_BIT(s);
			c->state = s;
			c->state_entered_ns = entered;
			conn_path_add(c, s);
		}
	} else {
		/* Seen mid-life: the tool started after it was born. What came
		 * before is unknown; the first state counts from first sight. */
		c->start_ns = e->entered_ns ? e->entered_ns : e->ts_ns;
		c->unmeasured = e->entered_ns ? ~TL_BIT(s) : ~0u;
		c->state = s;
		c->state_entered_ns = c->start_ns;
		conn_path_add(c, s);
	}
	if (pindex_put(&t->by_sk, en)) {
		ct_entry_free(en);
		return NULL;
	}
	c->netns = e->netns;
	tkey_make(&c->tuple, false, &en->key);
	if (born && (s == TL_CLOSE || s == TL_LISTEN || c->start_exact)) {
		struct entry *prev = ct_get_tuple(t, &en->key);

		ct_tw_reused(t, &en->key, e->netns, c->start_ns, c->role == ROLE_ACTIVE);
		/* Its previous life still open: that CLOSE is behind this in
		 * the ring buffer (see ct_tw_begin()). */
		if (prev && !prev->c.closed && !prev->tw &&
		    (!e->netns || !prev->c.netns || e->netns == prev->c.netns))
			prev->reborn_ns = c->start_ns;
	}
	if (!pindex_put(&t->by_tuple, en))
		en->indexed = true;
	if (passive)
		ct_join_request(t, en, e);
	return en;
}

/* A socket seeded from sock_diag, keyed by its cookie, gets the kernel
 * address its first BPF record brings; a seed record for a socket already
 * known by address joins that entry. Matched by tuple. */
static struct entry *adopt_synthetic(struct conntab *t, const struct tl_rec *e)
{
	struct tkey k;
	struct entry *en;

	tkey_make(&e->tuple, false, &k);
	en = ct_get_tuple(t, &k);
	if (!en || en->c.closed)
		return NULL;
	if (CONN_SYNTHETIC_SK(e->skaddr))
		return en; /* a seed record for a socket already seen live */
	if (!CONN_SYNTHETIC_SK(en->c.skaddr))
		return NULL;
	pindex_del(&t->by_sk, &en->c.skaddr);
	en->c.skaddr = e->skaddr;
	en->c.birth_ns = e->birth_ns;
	if (pindex_put(&t->by_sk, en)) {
		ct_drop(t, en);
		return NULL;
	}
	return en;
}

/* The state the socket left last, as far as its end tells: the CLOSE the
 * tracker missed came from there. FIN_WAIT1 with the peer's FIN in went on
 * through FIN_WAIT2 (or, on a simultaneous close, CLOSING: both end in a
 * TIME_WAIT sock, which is what the row must show); without it, the
 * timewait sock took over in FIN_WAIT2. CLOSE_WAIT ended through LAST_ACK.
 * An error or a reset decides the cause by itself (on_close). */
static uint8_t left_last(uint8_t known, int err)
{
	if (err)
		return known;
	switch (known) {
	case TL_FIN_WAIT1:
		return TL_FIN_WAIT2;
	case TL_CLOSE_WAIT:
		return TL_LAST_ACK;
	default:
		return known;
	}
}

/* Complete an open row whose CLOSE never came, from a record that saw the
 * socket's end: the tracker's last state, sk_err, the peer's FIN and the
 * byte counts (a DESTROY record has them all; a CONNERR only its error). */
void ct_heal_close(struct conntab *t, struct entry *en, const struct tl_rec *e, int32_t err)
{
	struct conn *c = &en->c;
	struct tl_rec close;
	uint8_t via;

	via = left_last(c->state, err);
	t->healed++;
	c->inferred = true;
	/* When the known state ended, and how long the one after lasted, no
	 * hook measured. */
	c->unmeasured |= TL_BIT(c->state) | TL_BIT(via);
	close = *e;
	close.type = TL_REC_STATE;
	close.oldstate = via;
	close.newstate = TL_CLOSE;
	close.entered_ns = 0;
	close.sk_err = err;
	ct_apply_state(t, en, &close);
}

/* A failed connect() goes out once, to the owner filter as a row would
 * (the kernel side applied the tuple filters). Where it comes from, and
 * why never twice: bpf/owner.bpf.c, on_connect_error(). */
static void connect_error(struct conntab *t, const struct conn_error *ce, uint64_t cgroup)
{
	if (!t->cfg.connect_error)
		return;
	if (filter_by_owner(t->cfg.filter) &&
	    (!ce->owner_known || !filter_owner_wanted(t->cfg.filter, &ce->owner, cgroup)))
		return;
	t->cfg.connect_error(t->cfg.ctx, ce);
}

/* A connect() that failed. Its socket's row is still open in SYN_SENT
 * when the state program was skipped at the failure (the SYN timeout or
 * the reset came in a softirq that interrupted another BPF program: t_42):
 * the failure is that row's end, healed here with the error, and reported
 * from it (on_close), once. Otherwise no connection existed. */
void ct_apply_connerr(struct conntab *t, const struct tl_rec *e)
{
	struct entry *en = ct_get_sk(t, e->skaddr);
	struct conn_error ce = {
		.ts_ns = e->ts_ns, .owner = e->owner, .owner_known = true, .tuple = e->tuple,
		.err = e->sk_err, .netns = e->netns,
	};

	if (en && !en->c.closed && !en->tw && en->c.state == TL_SYN_SENT &&
	    (!e->birth_ns || en->c.birth_ns == e->birth_ns)) {
		struct tl_rec end = *e;

		/* Its row began at the connect()'s return, after tcp_disconnect()
		 * had cleared the remote end: the caller's sockaddr gives it back
		 * (the index keeps the key it was entered under). */
		if (!en->c.tuple.dport && e->tuple.family == en->c.tuple.family) {
			memcpy(en->c.tuple.daddr, e->tuple.daddr, sizeof(en->c.tuple.daddr));
			en->c.tuple.dport = e->tuple.dport;
		}
		end.tuple = en->c.tuple;
		ct_heal_close(t, en, &end, e->sk_err);
		return;
	}
	connect_error(t, &ce, e->cgroup);
}

/* The row's end says its connect() failed: a SYN_SENT ended by an error
 * (a reset: ECONNREFUSED; SYN retries run out: ETIMEDOUT, or the ICMP
 * error the retries met; an ICMP unreachable), not by the owner's close. */
static void row_connect_error(struct conntab *t, const struct conn *c, int err, uint64_t ts)
{
	struct conn_error ce = {
		.ts_ns = ts, .owner = c->owner, .owner_known = c->owner_known, .tuple = c->tuple,
		.err = err, .netns = c->netns,
	};

	connect_error(t, &ce, c->cgroup);
}

/* A socket that is no connection: a record of a socket never seen, in
 * CLOSE, its tuple incomplete. A connect() that failed inside the call
 * (EADDRNOTAVAIL: SYN_SENT and back to CLOSE with no local port) left such
 * a socket; kernel sides before connect_error sent its OWNER record, which
 * made a row that never ended ("ends not seen" at exit). */
static bool no_connection(const struct tl_rec *e)
{
	return e->type != TL_REC_STATE && e->oldstate == TL_CLOSE &&
	       (!e->tuple.sport || !e->tuple.dport);
}

/* The record's socket: the live entry for skaddr, or a new one. A record
 * with another birth time means the address was reused: the old life ended
 * without its end being seen (or is lingering) and is written now. */
static struct entry *lookup(struct conntab *t, const struct tl_rec *e)
{
	struct entry *en = ct_get_sk(t, e->skaddr);
	bool birth_rec = e->type == TL_REC_STATE && (e->oldstate == TL_CLOSE || e->oldstate == TL_LISTEN);

	if (!en && !birth_rec) {
		en = adopt_synthetic(t, e);
		if (en)
			return en;
		if (no_connection(e))
			return NULL;
	}
	if (en && (en->c.birth_ns != e->birth_ns || birth_rec)) {
		if (e->birth_ns && en->c.birth_ns > e->birth_ns)
			return NULL; /* a trailing record of an older life */
		if (!en->c.closed) {
			t->unseen++; /* its end never came (also BPF's stale, if it missed the destroy) */
			en->c.cause = CAUSE_LOST;
			en->c.closed = true;
			en->c.end_ns = e->ts_ns;
		}
		ct_finish(t, en);
		en = NULL;
	}
	return en ? en : create(t, e);
}

/* A child nobody accepted yet carries its listener's owner (STATE and SEED
 * records, TL_K_LISTENER_OWNER): shown until a process takes it. */
static void set_listener_owner(struct conn *c, const struct tl_rec *e)
{
	if ((e->type != TL_REC_STATE && e->type != TL_REC_SEED) ||
	    !(e->kind & TL_K_LISTENER_OWNER) || (c->owner_known && !c->owner_listener))
		return;
	c->owner_ts = e->ts_ns;
	c->owner = e->owner;
	c->owner_known = true;
	c->owner_listener = true;
	c->fd = -1; /* the listener's fd is not this socket's */
	if (e->type != TL_REC_STATE || e->newstate != TL_CLOSE)
		c->cgroup = e->cgroup;
}

/* No other holders known (a new owner, a new scan). */
static void clear_others(struct conn *c)
{
	if (c->x)
		c->x->n_others = 0, c->x->others_truncated = false;
}

/* Every record carries the owner the kernel side held when it was stamped,
 * so the newest one wins: a hand-over at close() or a holder scan changes
 * it. Newest by the kernel's clock, not by arrival: a holder scan's records
 * come straight from the iterator and overtake ring-buffer records written
 * before it, such as the forking parent's hand-over at close(), which would
 * otherwise undo the scan and name the parent for good (t_17 under TCG). */
static void set_owner(struct entry *en, const struct tl_rec *e)
{
	struct conn *c = &en->c;

	if (e->ts_ns < c->owner_ts)
		return;
	if (!(e->flags & TL_F_OWNER_KNOWN)) {
		set_listener_owner(c, e);
		return;
	}
	if (!c->owner_known || c->owner.pid != e->owner.pid)
		clear_others(c);
	c->owner_ts = e->ts_ns;
	c->owner = e->owner;
	c->owner_known = true;
	c->owner_listener = false;
	c->owner_released = e->flags & TL_F_RELEASED;
	/* A STATE record to CLOSE carries byte counts in place of fd/cgroup. */
	if (e->type != TL_REC_STATE || e->newstate != TL_CLOSE) {
		c->fd = e->fd;
		c->cgroup = e->cgroup;
	}
}

static void add_holder(struct conn *c, const struct tl_rec *e)
{
	/* Out of memory: the holder goes unnamed, as the owner of a socket
	 * with no entry would (create()). */
	struct conn_extra *x = conn_extra(c);
	struct holder *h;

	if (!x)
		return;
	for (unsigned int i = 0; i < x->n_others; i++)
		if (x->others[i].pid == e->owner.pid && x->others[i].fd == e->fd)
			return; /* the same one again (an iterator's retried record) */
	if (x->n_others >= CONN_MAX_OTHERS) {
		x->others_truncated = true;
		return;
	}
	h = &x->others[x->n_others++];
	h->pid = e->owner.pid;
	h->fd = e->fd;
	memcpy(h->comm, e->owner.comm, TL_COMM_LEN);
}

/* The stream sees the CLOSE only when it is one: a hand-over shows as the
 * inferred step into TIME_WAIT instead. */
/* A child that lost the race to its twin: two ACKs of one request (the
 * client's, and its answer to a SYN-ACK resent for a retransmitted SYN)
 * handled at once on two CPUs make two children in tcp_check_req(); the
 * one whose inet_ehash_insert() finds the request gone is closed at once,
 * never hashed (inet_ehash_nolisten()): SYN_RECV -> CLOSE, no reset, no
 * error, while the winner, same 4-tuple and namespace, lives on (seen in
 * the kernel matrix under TCG: t_02 on 6.12, t_24 on 6.1). It never was a
 * connection; the winner is the row. */
static bool lost_twin(struct conntab *t, const struct entry *en, const struct tl_rec *e)
{
	const struct conn *c = &en->c;
	const struct entry *w;

	if (c->role != ROLE_PASSIVE || e->oldstate != TL_SYN_RECV || c->path_len != 1 || e->sk_err ||
	    c->rst_sent || c->rst_recv)
		return false;
	/* The kernel side saw it closed unhashed (TL_K_UNHASHED, state.bpf.c),
	 * which is certain whenever the twin's records come: the twin's first
	 * record (its SYN_RECV -> ESTABLISHED, the birth held back) can follow
	 * this CLOSE in the ring by any time its CPU takes to get there (seen
	 * in the kernel matrix under load: t_02 on 6.12 fentry and kprobe,
	 * t_24 on 6.1 fentry). A twin already here says the same. */
	if (e->kind & TL_K_UNHASHED)
		return true;
	w = ct_get_tuple(t, &en->key);
	return w && w != en && !w->c.closed && !w->tw && w->c.role == ROLE_PASSIVE &&
	       (!w->c.netns || !c->netns || w->c.netns == c->netns);
}

static void on_close(struct conntab *t, struct entry *en, const struct tl_rec *e,
		     uint64_t old_ns, bool old_known)
{
	struct conn *c = &en->c;
	uint8_t old = e->oldstate;
	int err = e->sk_err;
	uint64_t ts = e->ts_ns;
	enum close_cause cause;

	c->bytes_acked = e->bytes_acked;
	c->bytes_received = e->bytes_received;
	c->bytes_known = true;
	conn_settle(c, ts);
	if (e->netns && !c->netns)
		c->netns = e->netns;
	if (old == TL_SYN_SENT && err > 0)
		row_connect_error(t, c, err, ts);
	if (lost_twin(t, en, e)) {
		t->lost_twins++;
		ct_drop(t, en);
		return;
	}

	if (err == ECONNREFUSED || (old == TL_SYN_SENT && (c->rst_recv || err == ECONNRESET)))
		cause = CAUSE_REFUSED;
	else if (c->rst_recv || err == ECONNRESET || err == EPIPE)
		cause = CAUSE_RST_RECV;
	else if (err == ETIMEDOUT)
		cause = old == TL_SYN_SENT ? CAUSE_SYN_TIMEOUT : CAUSE_TIMEOUT;
	else if (c->rst_sent)
		cause = CAUSE_RST_SENT;
	else if (old == TL_CLOSING || old == TL_FIN_WAIT2) {
		/* tcp_time_wait(): a timewait sock takes over, in TIME_WAIT if the
		 * peer's FIN is in (SOCK_DONE, or CLOSING), else in FIN_WAIT2 until
		 * it comes. The sock may also never exist (tcp_max_tw_buckets):
		 * the listings tell. */
		if (e->netns)
			c->netns = e->netns;
		ct_tw_begin(t, en, old,
			 old == TL_CLOSING || (e->flags & TL_F_PEER_FIN) ? TL_TIME_WAIT : TL_FIN_WAIT2, ts);
		return;
	} else if (old == TL_LAST_ACK) {
		cause = CAUSE_FIN;
	} else {
		cause = CAUSE_ABORT;
	}
	conn_enter(c, TL_CLOSE, ts);
	ct_notify(t, TR_STATE, 0, ts, c, old, TL_CLOSE, old_ns, old_known);
	ct_peer_gone(t, en, ts);
	ct_end_conn(t, en, cause, ts);
}

void ct_apply_state(struct conntab *t, struct entry *en, const struct tl_rec *e)
{
	struct conn *c = &en->c;
	uint8_t old = e->oldstate, new = e->newstate;
	uint64_t ts = e->ts_ns, old_ns = 0;
	bool old_known = false, fin = tl_sends_fin(old, new);

	if (e->oldstate == TL_CLOSE || e->oldstate == TL_LISTEN) {
		ct_notify(t, TR_STATE, 0, ts, c, old, new, 0, false); /* just born */
		return;
	}
	if (c->state != old) {
		/* A record was lost in between: close out what we had. A ringbuf
		 * drop: the kernel side saw the state begin (entered_ns). A gap
		 * (no program of ours ran for the change, counted there): its
		 * entered_ns is still the earlier state's, and when the missed
		 * state began is not known, so neither is how long it lasted. */
		if (!e->entered_ns || e->entered_ns <= c->state_entered_ns)
			c->inferred = true;
		conn_settle(c, e->entered_ns && e->entered_ns < ts ? e->entered_ns : ts);
		c->state = old;
		conn_path_add(c, old);
		if (e->entered_ns)
			c->state_entered_ns = e->entered_ns;
	}
	if (e->entered_ns && ts >= e->entered_ns) {
		old_ns = ts - e->entered_ns;
		old_known = true;
	}
	update_tuple(c, &e->tuple);
	if (old == TL_SYN_RECV && new == TL_ESTABLISHED && c->role == ROLE_PASSIVE) {
		/* What the child inherited from its request is the kernel's own
		 * count and, on 6.7+, its own clock: it overrides our inference. */
		bool inferred;
		uint64_t syn = req_syn_start(e, NULL, &inferred);

		if (syn && syn < e->ts_ns)
			req_set_start(c, syn, inferred);
		if (e->req_retrans > c->synack_retrans)
			c->synack_retrans = e->req_retrans;
	}
	if (fin && t->cfg.fin_inferred)
		c->fin_sent++;
	if (new == TL_CLOSE) {
		on_close(t, en, e, old_ns, old_known);
		return;
	}
	conn_enter(c, new, ts);
	ct_notify(t, TR_STATE, 0, ts, c, old, new, old_ns, old_known);
	if (fin)
		ct_peer_fin(t, en, ts);
}

/* Counted in segments, as TcpRetransSegs and the socket's total_retrans
 * are: a retransmitted GSO skb is `segs` of them. A SYN or FIN skb that
 * carries data too is one SYN/FIN retransmit and segs - 1 data ones. */
static void count_retrans(struct conn *c, const struct tl_rec *e)
{
	uint32_t segs = e->segs ? e->segs : 1;

	if (e->kind == TL_RT_SYN)
		c->syn_retrans++;
	else if (e->kind == TL_RT_FIN)
		c->fin_retrans++;
	else
		segs++; /* all of them data */
	c->data_retrans += segs - 1;
}

void ct_apply_record(struct conntab *t, const struct tl_rec *e)
{
	struct entry *en;

	en = lookup(t, e);
	if (!en)
		return;
	if ((e->type == TL_REC_OWNER || e->type == TL_REC_HOLDER) && (e->flags & TL_F_FILTERED)) {
		/* The owner is known now and is not one of -p. */
		ct_drop(t, en);
		return;
	}
	if (e->type == TL_REC_HOLDER && e->kind == TL_HOLDER_OTHER) {
		add_holder(&en->c, e);
		return;
	}
	if (e->type == TL_REC_HOLDER)
		clear_others(&en->c); /* a new scan */
	set_owner(en, e);
	/* A listener's owner that is not one of -p: the child may still be
	 * accepted by one that is (a pre-forked worker); decided at the end. */
	if (en->c.owner_known && !en->c.owner_listener &&
	    !filter_owner_wanted(t->cfg.filter, &en->c.owner, en->c.cgroup)) {
		ct_drop(t, en);
		return;
	}
	switch (e->type) {
	case TL_REC_STATE:
		ct_apply_state(t, en, e);
		break;
	case TL_REC_RETRANS:
		count_retrans(&en->c, e);
		if (e->kind == TL_RT_SYN && e->oldstate == TL_SYN_SENT && t->cfg.syn_retrans)
			t->cfg.syn_retrans(t->cfg.syn_ctx, &en->c);
		ct_notify(t, TR_RETRANS, e->kind, e->ts_ns, &en->c, e->oldstate, e->oldstate, 0, false);
		break;
	case TL_REC_RESET:
		if (e->kind == TL_RST_SENT) {
			en->c.rst_sent++;
			/* tcp_disconnect()/tcp_close() set CLOSE, then send the RST. */
			if (en->c.closed && en->c.cause == CAUSE_ABORT)
				en->c.cause = CAUSE_RST_SENT;
		} else {
			en->c.rst_recv++;
		}
		ct_notify(t, TR_RESET, e->kind, e->ts_ns, &en->c, e->oldstate, e->oldstate, 0, false);
		break;
	case TL_REC_FIN:
		if (!t->cfg.fin_inferred)
			en->c.fin_sent++;
		ct_notify(t, TR_FIN, 0, e->ts_ns, &en->c, e->oldstate, e->oldstate, 0, false);
		break;
	case TL_REC_OWNER:
	case TL_REC_HOLDER:
		update_tuple(&en->c, &e->tuple);
		break;
	case TL_REC_SEED:
		en->c.preexisting = true;
		if (!en->seeded)
			t->seeded++;
		en->seeded = true;
		break;
	default:
		break;
	}
}

