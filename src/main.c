// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* tcplife-states: parse, open outputs, start the tracer, poll, clean up. */
#include <errno.h>
#include <inttypes.h>
#include <linux/capability.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include "alerts.h"
#include "backlog.h"
#include "cli.h"
#include "conntab.h"
#include "decode.h"
#include "filter.h"
#include "log.h"
#include "outfd.h"
#include "outputs.h"
#include "sockwatch.h"
#include "seed.h"
#include "sink.h"
#include "tracer.h"
#include "view.h"

#define POLL_MS 100
/* Timewait and request socks are listed this often (sockwatch.h). */
#define WATCH_NS 1000000000ULL

static volatile sig_atomic_t stop;
static volatile sig_atomic_t reopen; /* SIGUSR1: logrotate moved the files */

static void on_signal(int sig)
{
	if (sig == SIGUSR1)
		reopen = 1;
	else
		stop = 1;
}

struct run {
	struct conntab *ct;
	struct summary sum;
	struct tracer *tr;
	uint64_t start_ns;
	char tiers[512];
	struct backlog held; /* records read while a snapshot is printed */
	bool holding;        /* on_record holds, not applies (hold_more) */
	bool held_oom;
};

static int on_record(void *ctx, void *data, size_t size)
{
	struct run *r = ctx;
	struct tl_rec e;

	if (r->holding) {
		if (backlog_push(&r->held, data, size)) {
			r->held_oom = true;
			return -ENOMEM; /* ends the loop: one error line, exit 1 */
		}
		return 0;
	}
	r->sum.records++;
	if (decode_record(data, size, &e)) {
		r->sum.bad_records++;
		return 0;
	}
	conntab_apply(r->ct, &e);
	return 0;
}

/* The live view's and --batch's header: the kernel's drop counters are
 * read only when one of them refreshes. */
static void feed_stats(void *ctx, struct view_stats *vs)
{
	struct run *r = ctx;
	struct summary sum = {};
	struct tl_stats st;

	conntab_summary(r->ct, &sum);
	vs->records = r->sum.records;
	vs->bad_records = r->sum.bad_records;
	vs->synack_orphans = sum.synack_orphans;
	vs->healed = sum.healed;
	vs->start_ns = r->start_ns;
	vs->tiers = r->tiers;
	if (r->tr && !tracer_stats(r->tr, &st)) {
		vs->rb_drops = st.v[TL_STAT_RB_FULL];
		vs->map_full = st.v[TL_STAT_MAP_FULL];
		vs->stale = st.v[TL_STAT_STALE];
		vs->gaps = st.v[TL_STAT_GAPS];
		vs->missed = tracer_missed(r->tr);
	}
}

/* A --batch snapshot with many rows calls this every few thousand rows:
 * the ring buffer is read into the backlog, not applied, as the snapshot
 * points into the connection table (backlog.h). Past HELD_MAX bytes it is
 * left to the kernel's ring buffer, whose drops are counted: a loader that
 * cannot keep up must not grow without bound. */
#define HELD_MAX (256u << 20)

static void hold_more(void *ctx)
{
	struct run *r = ctx;

	if (!r->tr || r->held_oom || r->held.len >= HELD_MAX)
		return;
	r->holding = true;
	tracer_drain(r->tr);
	r->holding = false;
}

/* After a snapshot: apply what was held, in order, still reading the ring
 * buffer into the backlog's tail every VIEW_PUMP_ROWS records. */
static int release_held(struct run *r)
{
	uint64_t n;

	n = backlog_replay(&r->held, on_record, hold_more, VIEW_PUMP_ROWS, r);
	if (r->held_oom) {
		log_err("out of memory holding the %" PRIu64 " records read during a snapshot", n + 1);
		return -ENOMEM;
	}
	return 0;
}

/* Loading tracing programs needs CAP_SYS_ADMIN, or CAP_BPF + CAP_PERFMON
 * (5.8+). Checked first so the user gets this sentence, not an EPERM from
 * deep inside a probe. */
