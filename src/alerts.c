// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "alerts.h"
#include "log.h"
#include "netns.h"
#include "seed.h"
#include "sockdiag.h"

#define CHECK_NS 250000000ULL /* alerts are due at whole seconds; 4 checks a second keep them within 250 ms */

struct qkey {
	uint64_t netns;
	uint32_t family;
	uint32_t _pad;
};

struct queues {
	size_t n, cap;
	struct sockdiag_sock *v;
};

void alerts_init(struct alerts *a, struct conntab *ct, struct outputs *out, struct tracer *tr,
		 record_fn fn, void *fn_ctx, uint32_t close_wait_s)
{
	memset(a, 0, sizeof(*a));
	a->ct = ct;
	a->out = out;
	a->tr = tr;
	a->fn = fn;
	a->fn_ctx = fn_ctx;
	a->threshold_ns = close_wait_s * 1000000000ULL;
	if (hmap_init(&a->queues, sizeof(struct qkey)))
		log_warn("out of memory: unread_bytes will not be known");
}

static void queues_clear(struct alerts *a)
{
	struct hmap_node *n;
	size_t b;

	if (!a->queues.buckets)
		return;
	while ((n = hmap_first(&a->queues, &b))) {
		struct queues *q = hmap_del(&a->queues, n->key);

		free(q->v);
		free(q);
	}
}

void alerts_fini(struct alerts *a)
{
	queues_clear(a);
	hmap_fini(&a->queues);
	free(a->procs);
	a->procs = NULL;
}

static int keep_queue(const struct sockdiag_sock *s, void *arg)
{
	struct queues *q = arg;

	if (q->n == q->cap) {
		struct sockdiag_sock *grown;

		q->cap = q->cap ? 2 * q->cap : 16;
		grown = realloc(q->v, q->cap * sizeof(*grown));
		if (!grown)
			return 1;
		q->v = grown;
	}
	q->v[q->n++] = *s;
	return 0;
}

/* The CLOSE_WAIT sockets of one namespace, dumped from inside it (a
 * NETLINK_SOCK_DIAG socket answers for the namespace it was made in). */
static struct queues *dump_ns(struct alerts *a, int nsfd, const struct qkey *k)
{
	struct queues *q = hmap_get(&a->queues, k);
	struct sockdiag *sd = NULL;
	int self;

	if (q)
		return q;
	q = calloc(1, sizeof(*q));
	if (!q || hmap_put(&a->queues, k, q)) {
		free(q);
		return NULL;
	}
	self = netns_open(0);
	if (self < 0)
		return q;
	netns_run(nsfd, self, sockdiag__new_into, &sd);
	close(self);
	if (sd)
		sockdiag_dump(sd, (int)k->family, 1u << TL_CLOSE_WAIT, keep_queue, q);
	sockdiag__free(sd);
	return q;
}

/* Recv-Q of the connection now, or -1. */
static int64_t unread_bytes(struct alerts *a, const struct conn *c)
{
	struct qkey k = { .family = c->tuple.family };
	struct queues *q;
	int nsfd;

	if (!c->owner_known || !a->queues.buckets)
		return -1;
	nsfd = netns_open(c->owner.pid);
	if (nsfd < 0)
		return -1; /* the owner is gone */
	k.netns = netns_id(nsfd);
	q = dump_ns(a, nsfd, &k);
	close(nsfd);
	for (size_t i = 0; q && i < q->n; i++) {
		const struct tl_tuple *t = &q->v[i].tuple;

		if (t->sport == c->tuple.sport && t->dport == c->tuple.dport &&
		    !memcmp(t->saddr, c->tuple.saddr, 16) && !memcmp(t->daddr, c->tuple.daddr, 16))
			return q->v[i].rqueue;
	}
	return -1;
}

static void count_released(void *ctx, struct conn *c)
{
	if (c->state == TL_CLOSE_WAIT && c->owner_released)
		(*(unsigned int *)ctx)++;
}

/* n CLOSE_WAIT sockets whose owner closed its fd while another process
 * kept it (a forking server): ask the kernel who holds them now. */
static void name_holders(struct alerts *a, unsigned int n)
{
	if (n && seed_holders(a->tr, a->fn, a->fn_ctx))
		log_debug("holder scan failed: owners of %u handed-over sockets stay unknown", n);
}

