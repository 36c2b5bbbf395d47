// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The socks inet_sock_set_state never shows, as conntab sees them:
 *  - timewait socks: a CLOSE from FIN_WAIT2/CLOSING hands the connection
 *    to one; the record is complete only when it is gone. The hooked
 *    tiers (TL_REC_TW) say when; without them sock_diag listings do
 *    (conntab_watch_*, fed by sockwatch.c).
 *  - request socks: a passive connection's SYN_RECV starts at its SYN, and
 *    a request that never completes is written as its own record.
 */
#include <stdlib.h>
#include "conntab_priv.h"

/* The timewait sock is gone at `end`: the connection's record is complete. */
static void tw_end(struct conntab *t, struct entry *en, enum close_cause cause, uint64_t end)
{
	struct conn *c = &en->c;

	uint8_t from = c->state;
	uint64_t spent;

	if (end < c->state_entered_ns)
		end = c->state_entered_ns;
	spent = end - c->state_entered_ns;
	ct_enter(c, TL_CLOSE, end);
	ct_notify(t, TR_INFERRED, 0, end, c, from, TL_CLOSE, spent, true);
	ct_end_conn(t, en, cause, end);
}

/* The state the hand-over led to, once it is certain (a listing, or no
 * listing possible): a TIME_WAIT hand-over shows as its own step. */
void ct_tw_confirm(struct conntab *t, struct entry *en)
{
	struct conn *c = &en->c;

	en->tw_listed = true;
	if (en->tw_sub == TL_TIME_WAIT) {
		ct_enter(c, TL_TIME_WAIT, en->tw_since);
		ct_notify(t, TR_INFERRED, 0, en->tw_since, c, en->tw_from, TL_TIME_WAIT,
		       c->state_ns[en->tw_from], true);
	}
	if (en->tw_peer_fin && c->state == TL_FIN_WAIT2) {
		ct_enter(c, TL_TIME_WAIT, en->tw_peer_fin);
		ct_notify(t, TR_INFERRED, 0, en->tw_peer_fin, c, TL_FIN_WAIT2, TL_TIME_WAIT,
		       c->state_ns[TL_FIN_WAIT2], true);
	}
}

/* No listing can tell what the timewait sock did (its namespace is gone or
 * not reachable): write what the hand-over itself told, durations after it
 * unmeasured, as before timewait tracking. */
static void tw_give_up(struct conntab *t, struct entry *en, uint64_t now)
{
	struct conn *c = &en->c;

	if (!en->tw_listed)
		ct_tw_confirm(t, en);
	c->unmeasured |= BIT(c->state);
	t->tw_unconfirmed++;
	ct_end_conn(t, en, CAUSE_FIN, now > c->state_entered_ns ? c->state_entered_ns : now);
}

/* A timewait sock gone before its timer, at `ts` (hooked: exact; listings:
 * an estimate, found by the listing at `gone`). A connect() that reuses its
 * 4-tuple does that before the new socket's first record leaves (its port
 * is chosen after SYN_SENT, the record comes at ESTABLISHED), and a listing
 * can run in between, so wait a little, by record time, for that record
 * before calling it killed: under TCG, listings read reuses as kills. */
static void tw_kill_pending(struct conntab *t, struct entry *w, uint64_t ts, uint64_t gone)
{
	if (w->tw_killed_ns)
		return;
	w->tw_killed_ns = ts;
	w->tw_gone_ns = gone;
	t->tw_killed_n++;
}

/* Not killed after all, or its end is now known: no longer a pending kill. */
static void tw_unkill(struct conntab *t, struct entry *w)
{
	w->tw_killed_ns = w->tw_gone_ns = 0;
	w->tw_gone_twice = false;
	t->tw_killed_n--;
}

/* The connection still waiting in the timewait sock of this 4-tuple, in
 * `netns` (0: any). An ended one lingers in `tw`: a record about the
 * 4-tuple is then about another sock. */
static struct entry *tw_live(struct conntab *t, const struct tkey *k, uint32_t netns)
{
	struct entry *w = hmap_get(&t->tw, k);

