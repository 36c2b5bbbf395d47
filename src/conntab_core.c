// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The connection table itself: its entries and indexes, the linger of a
 * closed connection, and writing a row. The layers above (conntab_priv.h)
 * decide what happened; this one only keeps and writes.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "conn_extra.h"
#include "conntab_priv.h"

void ct_entry_free(struct entry *en)
{
	conn_extra_free(&en->c);
	free(en);
}

struct conntab *conntab_new(const struct conntab_cfg *cfg)
{
	struct conntab *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->cfg = *cfg;
	if (!t->cfg.linger_ns)
		t->cfg.linger_ns = 100 * TL_MS;
	if (!t->cfg.watch_slack_ns)
		t->cfg.watch_slack_ns = 500 * TL_MS;
	pindex_init(&t->by_sk, offsetof(struct entry, c.skaddr), sizeof(uint64_t));
	pindex_init(&t->by_tuple, offsetof(struct entry, key), sizeof(struct tkey));
	pindex_init(&t->tw, offsetof(struct entry, key), sizeof(struct tkey));
	ct_cold_init(t);
	if (t->cfg.cold && !(t->interns = conn_interns_new())) {
		conntab_free(t);
		errno = ENOMEM;
		return NULL;
	}
	if (hmap_init(&t->synacks, sizeof(struct tkey)) || hmap_init(&t->tw_notes, sizeof(struct tkey))) {
		conntab_free(t);
		errno = ENOMEM;
		return NULL;
	}
	return t;
}

static void free_all_values(struct hmap *m)
{
	size_t b;

	for (struct hmap_node *n = hmap_first(m, &b); n; n = hmap_next(m, n, &b))
		free(n->value);
}

void conntab_free(struct conntab *t)
{
	struct entry *en;
	struct ct_walk w;

	if (!t)
		return;
	/* Timewait entries, and lingering ones after them, left by_sk when
	 * their socket went. First, while every entry by_sk still holds is
	 * there to compare keys with (pindex reads them). */
	for (struct entry *l = t->lhead, *next; l; l = next) {
		next = l->next;
		if (pindex_get(&t->by_sk, &l->c.skaddr) != l)
			ct_entry_free(l);
	}
	/* Each freed after it is handed over: those read ahead stay. */
	for (ct_walk_init(&w, &t->by_sk); (en = ct_walk_next(&w));) {
		if (ct_is_cold(en))
			ct_cold_free(t, en);
		else
			ct_entry_free(en);
	}
	for (size_t i = 0; (en = pindex_next(&t->tw, &i));)
		ct_entry_free(en);
	if (t->synacks.buckets)
		free_all_values(&t->synacks);
	if (t->tw_notes.buckets)
		free_all_values(&t->tw_notes);
	pindex_fini(&t->by_sk);
	pindex_fini(&t->by_tuple);
	pindex_fini(&t->tw);
	hmap_fini(&t->synacks);
	hmap_fini(&t->tw_notes);
	conn_interns_free(t->interns);
	free(t);
}

void conntab_cold_stats(const struct conntab *t, uint64_t *cold, uint64_t *thawed)
{
	*cold = t->cold;
	*thawed = t->thawed;
}

size_t conntab_count(const struct conntab *t)
{
	return t->by_sk.count + t->tw.count;
}

void conntab_summary(const struct conntab *t, struct summary *s)
{
	s->conns_closed = t->closed;
	s->conns_open = t->open;
	s->synack_orphans = t->synack_orphans;
	s->unattributed = t->unattributed;
	s->tw_unconfirmed = t->tw_unconfirmed;
	s->healed = t->healed;
	s->lost_twins = t->lost_twins;
	s->unseen = t->unseen;
	s->seeded = t->seeded;
}

void ct_ns_add(uint32_t *ns, size_t *n, size_t max, uint32_t id)
{
	size_t i;

	for (i = 0; i < *n && ns[i] != id; i++)
		;
	if (i == *n && *n < max && id)
		ns[(*n)++] = id;
}

void ct_notify(struct conntab *t, enum transition_kind kind, uint8_t detail, uint64_t ts,
	       const struct conn *c, uint8_t old, uint8_t new, uint64_t old_ns, bool old_known)
{
	struct transition tr = {
		.kind = kind, .detail = detail, .ts_ns = ts, .c = c,
		.oldstate = old, .newstate = new, .old_ns = old_ns, .old_known = old_known,
	};

	if (t->cfg.transition && filter_owner_shown(t->cfg.filter, c->owner_known, &c->owner, c->cgroup))
		t->cfg.transition(t->cfg.ctx, &tr);
}

/* Out of the 4-tuple indexes: a new life of the 4-tuple may come. */
static void unindex_tuple(struct conntab *t, struct entry *en)
{
	if (en->indexed)
		pindex_remove(&t->by_tuple, en);
	en->indexed = false;
	if (en->tw)
		pindex_remove(&t->tw, en);
	en->tw = false;
}

void ct_unlink(struct conntab *t, struct entry *en)
{
	pindex_remove(&t->by_sk, en);
	unindex_tuple(t, en);
	if (en->linger_until) {
		if (en->prev)
			en->prev->next = en->next;
		else
			t->lhead = en->next;
		if (en->next)
			en->next->prev = en->prev;
		else
			t->ltail = en->prev;
		en->linger_until = 0;
	}
}

