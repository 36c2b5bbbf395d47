/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The request phase of a passive connection: a state machine.
 *
 * A passive connection's SYN_RECV starts at its SYN, in a request sock no
 * tracepoint shows; its child socket appears only when the handshake's
 * last ACK comes. What tells us about the request meanwhile: its SYN-ACK
 * retransmits (each firing of its timer), on the hooked tiers its hashing
 * and unhashing, and on the tracepoint tier the sock_diag listings of its
 * namespace. A request ends in one of two ways:
 *
 *            SYNACK / HASHED
 *   (none) -----------------> WAITING --- its child appears ---> joined
 *                               |  ^       (req_syn_start())
 *                      UNHASHED |  | HASHED again (a retried SYN)
 *                               v  |
 *                             ENDED_EARLY
 *                               |
 *       timer schedule past due, not listed since (or unhashed, and no
 *       retried SYN within a grace)
 *                               v
 *                         half-open: its own record, synack_timeout
 *
 * The machine keeps what was seen and answers, for a moment in time,
 * whether the request is over and when it ended (req_over()). It knows
 * nothing of the table.
 */
#ifndef TL_REQPHASE_H
#define TL_REQPHASE_H

#include <stdbool.h>
#include <stdint.h>
#include "conn.h"
#include "record.h"

/* TCP_TIMEOUT_INIT and TCP_RTO_MAX: a request's timer fires 1 s after the
 * SYN, then doubles; each firing resends the SYN-ACK or drops the request. */
#define REQ_RTO_INIT_NS 1000000000ULL
#define REQ_RTO_MAX_NS (120 * REQ_RTO_INIT_NS)
/* How long an ended request waits, at least, for a retried SYN on its
 * 4-tuple before it is written as a handshake of its own (longer as the
 * handshake has lasted longer: reqphase.c, retry_grace()). */
#define REQ_GRACE_NS (3 * REQ_RTO_INIT_NS)

struct req_phase {
	uint32_t count;            /* SYN-ACK retransmits */
	uint64_t first_ns, last_ns; /* the first (if it made the request known) and last of them */
	uint64_t gen;              /* the last listing that held the request */
	uint64_t listed_ns;        /* when that listing began */
	uint64_t missed_ns;        /* when a later listing of its namespace began without it */
	uint64_t begin_ns, end_ns; /* hooked: hashed, unhashed; 0 = not seen */
	uint64_t hashed_ns;        /* hooked: the latest hashing (a retried SYN's request) */
};

/* A SYN-ACK retransmit at ts; `first`: it made the request known. */
void req_synack(struct req_phase *p, uint64_t ts, bool first);
/* Hooked: the request was hashed (its SYN came) or unhashed at ts. A new
 * request on the 4-tuple after one was unhashed (6.1 drops a request whose
 * SYN-ACK retransmit fails, and the client's next SYN makes another) is
 * one handshake, from its first SYN, as the other tiers see it. */
void req_hashed(struct req_phase *p, uint64_t ts);
void req_unhashed(struct req_phase *p, uint64_t ts);
/* A listing of its namespace, `gen`, begun at start, held it. */
void req_listed(struct req_phase *p, uint64_t gen, uint64_t start);
/* Does only a listing still tell about it (not unhashed by a hook)? */
bool req_wants_listing(const struct req_phase *p);

/* When req_over() is asked. */
struct req_when {
	enum { REQ_TICK, REQ_LISTING, REQ_FINAL } kind;
	uint64_t now;          /* TICK, FINAL: the time; LISTING: when it began */
	uint64_t gen;          /* LISTING: which */
	bool own_netns;        /* LISTING: of the request's namespace */
	bool listable;         /* its namespace is listed (known, reachable, not gone) */
	uint64_t linger_ns;    /* how long records may trail */
	uint64_t slack_ns;     /* how long past its timer it may be late */
};

/* Is the request over, a half-open failure, at `w`? Then *end is when it
 * ended. A listing of its namespace that misses it is recorded here. */
bool req_over(struct req_phase *p, const struct req_when *w, uint64_t *end);

/* The half-open record: a passive connection that ended in SYN_RECV at end. */
void req_fill_row(const struct req_phase *p, struct conn *c, uint64_t end);

/* When the request's SYN arrived, for the child `e` joining it (p may be
 * NULL: the child's own record only); 0: unknown. *inferred: from the
 * timer's schedule, not measured. */
uint64_t req_syn_start(const struct tl_rec *e, const struct req_phase *p, bool *inferred);
/* Move a passive connection's start back to its SYN: the SYN_RECV phase is
 * the request's, not the child's few microseconds. */
void req_set_start(struct conn *c, uint64_t syn, bool inferred);

#endif /* TL_REQPHASE_H */
