// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The aggregates behind --metrics (agg.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "agg.h"
#include "conn_acct.h"
#include "hmap.h"
#include "lsnagg.h"
#include "states.h"

#define N_ROLES 3
#define N_PORTS 65536
/* An open connection that stops appearing in walks (its row lingers, or is
 * never written) keeps its share of the counters until its record comes;
 * after this many walks without it, that share is kept as if it had
 * closed and the memory of it freed. */
#define AGG_RETIRE_WALKS 64

struct seen_key {
	uint64_t skaddr;
	uint64_t birth_ns;
};

/* An open connection's counters as the last walk that held it saw them. */
struct seen {
	uint64_t rtx[AGG_RTX_N];
	uint64_t rst[AGG_RST_N];
	uint64_t walk;
};

struct cw_key {
	char label[TL_COMM_LEN + 1]; /* zero-padded: compared bytewise */
};

struct agg {
	unsigned int max_ports, n_ports;
	uint16_t port_slot[N_PORTS];   /* 0: no label yet; else slot + 1 */
	struct agg_hist_series **idx;  /* [state][role][slot]; slot max_ports: "other" */
	struct agg_hist_series **series; /* sorted for agg_hist_at */
	size_t n_series, cap_series;
	uint64_t closed[N_ROLES][CAUSE_MAX];
	uint64_t rtx_done[AGG_RTX_N], rst_done[AGG_RST_N]; /* closed (and retired) */
	uint64_t rtx_open[AGG_RTX_N], rst_open[AGG_RST_N]; /* sums over `seen` */
	uint64_t synack_orphans;
	uint64_t lost[AGG_LOST_N];
	struct hmap seen; /* struct seen_key -> struct seen */
	uint64_t walk;
	uint64_t open_walk[TL_NSTATES], open[TL_NSTATES];
	struct hmap cw_walk; /* struct cw_key -> struct agg_cw_proc, this walk */
	struct agg_cw_proc *cw;
	size_t cw_n;
	uint64_t connerr[AGG_ERRNO_MAX + 1]; /* by errno */
	struct lsnagg *lsn; /* --listeners; NULL without */
};

static const char *const rtx_names[AGG_RTX_N] = { "syn", "synack", "fin", "data" };
static const char *const rst_names[AGG_RST_N] = { "sent", "received" };
static const char *const lost_names[AGG_LOST_N] = {
	[AGG_LOST_RINGBUF] = "ringbuf_full", [AGG_LOST_MAP_FULL] = "map_full",
	[AGG_LOST_BAD] = "bad_record",       [AGG_LOST_STALE] = "stale",
	[AGG_LOST_MISSED] = "missed_run",    [AGG_LOST_GAPS] = "gap",
	[AGG_LOST_OUTPUT] = "output",
};

const char *agg_retrans_name(enum agg_retrans k)
{
	return (unsigned int)k < AGG_RTX_N ? rtx_names[k] : "unknown";
}

const char *agg_reset_name(enum agg_reset d)
{
	return (unsigned int)d < AGG_RST_N ? rst_names[d] : "unknown";
}

const char *agg_lost_name(enum agg_lost r)
{
	return (unsigned int)r < AGG_LOST_N ? lost_names[r] : "unknown";
}

struct agg *agg_new(unsigned int max_ports)
{
	struct agg *a;

	if (!max_ports || max_ports > AGG_MAX_PORTS_LIMIT) {
		errno = EINVAL;
		return NULL;
	}
	a = calloc(1, sizeof(*a));
	if (!a)
		return NULL;
	a->max_ports = max_ports;
	a->idx = calloc((size_t)TL_NSTATES * N_ROLES * (max_ports + 1), sizeof(*a->idx));
	if (!a->idx || hmap_init(&a->seen, sizeof(struct seen_key)) ||
	    hmap_init(&a->cw_walk, sizeof(struct cw_key))) {
		agg_free(a);
		errno = ENOMEM;
		return NULL;
	}
	return a;
}

static void free_values(struct hmap *m)
{
	struct hmap_node *n, *next;
	size_t b;

	hmap_for_each_safe(m, n, next, b)
		free(hmap_del(m, n->key));
}

void agg_free(struct agg *a)
{
	if (!a)
		return;
	for (size_t i = 0; i < a->n_series; i++)
		free(a->series[i]);
	free(a->series);
	free(a->idx);
	free_values(&a->seen);
	hmap_fini(&a->seen);
	free_values(&a->cw_walk);
	hmap_fini(&a->cw_walk);
	free(a->cw);
	lsnagg_free(a->lsn);
	free(a);
}

