/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The live view's listener pane (`L`): every LISTEN socket of the last
 * listing, most drops first, as the rows and hints of --once --listeners
 * (listenstat.h formats both; nothing is formatted twice). Plain C, no
 * curses: unit-tested.
 *
 * The listing itself is main's loop's (ingest.c: lsn_scan, one namespace
 * per step with the ring buffer read between two), taken once per refresh
 * period while the pane is shown, and handed over in view_stats.lsn; the
 * pane keeps a copy, so a listing that fails leaves the last one shown,
 * with the error said in the title.
 */
#ifndef TL_VIEW_LSN_H
#define TL_VIEW_LSN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "listenstat.h"

struct view_lsn {
	struct lsn_snap s;   /* the last listing: overflows laid, sorted */
	size_t n_dropping;   /* listeners with drops (or unknown drops) */
	size_t *hinted;      /* the rows with a hint, in row order */
	size_t n_hinted;
	bool listed;         /* a listing has been handed over */
	int err;             /* the last listing's error (-errno), 0 */
	uint64_t cost_ns;    /* how long the last listing took */
	size_t top;          /* the first row shown (Up, Down, PgUp, PgDn) */
};

void view_lsn_fini(struct view_lsn *p);
/* A listing (NULL when `err` says why there is none): copied, each
 * namespace's overflows laid on its listeners (lsn_attribute), sorted by
 * drops, most first (unknown drops last; then the fuller accept queue, then
 * namespace and port). 0, or -ENOMEM (the previous listing is kept). */
int view_lsn_set(struct view_lsn *p, const struct lsn_snap *s, int err, uint64_t cost_ns);
/* Scroll by `delta` rows (PgUp/PgDn: a screen), kept within the rows;
 * `shown`: how many rows fit. */
void view_lsn_scroll(struct view_lsn *p, long delta, size_t shown);
/* The pane's title: how many listeners in how many namespaces, how many
 * dropping, which rows are shown, how long the listing took; or why there
 * is none. Returns the length. */
size_t view_lsn_title(const struct view_lsn *p, size_t shown, char *buf, size_t n);
/* The column header and the i-th row (i < p->s.n), as --once --listeners. */
void view_lsn_head(char *buf, size_t n);
void view_lsn_row(const struct view_lsn *p, size_t i, char *buf, size_t n);
/* The k-th (k < p->n_hinted) of the listeners with a hint (lsn_hint: they
 * overflowed), in row order, as "hint: listener ...". */
void view_lsn_hint(const struct view_lsn *p, size_t k, char *buf, size_t n);
/* Word-wrap: the first line of `text`, at most `width` columns (cut at the
 * last space that fits, else at `width`), into buf; returns where the rest
 * starts, NULL when nothing is left. */
const char *view_lsn_wrap(const char *text, size_t width, char *buf, size_t n);

#endif /* TL_VIEW_LSN_H */
