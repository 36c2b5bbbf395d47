/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The listener families of --metrics (with --listeners): per listening
 * port, from each listing (lsnwatch.h), the accept queue, its limit and
 * the SYN queue (gauges, summed over the port's listeners: IPv4 and IPv6,
 * every namespace, an SO_REUSEPORT group) and the drops (a counter: the
 * listeners' sk_drops, each since it was made, summed; a listener that
 * goes keeps its last count in the sum, so the counter never goes back).
 * Ports get a label of their own in the order they are first listed, up
 * to max_ports (agg.h's rule); later ones share "other". Plain C, no I/O.
 */
#ifndef TL_LSNAGG_H
#define TL_LSNAGG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "hmap.h"
#include "listenstat.h"

struct lsnagg_port {
	int32_t port;            /* -1: "other" */
	uint32_t listeners;      /* at the last listing; 0: no gauges */
	uint64_t accept_queue, backlog, syn_queue;
	uint64_t drops;          /* the counter */
};

struct lsnagg;

/* max_ports: 1..AGG_MAX_PORTS_LIMIT. NULL when out of memory. */
struct lsnagg *lsnagg_new(unsigned int max_ports);
void lsnagg_free(struct lsnagg *a);
/* One listing: begin, a row per listener, end (the gauges are replaced). */
void lsnagg_begin(struct lsnagg *a);
void lsnagg_row(struct lsnagg *a, const struct lsn *l);
void lsnagg_end(struct lsnagg *a);
/* The ports seen so far, by port number, "other" last. */
size_t lsnagg_n(const struct lsnagg *a);
const struct lsnagg_port *lsnagg_at(const struct lsnagg *a, size_t i);

#endif /* TL_LSNAGG_H */
