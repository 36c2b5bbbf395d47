// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The socks inet_sock_set_state never shows, as the table keeps them: the
 * connections handed to a timewait sock (the `tw` index, each with its
 * phase, twphase.c) and the requests not yet joined to a child (`synacks`,
 * reqphase.c). Records and listings are turned into the machines' events
 * here; what the machines answer is written to the table.
 */
#include <stdlib.h>
#include <string.h>
#include "conntab_priv.h"
#include "lsncount.h"

/* Feed one event to the connection's timewait phase and carry out what it
 * answers. The only place the phase changes: tw_killed_n stays exact. */
static struct tw_out ct_tw_feed(struct conntab *t, struct entry *en, const struct tw_ev *ev)
{
	struct tw_out out;
	bool was_killed = en->twp.state == TWP_KILLED;

	tw_step(&en->twp, &en->c, ev, &out);
	if (was_killed != (en->twp.state == TWP_KILLED))
		t->tw_killed_n += was_killed ? -1 : 1;
	for (unsigned int i = 0; i < out.n_steps; i++) {
		const struct tw_step *s = &out.steps[i];

		ct_notify(t, s->kind, 0, s->at, &en->c, s->from, s->to, s->old_ns, true);
	}
	if (out.gave_up)
		t->tw_unconfirmed++;
	if (out.ended)
		ct_end_conn(t, en, out.cause, out.end_at);
	return out;
}

static void tw_event(struct conntab *t, struct entry *en, enum tw_ev_kind kind, uint64_t ts)
{
	struct tw_ev ev = { .kind = kind, .ts = ts };

	ct_tw_feed(t, en, &ev);
}

/* The connection still waiting in the timewait sock of this 4-tuple, in
 * `netns` (0: any). */
static struct entry *tw_live(struct conntab *t, const struct tkey *k, uint32_t netns)
{
	struct entry *w = pindex_get(&t->tw, k);

	if (!w || w->c.closed || (netns && w->c.netns && netns != w->c.netns))
		return NULL;
	return w;
}

/* Hooked: how the hand-over can be followed, from the hooks' note of the
 * sock's birth (taken: the caller frees it). */
static enum tw_mode tw_mode_hooked(struct conntab *t, struct entry *en, struct tw_note **note)
{
	*note = hmap_del(&t->tw_notes, &en->key);
	/* The hooks saw the sock begin, just before this CLOSE, or
	 * tcp_time_wait() made none (tcp_max_tw_buckets): exact. */
	if (!*note)
		return TWM_NO_SOCK;
	if (pindex_put(&t->tw, en))
		return TWM_UNTRACKABLE;
	en->tw = true;
	return TWM_HOOKED;
}

void ct_tw_begin(struct conntab *t, struct entry *en, uint8_t from, uint8_t sub, uint64_t ts)
{
	struct entry *old = pindex_get(&t->tw, &en->key);
	struct tw_note *note = NULL;
	struct tw_ev ev = { .kind = TWE_HANDOVER, .from = from, .sub = sub, .ts = ts };
	uint64_t reborn_ns = 0;

	if (old) /* the same 4-tuple in another namespace: settle the older one */
		tw_event(t, old, TWE_GIVE_UP, ts);
	if (!en->handed) { /* twp held the pre-hand-over marks until now (conntab_priv.h) */
		reborn_ns = en->reborn_ns;
		memset(&en->twp, 0, sizeof(en->twp));
		en->handed = true;
	}
	pindex_remove(&t->by_sk, en); /* the socket itself is gone */
	if (en->indexed)
		pindex_remove(&t->by_tuple, en);
	en->indexed = false;
	if (t->cfg.tw_hooked) {
		ev.mode = tw_mode_hooked(t, en, &note);
		if (note)
			ev.sub = note->sub;
	} else if (en->c.netns && !pindex_put(&t->tw, en)) {
		en->tw = true;
		ev.mode = TWM_LISTINGS;
	} else {
		ev.mode = TWM_UNTRACKABLE; /* no namespace, nothing to list in */
	}
	ct_tw_feed(t, en, &ev);
	/* Ended before this CLOSE was read: as its TW_END would have. */
	if (ev.mode == TWM_HOOKED && note->end_ns) {
		struct tw_ev end = { .kind = TWE_HOOK_END, .ts = note->end_ns,
				     .expired = note->end_expired, .gone = note->end_gone };

		ct_tw_feed(t, en, &end);
	}
	free(note);
	/* The 4-tuple lived again before this hand-over was read: another
	 * CPU's connect() can reuse the sock between tcp_time_wait()'s hashing
	 * and tcp_done()'s CLOSE, its records overtaking ours. */
	if (en->tw && !en->c.closed && reborn_ns)
		ct_tw_reused(t, &en->key, en->c.netns, ts, false);
}