int agg_listen_enable(struct agg *a)
{
	if (!a->lsn)
		a->lsn = lsnagg_new(a->max_ports);
	return a->lsn ? 0 : -ENOMEM;
}

struct lsnagg *agg_listeners(const struct agg *a)
{
	return a->lsn;
}

/* --- histograms ------------------------------------------------------- */

static unsigned int role_of(const struct conn *c)
{
	return c->role < N_ROLES ? (unsigned int)c->role : ROLE_UNKNOWN;
}

/* The port slot of a closed connection: the listener's port for a passive
 * one, the remote port for an active one; "other" when the role is not
 * known (which port is the service's is not) or the labels are used up. */
static unsigned int port_slot(struct agg *a, const struct conn *c, int32_t *port)
{
	unsigned int role = role_of(c);
	uint16_t p;

	*port = -1;
	if (role == ROLE_UNKNOWN)
		return a->max_ports;
	p = role == ROLE_PASSIVE ? c->tuple.sport : c->tuple.dport;
	if (!a->port_slot[p]) {
		if (a->n_ports >= a->max_ports)
			return a->max_ports;
		a->port_slot[p] = (uint16_t)++a->n_ports;
	}
	*port = p;
	return a->port_slot[p] - 1u;
}

/* Series order: state, role, port, "other" (-1) after every port. */
static int series_cmp(const struct agg_hist_series *x, const struct agg_hist_series *y)
{
	uint32_t px = (uint32_t)x->port, py = (uint32_t)y->port; /* -1: largest */

	if (x->state != y->state)
		return x->state < y->state ? -1 : 1;
	if (x->role != y->role)
		return x->role < y->role ? -1 : 1;
	return px < py ? -1 : px > py;
}

static struct agg_hist_series *series_add(struct agg *a, unsigned int state, unsigned int role,
					  int32_t port)
{
	struct agg_hist_series *s;
	size_t at;

	if (a->n_series == a->cap_series) {
		size_t cap = a->cap_series ? a->cap_series * 2 : 16;
		struct agg_hist_series **v = realloc(a->series, cap * sizeof(*v));

		if (!v)
			return NULL;
		a->series = v;
		a->cap_series = cap;
	}
	s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->state = (uint8_t)state;
	s->role = (uint8_t)role;
	s->port = port;
	/* A new label set is rare (bounded by states x roles x ports): keep
	 * the list sorted as it grows rather than sorting at every scrape. */
	for (at = a->n_series; at && series_cmp(a->series[at - 1], s) > 0; at--)
		;
	memmove(&a->series[at + 1], &a->series[at], (a->n_series - at) * sizeof(*a->series));
	a->series[at] = s;
	a->n_series++;
	return s;
}

static void observe(struct agg *a, const struct conn *c, unsigned int state)
{
	int32_t port;
	unsigned int role = role_of(c), slot = port_slot(a, c, &port);
	size_t i = ((size_t)state * N_ROLES + role) * (a->max_ports + 1) + slot;

	if (!a->idx[i])
		a->idx[i] = series_add(a, state, role, port);
	if (a->idx[i]) /* out of memory: the observation is dropped */
		hist_add(&a->idx[i]->h, c->state_ns[state]);
}

/* A closed connection has left every state on its path (conn_acct.h), a
 * half-open request its SYN_RECV too. */
static void observe_path(struct agg *a, const struct conn *c)
{
	uint8_t st[TL_NSTATES];
	size_t n = conn_path_states(c, st);

	for (size_t i = 0; i < n; i++)
		if (conn_measured(c, st[i]))
			observe(a, c, st[i]);
}

/* --- counters --------------------------------------------------------- */

static void conn_counts(const struct conn *c, uint64_t rtx[AGG_RTX_N], uint64_t rst[AGG_RST_N])
{
	rtx[AGG_RTX_SYN] = c->syn_retrans;
	rtx[AGG_RTX_SYNACK] = c->synack_retrans;
	rtx[AGG_RTX_FIN] = c->fin_retrans;
	rtx[AGG_RTX_DATA] = c->data_retrans;
	rst[AGG_RST_SENT] = c->rst_sent;
	rst[AGG_RST_RECEIVED] = c->rst_recv;
}

static void seen_key(const struct conn *c, struct seen_key *k)
{
	memset(k, 0, sizeof(*k));
	k->skaddr = c->skaddr;
	k->birth_ns = c->birth_ns;
}

