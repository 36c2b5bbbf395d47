/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The connection table: turns the kernel's per-socket records into
 * per-connection accounting (time per state, retransmits, resets, cause).
 * Plain C, no libbpf: unit-tested with hand-made records.
 *
 * What it infers, and why (src/README.md):
 *  - A CLOSE from FIN_WAIT2 or CLOSING with no reset and no error is the
 *    kernel handing the connection to a timewait sock, not a close: the
 *    connection goes on there, in TIME_WAIT or still in FIN_WAIT2, until
 *    that sock is gone (twphase.h).
 *  - A passive connection's SYN_RECV begins at its SYN, in a request sock:
 *    its SYN-ACK retransmits are kept by tuple and joined to the child, and
 *    a request that never completes is written as its own record
 *    (reqphase.h).
 *  - An RST can follow the CLOSE it causes (tcp_disconnect() sets CLOSE
 *    first), so a closed connection lingers briefly before it is written.
 *
 * Timewait and request socks are invisible to the tracepoints. On the
 * fentry/kprobe tiers hooks report them (cfg.tw_hooked); on the tracepoint
 * tier the caller lists them with sock_diag, per network namespace, and
 * reports each listing (conntab_watch_*).
 */
#ifndef TL_CONNTAB_H
#define TL_CONNTAB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "conn.h"
#include "conn_acct.h"
#include "filter.h"
#include "record.h"

struct conntab;
struct lsncount;

struct conntab_cfg {
	bool fin_inferred;       /* no tcp_send_fin hook: count FINs from transitions */
	bool tw_hooked;          /* TL_REC_TW records come (fentry/kprobe tiers): no listings */
	const struct filter *filter; /* -p/-c/--cgroup on the owner; NULL = none */
	uint64_t linger_ns;      /* wait for late records after CLOSE (default 100 ms) */
	uint64_t watch_slack_ns; /* half-open: wait this long past the request timer (default 500 ms) */
	/* Keep a connection compact once nothing happened to it for
	 * cold_after_ns (conntab_cold.c). Only where no walk keeps the
	 * connections it is handed (conntab_foreach_open). */
	bool cold;
	uint64_t cold_after_ns;
	struct lsncount *lc;     /* per-listener SYN-ACK retransmits, half-opens; NULL = none */
	void (*emit)(void *ctx, const struct conn *c);
	/* An active connection retransmitted its SYN: may set c->dropped_by
	 * (dropby.h). NULL = none. */
	void (*syn_retrans)(void *ctx, struct conn *c);
	void *syn_ctx;
	void (*transition)(void *ctx, const struct transition *t); /* may be NULL */
	/* A failed connect(), once per attempt, filters applied; may be NULL. */
	void (*connect_error)(void *ctx, const struct conn_error *ce);
	void *ctx;
};

struct conntab *conntab_new(const struct conntab_cfg *cfg);
void conntab_free(struct conntab *t);
/* Apply one decoded, validated record. */
void conntab_apply(struct conntab *t, const struct tl_rec *e);
/* Write connections whose linger has passed; expire old SYN-ACK counts. */
void conntab_tick(struct conntab *t, uint64_t now_ns);
/* At exit, once: write everything, open connections with closed = false.
 * Those stay in the table, written, until conntab_free(). */
void conntab_flush(struct conntab *t, uint64_t now_ns);
/* At exit, once the ring buffer is drained: mark the rows still open whose
 * socket the kernel side no longer tracks (its entry goes at
 * tcp_destroy_sock, after the socket's last record): their end was never
 * read, however it was lost. Returns how many; drain again (a CLOSE
 * committed just before its entry went is then read), then
 * conntab_end_unseen() writes those still open as lost and counts them. */
size_t conntab_mark_unseen(struct conntab *t, bool (*tracked)(void *ctx, uint64_t skaddr), void *ctx);
void conntab_end_unseen(struct conntab *t, uint64_t now_ns);
/* The exit's census (conntab_heal.c): the namespaces of the rows still open,
 * then, for each that can be listed, every socket in it (any state) between
 * _begin and _done. _done marks the rows whose socket was not listed, as
 * conntab_mark_unseen() does (on the hooked tiers, a connection in a
 * timewait sock too), and returns how many rows wait on a last drain
 * (those, and those found in a timewait sock). Then drain, then
 * conntab_census_heal() (a row still open in FIN_WAIT1, FIN_WAIT2 or CLOSING
 * whose 4-tuple was in a timewait sock goes on into it), then
 * conntab_end_unseen(). */
