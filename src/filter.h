/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The user-side filters, built once from the parsed options. The kernel
 * applies the same options to live records (bpf/common.bpf.h, rodata set by
 * tracer.c); user space applies them where the kernel cannot decide, which
 * bpf/tcplife.h ("Filters: kernel and user space") lists: the owner filters
 * on the connection table's rows, and the tuple filters on the sockets the
 * sock_diag seed lists, which no BPF program sees.
 *
 * A NULL filter lets everything through.
 */
#ifndef TL_FILTER_H
#define TL_FILTER_H

#include <stdbool.h>
#include <stdint.h>
#include "tcplife.h"

struct options;

struct filter {
	uint16_t family; /* -4 / -6: AF_INET or AF_INET6; 0 = both */
	uint32_t n_lports, n_rports, n_pids, n_comms;
	uint16_t lports[TL_MAX_PORTS]; /* -L: local ports, any of them */
	uint16_t rports[TL_MAX_PORTS]; /* -D: remote ports, any of them */
	uint32_t pids[TL_MAX_PIDS];    /* -p: owner's pid, any of them */
	char comms[TL_MAX_COMMS][TL_COMM_LEN]; /* -c: owner's name, any of them */
	uint64_t cgroup; /* --cgroup: owner's cgroup v2 id; 0 = any */
};

void filter_init(struct filter *f, const struct options *o);
/* -4/-6/-L/-D on a socket's tuple (local = s, remote = d). */
bool filter_tuple_wanted(const struct filter *f, const struct tl_tuple *t);
/* Is any of -p, -c, --cgroup given? */
bool filter_by_owner(const struct filter *f);
/* -p, -c and --cgroup on an owner (true when none is given). Kinds are
 * ANDed, values of one kind ORed. */
bool filter_owner_wanted(const struct filter *f, const struct tl_owner *owner, uint64_t cgroup);
/* Under an owner filter a connection shows only once its owner is known
 * and matches; without one, always. */
bool filter_owner_shown(const struct filter *f, bool known, const struct tl_owner *owner,
			uint64_t cgroup);

#endif /* TL_FILTER_H */
