// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <string.h>
#include "report_out.h"
#include "sanitize.h"
#include "states.h"
#include "timefmt.h"

#define BAR_W 40

static const char *const by_names[] = { "", "port", "comm", "raddr" };

/* "comm[pid]", or "(unknown)" for rows whose owner was never seen. */
static void proc_name(const struct rep_proc *p, char *buf, size_t n)
{
	char comm[4 * REP_COMM_LEN];

	if (!p->owner_known) {
		snprintf(buf, n, "(unknown)");
		return;
	}
	sanitize_text(p->comm, sizeof(p->comm), comm, sizeof(comm));
	snprintf(buf, n, "%s[%" PRIu32 "]", comm, p->pid);
}

/* A group's key as shown: sanitized (a comm); "(unknown)" for no owner. */
static void group_name(const struct rep_group *g, enum rep_by by, char *buf, size_t n)
{
	if (by == REP_BY_COMM && !g->other && !g->key[0])
		snprintf(buf, n, "(unknown)");
	else
		sanitize_text(g->key, sizeof(g->key), buf, n);
}

static void text_header(FILE *f, const struct rep_out *o, const struct rep_result *res)
{
	fputs("tcplife-states report:", f);
	for (size_t i = 0; i < o->n_files; i++) {
		char name[4 * 256];

		sanitize_text(o->files[i], 256, name, sizeof(name));
		fprintf(f, "%s %s", i ? "," : "", name);
	}
	fprintf(f, "\nrows: %" PRIu64 " read (%" PRIu64 " ended, %" PRIu64
		" open when written), %" PRIu64 " lines skipped (not connection records)\n",
		res->rows, res->rows - res->open, res->open, res->skipped);
}

static void text_states(FILE *f, const struct rep_group *g)
{
	char v[4][32];

	if (!g->n_st) {
		fputs("no measured durations\n", f);
		return;
	}
	fprintf(f, "%-12s %8s %12s %12s %12s %12s\n", "STATE", "COUNT", "P50_MS", "P90_MS",
		"P99_MS", "MAX_MS");
	for (unsigned int i = 0; i < g->n_st; i++) {
		const struct rep_state *s = &g->st[i];

		fmt_ms(s->p50_ns, v[0], sizeof(v[0]));
		fmt_ms(s->p90_ns, v[1], sizeof(v[1]));
		fmt_ms(s->p99_ns, v[2], sizeof(v[2]));
		fmt_ms(s->max_ns, v[3], sizeof(v[3]));
		fprintf(f, "%-12s %8zu %12s %12s %12s %12s\n", state_name(s->state), s->count,
			v[0], v[1], v[2], v[3]);
	}
	for (unsigned int i = 0; i < g->n_st; i++) {
		fprintf(f, "\n%s durations (%zu):\n", state_name(g->st[i].state), g->st[i].count);
		hist_draw(f, &g->st[i].h, BAR_W);
	}
}

static void text_groups(FILE *f, const struct rep_out *o, const struct rep_result *res)
{
	if (!res->n_groups) {
		fputs("\nno connection that ended\n", f);
		return;
	}
	for (size_t i = 0; i < res->n_groups; i++) {
		const struct rep_group *g = &res->groups[i];
		char name[4 * REP_KEY_LEN];

		fputc('\n', f);
		if (o->by != REP_BY_NONE) {
			group_name(g, o->by, name, sizeof(name));
			fprintf(f, "== %s %s: %zu connections ==\n", by_names[o->by], name, g->rows);
		}
		text_states(f, g);
	}
}

static void text_causes(FILE *f, const struct rep_result *res)
{
	uint64_t ended = res->rows - res->open;

	fprintf(f, "\nclose causes (%" PRIu64 " ended):\n", ended);
	for (size_t i = 0; i < res->n_causes; i++)
		fprintf(f, "  %-20s %10" PRIu64 " %6.1f%%\n", res->causes[i].name,
			res->causes[i].count, 100.0 * (double)res->causes[i].count / (double)ended);
}

static void text_top(FILE *f, const struct rep_result *res)
{
	static const char *const titles[REP_TOP_N] = {
		"CLOSE_WAIT time (ms)", "retransmits", "resets (sent + received)",
	};

	for (int t = 0; t < REP_TOP_N; t++) {
		fprintf(f, "\ntop processes by %s:\n", titles[t]);
		if (!res->n_top[t])
			fputs("  (none)\n", f);
		for (size_t i = 0; i < res->n_top[t]; i++) {
			const struct rep_proc *p = &res->top[t][i];
			char name[4 * REP_COMM_LEN + 16], v[32];

			proc_name(p, name, sizeof(name));
			if (t == REP_TOP_CLOSE_WAIT)
				fmt_ms(p->value, v, sizeof(v));
			else
				snprintf(v, sizeof(v), "%" PRIu64, p->value);
			fprintf(f, "  %-32s %14s\n", name, v);
		}
	}
}

