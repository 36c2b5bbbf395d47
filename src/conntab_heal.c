// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Self-healing: a row whose end the state tracepoint never showed. On a
 * classic tracepoint every attached program is skipped while another
 * kprobe/tracepoint program (of any tracer) holds bpf_prog_active on the
 * CPU, which a softirq interrupting one does; a tp_btf program skips its own
 * recursion. The kernel side then sends, at tcp_destroy_sock, a DESTROY
 * record: the last state it tracked, the socket's final state, whether the
 * peer's FIN had come (SOCK_DONE), sk_err and the byte counts. From these
 * the row is completed as its CLOSE record would have done, with the time
 * in the states between unmeasured (`timing` inferred), and counted healed.
 */
#include "conntab_priv.h"

void ct_apply_destroy(struct conntab *t, const struct tl_rec *e)
{
	struct entry *en = ct_get_sk(t, e->skaddr);

	/* No live row for this life: the CLOSE came after all (the kernel
	 * side only sends this when its entry lacks one), or the row went. */
	if (!en || en->c.birth_ns != e->birth_ns || en->c.closed || en->tw)
		return;
	ct_heal_close(t, en, e, e->sk_err);
}

/* The row goes on into the timewait sock a listing that began at `seen`
 * holds: from the timer's due time if it is TIME_WAIT's, else at `seen`. */
static bool heal_into_tw(struct conntab *t, struct entry *en, uint8_t sub, uint64_t due, uint64_t seen)
{
	struct conn *c = &en->c;
	uint64_t at;
	uint8_t via;

	at = sub == TL_TIME_WAIT && due > TW_LEN_NS ? due - TW_LEN_NS : seen;
	if (at > seen)
		at = seen;
	if (at < c->state_entered_ns)
		at = c->state_entered_ns;
	via = c->state == TL_FIN_WAIT1 ? TL_FIN_WAIT2 : c->state;
	t->healed++;
	c->inferred = true;
	c->unmeasured |= TL_BIT(c->state);
	if (via != c->state)
		conn_enter(c, via, at);
	c->unmeasured |= TL_BIT(via); /* after conn_enter(), which clears it for a row seen mid-life */
	ct_tw_begin(t, en, via, sub, at);
	return en->tw;
}

/* A sock_diag listing holds the row's 4-tuple in a timewait sock, in its
 * namespace, while the row is still open in FIN_WAIT1, FIN_WAIT2 or
 * CLOSING: the full socket went to that timewait sock and the tracker saw
 * neither the hand-over nor the socket's end (both skipped, or lost on the
 * way). Healed at the second listing that holds it: tcp_time_wait() hashes
 * the timewait sock before tcp_done() sets CLOSE, so the first listing can
 * come before that record, but the ring buffer is drained between two
 * listings. The hand-over is placed by the TIME_WAIT timer (60 s before it
 * is due), else at the first listing. True if the row now waits in `tw`. */
bool ct_heal_listed(struct conntab *t, const struct tkey *k, uint8_t sub, uint64_t due)
{
	struct entry *en = ct_get_tuple(t, k);
	struct conn *c = en ? &en->c : NULL;

	if (!c || c->closed || en->tw || c->netns != t->w_netns || c->state_entered_ns > t->w_start ||
	    !ct_before_tw(c->state))
		return false;
	if (!en->heal_gen) {
		en->heal_gen = t->w_gen;
		en->heal_seen_ns = t->w_start;
		return false;
	}
	if (en->heal_gen == t->w_gen)
		return false;
	return heal_into_tw(t, en, sub, due, en->heal_seen_ns);
}

size_t conntab_mark_unseen(struct conntab *t, bool (*tracked)(void *ctx, uint64_t skaddr), void *ctx)
{
	struct entry *en, scratch;
	const struct entry *pe;
	void *v;
	size_t marked = 0;

	for (size_t i = 0; (v = pindex_next(&t->by_sk, &i));) {
		pe = ct_peek(t, v, &scratch);
		/* A sock_diag seed has no kernel address to look up. */
		if (pe->c.closed || pe->tw || CONN_SYNTHETIC_SK(pe->c.skaddr) ||
		    tracked(ctx, pe->c.skaddr) || !(en = ct_hot(t, v)))
			continue;
		en->unseen = true;
		t->any_unseen = true;
		marked++;
	}
	return marked;
}

void conntab_end_unseen(struct conntab *t, uint64_t now_ns)
{
	struct entry *en;

	/* Only a row marked unseen ends here: with none marked (--once), no
	 * walk of every entry. */
	for (size_t i = 0; t->any_unseen && (en = pindex_next(&t->by_sk, &i));) {
		if (ct_is_cold(en)) /* marked unseen: made an entry again */
			continue;
		if (!en->unseen || en->c.closed || en->tw)
			continue;
		t->unseen++;
		en->c.unmeasured |= TL_BIT(en->c.state); /* it ended some time before */
		conn_settle(&en->c, now_ns);
		ct_end_conn(t, en, CAUSE_LOST, now_ns);
	}
	t->unseen += ct_tw_end_unseen(t, now_ns);
}

