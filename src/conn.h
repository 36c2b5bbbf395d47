/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * A connection as the outputs see it: what conntab accumulated from the
 * kernel's records, frozen when the connection ends (or at exit, for the
 * ones still open). Plain data: sinks only format it.
 */
#ifndef TL_CONN_H
#define TL_CONN_H

#include <stdbool.h>
#include <stdint.h>
#include <linux/types.h>
#include "tcplife.h"

enum close_cause {
	CAUSE_OPEN = 0,    /* still open when the record was written */
	CAUSE_FIN,         /* orderly: FINs exchanged (or handed to a timewait sock) */
	CAUSE_RST_SENT,    /* we sent a reset (abortive close, SO_LINGER {1,0}, ...) */
	CAUSE_RST_RECV,    /* the peer reset an established connection */
	CAUSE_REFUSED,     /* the peer answered our SYN with a reset */
	CAUSE_TIMEOUT,     /* retransmission/keepalive timeout (sk_err ETIMEDOUT) */
	CAUSE_SYN_TIMEOUT, /* the SYN was never answered */
	CAUSE_ABORT,       /* closed locally before the handshake finished, no RST */
	CAUSE_LOST,        /* the end was never seen (records dropped, socket reborn) */
	CAUSE_FIN_WAIT2_TIMEOUT, /* orphaned FIN_WAIT2: tcp_fin_timeout expired, no FIN came */
	CAUSE_TW_REUSE,    /* TIME_WAIT cut short: the 4-tuple was reused (tcp_tw_reuse, SYN) */
	CAUSE_TW_OVERFLOW, /* the kernel skipped TIME_WAIT: tcp_max_tw_buckets was full */
	CAUSE_TW_KILLED,   /* the timewait sock went before its timer (an RST from the peer) */
	CAUSE_SYNACK_TIMEOUT, /* half-open: the request's SYN-ACKs were never acknowledged */
	CAUSE_NETNS_GONE,  /* the timewait sock went with its network namespace */
	CAUSE_MAX,
};

enum conn_role { ROLE_UNKNOWN = 0, ROLE_ACTIVE, ROLE_PASSIVE };

#define CONN_PATH_MAX 24
#define CONN_MAX_OTHERS 4 /* holders besides the owner, as far as known */

/* A process holding the socket's fd besides the owner (fork, SCM_RIGHTS). */
struct holder {
	uint32_t pid;
	int32_t fd;
	char comm[TL_COMM_LEN]; /* raw: sanitize before printing */
};

/* Sockets seeded by the fallback (sock_diag) have no kernel address: they
 * get their cookie as a stand-in, which never has the top bit set, unlike a
 * kernel address. The first kernel record for the tuple takes them over. */
#define CONN_SYNTHETIC_SK(a) (!((a) >> 63))

/* dropped_by: the local listener whose full accept queue dropped this
 * client's handshake (lsndrop.h says how that is decided). */
struct conn_dropper {
	bool set;
	uint16_t family, port;
	uint8_t addr[16];        /* the listener's (all zero: a wildcard) */
	uint32_t pid;            /* its owner; 0: not known */
	char comm[TL_COMM_LEN];  /* raw from the kernel */
};

/* What few connections have: processes holding the socket besides its
 * owner, and the listener that dropped its handshake. Out of line, made
 * when first set (conn_extra.h): 136 bytes less on every connection the
 * loader keeps (issue 18). Owned by its struct conn: a copy that outlives
 * the original takes its own (conn_copy), the owner frees it
 * (conn_extra_free). */
struct conn_extra {
	struct holder others[CONN_MAX_OTHERS];
	uint8_t n_others;
	bool others_truncated;
	struct conn_dropper dropped_by;
};

struct conn {
	/* Ordered by alignment, eight-byte fields first: no holes (issue 18,
	 * the loader keeps one per open socket; 536 -> 352 bytes with the
	 * rare fields out of line). */
	uint64_t skaddr;   /* identity: kernel socket address ... */
	uint64_t birth_ns; /* ... plus birth time (addresses are reused) */
	uint64_t owner_ts;     /* kernel time of the record that set the owner */
	uint64_t cgroup;       /* the owner's cgroup v2 id; 0 unknown */
	uint64_t cw_next_ns;   /* --close-wait: no alert before this */
	uint64_t start_ns;  /* CLOCK_MONOTONIC: birth, or the first record seen */
	uint64_t end_ns;    /* CLOCK_MONOTONIC; for open ones, when the record was written */
	uint64_t state_entered_ns;
	uint64_t state_ns[TL_NSTATES]; /* time spent per state, indexed by enum tl_tcp_state */
	uint64_t bytes_acked, bytes_received;
	struct conn_extra *x;  /* NULL: no other holder, no dropper (conn_extra.h) */
	struct tl_tuple tuple;
	struct tl_owner owner; /* raw: sanitize before printing */
	int32_t fd;            /* the owner's fd; -1 unknown */
	uint32_t cw_alerts;    /* --close-wait alerts sent for this connection */
	enum conn_role role;
	enum close_cause cause;
	uint32_t unmeasured;           /* bit (1u << state): time there is not known */
	uint32_t syn_retrans, synack_retrans, fin_sent, fin_retrans, data_retrans;
	uint32_t rst_sent, rst_recv;
	uint32_t netns;    /* network namespace inode; 0 = not known */
	uint8_t path[CONN_PATH_MAX];   /* states in order of entry */
	uint8_t path_len;
	bool path_truncated;
	uint8_t state;      /* current state, or the last one (TL_TIME_WAIT after a hand-over) */
	bool owner_known;
	bool owner_released;   /* the owner closed its fd; others hold it, not yet named */
	bool owner_listener;   /* with owner_known: the owner is the listening socket's,
				* nobody accepted this one (owner_from=listener) */
	bool preexisting;      /* open before the tool started (seen_from=preexisting) */
	bool start_exact;   /* false: the tool saw it mid-life ("at least") */
	bool bytes_known;  /* read at CLOSE; unknown for open connections */
	bool closed;       /* false: still open when written */
	bool inferred;     /* some duration was inferred, not measured by a hook (`timing`) */
	uint8_t pad_;      /* the last byte, named: conn_expand() writes every byte (no
			    * memset first), which the unit tests check on whole structs */
};

