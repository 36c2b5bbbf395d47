// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* dropped_by: the listener looked up and looked at (dropby.h). */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include "conn_extra.h"
#include "dropby.h"
#include "log.h"
#include "lsndrop.h"
#include "netns.h"
#include "sockdiag.h"
#include "timefmt.h"
#include "tracer.h"

struct dropby {
	struct tracer *tr;
	struct lsndrop d;
	int home;             /* the tool's own namespace */
	uint64_t home_id;
	uint32_t pid_hint;    /* the client being decided: its namespace is the listener's */
	uint64_t cost_ns, cost_max_ns;
};

struct look_ctx {
	const struct tl_listen_key *k;
	struct lsndrop_look *out;
	int err;
};

static int on_listener(const struct sockdiag_sock *s, void *arg)
{
	struct look_ctx *x = arg;
	size_t alen = x->k->family == TL_AF_INET6 ? 16 : 4;

	if (s->tuple.sport != x->k->port || s->tuple.family != x->k->family ||
	    memcmp(s->tuple.saddr, x->k->addr, alen))
		return 0;
	x->out->found = true;
	x->out->accept_queue = s->rqueue; /* sk_ack_backlog, as listen_scan.c reads it */
	x->out->backlog = s->wqueue;      /* sk_max_ack_backlog */
	x->out->drops = s->drops;
	return 1;
}

static int look_here(void *arg)
{
	struct look_ctx *x = arg;
	struct sockdiag *sd = sockdiag__new();
	int r;

	if (!sd)
		return x->err = -errno;
	r = sockdiag_dump_mem(sd, x->k->family == TL_AF_INET6 ? AF_INET6 : AF_INET, 1u << TL_LISTEN, on_listener,
			      x);
	sockdiag__free(sd);
	if (r < 0)
		x->err = r;
	return 0;
}

/* An fd of namespace `netns`: the client's own (it is in it), else a
 * bind mount or another process naming it. -errno if none. */
static int open_ns(const struct dropby *db, uint32_t netns)
{
	int fd = db->pid_hint ? netns_open(db->pid_hint) : -ENOENT;

	if (fd >= 0 && netns_id(fd) == netns)
		return fd;
	if (fd >= 0)
		close(fd);
	return netns_open_id(netns);
}

static int look(void *ctx, const struct tl_listen_key *k, struct lsndrop_look *out)
{
	struct dropby *db = ctx;
	struct look_ctx x = { .k = k, .out = out };
	uint64_t t0 = mono_now_ns(), cost;
	int fd, r;

	if (k->netns == db->home_id) {
		look_here(&x);
	} else {
		fd = open_ns(db, k->netns);
		if (fd < 0)
			return fd;
		r = netns_run(fd, db->home, look_here, &x);
		close(fd);
		if (r < 0)
			return r;
	}
	cost = mono_now_ns() - t0;
	db->cost_ns += cost;
	db->cost_max_ns = cost > db->cost_max_ns ? cost : db->cost_max_ns;
	return x.err;
}

struct dropby *dropby_new(struct tracer *tr)
{
	struct dropby *db = calloc(1, sizeof(*db));

	if (!db)
		return NULL;
	db->tr = tr;
	db->home = netns_open(0);
	db->home_id = db->home >= 0 ? netns_id(db->home) : 0;
	if (lsndrop_init(&db->d, look, db)) {
		dropby_free(db);
		errno = ENOMEM;
		return NULL;
	}
	return db;
}

void dropby_free(struct dropby *db)
{
	if (!db)
		return;
	if (db->d.looks)
		log_debug("dropped_by: %" PRIu64 " looks at listeners (%" PRIu64 " failed, %" PRIu64
			  " not taken: over %d a second), %" PRIu64 " us each on average, the longest %" PRIu64 " us",
			  db->d.looks, db->d.look_errs, db->d.skipped, LSNDROP_MAX_LOOKS_PER_S,
			  db->cost_ns / 1000 / db->d.looks, db->cost_max_ns / 1000);
	lsndrop_fini(&db->d);
	if (db->home >= 0)
		close(db->home);
	free(db);
}

/* The listener the kernel would find for the client's destination: the
 * address, else the family's wildcard, else (IPv4) a dual-stack [::]. */
static bool find_listener(struct dropby *db, const struct conn *c, struct tl_listen_key *k, struct tl_listen_val *v)
{
	memset(k, 0, sizeof(*k));
	k->netns = c->netns;
	k->family = c->tuple.family;
	k->port = c->tuple.dport;
	memcpy(k->addr, c->tuple.daddr, c->tuple.family == TL_AF_INET6 ? 16 : 4);
	if (!tracer_find_listener(db->tr, k, v))
		return true;
	memset(k->addr, 0, sizeof(k->addr));
	if (!tracer_find_listener(db->tr, k, v))
		return true;
	if (k->family != TL_AF_INET)
		return false;
	k->family = TL_AF_INET6;
	return !tracer_find_listener(db->tr, k, v);
}

void dropby_syn_retrans(void *ctx, struct conn *c)
{
	struct dropby *db = ctx;
	struct tl_listen_key k;
	struct tl_listen_val v;
	struct conn_dropper *d;

	if (!db || !db->tr || conn_dropper(c) || !c->netns || !find_listener(db, c, &k, &v))
		return;
	db->pid_hint = c->owner_known ? c->owner.pid : 0;
	if (!lsndrop_check(&db->d, &k, mono_now_ns(), c->start_ns) || !conn_extra(c))
		return;
	d = &c->x->dropped_by;
	d->set = true;
	d->family = k.family;
	d->port = k.port;
	memcpy(d->addr, k.addr, sizeof(k.addr));
	d->pid = v.owner.pid;
	memcpy(d->comm, v.owner.comm, sizeof(d->comm));
}
