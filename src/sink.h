/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Output sinks behind one ops table: text (one line per finished
 * connection), stream (one line per transition), csv and json. Several may
 * be active at once (e.g. text on the terminal and --csv to a file).
 */
#ifndef TL_SINK_H
#define TL_SINK_H

#include <stdbool.h>
#include <stdio.h>
#include "conn.h"
#include "timefmt.h"

struct sink;
struct outfd;
struct options;
struct view_stats;
struct connerr_tab;
struct lsn_snap;
struct lsn_burst;

#define SINK_DONE 1 /* tick, snap_step: the sink is finished (q pressed, -n reached) */
#define SINK_SNAP 2 /* tick: a snapshot of the open connections is due */
#define SINK_MORE 3 /* snap_step: call again, the snapshot is not finished */

struct sink_ops {
	const char *name;
	int (*begin)(struct sink *s);                              /* header; may be NULL */
	int (*conn)(struct sink *s, const struct conn *c);         /* a connection record */
	int (*transition)(struct sink *s, const struct transition *t); /* may be NULL */
	int (*summary)(struct sink *s, const struct summary *sum); /* may be NULL */
	int (*alert)(struct sink *s, const struct cw_alert *a);    /* may be NULL */
	int (*cw_summary)(struct sink *s, const struct cw_proc *p, size_t n); /* may be NULL */
	/* A failed connect(), as it comes; and at exit the failures per process
	 * and destination (connerr.h), most first. May be NULL. */
	int (*connect_error)(struct sink *s, const struct conn_error *ce);
	int (*connerr_summary)(struct sink *s, const struct connerr_tab *t);
	/* Called every poll tick (~100 ms): 0, SINK_DONE, SINK_SNAP or -errno.
	 * May be NULL. */
	int (*tick)(struct sink *s, uint64_t now_ns);
	/* A snapshot (live view, --batch), after tick said SINK_SNAP. Data
	 * flows one way: main's loop owns the ring buffer and the table
	 * (ingest.c); it hands the sink the counters (snap_begin), every open
	 * connection (snap_row), then calls snap_step until it returns 0,
	 * SINK_DONE or -errno, reading the ring buffer between two calls into
	 * a backlog that is applied once the snapshot is finished, as the rows
	 * point into the table. The sink never calls back. May be NULL when
	 * tick never says SINK_SNAP. */
	void (*snap_begin)(struct sink *s, const struct view_stats *st, uint64_t now_ns);
	void (*snap_row)(struct sink *s, struct conn *c);
	int (*snap_step)(struct sink *s);
	/* snap_row's connections are kept until the snapshot ends (--batch
	 * sorts pointers to every one): the table keeps every connection whole
	 * for it (conntab_cfg.cold). The live view keeps copies of the rows
	 * that fit instead. */
	bool keeps_rows;
	/* --listeners in a run (lsnwatch.h): every listener as one listing,
	 * taken at at_ns, found them; and a listener's burst of drops that
	 * ended (lsnburst.h), at now_ns. May be NULL. */
	int (*listeners)(struct sink *s, const struct lsn_snap *snap, uint64_t at_ns);
	int (*listen_overflow)(struct sink *s, const struct lsn_burst *b, uint64_t now_ns);
	/* Before the final flush: release what begin set up. May be NULL. */
	int (*end)(struct sink *s);
};

struct sink_opts {
	bool wide;                   /* text: wide columns for IPv6 */
	const struct options *opts;  /* metrics: where to serve and write, --max-ports */
	const struct timeconv *tc;
	uint32_t interval_ms;        /* live, batch: refresh period */
	uint32_t count;              /* live, batch: stop after this many; 0 = never */
	uint32_t state_mask;         /* live, batch: --state */
};

struct sink {
	const struct sink_ops *ops;
	FILE *f;
	bool own_file; /* fclose() on sink_close(); false for a terminal's stdout */
	struct sink_opts o;
	int err;       /* first write error as -errno, sticky */
	void *priv;    /* the live and batch sinks' state */
	struct outfd *ofd; /* the write path of a file or piped stdout, or NULL */
	uint64_t skipped;  /* records not written because of an earlier error */
	bool snapping;     /* its tick said SINK_SNAP; until its snap_step ends */
	bool want_listeners; /* with SINK_SNAP: list the listeners (view_stats.lsn) */
};