	if (!w || w->c.closed || (netns && w->c.netns && netns != w->c.netns))
		return NULL;
	return w;
}

/* The 4-tuple lived again before this hand-over was read: tcp_time_wait()
 * hashes the timewait sock before tcp_done() reports the CLOSE, and another
 * CPU's connect() can reuse it in between, its records overtaking ours (seen
 * under TCG: two reuses TcpExtTWRecycled counted were read as kills). */
/* Hooked: inet_twsk_kill() at `ts`, by its timer, its namespace's
 * teardown, or early. */
static void tw_hook_end(struct conntab *t, struct entry *w, uint64_t ts, bool expired, bool gone)
{
	if (gone)
		tw_end(t, w, CAUSE_NETNS_GONE, ts);
	else if (expired)
		tw_end(t, w, w->c.state == TL_FIN_WAIT2 ? CAUSE_FIN_WAIT2_TIMEOUT : CAUSE_FIN, ts);
	else
		tw_kill_pending(t, w, ts, 0);
}

static void tw_reborn(struct conntab *t, struct entry *en, uint64_t ts)
{
	if (en->reborn_ns)
		ct_tw_reused(t, &en->key, en->c.netns, ts, false);
}

/* The connection passed to a timewait sock at `ts` (tcp_time_wait()); it
 * is complete only when that sock is gone, which a listing will show. */
void ct_tw_begin(struct conntab *t, struct entry *en, uint8_t from, uint8_t sub, uint64_t ts)
{
	struct entry *old = hmap_get(&t->tw, &en->key);

	if (old) /* the same 4-tuple in another namespace: settle the older one */
		tw_give_up(t, old, ts);
	if (hmap_get(&t->by_sk, &en->c.skaddr) == en)
		hmap_del(&t->by_sk, &en->c.skaddr); /* the socket itself is gone */
	if (en->indexed && hmap_get(&t->by_tuple, &en->key) == en)
		hmap_del(&t->by_tuple, &en->key);
	en->indexed = false;
	en->tw_from = from;
	en->tw_sub = sub;
	en->tw_since = ts;
	if (t->cfg.tw_hooked) {
		/* The hooks saw the sock begin, just before this CLOSE, or
		 * tcp_time_wait() made none (tcp_max_tw_buckets): exact. */
		struct tw_note *note = hmap_del(&t->tw_notes, &en->key);

		if (!note) {
			en->tw_listed = true;
			tw_end(t, en, CAUSE_TW_OVERFLOW, ts);
			return;
		}
		en->tw_sub = note->sub;
		if (hmap_put(&t->tw, &en->key, en)) {
			free(note);
			tw_give_up(t, en, ts);
			return;
		}
		en->tw = true;
		ct_tw_confirm(t, en);
		/* Ended before this CLOSE was read: as its TW_END would have. */
		if (note->end_ns)
			tw_hook_end(t, en, note->end_ns, note->end_expired, note->end_gone);
		free(note);
		if (!en->c.closed)
			tw_reborn(t, en, ts);
		return;
	}
	/* No namespace, nothing to list in: settle on the hand-over alone. */
	if (!en->c.netns || hmap_put(&t->tw, &en->key, en)) {
		en->tw = false;
		tw_give_up(t, en, ts);
		return;
	}
	en->tw = true;
	en->c.inferred = true; /* what follows comes from listings */
	tw_reborn(t, en, ts);
}


