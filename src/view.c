// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"
#include "conntab.h"
#include "conn_acct.h"
#include "conn_extra.h"
#include "outputs.h"
#include "states.h"
#include "view.h"


static const struct {
	const char *name;
	bool largest_first;
} cols[VCOL_N] = {
	[VCOL_PID] = { "PID", false },       [VCOL_COMM] = { "COMM", false },
	[VCOL_FD] = { "FD", false },         [VCOL_LOCAL] = { "LOCAL", false },
	[VCOL_REMOTE] = { "REMOTE", false }, [VCOL_STATE] = { "STATE", false },
	[VCOL_INSTATE] = { "IN_STATE", true }, [VCOL_AGE] = { "AGE", true },
	[VCOL_RTX] = { "RTX", true },
};

const char *view_col_name(enum view_col c)
{
	return (unsigned int)c < VCOL_N ? cols[c].name : "?";
}

int view_init(struct view *v, uint32_t cli_states, size_t closed_cap)
{
	memset(v, 0, sizeof(*v));
	v->cli_states = cli_states;
	v->sort = VCOL_INSTATE;
	v->closed_cap = closed_cap ? closed_cap : 1;
	v->closed = calloc(v->closed_cap, sizeof(*v->closed));
	return v->closed ? 0 : -ENOMEM;
}

void view_fini(struct view *v)
{
	if (!v)
		return;
	for (size_t i = 0; v->closed && i < v->closed_cap; i++)
		conn_extra_free(&v->closed[i]);
	free(v->closed);
	free(v->sorting.tmp);
	free(v->rows);
	free(v->all);
	free(v->keys);
	free(v->kept); /* shallow copies: their rare parts are the table's */
	memset(v, 0, sizeof(*v));
}

static void add_counts(uint64_t rtx[4], uint64_t rst[2], const struct conn *c)
{
	rtx[0] += c->syn_retrans;
	rtx[1] += c->synack_retrans;
	rtx[2] += c->fin_retrans;
	rtx[3] += c->data_retrans;
	rst[0] += c->rst_sent;
	rst[1] += c->rst_recv;
}

static void hist_feed(struct view *v, const struct conn *c)
{
	uint8_t st[TL_NSTATES];
	size_t n = conn_path_states(c, st);

	for (size_t i = 0; i < n; i++)
		if (conn_measured(c, st[i]))
			hist_add(&v->hist[st[i]], c->state_ns[st[i]]);
}

void view_closed(struct view *v, const struct conn *c)
{
	if (!c->closed)
		return; /* the open ones written at exit: the view is gone by then */
	v->closed_total++;
	hist_feed(v, c);
	add_counts(v->closed_rtx, v->closed_rst, c);
	/* A copy of its own: the table frees c's extra part with c. Out of
	 * memory, the copy shows no other holders and no dropper; the rows
	 * written had them. */
	if (v->closed_n < v->closed_cap) {
		(void)conn_copy(&v->closed[(v->closed_head + v->closed_n++) % v->closed_cap], c);
	} else {
		conn_extra_free(&v->closed[v->closed_head]);
		(void)conn_copy(&v->closed[v->closed_head], c);
		v->closed_head = (v->closed_head + 1) % v->closed_cap;
	}
	v->closed_seq++;
}

/* ------------------------------------------------------------ ordering */

static uint64_t age_ns(const struct conn *c, uint64_t now)
{
	return now > c->start_ns ? now - c->start_ns : 0;
}

static int cmp_u64(uint64_t a, uint64_t b)
{
	return a < b ? -1 : a > b;
}

static int cmp_endpoint(const struct tl_tuple *a, const struct tl_tuple *b, bool local)
{
	int r = cmp_u64(a->family, b->family);

	if (!r)
		r = memcmp(local ? a->saddr : a->daddr, local ? b->saddr : b->daddr,
			   sizeof(a->saddr));
	if (!r)
		r = cmp_u64(local ? a->sport : a->dport, local ? b->sport : b->dport);
	return r;
}

/* < 0 when `a` is shown above `b`. Unknown owners and fds go last whatever
 * the direction; ties fall back on the socket, so rows do not jump. */
