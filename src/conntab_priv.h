/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * conntab's insides, shared by conntab.c (full sockets: records, states,
 * closes, the linger) and conntab_minisock.c (the socks no tracepoint shows:
 * timewait and request socks). Not an API: include conntab.h instead.
 */
#ifndef TL_CONNTAB_PRIV_H
#define TL_CONNTAB_PRIV_H

#include <stdbool.h>
#include <stdint.h>
#include "conntab.h"
#include "hmap.h"

#define AF_INET_ 2
#define AF_INET6_ 10
#define BIT(s) (1u << (s))
#define MS 1000000ULL
#define SEC 1000000000ULL
/* TCP_TIMEWAIT_LEN: a timewait sock's TIME_WAIT timer, fixed at 60 s in
 * every kernel (the FIN_WAIT2 substate uses tcp_fin_timeout instead). */
#define TW_LEN_NS (60 * SEC)
/* TCP_TIMEOUT_INIT and TCP_RTO_MAX: a request's timer fires 1 s after the
 * SYN, then doubles; each firing resends the SYN-ACK or drops the request. */
#define REQ_RTO_INIT_NS SEC
#define REQ_RTO_MAX_NS (120 * SEC)
/* How long an ended request waits for a retried SYN on its 4-tuple. */
#define REQ_GRACE_NS (3 * SEC)
/* How long an early-ended hooked timewait sock waits, in record time, for
 * the record of a connect() that reused it (it comes at ESTABLISHED). */
#define TW_REUSE_WAIT_NS (3 * SEC)

/* A tuple normalised for matching: an IPv4-mapped IPv6 address is IPv4. */
struct tkey {
	uint8_t laddr[16];
	uint8_t raddr[16];
	uint16_t lport, rport;
	uint16_t family, _pad;
};

struct entry {
	struct conn c;
	struct entry *prev, *next; /* linger list, oldest first */
	uint64_t linger_until;     /* 0: not lingering */
	bool sent_fin;             /* this side's FIN was seen leaving */
	bool indexed;              /* present in by_tuple */
	/* Handed to a timewait sock (in the `tw` index until it is gone). */
	bool tw;
	bool tw_listed;            /* sock_diag has listed the timewait sock */
	uint8_t tw_from;           /* the full socket's last state */
	uint8_t tw_sub;            /* inferred substate at the hand-over */
	uint64_t tw_since;         /* the hand-over (the CLOSE record) */
	uint64_t tw_peer_fin;      /* a traced peer's FIN left before the first listing */
	bool tw_estimated;         /* its TIME_WAIT began where a listing's timer placed it */
	uint64_t tw_gen;           /* the last listing that held it */
	uint64_t tw_seen_ns;       /* when that listing began */
	uint64_t tw_due_ns;        /* when its timer is due (listing + idiag_expires) */
	uint64_t tw_killed_ns;     /* ended early (hooked: exact; listings: estimate), reuse or kill not told yet */
	uint64_t tw_gone_ns;       /* listings: the one that found it gone early (0: hooked) */
	bool tw_gone_twice;        /* listings: a later one missed it too */
	bool seeded;               /* a SEED record was applied (counted once) */
	uint64_t reborn_ns;        /* a new connection on this 4-tuple began while this was open */
	uint64_t heal_gen;         /* the listing that first held its 4-tuple in a timewait sock ... */
	uint64_t heal_seen_ns;     /* ... and when it began (conntab_heal.c) */
	bool unseen;               /* open, and its socket is gone (conntab_mark_unseen) */
	uint64_t census_gen;       /* the exit's census that listed its socket ... */
	uint8_t census_tw_sub;     /* ... in a timewait sock of this substate (0: not) */
	uint64_t census_tw_due, census_tw_seen; /* its timer's due time; the listing's start */
	struct tkey key;
};