/* fentry/kprobe tiers: a timewait sock began, changed substate or ended. */
void ct_apply_tw(struct conntab *t, const struct tl_rec *e)
{
	struct tkey k;
	struct entry *w;

	ct_make_key(&e->tuple, false, &k);
	if (e->kind == TL_TW_BEGIN) {
		struct tw_note *n = hmap_get(&t->tw_notes, &k);

		if (!n) {
			n = calloc(1, sizeof(*n));
			if (!n || hmap_put(&t->tw_notes, &k, n)) {
				free(n);
				return; /* its CLOSE will read as an overflow */
			}
		}
		n->ts = e->ts_ns;
		n->netns = e->netns;
		n->sub = e->newstate;
		n->end_ns = 0;
		return;
	}
	w = tw_live(t, &k, e->netns);
	if (!w) {
		/* Its CLOSE is still behind in the ring buffer: the sock is
		 * hashed before tcp_done() reports it, and another CPU's
		 * segment or connect() can get to it first (kernel matrix,
		 * 6.1, t_10: the peer's FIN). Keep it on the note. */
		struct tw_note *n = hmap_get(&t->tw_notes, &k);

		if (!n || (e->netns && n->netns && e->netns != n->netns))
			return;
		if (e->kind == TL_TW_RESCHED && n->sub == TL_FIN_WAIT2 && e->newstate == TL_TIME_WAIT)
			n->sub = TL_TIME_WAIT;
		else if (e->kind >= TL_TW_END && !n->end_ns) {
			n->end_ns = e->ts_ns;
			n->end_expired = e->flags & TL_F_EXPIRED;
			n->end_gone = e->kind == TL_TW_GONE;
		}
		return;
	}
	if (e->kind == TL_TW_RESCHED) {
		/* The peer's FIN came: tcp_timewait_state_process() rearms the
		 * timer for TIME_WAIT. (A rearm in TIME_WAIT restarts it.) */
		if (w->c.state == TL_FIN_WAIT2 && e->newstate == TL_TIME_WAIT) {
			ct_enter(&w->c, TL_TIME_WAIT, e->ts_ns);
			ct_notify(t, TR_STATE, 0, e->ts_ns, &w->c, TL_FIN_WAIT2, TL_TIME_WAIT,
			       w->c.state_ns[TL_FIN_WAIT2], true);
		}
		return;
	}
	tw_hook_end(t, w, e->ts_ns, e->flags & TL_F_EXPIRED, e->kind == TL_TW_GONE);
}

/* A timewait sock sent a reset (TL_RST_TW_SENT): the peer's data or FIN
 * reached an orphaned FIN_WAIT2 or a TIME_WAIT that must refuse it, and
 * tcp_v4_rcv()/tcp_v6_rcv() deschedule the sock right after (TCP_TW_RST).
 * Its connection ends here, exactly, whatever a listing guessed since. A
 * sock we follow no connection for (filtered, or born before the tool)
 * is not ours to count. */
void ct_apply_tw_reset(struct conntab *t, const struct tl_rec *e)
{
	struct tkey k;
	struct entry *w;

	ct_make_key(&e->tuple, false, &k);
	w = tw_live(t, &k, e->netns);
	if (!w)
		return;
	if (!w->tw_listed)
		ct_tw_confirm(t, w);
	if (w->tw_killed_ns) /* a listing saw it gone; this says how */
		tw_unkill(t, w);
	w->c.rst_sent++;
	ct_notify(t, TR_RESET, TL_RST_SENT, e->ts_ns, &w->c, w->c.state, w->c.state, 0, false);
	tw_end(t, w, CAUSE_RST_SENT, e->ts_ns);
}

/* fentry/kprobe tiers: a request was hashed (its SYN came) or unhashed. */
void ct_apply_req(struct conntab *t, const struct tl_rec *e)
{
	struct tkey k;
	struct pending_synack *p;

	ct_make_key(&e->tuple, false, &k);
	p = hmap_get(&t->synacks, &k);
	if (e->kind == TL_REQ_END) {
		if (p) /* written after the linger, unless its child shows up */
			p->end_ns = e->ts_ns;
		return; /* else its child took it over already */
	}
	if (!p) {
		p = calloc(1, sizeof(*p));
		if (!p || hmap_put(&t->synacks, &k, p)) {
			free(p);
			return;
		}
		p->tuple = e->tuple;
	}
	p->netns = e->netns;
	/* A new request on the same 4-tuple after one was unhashed (6.1 drops
	 * a request whose SYN-ACK retransmit fails, and the client's next SYN
	 * makes another): one handshake, from its first SYN, as the other
	 * tiers see it. */
	if (!p->begin_ns)
		p->begin_ns = e->ts_ns;
	p->end_ns = 0;
}

/* A new life of a 4-tuple whose timewait sock we follow, begun at `ts`: the
 * kernel reused it (tcp_tw_reuse on connect(), or a new SYN accepted in
 * TIME_WAIT). */