static int row_cmp(const struct view *v, const struct conn *a, const struct conn *b)
{
	int r = 0;

	switch (v->sort) {
	case VCOL_PID:
	case VCOL_COMM:
		if (a->owner_known != b->owner_known)
			return a->owner_known ? -1 : 1;
		r = v->sort == VCOL_PID ? cmp_u64(a->owner.pid, b->owner.pid) :
		    strncmp(a->owner.comm, b->owner.comm, TL_COMM_LEN);
		break;
	case VCOL_FD:
		if ((a->fd >= 0) != (b->fd >= 0))
			return a->fd >= 0 ? -1 : 1;
		r = cmp_u64((uint64_t)a->fd, (uint64_t)b->fd);
		break;
	case VCOL_LOCAL:
	case VCOL_REMOTE:
		r = cmp_endpoint(&a->tuple, &b->tuple, v->sort == VCOL_LOCAL);
		break;
	case VCOL_STATE:
		r = cmp_u64(a->state, b->state);
		break;
	case VCOL_INSTATE:
		r = cmp_u64(conn_in_state_ns(a, v->now_ns), conn_in_state_ns(b, v->now_ns));
		break;
	case VCOL_AGE:
		r = cmp_u64(age_ns(a, v->now_ns), age_ns(b, v->now_ns));
		break;
	default:
		r = cmp_u64(conn_retrans(a), conn_retrans(b));
		break;
	}
	if ((unsigned int)v->sort < VCOL_N && cols[v->sort].largest_first)
		r = -r;
	if (v->reverse)
		r = -r;
	if (!r)
		r = cmp_u64(a->skaddr, b->skaddr);
	if (!r)
		r = cmp_u64(a->birth_ns, b->birth_ns);
	return r;
}

/* The sort column as one number that orders rows as row_cmp does (smaller:
 * shown first), ties aside; false for the columns compared as text. Taken
 * in view_add, while the connection is in the cache: the selection then
 * reads a million keys in a row instead of a million connections again
 * (at 1 000 000 open, that second pass was 29 % of a refresh; perf). */
static bool row_key(const struct view *v, const struct conn *c, uint64_t *key)
{
	bool neg = cols[v->sort].largest_first != v->reverse;
	uint64_t k;

	switch (v->sort) {
	case VCOL_PID:
		if (!c->owner_known) {
			*key = UINT64_MAX; /* last, whatever the direction */
			return true;
		}
		*key = neg ? UINT32_MAX - (uint64_t)c->owner.pid : c->owner.pid;
		return true;
	case VCOL_FD:
		if (c->fd < 0) {
			*key = UINT64_MAX;
			return true;
		}
		*key = neg ? UINT32_MAX - (uint64_t)c->fd : (uint64_t)c->fd;
		return true;
	case VCOL_STATE:
		k = c->state;
		break;
	case VCOL_INSTATE:
		k = conn_in_state_ns(c, v->now_ns);
		break;
	case VCOL_AGE:
		k = age_ns(c, v->now_ns);
		break;
	case VCOL_RTX:
		k = conn_retrans(c);
		break;
	default:
		return false;
	}
	*key = neg ? ~k : k;
	return true;
}

/* qsort_r's comparator over struct conn * elements. */
static int row_qcmp(const void *pa, const void *pb, void *ctx)
{
	return row_cmp(ctx, *(struct conn *const *)pa, *(struct conn *const *)pb);
}

/* A max-heap on row_cmp: the root is the row that would be shown last of
 * those kept, so a better candidate replaces it. */
static void sift_down(const struct view *v, struct conn **h, size_t n, size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;
		struct conn *t;

		if (l < n && row_cmp(v, h[l], h[m]) > 0)
			m = l;
		if (r < n && row_cmp(v, h[r], h[m]) > 0)
			m = r;
		if (m == i)
			return;
		t = h[i];
		h[i] = h[m];
		h[m] = t;
		i = m;
	}
}

static void sift_up(const struct view *v, struct conn **h, size_t i)
{
	while (i) {
		size_t p = (i - 1) / 2;
		struct conn *t;

		if (row_cmp(v, h[i], h[p]) <= 0)
			return;
		t = h[i];
		h[i] = h[p];
		h[p] = t;
		i = p;
	}
}

/* Every row in order (batch), in steps of about VIEW_STEP_ROWS rows' work,
 * so that main's loop reads the ring buffer in between (ingest.c): runs of
 * VIEW_STEP_ROWS sorted, then merged pairwise. One qsort_r of a million
 * rows took a second with nothing read (the bench's 1M batch run). */
