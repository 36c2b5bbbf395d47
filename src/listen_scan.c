// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include "listen_scan.h"
#include "log.h"
#include "netns.h"
#include "procfd.h"
#include "procnet.h"
#include "sockdiag.h"
#include "tcplimits.h"
#include "tcplimits_scan.h"

#define HINT_SIZE 512

/* What one namespace visit fills in. */
struct ns_ctx {
	struct lsn_snap *s;
	size_t first; /* this namespace's listeners start here */
	struct lsn_ns c;
	int err;
};

static int on_listener(const struct sockdiag_sock *sk, void *arg)
{
	struct ns_ctx *x = arg;
	struct lsn *l = lsn_snap_add(x->s);

	if (!l) {
		x->err = -ENOMEM;
		return 1;
	}
	l->netns = x->c.netns;
	l->t = sk->tuple;
	l->inode = sk->inode;
	/* For a listener inet_diag reports sk_ack_backlog as idiag_rqueue and
	 * sk_max_ack_backlog, min(listen()'s backlog, somaxconn), as
	 * idiag_wqueue (inet_sk_diag_fill, every kernel since 2.6.18). */
	l->accept_queue = sk->rqueue;
	l->backlog = sk->wqueue;
	l->drops = sk->drops < 0 ? LSN_UNKNOWN : sk->drops;
	return 0;
}

static int on_request(const struct sockdiag_sock *sk, void *arg)
{
	struct ns_ctx *x = arg;
	struct lsn *l = lsn_find_req(x->s->v + x->first, x->s->n - x->first, x->c.netns, &sk->tuple);

	if (l)
		l->syn_queue++;
	return 0;
}

static int64_t tcpext(const char *text, const char *name)
{
	uint64_t v;

	return procnet_netstat(text, "TcpExt", name, &v) ? LSN_UNKNOWN : (int64_t)v;
}

static void read_counters(struct lsn_ns *c)
{
	char buf[16384]; /* not static: the run lists in a thread (lsnwatch.h) */
	int64_t v;

	c->overflows = c->drops = c->cookies_sent = c->cookies_ok = c->somaxconn = LSN_UNKNOWN;
	if (!limits_read_text("/proc/thread-self/net/netstat", buf, sizeof(buf))) {
		c->overflows = tcpext(buf, "ListenOverflows");
		c->drops = tcpext(buf, "ListenDrops");
		c->cookies_sent = tcpext(buf, "SyncookiesSent");
		c->cookies_ok = tcpext(buf, "SyncookiesRecv");
	}
	if (!limits_read_text("/proc/sys/net/core/somaxconn", buf, sizeof(buf)) && !limits_parse_int(buf, &v))
		c->somaxconn = v;
}

/* Whether this namespace has a listener of `family` (0: any). */
static bool has_listener(const struct ns_ctx *x, uint16_t family)
{
	for (size_t i = x->first; i < x->s->n; i++)
		if (!family || x->s->v[i].t.family == family)
			return true;
	return false;
}

/* The counters first: a drop between the two readings then shows in the
 * listener's sk_drops, never as an overflow with no drop behind it. */
static int read_here(void *arg)
{
	struct ns_ctx *x = arg;
	struct sockdiag *sd;
	int r = 0;

	read_counters(&x->c);
	sd = sockdiag__new();
	if (!sd)
		return x->err = -errno;
	for (int fam = 0; fam < 2 && r >= 0 && !x->err; fam++)
		r = sockdiag_dump_mem(sd, fam ? AF_INET6 : AF_INET, 1u << TL_LISTEN, on_listener, x);
	/* Request socks (4.4+: in the established hash as TCP_NEW_SYN_RECV).
	 * Each dump walks every bucket of the established hash, which all
	 * namespaces share (net.ipv4.tcp_ehash_entries, 262144 here), so
	 * only where a listener can own one: an IPv6 request only on an IPv6
	 * listener, an IPv4 one on either (a dual-stack [::] takes IPv4). */
	for (int fam = 0; fam < 2 && r >= 0 && !x->err; fam++)
		if (has_listener(x, fam ? TL_AF_INET6 : 0))
			r = sockdiag_dump(sd, fam ? AF_INET6 : AF_INET, 1u << TL_NEW_SYN_RECV, on_request, x);
	sockdiag__free(sd);
	if (r < 0 && !x->err)
		x->err = r;
	return 0;
}

/* One namespace into s. -ENOMEM only: one that cannot be entered or listed
 * is said and left out (the list's open fd keeps it alive: not gone). */
static int one_ns(struct lsn_snap *s, const struct netns_list *nsl, size_t i)
{
	struct ns_ctx x = { .s = s, .first = s->n };
	struct lsn_ns *c;
	int r;

	x.c.netns = netns_id(nsl->fds[i]);
	r = netns_list_run(nsl, i, read_here, &x);
	if (r < 0 || x.err) {
		s->n = x.first;
		if (r < 0)
			log_warn("cannot enter network namespace %llu: its listeners are left out",
				 (unsigned long long)x.c.netns);
		else if (x.err != -ENOMEM)
			log_warn("cannot list the listeners of network namespace %llu: %s",
				 (unsigned long long)x.c.netns, strerror(-x.err));
		return x.err == -ENOMEM ? x.err : 0;
	}
	c = lsn_snap_add_ns(s);
	if (!c)
		return -ENOMEM;
	*c = x.c;
	return 0;
}