/* Take a connection's open share out of the open sums and forget it;
 * `keep`: into the closed sums (it will not be counted again). */
static void seen_forget(struct agg *a, const struct seen_key *k, bool keep)
{
	struct seen *s = hmap_del(&a->seen, k);

	if (!s)
		return;
	for (unsigned int i = 0; i < AGG_RTX_N; i++) {
		a->rtx_open[i] -= s->rtx[i];
		a->rtx_done[i] += keep ? s->rtx[i] : 0;
	}
	for (unsigned int i = 0; i < AGG_RST_N; i++) {
		a->rst_open[i] -= s->rst[i];
		a->rst_done[i] += keep ? s->rst[i] : 0;
	}
	free(s);
}

void agg_closed(struct agg *a, const struct conn *c)
{
	uint64_t rtx[AGG_RTX_N], rst[AGG_RST_N];
	struct seen_key k;

	if (!c->closed)
		return;
	observe_path(a, c);
	if (c->cause < CAUSE_MAX)
		a->closed[role_of(c)][c->cause]++;
	/* The share an earlier walk counted is replaced by the final counts,
	 * never smaller: counted once, and the total never goes back. */
	seen_key(c, &k);
	seen_forget(a, &k, false);
	conn_counts(c, rtx, rst);
	for (unsigned int i = 0; i < AGG_RTX_N; i++)
		a->rtx_done[i] += rtx[i];
	for (unsigned int i = 0; i < AGG_RST_N; i++)
		a->rst_done[i] += rst[i];
}

void agg_set_lost(struct agg *a, enum agg_lost reason, uint64_t total)
{
	if ((unsigned int)reason < AGG_LOST_N)
		a->lost[reason] = total;
}

void agg_set_synack_orphans(struct agg *a, uint64_t total)
{
	a->synack_orphans = total;
}

void agg_connect_error(struct agg *a, int err)
{
	if (err > 0 && err <= AGG_ERRNO_MAX)
		a->connerr[err]++;
}

uint64_t agg_connect_errors(const struct agg *a, int err)
{
	return err > 0 && err <= AGG_ERRNO_MAX ? a->connerr[err] : 0;
}

int agg_connect_errors_next(const struct agg *a, int after)
{
	for (int e = after < 0 ? 1 : after + 1; e <= AGG_ERRNO_MAX; e++)
		if (a->connerr[e])
			return e;
	return 0;
}

/* --- the walk of open connections --------------------------------------- */

void agg_open_begin(struct agg *a)
{
	a->walk++;
	memset(a->open_walk, 0, sizeof(a->open_walk));
	free_values(&a->cw_walk);
}

/* The open share: each counter moves by what the connection gained since
 * the walk before (counters only grow while it lives). */
static void open_counters(struct agg *a, const struct conn *c)
{
	uint64_t rtx[AGG_RTX_N], rst[AGG_RST_N];
	struct seen_key k;
	struct seen *s;

	seen_key(c, &k);
	s = hmap_get(&a->seen, &k);
	if (!s) {
		s = calloc(1, sizeof(*s));
		if (!s || hmap_put(&a->seen, &k, s)) {
			free(s); /* out of memory: counted when it closes */
			return;
		}
	}
	conn_counts(c, rtx, rst);
	for (unsigned int i = 0; i < AGG_RTX_N; i++) {
		a->rtx_open[i] += rtx[i] - s->rtx[i];
		s->rtx[i] = rtx[i];
	}
	for (unsigned int i = 0; i < AGG_RST_N; i++) {
		a->rst_open[i] += rst[i] - s->rst[i];
		s->rst[i] = rst[i];
	}
	s->walk = a->walk;
}

static void cw_row(struct agg *a, const struct conn *c, uint64_t now_ns)
{
	struct cw_key k = {};
	struct agg_cw_proc *p;
	uint64_t age = conn_in_state_ns(c, now_ns);

	if (c->owner_known)
		memcpy(k.label, c->owner.comm, TL_COMM_LEN); /* k.label[16] stays 0 */
	/* A nameless owner is as good as none; a process named "unknown"
	 * shares that label rather than make two series of one label set. */
	if (!k.label[0])
		strcpy(k.label, "unknown");
	memset(k.label + strlen(k.label), 0, sizeof(k.label) - strlen(k.label));
	p = hmap_get(&a->cw_walk, &k);
	if (!p) {
		p = calloc(1, sizeof(*p));
		if (!p || hmap_put(&a->cw_walk, &k, p)) {
			free(p);
			return;
		}
		memcpy(p->comm, k.label, sizeof(p->comm));
	}
	p->unknown |= !c->owner_known || !c->owner.comm[0];
	p->sockets++;
	if (age > p->oldest_ns)
		p->oldest_ns = age;
}