static void sort_start(struct view *v, size_t n)
{
	struct view_sort *s = &v->sorting;

	free(s->tmp);
	memset(s, 0, sizeof(*s));
	s->n = n;
	s->phase = n ? VSORT_RUNS : VSORT_DONE;
}

/* The pair of runs starting at s->lo. */
static void merge_pair(struct view_sort *s)
{
	s->mid = s->lo + s->run < s->n ? s->lo + s->run : s->n;
	s->hi = s->lo + 2 * s->run < s->n ? s->lo + 2 * s->run : s->n;
	s->i = s->lo;
	s->j = s->mid;
	s->k = s->lo;
}

static bool merge_begin(struct view *v)
{
	struct view_sort *s = &v->sorting;

	s->phase = VSORT_DONE;
	if (s->n <= VIEW_STEP_ROWS)
		return false;
	s->tmp = malloc(s->n * sizeof(*s->tmp));
	if (!s->tmp) {
		qsort_r(v->rows, s->n, sizeof(*v->rows), row_qcmp, v); /* the same order, at once */
		return false;
	}
	s->src = v->rows;
	s->dst = s->tmp;
	s->run = VIEW_STEP_ROWS;
	s->lo = 0;
	merge_pair(s);
	s->phase = VSORT_MERGE;
	return true;
}

static void merge_end(struct view *v)
{
	struct view_sort *s = &v->sorting;

	if (s->src != v->rows)
		memcpy(v->rows, s->src, s->n * sizeof(*v->rows));
	free(s->tmp);
	s->tmp = NULL;
	s->phase = VSORT_DONE;
}

/* Up to VIEW_STEP_ROWS rows placed; false once the last pass is done. */
static bool merge_step(struct view *v)
{
	struct view_sort *s = &v->sorting;
	struct conn **t;

	for (size_t left = VIEW_STEP_ROWS; left; left--) {
		while (s->k == s->hi) {
			s->lo += 2 * s->run;
			if (s->lo >= s->n) {
				t = s->src;
				s->src = s->dst;
				s->dst = t;
				s->run *= 2;
				s->lo = 0;
				if (s->run >= s->n) {
					merge_end(v);
					return false;
				}
			}
			merge_pair(s);
		}
		/* Ties keep the earlier run first: stable. */
		if (s->j >= s->hi || (s->i < s->mid && row_cmp(v, s->src[s->j], s->src[s->i]) >= 0))
			s->dst[s->k++] = s->src[s->i++];
		else
			s->dst[s->k++] = s->src[s->j++];
	}
	return true;
}

bool view_sort_step(struct view *v)
{
	struct view_sort *s = &v->sorting;
	size_t len;

	if (s->phase == VSORT_MERGE)
		return merge_step(v);
	if (s->phase != VSORT_RUNS)
		return false;
	len = s->n - s->lo < VIEW_STEP_ROWS ? s->n - s->lo : VIEW_STEP_ROWS;
	qsort_r(v->rows + s->lo, len, sizeof(*v->rows), row_qcmp, v);
	s->lo += len;
	return s->lo < s->n || merge_begin(v);
}

/* ------------------------------------------------------------ gathering */

static bool search_hit(const struct view *v, const struct conn *c)
{
	struct view_row r;

	if (!v->search[0])
		return true;
	view_fmt_row(v, c, &r);
	return strstr(r.pid, v->search) || strstr(r.comm, v->search) ||
	       strstr(r.local, v->search) || strstr(r.remote, v->search);
}

void view_begin(struct view *v, uint64_t now_ns)
{
	v->now_ns = now_ns;
	v->n_open = v->n_match = v->n_counted = 0;
	memset(v->by_state, 0, sizeof(v->by_state));
	memset(v->open_rtx, 0, sizeof(v->open_rtx));
	memset(v->open_rst, 0, sizeof(v->open_rst));
	v->n_rows = 0;
	v->top = 0;
	v->oom = false;
	v->keyed = v->sort == VCOL_PID || v->sort == VCOL_FD || v->sort == VCOL_STATE ||
		   v->sort == VCOL_INSTATE || v->sort == VCOL_AGE || v->sort == VCOL_RTX;
}

/* Room for k (>= 1) row pointers. 0 or -ENOMEM (rows unchanged). */
static int rows_room(struct view *v, size_t k)
{
	struct conn **p;

	if (k <= v->max_rows && v->rows)
		return 0;
	p = realloc(v->rows, k * sizeof(*p));
	if (!p)
		return -ENOMEM;
	v->rows = p;
	v->max_rows = k;
	return 0;
}

