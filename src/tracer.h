/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The BPF side as user space sees it: which tier each hook gets (probed at
 * start-up, best first), loading with per-hook fallback, attaching, the
 * ring buffer and the kernel's drop counters. tracer_free() detaches
 * everything, so no program outlives the process on any exit path.
 */
#ifndef TL_TRACER_H
#define TL_TRACER_H

#include <stdbool.h>
#include <stdio.h>
#include "cli.h"
#include "tcplife.h"

enum hook {
	HOOK_STATE = 0, /* full-socket state changes */
	HOOK_SYNACK,    /* SYN-ACK retransmits */
	HOOK_FIN,       /* FINs sent */
	HOOK_RETRANS,   /* SYN / FIN / data retransmits */
	HOOK_RESET,     /* resets sent and received */
	HOOK_OWNER,     /* owner of accepted connections */
	HOOK_ACCEPT_FD, /* fd of accepted connections (accept syscalls) */
	HOOK_CONNECT,   /* fd of connect()ed connections */
	HOOK_CLOSE,     /* close(): owner hand-over to the last holder */
	HOOK_CLEANUP,   /* socket destroyed: frees the kernel-side entry */
	HOOK_TIMEWAIT,  /* timewait socks: begun, rescheduled, ended */
	HOOK_REQSK,     /* request socks: hashed (SYN in), unhashed */
	HOOK_SEED,      /* sockets that existed before the tool started */
	HOOK_MAX,
};

enum tier {
	TIER_NONE = 0, TIER_FENTRY, TIER_KPROBE, TIER_TP_BTF, TIER_TRACEPOINT, TIER_INFERRED,
	TIER_ITER,     /* BPF iterators (iter/tcp, iter/task_file) */
	TIER_NETLINK,  /* NETLINK_SOCK_DIAG and /proc, from user space */
};

/* The BPF iterators of the seed hook. */
enum tracer_iter { ITER_TCP = 0, ITER_HOLDERS, ITER_LISTENERS, ITER_MAX };

struct tracer;

typedef int (*record_fn)(void *ctx, void *data, size_t size);

/* Probe the tiers only (for --list-probes), honouring --tier and
 * --no-syscall-hooks. */
struct tracer *tracer_probe(enum tier_force force, bool no_syscall_hooks);
/* "--tier T: hook H (what) cannot use T: reason" when a forced tier was
 * refused (probe, load or attach), else NULL. */
const char *tracer_force_error(const struct tracer *tr);
/* Probe, open, configure from `o`, load (falling back a tier on refusal),
 * attach, and set up the ring buffer to call `fn`. NULL + errno on error. */
struct tracer *tracer_start(const struct options *o, record_fn fn, void *ctx);
/* Wait up to timeout_ms for records and hand them to `fn`. Returns the
 * number handled or -errno (-EINTR on a signal). */
int tracer_poll(struct tracer *tr, int timeout_ms);
/* Hand over whatever is in the ring buffer without waiting. */
int tracer_drain(struct tracer *tr);
/* Run one iterator (in the caller's network namespace, for ITER_TCP) and
 * hand each record it writes to `fn`: a struct tl_event, or for
 * ITER_LISTENERS a struct tl_lsn_holder. ITER_HOLDERS starts a new holder
 * scan (see owner.bpf.c). Returns the number of records or -errno;
 * -ENOTSUP when the seed hook did not get the iterator tier. */
int tracer_iter(struct tracer *tr, enum tracer_iter which, record_fn fn, void *ctx);
/* ITER_TCP from now on also writes a SEED record for each request sock
 * (state SYN_RECV, the listener's owner, its own address as skaddr), as
 * --once shows them. */
void tracer_seed_requests(struct tracer *tr);
/* Enter a listener older than the tool into the kernel side's map, unless
 * the kernel side has one there already. 0 or -errno. */
/* The `listeners` map's entry for k into *v: 0, or -errno (-ENOENT: none). */
int tracer_find_listener(struct tracer *tr, const struct tl_listen_key *k, struct tl_listen_val *v);
int tracer_add_listener(struct tracer *tr, const struct tl_listen_key *k,
			const struct tl_listen_val *v);
/* Sum the per-CPU counters. */
int tracer_stats(struct tracer *tr, struct tl_stats *out);
/* Runs of our programs the kernel skipped (bpf_prog_info.recursion_misses,
 * 5.12+): a program already running on that CPU was interrupted by the same
 * hook, e.g. a softirq's state change inside a process-context one. The
 * event is lost, and only the kernel's counter knows. */
uint64_t tracer_missed(struct tracer *tr);
/* Does the kernel side still track the socket at `skaddr`? Its entry goes
 * at tcp_destroy_sock. True when the lookup fails for another reason: no
 * loss is claimed on a guess. */
bool tracer_sk_tracked(void *tr, uint64_t skaddr);
/* Name the programs behind a non-zero tracer_missed() on stderr: which
 * hook lost events (a state change, a socket's end, an owner). */
void tracer_log_missed(struct tracer *tr);
enum tier tracer_tier(const struct tracer *tr, enum hook h);
/* No hook names the owner of an accepted connection (tracefs not readable,
 * say): those connections are written without pid and comm. */
bool tracer_owners_lost(const struct tracer *tr);
/* "state: tp_btf, synack: tracepoint, ...", and "; no owners for accepted
 * connections" when tracer_owners_lost. */
void tracer_tiers_line(const struct tracer *tr, char *buf, size_t n);
/* The --list-probes table: every hook, its tier, why better ones were
 * refused; with -v (on stderr) every tier of each hook and its programs. */
void tracer_print_probes(const struct tracer *tr, FILE *f);
/* Detach every program and free the kernel side in a thread of its own,
 * from now on: destroying a link can wait for the kernel's grace periods
 * (~250 ms in all on a 6.18 host), time the exit's writing can use. No call
 * but tracer_free() after it; a record not drained by then is not read. */
void tracer_detach_begin(struct tracer *tr);
/* Detaches everything (or waits for tracer_detach_begin's thread to). */
void tracer_free(struct tracer *tr);
const char *tier_name(enum tier t);

#endif /* TL_TRACER_H */
