// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#ifndef TL_SOCKDIAG_H
#define TL_SOCKDIAG_H

/*
 * NETLINK_SOCK_DIAG dumps of TCP sockets, filtered by state in the kernel
 * (inet_diag_req_v2.idiag_states), parsed with libmnl. Used where no hook
 * shows the socket: timewait socks on tracepoint-only kernels, and sockets
 * that existed before the tool started.
 */
#include <stdbool.h>
#include <stdint.h>
#include "tcplife.h"

/* Timer kinds as inet_diag reports them in idiag_timer. */
enum sockdiag_timer {
	SD_TIMER_NONE = 0,
	SD_TIMER_RETRANS = 1,
	SD_TIMER_KEEPALIVE = 2,
	SD_TIMER_TIMEWAIT = 3, /* TIME_WAIT and FIN_WAIT2 timewait socks */
	SD_TIMER_PROBE = 4,
};

struct sockdiag_sock {
	struct tl_tuple tuple; /* local = src */
	uint8_t state;         /* enum tl_tcp_state; for timewait socks the substate */
	uint8_t timer;         /* enum sockdiag_timer */
	uint16_t _pad;
	uint32_t expires_ms;   /* time left on that timer */
	uint32_t rqueue;       /* full sockets: bytes not yet read by the application */
	uint32_t wqueue;       /* full sockets: bytes not yet acked */
	uint32_t uid;
	uint64_t inode;        /* 0 for timewait socks and orphans */
	uint64_t cookie;       /* the kernel's socket cookie */
	int64_t drops;         /* sk_drops (INET_DIAG_SKMEMINFO, when asked for); -1 if not */
};

struct nlmsghdr;

/* Parse one SOCK_DIAG_BY_FAMILY reply: the inet_diag_msg at the start of
 * its payload (attributes after it are not read) into *s. `nlh` must be a
 * whole message, nlmsg_len bytes readable, as mnl_cb_run() hands it on.
 * No socket involved: tests/fuzz/fuzz_sockdiag.c drives it. 0 or -EPROTO
 * when the payload is shorter than an inet_diag_msg. */
int sockdiag_parse_msg(const struct nlmsghdr *nlh, struct sockdiag_sock *s);

/* Return 0 to continue the dump, non-zero to stop it. */
typedef int (*sockdiag_cb)(const struct sockdiag_sock *s, void *arg);

struct sockdiag;

/* Opens the netlink socket once; NULL with errno set on failure. */
struct sockdiag *sockdiag__new(void);
void sockdiag__free(struct sockdiag *sd);
/* sockdiag__new() into *(struct sockdiag **)slot; returns 0. A callback for
 * netns_run(): the netlink socket answers for the namespace it is made in. */
int sockdiag__new_into(void *slot);

/*
 * Dump every TCP socket of `family` (AF_INET or AF_INET6) whose state bit
 * (1 << TL_*) is in `states`, in the caller's network namespace.
 * Returns the number of sockets passed to cb, or -errno.
 */
int sockdiag_dump(struct sockdiag *sd, int family, uint32_t states, sockdiag_cb cb, void *arg);
/* The same, asking for the socket's memory info too (INET_DIAG_SKMEMINFO,
 * 2.6.34+): its SK_MEMINFO_DROPS is the socket's sk_drops, what `ss -tlm`
 * shows as d, in sockdiag_sock.drops. */
int sockdiag_dump_mem(struct sockdiag *sd, int family, uint32_t states, sockdiag_cb cb, void *arg);

#endif
