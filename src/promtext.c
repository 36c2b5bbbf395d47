// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The aggregates as Prometheus text or OpenMetrics (promtext.h). */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "connerr.h"
#include "lsnagg.h"
#include "promtext.h"
#include "sanitize.h"
#include "sink.h"
#include "states.h"

#define NS_PER_S 1000000000ULL
#define US_PER_S 1000000ULL
#define OM_TYPE "application/openmetrics-text"

enum fam_type { FAM_COUNTER, FAM_GAUGE, FAM_HISTOGRAM };

static const char *const type_names[] = { "counter", "gauge", "histogram" };

/* A state as a label value, lower case as PromQL users write it: "close_wait". */
static void state_label(unsigned int state, char *buf, size_t n)
{
	const char *s = state_name(state);
	size_t i;

	for (i = 0; s[i] && i + 1 < n; i++)
		buf[i] = (char)tolower((unsigned char)s[i]);
	buf[i] = '\0';
}

/* Seconds from ns, exactly: no float rounding between the kernel's ns and
 * the text ("1.5", "0.000001", "12"). */
static void seconds_fmt(uint64_t ns, char *buf, size_t n)
{
	int len = snprintf(buf, n, "%llu.%09llu", (unsigned long long)(ns / NS_PER_S),
			   (unsigned long long)(ns % NS_PER_S));

	while (len > 0 && buf[len - 1] == '0')
		buf[--len] = '\0';
	if (len > 0 && buf[len - 1] == '.')
		buf[--len] = '\0';
}

/* A bucket's le: 2^k us in seconds has exactly six decimals, the last one
 * never 0, so this is also the shortest text of the value. */
static void le_fmt(unsigned int k, char *buf, size_t n)
{
	uint64_t us = hist_upper_ns(k) / 1000;

	snprintf(buf, n, "%llu.%06llu", (unsigned long long)(us / US_PER_S),
		 (unsigned long long)(us % US_PER_S));
}

/* A label value, escaped as both formats want: backslash, quote, newline. */
static void label_value(FILE *f, const char *v)
{
	for (; *v; v++) {
		if (*v == '\\' || *v == '"')
			fputc('\\', f);
		if (*v == '\n')
			fputs("\\n", f);
		else
			fputc(*v, f);
	}
}

/* HELP, TYPE (and UNIT) of a family. OpenMetrics names a counter family
 * without _total; the text format names it as its samples. */
static void family(FILE *f, enum prom_fmt fmt, const char *name, enum fam_type t, const char *unit,
		   const char *help)
{
	const char *total = t == FAM_COUNTER && fmt == PROM_TEXT ? "_total" : "";

	fprintf(f, "# HELP %s%s %s\n", name, total, help);
	fprintf(f, "# TYPE %s%s %s\n", name, total, type_names[t]);
	if (unit && fmt == PROM_OPENMETRICS)
		fprintf(f, "# UNIT %s %s\n", name, unit);
}

static void sample_u64(FILE *f, const char *name, const char *label, const char *value,
		       uint64_t v)
{
	fprintf(f, "%s{%s=\"", name, label);
	label_value(f, value);
	fprintf(f, "\"} %llu\n", (unsigned long long)v);
}

/* One histogram series: cumulative buckets, +Inf, _sum, _count. */
static void hist_series(FILE *f, const struct agg_hist_series *s)
{
	char state[24], port[16], le[32], sum[32], labels[96];
	uint64_t cum = 0;

	state_label(s->state, state, sizeof(state));
	if (s->port < 0)
		snprintf(port, sizeof(port), "other");
	else
		snprintf(port, sizeof(port), "%d", (int)s->port);
	snprintf(labels, sizeof(labels), "state=\"%s\",role=\"%s\",port=\"%s\"", state,
		 role_name(s->role), port);
	for (unsigned int k = 0; k < HIST_FINITE; k++) {
		cum += s->h.b[k];
		le_fmt(k, le, sizeof(le));
		fprintf(f, "tcplife_state_duration_seconds_bucket{%s,le=\"%s\"} %llu\n", labels, le,
			(unsigned long long)cum);
	}
	fprintf(f, "tcplife_state_duration_seconds_bucket{%s,le=\"+Inf\"} %llu\n", labels,
		(unsigned long long)s->h.count);
	seconds_fmt(s->h.sum_ns, sum, sizeof(sum));
	fprintf(f, "tcplife_state_duration_seconds_sum{%s} %s\n", labels, sum);
	fprintf(f, "tcplife_state_duration_seconds_count{%s} %llu\n", labels,
		(unsigned long long)s->h.count);
}

static void write_durations(FILE *f, const struct agg *a, enum prom_fmt fmt)
{
	family(f, fmt, "tcplife_state_duration_seconds", FAM_HISTOGRAM, "seconds",
	       "Time connections spent in each state they left, by role and service port.");
	for (size_t i = 0; i < agg_hist_n(a); i++)
		hist_series(f, agg_hist_at(a, i));
}

/* Every active and passive (role, cause) from the start, so that rate()
 * sees the first one; the unknown role (connections older than the tool)
 * once it has any. */
