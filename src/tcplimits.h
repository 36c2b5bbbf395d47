/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The kernel's limits per network namespace (--once --limits): the sysctls
 * that govern each phase of a connection, what they imply (when a SYN_SENT
 * or a half-open request is given up, how many ports a destination has),
 * and where the namespace stands against each. Plain C: the reading is in
 * tcplimits_scan.c, the printing in tcplimits_fmt.c.
 */
#ifndef TL_TCPLIMITS_H
#define TL_TCPLIMITS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "tcplife.h"

/* TCP_TIMEOUT_INIT: the first SYN's and SYN-ACK's retransmit timeout. */
#define LIM_RTO_INIT_MS 1000u
/* TCP_RTO_MAX: the cap of the doubling (net.ipv4.tcp_rto_max_ms, 6.15+,
 * may lower it per namespace). */
#define LIM_RTO_MAX_MS 120000u
/* Hints about ports start at this share of the range in use. */
#define LIM_WARN_PCT 80u
/* Destinations with the most ports in use, shown per namespace. */
#define LIM_BUSIEST 3

/* The integer sysctls, in the order they are shown. A value the kernel
 * does not have (an older one, or a global sysctl seen from a namespace
 * other than the first) is LIM_ABSENT. */
enum lim_sysctl {
	LIM_SYN_RETRIES,
	LIM_SYN_LINEAR_TIMEOUTS, /* 6.5+: SYN_SENT's first retransmits do not double */
	LIM_SYNACK_RETRIES,
	LIM_MAX_SYN_BACKLOG,
	LIM_SOMAXCONN,
	LIM_SYNCOOKIES,
	LIM_ABORT_ON_OVERFLOW,
	LIM_RETRIES2,
	LIM_FIN_TIMEOUT,
	LIM_ORPHAN_RETRIES,
	LIM_MAX_TW_BUCKETS,
	LIM_TW_REUSE,
	LIM_RTO_MAX_MS_SYSCTL, /* 6.15+ */
	LIM_MAX_ORPHANS,       /* global: only in the initial namespace's /proc/sys */
	LIM_N_SYSCTLS,
};

#define LIM_ABSENT INT64_MIN

struct lim_sysctl_info {
	const char *key;  /* the JSON key and the name shown */
	const char *path; /* under /proc/sys/ */
	bool global;      /* one value for every namespace */
};

extern const struct lim_sysctl_info lim_sysctls[LIM_N_SYSCTLS];

/* Sockets with a local port in the ephemeral range, per (source address,
 * destination address, destination port): what connect() without bind()
 * can still pick a port for. */
struct lim_dest {
	uint8_t saddr[16];
	uint8_t daddr[16];
	uint16_t dport;
	uint16_t family; /* TL_AF_INET or TL_AF_INET6 */
	uint32_t ports;  /* sockets of that destination in the range */
};

struct limits_ns {
	uint64_t netns;       /* the namespace's inode */
	bool first;           /* the tool's own namespace: the global values */
	int64_t v[LIM_N_SYSCTLS];
	int64_t port_lo, port_hi; /* ip_local_port_range; LIM_ABSENT when unread */
	/* Standings, LIM_ABSENT when unread. */
	int64_t orphans;         /* global (sockstat's orphan count is system-wide) */
	int64_t orphans_killed;  /* TcpExtTCPAbortOnMemory */
	int64_t tw;              /* sockstat's tw: this namespace's timewait socks */
	int64_t tw_overflow;     /* TcpExtTCPTimeWaitOverflow */
	struct lim_dest busiest[LIM_BUSIEST]; /* most ports first */
	size_t n_busiest;
	bool ports_read;         /* the sock_diag listing worked */
};

/* Milliseconds from the first SYN (SYN-ACK) until the kernel gives up with
 * `retries` retransmits allowed. The timer starts at TCP_TIMEOUT_INIT,
 * stays there for `linear` more timeouts (SYN_SENT only,
 * tcp_syn_linear_timeouts, 6.5+), then doubles, capped at `rto_max_ms`.
 * tcp_write_timeout() gives up at the first expiry after retries + linear
 * retransmits, or once the time since the first SYN reaches what `retries`
 * doubling timeouts take (retransmits_timed_out(), tcp_model_timeout()):
 * with the linear phase that comes first (tcp_syn_retries 2: 7 s, after 5
 * retransmits, not 11 s, measured on 6.18). reqsk_timer_handler() counts
 * only: linear 0 gives its schedule. */
uint64_t limits_give_up_ms(uint32_t retries, uint32_t linear, uint64_t rto_max_ms);
/* Ports connect() can pick per destination: the whole inclusive range (the
 * 6.x even/odd split between connect() and bind() orders the search, it
 * does not remove ports). 0 when hi < lo. */
uint32_t limits_range_ports(int64_t lo, int64_t hi);
/* The implied values of `l`; LIM_ABSENT when a sysctl they need is. */
int64_t limits_syn_give_up_ms(const struct limits_ns *l);
int64_t limits_synack_give_up_ms(const struct limits_ns *l);
/* Percent of `limit` that `used` is, rounded down; 0 when limit is 0. */
uint32_t limits_pct(uint64_t used, uint64_t limit);

/* Count a socket of the namespace (local = source) when its local port is
 * in l's ephemeral range, in `by_dest` (an hmap keyed by struct lim_dest
 * with ports 0, the count as the value). 0 or -ENOMEM. */
struct hmap;
int limits_count_sock(const struct limits_ns *l, struct hmap *by_dest, const struct tl_tuple *t);
/* The busiest destinations of `by_dest` into l->busiest. */
void limits_take_busiest(struct limits_ns *l, const struct hmap *by_dest);
/* Keep `d` among l->busiest if it is one of the LIM_BUSIEST most used. */
void limits_keep_busiest(struct limits_ns *l, const struct lim_dest *d);
/* d's source (dst false) or destination address as text; buf holds
 * INET6_ADDRSTRLEN bytes. */
void limits_addr(const struct lim_dest *d, bool dst, char *buf);
/* Parse the text of /proc/sys/net/ipv4/ip_local_port_range ("lo\thi\n").
 * 0 or -EINVAL. */
int limits_parse_range(const char *text, int64_t *lo, int64_t *hi);
/* Parse one integer sysctl's text. 0 or -EINVAL. */
int limits_parse_int(const char *text, int64_t *out);

/* The hints a measurement supports, one line each into `buf` (each line
 * ends with '\n'). Returns how many. */
int limits_hints(const struct limits_ns *l, char *buf, size_t size);

#endif /* TL_TCPLIMITS_H */
