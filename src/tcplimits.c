// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "hmap.h"
#include "tcplimits.h"

/* Which are per namespace was read from the kernel (ipv4_net_table vs
 * ipv4_table in net/ipv4/sysctl_net_ipv4.c) and checked on 6.18: a new
 * namespace's /proc/sys/net/ipv4 has every one of these but
 * tcp_max_orphans, which is registered for the initial namespace only. */
const struct lim_sysctl_info lim_sysctls[LIM_N_SYSCTLS] = {
	[LIM_SYN_RETRIES] = { "tcp_syn_retries", "net/ipv4/tcp_syn_retries", false },
	[LIM_SYN_LINEAR_TIMEOUTS] = { "tcp_syn_linear_timeouts", "net/ipv4/tcp_syn_linear_timeouts", false },
	[LIM_SYNACK_RETRIES] = { "tcp_synack_retries", "net/ipv4/tcp_synack_retries", false },
	[LIM_MAX_SYN_BACKLOG] = { "tcp_max_syn_backlog", "net/ipv4/tcp_max_syn_backlog", false },
	[LIM_SOMAXCONN] = { "somaxconn", "net/core/somaxconn", false },
	[LIM_SYNCOOKIES] = { "tcp_syncookies", "net/ipv4/tcp_syncookies", false },
	[LIM_ABORT_ON_OVERFLOW] = { "tcp_abort_on_overflow", "net/ipv4/tcp_abort_on_overflow", false },
	[LIM_RETRIES2] = { "tcp_retries2", "net/ipv4/tcp_retries2", false },
	[LIM_FIN_TIMEOUT] = { "tcp_fin_timeout", "net/ipv4/tcp_fin_timeout", false },
	[LIM_ORPHAN_RETRIES] = { "tcp_orphan_retries", "net/ipv4/tcp_orphan_retries", false },
	[LIM_MAX_TW_BUCKETS] = { "tcp_max_tw_buckets", "net/ipv4/tcp_max_tw_buckets", false },
	[LIM_TW_REUSE] = { "tcp_tw_reuse", "net/ipv4/tcp_tw_reuse", false },
	[LIM_RTO_MAX_MS_SYSCTL] = { "tcp_rto_max_ms", "net/ipv4/tcp_rto_max_ms", false },
	[LIM_MAX_ORPHANS] = { "tcp_max_orphans", "net/ipv4/tcp_max_orphans", true },
};

/* The RTO after timer k (0-based) expired: TCP_TIMEOUT_INIT for the first
 * `linear` ones, then doubled, capped. */
static uint64_t next_rto(uint64_t rto, uint64_t k, uint32_t linear, uint64_t cap)
{
	if (k < linear)
		return rto;
	return rto * 2 > cap ? cap : rto * 2;
}

/* tcp_model_timeout(): the time `retries` doubling retransmits take, the
 * bound retransmits_timed_out() applies from the first SYN. */
static uint64_t model_ms(uint32_t retries, uint64_t cap)
{
	uint64_t total = 0, rto = LIM_RTO_INIT_MS > cap ? cap : LIM_RTO_INIT_MS;

	for (uint64_t k = 0; k <= retries; k++) {
		total += rto;
		rto = next_rto(rto, k, 0, cap);
	}
	return total;
}

uint64_t limits_give_up_ms(uint32_t retries, uint32_t linear, uint64_t rto_max_ms)
{
	uint64_t model = model_ms(retries, rto_max_ms), t = 0;
	uint64_t rto = LIM_RTO_INIT_MS > rto_max_ms ? rto_max_ms : LIM_RTO_INIT_MS;

	/* Expiry j of the timer follows j - 1 retransmits. */
	for (uint64_t j = 1;; j++) {
		t += rto;
		if (j - 1 >= (uint64_t)retries + linear || (j >= 2 && t >= model))
			return t;
		rto = next_rto(rto, j - 1, linear, rto_max_ms);
	}
}

uint32_t limits_range_ports(int64_t lo, int64_t hi)
{
	return hi < lo ? 0 : (uint32_t)(hi - lo + 1);
}

static uint64_t rto_cap(const struct limits_ns *l)
{
	int64_t m = l->v[LIM_RTO_MAX_MS_SYSCTL];

	return m > 0 ? (uint64_t)m : LIM_RTO_MAX_MS;
}

int64_t limits_syn_give_up_ms(const struct limits_ns *l)
{
	int64_t n = l->v[LIM_SYN_RETRIES], lin = l->v[LIM_SYN_LINEAR_TIMEOUTS];

	if (n < 0)
		return LIM_ABSENT;
	/* Before 6.5 there is no linear phase: the sysctl is absent. */
	return (int64_t)limits_give_up_ms((uint32_t)n, lin > 0 ? (uint32_t)lin : 0, rto_cap(l));
}

int64_t limits_synack_give_up_ms(const struct limits_ns *l)
{
	int64_t n = l->v[LIM_SYNACK_RETRIES];

	/* The request's timer doubles from the start: no linear phase. */
	return n < 0 ? LIM_ABSENT : (int64_t)limits_give_up_ms((uint32_t)n, 0, rto_cap(l));
}

