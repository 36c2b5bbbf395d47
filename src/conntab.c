// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The connection table's entry points: records dispatched by type, time
 * passing, the exit's flush, and the socks a listing holds. The layers
 * they call are in conntab_priv.h.
 */
#include "conntab_priv.h"

void conntab_apply(struct conntab *t, const struct tl_rec *e)
{
	if (e->ts_ns > t->last_ts)
		t->last_ts = e->ts_ns;
	if (e->type == TL_REC_SYNACK)
		ct_apply_synack(t, e);
	else if (e->type == TL_REC_TW)
		ct_apply_tw(t, e);
	else if (e->type == TL_REC_REQ)
		ct_apply_req(t, e);
	else if (e->type == TL_REC_RESET && e->kind == TL_RST_TW_SENT)
		ct_apply_tw_reset(t, e);
	else if (e->type == TL_REC_DESTROY)
		ct_apply_destroy(t, e);
	else if (e->type == TL_REC_CONNERR)
		ct_apply_connerr(t, e);
	else
		ct_apply_record(t, e);
}

void conntab_tick(struct conntab *t, uint64_t now_ns)
{
	struct req_when w = { .kind = REQ_TICK, .now = now_ns, .linger_ns = t->cfg.linger_ns,
			      .slack_ns = t->cfg.watch_slack_ns };

	ct_tw_settle_killed(t, false);
	while (t->lhead && t->lhead->linger_until <= now_ns)
		ct_finish(t, t->lhead);
	ct_expire_requests(t, &w, 0);
	ct_tw_notes_expire(t);
	ct_cool(t, now_ns);
}

void conntab_flush(struct conntab *t, uint64_t now_ns)
{
	size_t b;
	struct hmap_node *n;
	void *v;
	struct ct_walk w;
	struct req_when rw = { .kind = REQ_FINAL, .now = now_ns, .linger_ns = t->cfg.linger_ns,
			       .slack_ns = t->cfg.watch_slack_ns };

	ct_tw_settle_killed(t, true);
	ct_expire_requests(t, &rw, 0);
	while (t->lhead)
		ct_finish(t, t->lhead);
	/* Still in a timewait sock: written open, the time so far measured.
	 * One pass each, the next node fetched before ct_finish() frees this
	 * one: restarting from the first slot rescanned the emptied leading
	 * ones, quadratic (a million open connections: hours at exit). */
	ct_tw_flush(t, now_ns);
	/* ct_write_open() removes nothing. */
	for (ct_walk_init(&w, &t->by_sk); (v = ct_walk_next(&w));)
		ct_write_open(t, v, now_ns);
	for (n = hmap_first(&t->synacks, &b); n; n = hmap_next(&t->synacks, n, &b))
		t->synack_orphans += ((struct pending_req *)n->value)->ph.count;
}

void conntab_watch_sock(struct conntab *t, const struct tl_tuple *tu, uint8_t state,
			bool timewait, uint32_t expires_ms)
{
	struct tkey k;
	uint64_t due = t->w_start + expires_ms * TL_MS;

	tkey_make(tu, false, &k);
	if (state == TL_SYN_RECV) {
		ct_req_listed(t, &k);
		return;
	}
	if (!timewait)
		return;
	/* A row still open before the timewait sock that holds its 4-tuple
	 * goes on into it first (conntab_heal.c). */
	if (!pindex_get(&t->tw, &k))
		ct_heal_listed(t, &k, state, due);
	ct_tw_listed(t, &k, state, due);
}
