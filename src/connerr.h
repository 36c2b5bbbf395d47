/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Failed connect()s (connect_error), counted per process and destination:
 * one line per (pid, comm, remote address and port, errno, namespace) with
 * its count, for the end-of-run summaries, the live view's header and the
 * hints. Plain C, no I/O: the measurement behind a hint (ports in use, read
 * in the failing namespace) is made by connerr_scan.c.
 */
#ifndef TL_CONNERR_H
#define TL_CONNERR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "conn.h"
#include "hmap.h"

/* Lines shown in a summary, most failures first. */
#define CONNERR_TOP 10
/* Namespaces entered to measure ports in use, per run at most. */
#define CONNERR_MAX_SCANS 16
/* Lines kept: failures past them are counted (unlisted), not listed, so
 * a process failing towards a million destinations costs bounded memory. */
#define CONNERR_MAX_LINES 65536

/* Ports in use towards one destination when connect() failed with
 * EADDRNOTAVAIL, read soon after (sock_diag in the namespace): sockets
 * with a local port in ip_local_port_range, against the range's size. */
struct connerr_ports {
	bool known;      /* measured: the fields below are set */
	uint32_t in_use; /* the busiest source address's count to that destination */
	int64_t lo, hi;  /* ip_local_port_range */
};

struct connerr_line {
	struct tl_owner owner; /* raw: sanitize before printing; pid 0 = not known */
	bool owner_known;
	struct tl_tuple tuple; /* family, daddr, dport; the rest zero */
	int32_t err;
	uint32_t netns;
	uint64_t count;
	uint64_t first_ns, last_ns;
	bool measure_tried;    /* connerr_scan.c tried (or gave up on) a measurement */
	struct connerr_ports ports;
};

struct connerr_tab {
	struct hmap lines;  /* key -> struct connerr_line * */
	uint64_t total;     /* every failure counted, with a line or not */
	uint64_t unlisted;  /* failures without a line of their own (no memory, or
			     * CONNERR_MAX_LINES) */
	unsigned int scans; /* measurements made (CONNERR_MAX_SCANS) */
	size_t unmeasured;  /* lines that wait for a measurement */
};

/* 0 or -ENOMEM. */
int connerr_init(struct connerr_tab *t);
/* Accepts a table never initialised (zeroed). */
void connerr_fini(struct connerr_tab *t);
/* Count one failure. 0, or -ENOMEM (no memory, or CONNERR_MAX_LINES):
 * counted in total and unlisted. */
int connerr_add(struct connerr_tab *t, const struct conn_error *ce);
/* The `max` lines with most failures into out, most first (ties: pid,
 * then address, port and errno), returns how many. */
size_t connerr_top(const struct connerr_tab *t, const struct connerr_line **out, size_t max);
/* The errno's name ("EADDRNOTAVAIL"); "E<n>" into buf when it has none. */
const char *connerr_name(int err, char *buf, size_t n);
/* A line that waits for a measurement (EADDRNOTAVAIL, none tried yet),
 * marked tried, or NULL: at once when none waits (the loop asks every
 * round). */
struct connerr_line *connerr_take_unmeasured(struct connerr_tab *t);
/* Hints start at this share of the range in use (as --once --limits). */
#define CONNERR_WARN_PCT 80u
/* The hint for `l` when a measurement backs it, one line without '\n'
 * into buf; 0 when there is none, else its length. */
int connerr_hint(const struct connerr_line *l, char *buf, size_t n);
/* "pid 319 tlpeer 127.0.0.1:8080 EADDRNOTAVAIL 10" style fields, for the
 * summaries: the remote end as "addr:port" ("[v6]:port"). */
void connerr_dest(const struct connerr_line *l, char *buf, size_t n);

#endif /* TL_CONNERR_H */
