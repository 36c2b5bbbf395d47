/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Connections that were open before the tool started, and who holds them.
 *
 * Best: the BPF iterators (iter/tcp, 5.9+, in every network namespace in
 * use; iter/task_file, 5.8+): the sockets go into the kernel-side map, so
 * the in-kernel owner filters and later records know their owner, and the
 * records carry the real socket address. Fallback (older kernels, or
 * TCPLIFE_SEED=sock_diag): NETLINK_SOCK_DIAG in every namespace plus a
 * /proc/PID/fd scan mapping socket inodes to (pid, fd). Both produce the
 * same SEED and HOLDER records, which go through the normal record path.
 */
#ifndef TL_SEED_H
#define TL_SEED_H

#include <stdint.h>
#include "cli.h"
#include "filter.h"
#include "tracer.h"

struct seed_result {
	uint64_t records;   /* SEED and HOLDER records produced */
	uint64_t ns_ms;     /* wall time, ms */
	uint32_t netns;     /* network namespaces visited */
	const char *method; /* "iter" or "sock_diag" */
};

/* Seed everything open now; the sock_diag fallback applies the tuple
 * filters of `flt` itself (the iterators' records pass the kernel's). 0 or
 * -errno (the tool can go on without). */
int seed_run(struct tracer *tr, const struct options *o, const struct filter *flt, record_fn fn,
	     void *ctx, struct seed_result *res);
/* Name the current holders of sockets whose owner closed its fd while
 * others kept it (a new iter/task_file scan). -ENOTSUP without iterators. */
int seed_holders(struct tracer *tr, record_fn fn, void *ctx);

#endif /* TL_SEED_H */