void ct_tw_reused(struct conntab *t, const struct tkey *k, uint32_t netns, uint64_t ts, bool active)
{
	struct entry *w = tw_live(t, k, netns);

	if (!w)
		return;
	if (!w->tw_listed)
		ct_tw_confirm(t, w);
	if (w->tw_killed_ns) {
		t->tw_killed_n--;
		/* connect() deschedules the sock it reuses from inside the
		 * call, after its socket entered SYN_SENT (tcp_v4_connect() and
		 * tcp_v6_connect() set the state, then pick the port). A sock
		 * already gone when this connection began was ended by
		 * something else, an RST, and the port was simply free again:
		 * seen on 6.1 under TCG (t_10), where TcpExtTWRecycled did not
		 * count it. A passive reuse kills the sock before its SYN makes
		 * the request, so this holds for connect() only. */
		if (!w->tw_gone_ns && active && ts > w->tw_killed_ns) {
			tw_end(t, w, CAUSE_TW_KILLED, w->tw_killed_ns);
			return;
		}
		/* Hooked: the reuse descheduled it then, exactly. Listings: the
		 * new connection's start is nearer than their estimate. */
		if (!w->tw_gone_ns)
			ts = w->tw_killed_ns;
	}
	tw_end(t, w, CAUSE_TW_REUSE, ts);
}

void ct_tw_settle_killed(struct conntab *t, bool all)
{
	size_t b;
	struct hmap_node *n, *next;
	/* The kernel's time as far as we know it: records, or listings on a
	 * quiet host. */
	uint64_t now = t->last_ts > t->w_start ? t->last_ts : t->w_start;

	if (!t->tw_killed_n)
		return;
	hmap_for_each_safe(&t->tw, n, next, b) {
		struct entry *w = n->value;
		uint64_t since = w->tw_gone_ns ? w->tw_gone_ns : w->tw_killed_ns;

		if (!w->tw_killed_ns || (!all && since + TW_REUSE_WAIT_NS > now))
			continue;
		if (!all && w->tw_gone_ns && !w->tw_gone_twice)
			continue; /* one listing's absence is not proof: see conntab_watch_sock() */
		t->tw_killed_n--;
		tw_end(t, w, CAUSE_TW_KILLED, w->tw_killed_ns);
	}
}

/* The request's SYN arrived (the child joining its SYN-ACK retransmits).
 * Since 6.7 the child inherits the time since the first SYN-ACK in
 * total_rto_time (ms, the kernel's own clock); before, the request timer's
 * fixed schedule places the SYN one TCP_TIMEOUT_INIT before the first
 * retransmit, to within the timer wheel's slack. */
uint64_t ct_request_start(const struct tl_rec *e, const struct pending_synack *p, bool *inferred)
{
	/* total_rto_time is taken when the child is created: at its birth. */
	uint64_t child = e->birth_ns ? e->birth_ns : e->ts_ns;

	*inferred = false;
	if (p && p->begin_ns)
		return p->begin_ns; /* hooked: the request was hashed as its SYN came */
	if (e->type == TL_REC_STATE && e->oldstate == TL_SYN_RECV && e->newstate == TL_ESTABLISHED &&
	    e->req_rto_ms != TL_REQ_RTO_UNKNOWN && e->req_rto_ms && e->req_rto_ms * MS < child)
		return child - e->req_rto_ms * MS;
	if (p && p->first_ns > REQ_RTO_INIT_NS) {
		*inferred = true;
		return p->first_ns - REQ_RTO_INIT_NS;
	}
	return 0;
}

/* Move a passive connection's start back to its SYN: the SYN_RECV phase is
 * the request's, not the child's few microseconds. */
void ct_set_request_start(struct conn *c, uint64_t syn, bool inferred)
{
	if (!syn || !c->start_exact || !c->path_len || c->path[0] != TL_SYN_RECV)
		return;
	if (c->state == TL_SYN_RECV)
		c->state_entered_ns = syn; /* not settled yet */
	else
		c->state_ns[TL_SYN_RECV] += c->start_ns - syn; /* wraps right if syn is later */
	c->start_ns = syn;
	c->inferred = inferred;
}

