// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The listener families of --metrics (lsnagg.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "lsnagg.h"

#define N_PORTS 65536

struct sock_key {
	uint64_t netns;
	uint64_t inode;
};

/* A listener as the last listing that held it saw it. */
struct sock_seen {
	int64_t drops;
	uint64_t walk;
};

struct lsnagg {
	unsigned int max_ports, n_ports;
	uint16_t port_slot[N_PORTS];  /* 0: no label yet; else slot + 1 */
	struct lsnagg_port *slots;    /* [max_ports + 1]: the last, "other" */
	struct lsnagg_port *walking;  /* the gauges of the listing under way */
	struct lsnagg_port *sorted;   /* the slots in use, by port */
	size_t n_sorted;
	struct hmap seen;             /* struct sock_key -> struct sock_seen */
	uint64_t walk;
};

struct lsnagg *lsnagg_new(unsigned int max_ports)
{
	struct lsnagg *a = calloc(1, sizeof(*a));

	if (!a)
		return NULL;
	a->max_ports = max_ports;
	a->slots = calloc(max_ports + 1, sizeof(*a->slots));
	a->walking = calloc(max_ports + 1, sizeof(*a->walking));
	a->sorted = calloc(max_ports + 1, sizeof(*a->sorted));
	if (!a->slots || !a->walking || !a->sorted || hmap_init(&a->seen, sizeof(struct sock_key))) {
		lsnagg_free(a);
		return NULL;
	}
	a->slots[max_ports].port = -1;
	return a;
}

void lsnagg_free(struct lsnagg *a)
{
	struct hmap_node *n, *next;
	size_t b;

	if (!a)
		return;
	if (a->seen.buckets) {
		hmap_for_each_safe(&a->seen, n, next, b)
			free(hmap_del(&a->seen, n->key));
		hmap_fini(&a->seen);
	}
	free(a->slots);
	free(a->walking);
	free(a->sorted);
	free(a);
}

static unsigned int slot_of(struct lsnagg *a, uint16_t port)
{
	if (!a->port_slot[port]) {
		if (a->n_ports >= a->max_ports)
			return a->max_ports;
		a->slots[a->n_ports].port = port;
		a->port_slot[port] = (uint16_t)++a->n_ports;
	}
	return a->port_slot[port] - 1u;
}

void lsnagg_begin(struct lsnagg *a)
{
	a->walk++;
	memset(a->walking, 0, (a->max_ports + 1) * sizeof(*a->walking));
}

/* The drops the listener gained since the listing before: all of them
 * when it is new (since it was made), none when unknown. A count that
 * went back is another socket under a reused inode: it is new. */
static uint64_t drops_gained(struct lsnagg *a, const struct lsn *l)
{
	struct sock_key k = { .netns = l->netns, .inode = l->inode };
	struct sock_seen *s = hmap_get(&a->seen, &k);
	int64_t before;

	if (l->drops == LSN_UNKNOWN)
		return 0;
	if (!s) {
		s = calloc(1, sizeof(*s));
		if (!s || hmap_put(&a->seen, &k, s)) {
			free(s); /* out of memory: counted at the next listing */
			return 0;
		}
	}
	before = s->walk && s->drops <= l->drops ? s->drops : 0;
	s->drops = l->drops;
	s->walk = a->walk;
	return (uint64_t)(l->drops - before);
}

void lsnagg_row(struct lsnagg *a, const struct lsn *l)
{
	unsigned int i = slot_of(a, l->t.sport);
	struct lsnagg_port *w = &a->walking[i];

	w->listeners++;
	w->accept_queue += l->accept_queue;
	w->backlog += l->backlog;
	w->syn_queue += l->syn_queue;
	a->slots[i].drops += drops_gained(a, l);
}

static int by_port(const void *x, const void *y)
{
	uint32_t p = (uint32_t)((const struct lsnagg_port *)x)->port; /* -1: last */
	uint32_t q = (uint32_t)((const struct lsnagg_port *)y)->port;

	return p < q ? -1 : p > q;
}

void lsnagg_end(struct lsnagg *a)
{
	struct hmap_node *n, *next;
	size_t b;

	/* Listeners gone: their count stays in the sum; the memory goes. */
	hmap_for_each_safe(&a->seen, n, next, b)
		if (((struct sock_seen *)n->value)->walk != a->walk)
			free(hmap_del(&a->seen, n->key));
	a->n_sorted = 0;
	for (unsigned int i = 0; i <= a->max_ports; i++) {
		struct lsnagg_port *p = &a->slots[i];

		p->listeners = a->walking[i].listeners;
		p->accept_queue = a->walking[i].accept_queue;
		p->backlog = a->walking[i].backlog;
		p->syn_queue = a->walking[i].syn_queue;
		if (i < a->n_ports || (i == a->max_ports && (p->listeners || p->drops)))
			a->sorted[a->n_sorted++] = *p;
	}
	qsort(a->sorted, a->n_sorted, sizeof(*a->sorted), by_port);
}

size_t lsnagg_n(const struct lsnagg *a)
{
	return a ? a->n_sorted : 0;
}

const struct lsnagg_port *lsnagg_at(const struct lsnagg *a, size_t i)
{
	return a && i < a->n_sorted ? &a->sorted[i] : NULL;
}
