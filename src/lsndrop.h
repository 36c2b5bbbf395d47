/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * dropped_by: was a client's handshake dropped by a local listener's full
 * accept queue? Decided when the client retransmits its SYN, from looks at
 * that listener's queue (sock_diag, dropby.c): its accept queue is full
 * now, as the kernel means it (sk_acceptq_is_full(): more children waiting
 * than the backlog, the test tcp_conn_request() drops a SYN on), and its
 * drops (sk_drops, which tcp_listendrop() raises for each such SYN) rose
 * since an earlier look, itself made after the client's SYN: the listener
 * dropped SYNs while the client waited for an answer, and drops them now.
 * The earlier look is the last one that saw fewer drops than the newest,
 * so a wave of clients read over more than one look still compares with
 * the look before the wave. The first retransmit of a wave only takes a
 * look; a later one (the client's, or another client's of the same
 * listener) decides.
 *
 * A listener is looked at most once per LSNDROP_MIN_GAP_NS: the clients
 * of a listener that drops hundreds of SYNs at once share one look. Plain
 * C; the look itself is the caller's callback.
 */
#ifndef TL_LSNDROP_H
#define TL_LSNDROP_H

#include <stdbool.h>
#include <stdint.h>
#include "hmap.h"
#include "tcplife.h"

#define LSNDROP_MIN_GAP_NS (100 * 1000000ULL)
/* And at most this many looks a second in all: a look is a namespace
 * switch and a sock_diag dump (~0.2 ms) in the ring buffer's loop, and a
 * SYN flood on many listeners must not turn it into a stall. Past it a
 * client is decided on its listener's last look (counted, said with -v). */
#define LSNDROP_MAX_LOOKS_PER_S 20

/* One look at a listener. */
struct lsndrop_look {
	uint64_t ts;           /* CLOCK_MONOTONIC; 0: none */
	bool found;            /* sock_diag listed it */
	uint32_t accept_queue; /* idiag_rqueue */
	uint32_t backlog;      /* idiag_wqueue */
	int64_t drops;         /* sk_drops; < 0 not reported */
};

/* Fill *out for listener `k` (out->found false if it is not listed); 0 or
 * -errno (the namespace could not be entered: no look). */
typedef int (*lsndrop_look_fn)(void *ctx, const struct tl_listen_key *k, struct lsndrop_look *out);

struct lsndrop {
	struct hmap by_key;    /* struct tl_listen_key -> struct lsndrop_ent */
	lsndrop_look_fn look;
	void *ctx;
	uint64_t looks, look_errs; /* looks taken; of those, failed */
	uint64_t lost;             /* listeners not followed (out of memory) */
	uint64_t skipped;          /* looks not taken: the second's budget was spent */
	uint64_t win_start;        /* the budget's second began here ... */
	uint32_t win_looks;        /* ... and this many looks were taken in it */
};

int lsndrop_init(struct lsndrop *d, lsndrop_look_fn look, void *ctx);
void lsndrop_fini(struct lsndrop *d);
/* The rule above on two looks, the older first, for a client whose SYN
 * left at syn_ns (CLOCK_MONOTONIC). */
bool lsndrop_decide(const struct lsndrop_look *prev, const struct lsndrop_look *cur, uint64_t syn_ns);
/* A client of listener `k`, whose SYN left at syn_ns, retransmitted it at
 * `now` (CLOCK_MONOTONIC): look again unless the last look is less than
 * LSNDROP_MIN_GAP_NS old or the second's LSNDROP_MAX_LOOKS_PER_S are
 * spent, and decide. */
bool lsndrop_check(struct lsndrop *d, const struct tl_listen_key *k, uint64_t now, uint64_t syn_ns);

#endif /* TL_LSNDROP_H */
