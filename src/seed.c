// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include "listeners.h"
#include "log.h"
#include "netns.h"
#include "procfd.h"
#include "seed.h"
#include "sockdiag.h"
#include "timefmt.h"

/* Full sockets only: listeners are not connections, timewait and request
 * socks are not full sockets, CLOSE ones are on their way out. */
#define SEED_STATES (((1u << TL_NSTATES) - 1) & ~(1u << 0) & ~(1u << TL_LISTEN) & \
		     ~(1u << TL_TIME_WAIT) & ~(1u << TL_CLOSE) & ~(1u << TL_NEW_SYN_RECV))

/* ---- the iterator tier ---- */

struct iter_ctx {
	struct tracer *tr;
	record_fn fn;
	void *ctx;
};

/* iter/tcp shows the namespace the iterator is created in. */
static int iter_tcp_here(void *arg)
{
	struct iter_ctx *c = arg;

	return tracer_iter(c->tr, ITER_TCP, c->fn, c->ctx);
}

static int seed_iter(struct tracer *tr, record_fn fn, void *ctx, struct seed_result *res)
{
	struct iter_ctx ic = { tr, fn, ctx };
	struct netns_list nsl;
	int err, n;

	err = netns_list_all(&nsl);
	if (err)
		return err;
	for (size_t i = 0; i < nsl.n; i++) {
		n = netns_list_run(&nsl, i, iter_tcp_here, &ic);
		if (n == -ENOENT)
			continue; /* gone since the scan */
		if (n < 0) {
			err = n;
			break;
		}
		res->records += (uint64_t)n;
		res->netns++;
	}
	netns_list_free(&nsl);
	if (err)
		return err;
	n = tracer_iter(tr, ITER_HOLDERS, fn, ctx);
	if (n < 0)
		return n;
	res->records += (uint64_t)n;
	return 0;
}

/* ---- the sock_diag + /proc tier ---- */

/* What a pass over the namespaces' sock_diag listings works with. */
struct fallback {
	const struct filter *flt; /* -4/-6/-L/-D: no BPF program sees these sockets */
	record_fn fn;
	void *ctx;
	const struct procfd *pf;
	struct listeners *ls;     /* listeners older than the tool, NULL until read */
	uint32_t netns; /* of the namespace being listed */
	uint64_t now;
	uint64_t records;
};

/* fn(fb, sd) in every namespace, with fb->netns set. 0 or -errno. */
static int each_ns(const struct netns_list *nsl, struct fallback *fb, uint32_t *visited,
		   int (*fn)(struct fallback *fb, struct sockdiag *sd))
{
	int err = 0;

	for (size_t i = 0; !err && i < nsl->n; i++) {
		struct sockdiag *sd = NULL;

		/* The netlink socket answers for the namespace it is made in. */
		netns_list_run(nsl, i, sockdiag__new_into, &sd);
		if (!sd)
			continue;
		if (visited)
			(*visited)++;
		fb->netns = (uint32_t)netns_id(nsl->fds[i]);
		err = fn(fb, sd);
		sockdiag__free(sd);
	}
	return err;
}

/* Where a socket has no holder: still in its listener's accept queue (or a
 * request sock), it is shown with the listener's owner. Orphans (closed by
 * their owner, FIN_WAIT1 and after) are not: nobody owns them any more. */
static void listener_owner(const struct fallback *fb, const struct sockdiag_sock *s,
			   struct tl_event *e)
{
	const struct listener *l;

	if (s->state != TL_ESTABLISHED && s->state != TL_SYN_RECV && s->state != TL_CLOSE_WAIT)
		return;
	l = fb->ls ? listeners_find(fb->ls, fb->netns, &s->tuple) : NULL;
	if (!l)
		return;
	e->owner = l->val.owner;
	e->own.cgroup = l->val.cgroup;
	e->kind = TL_K_LISTENER_OWNER;
	e->flags |= TL_F_PASSIVE;
}

/* A SEED record for a socket sock_diag lists: its cookie stands in for
 * the kernel address (CONN_SYNTHETIC_SK). */
static void diag_seed(const struct fallback *fb, const struct sockdiag_sock *s, struct tl_event *e)
{
	memset(e, 0, sizeof(*e));
	e->type = TL_REC_SEED;
	e->oldstate = e->newstate = s->state;
	e->ts_ns = fb->now;
	e->skaddr = s->cookie & ~(1ULL << 63);
	if (!e->skaddr)
		e->skaddr = 1;
	e->tuple = s->tuple;
	e->netns = fb->netns;
	e->own.fd = -1;
}

