/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * --once --listeners: list the LISTEN sockets of every network namespace in
 * use (sock_diag with INET_DIAG_SKMEMINFO for sk_drops, the request socks
 * for the SYN queue, /proc/thread-self/net/netstat for the namespace's
 * counters; each namespace entered with setns, so root), name their owners
 * from /proc, and print them (listenstat.h). No BPF is loaded.
 */
#ifndef TL_LISTEN_SCAN_H
#define TL_LISTEN_SCAN_H

/* Text table on stdout unless `json_path` is "-"; JSON lines to
 * `json_path` when set. Returns the exit status (0, or 1 after an error
 * line). */
int listeners_run(const char *json_path);

#endif /* TL_LISTEN_SCAN_H */