void view_begin_top(struct view *v, uint64_t now_ns, size_t max_rows)
{
	size_t k = max_rows ? max_rows : 1;

	view_begin(v, now_ns);
	if (k > v->cap_kept) {
		struct conn *p = realloc(v->kept, k * sizeof(*p));

		if (!p) {
			v->oom = true;
			return;
		}
		v->kept = p;
		v->cap_kept = k;
	}
	if (rows_room(v, k)) {
		v->oom = true;
		return;
	}
	v->top = k;
}

static uint64_t root_key(const struct view *v);

/* view_begin_top's selection, as the match comes: the heap of view_select
 * fed in the same order, so the same rows in the same order. */
static void keep_top(struct view *v, const struct conn *c)
{
	size_t n = v->n_rows;
	uint64_t key;

	v->n_match++;
	if (v->oom)
		return;
	if (v->keyed && !row_key(v, c, &key))
		v->keyed = false;
	if (n < v->top) {
		v->kept[n] = *c;
		v->rows[n] = &v->kept[n];
		v->n_rows = n + 1;
		sift_up(v, v->rows, n);
		v->top_rk = root_key(v);
		return;
	}
	/* A key above the root's is shown after it: the copy not made. */
	if (v->keyed && key > v->top_rk)
		return;
	if (row_cmp(v, c, v->rows[0]) < 0) {
		*v->rows[0] = *c;
		sift_down(v, v->rows, n, 0);
		v->top_rk = root_key(v);
	}
}

void view_add(struct view *v, struct conn *c)
{
	v->n_open++;
	add_counts(v->open_rtx, v->open_rst, c);
	if (!conn_in_states(c, v->cli_states))
		return;
	if (v->pid && (!c->owner_known || c->owner.pid != v->pid))
		return;
	if (!search_hit(v, c))
		return;
	v->n_counted++;
	if (c->state < TL_NSTATES)
		v->by_state[c->state]++;
	if (!conn_in_states(c, v->states))
		return;
	if (v->top) {
		keep_top(v, c);
		return;
	}
	if (v->n_match == v->cap_all) {
		size_t cap = v->cap_all ? v->cap_all * 2 : 1024;
		struct conn **p = realloc(v->all, cap * sizeof(*p));
		uint64_t *k;

		if (!p) {
			v->oom = true;
			return;
		}
		v->all = p;
		k = realloc(v->keys, cap * sizeof(*k));
		if (!k) {
			v->oom = true;
			return;
		}
		v->keys = k;
		v->cap_all = cap;
	}
	if (v->keyed && !row_key(v, c, &v->keys[v->n_match]))
		v->keyed = false;
	v->all[v->n_match++] = c;
}

/* The key of the heap's root: the row kept that would be shown last. */
static uint64_t root_key(const struct view *v)
{
	uint64_t k = 0;

	if (v->keyed && !row_key(v, v->rows[0], &k))
		return 0;
	return k;
}

int view_select(struct view *v, size_t max_rows, const struct view_stats *st)
{
	size_t k = v->n_match < max_rows ? v->n_match : max_rows;
	uint64_t rk;

	if (st) {
		if (v->last_ns && v->now_ns > v->last_ns && st->records >= v->last_records)
			v->events_per_s = (double)(st->records - v->last_records) * 1e9 /
					  (double)(v->now_ns - v->last_ns);
		v->last_records = st->records;
		v->last_ns = v->now_ns;
	}
	sort_start(v, 0);
	if (v->oom) {
		v->n_rows = 0;
		return -ENOMEM;
	}
	if (v->top) { /* kept as they came (keep_top): in order now */
		qsort_r(v->rows, v->n_rows, sizeof(*v->rows), row_qcmp, v);
		return 0;
	}
	if (rows_room(v, k ? k : 1))
		return -ENOMEM;
	/* k == 0: v->all may still be NULL, and memcpy's source must not be. */
	if (k)
		memcpy(v->rows, v->all, k * sizeof(*v->rows));
	v->n_rows = k;
	if (k == v->n_match) {
		/* All of them shown (batch): sorted by view_sort_step. */
		sort_start(v, k);
		return 0;
	}
	/* The k best of n in O(n log k). A match whose key is above the
	 * root's is shown after it: skipped without reading the connection. */
	for (size_t i = 1; i < k; i++)
		sift_up(v, v->rows, i);
	rk = k ? root_key(v) : 0;
	for (size_t i = k; i < v->n_match && k; i++) {
		if (v->keyed && v->keys[i] > rk)
			continue;
		if (row_cmp(v, v->all[i], v->rows[0]) < 0) {
			v->rows[0] = v->all[i];
			sift_down(v, v->rows, k, 0);
			rk = root_key(v);
		}
	}
	qsort_r(v->rows, k, sizeof(*v->rows), row_qcmp, v);
	return 0;
}

