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
#include "cli.h"
#include "conntab.h"
#include "connerr_scan.h"
#include "dropby.h"
#include "filter.h"
#include "ingest.h"
#include "listen_scan.h"
#include "lsnwatch.h"
#include "tcplimits_scan.h"
#include "log.h"
#include "outfd.h"
#include "outputs.h"
#include "report.h"
#include "summary.h"
#include "sockwatch.h"
#include "seed.h"
#include "sink.h"
#include "tracer.h"

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

static int list_probes(const struct options *o)
{
	struct tracer *tr = tracer_probe(o->tier, o->no_syscall_hooks);
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
	struct ingest in = {};
	struct summary sum = {};
	struct tracer *tr = NULL;
	struct sockwatch *sw = NULL;
	struct tl_stats st;
	struct alerts al = {};
	struct seed_result sr;
	struct lsn_snap ls0 = {};
	struct lsnwatch *lw = NULL;
	struct dropby *db = NULL;
	bool ls_taken = false;
	uint64_t start, end, n_cold, n_thawed, t_flush;
	char line[768];
	int rc = 1, err;

	if (argc > 1 && !strcmp(argv[1], "report"))
		return report_main(argc - 1, argv + 1);
	err = cli_parse(argc, argv, &o, stdout, stderr);
	if (err < 0)
		return TL_EXIT_USAGE;
	if (err == CLI_DONE)
		return 0;
	log_set_verbose(o.verbose);
	filter_init(&flt, &o);
	/* No BPF: sysctls, /proc/net and sock_diag, read in each namespace. */
	if ((o.limits || o.listeners) && geteuid()) {
		log_err("%s enters every network namespace (setns): run with sudo",
			o.limits ? "--limits" : "--listeners");
		return 1;
	}
	if (o.limits)
		return limits_run(o.json_path);
	if (o.listeners && o.once)
		return listeners_run(o.json_path);
	if (!may_trace()) {
		log_err("loading BPF programs needs root (or CAP_BPF and CAP_PERFMON): run with sudo");
		return 1;
	}
	if (o.list_probes)
		return list_probes(&o);

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
	if (ingest_init(&in)) {
		log_err("out of memory");
		goto cleanup;
	}

	struct conntab_cfg cfg = {
		.filter = &flt, .lc = &in.lc,
		.emit = outputs_conn, .transition = o.stream ? outputs_transition : NULL, .ctx = &out,
		.connect_error = outputs_connect_error,
		/* --once: gone before any is idle */
		.cold = !o.once && !outputs_keep_rows(&out),
		.cold_after_ns = (uint64_t)o.compact_after_s * TL_SEC,
	};
	tr = tracer_start(&o, ingest_record, &in);
	if (!tr)
		goto cleanup;
	db = dropby_new(tr);
	cfg.syn_retrans = dropby_syn_retrans;
	cfg.syn_ctx = db;
	cfg.fin_inferred = tracer_tier(tr, HOOK_FIN) == TIER_INFERRED;
	cfg.tw_hooked = tracer_tier(tr, HOOK_TIMEWAIT) == TIER_FENTRY ||
			tracer_tier(tr, HOOK_TIMEWAIT) == TIER_KPROBE;
	in.ct = conntab_new(&cfg);
	sw = sockwatch_new(WATCH_NS);
	if (!in.ct || !sw || !db) {
		log_err("out of memory");
		goto cleanup;
	}
	alerts_init(&al, in.ct, &out, tr, ingest_record, &in, o.close_wait_s);
	start = mono_now_ns();
	seed_run(tr, &o, &flt, ingest_record, &in, &sr); /* says itself what it found or why not */
	sum.seed_ms = sr.ns_ms;
	tracer_tiers_line(tr, in.tiers, sizeof(in.tiers));
	log_info("tracing TCP connections (%s)%s", in.tiers, o.once ? "" : "; Ctrl-C to stop");
	in.tr = tr;
	in.start_ns = start;
	if (o.listeners && (err = lsn_snap_take(&ls0, false)))
		log_warn("cannot list the listeners: %s; no listener hints at the end", strerror(-err));
	ls_taken = o.listeners && !err;
	if (o.listeners && !(lw = lsnwatch_start(&out, &in.lc, (o.interval_s ? o.interval_s : 1) * 1000000000ULL)))
		goto cleanup;

	struct ingest_loop lp = {
		.out = &out, .sw = sw, .al = &al, .lw = lw, .stop = &stop, .reopen = &reopen,
		.deadline_ns = o.duration_s ? start + o.duration_s * 1000000000ULL : 0,
	};
	if (!o.once && ingest_run(&in, &lp))
		goto cleanup;
	lsnwatch_stop(lw); /* its last listing, and the bursts still going */
	/* From here on a writer waits at most OUTFD_GRACE_NS for a reader
	 * that stopped reading. */
	outfd_shutdown(mono_now_ns());
	tracer_drain(tr);
	if (!tracer_stats(tr, &st)) {
		sum.rb_drops = st.v[TL_STAT_RB_FULL];
		sum.map_full = st.v[TL_STAT_MAP_FULL];
		sum.stale = st.v[TL_STAT_STALE];
		sum.gaps = st.v[TL_STAT_GAPS];
	}
	sum.missed = tracer_missed(tr);
	sum.owners_lost = tracer_owners_lost(tr);
	sum.connect_untraced = tracer_tier(tr, HOOK_CONNECT) == TIER_NONE;
	tracer_log_missed(tr);
	/* Rows open whose socket is gone: its kernel-side entry went, or a
	 * census of the namespaces does not list it (both its programs were
	 * skipped). A second drain reads a CLOSE committed just before. */
	if (!o.once && (conntab_mark_unseen(in.ct, tracer_sk_tracked, tr) +
			sockwatch_census(sw, in.ct, mono_now_ns())))
		tracer_drain(tr);
	conntab_census_heal(in.ct);
	conntab_end_unseen(in.ct, mono_now_ns());
	sockwatch_final(sw, in.ct, mono_now_ns());
	/* What is known now is as of this instant: the per-process CLOSE_WAIT
	 * summary and the records of the open connections both count up to
	 * it, not to two clocks read either side of the detach (~0.4 s apart:
	 * OLDEST_MS was that much less than the same socket's row). */
	end = mono_now_ns();
	alerts_collect(&al, end); /* also names owners handed over at close() */
	/* Nothing drains the ring buffer after this: nothing changes under
	 * the rows written next. Detaching goes on meanwhile; the cleanup
	 * below waits for it. */
	tracer_detach_begin(tr);
	al.tr = NULL;
	in.tr = NULL;
	conntab_cold_stats(in.ct, &n_cold, &n_thawed);
	log_debug("open connections kept compact at exit: %" PRIu64 " (made whole again by a record: %" PRIu64 ")",
		  n_cold, n_thawed);
	t_flush = mono_now_ns();
	conntab_flush(in.ct, end);
	log_debug("rows written at exit in %" PRIu64 " ms", (mono_now_ns() - t_flush) / 1000000);
	if (o.once || o.close_wait_s)
		alerts_write_summary(&al);
	sum.records = in.records;
	sum.bad_records = in.bad_records;
	conntab_summary(in.ct, &sum);
	sum.elapsed_ns = mono_now_ns() - start;
	connerr_log(&out.ce); /* measures what waits for it, so the summaries have the hints */
	outputs_account(&out, &sum); /* an output error so far shows in the summaries */
	outputs_summary(&out, &sum);
	outputs_close(&out); /* the final flush: what it drops is counted too */
	outputs_account(&out, &sum);
	summary_line(&sum, line, sizeof(line));
	log_info("%s", line);
	if (ls_taken)
		listeners_log_hints(&ls0);
	rc = run_status(&sum, false);
cleanup:
	lsnwatch_free(lw);
	lsn_snap_free(&ls0);
	tracer_free(tr);
	sockwatch_free(sw);
	alerts_fini(&al);
	conntab_free(in.ct);
	dropby_free(db);
	ingest_fini(&in);
	outfd_shutdown(mono_now_ns()); /* also on the error paths */
	err = outputs_close(&out);
	/* -EPIPE: the reader went away (| head), not our failure. */
	if (err == -ETIMEDOUT) {
		log_err("the reader of the output stopped reading; gave up after %llu s: "
			"%" PRIu64 " records lost", OUTFD_GRACE_NS / 1000000000ULL, out.lost);
		rc = 1;
	} else if (err && err != -EPIPE) {
		log_err("writing output failed: %s; %" PRIu64 " records not written",
			strerror(-err), out.lost);
		rc = 1;
	}
	return rc;
}
