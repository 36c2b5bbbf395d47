// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include "tcplimits_fmt.h"

#define HINTS_SIZE 2048

/* A value as text: "n/a" (text) or "null" (JSON) when the kernel has no
 * such sysctl or it could not be read. */
static const char *num(int64_t v, bool json, char *buf, size_t size)
{
	if (v == LIM_ABSENT)
		return json ? "null" : "n/a";
	snprintf(buf, size, "%" PRId64, v);
	return buf;
}

/* Milliseconds as seconds: whole when they are (the usual 1 s schedule). */
static const char *secs(int64_t ms, bool json, char *buf, size_t size)
{
	if (ms == LIM_ABSENT)
		return json ? "null" : "n/a";
	if (ms % 1000 == 0)
		snprintf(buf, size, "%" PRId64, ms / 1000);
	else
		snprintf(buf, size, "%.3f", (double)ms / 1000.0);
	return buf;
}

static const char *sysv(const struct limits_ns *l, enum lim_sysctl k, char *buf)
{
	return num(l->v[k], false, buf, 24);
}

static int64_t range_or_absent(const struct limits_ns *l)
{
	return l->port_lo == LIM_ABSENT ? LIM_ABSENT : (int64_t)limits_range_ports(l->port_lo, l->port_hi);
}

/* "used of [name ]limit (pct %)", without the share when either is unknown. */
static void standing(FILE *f, int64_t used, const char *name, int64_t limit)
{
	char a[24], b[24];

	fprintf(f, "%s of %s%s%s", num(used, false, a, sizeof(a)), name, *name ? " " : "",
		num(limit, false, b, sizeof(b)));
	if (used >= 0 && limit > 0)
		fprintf(f, " (%u %%)", limits_pct((uint64_t)used, (uint64_t)limit));
}

static void text_handshake(FILE *f, const struct limits_ns *l)
{
	char a[24], b[24], c[24], d[24], s[32];

	fprintf(f, "  connect     tcp_syn_retries %s, tcp_syn_linear_timeouts %s: a SYN_SENT gives up after %s s\n",
		sysv(l, LIM_SYN_RETRIES, a), sysv(l, LIM_SYN_LINEAR_TIMEOUTS, b),
		secs(limits_syn_give_up_ms(l), false, s, sizeof(s)));
	fprintf(f, "  accept      tcp_synack_retries %s: a half-open request is dropped after %s s\n",
		sysv(l, LIM_SYNACK_RETRIES, a), secs(limits_synack_give_up_ms(l), false, s, sizeof(s)));
	fprintf(f, "              somaxconn %s, tcp_max_syn_backlog %s, tcp_syncookies %s, tcp_abort_on_overflow %s\n",
		sysv(l, LIM_SOMAXCONN, a), sysv(l, LIM_MAX_SYN_BACKLOG, b), sysv(l, LIM_SYNCOOKIES, c),
		sysv(l, LIM_ABORT_ON_OVERFLOW, d));
	fprintf(f, "  established tcp_retries2 %s, tcp_rto_max_ms %s\n", sysv(l, LIM_RETRIES2, a),
		sysv(l, LIM_RTO_MAX_MS_SYSCTL, b));
}

static void text_close(FILE *f, const struct limits_ns *l)
{
	char a[24], b[24], c[24];

	fprintf(f, "  close       tcp_fin_timeout %s: an orphaned FIN_WAIT2 lives %s s; tcp_orphan_retries %s\n",
		sysv(l, LIM_FIN_TIMEOUT, a), sysv(l, LIM_FIN_TIMEOUT, b), sysv(l, LIM_ORPHAN_RETRIES, c));
	fputs("  orphans     ", f);
	if (l->first) {
		standing(f, l->orphans, "tcp_max_orphans", l->v[LIM_MAX_ORPHANS]);
		fputs(", system-wide", f);
	} else {
		fputs("count and tcp_max_orphans: system-wide, see the first namespace", f);
	}
	fprintf(f, "; killed here %s (TcpExtTCPAbortOnMemory)\n", num(l->orphans_killed, false, a, sizeof(a)));
	fputs("  TIME_WAIT   ", f);
	standing(f, l->tw, "tcp_max_tw_buckets", l->v[LIM_MAX_TW_BUCKETS]);
	fprintf(f, "; overflows %s (TcpExtTCPTimeWaitOverflow); tcp_tw_reuse %s\n",
		num(l->tw_overflow, false, a, sizeof(a)), sysv(l, LIM_TW_REUSE, b));
}

