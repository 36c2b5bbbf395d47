// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "report_stats.h"
#include "states.h"

struct rep_stats {
	struct rep_row *rows;
	size_t n, cap;
	uint64_t skipped;
};

/* A row under its group's (or cause's, or process's) key, for sorting. */
struct keyed {
	char key[REP_KEY_LEN];
	const struct rep_row *r;
};

/* A run of equal keys in a sorted struct keyed array. */
struct run {
	size_t start, len;
};

struct rep_stats *rep_new(void)
{
	return calloc(1, sizeof(struct rep_stats));
}

void rep_free(struct rep_stats *s)
{
	if (!s)
		return;
	free(s->rows);
	free(s);
}

int rep_add(struct rep_stats *s, const struct rep_row *r)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 1024;
		struct rep_row *rows = reallocarray(s->rows, cap, sizeof(*rows));

		if (!rows)
			return -ENOMEM;
		s->rows = rows;
		s->cap = cap;
	}
	s->rows[s->n++] = *r;
	return 0;
}

void rep_skip(struct rep_stats *s)
{
	s->skipped++;
}

void rep_key(const struct rep_row *r, enum rep_by by, char *buf, size_t n)
{
	switch (by) {
	case REP_BY_PORT:
		snprintf(buf, n, "%u", (unsigned int)(r->role == ROLE_PASSIVE ? r->lport : r->rport));
		break;
	case REP_BY_COMM:
		snprintf(buf, n, "%s", r->owner_known ? r->comm : "");
		break;
	case REP_BY_RADDR:
		snprintf(buf, n, "%s", r->raddr);
		break;
	default:
		buf[0] = '\0';
	}
}

static int cmp_keyed(const void *a, const void *b)
{
	return strcmp(((const struct keyed *)a)->key, ((const struct keyed *)b)->key);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

/* Sorts k and splits it into runs of one key each; *runs is malloc'ed.
 * Returns the number of runs, or -ENOMEM. */
static long keyed_runs(struct keyed *k, size_t n, struct run **runs)
{
	size_t nr = 0;

	qsort(k, n, sizeof(*k), cmp_keyed);
	*runs = calloc(n ? n : 1, sizeof(**runs));
	if (!*runs)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		if (!i || strcmp(k[i].key, k[i - 1].key))
			(*runs)[nr++].start = i;
		(*runs)[nr - 1].len++;
	}
	return (long)nr;
}

/* Most rows first, ties by key (the runs' keys are distinct). */
static int cmp_runs(const void *a, const void *b, void *arg)
{
	const struct run *x = a, *y = b;
	const struct keyed *k = arg;

	if (x->len != y->len)
		return x->len < y->len ? 1 : -1;
	return strcmp(k[x->start].key, k[y->start].key);
}

/* One state's count, percentiles and histogram over the rows in rows[]. */
static int state_stats(const struct rep_row *const *rows, size_t n, unsigned int state,
		       struct rep_state *st)
{
	uint64_t *v = malloc((n ? n : 1) * sizeof(*v));
	size_t m = 0;

	if (!v)
		return -ENOMEM;
	memset(st, 0, sizeof(*st));
	st->state = state;
	for (size_t i = 0; i < n; i++)
		if (rows[i]->measured & (1u << state))
			v[m++] = rows[i]->ns[state];
	qsort(v, m, sizeof(*v), cmp_u64);
	for (size_t i = 0; i < m; i++)
		hist_add(&st->h, v[i]);
	st->count = m;
	st->p50_ns = pctl_nearest_rank(v, m, 50);
	st->p90_ns = pctl_nearest_rank(v, m, 90);
	st->p99_ns = pctl_nearest_rank(v, m, 99);
	st->max_ns = m ? v[m - 1] : 0;
	free(v);
	return 0;
}