int view_end(struct view *v, size_t max_rows, const struct view_stats *st)
{
	int rc = view_select(v, max_rows, st);

	while (!rc && view_sort_step(v))
		;
	return rc;
}

uint64_t view_next_ns(uint64_t start_ns, uint64_t cost_ns, uint64_t interval_ns, bool *stretched)
{
	uint64_t busy = cost_ns <= UINT64_MAX / VIEW_BUSY_FACTOR ? cost_ns * VIEW_BUSY_FACTOR
								: UINT64_MAX;
	uint64_t wait;

	*stretched = busy > interval_ns;
	wait = *stretched ? busy : interval_ns;
	return wait > UINT64_MAX - start_ns ? UINT64_MAX : start_ns + wait;
}

bool view_wants(const struct view *v, const struct conn *c)
{
	if (!conn_in_states(c, v->cli_states) || !conn_in_states(c, v->states))
		return false;
	if (v->pid && (!c->owner_known || c->owner.pid != v->pid))
		return false;
	return search_hit(v, c);
}

const struct conn *view_closed_at(const struct view *v, size_t age)
{
	if (age >= v->closed_n)
		return NULL;
	return &v->closed[(v->closed_head + v->closed_n - 1 - age) % v->closed_cap];
}

const struct conn *view_closed_nth(const struct view *v, size_t i)
{
	const struct conn *c;

	for (size_t age = 0; (c = view_closed_at(v, age)); age++)
		if (view_wants(v, c) && i-- == 0)
			return c;
	return NULL;
}

/* ------------------------------------------------------------ formatting */

void view_dur(uint64_t ns, char *buf, size_t n)
{
	uint64_t us = ns / 1000, ms = ns / 1000000, s = ns / 1000000000ULL;

	if (ns < 1000000)
		snprintf(buf, n, "%" PRIu64 "us", us);
	else if (ms < 100)
		snprintf(buf, n, "%" PRIu64 ".%" PRIu64 "ms", ms, us / 100 % 10);
	else if (s < 1)
		snprintf(buf, n, "%" PRIu64 "ms", ms);
	else if (s < 10)
		snprintf(buf, n, "%" PRIu64 ".%02" PRIu64 "s", s, ms / 10 % 100);
	else if (s < 60)
		snprintf(buf, n, "%" PRIu64 ".%" PRIu64 "s", s, ms / 100 % 10);
	else if (s < 3600)
		snprintf(buf, n, "%" PRIu64 "m%02" PRIu64 "s", s / 60, s % 60);
	else if (s < 86400)
		snprintf(buf, n, "%" PRIu64 "h%02" PRIu64 "m", s / 3600, s / 60 % 60);
	else
		snprintf(buf, n, "%" PRIu64 "d%02" PRIu64 "h", s / 86400, s / 3600 % 24);
}

static size_t addr_w(const struct view *v)
{
	return v->wide ? WADDR_W : ADDR_W;
}

void view_fmt_row(const struct view *v, const struct conn *c, struct view_row *r)
{
	struct ident_cols id;
	char d[16];
	/* Open before the start, still in the first state seen: the time is
	 * counted from when the tool saw it, a lower bound. */
	bool at_least = !conn_measured(c, c->state) || (c->preexisting && c->path_len <= 1);

	ident_fmt(c, PID_W, VCOMM_W, addr_w(v), &id);
	memcpy(r->pid, id.pid, sizeof(r->pid));
	memcpy(r->comm, id.comm, sizeof(r->comm));
	memcpy(r->local, id.local, sizeof(r->local));
	memcpy(r->remote, id.remote, sizeof(r->remote));
	if (c->owner_known && c->fd >= 0)
		snprintf(r->fd, sizeof(r->fd), "%d", c->fd);
	else
		snprintf(r->fd, sizeof(r->fd), "-");
	fit_end(state_name(c->state), VSTATE_W, r->state);
	view_dur(conn_in_state_ns(c, v->now_ns), d, sizeof(d));
	snprintf(r->instate, sizeof(r->instate), "%s%s", at_least ? ">=" : "", d);
	view_dur(age_ns(c, v->now_ns), d, sizeof(d));
	snprintf(r->age, sizeof(r->age), "%s%s", c->start_exact ? "" : ">=", d);
	snprintf(r->rtx, sizeof(r->rtx), "%" PRIu32 "/%" PRIu32 "/%" PRIu32 "/%" PRIu32,
		 c->syn_retrans, c->synack_retrans, c->fin_retrans, c->data_retrans);
}

