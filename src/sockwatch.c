// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include "log.h"
#include "netns.h"
#include "sockdiag.h"
#include "procnet.h"
#include "sockwatch.h"
#include "timefmt.h"

#define MAX_NS 64
/* A namespace that could not be entered is tried again after this long. */
#define RETRY_NS (5 * 1000000000ULL)

struct nsh {
	uint32_t inum;
	struct sockdiag *sd;  /* NULL: not reachable (since failed_ns) */
	int netstat_fd;       /* the namespace's /proc/net/netstat */
	uint64_t overflows;   /* TCPTimeWaitOverflow at the last listing */
	uint64_t carry;       /* overflows the last listing could not place */
	uint64_t failed_ns;
	bool used;            /* still waited on at this poll */
	/* What names the namespace besides our own fds: a bind mount or a
	 * process in it. Our netlink socket and netstat fd hold a reference
	 * on it, and so would an nsfs fd: once nothing else names it, only
	 * we keep it (and its timewait socks) alive. */
	char witness[256];
};

struct sockwatch {
	uint64_t interval_ns, next_ns;
	struct nsh ns[MAX_NS];
	int n;
	uint32_t self_inum;
	uint64_t cost_ns; /* time spent listing, for the pacing */
};

static uint32_t ns_inode(const char *path)
{
	struct stat st;

	return stat(path, &st) ? 0 : (uint32_t)st.st_ino;
}

/* TcpExt's TCPTimeWaitOverflow: the kernel counts each connection that
 * tcp_time_wait() closed at once for want of a timewait sock. */
static int read_overflows(int fd, uint64_t *out)
{
	char buf[8192];
	ssize_t len = pread(fd, buf, sizeof(buf) - 1, 0);

	if (len <= 0)
		return -EIO;
	buf[len] = '\0';
	return procnet_netstat(buf, "TcpExt", "TCPTimeWaitOverflow", out);
}

/* Inside the namespace: its netlink socket and its /proc/net/netstat (the
 * thread's namespace, which is the one entered). */
static int open_inside(void *arg)
{
	struct nsh *h = arg;

	h->sd = sockdiag__new();
	if (!h->sd)
		return -errno;
	h->netstat_fd = open("/proc/thread-self/net/netstat", O_RDONLY | O_CLOEXEC);
	return 0;
}

/* Open the namespace's netlink socket and netstat from inside it. The first
 * overflow reading is the baseline: a namespace first listed after an
 * overflow (a fresh one, say) counts it from zero, its absolute value being
 * the best bound there is. */
static int nsh_open(struct sockwatch *w, struct nsh *h)
{
	int target, home, err;

	h->netstat_fd = -1;
	h->overflows = 0;
	h->carry = 0;
	if (h->inum == w->self_inum)
		return open_inside(h);
	err = netns_find(h->inum, h->witness, sizeof(h->witness));
	if (err)
		return err;
	target = open(h->witness, O_RDONLY | O_CLOEXEC);
	if (target < 0)
		return -errno;
	home = netns_open(0);
	err = home < 0 ? home : netns_run(target, home, open_inside, h);
	/* netns_run() says -ENOENT when setns() fails; but the namespace is
	 * there (target holds it): not enterable, not gone. */
	if (err == -ENOENT)
		err = -EPERM;
	close(target);
	if (home >= 0)
		close(home);
	return err;
}

static void nsh_close(struct nsh *h)
{
	sockdiag__free(h->sd);
	h->sd = NULL;
	if (h->netstat_fd >= 0)
		close(h->netstat_fd);
	h->netstat_fd = -1;
}

struct sockwatch *sockwatch_new(uint64_t interval_ns)
{
	struct sockwatch *w = calloc(1, sizeof(*w));

	if (!w)
		return NULL;
	w->interval_ns = interval_ns;
	w->self_inum = ns_inode("/proc/thread-self/ns/net");
	return w;
}

void sockwatch_free(struct sockwatch *w)
{
	if (!w)
		return;
	for (int i = 0; i < w->n; i++)
		nsh_close(&w->ns[i]);
	free(w);
}