/* A passive child: its request's SYN-ACK retransmits and SYN_RECV phase. */
void ct_join_request(struct conntab *t, struct entry *en, const struct tl_rec *e)
{
	struct pending_synack *p = hmap_del(&t->synacks, &en->key);
	bool inferred;
	uint64_t syn;

	if (p)
		en->c.synack_retrans += p->count;
	syn = ct_request_start(e, p, &inferred);
	if (syn < en->c.start_ns)
		ct_set_request_start(&en->c, syn, inferred);
	free(p);
}

/* The connection in a FIN_WAIT2 timewait sock whose peer is `peer`, if the
 * peer is local and traced. */
/* The timewait sock of a traced local peer's other end. */
static struct entry *tw_of_peer(struct conntab *t, const struct entry *peer)
{
	struct tkey k;

	ct_make_key(&peer->c.tuple, true, &k);
	return hmap_get(&t->tw, &k);
}

static struct entry *tw_partner(struct conntab *t, const struct entry *peer)
{
	struct entry *w = tw_of_peer(t, peer);

	return w && w->c.state == TL_FIN_WAIT2 ? w : NULL;
}

/* A listing placed the sock's TIME_WAIT from its timer (to a jiffy or so)
 * before the peer's exact FIN was read: the record, read later, wins. The
 * listing and the record race by up to a second (t_08 saw TIME_WAIT begin
 * 0.4 ms before the peer's close() was even called). */
static void tw_refine(struct entry *w, uint64_t ts)
{
	struct conn *c = &w->c;

	if (!w->tw_estimated || c->closed || c->state != TL_TIME_WAIT)
		return;
	w->tw_estimated = false;
	if (ts > c->state_entered_ns)
		c->state_ns[TL_FIN_WAIT2] += ts - c->state_entered_ns;
	else if (c->state_ns[TL_FIN_WAIT2] >= c->state_entered_ns - ts)
		c->state_ns[TL_FIN_WAIT2] -= c->state_entered_ns - ts;
	else
		return;
	c->state_entered_ns = ts;
}

/* A FIN_WAIT2 timewait sock's local peer sent its FIN: the sock moves to
 * TIME_WAIT when it arrives (same host: microseconds later). This time is
 * exact; a listing would only bound it. */
void ct_peer_fin(struct conntab *t, struct entry *peer, uint64_t ts)
{
	struct entry *w = tw_of_peer(t, peer);

	if (!w)
		return;
	if (w->c.state != TL_FIN_WAIT2) {
		tw_refine(w, ts);
		return;
	}
	if (!w->tw_listed) {
		w->tw_peer_fin = ts; /* applied when the hand-over is confirmed */
		return;
	}
	ct_enter(&w->c, TL_TIME_WAIT, ts);
	ct_notify(t, TR_INFERRED, 0, ts, &w->c, TL_FIN_WAIT2, TL_TIME_WAIT, w->c.state_ns[TL_FIN_WAIT2], true);
}

/* The local peer of a FIN_WAIT2 timewait sock reset the connection: an RST
 * kills the sock (tcp_timewait_state_process()). */
void ct_peer_gone(struct conntab *t, struct entry *peer, uint64_t ts)
{
	struct entry *w = tw_partner(t, peer);

	if (!w || !peer->c.rst_sent)
		return;
	if (!w->tw_listed)
		ct_tw_confirm(t, w);
	w->c.rst_recv++;
	tw_end(t, w, CAUSE_RST_RECV, ts);
}

void ct_apply_synack(struct conntab *t, const struct tl_rec *e)
{
	struct tkey k;
	struct pending_synack *p;
	struct conn tmp = { .tuple = e->tuple, .state = TL_SYN_RECV, .role = ROLE_PASSIVE };

	ct_make_key(&e->tuple, false, &k);
	p = hmap_get(&t->synacks, &k);
	if (!p) {
		p = calloc(1, sizeof(*p));
		if (!p || hmap_put(&t->synacks, &k, p)) {
			free(p);
			t->synack_orphans++;
			return;
		}
		p->first_ns = e->ts_ns;
		p->tuple = e->tuple;
		p->netns = e->netns;
	}
	p->last_ns = e->ts_ns;
	p->count++;
	tmp.synack_retrans = p->count;
	ct_notify(t, TR_SYNACK, 0, e->ts_ns, &tmp, TL_SYN_RECV, TL_SYN_RECV, 0, false);
}