static bool may_trace(void)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[2] = {};
	__u64 eff;

	if (syscall(SYS_capget, &hdr, data))
		return geteuid() == 0;
	eff = data[0].effective | ((__u64)data[1].effective << 32);
	return (eff & (1ULL << CAP_SYS_ADMIN)) ||
	       ((eff & (1ULL << 39 /* CAP_BPF */)) && (eff & (1ULL << 38 /* CAP_PERFMON */)));
}

static int list_probes(enum tier_force force)
{
	struct tracer *tr = tracer_probe(force);
	int rc = 0;

	if (!tr) {
		log_err("probing failed: %s", strerror(errno));
		return 1;
	}
	tracer_print_probes(tr, stdout);
	if (tracer_force_error(tr)) {
		fflush(stdout);
		log_err("%s", tracer_force_error(tr));
		rc = 1;
	}
	tracer_free(tr);
	return rc;
}

int main(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_signal };
	struct options o;
	struct filter flt;
	struct timeconv tc;
	struct outputs out;
	struct run r = {};
	struct tracer *tr = NULL;
	struct sockwatch *sw = NULL;
	struct tl_stats st;
	struct alerts al = {};
	struct seed_result sr;
	uint64_t start, deadline, end;
	char line[768];
	int rc = 1, err, done;

	err = cli_parse(argc, argv, &o, stdout, stderr);
	if (err < 0)
		return TL_EXIT_USAGE;
	if (err == CLI_DONE)
		return 0;
	log_set_verbose(o.verbose);
	filter_init(&flt, &o);
	if (!may_trace()) {
		log_err("loading BPF programs needs root (or CAP_BPF and CAP_PERFMON): run with sudo");
		return 1;
	}
	if (o.list_probes)
		return list_probes(o.tier);

	/* No SA_RESTART: the poll must return. SIGHUP (the terminal or the
	 * session went away) ends the run like the other two, with the open
	 * connections and the summary written, not with empty files. */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	/* Handled before the outputs exist: a rotation signalled early must
	 * not kill the run (SIGUSR1's default action). */
	sigaction(SIGUSR1, &sa, NULL);
	outfd_watch(&stop); /* a write blocked on a stalled reader sees a stop */
	signal(SIGPIPE, SIG_IGN);     /* a closed pipe shows up as EPIPE */
	timeconv_init(&tc);
	if (outputs_open(&out, &o, &tc))
		return 1; /* before anything is loaded: nothing to detach */

	struct conntab_cfg cfg = {
		.filter = &flt,
		.emit = outputs_conn, .transition = o.stream ? outputs_transition : NULL, .ctx = &out,
	};
	tr = tracer_start(&o, on_record, &r);
	if (!tr)
		goto cleanup;
	cfg.fin_inferred = tracer_tier(tr, HOOK_FIN) == TIER_INFERRED;
	cfg.tw_hooked = tracer_tier(tr, HOOK_TIMEWAIT) == TIER_FENTRY ||
			tracer_tier(tr, HOOK_TIMEWAIT) == TIER_KPROBE;
	r.ct = conntab_new(&cfg);
	sw = sockwatch_new(WATCH_NS);
	if (!r.ct || !sw) {
		log_err("out of memory");
		goto cleanup;
	}
	alerts_init(&al, r.ct, &out, tr, on_record, &r, o.close_wait_s);
	start = mono_now_ns();
	seed_run(tr, &o, &flt, on_record, &r, &sr); /* says itself what it found or why not */
	r.sum.seed_ms = sr.ns_ms;
	tracer_tiers_line(tr, r.tiers, sizeof(r.tiers));
	log_info("tracing TCP connections (%s)%s", r.tiers, o.once ? "" : "; Ctrl-C to stop");
	r.tr = tr;
	r.start_ns = start;
	struct sink_feed feed = { .ct = r.ct, .stats = feed_stats, .pump = hold_more, .ctx = &r };

	deadline = o.duration_s ? start + o.duration_s * 1000000000ULL : 0;
	while (!o.once && !stop && !out.err) {
		uint64_t before = r.sum.records;

		err = tracer_poll(tr, POLL_MS);
		if (err < 0 && err != -EINTR) {
			log_err("reading the ring buffer failed: %s", strerror(-err));
			goto cleanup;
		}
		if (reopen) {
			reopen = 0;
			outputs_reopen(&out);
		}
		conntab_tick(r.ct, mono_now_ns());
		sockwatch_poll(sw, r.ct, mono_now_ns());
		alerts_tick(&al, mono_now_ns());
		done = outputs_tick(&out, &feed, mono_now_ns());
		if (release_held(&r))
			goto cleanup;
		outputs_flush_due(&out, mono_now_ns(), r.sum.records == before);
		if (done)
			break; /* q in the live view, or -n COUNT snapshots written */
		if (deadline && mono_now_ns() >= deadline)
			break;
	}
	/* From here on a writer waits at most OUTFD_GRACE_NS for a reader
	 * that stopped reading. */
	outfd_shutdown(mono_now_ns());
	tracer_drain(tr);
	if (!tracer_stats(tr, &st)) {
		r.sum.rb_drops = st.v[TL_STAT_RB_FULL];
		r.sum.map_full = st.v[TL_STAT_MAP_FULL];
		r.sum.stale = st.v[TL_STAT_STALE];
		r.sum.gaps = st.v[TL_STAT_GAPS];
	}
	r.sum.missed = tracer_missed(tr);
	r.sum.owners_lost = tracer_owners_lost(tr);
	tracer_log_missed(tr);
	/* Rows open whose socket is gone: its kernel-side entry went, or a
	 * census of the namespaces does not list it (both its programs were
	 * skipped). A second drain reads a CLOSE committed just before. */
	if (!o.once && (conntab_mark_unseen(r.ct, tracer_sk_tracked, tr) +
			sockwatch_census(sw, r.ct, mono_now_ns())))
		tracer_drain(tr);
	conntab_census_heal(r.ct);
	conntab_end_unseen(r.ct, mono_now_ns());
	sockwatch_final(sw, r.ct, mono_now_ns());
	/* What is known now is as of this instant: the per-process CLOSE_WAIT
	 * summary and the records of the open connections both count up to
	 * it, not to two clocks read either side of the detach (~0.4 s apart:
	 * OLDEST_MS was that much less than the same socket's row). */
	end = mono_now_ns();
	alerts_collect(&al, end); /* also names owners handed over at close() */
	/* Detach before writing the open connections: nothing changes under us. */
	tracer_free(tr);
	tr = NULL;
	al.tr = NULL;
	r.tr = NULL;
	conntab_flush(r.ct, end);
	if (o.once || o.close_wait_s)
		alerts_write_summary(&al);
	conntab_summary(r.ct, &r.sum);
	r.sum.elapsed_ns = mono_now_ns() - start;
	outputs_account(&out, &r.sum); /* an output error so far shows in the summaries */
	outputs_summary(&out, &r.sum);
	outputs_close(&out); /* the final flush: what it drops is counted too */
	outputs_account(&out, &r.sum);
	summary_line(&r.sum, line, sizeof(line));
	log_info("%s", line);
	rc = run_status(&r.sum, false);
cleanup:
	tracer_free(tr);
	sockwatch_free(sw);
	alerts_fini(&al);
	conntab_free(r.ct);
	backlog_free(&r.held);
	outfd_shutdown(mono_now_ns()); /* also on the error paths */
	err = outputs_close(&out);
	if (err == -EPIPE) {
		err = 0; /* the reader went away (| head): not our failure */
	} else if (err == -ETIMEDOUT) {
		log_err("the reader of the output stopped reading; gave up after %llu s: "
			"%" PRIu64 " records lost", OUTFD_GRACE_NS / 1000000000ULL, out.lost);
		rc = 1;
	} else if (err) {
		log_err("writing output failed: %s; %" PRIu64 " records not written",
			strerror(-err), out.lost);
		rc = 1;
	}
	return rc;
}
