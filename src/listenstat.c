// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include "listenstat.h"
#include "sanitize.h"

static const uint8_t zero16[16];

void lsn_attribute(struct lsn *v, size_t n, const struct lsn_ns *c)
{
	size_t dropping = 0, in_ns = 0, who = 0, only = 0;

	for (size_t i = 0; i < n; i++) {
		if (v[i].netns != c->netns)
			continue;
		in_ns++;
		only = i;
		if (v[i].drops != 0) { /* LSN_UNKNOWN counts as maybe */
			dropping++;
			who = i;
		}
	}
	for (size_t i = 0; i < n; i++) {
		struct lsn *l = &v[i];
		bool alone = in_ns == 1 && i == only;

		if (l->netns != c->netns)
			continue;
		if (c->overflows == 0 || l->drops == 0)
			l->overflows = 0;
		else if (dropping == 1 && i == who && c->overflows != LSN_UNKNOWN && l->drops >= c->overflows)
			l->overflows = c->overflows;
		else
			l->overflows = LSN_UNKNOWN;
		l->syncookies_sent = c->cookies_sent == 0 || alone ? c->cookies_sent : LSN_UNKNOWN;
		l->syncookies_ok = c->cookies_ok == 0 || alone ? c->cookies_ok : LSN_UNKNOWN;
	}
}

/* Grow *v (n used of *cap, elements of `size`) by one zeroed element. */
static void *grow(void **v, size_t *n, size_t *cap, size_t size)
{
	char *p;

	if (*n == *cap) {
		size_t c = *cap ? *cap * 2 : 16;

		p = realloc(*v, c * size);
		if (!p)
			return NULL;
		*v = p;
		*cap = c;
	}
	p = (char *)*v + (*n)++ * size;
	memset(p, 0, size);
	return p;
}

struct lsn *lsn_snap_add(struct lsn_snap *s)
{
	struct lsn *l = grow((void **)&s->v, &s->n, &s->cap, sizeof(*l));

	if (l) {
		l->fd = -1;
		l->synack_retrans = l->half_open_timeouts = LSN_UNKNOWN;
	}
	return l;
}

struct lsn_ns *lsn_snap_add_ns(struct lsn_snap *s)
{
	return grow((void **)&s->ns, &s->n_ns, &s->cap_ns, sizeof(struct lsn_ns));
}

void lsn_snap_free(struct lsn_snap *s)
{
	free(s->v);
	free(s->ns);
	memset(s, 0, sizeof(*s));
}

static int64_t minus(int64_t now, int64_t then)
{
	if (now == LSN_UNKNOWN || then == LSN_UNKNOWN)
		return LSN_UNKNOWN;
	return now - then;
}

void lsn_since(struct lsn_snap *end, const struct lsn_snap *start)
{
	for (size_t i = 0; i < end->n; i++)
		for (size_t j = 0; j < start->n; j++)
			if (start->v[j].inode == end->v[i].inode && start->v[j].netns == end->v[i].netns) {
				end->v[i].drops = minus(end->v[i].drops, start->v[j].drops);
				break;
			}
	for (size_t i = 0; i < end->n_ns; i++) {
		struct lsn_ns *c = &end->ns[i];

		for (size_t j = 0; j < start->n_ns; j++) {
			const struct lsn_ns *b = &start->ns[j];

			if (b->netns != c->netns)
				continue;
			c->overflows = minus(c->overflows, b->overflows);
			c->drops = minus(c->drops, b->drops);
			c->cookies_sent = minus(c->cookies_sent, b->cookies_sent);
			c->cookies_ok = minus(c->cookies_ok, b->cookies_ok);
			break;
		}
	}
}

static bool addr_is(const struct tl_tuple *a, uint16_t family, const uint8_t addr[16])
{
	return a->family == family && !memcmp(a->saddr, addr, 16);
}