/* When a request's timer is next due after its last SYN-ACK retransmit. */
static uint64_t request_due(const struct pending_synack *p)
{
	uint64_t rto = p->count < 8 ? REQ_RTO_INIT_NS << p->count : REQ_RTO_MAX_NS;

	return (p->last_ns ? p->last_ns : p->begin_ns) + (rto < REQ_RTO_MAX_NS ? rto : REQ_RTO_MAX_NS);
}

/* A request that never completed: its own record, passive, ended in
 * SYN_RECV. Its start and end come from the request timer's schedule. */
static void half_open(struct conntab *t, struct pending_synack *p)
{
	struct entry *en = calloc(1, sizeof(*en));
	struct conn *c;
	/* Hooked: hashed and unhashed, exact. Else the timer's schedule, or
	 * the last listing that still held it (its timer ran late). */
	uint64_t due = p->end_ns ? p->end_ns : request_due(p);

	if (!p->end_ns && p->listed_ns > due)
		due = p->listed_ns;

	if (!en) {
		t->synack_orphans += p->count;
		return;
	}
	c = &en->c;
	c->tuple = p->tuple;
	c->netns = p->netns;
	c->role = ROLE_PASSIVE;
	if (p->begin_ns)
		c->start_ns = p->begin_ns;
	else
		c->start_ns = p->first_ns > REQ_RTO_INIT_NS ? p->first_ns - REQ_RTO_INIT_NS : p->first_ns;
	c->start_exact = true;
	c->state = TL_SYN_RECV;
	c->state_entered_ns = c->start_ns;
	ct_path_add(c, TL_SYN_RECV);
	c->synack_retrans = p->count;
	c->inferred = !p->end_ns;
	ct_settle(c, due);
	c->cause = CAUSE_SYNACK_TIMEOUT;
	c->closed = true;
	c->end_ns = due;
	ct_finish(t, en); /* never in an index: ct_finish() only writes and frees it */
}

/* Requests whose timer has run out without a new SYN-ACK: gone, unless a
 * listing of their namespace still holds them. A namespace never listed
 * (0: unknown) is decided on the schedule alone. A hooked request that was
 * unhashed is exact; one the hooks saw begin but not end is decided like
 * the others: reqsk_timer_handler() drops it through its own file's
 * inet_csk_reqsk_queue_drop(), which Debian's 6.1 inlines there (the
 * kernel matrix saw no end for a timed-out request). */
/* How long a request that ended waits for the client's next SYN on its
 * 4-tuple before it is written as a handshake of its own. The client's SYN
 * retransmits back off from its first SYN (1, 3, 7, 15 s ...), so the next
 * one comes about as long after a request's early end (6.1 drops one whose
 * SYN-ACK retransmit failed) as the handshake has lasted so far. A fixed
 * REQ_GRACE_NS split one handshake into two rows when the SYN-ACKs stayed
 * blocked to a 4th SYN retransmit (7 s gap; kernel matrix under load, t_24). */
static uint64_t retry_grace(const struct pending_synack *p, uint64_t end)
{
	uint64_t begun = p->begin_ns ? p->begin_ns : p->first_ns;
	uint64_t lasted = begun && end > begun ? end - begun : 0;
	uint64_t g = lasted + lasted / 2 + SEC; /* with room for late timers */

	return g > REQ_GRACE_NS ? g : REQ_GRACE_NS;
}

