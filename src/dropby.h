/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * dropped_by in a run: when an active connection retransmits its SYN and
 * its destination, in its own network namespace, is a listener the tool
 * knows (the BPF `listeners` map: those seen at listen() and those listed
 * at the start), look at that listener's accept queue and drops with
 * sock_diag, in that namespace, and apply lsndrop.h's rule; when it holds,
 * the connection names the listener (its owner, address and port) for
 * good, even if its SYN is answered later.
 *
 * A look costs a setns() there and back and one sock_diag dump of the
 * namespace's listeners (tens of microseconds; -v prints the mean and the
 * longest at exit). It is made in the loop, which reads the ring buffer,
 * only for a SYN retransmit, and at most once per listener per
 * LSNDROP_MIN_GAP_NS: the clients of a listener that drops hundreds of
 * SYNs at once share one.
 */
#ifndef TL_DROPBY_H
#define TL_DROPBY_H

#include "conn.h"

struct tracer;
struct dropby;

/* NULL with errno set (out of memory). */
struct dropby *dropby_new(struct tracer *tr);
/* Says (-v) how many looks were made and what they cost. Accepts NULL. */
void dropby_free(struct dropby *db);
/* conntab_cfg.syn_retrans. */
void dropby_syn_retrans(void *ctx, struct conn *c);

#endif /* TL_DROPBY_H */