/* Whether anything but us still names the namespace: the witness found at
 * opening, else another (a process that joined it since). Not found: it is
 * deleted, and our fds are all that keep it; let go of them, and the
 * kernel tears it down, its timewait socks with it (inet_twsk_purge()). An
 * fd or socket another process holds in it is not seen: then the namespace
 * lives on unseen (see src/README.md, Timewait and request sockets). */
static bool nsh_named(struct sockwatch *w, struct nsh *h)
{
	int err;

	if (h->inum == w->self_inum || netns_names(h->witness, h->inum))
		return true;
	err = netns_find(h->inum, h->witness, sizeof(h->witness));
	if (err && err != -ENOENT)
		log_debug("cannot tell whether network namespace %u is deleted: %s", h->inum,
			  strerror(-err));
	return err != -ENOENT;
}

/* The handle of namespace `inum`, opened if need be; NULL with *gone set if
 * the namespace is deleted (nothing names it), else NULL if it cannot be
 * listed now. */
static struct nsh *nsh_get(struct sockwatch *w, uint32_t inum, uint64_t now, bool *gone)
{
	struct nsh *h = NULL;
	int err;

	*gone = false;
	for (int i = 0; i < w->n; i++)
		if (w->ns[i].inum == inum)
			h = &w->ns[i];
	if (!h) {
		if (w->n == MAX_NS)
			return NULL;
		h = &w->ns[w->n++];
		memset(h, 0, sizeof(*h));
		h->inum = inum;
		h->netstat_fd = -1;
	}
	h->used = true;
	if (h->sd && nsh_named(w, h))
		return h;
	if (h->sd) {
		nsh_close(h);
		*gone = true;
		return NULL;
	}
	if (h->failed_ns && now < h->failed_ns + RETRY_NS)
		return NULL;
	err = nsh_open(w, h);
	if (err == -ENOENT) {
		*gone = true;
		return NULL;
	}
	if (err) {
		log_debug("network namespace %u cannot be listed: %s", inum, strerror(-err));
		nsh_close(h);
		h->failed_ns = now;
		return NULL;
	}
	return h;
}

static int on_sock(const struct sockdiag_sock *s, void *arg)
{
	struct conntab *ct = arg;

	conntab_watch_sock(ct, &s->tuple, s->state, s->timer == SD_TIMER_TIMEWAIT, s->expires_ms);
	return 0;
}

/* Timewait socks report their substate; request socks show as SYN_RECV. */
#define WATCH_STATES ((1u << TL_TIME_WAIT) | (1u << TL_FIN_WAIT2) | (1u << TL_SYN_RECV))

/* Both families of the namespace, in `states`: the socks listed, or the
 * first -errno (an incomplete listing must not be taken for a whole one:
 * it would end socks that are still there). */
static int dump_ns(struct nsh *h, uint32_t states, sockdiag_cb cb, void *arg, const char *what)
{
	int n4 = sockdiag_dump(h->sd, AF_INET, states, cb, arg);
	int n6 = sockdiag_dump(h->sd, AF_INET6, states, cb, arg);

	if (n4 < 0 || n6 < 0) {
		log_debug("%s of namespace %u failed: %s", what, h->inum, strerror(-(n4 < 0 ? n4 : n6)));
		return n4 < 0 ? n4 : n6;
	}
	return n4 + n6;
}

static void list_ns(struct sockwatch *w, struct conntab *ct, struct nsh *h)
{
	uint64_t t0 = mono_now_ns(), ov = 0, delta = 0, left;
	int n;

	conntab_watch_begin(ct, h->inum, t0);
	n = dump_ns(h, WATCH_STATES, on_sock, ct, "listing");
	if (n < 0) {
		nsh_close(h);
		h->failed_ns = t0;
		return;
	}
	if (h->netstat_fd >= 0 && !read_overflows(h->netstat_fd, &ov) && ov >= h->overflows) {
		delta = ov - h->overflows;
		h->overflows = ov;
	}
	/* tcp_time_wait() counts the overflow before the CLOSE tracepoint,
	 * and the counter is read after the dump: it can hold overflows of
	 * hand-overs whose CLOSE the loader reads only after this listing
	 * (three closes within 2 ms on a loaded host: two read as TIME_WAIT
	 * killed early). What no hand-over took waits for the next listing
	 * once, the older first; then it is an untraced socket's. */
	left = conntab_watch_done(ct, h->carry + delta);
	h->carry = left < delta ? left : delta;
	w->cost_ns += mono_now_ns() - t0;
}

