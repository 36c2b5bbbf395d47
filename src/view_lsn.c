// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "view_lsn.h"

#define HINT_LEN 512

void view_lsn_fini(struct view_lsn *p)
{
	if (!p)
		return;
	lsn_snap_free(&p->s);
	free(p->hinted);
	memset(p, 0, sizeof(*p));
}

static int cmp_u64(uint64_t a, uint64_t b)
{
	return a < b ? -1 : a > b;
}

/* Most drops first; unknown drops after every known count. */
static int by_drops(const void *pa, const void *pb)
{
	const struct lsn *a = pa, *b = pb;
	bool ua = a->drops == LSN_UNKNOWN, ub = b->drops == LSN_UNKNOWN;
	int c;

	if (ua != ub)
		return ua ? 1 : -1;
	if (a->drops != b->drops)
		return a->drops > b->drops ? -1 : 1;
	c = cmp_u64(b->accept_queue, a->accept_queue);
	if (!c)
		c = cmp_u64(a->netns, b->netns);
	if (!c)
		c = cmp_u64(a->t.sport, b->t.sport);
	if (!c)
		c = memcmp(a->t.saddr, b->t.saddr, sizeof(a->t.saddr));
	return c ? c : cmp_u64(a->inode, b->inode);
}

/* A copy of `n` elements of `size` (n may be 0), or NULL. */
static void *dup_n(const void *src, size_t n, size_t size)
{
	void *v = malloc(n ? n * size : 1);

	if (v && n)
		memcpy(v, src, n * size);
	return v;
}

static const struct lsn_ns *ns_of(const struct view_lsn *p, uint64_t netns)
{
	for (size_t i = 0; i < p->s.n_ns; i++)
		if (p->s.ns[i].netns == netns)
			return &p->s.ns[i];
	return NULL;
}

/* The hint of row i into buf (HINT_LEN), or 0. */
static int row_hint(const struct view_lsn *p, size_t i, char *buf, size_t n)
{
	const struct lsn_ns *c = ns_of(p, p->s.v[i].netns);

	return c ? lsn_hint(&p->s.v[i], c, buf, n) : 0;
}

int view_lsn_set(struct view_lsn *p, const struct lsn_snap *s, int err, uint64_t cost_ns)
{
	struct lsn_snap c = {};
	char hint[HINT_LEN];
	size_t *hinted;

	p->err = err;
	p->cost_ns = cost_ns;
	if (err || !s)
		return 0;
	/* Copied whole before the old one goes: out of memory keeps it. */
	c.v = dup_n(s->v, s->n, sizeof(*s->v));
	c.ns = dup_n(s->ns, s->n_ns, sizeof(*s->ns));
	hinted = malloc(sizeof(*hinted) * (s->n ? s->n : 1));
	if (!c.v || !c.ns || !hinted) {
		lsn_snap_free(&c);
		free(hinted);
		p->err = -ENOMEM;
		return -ENOMEM;
	}
	c.n = c.cap = s->n;
	c.n_ns = c.cap_ns = s->n_ns;
	lsn_snap_free(&p->s);
	free(p->hinted);
	p->s = c;
	p->hinted = hinted;
	p->listed = true;
	for (size_t i = 0; i < c.n_ns; i++)
		lsn_attribute(p->s.v, p->s.n, &p->s.ns[i]);
	qsort(p->s.v, p->s.n, sizeof(*p->s.v), by_drops);
	p->n_dropping = p->n_hinted = 0;
	for (size_t i = 0; i < p->s.n; i++) {
		p->n_dropping += p->s.v[i].drops != 0;
		if (row_hint(p, i, hint, sizeof(hint)) > 0)
			p->hinted[p->n_hinted++] = i;
	}
	if (p->top >= p->s.n)
		p->top = p->s.n ? p->s.n - 1 : 0;
	return 0;
}

void view_lsn_scroll(struct view_lsn *p, long delta, size_t shown)
{
	size_t last = p->s.n > shown ? p->s.n - shown : 0;

	if (delta < 0)
		p->top = (size_t)-delta > p->top ? 0 : p->top - (size_t)-delta;
	else
		p->top += (size_t)delta;
	if (p->top > last)
		p->top = last;
}

size_t view_lsn_title(const struct view_lsn *p, size_t shown, char *buf, size_t n)
{
	char err[160] = "", rows[80] = "";

	if (!n)
		return 0;
	if (p->err)
		snprintf(err, sizeof(err), "cannot list the listeners: %s%s", strerror(-p->err),
			 p->listed ? "; the last listing: " : "");
	if (!p->listed) {
		snprintf(buf, n, "%s", p->err ? err : "listing the listeners...");
		return strlen(buf);
	}
	if (shown > p->s.n - p->top)
		shown = p->s.n - p->top;
	if (shown)
		snprintf(rows, sizeof(rows), "most drops first, rows %zu-%zu; ", p->top + 1, p->top + shown);
	snprintf(buf, n, "%slisteners: %zu in %zu network namespace%s, %zu dropping; %slisted in %" PRIu64
		 ".%03" PRIu64 " ms; L: back",
		 err, p->s.n, p->s.n_ns, p->s.n_ns == 1 ? "" : "s", p->n_dropping, rows, p->cost_ns / 1000000,
		 p->cost_ns / 1000 % 1000);
	return strlen(buf);
}

void view_lsn_head(char *buf, size_t n)
{
	lsn_fmt_header(buf, n);
}

void view_lsn_row(const struct view_lsn *p, size_t i, char *buf, size_t n)
{
	if (i < p->s.n)
		lsn_fmt_row(&p->s.v[i], buf, n);
	else if (n)
		buf[0] = '\0';
}

void view_lsn_hint(const struct view_lsn *p, size_t k, char *buf, size_t n)
{
	char hint[HINT_LEN];

	if (n)
		buf[0] = '\0';
	if (k < p->n_hinted && row_hint(p, p->hinted[k], hint, sizeof(hint)) > 0)
		snprintf(buf, n, "hint: %s", hint);
}

const char *view_lsn_wrap(const char *text, size_t width, char *buf, size_t n)
{
	size_t len = strlen(text), cut;

	if (!width)
		width = 1;
	if (len <= width) {
		cut = len;
	} else {
		cut = width;
		while (cut > 0 && text[cut] != ' ')
			cut--;
		if (!cut)
			cut = width; /* one word longer than the line: cut it */
	}
	snprintf(buf, n, "%.*s", (int)cut, text);
	while (text[cut] == ' ')
		cut++;
	return text[cut] ? text + cut : NULL;
}
