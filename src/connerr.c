// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "connerr.h"
#include "tcplimits.h"

/* One line's identity; zero-filled so that padding and unused address
 * bytes compare equal. */
struct connerr_key {
	uint32_t pid;
	char comm[TL_COMM_LEN];
	uint8_t daddr[16];
	uint16_t dport;
	uint16_t family;
	int32_t err;
	uint32_t netns;
	uint32_t owner_known;
};

int connerr_init(struct connerr_tab *t)
{
	memset(t, 0, sizeof(*t));
	return hmap_init(&t->lines, sizeof(struct connerr_key));
}

void connerr_fini(struct connerr_tab *t)
{
	struct hmap_node *n;
	size_t b;

	if (!t->lines.buckets)
		return;
	for (n = hmap_first(&t->lines, &b); n; n = hmap_next(&t->lines, n, &b))
		free(n->value);
	hmap_fini(&t->lines);
	memset(&t->lines, 0, sizeof(t->lines));
}

static void key_of(const struct conn_error *ce, struct connerr_key *k)
{
	memset(k, 0, sizeof(*k));
	k->owner_known = ce->owner_known;
	if (ce->owner_known) {
		k->pid = ce->owner.pid;
		memcpy(k->comm, ce->owner.comm, TL_COMM_LEN);
	}
	memcpy(k->daddr, ce->tuple.daddr, ce->tuple.family == TL_AF_INET ? 4 : 16);
	k->dport = ce->tuple.dport;
	k->family = ce->tuple.family;
	k->err = ce->err;
	k->netns = ce->netns;
}

int connerr_add(struct connerr_tab *t, const struct conn_error *ce)
{
	struct connerr_key k;
	struct connerr_line *l;

	t->total++;
	key_of(ce, &k);
	l = t->lines.buckets ? hmap_get(&t->lines, &k) : NULL;
	if (!l) {
		l = t->lines.count < CONNERR_MAX_LINES ? calloc(1, sizeof(*l)) : NULL;
		if (!l || !t->lines.buckets || hmap_put(&t->lines, &k, l)) {
			free(l);
			t->unlisted++;
			return -ENOMEM;
		}
		l->owner_known = ce->owner_known;
		if (ce->owner_known)
			l->owner = ce->owner;
		l->tuple.family = ce->tuple.family;
		memcpy(l->tuple.daddr, k.daddr, sizeof(k.daddr));
		l->tuple.dport = ce->tuple.dport;
		l->err = ce->err;
		l->netns = ce->netns;
		l->first_ns = ce->ts_ns;
		if (l->err == EADDRNOTAVAIL)
			t->unmeasured++;
	}
	l->count++;
	l->last_ns = ce->ts_ns;
	return 0;
}

/* Most failures first; then a stable order a reader can follow. */
static int cmp_lines(const void *a, const void *b)
{
	const struct connerr_line *x = *(const struct connerr_line *const *)a;
	const struct connerr_line *y = *(const struct connerr_line *const *)b;
	int c;

	if (x->count != y->count)
		return x->count > y->count ? -1 : 1;
	if (x->owner.pid != y->owner.pid)
		return x->owner.pid < y->owner.pid ? -1 : 1;
	if (x->tuple.family != y->tuple.family)
		return x->tuple.family < y->tuple.family ? -1 : 1;
	c = memcmp(x->tuple.daddr, y->tuple.daddr, sizeof(x->tuple.daddr));
	if (c)
		return c;
	if (x->tuple.dport != y->tuple.dport)
		return x->tuple.dport < y->tuple.dport ? -1 : 1;
	if (x->err != y->err)
		return x->err < y->err ? -1 : 1;
	c = memcmp(x->owner.comm, y->owner.comm, TL_COMM_LEN);
	if (c)
		return c;
	return x->netns < y->netns ? -1 : x->netns > y->netns;
}

size_t connerr_top(const struct connerr_tab *t, const struct connerr_line **out, size_t max)
{
	const struct connerr_line **all;
	struct hmap_node *n;
	size_t b, k = 0;

	if (!max || !t->lines.buckets || !t->lines.count)
		return 0;
	all = malloc(t->lines.count * sizeof(*all));
	if (!all)
		return 0;
	for (n = hmap_first(&t->lines, &b); n; n = hmap_next(&t->lines, n, &b))
		all[k++] = n->value;
	qsort(all, k, sizeof(*all), cmp_lines);
	if (k > max)
		k = max;
	memcpy(out, all, k * sizeof(*out));
	free(all);
	return k;
}

const char *connerr_name(int err, char *buf, size_t n)
{
	/* glibc 2.32+: the errno's macro name, NULL for a number it has none for. */
	const char *s = err > 0 ? strerrorname_np(err) : NULL;

	if (s)
		return s;
	snprintf(buf, n, "E%d", err);
	return buf;
}

struct connerr_line *connerr_take_unmeasured(struct connerr_tab *t)
{
	struct hmap_node *n;
	size_t b;

	if (!t->unmeasured || !t->lines.buckets)
		return NULL;
	for (n = hmap_first(&t->lines, &b); n; n = hmap_next(&t->lines, n, &b)) {
		struct connerr_line *l = n->value;

		if (l->err == EADDRNOTAVAIL && !l->measure_tried) {
			l->measure_tried = true;
			t->unmeasured--;
			return l;
		}
	}
	t->unmeasured = 0;
	return NULL;
}

void connerr_dest(const struct connerr_line *l, char *buf, size_t n)
{
	char a[INET6_ADDRSTRLEN];

	if ((l->tuple.family != TL_AF_INET && l->tuple.family != TL_AF_INET6) ||
	    !inet_ntop(l->tuple.family, l->tuple.daddr, a, sizeof(a)))
		snprintf(a, sizeof(a), "?");
	snprintf(buf, n, l->tuple.family == TL_AF_INET6 ? "[%s]:%u" : "%s:%u", a,
		 (unsigned int)l->tuple.dport);
}

/* EADDRNOTAVAIL from connect() means no local port was free for this
 * destination (__inet_hash_connect() found every port of the range taken
 * for the 4-tuple, or bound): said only when the ports in use, measured
 * just after in the failing namespace, are near the range's size. */
int connerr_hint(const struct connerr_line *l, char *buf, size_t n)
{
	uint32_t range;
	char d[64];
	int len;

	if (n)
		buf[0] = '\0';
	if (l->err != EADDRNOTAVAIL || !l->ports.known)
		return 0;
	range = limits_range_ports(l->ports.lo, l->ports.hi);
	if (!range || limits_pct(l->ports.in_use, range) < CONNERR_WARN_PCT)
		return 0;
	connerr_dest(l, d, sizeof(d));
	len = snprintf(buf, n,
		       "hint: connect() to %s failed EADDRNOTAVAIL %" PRIu64 " times: %u of the %u ports "
		       "of net.ipv4.ip_local_port_range (%" PRId64 "-%" PRId64 ") were in use to it "
		       "(netns %" PRIu32 "): net.ipv4.tcp_tw_reuse=1 where TIME_WAIT sockets hold them, "
		       "more destination addresses, or a wider ip_local_port_range",
		       d, l->count, l->ports.in_use, range, l->ports.lo, l->ports.hi, l->netns);
	return len < 0 ? 0 : len;
}
