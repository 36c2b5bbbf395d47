/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * --once --listeners: every LISTEN socket with its owner, its queues and
 * its drops, and what of the namespace's own counters can be laid at its
 * door. Plain C: the reading is in listen_scan.c.
 *
 * The kernel counts accept-queue overflows (LINUX_MIB_LISTENOVERFLOWS) and
 * syncookies per namespace only. Each overflow also goes through
 * tcp_listendrop(), which adds one to the listener's sk_drops: a listener
 * with no drops has had no overflow, and when one listener alone has drops,
 * at least as many as the namespace's overflows, they are all its own.
 * Anything less certain is left unknown (LSN_UNKNOWN, JSON null).
 */
#ifndef TL_LISTENSTAT_H
#define TL_LISTENSTAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "tcplife.h"

#define LSN_UNKNOWN INT64_MIN

struct lsn {
	uint64_t netns;
	struct tl_tuple t;       /* local = src */
	uint64_t inode;
	uint32_t pid;            /* 0: no holder found */
	int32_t fd;              /* -1 when pid is 0 */
	char comm[TL_COMM_LEN];
	uint32_t accept_queue;   /* idiag_rqueue: children waiting for accept() */
	uint32_t backlog;        /* idiag_wqueue: sk_max_ack_backlog */
	uint32_t syn_queue;      /* request socks of this listener */
	int64_t drops;           /* sk_drops; LSN_UNKNOWN if not reported */
	int64_t overflows;       /* attributed, or LSN_UNKNOWN */
	int64_t syncookies_sent; /* attributed, or LSN_UNKNOWN */
	int64_t syncookies_ok;
	/* Since the tool started, in a run (lsncount.h); LSN_UNKNOWN with
	 * --once: nothing was watched. */
	int64_t synack_retrans;
	int64_t half_open_timeouts;
};

/* One namespace's counters, LSN_UNKNOWN when unread. */
struct lsn_ns {
	uint64_t netns;
	int64_t overflows;   /* TcpExtListenOverflows */
	int64_t drops;       /* TcpExtListenDrops */
	int64_t cookies_sent; /* TcpExtSyncookiesSent */
	int64_t cookies_ok;   /* TcpExtSyncookiesRecv */
	int64_t somaxconn;    /* net.core.somaxconn */
};

/* Every listener and every namespace's counters at one time. */
struct lsn_snap {
	struct lsn *v;
	size_t n, cap;
	struct lsn_ns *ns;
	size_t n_ns, cap_ns;
};

/* A new row at the end of s->v (zeroed, fd -1, synack_retrans and
 * half_open_timeouts LSN_UNKNOWN), or NULL when out of memory. */
struct lsn *lsn_snap_add(struct lsn_snap *s);
/* A new namespace at the end of s->ns (zeroed), or NULL. */
struct lsn_ns *lsn_snap_add_ns(struct lsn_snap *s);
void lsn_snap_free(struct lsn_snap *s);
/* Turn `end`'s drops and namespace counters into what moved since `start`
 * (a listener or namespace `start` does not have is new: all of its counts
 * are since). Then lsn_attribute() lays the run's overflows by the same
 * rule. */
void lsn_since(struct lsn_snap *end, const struct lsn_snap *start);

/* Lay the namespace's counters on its `n` listeners `v` (the rule above;
 * syncookies go to a namespace's only listener). */
void lsn_attribute(struct lsn *v, size_t n, const struct lsn_ns *c);
/* The listener among `v` that request sock `req` (local = src) of
 * namespace `netns` queues on: the same port, and its address, else its
 * family's wildcard, else the IPv6 wildcard (an IPv4 request on a
 * dual-stack [::] listener is AF_INET, as __inet_lookup_listener finds
 * it). NULL if none. */
struct lsn *lsn_find_req(struct lsn *v, size_t n, uint64_t netns, const struct tl_tuple *req);
/* Which limit a listener's backlog is: the application's listen() backlog
 * (below somaxconn), net.core.somaxconn (the kernel cut listen()'s
 * backlog to it), or unknown (somaxconn unread). */
enum lsn_limit { LSN_LIMIT_UNKNOWN = 0, LSN_LIMIT_BACKLOG, LSN_LIMIT_SOMAXCONN };
enum lsn_limit lsn_limit(const struct lsn *l, const struct lsn_ns *c);
/* "listen_backlog", "somaxconn", NULL when unknown. */
const char *lsn_limit_name(enum lsn_limit k);
/* "its limit N is ...: raise ..., or accept faster": the one sentence that
 * names the knob, for every hint and warning. snprintf's return. */
int lsn_limit_text(const struct lsn *l, const struct lsn_ns *c, char *buf, size_t size);
/* "127.0.0.1:80" or "[::1]:80". snprintf's return. */
int lsn_endpoint(const struct lsn *l, char *buf, size_t size);
/* The hint for a listener that overflowed, into buf: which limit its
 * backlog is (the app's listen() or somaxconn) and the knob. 0 when there
 * is none (no overflow measured). */
int lsn_hint(const struct lsn *l, const struct lsn_ns *c, char *buf, size_t size);
/* The keys naming a listener: ,"pid","comm","fd","netns","laddr","lport". */
void lsn_json_ident(FILE *f, const struct lsn *l);
/* One JSON line {"event":"listener",...}, with "time" after "event" when
 * `time` is not NULL (a run's listings); 0 or -EIO. */
int lsn_print_json(FILE *f, const struct lsn *l, const char *time);
/* The table's header and one row as one line of text (no newline), as
 * --once --listeners prints them and the live view's listener pane shows
 * them; snprintf's return. A row fits in LSN_LINE_LEN. */
#define LSN_LINE_LEN 320
int lsn_fmt_header(char *buf, size_t size);
int lsn_fmt_row(const struct lsn *l, char *buf, size_t size);
/* The same lines, with a newline, on f; 0 or -EIO. */
int lsn_print_header(FILE *f);
int lsn_print_row(FILE *f, const struct lsn *l);

#endif /* TL_LISTENSTAT_H */