/* A timewait sock's record whose CLOSE is still behind in the ring buffer:
 * the sock is hashed before tcp_done() reports it, and another CPU's
 * segment or connect() can get to it first. Kept on the note. */
static void tw_note_event(struct conntab *t, const struct tkey *k, const struct tl_rec *e)
{
	struct tw_note *n = hmap_get(&t->tw_notes, k);

	if (!n || (e->netns && n->netns && e->netns != n->netns))
		return;
	if (e->kind == TL_TW_RESCHED && n->sub == TL_FIN_WAIT2 && e->newstate == TL_TIME_WAIT)
		n->sub = TL_TIME_WAIT;
	else if (e->kind >= TL_TW_END && !n->end_ns) {
		n->end_ns = e->ts_ns;
		n->end_expired = e->flags & TL_F_EXPIRED;
		n->end_gone = e->kind == TL_TW_GONE;
	}
}

static void tw_note_begin(struct conntab *t, const struct tkey *k, const struct tl_rec *e)
{
	struct tw_note *n = hmap_get_or_new(&t->tw_notes, k, sizeof(*n), NULL);

	if (!n)
		return; /* its CLOSE will read as an overflow */
	n->ts = e->ts_ns;
	n->netns = e->netns;
	n->sub = e->newstate;
	n->end_ns = 0;
}

void ct_apply_tw(struct conntab *t, const struct tl_rec *e)
{
	struct tkey k;
	struct entry *w;
	struct tw_ev ev = { .ts = e->ts_ns };

	tkey_make(&e->tuple, false, &k);
	if (e->kind == TL_TW_BEGIN) {
		tw_note_begin(t, &k, e);
		return;
	}
	w = tw_live(t, &k, e->netns);
	if (!w) {
		tw_note_event(t, &k, e);
		return;
	}
	if (e->kind == TL_TW_RESCHED) {
		ev.kind = TWE_REARM;
		ev.sub = e->newstate;
	} else {
		ev.kind = TWE_HOOK_END;
		ev.expired = e->flags & TL_F_EXPIRED;
		ev.gone = e->kind == TL_TW_GONE;
	}
	ct_tw_feed(t, w, &ev);
}

/* A timewait sock sent a reset (TL_RST_TW_SENT): the peer's data or FIN
 * reached an orphaned FIN_WAIT2 or a TIME_WAIT that must refuse it. A sock
 * we follow no connection for (filtered, or born before the tool) is not
 * ours to count. */
void ct_apply_tw_reset(struct conntab *t, const struct tl_rec *e)
{
	struct tkey k;
	struct entry *w;

	tkey_make(&e->tuple, false, &k);
	w = tw_live(t, &k, e->netns);
	if (!w)
		return;
	tw_event(t, w, TWE_CONFIRM, e->ts_ns);
	w->c.rst_sent++;
	ct_notify(t, TR_RESET, TL_RST_SENT, e->ts_ns, &w->c, w->c.state, w->c.state, 0, false);
	tw_event(t, w, TWE_RST_SENT, e->ts_ns);
}

void ct_tw_reused(struct conntab *t, const struct tkey *k, uint32_t netns, uint64_t ts, bool active)
{
	struct entry *w = tw_live(t, k, netns);
	struct tw_ev ev = { .kind = TWE_REUSE, .ts = ts, .active = active };

	if (w)
		ct_tw_feed(t, w, &ev);
}

/* The timewait sock of a traced local peer's other end. */
static struct entry *tw_of_peer(struct conntab *t, const struct entry *peer)
{
	struct tkey k;