static void write_closed(FILE *f, const struct agg *a, enum prom_fmt fmt)
{
	static const unsigned int roles[] = { ROLE_ACTIVE, ROLE_PASSIVE, ROLE_UNKNOWN };

	family(f, fmt, "tcplife_connections_closed", FAM_COUNTER, NULL,
	       "Connections that ended, by role and close cause.");
	for (size_t r = 0; r < sizeof(roles) / sizeof(roles[0]); r++) {
		for (unsigned int c = CAUSE_OPEN + 1; c < CAUSE_MAX; c++) {
			uint64_t v = agg_closed_count(a, roles[r], c);

			if (!v && roles[r] == ROLE_UNKNOWN)
				continue;
			fprintf(f, "tcplife_connections_closed_total{role=\"%s\",close_cause=\"%s\"} %llu\n",
				role_name(roles[r]), cause_name(c), (unsigned long long)v);
		}
	}
}

/* The states a connection can be open in, always; any other once seen. */
static bool open_state_shown(const struct agg *a, unsigned int s)
{
	for (unsigned int i = 0; i < n_state_columns; i++)
		if (state_columns[i].state == s)
			return true;
	return agg_open_count(a, s) != 0;
}

static void write_open(FILE *f, const struct agg *a, enum prom_fmt fmt)
{
	char state[24];

	family(f, fmt, "tcplife_open_connections", FAM_GAUGE, NULL,
	       "Connections open at the last walk of the table, by state.");
	for (unsigned int s = 0; s < TL_NSTATES; s++) {
		if (!open_state_shown(a, s))
			continue;
		state_label(s, state, sizeof(state));
		sample_u64(f, "tcplife_open_connections", "state", state, agg_open_count(a, s));
	}
}

static void write_counters(FILE *f, const struct agg *a, enum prom_fmt fmt)
{
	family(f, fmt, "tcplife_retransmits", FAM_COUNTER, NULL,
	       "Retransmitted segments by kind: SYN, SYN-ACK, FIN, data.");
	for (unsigned int k = 0; k < AGG_RTX_N; k++)
		sample_u64(f, "tcplife_retransmits_total", "kind", agg_retrans_name(k),
			   agg_retrans(a, k));
	family(f, fmt, "tcplife_resets", FAM_COUNTER, NULL, "Resets sent and received.");
	for (unsigned int d = 0; d < AGG_RST_N; d++)
		sample_u64(f, "tcplife_resets_total", "direction", agg_reset_name(d), agg_resets(a, d));
}

static void write_close_wait(FILE *f, const struct agg *a, enum prom_fmt fmt)
{
	char comm[SINK_COMM_LEN], age[32];

	family(f, fmt, "tcplife_close_wait_sockets", FAM_GAUGE, NULL,
	       "Sockets in CLOSE_WAIT at the last walk, by owning process name.");
	for (size_t i = 0; i < agg_cw_n(a); i++) {
		const struct agg_cw_proc *p = agg_cw_at(a, i);

		sanitize_text(p->comm, sizeof(p->comm), comm, sizeof(comm));
		sample_u64(f, "tcplife_close_wait_sockets", "comm", comm, p->sockets);
	}
	family(f, fmt, "tcplife_close_wait_oldest_seconds", FAM_GAUGE, "seconds",
	       "Age of the oldest CLOSE_WAIT socket at the last walk, by owning process name.");
	for (size_t i = 0; i < agg_cw_n(a); i++) {
		const struct agg_cw_proc *p = agg_cw_at(a, i);

		sanitize_text(p->comm, sizeof(p->comm), comm, sizeof(comm));
		seconds_fmt(p->oldest_ns, age, sizeof(age));
		fputs("tcplife_close_wait_oldest_seconds{comm=\"", f);
		label_value(f, comm);
		fprintf(f, "\"} %s\n", age);
	}
}

static void port_label(const struct lsnagg_port *p, char *buf, size_t n)
{
	if (p->port < 0)
		snprintf(buf, n, "other");
	else
		snprintf(buf, n, "%d", (int)p->port);
}

enum listen_gauge { LG_ACCEPT_QUEUE, LG_BACKLOG, LG_SYN_QUEUE };

/* A gauge of the ports listened on at the last listing. */
static void listen_gauge(FILE *f, const struct lsnagg *la, enum prom_fmt fmt, const char *name,
			 enum listen_gauge g, const char *help)
{
	char port[16];

	family(f, fmt, name, FAM_GAUGE, NULL, help);
	for (size_t i = 0; i < lsnagg_n(la); i++) {
		const struct lsnagg_port *p = lsnagg_at(la, i);

		if (!p->listeners)
			continue;
		port_label(p, port, sizeof(port));
		sample_u64(f, name, "port", port,
			   g == LG_ACCEPT_QUEUE ? p->accept_queue : g == LG_BACKLOG ? p->backlog : p->syn_queue);
	}
}