void view_fmt_closed(const struct view *v, const struct conn *c, struct view_closed_row *r)
{
	uint8_t st[TL_NSTATES];
	size_t n = conn_path_states(c, st), o = 0;
	struct ident_cols id;

	ident_fmt(c, PID_W, VCOMM_W, addr_w(v), &id);
	memcpy(r->pid, id.pid, sizeof(r->pid));
	memcpy(r->comm, id.comm, sizeof(r->comm));
	memcpy(r->local, id.local, sizeof(r->local));
	memcpy(r->remote, id.remote, sizeof(r->remote));
	fit_end(cause_name(c->cause), VCAUSE_W, r->cause);
	r->states[0] = '\0';
	/* Each state once, in the order entered, with all the time spent there. */
	for (size_t i = 0; i < n; i++) {
		unsigned int s = st[i];
		char d[16] = "-";
		int w;

		if (conn_measured(c, s))
			view_dur(c->state_ns[s], d, sizeof(d));
		w = snprintf(r->states + o, sizeof(r->states) - o, "%s%s %s", o ? " > " : "",
			     state_name(s), d);
		if (w < 0 || (size_t)w >= sizeof(r->states) - o)
			return;
		o += (size_t)w;
	}
	if (c->path_truncated)
		snprintf(r->states + o, sizeof(r->states) - o, " > ...");
}

/* ------------------------------------------------------------ text lines */

static void fmt_uptime(uint64_t ns, char *buf, size_t n)
{
	uint64_t s = ns / 1000000000ULL;

	if (s >= 86400)
		snprintf(buf, n, "%" PRIu64 "d %02" PRIu64 ":%02" PRIu64 ":%02" PRIu64, s / 86400,
			 s / 3600 % 24, s / 60 % 60, s % 60);
	else
		snprintf(buf, n, "%" PRIu64 ":%02" PRIu64 ":%02" PRIu64, s / 3600, s / 60 % 60,
			 s % 60);
}

size_t view_hdr_top(const struct view *v, const struct view_stats *st, char *buf, size_t n)
{
	char up[32];
	int w;

	fmt_uptime(v->now_ns > st->start_ns ? v->now_ns - st->start_ns : 0, up, sizeof(up));
	w = snprintf(buf, n, "tcplife-states - up %s, %.0f events/s, %zu open, %zu shown, "
		     "refresh %" PRIu64 ".%03" PRIu64 " ms", up, v->events_per_s, v->n_open,
		     v->n_match, v->refresh_ns / 1000000, v->refresh_ns / 1000 % 1000);
	return w < 0 ? 0 : strlen(buf);
}

bool view_hdr_drops(const struct view_stats *st, char *buf, size_t n)
{
	bool lost = st->rb_drops || st->map_full || st->bad_records || st->stale || st->missed ||
		    st->gaps;
	char gaps[40] = "";

	/* Shown once there are some: the line of a clean run stays short. */
	if (st->gaps)
		snprintf(gaps, sizeof(gaps), ", gaps %" PRIu64, st->gaps);
	snprintf(buf, n, "%s ringbuf %" PRIu64 ", map full %" PRIu64 ", bad records %" PRIu64
		 ", stale %" PRIu64 ", missed %" PRIu64 "%s, healed %" PRIu64 "%s",
		 lost ? "DROPS:" : "drops: none;", st->rb_drops, st->map_full, st->bad_records,
		 st->stale, st->missed, gaps, st->healed,
		 lost ? " - some connections are missing or incomplete" : "");
	return lost;
}

