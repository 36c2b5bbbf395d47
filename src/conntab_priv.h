/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * conntab's insides. Not an API: include conntab.h instead.
 *
 * The table is in layers; a file calls only into the layers below it, so
 * no two files call each other (src/README.md, "Connection table layout"):
 *
 *   conntab.c          the API's entry points: records dispatched, tick, flush,
 *                      a listing's socks
 *   conntab_heal.c     rows whose end was never traced: DESTROY records,
 *                      listings and the exit's census
 *   conntab_rec.c      full sockets' records: births, owners, states, closes
 *   conntab_minisock.c the timewait and request phases' indexes, fed to their
 *                      machines (twphase.c, reqphase.c), and the listings
 *   conntab_core.c     the table: entries, indexes, the linger, writing rows
 *   conntab_cold.c     idle entries kept compact in the indexes' slots
 *
 * Below them, plain data: twphase.c, reqphase.c, conn_acct.c, conncompact.c,
 * tkey.c.
 */
#ifndef TL_CONNTAB_PRIV_H
#define TL_CONNTAB_PRIV_H

#include <stdbool.h>
#include <stdint.h>
#include "conn_acct.h"
#include "conncompact.h"
#include "conntab.h"
#include "hmap.h"
#include "pindex.h"
#include "reqphase.h"
#include "tkey.h"
#include "twphase.h"

struct entry {
	struct conn c;
	/* Eight-byte fields, then the bytes: no holes (one entry per open
	 * socket, issue 18). */
	struct entry *prev, *next; /* linger list, oldest first */
	uint64_t linger_until;     /* 0: not lingering */
	/* Before the hand-over to a timewait sock, the marks of a rebirth and
	 * of the listings (read only through by_sk and by_tuple, and by
	 * ct_tw_begin() before it clears them); from it on (`handed`), the phase
	 * (read only through `tw`, or by ct_tw_begin() itself, which clears it
	 * as it takes the entry out of by_sk and by_tuple). 56 bytes less per
	 * open socket (issue 18). */
	union {
		struct {
			uint64_t reborn_ns;    /* a new connection on this 4-tuple began while this was open */
			uint64_t heal_gen;     /* the listing that first held its 4-tuple in a timewait sock ... */
			uint64_t heal_seen_ns; /* ... and when it began (conntab_heal.c) */
			uint64_t census_gen;   /* the exit's census that listed its socket ... */
			uint64_t census_tw_due, census_tw_seen; /* its timer's due time; the listing's start */
			uint8_t census_tw_sub; /* ... in a timewait sock of this substate (0: not) */
		};
		struct tw_phase twp;       /* the timewait phase (twphase.h) */
	};
	struct tkey key;
	bool indexed;              /* present in by_tuple */
	bool tw;                   /* present in the `tw` index (its phase is under way) */
	bool seeded;               /* a SEED record was applied (counted once) */
	bool unseen;               /* open, and its socket is gone (conntab_mark_unseen) */
	bool handed;               /* ct_tw_begin() ran: the union holds twp */
};

/* A request not yet joined to its child, by 4-tuple. */
struct pending_req {
	struct tl_tuple tuple;
	uint32_t netns;            /* 0: not listable (unknown, unreachable, gone) */
	struct req_phase ph;
};

/* A timewait sock the hooks saw begin before its connection's CLOSE record
 * (tcp_time_wait() makes it, then closes the full socket). */
struct tw_note {
	uint64_t ts;
	uint32_t netns;
	uint8_t sub;
	/* What the sock did before its CLOSE was read (another CPU got to it
	 * between tcp_time_wait()'s hashing and tcp_done()): */
	uint64_t end_ns;           /* it ended (the peer's FIN, if first, is in sub) */
	bool end_expired;
	bool end_gone;             /* with its namespace (TL_TW_GONE) */
};

