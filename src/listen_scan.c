// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include "listen_scan.h"
#include "listenstat.h"
#include "log.h"
#include "netns.h"
#include "procfd.h"
#include "procnet.h"
#include "sockdiag.h"
#include "tcplimits.h"
#include "tcplimits_scan.h"

#define HINT_SIZE 512

struct lsn_vec {
	struct lsn *v;
	size_t n, cap;
};

/* What one namespace visit fills in. */
struct ns_ctx {
	struct lsn_vec *vec;
	size_t first;  /* this namespace's listeners start here */
	struct lsn_ns c;
	int err;
};

static int on_listener(const struct sockdiag_sock *s, void *arg)
{
	struct ns_ctx *x = arg;
	struct lsn_vec *vec = x->vec;
	struct lsn *l;

	if (vec->n == vec->cap) {
		size_t cap = vec->cap ? vec->cap * 2 : 64;
		struct lsn *nv = realloc(vec->v, cap * sizeof(*nv));

		if (!nv) {
			x->err = -ENOMEM;
			return 1;
		}
		vec->v = nv;
		vec->cap = cap;
	}
	l = &vec->v[vec->n++];
	memset(l, 0, sizeof(*l));
	l->netns = x->c.netns;
	l->t = s->tuple;
	l->inode = s->inode;
	l->fd = -1;
	/* For a listener inet_diag reports sk_ack_backlog as idiag_rqueue and
	 * sk_max_ack_backlog, min(listen()'s backlog, somaxconn), as
	 * idiag_wqueue (inet_sk_diag_fill, every kernel since 2.6.18). */
	l->accept_queue = s->rqueue;
	l->backlog = s->wqueue;
	l->drops = s->drops < 0 ? LSN_UNKNOWN : s->drops;
	return 0;
}

static int on_request(const struct sockdiag_sock *s, void *arg)
{
	struct ns_ctx *x = arg;
	struct lsn *l = lsn_find_req(x->vec->v + x->first, x->vec->n - x->first, x->c.netns, &s->tuple);

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
	static char buf[16384];
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
	/* Request socks (4.4+: in the established hash as TCP_NEW_SYN_RECV). */
	for (int fam = 0; fam < 2 && r >= 0 && !x->err; fam++)
		r = sockdiag_dump(sd, fam ? AF_INET6 : AF_INET, 1u << TL_NEW_SYN_RECV, on_request, x);
	sockdiag__free(sd);
	if (r < 0 && !x->err)
		x->err = r;
	return 0;
}

static void name_owners(struct lsn *v, size_t n, const struct procfd *pf)
{
	for (size_t i = 0; i < n; i++) {
		const struct holders *h = procfd_holders(pf, v[i].inode);

		if (!h || !h->n)
			continue;
		v[i].pid = h->v[0].pid;
		v[i].fd = h->v[0].fd;
		procfd_comm(v[i].pid, v[i].comm);
	}
}

static int print_ns(const struct lim_out *o, const struct lsn *v, size_t n, const struct lsn_ns *c)
{
	char hint[HINT_SIZE];
	int err = 0;

	for (size_t i = 0; i < n && !err; i++) {
		if (o->text)
			err = lsn_print_row(o->text, &v[i]);
		if (o->json && !err)
			err = lsn_print_json(o->json, &v[i]);
	}
	for (size_t i = 0; i < n && o->text && !err; i++)
		if (lsn_hint(&v[i], c, hint, sizeof(hint)))
			err = fprintf(o->text, "  hint: %s\n", hint) < 0 ? -EIO : 0;
	return err;
}

/* One namespace: list, attribute, print. 0, -ENOENT (gone) or -errno. */
static int one_ns(const struct lim_out *o, struct lsn_vec *vec, const struct netns_list *nsl, size_t i,
		  const struct procfd *pf)
{
	struct ns_ctx x = { .vec = vec, .first = vec->n };
	int r;

	x.c.netns = netns_id(nsl->fds[i]);
	r = i ? netns_run(nsl->fds[i], nsl->fds[0], read_here, &x) : read_here(&x);
	if (r < 0)
		return r;
	if (x.err) {
		log_warn("cannot list the listeners of network namespace %llu: %s",
			 (unsigned long long)x.c.netns, strerror(-x.err));
		vec->n = x.first;
		return 0;
	}
	lsn_attribute(vec->v + x.first, vec->n - x.first, &x.c);
	name_owners(vec->v + x.first, vec->n - x.first, pf);
	return print_ns(o, vec->v + x.first, vec->n - x.first, &x.c);
}

int listeners_run(const char *json_path)
{
	struct netns_list nsl;
	struct procfd pf;
	struct lsn_vec vec = { 0 };
	struct lim_out o;
	int err, rc = 0;

	if (lim_out_open(&o, json_path))
		return 1;
	err = procfd_scan(&pf);
	if (!err)
		err = netns_list_all(&nsl);
	if (err) {
		log_err("cannot list the processes' sockets and network namespaces: %s", strerror(-err));
		procfd_free(&pf);
		lim_out_close(&o, json_path);
		return 1;
	}
	if (o.text && lsn_print_header(o.text))
		rc = 1;
	/* -ENOENT: the namespace went away since it was listed. */
	for (size_t i = 0; i < nsl.n && !rc; i++)
		rc = (err = one_ns(&o, &vec, &nsl, i, &pf)) < 0 && err != -ENOENT;
	free(vec.v);
	netns_list_free(&nsl);
	procfd_free(&pf);
	return lim_out_close(&o, json_path) || rc;
}