/* SYN-ACK retransmits of a request, kept by tuple until its child appears. */
struct pending_synack {
	struct tl_tuple tuple;
	uint32_t netns;
	uint32_t count;
	uint64_t first_ns, last_ns;
	uint64_t gen;              /* the last listing that held the request */
	uint64_t listed_ns;        /* when that listing began */
	uint64_t missed_ns;        /* when a later listing of its namespace began without it */
	uint64_t begin_ns, end_ns; /* hooked (TL_REC_REQ): hashed, unhashed; 0 = not seen */
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
	struct hmap by_sk;     /* skaddr -> entry */
	struct hmap by_tuple;  /* tkey -> entry, live connections */
	struct hmap tw;        /* tkey -> entry handed to a timewait sock */
	struct hmap synacks;   /* tkey -> pending_synack */
	struct hmap tw_notes;  /* tkey -> tw_note, hooked tiers only */
	struct entry *lhead, *ltail;
	uint64_t closed, open, synack_orphans, unattributed, tw_unconfirmed, seeded;
	/* The listing in progress (conntab_watch_begin .. _done). */
	uint32_t w_netns;
	uint64_t w_start, w_gen;
	uint64_t last_ts;      /* the newest record's timestamp: the kernel's time as read */
	uint64_t tw_killed_n;  /* entries with tw_killed_ns set */
	uint64_t healed;       /* rows completed from a DESTROY record (conntab_heal.c) */
	uint64_t unseen;       /* rows whose socket went without an end read */
	/* The exit's census in progress (conntab_census_begin .. _done). */
	uint32_t c_netns;
	uint64_t c_start, c_gen;
	size_t c_tw_pending;   /* rows the census found in a timewait sock, to heal after a drain */
};

/* conntab.c */
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
void ct_make_key(const struct tl_tuple *tu, bool swap, struct tkey *k);
void ct_path_add(struct conn *c, uint8_t state);
void ct_settle(struct conn *c, uint64_t ts);
void ct_enter(struct conn *c, uint8_t state, uint64_t ts);
void ct_notify(struct conntab *t, enum transition_kind kind, uint8_t detail, uint64_t ts,
		   const struct conn *c, uint8_t old, uint8_t new, uint64_t old_ns, bool old_known);
void ct_end_conn(struct conntab *t, struct entry *en, enum close_cause cause, uint64_t ts);
void ct_finish(struct conntab *t, struct entry *en);
void ct_apply_state(struct conntab *t, struct entry *en, const struct tl_rec *e);

/* conntab_heal.c */
void ct_apply_destroy(struct conntab *t, const struct tl_rec *e);
bool ct_heal_listed(struct conntab *t, const struct tkey *k, uint8_t sub, uint64_t due);

/* conntab_minisock.c */
void ct_tw_confirm(struct conntab *t, struct entry *en);
void ct_tw_begin(struct conntab *t, struct entry *en, uint8_t from, uint8_t sub, uint64_t ts);
void ct_apply_tw(struct conntab *t, const struct tl_rec *e);
void ct_apply_req(struct conntab *t, const struct tl_rec *e);
void ct_apply_tw_reset(struct conntab *t, const struct tl_rec *e);
void ct_tw_reused(struct conntab *t, const struct tkey *k, uint32_t netns, uint64_t ts, bool active);
uint64_t ct_request_start(const struct tl_rec *e, const struct pending_synack *p, bool *inferred);
void ct_set_request_start(struct conn *c, uint64_t syn, bool inferred);
void ct_join_request(struct conntab *t, struct entry *en, const struct tl_rec *e);
void ct_peer_fin(struct conntab *t, struct entry *peer, uint64_t ts);
void ct_peer_gone(struct conntab *t, struct entry *peer, uint64_t ts);
void ct_apply_synack(struct conntab *t, const struct tl_rec *e);
void ct_expire_requests(struct conntab *t, uint64_t now_ns, bool listed_only, uint32_t netns,
			bool final);
void ct_tw_settle_killed(struct conntab *t, bool all);

#endif /* TL_CONNTAB_PRIV_H */
