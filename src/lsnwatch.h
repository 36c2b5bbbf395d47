/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * --listeners in a run: every -i seconds a listing of every listener of
 * every network namespace (listen_scan.h: sock_diag dumps, the namespace's
 * counters, the owners from /proc), handed to the outputs ({"event":
 * "listener"} objects, the metrics' listener families), and the bursts of
 * drops it shows (lsnburst.h): a warning line on stderr when one starts,
 * a {"event":"listen_overflow"} when it ends.
 *
 * The listings run in a thread of their own, so that they never hold up
 * the ring buffer's reading: one takes tens of milliseconds with a thousand
 * listeners (the request-sock dumps walk the whole established hash, the
 * owners every process's fds). The thread only lists; the loop's tick
 * takes the newest listing and does the rest, so the outputs, the bursts
 * and the metrics stay the loop's alone. A listing the loop had not taken
 * when the next was ready is replaced (counted, said with -v). As for the
 * timewait listings (sockwatch.h), the interval stretches to keep the
 * listings under 2.5 % of a core (of the thread's own CPU time: on a busy
 * machine a listing waits for a CPU too, which costs nothing).
 */
#ifndef TL_LSNWATCH_H
#define TL_LSNWATCH_H

#include <stdint.h>

struct lsnwatch;
struct lsn_snap;
struct outputs;
struct lsncount;

/* Start the thread: a listing now, then every interval_ns. The loop's tick
 * lays lc's counts (the ingestion's, read in the loop's own thread) on
 * each listing. NULL with errno set, after one error line. */
struct lsnwatch *lsnwatch_start(struct outputs *out, const struct lsncount *lc, uint64_t interval_ns);
/* The loop's tick: the newest listing, if one is ready, to the outputs and
 * the bursts. Accepts NULL. */
void lsnwatch_tick(struct lsnwatch *w);
/* The newest listing the loop took (attributed, as the outputs got it),
 * valid until the next lsnwatch_tick; NULL before the first or for NULL. */
const struct lsn_snap *lsnwatch_last(const struct lsnwatch *w);
/* The end of the run: stop the thread, list once more (so the outputs'
 * last listing is as of the exit), end the bursts still going (each
 * raised). Accepts NULL; call once. */
void lsnwatch_stop(struct lsnwatch *w);
/* Accepts NULL (stops the thread if lsnwatch_stop was not called). */
void lsnwatch_free(struct lsnwatch *w);

#endif /* TL_LSNWATCH_H */