/* The group of the rows in runs[0..nr), keyed k; its states with data. */
static int group_fill(struct rep_group *g, const struct keyed *k, const struct run *runs,
		      size_t nr, int state)
{
	const struct rep_row **rows;
	size_t n = 0;
	int err = 0;

	for (size_t i = 0; i < nr; i++)
		n += runs[i].len;
	rows = malloc((n ? n : 1) * sizeof(*rows));
	if (!rows)
		return -ENOMEM;
	for (size_t i = 0; i < nr; i++)
		for (size_t j = 0; j < runs[i].len; j++)
			rows[g->rows++] = k[runs[i].start + j].r;
	for (unsigned int c = 0; c < n_state_columns && !err; c++) {
		unsigned int s = state_columns[c].state;

		if (state >= 0 && (unsigned int)state != s)
			continue;
		err = state_stats(rows, n, s, &g->st[g->n_st]);
		if (!err && g->st[g->n_st].count)
			g->n_st++;
	}
	free(rows);
	return err;
}

/* The closed rows under their keys; *n set to how many. */
static struct keyed *closed_keyed(const struct rep_stats *s, enum rep_by by, size_t *n)
{
	struct keyed *k = calloc(s->n ? s->n : 1, sizeof(*k));

	*n = 0;
	if (!k)
		return NULL;
	for (size_t i = 0; i < s->n; i++) {
		if (s->rows[i].open)
			continue;
		rep_key(&s->rows[i], by, k[*n].key, sizeof(k[*n].key));
		k[(*n)++].r = &s->rows[i];
	}
	return k;
}

static int compute_groups(const struct rep_stats *s, enum rep_by by, int state,
			  size_t max_groups, struct rep_result *out)
{
	struct run *runs = NULL;
	size_t n, ng;
	struct keyed *k = closed_keyed(s, by, &n);
	long nr;
	int err = -ENOMEM;

	if (!k)
		return -ENOMEM;
	nr = keyed_runs(k, n, &runs);
	if (nr < 0)
		goto cleanup;
	qsort_r(runs, (size_t)nr, sizeof(*runs), cmp_runs, k);
	ng = (size_t)nr > max_groups ? max_groups + 1 : (size_t)nr;
	out->groups = calloc(ng ? ng : 1, sizeof(*out->groups));
	if (!out->groups)
		goto cleanup;
	err = 0;
	for (size_t i = 0; i < ng && !err; i++) {
		struct rep_group *g = &out->groups[i];

		g->other = i == max_groups;
		snprintf(g->key, sizeof(g->key), "%s", g->other ? "other" : k[runs[i].start].key);
		err = group_fill(g, k, &runs[i], g->other ? (size_t)nr - i : 1, state);
		out->n_groups++;
	}
cleanup:
	free(runs);
	free(k);
	return err;
}

/* Most first, ties by name. */
static int cmp_causes(const void *a, const void *b)
{
	const struct rep_cause *x = a, *y = b;

	if (x->count != y->count)
		return x->count < y->count ? 1 : -1;
	return strcmp(x->name, y->name);
}

static int compute_causes(const struct rep_stats *s, struct rep_result *out)
{
	struct run *runs = NULL;
	size_t n;
	struct keyed *k = closed_keyed(s, REP_BY_NONE, &n);
	long nr;
	int err = -ENOMEM;

	if (!k)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		snprintf(k[i].key, sizeof(k[i].key), "%s", k[i].r->cause);
	nr = keyed_runs(k, n, &runs);
	if (nr < 0)
		goto cleanup;
	out->causes = calloc(nr ? (size_t)nr : 1, sizeof(*out->causes));
	if (!out->causes)
		goto cleanup;
	for (long i = 0; i < nr; i++) {
		snprintf(out->causes[i].name, sizeof(out->causes[i].name), "%s",
			 k[runs[i].start].r->cause);
		out->causes[i].count = runs[i].len;
	}
	out->n_causes = (size_t)nr;
	qsort(out->causes, out->n_causes, sizeof(*out->causes), cmp_causes);
	err = 0;
cleanup:
	free(runs);
	free(k);
	return err;
}