int rep_print_text(FILE *f, const struct rep_out *o, const struct rep_result *res)
{
	text_header(f, o, res);
	text_groups(f, o, res);
	text_causes(f, res);
	text_top(f, res);
	return ferror(f) ? -EIO : 0;
}

/* Sanitized, as every string from a file is before it is shown. */
static json_t *jstr(const char *raw, size_t rawlen)
{
	char buf[4 * 256];

	sanitize_text(raw, rawlen < 256 ? rawlen : 256, buf, sizeof(buf));
	return json_string(buf);
}

static json_t *json_hist(const struct hist *h)
{
	json_t *a = json_array();

	for (unsigned int k = 0; k < HIST_BUCKETS; k++) {
		if (!h->b[k])
			continue;
		json_array_append_new(a, json_pack("{s:o,s:I}", "le_us",
			k == HIST_INF ? json_null() : json_integer((json_int_t)(hist_upper_ns(k) / 1000)),
			"count", (json_int_t)h->b[k]));
	}
	return a;
}

static json_t *json_state(const struct rep_state *s)
{
	return json_pack("{s:s,s:I,s:I,s:I,s:I,s:I,s:o}", "state", state_name(s->state),
			 "count", (json_int_t)s->count, "p50_us", (json_int_t)(s->p50_ns / 1000),
			 "p90_us", (json_int_t)(s->p90_ns / 1000), "p99_us", (json_int_t)(s->p99_ns / 1000),
			 "max_us", (json_int_t)(s->max_ns / 1000), "buckets", json_hist(&s->h));
}

static json_t *json_group(const struct rep_group *g, enum rep_by by)
{
	json_t *st = json_array();

	for (unsigned int i = 0; i < g->n_st; i++)
		json_array_append_new(st, json_state(&g->st[i]));
	return json_pack("{s:o,s:b,s:I,s:o}", "key",
			 by == REP_BY_NONE ? json_null() : jstr(g->key, sizeof(g->key)),
			 "other", g->other, "rows", (json_int_t)g->rows, "states", st);
}

static json_t *json_top(const struct rep_result *res, enum rep_top t)
{
	static const char *const keys[REP_TOP_N] = { "close_wait_us", "retransmits", "resets" };
	json_t *a = json_array();

	for (size_t i = 0; i < res->n_top[t]; i++) {
		const struct rep_proc *p = &res->top[t][i];
		uint64_t v = t == REP_TOP_CLOSE_WAIT ? p->value / 1000 : p->value;

		json_array_append_new(a, json_pack("{s:o,s:o,s:I}",
			"pid", p->owner_known ? json_integer(p->pid) : json_null(),
			"comm", p->owner_known ? jstr(p->comm, sizeof(p->comm)) : json_null(),
			keys[t], (json_int_t)(v > INT64_MAX ? INT64_MAX : v)));
	}
	return a;
}

static json_t *json_doc(const struct rep_out *o, const struct rep_result *res)
{
	json_t *files = json_array(), *groups = json_array(), *causes = json_array();

	for (size_t i = 0; i < o->n_files; i++)
		json_array_append_new(files, jstr(o->files[i], strlen(o->files[i])));
	for (size_t i = 0; i < res->n_groups; i++)
		json_array_append_new(groups, json_group(&res->groups[i], o->by));
	for (size_t i = 0; i < res->n_causes; i++)
		json_array_append_new(causes, json_pack("{s:s,s:I}", "cause", res->causes[i].name,
							"count", (json_int_t)res->causes[i].count));
	return json_pack("{s:o,s:I,s:I,s:I,s:o,s:o,s:o,s:o,s:o,s:o}", "files", files,
			 "rows", (json_int_t)res->rows, "open", (json_int_t)res->open,
			 "skipped", (json_int_t)res->skipped,
			 "by", o->by == REP_BY_NONE ? json_null() : json_string(by_names[o->by]),
			 "groups", groups, "close_causes", causes,
			 "top_close_wait", json_top(res, REP_TOP_CLOSE_WAIT),
			 "top_retransmits", json_top(res, REP_TOP_RETRANS),
			 "top_resets", json_top(res, REP_TOP_RESETS));
}

int rep_print_json(FILE *f, const struct rep_out *o, const struct rep_result *res)
{
	json_t *doc = json_doc(o, res);
	int rc;

	if (!doc)
		return -ENOMEM;
	rc = json_dumpf(doc, f, JSON_INDENT(2) | JSON_PRESERVE_ORDER) ? -EIO : 0;
	json_decref(doc);
	if (!rc && putc('\n', f) == EOF)
		rc = -EIO;
	return rc;
}
