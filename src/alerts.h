/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * CLOSE_WAIT leak hunting: --close-wait alerts for connections stuck in
 * CLOSE_WAIT, and the per-process summary at exit and on --once.
 *
 * unread_bytes is the socket's receive queue as NETLINK_SOCK_DIAG reports
 * it (idiag_rqueue = rcv_nxt - copied_seq, what `ss` shows as Recv-Q), read
 * when the alert is written, in the owner's network namespace. The peer's
 * FIN counts as one byte until read() has returned 0: so 0 means the
 * application read the EOF and did not close, > 0 that it stopped reading.
 * Read from user space rather than in BPF because the alert is due long
 * after any kernel event on the socket.
 */
#ifndef TL_ALERTS_H
#define TL_ALERTS_H

#include <stdint.h>
#include "conntab.h"
#include "hmap.h"
#include "outputs.h"
#include "tracer.h"

struct alerts {
	struct conntab *ct;
	struct outputs *out;
	struct tracer *tr;      /* for holder scans; NULL once detached */
	record_fn fn;           /* where holder records go */
	void *fn_ctx;
	uint64_t threshold_ns;  /* --close-wait; 0 = no alerts */
	uint64_t next_check_ns;
	struct hmap queues;     /* (netns id, family) -> receive queues, per check */
	struct cw_proc *procs;  /* the collected per-process summary */
	size_t n_procs;
};

void alerts_init(struct alerts *a, struct conntab *ct, struct outputs *out, struct tracer *tr,
		 record_fn fn, void *fn_ctx, uint32_t close_wait_s);
/* Once a second: write the alerts that are due. */
void alerts_tick(struct alerts *a, uint64_t now_ns);
/* Collect the per-process CLOSE_WAIT summary of the connections open now
 * (while the tracer is attached: it may scan holders), write it later. */
void alerts_collect(struct alerts *a, uint64_t now_ns);
void alerts_write_summary(struct alerts *a);
void alerts_fini(struct alerts *a);

#endif /* TL_ALERTS_H */