extern const struct sink_ops sink_text_ops;
extern const struct sink_ops sink_stream_ops;
extern const struct sink_ops sink_csv_ops;
extern const struct sink_ops sink_json_ops;
extern const struct sink_ops sink_once_ops; /* --once on the terminal */
extern const struct sink_ops sink_live_ops;  /* full-screen view (ncurses) */
extern const struct sink_ops sink_batch_ops; /* --batch: text snapshots */
extern const struct sink_ops sink_metrics_ops; /* --metrics, --metrics-file */

/* Open `path` ("-" = stdout) for writing and call ops->begin. Returns NULL
 * with errno set when the file cannot be opened or the header not written. */
struct sink *sink_open(const struct sink_ops *ops, const char *path, const struct sink_opts *o);
/* After sink_open failed: why the file was refused (a symlink, another
 * user's file in /tmp; safeopen.h), or NULL when the system said no. */
const char *sink_refused(void);
/* Same, on an already open stream that the sink does not own (tests). */
struct sink *sink_open_file(const struct sink_ops *ops, FILE *f, const struct sink_opts *o);
/* A sink that writes no stream (s->f NULL): the metrics, which publish
 * their own way. */
struct sink *sink_open_bare(const struct sink_ops *ops, const struct sink_opts *o);
int sink_conn(struct sink *s, const struct conn *c);
int sink_transition(struct sink *s, const struct transition *t);
int sink_summary(struct sink *s, const struct summary *sum);
int sink_alert(struct sink *s, const struct cw_alert *a);
int sink_cw_summary(struct sink *s, const struct cw_proc *p, size_t n);
int sink_connect_error(struct sink *s, const struct conn_error *ce);
int sink_connerr_summary(struct sink *s, const struct connerr_tab *t);
int sink_listeners(struct sink *s, const struct lsn_snap *snap, uint64_t at_ns);
int sink_listen_overflow(struct sink *s, const struct lsn_burst *b, uint64_t now_ns);
/* 0, SINK_DONE or -errno; s->snapping is set when a snapshot is due. */
int sink_tick(struct sink *s, uint64_t now_ns);
/* The snapshot protocol (sink_ops.snap_*), for a sink that is snapping:
 * sink_snap_step returns SINK_MORE, then 0, SINK_DONE or -errno, and
 * clears s->snapping when it ends. */
void sink_snap_begin(struct sink *s, const struct view_stats *st, uint64_t now_ns);
void sink_snap_row(struct sink *s, struct conn *c);
int sink_snap_step(struct sink *s);
/* Push what is buffered to the output: 0 or the sink's (sticky) -errno. */
int sink_flush(struct sink *s);
/* SIGUSR1 (logrotate's postrotate): a new sink like `old` writing to
 * `path`, opened by the same rules (safe_open_append: appended to, never
 * truncated), with the header when the file is empty. 0 with *out set, or
 * *out NULL when `path` still names old's file (nothing was rotated: keep
 * writing it). -errno when the file cannot be opened, sink_refused() saying
 * why when it was refused; -EINVAL for a sink that is not a file the tool
 * opened (stdout, a terminal). `old` is untouched: the caller flushes and
 * closes it once it has the new one. */
int sink_reopen(const struct sink *old, const char *path, struct sink **out);
/* Records (lines) that did not reach the output: dropped by a write error
 * or a stalled reader, or not written after an error. */
uint64_t sink_lost(const struct sink *s);
/* True when writes were dropped because the reader stopped reading. */
bool sink_stalled(const struct sink *s);
/* Flush, close if owned, free. Returns the first write error (-errno) or 0.
 * Accepts NULL. */
int sink_close(struct sink *s);

/* The metrics sink (sink_metrics_ops): its HTTP server listening and its
 * file written once, or NULL with errno set after one error line saying
 * why. */
struct sink *sink_metrics_open(const struct sink_opts *o);
/* Records the other outputs dropped so far (outputs.c counts them), shown
 * as records_lost{reason="output"}. */
void sink_metrics_lost_output(struct sink *s, uint64_t n);

/* Helpers shared by the sink implementations. */

#define SINK_ADDR_LEN 46                  /* INET6_ADDRSTRLEN */
#define SINK_ENDPOINT_LEN 54              /* "[" addr "]:" port */
#define SINK_COMM_LEN (TL_COMM_LEN * 4 + 1) /* every byte escaped as \xHH */
#define SINK_PATH_LEN 384                 /* CONN_PATH_MAX names, '>'s, ">..." */