void sockwatch_poll(struct sockwatch *w, struct conntab *ct, uint64_t now_ns)
{
	uint32_t ids[MAX_NS];
	size_t n;

	uint64_t cost0 = w->cost_ns, spent;

	if (now_ns < w->next_ns)
		return;
	for (int i = 0; i < w->n; i++)
		w->ns[i].used = false;
	n = conntab_watch_netns(ct, ids, MAX_NS);
	for (size_t i = 0; i < n; i++) {
		bool gone;
		struct nsh *h = nsh_get(w, ids[i], now_ns, &gone);

		if (h)
			list_ns(w, ct, h);
		else if (gone)
			conntab_watch_gone(ct, ids[i], now_ns);
		else
			conntab_watch_unreachable(ct, ids[i], now_ns);
	}
	/* A listing costs about 0.35 us per sock listed (measured here with
	 * 83 000 timewait socks: 30 ms). Keep it under 2.5 % of a core: with
	 * 100 000 timewait socks the interval stretches to ~1.5 s. */
	spent = w->cost_ns - cost0;
	w->next_ns = now_ns + (w->interval_ns > 40 * spent ? w->interval_ns : 40 * spent);
	/* Let go of namespaces nothing waits on any more. */
	for (int i = 0; i < w->n;) {
		if (!w->ns[i].used) {
			nsh_close(&w->ns[i]);
			w->ns[i] = w->ns[--w->n];
		} else {
			i++;
		}
	}
}

static int on_census(const struct sockdiag_sock *s, void *arg)
{
	struct conntab *ct = arg;

	conntab_census_sock(ct, &s->tuple, s->state, s->timer == SD_TIMER_TIMEWAIT, s->expires_ms);
	return 0;
}

struct relist {
	struct conntab *ct;
	uint32_t netns;
};

static int on_relisted(const struct sockdiag_sock *s, void *arg)
{
	const struct relist *r = arg;

	if (s->timer == SD_TIMER_TIMEWAIT)
		conntab_census_relisted(r->ct, r->netns, &s->tuple);
	return 0;
}

/* Every state but LISTEN: a listener is never a row. */
#define CENSUS_STATES (((1u << TL_NSTATES) - 1) & ~(1u << TL_LISTEN))

size_t sockwatch_census(struct sockwatch *w, struct conntab *ct, uint64_t now_ns)
{
	uint32_t ids[MAX_NS];
	size_t n = conntab_census_netns(ct, ids, MAX_NS), marked = 0;

	for (size_t i = 0; i < n; i++) {
		bool gone;
		struct nsh *h = nsh_get(w, ids[i], now_ns, &gone);

		if (!h)
			continue; /* not listable: its rows are left as they are */
		conntab_census_begin(ct, ids[i], mono_now_ns());
		if (dump_ns(h, CENSUS_STATES, on_census, ct, "census") >= 0)
			marked += conntab_census_done(ct);
	}
	/* Hooked tiers: the timewait socks it missed, looked for once more. */
	n = conntab_census_tw_netns(ct, ids, MAX_NS);
	for (size_t i = 0; i < n; i++) {
		bool gone;
		struct nsh *h = nsh_get(w, ids[i], now_ns, &gone);
		struct relist r = { ct, ids[i] };

		if (h)
			dump_ns(h, CENSUS_STATES, on_relisted, &r, "census");
	}
	return marked;
}

void sockwatch_final(struct sockwatch *w, struct conntab *ct, uint64_t now_ns)
{
	w->next_ns = 0;
	sockwatch_poll(w, ct, now_ns);
}
