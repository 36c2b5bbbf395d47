/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Bursts of drops on a listener, from one listing (listenstat snapshot) to
 * the next. Plain C: the listings come from lsnwatch.c.
 *
 * A listener is known by its namespace and socket inode. Its sk_drops (ss's
 * d) moving between two listings starts a burst (or continues one); the
 * burst ends after LSN_BURST_QUIET listings in a row in which it did not
 * move, when the listener goes away (a listing of its namespace does not
 * hold it; a namespace not listed LSN_BURST_QUIET times in a row takes its
 * listeners with it), when its count goes back (a counter
 * reset: not the same socket), or at the end of the run. Each burst is
 * raised twice: when it starts (the stderr warning) and when it ends, with
 * the drops it counted (the listen_overflow event). The first listing is
 * the baseline; a listener that first shows up later with drops dropped
 * them since it was made, during the run: a burst.
 *
 * Why three quiet listings, not one: a client whose SYN is dropped sends it
 * again 1 s, then 2 s later (tcp_syn_retries; the timer wheel fires a 2 s
 * timer up to 1/8 late), so one wave of clients meeting a full queue drops
 * in steps up to 2.25 s apart. At one listing a second, one quiet listing
 * would cut that wave into several bursts; three cannot.
 */
#ifndef TL_LSNBURST_H
#define TL_LSNBURST_H

#include <stddef.h>
#include <stdint.h>
#include "hmap.h"
#include "listenstat.h"

#define LSN_BURST_QUIET 3

enum lsn_burst_end {
	LSN_END_QUIET = 0, /* LSN_BURST_QUIET listings without a new drop */
	LSN_END_GONE,      /* the listener was not listed any more */
	LSN_END_RESET,     /* its count went back: another socket */
	LSN_END_EXIT,      /* the run ended during the burst */
};

/* One burst, as it ended. */
struct lsn_burst {
	struct lsn l;             /* the listener as last listed (owner, backlog) */
	int64_t somaxconn;        /* its namespace's, LSN_UNKNOWN if unread */
	enum lsn_limit limit;
	uint64_t drops;           /* sk_drops moved by this much during the burst */
	uint64_t start_ns;        /* the listing that first saw it drop */
	uint64_t last_ns;         /* the last listing that saw it drop */
	enum lsn_burst_end how;
};

struct lsnburst_cb {
	/* A burst starts: `drops` since the listing before. May be NULL. */
	void (*start)(void *ctx, const struct lsn *l, const struct lsn_ns *c, uint64_t drops);
	/* A burst ended. May be NULL. */
	void (*end)(void *ctx, const struct lsn_burst *b);
	void *ctx;
};

struct lsnburst {
	struct hmap by_sock; /* (netns, inode) -> the listener's track */
	uint64_t gen;        /* listings seen */
	struct lsnburst_cb cb;
};

int lsnburst_init(struct lsnburst *b, const struct lsnburst_cb *cb);
void lsnburst_fini(struct lsnburst *b);
/* One listing, taken at `now_ns`: starts, continues and ends the bursts.
 * Returns -ENOMEM when a new listener could not be tracked (it is tried
 * again at the next listing), else 0. */
int lsnburst_update(struct lsnburst *b, const struct lsn_snap *s, uint64_t now_ns);
/* The end of the run: every burst still going ends (LSN_END_EXIT). */
void lsnburst_finish(struct lsnburst *b);
/* "ended" in the JSON: "quiet", "gone", "reset", "exit". */
const char *lsn_burst_end_name(enum lsn_burst_end how);
/* The one stderr line of a burst that starts: the listener, its owner, the
 * drops since the listing before and the knob (lsn_limit_text). */
int lsn_burst_warning(const struct lsn *l, const struct lsn_ns *c, uint64_t drops, char *buf,
		      size_t size);

#endif /* TL_LSNBURST_H */