void ct_expire_requests(struct conntab *t, uint64_t now_ns, bool listed_only, uint32_t netns,
			bool final)
{
	size_t b;
	struct hmap_node *n, *next;

	hmap_for_each_safe(&t->synacks, n, next, b) {
		struct pending_synack *p = n->value;

		/* A request that ended is written a grace later: the client's
		 * retransmitted SYN makes a new request on the same 4-tuple (6.1
		 * drops one whose SYN-ACK could not be sent), and that is the
		 * same handshake going on. At exit (`final`) no more can come. */
		uint64_t grace = final ? 0 : REQ_GRACE_NS;

		/* A listing of its namespace that no longer holds it. */
		if (listed_only && p->netns == netns && p->gen != t->w_gen)
			p->missed_ns = t->w_start;

		if (p->end_ns) {
			/* Hooked: ended when unhashed, unless its child came. */
			if (!final)
				grace = retry_grace(p, p->end_ns);
			if (listed_only || p->end_ns + t->cfg.linger_ns + grace > now_ns)
				continue;
		} else if (final) {
			/* Listed at or after its due time (the exit's own listing
			 * included): alive, its next SYN-ACK only late (timer
			 * slack), not timed out. Seen as a request still listed by
			 * ss at the exit of t_33 (tracepoint tier, 6.18). Unless
			 * a later listing missed it: dropped since (CI, 6.18,
			 * t_21: no row, its SYN-ACK retransmit counted unjoined). */
			if (request_due(p) > now_ns ||
			    (p->listed_ns >= request_due(p) && p->listed_ns > p->missed_ns))
				continue;
		} else if (listed_only ? p->netns != netns || p->gen == t->w_gen ||
					 request_due(p) + grace > t->w_start
				       : p->netns || request_due(p) + t->cfg.watch_slack_ns + grace > now_ns) {
			continue;
		}
		hmap_del(&t->synacks, n->key);
		half_open(t, p);
		free(p);
	}
}

size_t conntab_watch_netns(const struct conntab *t, uint32_t *ns, size_t max)
{
	size_t n = 0, b;
	struct hmap_node *h;

	/* With the hooks, timewait socks and hashed requests need no listing. */
	for (int m = t->cfg.tw_hooked; m < 2; m++) {
		const struct hmap *map = m ? &t->synacks : &t->tw;

		for (h = hmap_first(map, &b); h; h = hmap_next(map, h, &b)) {
			uint32_t id = m ? ((struct pending_synack *)h->value)->netns
					: ((struct entry *)h->value)->c.netns;

			if (m && ((struct pending_synack *)h->value)->end_ns)
				continue;
			ct_ns_add(ns, &n, max, id);
		}
	}
	return n;
}

void conntab_watch_begin(struct conntab *t, uint32_t netns, uint64_t start_ns)
{
	t->w_netns = netns;
	t->w_start = start_ns;
	t->w_gen++;
}

void conntab_watch_sock(struct conntab *t, const struct tl_tuple *tu, uint8_t state,
			bool timewait, uint32_t expires_ms)
{
	struct tkey k;
	struct entry *w;
	struct pending_synack *p;
	uint64_t due = t->w_start + expires_ms * MS;

	ct_make_key(tu, false, &k);
	if (state == TL_SYN_RECV) {
		p = hmap_get(&t->synacks, &k);
		if (p && p->netns == t->w_netns) {
			p->gen = t->w_gen;
			p->listed_ns = t->w_start;
		}
		return;
	}
	w = timewait ? hmap_get(&t->tw, &k) : NULL;
	if (!w && timewait && ct_heal_listed(t, &k, state, due))
		w = hmap_get(&t->tw, &k);
	if (!w || w->c.closed || w->c.netns != t->w_netns || w->tw_since > t->w_start)
		return;
	if (w->tw_gone_ns) {
		/* Listed again after a listing missed it: a dump walks the
		 * hash table in batches while socks come and go, and can skip
		 * one (suspected in the kernel matrix, 6.1, t_10). Alive. */
		tw_unkill(t, w);
	}
	if (!w->tw_listed)
		ct_tw_confirm(t, w);
	if (w->c.state == TL_FIN_WAIT2 && state == TL_TIME_WAIT) {
		/* The peer's FIN came since: TIME_WAIT's timer started then. */
		uint64_t at = due > TW_LEN_NS ? due - TW_LEN_NS : 0;

		if (at < w->c.state_entered_ns)
			at = w->c.state_entered_ns;
		if (at > t->w_start)
			at = t->w_start;
		ct_enter(&w->c, TL_TIME_WAIT, at);
		w->tw_estimated = true;
		ct_notify(t, TR_INFERRED, 0, at, &w->c, TL_FIN_WAIT2, TL_TIME_WAIT,
		       w->c.state_ns[TL_FIN_WAIT2], true);
	}
	w->tw_gen = t->w_gen;
	w->tw_seen_ns = t->w_start;
	w->tw_due_ns = due;
}