/* What the stream sink prints: one kernel record, or one inferred step. */
enum transition_kind {
	TR_STATE = 0,   /* a state change the kernel reported */
	TR_INFERRED,    /* a state change inferred (timewait hand-over, peer FIN) */
	TR_RETRANS,     /* detail: enum tl_retrans_kind */
	TR_SYNACK,      /* SYN-ACK retransmit, joined to the connection */
	TR_RESET,       /* detail: enum tl_reset_dir */
	TR_FIN,         /* tcp_send_fin() entered */
};

struct transition {
	enum transition_kind kind;
	uint8_t detail;
	uint64_t ts_ns;        /* CLOCK_MONOTONIC */
	const struct conn *c;  /* the connection, updated with this record */
	uint8_t oldstate, newstate;
	uint64_t old_ns;       /* time spent in oldstate ... */
	bool old_known;        /* ... if known (false when the entry time is unknown) */
};

/* Totals reported at exit and in the outputs' summary. */
struct summary {
	uint64_t records;        /* ring-buffer records decoded */
	uint64_t bad_records;    /* rejected by the decoder (size, type, state) */
	uint64_t rb_drops;       /* bpf_ringbuf_reserve() failures in the kernel */
	uint64_t map_full;       /* per-socket map inserts that failed (socket untracked) */
	uint64_t stale;          /* sockets reborn before their end was seen */
	uint64_t gaps;           /* state changes of traced sockets no program of ours saw */
	uint64_t missed;         /* program runs the kernel skipped (recursion) */
	uint64_t conns_closed;   /* records written for connections that ended */
	uint64_t conns_open;     /* records written at exit for connections still open */
	uint64_t synack_orphans; /* SYN-ACK retransmits never joined to a connection */
	uint64_t tw_unconfirmed; /* timewait socks whose namespace could not be listed */
	uint64_t unseen;         /* rows still open at exit whose socket was gone: end lost */
	uint64_t healed;         /* rows whose end was never traced, completed at the socket's
				  * destruction (timing inferred): not lost */
	uint64_t lost_twins;     /* passive children closed at birth before they were ever
				  * hashed: a twin of the same request won (tcp_check_req
				  * race), or the child's setup failed. No connection, no row */
	uint64_t unattributed;   /* -p given, owner never learnt: not written */
	uint64_t seeded;         /* connections open before the start (seen_from=preexisting) */
	uint64_t not_written;    /* records (lines) that did not reach an output */
	int out_err;             /* the first output error, -errno; 0 = none */
	uint64_t seed_ms;        /* how long seeding took */
	bool owners_lost;        /* no owner hook: accepted connections have no owner */
	bool connect_untraced;   /* no connect hook: failures inside connect() are not seen */
	uint64_t connect_errors; /* failed connect()s (connect_error) that passed the filters */
	uint64_t elapsed_ns;
};

/* A connect() that failed (connect_error): from a TL_REC_CONNERR record
 * (it failed before a connection existed), or from a row's end (SYN_SENT
 * -> CLOSE with sk_err set: its SYN was refused or never answered). */
struct conn_error {
	uint64_t ts_ns;        /* CLOCK_MONOTONIC */
	struct tl_owner owner; /* raw: sanitize before printing */
	bool owner_known;
	struct tl_tuple tuple; /* family and the remote end; the local end as far as known */
	int32_t err;           /* the errno connect() returned (or sk_err), > 0 */
	uint32_t netns;        /* network namespace inode; 0 = not known */
};

/* A --close-wait alert: an open connection past the threshold. */
struct cw_alert {
	const struct conn *c;
	uint64_t close_wait_ns; /* a lower bound for preexisting connections */
	int64_t unread_bytes;   /* receive queue (Recv-Q); -1 = could not be read */
};

/* One line of the per-process CLOSE_WAIT summary. */
struct cw_proc {
	uint32_t pid;
	char comm[TL_COMM_LEN]; /* raw */
	uint32_t sockets;
	uint64_t oldest_ns;
	uint64_t unread_bytes;  /* sum of what could be read */
	uint32_t unread_unknown; /* sockets whose queue could not be read */
};

#endif /* TL_CONN_H */