/* Column widths of the text lines: the text and stream sinks (narrow, or
 * wide with -w), the live view and --batch (view.c). */
#define PID_W 7
#define COMM_W 12
#define WCOMM_W 16    /* -w: TASK_COMM_LEN - 1 */
#define ADDR_W 21     /* "255.255.255.255:65535" */
/* inet_ntop's longest IPv6 text is 39 characters (eight full groups; its
 * dotted forms are only used for ::ffff:a.b.c.d and are shorter), plus
 * "[]:65535". */
#define WADDR_W 47
#define FD_W 5
#define VCOMM_W 15    /* the live view and --batch */
#define VSTATE_W 11
#define VDUR_W 9      /* ">=" + view_dur's 7 */
#define VCAUSE_W 13

/* The sink's clock offset, or a zero one (monotonic shown as 1970) if none. */
const struct timeconv *sink_tc(const struct sink *s);
/* "ipv4", "ipv6", "unknown". */
const char *family_name(unsigned int family);
/* The local (saddr) or remote (daddr) address, without port. Unknown family:
 * "?" and -EAFNOSUPPORT. Returns 0 or -errno. */
int addr_fmt(const struct tl_tuple *t, bool local, char *buf, size_t n);
/* "10.0.0.1:443" or "[2001:db8::1]:443". Same returns as addr_fmt. */
int endpoint_fmt(const struct tl_tuple *t, bool local, char *buf, size_t n);
/* The owner's comm, sanitized (whether or not owner_known). Returns strlen. */
size_t comm_fmt(const struct conn *c, char *buf, size_t n);
/* State names of c->path joined by '>', ">..." when truncated. 0 or -ENOSPC. */
int path_fmt(const struct conn *c, char *buf, size_t n);
/* Every retransmit counted: SYN, SYN-ACK, FIN and data. */
uint64_t conn_retrans(const struct conn *c);
/* Copy `s` into `out` (at least w + 1 bytes) cut to at most `w` columns:
 * the tail is replaced by '~' (fit_end) or the middle by ".." (fit_middle,
 * for addresses, whose port at the end matters). */
void fit_end(const char *s, size_t w, char *out);
void fit_middle(const char *s, size_t w, char *out);
/* A duration in ms in at most `w` columns (w >= 4): three decimals when they
 * fit, fewer, then whole ms, then an "s"/"m"/"h"/"d" suffix. */
int fmt_ms_fit(uint64_t ns, size_t w, char *buf, size_t n);
/* A count in at most `w` columns (w >= 3): exact, else a lower bound such
 * as "9k+" or "12M+". */
void count_fit(uint64_t v, size_t w, char *buf, size_t n);
/* The columns that say whose connection a line is about, cut to fit: PID and
 * COMM ("-" when the owner is not known), LOCAL and REMOTE endpoints. */
struct ident_cols {
	char pid[12];
	char comm[SINK_COMM_LEN];
	char local[SINK_ENDPOINT_LEN];
	char remote[SINK_ENDPOINT_LEN];
};
void ident_fmt(const struct conn *c, size_t pid_w, size_t comm_w, size_t addr_w,
	       struct ident_cols *out);
/* Those columns, padded to PID_W, comm_w and addr_w, each followed by a space. */
struct linebuf;
void ident_put(struct linebuf *l, const struct ident_cols *id, size_t comm_w, size_t addr_w);
/* The human summary used by the text and stream sinks. */
int sink_text_summary(struct sink *s, const struct summary *sum);
/* The human CLOSE_WAIT alert line and per-process summary (text, stream). */
int sink_text_alert(struct sink *s, const struct cw_alert *a);
int sink_text_cw_summary(struct sink *s, const struct cw_proc *p, size_t n);
/* The failed connect()s per process and destination, with their hints
 * (text, stream): "# connect() failures ..." lines. */
int sink_text_connerr_summary(struct sink *s, const struct connerr_tab *t);
/* "preexisting" or "birth". */
const char *seen_from_name(const struct conn *c);
/* Where the owner comes from: "socket" (the process holds or held the
 * socket's own fd), "listener" (nobody accepted it: the listening socket's
 * owner), NULL when no owner is known. */
const char *owner_from_name(const struct conn *c);

#endif /* TL_SINK_H */
