/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * --listeners: list the LISTEN sockets of every network namespace in
 * use (sock_diag with INET_DIAG_SKMEMINFO for sk_drops, the request socks
 * for the SYN queue, /proc/thread-self/net/netstat for the namespace's
 * counters; each namespace entered with setns, so root), name their owners
 * from /proc, and print them (listenstat.h). No BPF is loaded.
 */
#ifndef TL_LISTEN_SCAN_H
#define TL_LISTEN_SCAN_H

#include <stdbool.h>
#include "listenstat.h"
#include "netns.h"

/* Every namespace's listeners and counters into *s (their owners too when
 * `owners`). 0 or -errno; lsn_snap_free(s) after 0. */
int lsn_snap_take(struct lsn_snap *s, bool owners);
/* Name the owners of the listeners of *s (the first holder of each, from
 * /proc). 0 or -errno. */
int lsn_snap_owners(struct lsn_snap *s);

/* The same listing in steps, for a caller that must read the ring buffer
 * between two (the live view's listener pane, ingest.c): the namespaces
 * are found at the start (a walk of /proc), each step lists one of them
 * (its sock_diag dumps and counters), and a last one names the owners (a
 * walk of every process's fds).
 *   lsn_scan_begin: 0 or -errno; lsn_scan_free in either case.
 *   lsn_scan_step: 1 while steps remain, 0 once sc->s is complete, -errno.
 *   lsn_scan_free: hands the listing to *out (when not NULL; the caller
 *   lsn_snap_free()s it) or frees it. */
struct lsn_scan {
	struct lsn_snap s;
	struct netns_list nsl;
	size_t next;  /* the namespace the next step lists */
	bool owners;  /* the owners' step is still to come */
};
int lsn_scan_begin(struct lsn_scan *sc, bool owners);
int lsn_scan_step(struct lsn_scan *sc);
void lsn_scan_free(struct lsn_scan *sc, struct lsn_snap *out);

/* Text table on stdout unless `json_path` is "-"; JSON lines to
 * `json_path` when set. Returns the exit status (0, or 1 after an error
 * line). */
int listeners_run(const char *json_path);
/* At the end of a run with --listeners: list again, and say for each
 * listener that overflowed since `start` which limit it hit (log_info). */
void listeners_log_hints(const struct lsn_snap *start);

#endif /* TL_LISTEN_SCAN_H */