/* A process: its owner (known or not), pid and comm. */
static int cmp_owner(const void *a, const void *b)
{
	const struct rep_row *x = *(const struct rep_row *const *)a;
	const struct rep_row *y = *(const struct rep_row *const *)b;
	int c = (int)x->owner_known - (int)y->owner_known;

	if (c)
		return c;
	c = strcmp(x->owner_known ? x->comm : "", y->owner_known ? y->comm : "");
	if (c)
		return c;
	return x->owner_known ? (x->pid > y->pid) - (x->pid < y->pid) : 0;
}

struct proc_sums {
	const struct rep_row *first; /* names the process */
	uint64_t v[REP_TOP_N];
};

static uint64_t row_value(const struct rep_row *r, enum rep_top t)
{
	switch (t) {
	case REP_TOP_CLOSE_WAIT:
		return (r->measured & (1u << TL_CLOSE_WAIT)) ? r->ns[TL_CLOSE_WAIT] : 0;
	case REP_TOP_RETRANS:
		return r->retrans;
	default:
		return r->resets;
	}
}

/* Largest value of kind *arg first; ties by process. */
static int cmp_sums(const void *a, const void *b, void *arg)
{
	const struct proc_sums *x = a, *y = b;
	enum rep_top t = *(const enum rep_top *)arg;

	if (x->v[t] != y->v[t])
		return x->v[t] < y->v[t] ? 1 : -1;
	return cmp_owner(&x->first, &y->first);
}

static void top_pick(struct proc_sums *p, size_t np, enum rep_top t, struct rep_result *out)
{
	qsort_r(p, np, sizeof(*p), cmp_sums, &t);
	for (size_t i = 0; i < np && i < REP_TOP_MAX && p[i].v[t]; i++) {
		struct rep_proc *o = &out->top[t][out->n_top[t]++];

		o->owner_known = p[i].first->owner_known;
		o->pid = p[i].first->pid;
		snprintf(o->comm, sizeof(o->comm), "%s", o->owner_known ? p[i].first->comm : "");
		o->value = p[i].v[t];
	}
}

static uint64_t add_sat(uint64_t a, uint64_t b)
{
	return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

static int compute_top(const struct rep_stats *s, struct rep_result *out)
{
	const struct rep_row **r = malloc((s->n ? s->n : 1) * sizeof(*r));
	struct proc_sums *p = calloc(s->n ? s->n : 1, sizeof(*p));
	size_t np = 0;

	if (!r || !p) {
		free(r);
		free(p);
		return -ENOMEM;
	}
	for (size_t i = 0; i < s->n; i++)
		r[i] = &s->rows[i];
	qsort(r, s->n, sizeof(*r), cmp_owner);
	for (size_t i = 0; i < s->n; i++) {
		if (!i || cmp_owner(&r[i], &r[i - 1]))
			p[np++].first = r[i];
		for (int t = 0; t < REP_TOP_N; t++)
			p[np - 1].v[t] = add_sat(p[np - 1].v[t], row_value(r[i], (enum rep_top)t));
	}
	for (int t = 0; t < REP_TOP_N; t++)
		top_pick(p, np, (enum rep_top)t, out);
	free(r);
	free(p);
	return 0;
}

int rep_compute(const struct rep_stats *s, enum rep_by by, int state, size_t max_groups,
		struct rep_result *out)
{
	int err;

	memset(out, 0, sizeof(*out));
	out->rows = s->n;
	out->skipped = s->skipped;
	for (size_t i = 0; i < s->n; i++)
		out->open += s->rows[i].open;
	err = compute_groups(s, by, state, max_groups ? max_groups : 1, out);
	if (!err)
		err = compute_causes(s, out);
	if (!err)
		err = compute_top(s, out);
	if (err)
		rep_result_free(out);
	return err;
}

void rep_result_free(struct rep_result *res)
{
	free(res->groups);
	free(res->causes);
	res->groups = NULL;
	res->causes = NULL;
	res->n_groups = res->n_causes = 0;
}