uint32_t limits_pct(uint64_t used, uint64_t limit)
{
	return limit ? (uint32_t)(used * 100 / limit) : 0;
}

void limits_keep_busiest(struct limits_ns *l, const struct lim_dest *d)
{
	size_t i;

	if (l->n_busiest == LIM_BUSIEST) {
		if (l->busiest[LIM_BUSIEST - 1].ports >= d->ports)
			return;
		i = LIM_BUSIEST - 1;
	} else {
		i = l->n_busiest++;
	}
	l->busiest[i] = *d;
	for (; i > 0 && l->busiest[i - 1].ports < l->busiest[i].ports; i--) {
		struct lim_dest t = l->busiest[i - 1];

		l->busiest[i - 1] = l->busiest[i];
		l->busiest[i] = t;
	}
}

int limits_count_sock(const struct limits_ns *l, struct hmap *by_dest, const struct tl_tuple *t)
{
	struct lim_dest k;
	uintptr_t n;

	if (l->port_lo == LIM_ABSENT || t->sport < l->port_lo || t->sport > l->port_hi)
		return 0;
	memset(&k, 0, sizeof(k));
	memcpy(k.saddr, t->saddr, sizeof(k.saddr));
	memcpy(k.daddr, t->daddr, sizeof(k.daddr));
	k.dport = t->dport;
	k.family = t->family;
	n = (uintptr_t)hmap_get(by_dest, &k);
	return hmap_put(by_dest, &k, (void *)(n + 1));
}

void limits_take_busiest(struct limits_ns *l, const struct hmap *by_dest)
{
	struct lim_dest d;
	size_t b;

	l->n_busiest = 0;
	for (struct hmap_node *n = hmap_first(by_dest, &b); n; n = hmap_next(by_dest, n, &b)) {
		memcpy(&d, n->key, sizeof(d));
		d.ports = (uint32_t)(uintptr_t)n->value;
		limits_keep_busiest(l, &d);
	}
}

int limits_parse_int(const char *text, int64_t *out)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(text, &end, 10);
	if (errno || end == text || (*end && *end != '\n'))
		return -EINVAL;
	*out = v;
	return 0;
}

int limits_parse_range(const char *text, int64_t *lo, int64_t *hi)
{
	char *end;
	long long a, b;

	errno = 0;
	a = strtoll(text, &end, 10);
	if (errno || end == text || (*end != '\t' && *end != ' '))
		return -EINVAL;
	text = end;
	b = strtoll(text, &end, 10);
	if (errno || end == text || (*end && *end != '\n') || a < 0 || b < 0)
		return -EINVAL;
	*lo = a;
	*hi = b;
	return 0;
}

void limits_addr(const struct lim_dest *d, bool dst, char *buf)
{
	inet_ntop(d->family == TL_AF_INET6 ? AF_INET6 : AF_INET, dst ? d->daddr : d->saddr, buf,
		  INET6_ADDRSTRLEN);
}

static void dest_text(const struct lim_dest *d, char *buf, size_t size)
{
	char s[INET6_ADDRSTRLEN], a[INET6_ADDRSTRLEN];

	limits_addr(d, false, s);
	limits_addr(d, true, a);
	snprintf(buf, size, d->family == TL_AF_INET6 ? "%s -> [%s]:%u" : "%s -> %s:%u", s, a, d->dport);
}

/* Appends one line; returns 1 when it fitted whole, else 0. */
__attribute__((format(printf, 4, 5)))
static int add_line(char *buf, size_t size, size_t *used, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (*used >= size)
		return 0;
	va_start(ap, fmt);
	n = vsnprintf(buf + *used, size - *used, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= size - *used) {
		buf[*used] = '\0';
		return 0;
	}
	*used += (size_t)n;
	return 1;
}

int limits_hints(const struct limits_ns *l, char *buf, size_t size)
{
	uint32_t range = limits_range_ports(l->port_lo, l->port_hi);
	size_t used = 0;
	int n = 0;
	char d[128];

	if (size)
		buf[0] = '\0';
	for (size_t i = 0; i < l->n_busiest && range; i++) {
		if (limits_pct(l->busiest[i].ports, range) < LIM_WARN_PCT)
			continue;
		dest_text(&l->busiest[i], d, sizeof(d));
		n += add_line(buf, size, &used,
			      "ports near exhaustion for %s (%u of %u in use): net.ipv4.tcp_tw_reuse=1 "
			      "where TIME_WAIT sockets hold them, more destination addresses, or a wider "
			      "net.ipv4.ip_local_port_range\n",
			      d, l->busiest[i].ports, range);
	}
	if (l->orphans_killed > 0)
		n += add_line(buf, size, &used,
			      "%" PRId64 " orphaned connections killed for want of memory or orphan slots "
			      "(TcpExtTCPAbortOnMemory): raise net.ipv4.tcp_max_orphans (or tcp_mem)\n",
			      l->orphans_killed);
	if (l->tw_overflow > 0)
		n += add_line(buf, size, &used,
			      "%" PRId64 " connections closed without TIME_WAIT, the buckets were full "
			      "(TcpExtTCPTimeWaitOverflow): raise net.ipv4.tcp_max_tw_buckets\n",
			      l->tw_overflow);
	return n;
}