struct lsn *lsn_find_req(struct lsn *v, size_t n, uint64_t netns, const struct tl_tuple *req)
{
	struct lsn *fam_any = NULL, *v6_any = NULL;

	for (size_t i = 0; i < n; i++) {
		const struct tl_tuple *t = &v[i].t;

		if (v[i].netns != netns || t->sport != req->sport)
			continue;
		if (addr_is(t, req->family, req->saddr))
			return &v[i];
		if (addr_is(t, req->family, zero16))
			fam_any = &v[i];
		else if (addr_is(t, TL_AF_INET6, zero16))
			v6_any = &v[i];
	}
	return fam_any ? fam_any : v6_any;
}

static void laddr(const struct lsn *l, char *buf)
{
	inet_ntop(l->t.family == TL_AF_INET6 ? AF_INET6 : AF_INET, l->t.saddr, buf, INET6_ADDRSTRLEN);
}

enum lsn_limit lsn_limit(const struct lsn *l, const struct lsn_ns *c)
{
	if (c->somaxconn == LSN_UNKNOWN || c->somaxconn < 0)
		return LSN_LIMIT_UNKNOWN;
	return (int64_t)l->backlog >= c->somaxconn ? LSN_LIMIT_SOMAXCONN : LSN_LIMIT_BACKLOG;
}

const char *lsn_limit_name(enum lsn_limit k)
{
	return k == LSN_LIMIT_SOMAXCONN ? "somaxconn" : k == LSN_LIMIT_BACKLOG ? "listen_backlog" : NULL;
}

int lsn_limit_text(const struct lsn *l, const struct lsn_ns *c, char *buf, size_t size)
{
	if (lsn_limit(l, c) == LSN_LIMIT_SOMAXCONN)
		return snprintf(buf, size,
				"its limit %u is net.core.somaxconn (%" PRId64 "): raise somaxconn, or accept faster",
				l->backlog, c->somaxconn);
	return snprintf(buf, size,
			"its limit %u is the application's listen() backlog (somaxconn is %s): raise the "
			"backlog, or accept faster",
			l->backlog, lsn_limit(l, c) == LSN_LIMIT_BACKLOG ? "higher" : "unknown");
}

int lsn_endpoint(const struct lsn *l, char *buf, size_t size)
{
	char a[INET6_ADDRSTRLEN];

	laddr(l, a);
	return snprintf(buf, size, l->t.family == TL_AF_INET6 ? "[%s]:%u" : "%s:%u", a, l->t.sport);
}

int lsn_hint(const struct lsn *l, const struct lsn_ns *c, char *buf, size_t size)
{
	char ep[INET6_ADDRSTRLEN + 8];
	int n;

	if (size)
		buf[0] = '\0';
	if (l->overflows == LSN_UNKNOWN || l->overflows <= 0)
		return 0;
	lsn_endpoint(l, ep, sizeof(ep));
	n = snprintf(buf, size, "listener %s overflowed its accept queue %" PRId64 " times (TcpExtListenOverflows): ",
		     ep, l->overflows);
	if (n < 0 || (size_t)n >= size)
		return 0;
	lsn_limit_text(l, c, buf + n, size - (size_t)n);
	return 1;
}

static void json_num(FILE *f, const char *key, int64_t v)
{
	if (v == LSN_UNKNOWN)
		fprintf(f, ",\"%s\":null", key);
	else
		fprintf(f, ",\"%s\":%" PRId64, key, v);
}

void lsn_json_ident(FILE *f, const struct lsn *l)
{
	char a[INET6_ADDRSTRLEN], comm[4 * TL_COMM_LEN + 1];

	laddr(l, a);
	if (l->pid) {
		sanitize_text(l->comm, strnlen(l->comm, TL_COMM_LEN), comm, sizeof(comm));
		fprintf(f, ",\"pid\":%u,\"comm\":", l->pid);
		json_write_string(f, comm);
		fprintf(f, ",\"fd\":%d", l->fd);
	} else {
		fputs(",\"pid\":null,\"comm\":null,\"fd\":null", f);
	}
	fprintf(f, ",\"netns\":%" PRIu64 ",\"laddr\":\"%s\",\"lport\":%u", l->netns, a, l->t.sport);
}