static int on_diag(const struct sockdiag_sock *s, void *arg)
{
	struct fallback *fb = arg;
	const struct holders *h;
	struct tl_event e;

	/* Timewait socks report their substate (FIN_WAIT2 or TIME_WAIT): they
	 * are not full sockets, as iter/tcp's skc_state says. */
	if (s->timer == SD_TIMER_TIMEWAIT || !filter_tuple_wanted(fb->flt, &s->tuple))
		return 0;
	diag_seed(fb, s, &e);
	h = procfd_holders(fb->pf, s->inode);
	if (!h)
		listener_owner(fb, s, &e);
	fb->fn(fb->ctx, &e, sizeof(e));
	fb->records++;
	for (size_t i = 0; h && i < h->n; i++) {
		e.type = TL_REC_HOLDER;
		e.kind = i ? TL_HOLDER_OTHER : TL_HOLDER_OWNER;
		e.flags = TL_F_OWNER_KNOWN;
		e.owner.pid = e.owner.tid = h->v[i].pid;
		procfd_comm(h->v[i].pid, e.owner.comm);
		e.own.fd = h->v[i].fd;
		e.own.cgroup = procfd_cgroup(fb->pf, h->v[i].pid);
		fb->fn(fb->ctx, &e, sizeof(e));
		fb->records++;
	}
	return 0;
}

static int dump_full(struct fallback *fb, struct sockdiag *sd)
{
	for (int fam = 0; fam < 2; fam++) {
		int n = sockdiag_dump(sd, fam ? AF_INET6 : AF_INET, SEED_STATES, on_diag, fb);

		if (n < 0)
			return n;
	}
	return 0;
}

/* Request socks (half-open: the SYN came, the handshake did not finish;
 * `ss` state SYN-RECV, the kernel's TCP_NEW_SYN_RECV). inet_diag lists them
 * when the SYN_RECV bit is asked for, reporting state SYN_RECV and no
 * inode; the full sockets it lists beside them (a child between its birth
 * and the final ACK's processing, microseconds) have an inode or come from
 * the full-socket seed. For --once on this tier only (iter/tcp shows them
 * on the other: tracer_seed_requests); live, they are followed as they come
 * and go (conntab_minisock.c). */
static int on_request(const struct sockdiag_sock *s, void *arg)
{
	struct fallback *fb = arg;
	struct tl_event e;

	if (s->inode || !filter_tuple_wanted(fb->flt, &s->tuple))
		return 0;
	diag_seed(fb, s, &e);
	e.flags = TL_F_PASSIVE;
	listener_owner(fb, s, &e);
	fb->fn(fb->ctx, &e, sizeof(e));
	fb->records++;
	return 0;
}

static int dump_requests(struct fallback *fb, struct sockdiag *sd)
{
	for (int fam = 0; fam < 2; fam++) {
		int n = sockdiag_dump(sd, fam ? AF_INET6 : AF_INET, 1u << TL_SYN_RECV, on_request, fb);

		if (n < 0)
			return n;
	}
	return 0;
}

static int list_listeners(struct fallback *fb, struct sockdiag *sd)
{
	int n = listeners_list_ns(fb->ls, sd, fb->netns);

	return n < 0 ? n : 0;
}

struct lsn_holders {
	struct procfd *pf;
	int err;
};

static int on_lsn_holder(void *arg, void *data, size_t size)
{
	struct lsn_holders *lh = arg;
	const struct tl_lsn_holder *h = data;

	(void)size;
	if (!lh->err)
		lh->err = procfd_add(lh->pf, h->ino, h->pid, h->fd);
	return 0;
}

/* Who holds the listed listeners: on the iterator tier the kernel's walk of
 * every task's files (tl_lsn_holders), else (or if it fails) /proc read
 * for their holders only. */
static int listener_holders(struct tracer *tr, bool iter, const struct listeners *ls,
			    struct procfd *pf)
{
	struct lsn_holders lh = { .pf = pf };
	int n;

	if (iter && ls->n_listed) {
		lh.err = procfd_init(pf);
		n = lh.err ? lh.err : tracer_iter(tr, ITER_LISTENERS, on_lsn_holder, &lh);
		if (n >= 0 && !lh.err)
			return 0;
		log_debug("seed: the listeners' holders from /proc (iterator: %s)",
			  strerror(-(n < 0 ? n : lh.err)));
		procfd_free(pf);
	}
	return procfd_scan_for(pf, ls->inodes, ls->n_listed);
}