/* Written, if the owner filter lets it, and counted. */
static void write_row(struct conntab *t, const struct conn *c)
{
	if (filter_by_owner(t->cfg.filter) && !c->owner_known) {
		t->unattributed++; /* -p given, owner never seen: cannot attribute */
	} else if (filter_owner_wanted(t->cfg.filter, &c->owner, c->cgroup)) {
		if (c->closed)
			t->closed++;
		else
			t->open++;
		t->cfg.emit(t->cfg.ctx, c);
	}
}

void ct_finish(struct conntab *t, struct entry *en)
{
	ct_unlink(t, en);
	write_row(t, &en->c);
	ct_entry_free(en);
}

static void settle_open(struct conn *c, uint64_t now)
{
	conn_settle(c, now);
	c->end_ns = now;
	c->cause = CAUSE_OPEN;
	c->closed = false;
}

void ct_finish_open(struct conntab *t, struct entry *en, uint64_t now)
{
	settle_open(&en->c, now);
	ct_finish(t, en);
}

void ct_write_open(struct conntab *t, void *v, uint64_t now)
{
	struct entry scratch, *en = v;

	if (ct_is_cold(v)) {
		ct_peek(t, v, &scratch); /* written from a copy: it stays compact */
		en = &scratch;
	}
	settle_open(&en->c, now);
	write_row(t, &en->c);
}

void ct_drop(struct conntab *t, struct entry *en)
{
	ct_unlink(t, en);
	ct_entry_free(en);
}

void ct_end_conn(struct conntab *t, struct entry *en, enum close_cause cause, uint64_t ts)
{
	en->c.cause = cause;
	en->c.closed = true;
	en->c.end_ns = ts;
	/* Still by address, for the records that trail its CLOSE. */
	unindex_tuple(t, en);
	en->linger_until = ts + t->cfg.linger_ns;
	if (!en->linger_until)
		en->linger_until = 1;
	en->prev = t->ltail;
	en->next = NULL;
	if (t->ltail)
		t->ltail->next = en;
	else
		t->lhead = en;
	t->ltail = en;
}

static void prefetch_conn(const struct entry *en)
{
	const char *p;

	if (ct_is_cold(en)) { /* its compact form: a line or two */
		p = (const char *)((uintptr_t)en & ~PINDEX_ALT);
		__builtin_prefetch(p);
		__builtin_prefetch(p + 64);
		return;
	}
	/* Every line the connection touches, from the one it starts in:
	 * stepping 64 bytes from its start left the last line out when the
	 * start was late in its line, and `state` is in that line (perf put
	 * most of the exit's write on reading it). */
	p = (const char *)&en->c;
	for (uintptr_t l = (uintptr_t)p & ~(uintptr_t)63; l < (uintptr_t)(p + sizeof(en->c)); l += 64)
		__builtin_prefetch((const void *)l);
}

void ct_walk_init(struct ct_walk *w, const struct pindex *ix)
{
	memset(w, 0, sizeof(*w));
	w->ix = ix;
	w->more = true;
}

void *ct_walk_next(struct ct_walk *w)
{
	void *v;

	while (w->more && w->n < CT_WALK_AHEAD) {
		v = pindex_next(w->ix, &w->i);
		w->more = v != NULL;
		if (w->more) {
			prefetch_conn(v);
			w->ahead[(w->head + w->n++) % CT_WALK_AHEAD] = v;
		}
	}
	if (!w->n)
		return NULL;
	v = w->ahead[w->head];
	w->head = (w->head + 1) % CT_WALK_AHEAD;
	w->n--;
	return v;
}

static bool walk_shows(const struct conntab *t, const struct conn *c)
{
	return !c->closed && filter_owner_shown(t->cfg.filter, c->owner_known, &c->owner, c->cgroup);
}

void conntab_foreach_open(struct conntab *t, void (*fn)(void *ctx, struct conn *c), void *ctx)
{
	/* by_sk holds the full sockets, tw the connections handed to a
	 * timewait sock: open until that sock is gone, as the CSV says, and
	 * what the live view counts when a server is full of TIME_WAIT. */
	struct pindex *maps[] = { &t->by_sk, &t->tw };
	struct conn scratch;
	struct ct_walk w;
	void *v;

	for (size_t m = 0; m < sizeof(maps) / sizeof(maps[0]); m++) {
		/* fn() removes no entry (conntab.h): those read ahead stay. */
		for (ct_walk_init(&w, maps[m]); (v = ct_walk_next(&w));) {
			const struct conn *cur = ct_peek_conn(t, v, &scratch);

			/* A copy of a compact form: fn may change only one in
			 * CLOSE_WAIT, which is never compact (conntab_cold.c). */
			if (walk_shows(t, cur))
				fn(ctx, (struct conn *)cur);
		}
	}
}

bool conntab_cw_due(struct conn *c, uint64_t now_ns, uint64_t threshold_ns)
{
	const uint64_t cap = 3600 * TL_SEC;
	uint64_t gap;

	if (c->closed || c->state != TL_CLOSE_WAIT || now_ns < c->state_entered_ns)
		return false;
	if (c->cw_alerts == 0 ? conn_in_state_ns(c, now_ns) < threshold_ns : now_ns < c->cw_next_ns)
		return false;
	gap = threshold_ns;
	for (uint32_t i = 0; i < c->cw_alerts && gap < cap; i++)
		gap *= 2;
	c->cw_alerts++;
	c->cw_next_ns = now_ns + (gap * 2 < cap ? gap * 2 : cap);
	return true;
}