size_t conntab_census_netns(const struct conntab *t, uint32_t *ns, size_t max);
void conntab_census_begin(struct conntab *t, uint32_t netns, uint64_t start_ns);
void conntab_census_sock(struct conntab *t, const struct tl_tuple *tu, uint8_t state, bool timewait,
			 uint32_t expires_ms);
size_t conntab_census_done(struct conntab *t);
/* Hooked tiers: a dump walks the socket hash in batches and can step over
 * a sock when another goes between two, so a connection in a timewait sock
 * the census did not list is looked for once more: the namespaces of those,
 * then each timewait sock a second listing of one holds. */
size_t conntab_census_tw_netns(const struct conntab *t, uint32_t *ns, size_t max);
void conntab_census_relisted(struct conntab *t, uint32_t netns, const struct tl_tuple *tu);
void conntab_census_heal(struct conntab *t);
/* Connections kept compact now, and made entries again so far. */
void conntab_cold_stats(const struct conntab *t, uint64_t *cold, uint64_t *thawed);
/* Fill the table's share of the summary. */
void conntab_summary(const struct conntab *t, struct summary *s);
size_t conntab_count(const struct conntab *t);
/* Call fn for every connection still open (not closed, not lingering) whose
 * owner passes the filters (or, with no owner filter, every one); one in
 * its timewait sock is open, in FIN_WAIT2 or TIME_WAIT. fn must not remove
 * entries: the walk reads ahead. With cfg.cold, c is valid during
 * the call only, and only a connection in CLOSE_WAIT may be changed
 * (conntab_cw_due): the others may be a copy of a compact form. */
void conntab_foreach_open(struct conntab *t, void (*fn)(void *ctx, struct conn *c), void *ctx);
/* Is a --close-wait alert due for `c` at `now`? The first comes once it has
 * been in CLOSE_WAIT for threshold_ns; each further one after twice the
 * previous interval (threshold, 2x, 4x ... capped at an hour), so a leak
 * that lasts is not repeated every second. Records the alert when due. */
bool conntab_cw_due(struct conn *c, uint64_t now_ns, uint64_t threshold_ns);
/* conn_in_state_ns(): conn_acct.h. */

/* Namespaces holding timewait or request socks that wait for a listing,
 * at most `max` of them; returns how many were written to `ns`. */
size_t conntab_watch_netns(const struct conntab *t, uint32_t *ns, size_t max);

/* A sock_diag listing of namespace `netns` began at `start_ns` (the
 * tracepoints' clock, CLOCK_MONOTONIC): report each TIME_WAIT, FIN_WAIT2
 * and SYN_RECV sock it holds with conntab_watch_sock(), then call
 * conntab_watch_done() with the increase of the namespace's
 * TCPTimeWaitOverflow counter since the previous listing; it returns the
 * overflows no hand-over of this listing took. */
void conntab_watch_begin(struct conntab *t, uint32_t netns, uint64_t start_ns);
void conntab_watch_sock(struct conntab *t, const struct tl_tuple *tu, uint8_t state,
			bool timewait, uint32_t expires_ms);
uint64_t conntab_watch_done(struct conntab *t, uint64_t tw_overflows);
/* The namespace is deleted (nothing but the caller named it, and the caller
 * let go of it at `now_ns`): the kernel purges its timewait socks as it
 * tears it down, which ends them, netns_gone. Its requests are settled on
 * their timer's schedule. */
void conntab_watch_gone(struct conntab *t, uint32_t netns, uint64_t now_ns);
/* The namespace cannot be listed: settle its socks on inference alone. */
void conntab_watch_unreachable(struct conntab *t, uint32_t netns, uint64_t now_ns);

#endif /* TL_CONNTAB_H */
