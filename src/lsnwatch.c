// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* --listeners in a run: listings in a thread, used in the loop (lsnwatch.h). */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "listen_scan.h"
#include "log.h"
#include "lsnburst.h"
#include "lsncount.h"
#include "lsnwatch.h"
#include "outputs.h"
#include "threads.h"
#include "timefmt.h"

/* A listing may cost at most 1/40 of the time between two (2.5 % of a
 * core), in this thread's CPU time. */
#define LSN_BUDGET 40

struct lsnwatch {
	struct outputs *out;
	const struct lsncount *lc; /* the loop's: read in lsnwatch_tick only */
	struct lsnburst bursts;
	uint64_t interval_ns;
	pthread_t th;
	bool running;
	pthread_mutex_t mu;
	pthread_cond_t cv;     /* CLOCK_MONOTONIC: the stop */
	/* Under mu: */
	bool stop;
	bool ready;            /* `snap` waits for the loop */
	struct lsn_snap snap;
	uint64_t snap_ns;      /* when it was taken */
	uint64_t replaced;     /* listings the loop had not taken in time */
	int last_err;          /* the last listing's error, said once */
	/* The loop's alone: the newest listing it took, for the live view's
	 * listener pane, which then lists nothing itself. */
	struct lsn_snap last;
	bool have_last;
};

static void on_start(void *ctx, const struct lsn *l, const struct lsn_ns *c, uint64_t drops)
{
	char line[640];

	(void)ctx;
	lsn_burst_warning(l, c, drops, line, sizeof(line));
	log_warn("%s", line);
}

static void on_end(void *ctx, const struct lsn_burst *b)
{
	struct lsnwatch *w = ctx;

	outputs_listen_overflow(w->out, b, mono_now_ns());
}

/* Until `due`, or the stop. Called with mu held. */
static void wait_until(struct lsnwatch *w, uint64_t due)
{
	struct timespec ts = { .tv_sec = (time_t)(due / 1000000000ULL), .tv_nsec = (long)(due % 1000000000ULL) };

	while (!w->stop && mono_now_ns() < due)
		if (pthread_cond_timedwait(&w->cv, &w->mu, &ts) == ETIMEDOUT)
			break;
}

/* This thread's CPU time: what the budget is of. Wall time would stretch
 * the interval on a busy machine for time spent waiting for a CPU. */
static uint64_t cpu_ns(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts))
		return 0;
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static void list_once(struct lsnwatch *w)
{
	struct lsn_snap s;
	uint64_t t0 = mono_now_ns(), c0 = cpu_ns(), tl, t1, cpu;
	int err = lsn_snap_take(&s, false);

	tl = mono_now_ns();
	if (!err && (err = lsn_snap_owners(&s)))
		lsn_snap_free(&s);
	t1 = mono_now_ns();
	cpu = cpu_ns() - c0;
	log_debug("listener listing: %zu listeners, %zu namespaces: %.3f ms (sockets and counters "
		  "%.3f ms, owners %.3f ms), %.3f ms of CPU", err ? 0 : s.n, err ? 0 : s.n_ns,
		  (double)(t1 - t0) / 1e6, (double)(tl - t0) / 1e6, (double)(t1 - tl) / 1e6,
		  (double)cpu / 1e6);
	pthread_mutex_lock(&w->mu);
	if (err && err != w->last_err)
		log_warn("cannot list the listeners: %s; trying again every interval", strerror(-err));
	else if (!err && w->last_err)
		log_info("listing the listeners again");
	w->last_err = err;
	if (!err) {
		if (w->ready) {
			lsn_snap_free(&w->snap);
			w->replaced++;
		}
		w->snap = s;
		w->snap_ns = t1;
		w->ready = true;
	}
	/* The next one: the interval, or longer for a costly listing. */
	wait_until(w, t0 + (cpu > w->interval_ns / LSN_BUDGET ? cpu * LSN_BUDGET : w->interval_ns));
	pthread_mutex_unlock(&w->mu);
}

static void *run(void *arg)
{
	struct lsnwatch *w = arg;
	bool stop = false;

	while (!stop) {
		list_once(w);
		pthread_mutex_lock(&w->mu);
		stop = w->stop;
		pthread_mutex_unlock(&w->mu);
	}
	return NULL;
}

struct lsnwatch *lsnwatch_start(struct outputs *out, const struct lsncount *lc, uint64_t interval_ns)
{
	const struct lsnburst_cb cb = { .start = on_start, .end = on_end };
	struct lsnwatch *w = calloc(1, sizeof(*w));
	pthread_condattr_t ca;
	int err;

	if (!w || lsnburst_init(&w->bursts, &cb)) {
		free(w);
		log_err("out of memory");
		errno = ENOMEM;
		return NULL;
	}
	w->bursts.cb.ctx = w;
	w->out = out;
	w->lc = lc;
	w->interval_ns = interval_ns;
	pthread_mutex_init(&w->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&w->cv, &ca);
	pthread_condattr_destroy(&ca);
	err = thread_start(&w->th, run, w);
	if (err) {
		log_err("cannot start the listener listings: %s", strerror(err));
		lsnwatch_free(w);
		errno = err;
		return NULL;
	}
	w->running = true;
	return w;
}

void lsnwatch_tick(struct lsnwatch *w)
{
	struct lsn_snap s;
	uint64_t at;

	if (!w)
		return;
	pthread_mutex_lock(&w->mu);
	if (!w->ready) {
		pthread_mutex_unlock(&w->mu);
		return;
	}
	s = w->snap;
	at = w->snap_ns;
	w->ready = false;
	memset(&w->snap, 0, sizeof(w->snap));
	pthread_mutex_unlock(&w->mu);
	if (lsnburst_update(&w->bursts, &s, at))
		log_warn("out of memory following a listener's drops: tried again at the next listing");
	for (size_t i = 0; i < s.n_ns; i++)
		lsn_attribute(s.v, s.n, &s.ns[i]);
	lsncount_fill(w->lc, s.v, s.n);
	outputs_listeners(w->out, &s, at);
	if (w->have_last)
		lsn_snap_free(&w->last);
	w->last = s;
	w->have_last = true;
}

const struct lsn_snap *lsnwatch_last(const struct lsnwatch *w)
{
	return w && w->have_last ? &w->last : NULL;
}

static void join(struct lsnwatch *w)
{
	if (!w->running)
		return;
	pthread_mutex_lock(&w->mu);
	w->stop = true;
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);
	pthread_join(w->th, NULL);
	w->running = false;
}

void lsnwatch_stop(struct lsnwatch *w)
{
	if (!w)
		return;
	join(w);
	lsnwatch_tick(w); /* the thread's last, if the loop had not taken it */
	/* One more, now: the exit's counts are as of the exit. */
	list_once(w);
	lsnwatch_tick(w);
	lsnburst_finish(&w->bursts);
	if (w->replaced)
		log_debug("%" PRIu64 " listener listings replaced before the loop took them", w->replaced);
}

void lsnwatch_free(struct lsnwatch *w)
{
	if (!w)
		return;
	join(w);
	lsnburst_fini(&w->bursts);
	if (w->ready)
		lsn_snap_free(&w->snap);
	if (w->have_last)
		lsn_snap_free(&w->last);
	pthread_cond_destroy(&w->cv);
	pthread_mutex_destroy(&w->mu);
	free(w);
}