/* The listeners older than the tool, with their owners, into `ls` and the
 * kernel side's map (before iter/tcp, which reads it). */
static int seed_listeners(struct tracer *tr, bool iter, struct fallback *fb,
			  const struct netns_list *nsl, struct listeners *ls, struct procfd *pf)
{
	struct hmap_node *n;
	size_t b;
	int err;

	fb->ls = ls;
	err = each_ns(nsl, fb, NULL, list_listeners);
	if (!err)
		err = listener_holders(tr, iter, ls, pf);
	if (!err)
		err = listeners_own(ls, pf);
	for (n = hmap_first(&ls->by_key, &b); !err && n; n = hmap_next(&ls->by_key, n, &b)) {
		const struct listener *l = n->value;

		err = tracer_add_listener(tr, &l->key, &l->val);
	}
	return err;
}

static int seed_netlink(struct fallback *fb, const struct netns_list *nsl, int scan_err,
			struct seed_result *res)
{
	uint64_t before = fb->records;
	int err = scan_err ? scan_err : each_ns(nsl, fb, &res->netns, dump_full);

	res->records += fb->records - before;
	return err;
}

int seed_run(struct tracer *tr, const struct options *o, const struct filter *flt, record_fn fn,
	     void *ctx, struct seed_result *res)
{
	const char *force = getenv("TCPLIFE_SEED");
	bool iter = tracer_tier(tr, HOOK_SEED) == TIER_ITER && !(force && !strcmp(force, "sock_diag"));
	struct fallback fb = { .flt = flt, .fn = fn, .ctx = ctx, .now = mono_now_ns() };
	struct netns_list nsl = { 0 };
	struct procfd pf = { 0 };
	struct listeners ls = { 0 };
	uint64_t t0 = mono_now_ns(), before;
	int err, scan_err;

	memset(res, 0, sizeof(*res));
	fb.pf = &pf;
	scan_err = netns_list_all(&nsl);
	err = scan_err ? scan_err : listeners_init(&ls);
	if (!err)
		err = seed_listeners(tr, iter, &fb, &nsl, &ls, &pf);
	log_debug("seed: listeners' owners read at %" PRIu64 " ms (%zu listed; the fds of %zu of %zu "
		  "processes read)",
		  (mono_now_ns() - t0) / 1000000, ls.n_listed, pf.pids_read, pf.pids);
	if (err)
		log_warn("could not read who owns the listening sockets (%s): children not "
			 "accepted yet show no owner", strerror(-err));
	if (iter) {
		res->method = "iter";
		if (o->once)
			tracer_seed_requests(tr);
		err = seed_iter(tr, fn, ctx, res);
		log_debug("seed: iterators done at %" PRIu64 " ms", (mono_now_ns() - t0) / 1000000);
		if (err)
			log_warn("seeding with BPF iterators failed (%s); using sock_diag and /proc",
				 strerror(-err));
	} else {
		err = -ENOTSUP;
	}
	if (err) {
		memset(res, 0, sizeof(*res));
		res->method = "sock_diag";
		/* Every socket's holders now, not the listeners' only. */
		procfd_free(&pf);
		if (!scan_err)
			scan_err = procfd_scan(&pf);
		log_debug("seed: /proc fds read at %" PRIu64 " ms", (mono_now_ns() - t0) / 1000000);
		err = seed_netlink(&fb, &nsl, scan_err, res);
	}
	/* The iterators showed the request socks (tracer_seed_requests). */
	if (!err && !scan_err && o->once && strcmp(res->method, "iter")) {
		before = fb.records;
		err = each_ns(&nsl, &fb, NULL, dump_requests);
		res->records += fb.records - before;
	}
	res->ns_ms = (mono_now_ns() - t0) / 1000000;
	if (err)
		log_warn("could not read the connections open before the start: %s", strerror(-err));
	else
		log_info("read the sockets open before the start in %" PRIu64 " ms (%s, %u network "
			 "namespace%s, %" PRIu64 " records, %" PRIu64 " listeners with an owner)",
			 res->ns_ms, res->method, res->netns, res->netns == 1 ? "" : "s",
			 res->records, ls.owned);
	listeners_free(&ls);
	netns_list_free(&nsl);
	procfd_free(&pf);
	return err;
}

int seed_holders(struct tracer *tr, record_fn fn, void *ctx)
{
	int n = tracer_iter(tr, ITER_HOLDERS, fn, ctx);

	return n < 0 ? n : 0;
}