static void text_ports(FILE *f, const struct limits_ns *l)
{
	char a[24], b[24], c[24], s[INET6_ADDRSTRLEN], d[INET6_ADDRSTRLEN];
	int64_t range = range_or_absent(l);

	fprintf(f, "  ports       ip_local_port_range %s-%s: %s ports per destination\n",
		num(l->port_lo, false, a, sizeof(a)), num(l->port_hi, false, b, sizeof(b)),
		num(range, false, c, sizeof(c)));
	if (!l->ports_read) {
		fputs("              in use: not known (the namespace's sockets could not be listed)\n", f);
		return;
	}
	if (!l->n_busiest)
		fputs("              in use: none\n", f);
	for (size_t i = 0; i < l->n_busiest; i++) {
		const struct lim_dest *x = &l->busiest[i];

		limits_addr(x, false, s);
		limits_addr(x, true, d);
		fprintf(f, i ? "              " : "              busiest: ");
		fprintf(f, x->family == TL_AF_INET6 ? "%s -> [%s]:%u: in use " : "%s -> %s:%u: in use ", s, d,
			x->dport);
		standing(f, x->ports, "", range);
		fputc('\n', f);
	}
}

int limits_print_text(FILE *f, const struct limits_ns *l)
{
	char hints[HINTS_SIZE], *line, *save = NULL;

	fprintf(f, "network namespace %" PRIu64 "%s\n", l->netns, l->first ? " (the tool's own)" : "");
	text_handshake(f, l);
	text_close(f, l);
	text_ports(f, l);
	limits_hints(l, hints, sizeof(hints));
	for (line = strtok_r(hints, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		fprintf(f, "  hint: %s\n", line);
	return ferror(f) ? -EIO : 0;
}

static void json_sysctls(FILE *f, const struct limits_ns *l)
{
	char a[24], b[24];

	for (int k = 0; k < LIM_N_SYSCTLS; k++) {
		if (lim_sysctls[k].global && !l->first)
			continue; /* reported once, with the first namespace */
		fprintf(f, ",\"%s\":%s", lim_sysctls[k].key, num(l->v[k], true, a, sizeof(a)));
	}
	if (l->port_lo == LIM_ABSENT)
		fputs(",\"ip_local_port_range\":null", f);
	else
		fprintf(f, ",\"ip_local_port_range\":[%s,%s]", num(l->port_lo, true, a, sizeof(a)),
			num(l->port_hi, true, b, sizeof(b)));
}

static void json_standings(FILE *f, const struct limits_ns *l)
{
	char a[24], s[INET6_ADDRSTRLEN], d[INET6_ADDRSTRLEN];

	fprintf(f, ",\"syn_give_up_s\":%s", secs(limits_syn_give_up_ms(l), true, a, sizeof(a)));
	fprintf(f, ",\"synack_give_up_s\":%s", secs(limits_synack_give_up_ms(l), true, a, sizeof(a)));
	fprintf(f, ",\"orphan_fin_wait2_s\":%s", num(l->v[LIM_FIN_TIMEOUT], true, a, sizeof(a)));
	fprintf(f, ",\"ports_per_destination\":%s", num(range_or_absent(l), true, a, sizeof(a)));
	if (l->first)
		fprintf(f, ",\"orphans\":%s", num(l->orphans, true, a, sizeof(a)));
	fprintf(f, ",\"orphans_killed\":%s", num(l->orphans_killed, true, a, sizeof(a)));
	fprintf(f, ",\"tw\":%s", num(l->tw, true, a, sizeof(a)));
	fprintf(f, ",\"tw_overflow\":%s", num(l->tw_overflow, true, a, sizeof(a)));
	if (!l->ports_read) {
		fputs(",\"ports_max_in_use\":null,\"ports_busiest\":null", f);
		return;
	}
	fprintf(f, ",\"ports_max_in_use\":%u,\"ports_busiest\":[", l->n_busiest ? l->busiest[0].ports : 0);
	for (size_t i = 0; i < l->n_busiest; i++) {
		limits_addr(&l->busiest[i], false, s);
		limits_addr(&l->busiest[i], true, d);
		fprintf(f, "%s{\"saddr\":\"%s\",\"daddr\":\"%s\",\"dport\":%u,\"in_use\":%u}", i ? "," : "", s,
			d, l->busiest[i].dport, l->busiest[i].ports);
	}
	fputc(']', f);
}

/* The hints are the tool's own sentences (addresses from inet_ntop): no
 * character needs escaping in a JSON string. */
static void json_hints(FILE *f, const struct limits_ns *l)
{
	char hints[HINTS_SIZE], *line, *save = NULL;
	int i = 0;

	limits_hints(l, hints, sizeof(hints));
	fputs(",\"hints\":[", f);
	for (line = strtok_r(hints, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		fprintf(f, "%s\"%s\"", i++ ? "," : "", line);
	fputc(']', f);
}

int limits_print_json(FILE *f, const struct limits_ns *l)
{
	fprintf(f, "{\"event\":\"limits\",\"netns\":%" PRIu64, l->netns);
	json_sysctls(f, l);
	json_standings(f, l);
	json_hints(f, l);
	fputs("}\n", f);
	return ferror(f) ? -EIO : 0;
}
