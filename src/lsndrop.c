// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* dropped_by's rule and the listeners' looks, rate-limited (lsndrop.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "lsndrop.h"

struct lsndrop_ent {
	struct lsndrop_look prev; /* the last look with fewer drops than cur */
	struct lsndrop_look cur;  /* the newest */
};

int lsndrop_init(struct lsndrop *d, lsndrop_look_fn look, void *ctx)
{
	memset(d, 0, sizeof(*d));
	d->look = look;
	d->ctx = ctx;
	return hmap_init(&d->by_key, sizeof(struct tl_listen_key));
}

void lsndrop_fini(struct lsndrop *d)
{
	if (d)
		hmap_fini_values(&d->by_key);
}

bool lsndrop_decide(const struct lsndrop_look *prev, const struct lsndrop_look *cur, uint64_t syn_ns)
{
	if (!prev->ts || !cur->ts || prev->ts >= cur->ts || !prev->found || !cur->found)
		return false; /* nothing to compare */
	if (prev->ts < syn_ns)
		return false; /* its drops may be from before the client's SYN */
	if (cur->accept_queue <= cur->backlog)
		return false; /* room for one more child: a SYN is not dropped for it */
	return prev->drops >= 0 && cur->drops > prev->drops;
}

bool lsndrop_check(struct lsndrop *d, const struct tl_listen_key *k, uint64_t now, uint64_t syn_ns)
{
	struct lsndrop_ent *e = hmap_get_or_new(&d->by_key, k, sizeof(*e), NULL);
	struct lsndrop_look l = { .ts = now };

	if (!e) {
		d->lost++;
		return false;
	}
	if (e->cur.ts && now < e->cur.ts + LSNDROP_MIN_GAP_NS)
		return lsndrop_decide(&e->prev, &e->cur, syn_ns);
	if (now >= d->win_start + 1000000000ULL) {
		d->win_start = now;
		d->win_looks = 0;
	}
	if (d->win_looks >= LSNDROP_MAX_LOOKS_PER_S) {
		d->skipped++;
		return lsndrop_decide(&e->prev, &e->cur, syn_ns);
	}
	d->win_looks++;
	d->looks++;
	if (d->look(d->ctx, k, &l)) {
		d->look_errs++;
		return false;
	}
	l.ts = now;
	/* prev stays the last look with fewer drops (or the first one) */
	if (!e->prev.ts || l.found != e->cur.found || l.drops != e->cur.drops)
		e->prev = e->cur;
	e->cur = l;
	return lsndrop_decide(&e->prev, &e->cur, syn_ns);
}