size_t view_hdr_states(const struct view *v, char *buf, size_t n)
{
	size_t o = 0;
	int w;

	w = snprintf(buf, n, "open by state:");
	o = w < 0 ? 0 : (size_t)w;
	for (unsigned int s = 0; s < TL_NSTATES && o < n; s++) {
		if (!v->by_state[s])
			continue;
		w = snprintf(buf + o, n - o, " %s %" PRIu32, state_name(s), v->by_state[s]);
		if (w < 0)
			break;
		o += (size_t)w;
	}
	if (o < n && !v->n_counted)
		snprintf(buf + o, n - o, " none");
	return strlen(buf);
}

size_t view_hdr_totals(const struct view *v, const struct view_stats *st, char *buf, size_t n)
{
	snprintf(buf, n, "since start: retransmits SYN %" PRIu64 ", SYN-ACK %" PRIu64 ", FIN %" PRIu64
		 ", data %" PRIu64 "; resets sent %" PRIu64 ", received %" PRIu64 "; closed %" PRIu64
		 "; connect() failed %" PRIu64,
		 v->closed_rtx[0] + v->open_rtx[0],
		 v->closed_rtx[1] + v->open_rtx[1] + st->synack_orphans,
		 v->closed_rtx[2] + v->open_rtx[2], v->closed_rtx[3] + v->open_rtx[3],
		 v->closed_rst[0] + v->open_rst[0], v->closed_rst[1] + v->open_rst[1],
		 v->closed_total, st->connect_errors);
	return strlen(buf);
}

size_t view_hdr_mode(const struct view *v, char *buf, size_t n)
{
	bool desc = cols[v->sort].largest_first != v->reverse;
	size_t o;
	int w;

	w = snprintf(buf, n, "sort %s %s; filter:", view_col_name(v->sort),
		     desc ? "(largest first)" : "(smallest first)");
	o = w < 0 ? 0 : strlen(buf);
	if (v->cli_states && o < n)
		o += (size_t)snprintf(buf + o, n - o, " --state");
	if (v->states && o < n) {
		w = snprintf(buf + o, n - o, " state");
		o = strlen(buf);
		for (unsigned int s = 0; s < 32 && o < n; s++)
			if (v->states & (1u << s))
				o += (size_t)snprintf(buf + o, n - o, " %s", state_name(s));
	}
	if (v->pid && o < n)
		o += (size_t)snprintf(buf + o, n - o, " pid %" PRIu32, v->pid);
	if (v->search[0] && o < n)
		o += (size_t)snprintf(buf + o, n - o, " search '%s'", v->search);
	if (!v->cli_states && !v->states && !v->pid && !v->search[0] && o < n)
		snprintf(buf + o, n - o, " none");
	(void)w;
	return strlen(buf);
}

size_t view_line_head(const struct view *v, char *buf, size_t n)
{
	int aw = (int)addr_w(v);

	snprintf(buf, n, "%-*s %-*s %*s %-*s %-*s %-*s %*s %*s %s", PID_W, "PID", VCOMM_W, "COMM",
		 FD_W, "FD", aw, "LOCAL", aw, "REMOTE", VSTATE_W, "STATE", VDUR_W, "IN_STATE",
		 VDUR_W, "AGE", "RTX SYN/SA/FIN/DATA");
	return strlen(buf);
}

void view_col_span(const struct view *v, enum view_col c, size_t *start, size_t *width)
{
	const size_t w[VCOL_N] = {
		[VCOL_PID] = PID_W, [VCOL_COMM] = VCOMM_W, [VCOL_FD] = FD_W,
		[VCOL_LOCAL] = addr_w(v), [VCOL_REMOTE] = addr_w(v), [VCOL_STATE] = VSTATE_W,
		[VCOL_INSTATE] = VDUR_W, [VCOL_AGE] = VDUR_W, [VCOL_RTX] = 19,
	};
	size_t o = 0;

	for (unsigned int i = 0; i < VCOL_N && i < (unsigned int)c; i++)
		o += w[i] + 1;
	*start = o;
	*width = (unsigned int)c < VCOL_N ? w[c] : 0;
}

size_t view_line_row(const struct view *v, const struct view_row *r, char *buf, size_t n)
{
	int aw = (int)addr_w(v);

	snprintf(buf, n, "%-*s %-*s %*s %-*s %-*s %-*s %*s %*s %s", PID_W, r->pid, VCOMM_W, r->comm,
		 FD_W, r->fd, aw, r->local, aw, r->remote, VSTATE_W, r->state, VDUR_W, r->instate,
		 VDUR_W, r->age, r->rtx);
	return strlen(buf);
}