uint64_t conntab_watch_done(struct conntab *t, uint64_t tw_overflows)
{
	size_t b;
	struct hmap_node *n, *next;

	hmap_for_each_safe(&t->tw, n, next, b) {
		struct entry *w = n->value;
		uint64_t from, end;

		if (t->cfg.tw_hooked || w->c.netns != t->w_netns || w->tw_gen == t->w_gen ||
		    w->tw_since > t->w_start)
			continue;
		if (w->tw_killed_ns) {
			/* Missed by a second listing too: gone, not skipped. */
			if (w->tw_gone_ns && w->tw_gone_ns < t->w_start)
				w->tw_gone_twice = true;
			continue;
		}
		if (!w->tw_listed) {
			/* Never listed: tcp_time_wait() found no room for a timewait
			 * sock and closed at once, if the namespace's own counter
			 * says so; else it went before the first listing. */
			if (tw_overflows) {
				tw_overflows--;
				w->tw_listed = true; /* nothing to confirm: no TIME_WAIT */
				w->c.inferred = false;
				tw_end(t, w, CAUSE_TW_OVERFLOW, w->tw_since);
			} else {
				ct_tw_confirm(t, w);
				tw_kill_pending(t, w, (w->tw_since + t->w_start) / 2, t->w_start);
			}
			continue;
		}
		/* Gone between the last listing and this one: if its timer was
		 * due, it expired (the timer wheel fires up to 1/8 late); if not,
		 * something killed it early. The midpoint halves the error. */
		from = w->tw_due_ns > w->tw_seen_ns ? w->tw_due_ns : w->tw_seen_ns;
		if (w->tw_due_ns <= t->w_start) {
			end = from < t->w_start ? (from + t->w_start) / 2 : t->w_start;
			tw_end(t, w, w->c.state == TL_FIN_WAIT2 ? CAUSE_FIN_WAIT2_TIMEOUT : CAUSE_FIN, end);
		} else {
			tw_kill_pending(t, w, (w->tw_seen_ns + t->w_start) / 2, t->w_start);
		}
	}
	ct_expire_requests(t, t->w_start, true, t->w_netns, false);
	return tw_overflows;
}

/* The requests of a namespace no listing will see again: on their timer's
 * schedule alone. */
static void requests_unlisted(struct conntab *t, uint32_t netns)
{
	size_t b;
	struct hmap_node *n;

	for (n = hmap_first(&t->synacks, &b); n; n = hmap_next(&t->synacks, n, &b))
		if (((struct pending_synack *)n->value)->netns == netns)
			((struct pending_synack *)n->value)->netns = 0;
}

void conntab_watch_gone(struct conntab *t, uint32_t netns, uint64_t now_ns)
{
	size_t b;
	struct hmap_node *n, *next;

	hmap_for_each_safe(&t->tw, n, next, b) {
		struct entry *w = n->value;

		/* One a listing already missed went before the namespace did:
		 * ct_tw_settle_killed() decides it. */
		if (w->c.netns != netns || w->c.closed || w->tw_killed_ns)
			continue;
		if (!w->tw_listed)
			ct_tw_confirm(t, w);
		tw_end(t, w, CAUSE_NETNS_GONE, now_ns);
	}
	requests_unlisted(t, netns);
}

void conntab_watch_unreachable(struct conntab *t, uint32_t netns, uint64_t now_ns)
{
	size_t b;
	struct hmap_node *n, *next;

	hmap_for_each_safe(&t->tw, n, next, b) {
		struct entry *w = n->value;

		if (w->c.netns == netns)
			tw_give_up(t, w, now_ns);
	}
	requests_unlisted(t, netns);
}
