// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Bursts of drops on a listener (lsnburst.h). */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include "lsnburst.h"
#include "sanitize.h"

struct sock_key {
	uint64_t netns;
	uint64_t inode;
};

struct track {
	struct lsn l;           /* as last listed */
	int64_t somaxconn;
	int64_t last_drops;     /* LSN_UNKNOWN until a listing reports them */
	uint64_t gen;           /* the last listing that held it */
	bool burst;
	unsigned int quiet;     /* listings in a row without a new drop */
	int64_t base;           /* its drops before the burst */
	uint64_t start_ns, last_ns;
};

static const char *const end_names[] = { "quiet", "gone", "reset", "exit" };

const char *lsn_burst_end_name(enum lsn_burst_end how)
{
	return (unsigned int)how < sizeof(end_names) / sizeof(end_names[0]) ? end_names[how] : "unknown";
}

int lsnburst_init(struct lsnburst *b, const struct lsnburst_cb *cb)
{
	memset(b, 0, sizeof(*b));
	if (cb)
		b->cb = *cb;
	return hmap_init(&b->by_sock, sizeof(struct sock_key));
}

void lsnburst_fini(struct lsnburst *b)
{
	struct hmap_node *n, *next;
	size_t i;

	if (!b->by_sock.buckets)
		return;
	hmap_for_each_safe(&b->by_sock, n, next, i)
		free(hmap_del(&b->by_sock, n->key));
	hmap_fini(&b->by_sock);
}

static void end_burst(struct lsnburst *b, struct track *t, enum lsn_burst_end how)
{
	struct lsn_burst e = {
		.l = t->l, .somaxconn = t->somaxconn, .drops = (uint64_t)(t->last_drops - t->base),
		.start_ns = t->start_ns, .last_ns = t->last_ns, .how = how,
	};
	struct lsn_ns c = { .somaxconn = t->somaxconn };

	t->burst = false;
	e.limit = lsn_limit(&t->l, &c);
	if (b->cb.end)
		b->cb.end(b->cb.ctx, &e);
}

static const struct lsn_ns *ns_of(const struct lsn_snap *s, uint64_t netns)
{
	for (size_t i = 0; i < s->n_ns; i++)
		if (s->ns[i].netns == netns)
			return &s->ns[i];
	return NULL;
}

/* The drops moved from `before` to `now` (LSN_UNKNOWN: nothing known). */
static void step(struct lsnburst *b, struct track *t, const struct lsn_ns *c, int64_t before,
		 uint64_t now_ns)
{
	int64_t now = t->l.drops;

	if (now == LSN_UNKNOWN || before == LSN_UNKNOWN) {
		if (now != LSN_UNKNOWN)
			t->last_drops = now;
		return;
	}
	if (now < before) { /* sk_drops only grows while the socket lives */
		if (t->burst)
			end_burst(b, t, LSN_END_RESET);
		t->last_drops = now;
		return;
	}
	if (now == before) {
		if (t->burst && ++t->quiet >= LSN_BURST_QUIET)
			end_burst(b, t, LSN_END_QUIET);
		return;
	}
	t->last_drops = now;
	t->quiet = 0;
	t->last_ns = now_ns;
	if (t->burst)
		return;
	t->burst = true;
	t->base = before;
	t->start_ns = now_ns;
	if (b->cb.start)
		b->cb.start(b->cb.ctx, &t->l, c, (uint64_t)(now - before));
}

static int one(struct lsnburst *b, const struct lsn_snap *s, const struct lsn *l, uint64_t now_ns)
{
	struct sock_key k = { .netns = l->netns, .inode = l->inode };
	struct track *t = hmap_get(&b->by_sock, &k);
	const struct lsn_ns *c = ns_of(s, l->netns);
	int64_t before;

	if (!t) {
		t = calloc(1, sizeof(*t));
		if (!t || hmap_put(&b->by_sock, &k, t)) {
			free(t);
			return -ENOMEM;
		}
		/* Made since the listing before: every drop it has is new.
		 * On the first listing, what it has is the baseline. */
		t->last_drops = b->gen == 1 ? LSN_UNKNOWN : 0;
	}
	before = t->last_drops;
	t->l = *l;
	t->somaxconn = c ? c->somaxconn : LSN_UNKNOWN;
	t->gen = b->gen;
	step(b, t, c, before, now_ns);
	return 0;
}

int lsnburst_update(struct lsnburst *b, const struct lsn_snap *s, uint64_t now_ns)
{
	struct hmap_node *n, *next;
	size_t i;
	int err = 0;

	b->gen++;
	for (i = 0; i < s->n; i++)
		if (one(b, s, &s->v[i], now_ns))
			err = -ENOMEM;
	hmap_for_each_safe(&b->by_sock, n, next, i) {
		struct track *t = n->value;

		/* A namespace this listing could not list says nothing of its
		 * listeners: they are kept a while, not taken for new ones
		 * (all of whose drops would count) when it is listed again. */
		if (t->gen == b->gen || (!ns_of(s, t->l.netns) && b->gen - t->gen < LSN_BURST_QUIET))
			continue;
		if (t->burst)
			end_burst(b, t, LSN_END_GONE);
		free(hmap_del(&b->by_sock, n->key));
	}
	return err;
}

void lsnburst_finish(struct lsnburst *b)
{
	struct hmap_node *n;
	size_t i;

	for (n = hmap_first(&b->by_sock, &i); n; n = hmap_next(&b->by_sock, n, &i)) {
		struct track *t = n->value;

		if (t->burst)
			end_burst(b, t, LSN_END_EXIT);
	}
}

int lsn_burst_warning(const struct lsn *l, const struct lsn_ns *c, uint64_t drops, char *buf,
		      size_t size)
{
	char ep[64], comm[4 * TL_COMM_LEN + 1], owner[128];
	static const struct lsn_ns none = { .somaxconn = LSN_UNKNOWN };
	int n;

	lsn_endpoint(l, ep, sizeof(ep));
	if (l->pid) {
		sanitize_text(l->comm, strnlen(l->comm, TL_COMM_LEN), comm, sizeof(comm));
		snprintf(owner, sizeof(owner), "pid %u %s fd %d", l->pid, comm, l->fd);
	} else {
		snprintf(owner, sizeof(owner), "no process holds it");
	}
	n = snprintf(buf, size,
		     "listener %s (%s, netns %" PRIu64 ") is dropping handshakes: %" PRIu64
		     " since the last listing (sk_drops); ",
		     ep, owner, l->netns, drops);
	if (n < 0 || (size_t)n >= size)
		return n;
	return n + lsn_limit_text(l, c ? c : &none, buf + n, size - (size_t)n);
}