	tkey_make(&peer->c.tuple, true, &k);
	return pindex_get(&t->tw, &k);
}

void ct_peer_fin(struct conntab *t, struct entry *peer, uint64_t ts)
{
	struct entry *w = tw_of_peer(t, peer);

	if (w)
		tw_event(t, w, TWE_PEER_FIN, ts);
}

/* Only a FIN_WAIT2 sock's peer can still reset it: one in TIME_WAIT has
 * seen the peer's FIN, and the peer is gone. */
void ct_peer_gone(struct conntab *t, struct entry *peer, uint64_t ts)
{
	struct entry *w = tw_of_peer(t, peer);

	if (!w || w->c.state != TL_FIN_WAIT2 || !peer->c.rst_sent)
		return;
	tw_event(t, w, TWE_CONFIRM, ts);
	w->c.rst_recv++;
	tw_event(t, w, TWE_PEER_RST, ts);
}

void ct_tw_settle_killed(struct conntab *t, bool all)
{
	struct entry *en;
	/* The kernel's time as far as we know it: records, or listings on a
	 * quiet host. */
	struct tw_ev ev = { .kind = TWE_SETTLE, .all = all,
			    .ts = t->last_ts > t->w_start ? t->last_ts : t->w_start };

	if (!t->tw_killed_n)
		return;
	for (size_t i = 0; (en = pindex_next(&t->tw, &i));)
		ct_tw_feed(t, en, &ev);
}

void ct_tw_listed(struct conntab *t, const struct tkey *k, uint8_t sub, uint64_t due)
{
	struct entry *w = pindex_get(&t->tw, k);
	struct tw_ev ev = { .kind = TWE_LISTED, .sub = sub, .ts = t->w_start, .gen = t->w_gen,
			    .due = due };

	if (w && !w->c.closed && w->c.netns == t->w_netns)
		ct_tw_feed(t, w, &ev);
}

/* A listing of the namespace is over: the socks it did not hold. Returns
 * the overflows no hand-over took. */
static uint64_t tw_listing_done(struct conntab *t, uint64_t tw_overflows)
{
	struct entry *w;
	struct tw_ev ev = { .kind = TWE_LISTING_DONE, .ts = t->w_start, .gen = t->w_gen };

	if (t->cfg.tw_hooked)
		return tw_overflows;
	for (size_t i = 0; (w = pindex_next(&t->tw, &i));) {
		if (w->c.netns != t->w_netns)
			continue;
		ev.overflow = tw_overflows > 0;
		if (ct_tw_feed(t, w, &ev).overflow_used)
			tw_overflows--;
	}
	return tw_overflows;
}

/* Hooked, a timewait sock's end is a record (inet_twsk_kill()). Before 6.7
 * a kprobe's run can be skipped with nothing counting it (bpf_prog_active:
 * the sock's timer fired on a CPU running one of our kprobe programs;
 * kernel matrix, 6.1 kprobe tier, t_20), leaving the row open in a sock
 * long gone. The exit's census lists the timewait socks too: one it does
 * not hold, and no record then ends, is written lost (ct_tw_end_unseen). */
static bool tw_census_candidate(const struct conntab *t, const struct entry *w)
{
	return t->cfg.tw_hooked && !w->c.closed && !w->unseen && w->c.netns &&
	       w->twp.state == TWP_LIVE;
}

void ct_tw_census_netns(const struct conntab *t, bool marked, uint32_t *ns, size_t *n, size_t max)
{
	const struct entry *w;

	for (size_t i = 0; (w = pindex_next(&t->tw, &i));)
		if (marked ? w->unseen && !w->c.closed : tw_census_candidate(t, w))
			ct_ns_add(ns, n, max, w->c.netns);
}

void ct_tw_census_sock(struct conntab *t, const struct tkey *k)
{
	struct entry *w = pindex_get(&t->tw, k);

	if (w && tw_census_candidate(t, w) && w->c.netns == t->c_netns)
		w->twp.census_listed = true;
}

