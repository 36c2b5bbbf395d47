/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The timewait phase of one connection: a state machine.
 *
 * A CLOSE from FIN_WAIT2 or CLOSING with no reset and no error is the
 * kernel handing the connection to a timewait sock (tcp_time_wait()), which
 * no tracepoint shows: the connection's record is complete only when that
 * sock is gone. What tells us: on the hooked tiers (fentry/kprobe), records
 * of the sock's birth, timer rearm and end; on the tracepoint tier, the
 * sock_diag listings of its namespace, once a second (src/sockwatch.c).
 *
 *                 HANDOVER (listings)          HANDOVER (hooked)
 *   NONE ------------------------> UNCONFIRMED        |
 *     |                              |  LISTED, or     |
 *     | HANDOVER (no sock:           |  anything that  v
 *     |  tw overflow)                +---confirms--> LIVE <----------+
 *     |                              |                |  |           |
 *     |             LISTING_DONE     |  LISTING_DONE  |  | HOOK_END  | LISTED again
 *     |             (never listed,   |  (gone before  |  | (early)   | (a dump skipped it)
 *     |              overflow told)  |   its timer)   v  v           |
 *     |                              +-----------> KILLED -----------+
 *     v                              |                |
 *   ENDED <--------------------------+----------------+
 *          HOOK_END, RST_SENT, PEER_RST, REUSE, NETNS_GONE, GIVE_UP,
 *          LISTING_DONE past its timer, SETTLE (a kill nobody reused),
 *          UNSEEN (hooked: gone at the exit's census, its end never read)
 *
 * KILLED: gone before its timer, at an exact time (hooked) or one a listing
 * estimates. A connect() that reuses the 4-tuple deschedules the sock before
 * the new socket's first record is read, so a kill waits, in record time,
 * for that REUSE before it is written tw_killed (SETTLE).
 *
 * Confirmation writes the steps the hand-over implied: into TIME_WAIT at
 * the hand-over when the peer's FIN was in, and at a traced local peer's
 * FIN that came before the first listing.
 *
 * The machine changes the connection's accounting (struct conn: plain
 * data) and reports, per event, the state changes to show and whether the
 * connection ended, when and why. It knows nothing of the table.
 */
#ifndef TL_TWPHASE_H
#define TL_TWPHASE_H

#include <stdbool.h>
#include <stdint.h>
#include "conn.h"

/* TCP_TIMEWAIT_LEN: a timewait sock's TIME_WAIT timer, fixed at 60 s in
 * every kernel (the FIN_WAIT2 substate uses tcp_fin_timeout instead). */
#define TW_LEN_NS (60 * 1000000000ULL)
/* How long an early-ended timewait sock waits, in record time, for the
 * record of a connect() that reused it (it comes at ESTABLISHED). */
#define TW_REUSE_WAIT_NS (3 * 1000000000ULL)

enum tw_state {
	TWP_NONE = 0,     /* not handed over */
	TWP_UNCONFIRMED,  /* handed over, no listing has held it yet */
	TWP_LIVE,         /* in its timewait sock */
	TWP_KILLED,       /* gone before its timer; reuse or kill not told yet */
	TWP_ENDED,
};

struct tw_phase {
	uint8_t state;        /* enum tw_state */
	uint8_t from;         /* the full socket's last state */
	uint8_t sub;          /* the substate at the hand-over */
	bool estimated;       /* TIME_WAIT began where a listing's timer placed it */
	bool gone_twice;      /* listings: a later one missed it too */
	bool census_listed;   /* hooked: the exit's census in progress listed it */
	uint64_t since;       /* the hand-over (the CLOSE record) */
	uint64_t peer_fin;    /* a traced peer's FIN left before confirmation */
	uint64_t gen;         /* the last listing that held it ... */
	uint64_t seen_ns;     /* ... when it began ... */
	uint64_t due_ns;      /* ... and when its timer was due then */
	uint64_t killed_ns;   /* KILLED: when (hooked: exact; listings: an estimate) */
	uint64_t gone_ns;     /* listings: the listing that found it gone (0: hooked) */
};

/* How the hand-over can be followed. */
enum tw_mode {
	TWM_LISTINGS,  /* sock_diag listings of its namespace will tell */
	TWM_HOOKED,    /* the hooks saw its sock begin: confirmed at once */
	TWM_NO_SOCK,   /* hooked, and no sock began: tcp_max_tw_buckets was full */
	TWM_UNTRACKABLE, /* nothing can tell (no namespace, no memory) */
};

enum tw_ev_kind {
	TWE_HANDOVER,     /* from, sub, ts, mode */
	TWE_CONFIRM,      /* the sock is certain to exist (before a REUSE, reset ...) */
	TWE_REARM,        /* hooked: its timer rearmed for `sub` at ts */
	TWE_HOOK_END,     /* hooked: inet_twsk_kill() at ts; expired, gone */
	TWE_RST_SENT,     /* the sock sent a reset at ts, and is descheduled */
	TWE_PEER_FIN,     /* a traced local peer sent its FIN at ts */
	TWE_PEER_RST,     /* a traced local peer reset the connection at ts */
	TWE_REUSE,        /* a new life of the 4-tuple began at ts (active: connect()) */
	TWE_LISTED,       /* listing `gen`, begun at ts, holds it in `sub`, timer due at `due` */
	TWE_LISTING_DONE, /* listing `gen`, begun at ts, of its namespace is over; overflow: the
			   * namespace's TCPTimeWaitOverflow has an increase not yet taken */
	TWE_SETTLE,       /* the kernel's time is ts (all: exit, no reuse can come) */
	TWE_NETNS_GONE,   /* its namespace was torn down at ts */
	TWE_GIVE_UP,      /* no listing can tell what it did; ts: now */
	TWE_FLUSH,        /* exit: written open */
	TWE_UNSEEN,       /* hooked: the exit's census found its sock gone, and no
			   * record said when (its end program was skipped); ts: now */
};

struct tw_ev {
	enum tw_ev_kind kind;
	uint8_t from, sub, mode;
	bool expired, gone, active, all, overflow;
	uint64_t ts, gen, due;
};

/* A state change to show (struct transition), in order. */
struct tw_step {
	uint8_t kind;         /* TR_STATE (hooked) or TR_INFERRED */
	uint8_t from, to;
	uint64_t at, old_ns;
};

struct tw_out {
	unsigned int n_steps;
	struct tw_step steps[4];
	bool ended;           /* the connection's record is complete: */
	uint64_t end_at;      /* at this time */
	uint8_t cause;        /* enum close_cause */
	bool overflow_used;   /* LISTING_DONE took one TCPTimeWaitOverflow */
	bool gave_up;         /* settled on the hand-over alone (counted) */
};

/* Apply one event to the phase of connection c; out is zeroed first. */
void tw_step(struct tw_phase *p, struct conn *c, const struct tw_ev *ev, struct tw_out *out);

#endif /* TL_TWPHASE_H */