struct conntab {
	struct conntab_cfg cfg;
	/* The entries themselves, found by the key they carry (pindex.h):
	 * one slot each, no copy of the key, no node. */
	struct pindex by_sk;    /* c.skaddr -> entry */
	struct pindex by_tuple; /* key -> entry, live connections */
	struct pindex tw;       /* key -> entry handed to a timewait sock */
	struct hmap synacks;   /* tkey -> pending_req */
	struct hmap tw_notes;  /* tkey -> tw_note, hooked tiers only */
	struct entry *lhead, *ltail;
	uint64_t closed, open, synack_orphans, unattributed, tw_unconfirmed, seeded;
	/* The listing in progress (conntab_watch_begin .. _done). */
	uint32_t w_netns;
	uint64_t w_start, w_gen;
	uint64_t last_ts;      /* the newest record's timestamp: the kernel's time as read */
	uint64_t tw_killed_n;  /* entries in TWP_KILLED (kept by ct_tw_feed() alone) */
	uint64_t healed;       /* rows completed from a DESTROY or CONNERR record (ct_heal_close) */
	uint64_t lost_twins;   /* children closed at birth, never hashed: no row (conn.h) */
	uint64_t unseen;       /* rows whose socket went without an end read */
	bool any_unseen;       /* an entry was marked unseen (conntab_end_unseen has work) */
	/* The exit's census in progress (conntab_census_begin .. _done). */
	uint32_t c_netns;
	uint64_t c_start, c_gen;
	size_t c_tw_pending;   /* rows the census found in a timewait sock, to heal after a drain */
	/* Idle entries kept compact (conntab_cold.c). */
	struct conn_interns *interns; /* their owners; NULL: none kept compact */
	size_t cool_pos;       /* the sweep's place in by_sk ... */
	uint64_t cool_next;    /* ... and when the next round may begin */
	uint64_t cold, thawed; /* compact now; made entries again */
	size_t cooled;         /* entries compacted in this round of the sweep */
};

/* conntab_cold.c. by_sk and by_tuple may hold, in an entry's place, its
 * compact form (ct_is_cold): look up through ct_get_sk/ct_get_tuple, which
 * give the entry back, and read a walk's values through ct_peek. */
static inline bool ct_is_cold(const void *v)
{
	return (uintptr_t)v & PINDEX_ALT;
}
void ct_cold_init(struct conntab *t);
/* v (a value of by_sk or by_tuple; NULL passes) as an entry, made from its
 * compact form if it is one; NULL if that cannot be made (no memory). */
struct entry *ct_hot(struct conntab *t, void *v);
struct entry *ct_get_sk(struct conntab *t, uint64_t skaddr);
struct entry *ct_get_tuple(struct conntab *t, const struct tkey *k);
/* v to read: itself, or its compact form expanded into scratch (which owns
 * nothing: free nothing of it, keep nothing from it). */
const struct entry *ct_peek(const struct conntab *t, const void *v, struct entry *scratch);
/* The same for its connection alone (a walk: no key, no table fields). */
const struct conn *ct_peek_conn(const struct conntab *t, const void *v, struct conn *scratch);
/* The exit's census listed a compact value's socket: noted in it, which
 * stays compact (a million rows made entries at exit would take the memory
 * the compact forms saved); and read back, the note cleared. */
void ct_cold_listed(void *v);
bool ct_cold_take_listed(void *v);
/* A compact value, out of the indexes already, freed. */
void ct_cold_free(struct conntab *t, void *v);
/* Compact some idle entries: a step of the sweep round by_sk. */
void ct_cool(struct conntab *t, uint64_t now);

/* conntab_core.c */
/* A walk over an index that reads ahead: entries are separate allocations,
 * and one after another each read stalls on memory (at 1 000 000 open, 61 %
 * of a live-view refresh was the walk itself; perf). Asked for
 * CT_WALK_AHEAD entries early, they arrive together. Nothing read ahead may
 * be removed during the walk. */
#define CT_WALK_AHEAD 16
struct ct_walk {
	const struct pindex *ix;
	size_t i, head, n;
	bool more;
	void *ahead[CT_WALK_AHEAD];
};
void ct_walk_init(struct ct_walk *w, const struct pindex *ix);
/* The next value (an entry, or a compact form: ct_is_cold), NULL at the end. */
void *ct_walk_next(struct ct_walk *w);
/* Add namespace `id` (not 0) to ns[0..*n) unless there, while *n < max. */
void ct_ns_add(uint32_t *ns, size_t *n, size_t max, uint32_t id);
/* The states a full socket leaves for a timewait sock (tcp_time_wait() from
 * FIN_WAIT2 or CLOSING), or passes through on its way there (FIN_WAIT1): a
 * row still in one of them may be healed into a timewait sock a listing
 * holds. */
static inline bool ct_before_tw(uint8_t state)
{
	return state == TL_FIN_WAIT1 || state == TL_FIN_WAIT2 || state == TL_CLOSING;
}
void ct_notify(struct conntab *t, enum transition_kind kind, uint8_t detail, uint64_t ts,
	       const struct conn *c, uint8_t old, uint8_t new, uint64_t old_ns, bool old_known);