size_t ct_tw_census_done(struct conntab *t)
{
	struct entry *w;
	size_t marked = 0;

	for (size_t i = 0; (w = pindex_next(&t->tw, &i));) {
		if (!tw_census_candidate(t, w) || w->c.netns != t->c_netns)
			continue;
		if (w->twp.census_listed) {
			w->twp.census_listed = false;
			continue;
		}
		w->unseen = true;
		marked++;
	}
	return marked;
}

void ct_tw_census_relisted(struct conntab *t, uint32_t netns, const struct tkey *k)
{
	struct entry *w = pindex_get(&t->tw, k);

	if (w && w->unseen && w->c.netns == netns)
		w->unseen = false;
}

size_t ct_tw_end_unseen(struct conntab *t, uint64_t now)
{
	struct entry *w;
	size_t n = 0;

	for (size_t i = 0; (w = pindex_next(&t->tw, &i));) {
		if (!w->unseen || w->c.closed)
			continue;
		w->unseen = false;
		tw_event(t, w, TWE_UNSEEN, now);
		n += w->c.closed;
	}
	return n;
}

void ct_tw_notes_expire(struct conntab *t)
{
	size_t b;
	struct hmap_node *n, *next;

	/* A timewait sock whose connection's CLOSE never came (a record lost,
	 * or a connection we did not follow): forget it. Timed by the records,
	 * not the clock: a loader that lags behind must not drop notes whose
	 * CLOSE is still queued. */
	hmap_for_each_safe(&t->tw_notes, n, next, b) {
		if (((struct tw_note *)n->value)->ts + 10 * TL_SEC < t->last_ts)
			free(hmap_del(&t->tw_notes, n->key));
	}
}

void ct_tw_flush(struct conntab *t, uint64_t now)
{
	struct entry *en;

	for (size_t i = 0; (en = pindex_next(&t->tw, &i));) {
		tw_event(t, en, TWE_FLUSH, now);
		ct_finish_open(t, en, now);
	}
}

/* ------------------------------------------------------------ requests */

static struct pending_req *req_get(struct conntab *t, const struct tl_rec *e, bool *made)
{
	struct tkey k;
	struct pending_req *p;

	tkey_make(&e->tuple, false, &k);
	p = hmap_get_or_new(&t->synacks, &k, sizeof(*p), made);
	if (!p || !*made)
		return p;
	p->tuple = e->tuple;
	p->netns = e->netns;
	return p;
}

/* fentry/kprobe tiers: a request was hashed (its SYN came) or unhashed. */
void ct_apply_req(struct conntab *t, const struct tl_rec *e)
{
	struct tkey k;
	struct pending_req *p;
	bool made;

	if (e->kind == TL_REQ_END) {
		tkey_make(&e->tuple, false, &k);
		p = hmap_get(&t->synacks, &k);
		if (p) /* written after the linger, unless its child shows up */
			req_unhashed(&p->ph, e->ts_ns);
		return; /* else its child took it over already */
	}
	p = req_get(t, e, &made);
	if (!p)
		return;
	p->netns = e->netns;
	req_hashed(&p->ph, e->ts_ns);
}

void ct_apply_synack(struct conntab *t, const struct tl_rec *e)
{
	bool made;
	struct pending_req *p = req_get(t, e, &made);
	struct conn tmp = { .tuple = e->tuple, .state = TL_SYN_RECV, .role = ROLE_PASSIVE };

	/* The listener's count, whatever becomes of the row (an owner filter,
	 * no memory for the request). */
	lsncount_synack(t->cfg.lc, e->netns, &e->tuple);
	if (!p) {
		t->synack_orphans++;
		return;
	}
	req_synack(&p->ph, e->ts_ns, made);
	tmp.synack_retrans = p->ph.count;
	ct_notify(t, TR_SYNACK, 0, e->ts_ns, &tmp, TL_SYN_RECV, TL_SYN_RECV, 0, false);
}

void ct_join_request(struct conntab *t, struct entry *en, const struct tl_rec *e)
{
	struct pending_req *p = hmap_del(&t->synacks, &en->key);
	bool inferred;
	uint64_t syn;

	if (p)
		en->c.synack_retrans += p->ph.count;
	syn = req_syn_start(e, p ? &p->ph : NULL, &inferred);
	if (syn < en->c.start_ns)
		req_set_start(&en->c, syn, inferred);
	free(p);
}