void agg_open_row(struct agg *a, const struct conn *c, uint64_t now_ns)
{
	if (c->state < TL_NSTATES)
		a->open_walk[c->state]++;
	open_counters(a, c);
	if (c->state == TL_CLOSE_WAIT)
		cw_row(a, c, now_ns);
}

static int cw_cmp(const void *x, const void *y)
{
	const struct agg_cw_proc *p = x, *q = y;

	if (p->other != q->other)
		return p->other ? 1 : -1;
	if (p->sockets != q->sockets)
		return p->sockets > q->sockets ? -1 : 1;
	return strcmp(p->comm, q->comm);
}

/* The processes of this walk, most sockets first; past AGG_MAX_COMMS, and
 * a process that names itself "other", they are summed into "other". */
static void cw_publish(struct agg *a)
{
	size_t n = a->cw_walk.count, kept = 0, b;
	struct agg_cw_proc *v = calloc(n + 1, sizeof(*v)), other = { .other = true };
	struct hmap_node *it;

	if (!v)
		return; /* out of memory: the last walk's gauges stay */
	for (it = hmap_first(&a->cw_walk, &b); it; it = hmap_next(&a->cw_walk, it, &b))
		v[kept++] = *(const struct agg_cw_proc *)it->value;
	qsort(v, kept, sizeof(*v), cw_cmp);
	n = 0;
	for (size_t i = 0; i < kept; i++) {
		if (n < AGG_MAX_COMMS && strcmp(v[i].comm, "other")) {
			v[n++] = v[i];
			continue;
		}
		other.sockets += v[i].sockets;
		if (v[i].oldest_ns > other.oldest_ns)
			other.oldest_ns = v[i].oldest_ns;
	}
	if (other.sockets) {
		strcpy(other.comm, "other");
		v[n++] = other;
	}
	free(a->cw);
	a->cw = v;
	a->cw_n = n;
}

/* Connections that no walk has held for a while: their share is kept as
 * closed; the memory of them goes. */
static void seen_sweep(struct agg *a)
{
	struct hmap_node *n, *next;
	size_t b;

	hmap_for_each_safe(&a->seen, n, next, b) {
		const struct seen *s = n->value;

		if (a->walk - s->walk >= AGG_RETIRE_WALKS)
			seen_forget(a, (const struct seen_key *)n->key, true);
	}
}

void agg_open_end(struct agg *a)
{
	memcpy(a->open, a->open_walk, sizeof(a->open));
	cw_publish(a);
	free_values(&a->cw_walk);
	seen_sweep(a);
}

/* --- read access -------------------------------------------------------- */

size_t agg_hist_n(const struct agg *a)
{
	return a->n_series;
}

const struct agg_hist_series *agg_hist_at(const struct agg *a, size_t i)
{
	return i < a->n_series ? a->series[i] : NULL;
}

uint64_t agg_closed_count(const struct agg *a, unsigned int role, unsigned int cause)
{
	return role < N_ROLES && cause < CAUSE_MAX ? a->closed[role][cause] : 0;
}

uint64_t agg_open_count(const struct agg *a, unsigned int state)
{
	return state < TL_NSTATES ? a->open[state] : 0;
}

uint64_t agg_retrans(const struct agg *a, enum agg_retrans k)
{
	uint64_t v;

	if ((unsigned int)k >= AGG_RTX_N)
		return 0;
	v = a->rtx_done[k] + a->rtx_open[k];
	return k == AGG_RTX_SYNACK ? v + a->synack_orphans : v;
}

uint64_t agg_resets(const struct agg *a, enum agg_reset d)
{
	return (unsigned int)d < AGG_RST_N ? a->rst_done[d] + a->rst_open[d] : 0;
}

uint64_t agg_lost(const struct agg *a, enum agg_lost r)
{
	return (unsigned int)r < AGG_LOST_N ? a->lost[r] : 0;
}

size_t agg_cw_n(const struct agg *a)
{
	return a->cw_n;
}

const struct agg_cw_proc *agg_cw_at(const struct agg *a, size_t i)
{
	return i < a->cw_n ? &a->cw[i] : NULL;
}
