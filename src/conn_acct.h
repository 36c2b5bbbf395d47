/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Per-connection accounting on a `struct conn`, the pieces every phase of
 * a connection uses: the path of states, the time settled into each, and
 * the time in the current one. Plain data in, plain data out.
 */
#ifndef TL_CONN_ACCT_H
#define TL_CONN_ACCT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "conn.h"

#define TL_MS 1000000ULL
#define TL_SEC 1000000000ULL
#define TL_BIT(s) (1u << (s))

/* Append `state` to the path unless it is the last one (or the path is
 * full: then mark it truncated). */
void conn_path_add(struct conn *c, uint8_t state);
/* Account the time since the current state was entered, up to `ts`. */
void conn_settle(struct conn *c, uint64_t ts);
/* Leave the current state at `ts` for `state`. */
void conn_enter(struct conn *c, uint8_t state, uint64_t ts);
/* The time c has spent in its current state up to now_ns: what was settled
 * into state_ns plus what has passed since. The one answer for every
 * reader -- the live view's IN_STATE, the CLOSE_WAIT alerts and per-process
 * OLDEST_MS, the record written at exit -- before or after the connection
 * is settled at now_ns; for a connection open before the start, a lower
 * bound from the entry time the seed estimated. */
uint64_t conn_in_state_ns(const struct conn *c, uint64_t now_ns);
/* False when the time spent in `state` is not known (c->unmeasured). */
bool conn_measured(const struct conn *c, unsigned int state);
/* The states on c's path, each once, in the order first entered: the
 * states a closed connection left. CLOSE (where it ends, no time is
 * spent) and LISTEN (not a connection's) are left out; a state entered
 * twice has its time summed in state_ns already. The one rule behind the
 * live view's closed rows and histograms and the metrics' histograms
 * (agg.c); `report` applies it to CSV rows (report_row.c). Returns how
 * many. */
size_t conn_path_states(const struct conn *c, uint8_t out[TL_NSTATES]);
/* --state: an open connection matches the state it is in, a closed one any
 * state on its path. */
bool conn_in_states(const struct conn *c, uint32_t mask);

#endif /* TL_CONN_ACCT_H */