static void name_owners(struct lsn_snap *s, const struct procfd *pf)
{
	const struct lsn *prev = NULL;

	for (size_t i = 0; i < s->n; i++) {
		const struct holders *h = procfd_holders(pf, s->v[i].inode);

		if (!h || !h->n)
			continue;
		s->v[i].pid = h->v[0].pid;
		s->v[i].fd = h->v[0].fd;
		/* A server's listeners come together: its comm read once. */
		if (prev && prev->pid == s->v[i].pid)
			memcpy(s->v[i].comm, prev->comm, sizeof(s->v[i].comm));
		else
			procfd_comm(s->v[i].pid, s->v[i].comm);
		prev = &s->v[i];
	}
}

int lsn_snap_owners(struct lsn_snap *s)
{
	struct procfd pf;
	uint64_t *inodes = s->n ? malloc(s->n * sizeof(*inodes)) : NULL;
	int err = s->n && !inodes ? -ENOMEM : 0;

	/* /proc read for these sockets only (procfd_scan_for): each -i of
	 * --listeners on a host holding a million connections. */
	for (size_t i = 0; inodes && i < s->n; i++)
		inodes[i] = s->v[i].inode;
	memset(&pf, 0, sizeof(pf));
	if (!err)
		err = procfd_scan_for(&pf, inodes, s->n);
	if (!err)
		name_owners(s, &pf);
	procfd_free(&pf);
	free(inodes);
	return err;
}

int lsn_scan_begin(struct lsn_scan *sc, bool owners)
{
	memset(sc, 0, sizeof(*sc));
	sc->owners = owners;
	return netns_list_all(&sc->nsl);
}

int lsn_scan_step(struct lsn_scan *sc)
{
	int err;

	if (sc->next < sc->nsl.n) {
		err = one_ns(&sc->s, &sc->nsl, sc->next++);
		if (err)
			return err;
		return sc->next < sc->nsl.n || sc->owners;
	}
	if (!sc->owners)
		return 0;
	sc->owners = false;
	return lsn_snap_owners(&sc->s);
}

void lsn_scan_free(struct lsn_scan *sc, struct lsn_snap *out)
{
	netns_list_free(&sc->nsl);
	if (out)
		*out = sc->s;
	else
		lsn_snap_free(&sc->s);
	memset(&sc->s, 0, sizeof(sc->s));
}

int lsn_snap_take(struct lsn_snap *s, bool owners)
{
	struct lsn_scan sc;
	int err = lsn_scan_begin(&sc, owners), more = 1;

	while (!err && more > 0) {
		more = lsn_scan_step(&sc);
		err = more < 0 ? more : 0;
	}
	lsn_scan_free(&sc, err ? NULL : s);
	if (err)
		memset(s, 0, sizeof(*s));
	return err;
}

static int print_ns(const struct lim_out *o, const struct lsn_snap *s, const struct lsn_ns *c)
{
	char hint[HINT_SIZE];
	int err = 0;

	for (size_t i = 0; i < s->n && !err; i++) {
		if (s->v[i].netns != c->netns)
			continue;
		if (o->text)
			err = lsn_print_row(o->text, &s->v[i]);
		if (o->json && !err)
			err = lsn_print_json(o->json, &s->v[i], NULL);
	}
	for (size_t i = 0; i < s->n && o->text && !err; i++)
		if (s->v[i].netns == c->netns && lsn_hint(&s->v[i], c, hint, sizeof(hint)))
			err = fprintf(o->text, "  hint: %s\n", hint) < 0 ? -EIO : 0;
	return err;
}

int listeners_run(const char *json_path)
{
	struct lsn_snap s;
	struct lim_out o;
	int err, rc = 0;

	if (lim_out_open(&o, json_path))
		return 1;
	err = lsn_snap_take(&s, true);
	if (err) {
		log_err("cannot list the listeners: %s", strerror(-err));
		lim_out_close(&o, json_path);
		return 1;
	}
	if (o.text && lsn_print_header(o.text))
		rc = 1;
	for (size_t i = 0; i < s.n_ns && !rc; i++) {
		lsn_attribute(s.v, s.n, &s.ns[i]);
		rc = print_ns(&o, &s, &s.ns[i]) ? 1 : 0;
	}
	lsn_snap_free(&s);
	return lim_out_close(&o, json_path) || rc;
}

void listeners_log_hints(const struct lsn_snap *start)
{
	struct lsn_snap end;
	char hint[HINT_SIZE];
	int err = lsn_snap_take(&end, true);

	if (err) {
		log_warn("cannot list the listeners at the end of the run: %s; no listener hints",
			 strerror(-err));
		return;
	}
	lsn_since(&end, start);
	for (size_t i = 0; i < end.n_ns; i++) {
		lsn_attribute(end.v, end.n, &end.ns[i]);
		for (size_t j = 0; j < end.n; j++)
			if (end.v[j].netns == end.ns[i].netns && lsn_hint(&end.v[j], &end.ns[i], hint, sizeof(hint)))
				log_info("during the run, %s", hint);
	}
	lsn_snap_free(&end);
}