/* Closed at ts: lingers for records that trail its CLOSE, then written. */
void ct_end_conn(struct conntab *t, struct entry *en, enum close_cause cause, uint64_t ts);
/* Out of every index; written (if the owner filter lets it) and freed. */
void ct_finish(struct conntab *t, struct entry *en);
/* An entry and what its connection holds out of line (conn_extra.h). */
void ct_entry_free(struct entry *en);
/* Out of every index and freed, unwritten. */
void ct_drop(struct conntab *t, struct entry *en);
/* Out of every index; the caller frees it. */
void ct_unlink(struct conntab *t, struct entry *en);
/* Written open at now (exit). */
void ct_finish_open(struct conntab *t, struct entry *en, uint64_t now);
/* by_sk's value v (an entry or a compact form) written open at now, and
 * left where it is: the exit's last write of a table conntab_free() then
 * frees whole (a million open connections: their unlinking, one index
 * probe each, was most of the time --once took to write them). */
void ct_write_open(struct conntab *t, void *v, uint64_t now);

/* conntab_minisock.c */
/* The connection passed to a timewait sock at `ts`, from state `from`, in
 * substate `sub`. */
void ct_tw_begin(struct conntab *t, struct entry *en, uint8_t from, uint8_t sub, uint64_t ts);
/* A record about a timewait sock (TL_REC_TW), a reset it sent, a request
 * (TL_REC_REQ), a request's SYN-ACK retransmit. */
void ct_apply_tw(struct conntab *t, const struct tl_rec *e);
void ct_apply_tw_reset(struct conntab *t, const struct tl_rec *e);
void ct_apply_req(struct conntab *t, const struct tl_rec *e);
void ct_apply_synack(struct conntab *t, const struct tl_rec *e);
/* A new life of 4-tuple k began at ts (active: by connect()). */
void ct_tw_reused(struct conntab *t, const struct tkey *k, uint32_t netns, uint64_t ts, bool active);
/* A passive child: its request's SYN-ACK retransmits and SYN_RECV phase. */
void ct_join_request(struct conntab *t, struct entry *en, const struct tl_rec *e);
/* The local, traced peer of a timewait sock's connection sent its FIN, or
 * ended with a reset, at ts. */
void ct_peer_fin(struct conntab *t, struct entry *peer, uint64_t ts);
void ct_peer_gone(struct conntab *t, struct entry *peer, uint64_t ts);
/* A listing holds the timewait sock of 4-tuple k in substate `sub`. */
void ct_tw_listed(struct conntab *t, const struct tkey *k, uint8_t sub, uint64_t due);
void ct_req_listed(struct conntab *t, const struct tkey *k);
/* Requests over at `w` written as half-open records. */
void ct_expire_requests(struct conntab *t, const struct req_when *w, uint32_t netns);
/* Time passes (all: exit): kills no reuse explained are written. */
void ct_tw_settle_killed(struct conntab *t, bool all);
/* Hand-over notes whose CLOSE never came, forgotten. */
void ct_tw_notes_expire(struct conntab *t);
/* The exit's census of the timewait socks (hooked tiers): their namespaces
 * (`marked`: those of the rows a listing marked unseen), a listed sock of
 * 4-tuple k, the end of a namespace's listing (returns how many rows it
 * marked unseen), a sock a second listing holds (unmarked), and the rows
 * still marked written lost (returns how many). */
void ct_tw_census_netns(const struct conntab *t, bool marked, uint32_t *ns, size_t *n, size_t max);
void ct_tw_census_sock(struct conntab *t, const struct tkey *k);
size_t ct_tw_census_done(struct conntab *t);
void ct_tw_census_relisted(struct conntab *t, uint32_t netns, const struct tkey *k);
size_t ct_tw_end_unseen(struct conntab *t, uint64_t now);
/* Exit: the connections still in a timewait sock, written open. */
void ct_tw_flush(struct conntab *t, uint64_t now);

/* conntab_rec.c */
/* A record about a full socket (STATE, RETRANS, RESET, FIN, OWNER, HOLDER,
 * SEED). */
void ct_apply_record(struct conntab *t, const struct tl_rec *e);
/* A STATE record applied to its row. */
void ct_apply_state(struct conntab *t, struct entry *en, const struct tl_rec *e);
/* A connect() that failed before a connection existed (TL_REC_CONNERR). */
void ct_apply_connerr(struct conntab *t, const struct tl_rec *e);
/* Complete an open row whose CLOSE was never traced, from a record that
 * saw the socket's end (err: its sk_err); counted healed. */
void ct_heal_close(struct conntab *t, struct entry *en, const struct tl_rec *e, int32_t err);

/* conntab_heal.c */
void ct_apply_destroy(struct conntab *t, const struct tl_rec *e);
/* A listing holds 4-tuple k in a timewait sock while its row is still open
 * before it: true if the row was healed into it. */
bool ct_heal_listed(struct conntab *t, const struct tkey *k, uint8_t sub, uint64_t due);

#endif /* TL_CONNTAB_PRIV_H */