/* The exit's census. A socket whose state program and tcp_destroy_sock
 * program were both skipped leaves its row open, in a state it left long
 * ago, and its kernel-side entry in place, so conntab_mark_unseen() cannot
 * tell (before 6.7 the kernel counts no such skip). One listing of
 * each namespace with open rows, every state, finds them: a row whose
 * socket is not listed is marked unseen (written lost once a last drain
 * has not ended it), one whose 4-tuple a timewait sock holds goes on into
 * it (healed). On the hooked tiers the timewait socks are counted too
 * (ct_tw_census_done). Rows of a namespace that cannot be listed are left
 * as they are. */
static bool census_candidate(const struct entry *en)
{
	return !en->c.closed && !en->tw && !en->unseen && en->c.netns &&
	       en->c.tuple.sport && en->c.tuple.dport;
}

size_t conntab_census_netns(const struct conntab *t, uint32_t *ns, size_t max)
{
	const struct entry *en;
	struct entry scratch;
	const void *v;
	size_t k = 0;

	for (size_t i = 0; (v = pindex_next(&t->by_sk, &i));) {
		en = ct_peek(t, v, &scratch);
		if (census_candidate(en))
			ct_ns_add(ns, &k, max, en->c.netns);
	}
	ct_tw_census_netns(t, false, ns, &k, max);
	return k;
}

void conntab_census_begin(struct conntab *t, uint32_t netns, uint64_t start_ns)
{
	t->c_netns = netns;
	t->c_start = start_ns;
	t->c_gen++;
}

void conntab_census_sock(struct conntab *t, const struct tl_tuple *tu, uint8_t state, bool timewait,
			 uint32_t expires_ms)
{
	struct tkey k;
	struct entry *en, scratch;
	const struct entry *pe;
	void *v;

	tkey_make(tu, false, &k);
	if (timewait)
		ct_tw_census_sock(t, &k);
	v = pindex_get(&t->by_tuple, &k);
	pe = v ? ct_peek(t, v, &scratch) : NULL;
	if (!pe || !census_candidate(pe) || pe->c.netns != t->c_netns)
		return;
	if (ct_is_cold(v) && !(timewait && ct_before_tw(pe->c.state))) {
		ct_cold_listed(v);
		return;
	}
	en = ct_hot(t, v);
	if (!en)
		return;
	en->census_gen = t->c_gen;
	/* Healed only after one more drain (conntab_census_heal): the CLOSE
	 * of a hand-over that came after the last one can still be queued
	 * (tcp_time_wait() hashes the timewait sock before it sets CLOSE). */
	if (timewait && ct_before_tw(en->c.state)) {
		en->census_tw_sub = state;
		en->census_tw_due = t->c_start + expires_ms * TL_MS;
		en->census_tw_seen = t->c_start;
		t->c_tw_pending++;
	}
}

size_t conntab_census_tw_netns(const struct conntab *t, uint32_t *ns, size_t max)
{
	size_t k = 0;

	ct_tw_census_netns(t, true, ns, &k, max);
	return k;
}

void conntab_census_relisted(struct conntab *t, uint32_t netns, const struct tl_tuple *tu)
{
	struct tkey k;

	tkey_make(tu, false, &k);
	ct_tw_census_relisted(t, netns, &k);
}

void conntab_census_heal(struct conntab *t)
{
	struct entry *en;

	/* census_tw_sub is set only by a census (conntab_census_sock): with
	 * none (--once), no walk of a million entries for nothing. */
	if (!t->c_gen)
		return;
	for (size_t i = 0; (en = pindex_next(&t->by_sk, &i));) {
		/* A row the census found is an entry (conntab_census_sock). */
		if (ct_is_cold(en) || !en->census_tw_sub || en->c.closed || en->tw || !ct_before_tw(en->c.state))
			continue;
		heal_into_tw(t, en, en->census_tw_sub, en->census_tw_due, en->census_tw_seen);
	}
}

size_t conntab_census_done(struct conntab *t)
{
	struct entry *en, scratch;
	const struct entry *pe;
	void *v;
	size_t marked = 0;

	for (size_t i = 0; (v = pindex_next(&t->by_sk, &i));) {
		/* Listed: an entry's census_gen, a compact form's note. */
		pe = ct_peek(t, v, &scratch);
		if (!census_candidate(pe) || pe->c.netns != t->c_netns)
			continue;
		if (ct_is_cold(v) ? ct_cold_take_listed(v) : pe->census_gen == t->c_gen)
			continue;
		en = ct_hot(t, v);
		if (!en)
			continue;
		en->unseen = true;
		t->any_unseen = true;
		marked++;
	}
	marked += t->c_tw_pending + ct_tw_census_done(t);
	t->c_tw_pending = 0;
	return marked;
}
