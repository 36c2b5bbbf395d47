/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Parsers of the kernel's /proc/net text counters, given the text (no
 * files: tests/unit/test_limits.c feeds them). Both files answer for the
 * network namespace of the reader (/proc/thread-self/net).
 */
#ifndef TL_PROCNET_H
#define TL_PROCNET_H

#include <stdint.h>

/* /proc/net/netstat and /proc/net/snmp: a line "Prefix: Name1 Name2 ..."
 * followed by "Prefix: v1 v2 ...". The value of `name` in the table
 * `prefix` ("TcpExt"). 0, or -ENOENT when the table or the name is absent
 * (an older kernel's counter), -EINVAL on a value that is not a number. */
int procnet_netstat(const char *text, const char *prefix, const char *name, uint64_t *out);
/* /proc/net/sockstat: the line "TCP: inuse N orphan N tw N ...". The value
 * after `name` ("orphan", "tw"). 0, -ENOENT or -EINVAL as above. */
int procnet_sockstat_tcp(const char *text, const char *name, uint64_t *out);

#endif /* TL_PROCNET_H */