void ct_req_listed(struct conntab *t, const struct tkey *k)
{
	struct pending_req *p = hmap_get(&t->synacks, k);

	if (p && p->netns == t->w_netns)
		req_listed(&p->ph, t->w_gen, t->w_start);
}

/* A request that never completed: its own record, passive, ended in
 * SYN_RECV. */
static void half_open(struct conntab *t, const struct pending_req *p, uint64_t end)
{
	struct entry *en = calloc(1, sizeof(*en));

	lsncount_half_open(t->cfg.lc, p->netns, &p->tuple);
	if (!en) {
		t->synack_orphans += p->ph.count;
		return;
	}
	en->c.tuple = p->tuple;
	en->c.netns = p->netns;
	req_fill_row(&p->ph, &en->c, end);
	ct_finish(t, en); /* never in an index: ct_finish() only writes and frees it */
}

void ct_expire_requests(struct conntab *t, const struct req_when *when, uint32_t netns)
{
	size_t b;
	struct hmap_node *n, *next;

	hmap_for_each_safe(&t->synacks, n, next, b) {
		struct pending_req *p = n->value;
		struct req_when w = *when;
		uint64_t end;

		w.own_netns = netns && p->netns == netns;
		w.listable = p->netns != 0;
		if (!req_over(&p->ph, &w, &end))
			continue;
		hmap_del(&t->synacks, n->key);
		half_open(t, p, end);
		free(p);
	}
}

/* ------------------------------------------------------------ listings */

size_t conntab_watch_netns(const struct conntab *t, uint32_t *ns, size_t max)
{
	size_t n = 0, b;
	struct hmap_node *h;
	const struct entry *w;

	/* With the hooks, timewait socks and hashed requests need no listing. */
	if (!t->cfg.tw_hooked)
		for (size_t i = 0; (w = pindex_next(&t->tw, &i));)
			ct_ns_add(ns, &n, max, w->c.netns);
	for (h = hmap_first(&t->synacks, &b); h; h = hmap_next(&t->synacks, h, &b)) {
		const struct pending_req *p = h->value;

		if (req_wants_listing(&p->ph))
			ct_ns_add(ns, &n, max, p->netns);
	}
	return n;
}

void conntab_watch_begin(struct conntab *t, uint32_t netns, uint64_t start_ns)
{
	t->w_netns = netns;
	t->w_start = start_ns;
	t->w_gen++;
}

uint64_t conntab_watch_done(struct conntab *t, uint64_t tw_overflows)
{
	struct req_when w = { .kind = REQ_LISTING, .now = t->w_start, .gen = t->w_gen,
			      .linger_ns = t->cfg.linger_ns, .slack_ns = t->cfg.watch_slack_ns };

	tw_overflows = tw_listing_done(t, tw_overflows);
	ct_expire_requests(t, &w, t->w_netns);
	return tw_overflows;
}

/* The requests of a namespace no listing will see again: on their timer's
 * schedule alone. */
static void requests_unlisted(struct conntab *t, uint32_t netns)
{
	size_t b;
	struct hmap_node *n;

	for (n = hmap_first(&t->synacks, &b); n; n = hmap_next(&t->synacks, n, &b))
		if (((struct pending_req *)n->value)->netns == netns)
			((struct pending_req *)n->value)->netns = 0;
}

/* Every connection of the namespace waiting in a timewait sock gets `kind`. */
static void tw_netns_event(struct conntab *t, uint32_t netns, enum tw_ev_kind kind, uint64_t now)
{
	struct entry *w;

	for (size_t i = 0; (w = pindex_next(&t->tw, &i));) {
		if (w->c.netns == netns)
			tw_event(t, w, kind, now);
	}
}

void conntab_watch_gone(struct conntab *t, uint32_t netns, uint64_t now_ns)
{
	tw_netns_event(t, netns, TWE_NETNS_GONE, now_ns);
	requests_unlisted(t, netns);
}

void conntab_watch_unreachable(struct conntab *t, uint32_t netns, uint64_t now_ns)
{
	tw_netns_event(t, netns, TWE_GIVE_UP, now_ns);
	requests_unlisted(t, netns);
}