static void resolve_released(struct alerts *a)
{
	unsigned int n = 0;

	if (!a->tr)
		return;
	conntab_foreach_open(a->ct, count_released, &n);
	name_holders(a, n);
}

struct tick_ctx {
	struct alerts *a;
	uint64_t now;
};

static void check_one(void *ctx, struct conn *c)
{
	struct tick_ctx *t = ctx;
	struct cw_alert al = { .c = c };

	if (!conntab_cw_due(c, t->now, t->a->threshold_ns))
		return;
	al.close_wait_ns = conn_in_state_ns(c, t->now);
	al.unread_bytes = unread_bytes(t->a, c);
	outputs_alert(t->a->out, &al);
}

void alerts_tick(struct alerts *a, uint64_t now_ns)
{
	struct tick_ctx t = { .a = a, .now = now_ns };

	if (!a->threshold_ns || now_ns < a->next_check_ns)
		return;
	a->next_check_ns = now_ns + CHECK_NS;
	resolve_released(a);
	conntab_foreach_open(a->ct, check_one, &t);
	queues_clear(a);
}

struct sum_ctx {
	struct alerts *a;
	uint64_t now;
	struct cw_proc *v;
	size_t n, cap;
	int err;
	unsigned int released; /* in CLOSE_WAIT, the owner's fd closed, another holder unnamed */
};

static void sum_one(void *ctx, struct conn *c)
{
	struct sum_ctx *s = ctx;
	struct cw_proc *p = NULL;
	uint32_t pid = c->owner_known ? c->owner.pid : 0;
	uint64_t age = conn_in_state_ns(c, s->now);
	int64_t unread;

	if (c->state != TL_CLOSE_WAIT || s->err)
		return;
	if (c->owner_released)
		s->released++;
	for (size_t i = 0; i < s->n && !p; i++)
		if (s->v[i].pid == pid)
			p = &s->v[i];
	if (!p) {
		if (s->n == s->cap) {
			struct cw_proc *grown;

			s->cap = s->cap ? 2 * s->cap : 8;
			grown = realloc(s->v, s->cap * sizeof(*grown));
			if (!grown) {
				s->err = -ENOMEM;
				return;
			}
			s->v = grown;
		}
		p = &s->v[s->n++];
		memset(p, 0, sizeof(*p));
		p->pid = pid;
		if (c->owner_known)
			memcpy(p->comm, c->owner.comm, TL_COMM_LEN);
	}
	p->sockets++;
	if (age > p->oldest_ns)
		p->oldest_ns = age;
	unread = unread_bytes(s->a, c);
	if (unread >= 0)
		p->unread_bytes += (uint64_t)unread;
	else
		p->unread_unknown++;
}

static int by_sockets(const void *x, const void *y)
{
	const struct cw_proc *a = x, *b = y;

	if (a->sockets != b->sockets)
		return a->sockets < b->sockets ? 1 : -1;
	return a->pid < b->pid ? -1 : a->pid > b->pid;
}

void alerts_collect(struct alerts *a, uint64_t now_ns)
{
	struct sum_ctx s = { .a = a, .now = now_ns };

	/* One walk of every open connection (a million of them: tens of ms
	 * a walk at --once's exit), a second only when some CLOSE_WAIT
	 * socket's holder is to be named (name_holders): the processes are
	 * then summed again under the owners the kernel names. */
	conntab_foreach_open(a->ct, sum_one, &s);
	if (s.released && a->tr) {
		name_holders(a, s.released);
		free(s.v);
		s = (struct sum_ctx){ .a = a, .now = now_ns };
		conntab_foreach_open(a->ct, sum_one, &s);
	}
	queues_clear(a);
	if (s.err) {
		log_err("out of memory: no CLOSE_WAIT summary");
		free(s.v);
		return;
	}
	qsort(s.v, s.n, sizeof(*s.v), by_sockets);
	free(a->procs);
	a->procs = s.v;
	a->n_procs = s.n;
}

void alerts_write_summary(struct alerts *a)
{
	if (a->n_procs)
		outputs_cw_summary(a->out, a->procs, a->n_procs);
}