int lsn_print_json(FILE *f, const struct lsn *l, const char *time)
{
	fputs("{\"event\":\"listener\"", f);
	if (time)
		fprintf(f, ",\"time\":\"%s\"", time);
	lsn_json_ident(f, l);
	fprintf(f, ",\"accept_queue\":%u,\"backlog\":%u,\"syn_queue\":%u", l->accept_queue, l->backlog,
		l->syn_queue);
	json_num(f, "drops", l->drops);
	json_num(f, "overflows", l->overflows);
	/* Since the tool started, in a run; null with --once. */
	json_num(f, "synack_retrans", l->synack_retrans);
	json_num(f, "half_open_timeouts", l->half_open_timeouts);
	json_num(f, "syncookies_sent", l->syncookies_sent);
	json_num(f, "syncookies_ok", l->syncookies_ok);
	/* The overflows and syncookies are the namespace's counters, laid on
	 * the listener (listenstat.h): no hook saw them. (The SYN-ACK
	 * retransmits and half-open timeouts are the records' own, exact as
	 * the rows' are; "timing" is about the rest.) */
	fputs(",\"timing\":\"inferred\"}\n", f);
	return ferror(f) ? -EIO : 0;
}

static const char *cell(int64_t v, char *buf, size_t size)
{
	if (v == LSN_UNKNOWN)
		return "?";
	snprintf(buf, size, "%" PRId64, v);
	return buf;
}

int lsn_fmt_header(char *buf, size_t size)
{
	return snprintf(buf, size, "%-7s %-15s %4s %-10s %-30s %6s %7s %6s %8s %9s %7s %7s %10s %9s", "PID", "COMM",
			"FD", "NETNS", "LISTEN", "ACCEPT", "BACKLOG", "SYN_Q", "DROPS", "OVERFLOWS", "COOKIES", "COOK_OK",
			"SYNACK_RTX", "HALF_OPEN");
}

int lsn_fmt_row(const struct lsn *l, char *buf, size_t size)
{
	char ep[INET6_ADDRSTRLEN + 8], comm[4 * TL_COMM_LEN + 1];
	char d[24], o[24], s[24], k[24], r[24], h[24], pid[12], fd[12];

	lsn_endpoint(l, ep, sizeof(ep));
	sanitize_text(l->comm, strnlen(l->comm, TL_COMM_LEN), comm, sizeof(comm));
	snprintf(pid, sizeof(pid), "%u", l->pid);
	snprintf(fd, sizeof(fd), "%d", l->fd);
	return snprintf(buf, size, "%-7s %-15s %4s %-10" PRIu64 " %-30s %6u %7u %6u %8s %9s %7s %7s %10s %9s",
			l->pid ? pid : "-", l->pid ? comm : "-", l->pid ? fd : "-", l->netns, ep, l->accept_queue,
			l->backlog, l->syn_queue, cell(l->drops, d, sizeof(d)), cell(l->overflows, o, sizeof(o)),
			cell(l->syncookies_sent, s, sizeof(s)), cell(l->syncookies_ok, k, sizeof(k)),
			cell(l->synack_retrans, r, sizeof(r)), cell(l->half_open_timeouts, h, sizeof(h)));
}

int lsn_print_header(FILE *f)
{
	char line[LSN_LINE_LEN];

	lsn_fmt_header(line, sizeof(line));
	fprintf(f, "%s\n", line);
	return ferror(f) ? -EIO : 0;
}

int lsn_print_row(FILE *f, const struct lsn *l)
{
	char line[LSN_LINE_LEN];

	lsn_fmt_row(l, line, sizeof(line));
	fprintf(f, "%s\n", line);
	return ferror(f) ? -EIO : 0;
}