size_t view_line_closed_head(const struct view *v, char *buf, size_t n)
{
	int aw = (int)addr_w(v);

	snprintf(buf, n, "%-*s %-*s %-*s %-*s %-*s %s (%" PRIu64 " closed since the start)", PID_W,
		 "PID", VCOMM_W, "COMM", aw, "LOCAL", aw, "REMOTE", VCAUSE_W, "END",
		 "TIME PER STATE", v->closed_total);
	return strlen(buf);
}

size_t view_line_closed(const struct view *v, const struct view_closed_row *r, char *buf,
			size_t n)
{
	int aw = (int)addr_w(v);

	snprintf(buf, n, "%-*s %-*s %-*s %-*s %-*s %s", PID_W, r->pid, VCOMM_W, r->comm, aw,
		 r->local, aw, r->remote, VCAUSE_W, r->cause, r->states);
	return strlen(buf);
}

/* ------------------------------------------------------------ histograms */

void view_hist_open(struct view *v, int top_state)
{
	uint32_t mask = v->states ? v->states : v->cli_states;

	if (mask & ((1u << TL_NSTATES) - 1)) {
		v->hist_state = (uint8_t)__builtin_ctz(mask);
		return;
	}
	if (top_state >= 0 && top_state < TL_NSTATES) {
		v->hist_state = (uint8_t)top_state;
		return;
	}
	v->hist_state = 0;
	view_hist_cycle(v, 1);
	if (!v->hist_state)
		v->hist_state = TL_ESTABLISHED; /* no data yet: the state most spend time in */
}

void view_hist_cycle(struct view *v, int dir)
{
	unsigned int s = v->hist_state < TL_NSTATES ? v->hist_state : 0;

	for (unsigned int i = 1; i < TL_NSTATES; i++) {
		unsigned int t = dir > 0 ? (s + i) % TL_NSTATES : (s + TL_NSTATES - i) % TL_NSTATES;

		if (v->hist[t].count) {
			v->hist_state = (uint8_t)t;
			return;
		}
	}
}

static const struct hist *hist_shown(const struct view *v)
{
	return &v->hist[v->hist_state < TL_NSTATES ? v->hist_state : 0];
}

size_t view_hist_head(const struct view *v, char *buf, size_t n)
{
	const struct hist *h = hist_shown(v);
	char max[16] = "-";

	if (h->count)
		view_dur(h->max_ns, max, sizeof(max));
	snprintf(buf, n, "time in %s of the connections closed since the start: count %" PRIu64
		 ", max %s", state_name(v->hist_state), h->count, max);
	return strlen(buf);
}

size_t view_hist_lines(const struct view *v)
{
	unsigned int lo, hi;
	uint64_t top;

	return hist_span(hist_shown(v), &lo, &hi, &top) ? hi - lo + 1 : 0;
}

void view_hist_line(const struct view *v, size_t i, unsigned int bar_w, char *buf, size_t n)
{
	const struct hist *h = hist_shown(v);
	unsigned int lo, hi;
	uint64_t top;

	if (!hist_span(h, &lo, &hi, &top) || i > hi - lo) {
		if (n)
			buf[0] = '\0';
		return;
	}
	hist_line(h, lo + (unsigned int)i, top, bar_w, buf, n);
}

/* ------------------------------------------------------------ filters */

int view_set_state(struct view *v, const char *text)
{
	int s;

	if (!*text) {
		v->states = 0;
		return 0;
	}
	s = state_parse(text);
	if (s < 0)
		return -EINVAL;
	v->states = 1u << s;
	return 0;
}

int view_set_pid(struct view *v, const char *text)
{
	uint32_t pid;

	if (!*text) {
		v->pid = 0;
		return 0;
	}
	if (parse_u32(text, 1, INT_MAX, &pid))
		return -EINVAL;
	v->pid = pid;
	return 0;
}

int view_set_search(struct view *v, const char *text)
{
	size_t len = strlen(text);

	if (len >= sizeof(v->search))
		return -EINVAL;
	/* Matched against sanitized cells: a control byte can never match. */
	for (const char *p = text; *p; p++)
		if ((unsigned char)*p < 0x20 || (unsigned char)*p > 0x7e)
			return -EINVAL;
	memcpy(v->search, text, len + 1);
	return 0;
}
