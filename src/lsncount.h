/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Per listener, since the tool started: the SYN-ACK retransmits and the
 * half-open timeouts of its passive connections, for the listener objects
 * of a run ({"event":"listener"}: synack_retrans, half_open_timeouts) and
 * the live view's listener pane. Plain C, no I/O.
 *
 * Counted where the records are applied (conntab_minisock.c): one per
 * TL_REC_SYNACK record (the tcp_retransmit_synack tracepoint or hook: a
 * SYN-ACK that left) and one per request written as a half-open row
 * (cause synack_timeout). They are kept by the request's local end
 * (network namespace, family, address, port), as the kernel found it, and
 * laid on a listing's listeners when it is read: the listener at that
 * address, else the wildcard one of that port (lsn_find_req(), the
 * kernel's own lookup order). A listener closed and made again at the same
 * address carries on the same counts.
 */
#ifndef TL_LSNCOUNT_H
#define TL_LSNCOUNT_H

#include <stddef.h>
#include <stdint.h>
#include "hmap.h"
#include "listenstat.h"
#include "tcplife.h"

struct lsncount {
	struct hmap by_end;  /* struct tl_listen_key -> struct lsncount_val */
	uint64_t lost;       /* counts not kept (out of memory) */
};

/* 0 or -ENOMEM. */
int lsncount_init(struct lsncount *c);
void lsncount_fini(struct lsncount *c);
/* A request of namespace `netns` (tuple: local = src) had a SYN-ACK
 * retransmitted / timed out half-open. Accept c == NULL. */
void lsncount_synack(struct lsncount *c, uint32_t netns, const struct tl_tuple *req);
void lsncount_half_open(struct lsncount *c, uint32_t netns, const struct tl_tuple *req);
/* Lay the counts on the listing's listeners `v` (each gets 0 or its sum).
 * Once a count could not be kept every listener's stay LSN_UNKNOWN: any of
 * them might be short. */
void lsncount_fill(const struct lsncount *c, struct lsn *v, size_t n);

#endif /* TL_LSNCOUNT_H */