/* --listeners only: the families exist when the listings do. */
static void write_listeners(FILE *f, const struct agg *a, enum prom_fmt fmt)
{
	const struct lsnagg *la = agg_listeners(a);
	char port[16];

	if (!la)
		return;
	listen_gauge(f, la, fmt, "tcplife_listen_accept_queue", LG_ACCEPT_QUEUE,
		     "Connections waiting for accept() at the last listing, by listening port.");
	listen_gauge(f, la, fmt, "tcplife_listen_backlog", LG_BACKLOG,
		     "Accept queue limits, min(listen() backlog, somaxconn), at the last listing, by listening port.");
	listen_gauge(f, la, fmt, "tcplife_listen_syn_queue", LG_SYN_QUEUE,
		     "Request sockets (half-open handshakes) at the last listing, by listening port.");
	family(f, fmt, "tcplife_listen_drops", FAM_COUNTER, NULL,
	       "Handshakes the listeners dropped (their sk_drops), by listening port.");
	for (size_t i = 0; i < lsnagg_n(la); i++) {
		port_label(lsnagg_at(la, i), port, sizeof(port));
		sample_u64(f, "tcplife_listen_drops_total", "port", port, lsnagg_at(la, i)->drops);
	}
}

static void write_lost(FILE *f, const struct agg *a, enum prom_fmt fmt)
{
	family(f, fmt, "tcplife_records_lost", FAM_COUNTER, NULL,
	       "Records the tracer could not use or write, by reason.");
	for (unsigned int r = 0; r < AGG_LOST_N; r++)
		sample_u64(f, "tcplife_records_lost_total", "reason", agg_lost_name(r), agg_lost(a, r));
}

/* Each errno as a series of its own from its first failure on (its name,
 * the same as connect_error's "error"). */
static void write_connect_errors(FILE *f, const struct agg *a, enum prom_fmt fmt)
{
	char buf[16];

	family(f, fmt, "tcplife_connect_errors", FAM_COUNTER, NULL,
	       "connect() calls that failed, once per attempt, by errno.");
	for (int e = agg_connect_errors_next(a, 0); e; e = agg_connect_errors_next(a, e))
		sample_u64(f, "tcplife_connect_errors_total", "error", connerr_name(e, buf, sizeof(buf)),
			   agg_connect_errors(a, e));
}

int promtext_write(FILE *f, const struct agg *a, enum prom_fmt fmt)
{
	write_durations(f, a, fmt);
	write_closed(f, a, fmt);
	write_open(f, a, fmt);
	write_counters(f, a, fmt);
	write_close_wait(f, a, fmt);
	/* Before the losses: a family that has no sample yet is never the
	 * last, so the exposition always ends with a sample (t_44's reader
	 * takes that as a file written whole). */
	write_connect_errors(f, a, fmt);
	write_listeners(f, a, fmt);
	write_lost(f, a, fmt);
	if (fmt == PROM_OPENMETRICS)
		fputs("# EOF\n", f);
	return ferror(f) ? -EIO : 0;
}

int promtext_render(const struct agg *a, enum prom_fmt fmt, char **buf, size_t *len)
{
	FILE *f = open_memstream(buf, len);
	int err;

	if (!f)
		return -ENOMEM;
	err = promtext_write(f, a, fmt);
	if (fclose(f) || err) {
		free(*buf);
		*buf = NULL;
		*len = 0;
		return -ENOMEM;
	}
	return 0;
}

const char *prom_content_type(enum prom_fmt fmt)
{
	return fmt == PROM_OPENMETRICS ? OM_TYPE "; version=1.0.0; charset=utf-8"
				       : "text/plain; version=0.0.4; charset=utf-8";
}

/* A media range's q parameter is "q=0" (or 0.0, 0.000): refused. */
static bool q_zero(const char *params, size_t n)
{
	for (const char *p = params; p < params + n; p++) {
		const char *v;

		if (*p != ';')
			continue;
		for (v = p + 1; v < params + n && (*v == ' ' || *v == '\t'); v++)
			;
		if (v + 1 >= params + n || (v[0] != 'q' && v[0] != 'Q') || v[1] != '=')
			continue;
		for (v += 2; v < params + n && (*v == '0' || *v == '.'); v++)
			;
		return v == params + n || *v == ';' || *v == ' ' || *v == '\t';
	}
	return false;
}

/* OpenMetrics when a media range of the Accept header names it and does
 * not refuse it (q=0). Prometheus (2.42) sends "application/openmetrics-
 * text;version=1.0.0,...;q=0.75,text/plain;version=0.0.4;q=0.5,*\/\*;q=0.1":
 * it prefers OpenMetrics whenever it names it. */
enum prom_fmt prom_negotiate(const char *accept)
{
	const char *r = accept;

	while (r && *r) {
		size_t n = strcspn(r, ","), t;

		while (n && (*r == ' ' || *r == '\t')) {
			r++;
			n--;
		}
		t = strcspn(r, ";,");
		while (t && (r[t - 1] == ' ' || r[t - 1] == '\t'))
			t--;
		if (t == strlen(OM_TYPE) && !strncasecmp(r, OM_TYPE, t) && !q_zero(r, n))
			return PROM_OPENMETRICS;
		r += n;
		if (*r == ',')
			r++;
	}
	return PROM_TEXT;
}
