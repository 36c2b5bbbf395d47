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
#include <time.h>
#include <unistd.h>
#include "hmap.h"
#include "log.h"
#include "netns.h"
#include "seed.h"
#include "sockdiag.h"

/* Full sockets only: listeners are not connections, timewait and request
 * socks are not full sockets, CLOSE ones are on their way out. */
#define SEED_STATES (((1u << TL_NSTATES) - 1) & ~(1u << 0) & ~(1u << TL_LISTEN) & \
		     ~(1u << TL_TIME_WAIT) & ~(1u << TL_CLOSE) & ~(1u << TL_NEW_SYN_RECV))

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

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
		/* The caller's own namespace comes first. */
		n = i ? netns_run(nsl.fds[i], nsl.fds[0], iter_tcp_here, &ic) : iter_tcp_here(&ic);
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

struct fdref {
	uint32_t pid;
	int32_t fd;
};

struct holders {
	size_t n, cap;
	struct fdref *v;
};

struct fallback {
	const struct options *o;
	record_fn fn;
	void *ctx;
	struct hmap by_inode; /* socket inode -> struct holders */
	char cg_root[256];    /* cgroup2 mount point, "" if none */
	uint64_t now;
	uint64_t records;
};

static int holders_add(struct hmap *m, uint64_t ino, uint32_t pid, int32_t fd)
{
	struct holders *h = hmap_get(m, &ino);
	struct fdref *grown;

	if (!h) {
		h = calloc(1, sizeof(*h));
		if (!h || hmap_put(m, &ino, h)) {
			free(h);
			return -ENOMEM;
		}
	}
	if (h->n == h->cap) {
		h->cap = h->cap ? 2 * h->cap : 2;
		grown = realloc(h->v, h->cap * sizeof(*h->v));
		if (!grown)
			return -ENOMEM;
		h->v = grown;
	}
	h->v[h->n++] = (struct fdref){ pid, fd };
	return 0;
}

/* Every socket fd of every process: /proc/PID/fd/N -> "socket:[INODE]".
 * Processes are visited in pid order, so the first holder is the oldest. */
static int scan_proc_fds(struct hmap *m)
{
	DIR *proc = opendir("/proc");
	struct dirent *p;
	int err = 0;

	if (!proc)
		return -errno;
	while (!err && (p = readdir(proc))) {
		char path[64], link[64], *end;
		unsigned long pid = strtoul(p->d_name, &end, 10);
		struct dirent *f;
		DIR *fds;

		if (!isdigit((unsigned char)p->d_name[0]) || *end)
			continue;
		snprintf(path, sizeof(path), "/proc/%lu/fd", pid);
		fds = opendir(path);
		if (!fds)
			continue; /* gone */
		while (!err && (f = readdir(fds))) {
			unsigned long long ino;
			ssize_t len;
			long fd = strtol(f->d_name, &end, 10);

			if (!isdigit((unsigned char)f->d_name[0]) || *end)
				continue;
			len = readlinkat(dirfd(fds), f->d_name, link, sizeof(link) - 1);
			if (len <= 0)
				continue;
			link[len] = '\0';
			if (sscanf(link, "socket:[%llu]", &ino) == 1)
				err = holders_add(m, ino, (uint32_t)pid, (int32_t)fd);
		}
		closedir(fds);
	}
	closedir(proc);
	return err;
}

static void cgroup_root(char *buf, size_t n)
{
	char dev[64], dir[256], type[32];
	FILE *f = fopen("/proc/self/mounts", "re");

	buf[0] = '\0';
	if (!f)
		return;
	while (fscanf(f, "%63s %255s %31s %*[^\n]", dev, dir, type) == 3) {
		if (!strcmp(type, "cgroup2")) {
			snprintf(buf, n, "%s", dir);
			break;
		}
	}
	fclose(f);
}

/* The process's cgroup v2 id: the inode of its directory ("0::/path"). */
static uint64_t pid_cgroup(const struct fallback *fb, uint32_t pid)
{
	char path[64], line[512], full[800];
	uint64_t id = 0;
	struct stat st;
	FILE *f;

	if (!fb->cg_root[0])
		return 0;
	snprintf(path, sizeof(path), "/proc/%u/cgroup", pid);
	f = fopen(path, "re");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, "0::", 3))
			continue;
		line[strcspn(line, "\n")] = '\0';
		snprintf(full, sizeof(full), "%s%s", fb->cg_root, line + 3);
		if (!stat(full, &st))
			id = st.st_ino;
		break;
	}
	fclose(f);
	return id;
}

static void pid_comm(uint32_t pid, char comm[TL_COMM_LEN])
{
	char path[64];
	ssize_t n;
	int fd;

	memset(comm, 0, TL_COMM_LEN);
	snprintf(path, sizeof(path), "/proc/%u/comm", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	n = read(fd, comm, TL_COMM_LEN - 1);
	close(fd);
	if (n > 0 && comm[n - 1] == '\n')
		comm[n - 1] = '\0';
}

static bool port_in(const uint16_t *ports, uint32_t n, uint16_t p)
{
	for (uint32_t i = 0; i < n; i++)
		if (ports[i] == p)
			return true;
	return false;
}

/* The tuple filters the kernel applies to live records (common.bpf.h). */
static bool tuple_wanted(const struct options *o, const struct tl_tuple *t)
{
	return (!o->family || o->family == t->family) &&
	       (!o->n_lports || port_in(o->lports, o->n_lports, t->sport)) &&
	       (!o->n_rports || port_in(o->rports, o->n_rports, t->dport));
}

static int on_diag(const struct sockdiag_sock *s, void *arg)
{
	struct fallback *fb = arg;
	struct tl_event e = { 0 };
	struct holders *h;

	/* Timewait socks report their substate (FIN_WAIT2 or TIME_WAIT): they
	 * are not full sockets, as iter/tcp's skc_state says. */
	if (s->timer == SD_TIMER_TIMEWAIT || !tuple_wanted(fb->o, &s->tuple))
		return 0;
	e.type = TL_REC_SEED;
	e.oldstate = e.newstate = s->state;
	e.ts_ns = fb->now;
	e.skaddr = s->cookie & ~(1ULL << 63);
	if (!e.skaddr)
		e.skaddr = 1;
	e.tuple = s->tuple;
	e.own.fd = -1;
	fb->fn(fb->ctx, &e, sizeof(e));
	fb->records++;
	h = s->inode ? hmap_get(&fb->by_inode, &s->inode) : NULL;
	for (size_t i = 0; h && i < h->n; i++) {
		e.type = TL_REC_HOLDER;
		e.kind = i ? TL_HOLDER_OTHER : TL_HOLDER_OWNER;
		e.flags = TL_F_OWNER_KNOWN;
		e.owner.pid = e.owner.tid = h->v[i].pid;
		pid_comm(h->v[i].pid, e.owner.comm);
		e.own.fd = h->v[i].fd;
		e.own.cgroup = pid_cgroup(fb, h->v[i].pid);
		fb->fn(fb->ctx, &e, sizeof(e));
		fb->records++;
	}
	return 0;
}

static int seed_netlink(const struct options *o, record_fn fn, void *ctx, struct seed_result *res)
{
	struct fallback fb = { .o = o, .fn = fn, .ctx = ctx, .now = mono_ns() };
	struct netns_list nsl = { 0 };
	size_t b;
	int err;

	if (hmap_init(&fb.by_inode, sizeof(uint64_t)))
		return -ENOMEM;
	cgroup_root(fb.cg_root, sizeof(fb.cg_root));
	err = scan_proc_fds(&fb.by_inode);
	if (!err)
		err = netns_list_all(&nsl);
	for (size_t i = 0; !err && i < nsl.n; i++) {
		struct sockdiag *sd = NULL;

		/* The netlink socket answers for the namespace it is made in. */
		if (i)
			netns_run(nsl.fds[i], nsl.fds[0], sockdiag__new_into, &sd);
		else
			sockdiag__new_into(&sd);
		if (!sd)
			continue;
		res->netns++;
		for (int fam = 0; fam < 2 && !err; fam++) {
			int n = sockdiag_dump(sd, fam ? AF_INET6 : AF_INET, SEED_STATES,
					      on_diag, &fb);

			err = n < 0 ? n : 0;
		}
		sockdiag__free(sd);
	}
	netns_list_free(&nsl);
	for (struct hmap_node *n = hmap_first(&fb.by_inode, &b); n; n = hmap_next(&fb.by_inode, n, &b)) {
		free(((struct holders *)n->value)->v);
		free(n->value);
	}
	hmap_fini(&fb.by_inode);
	res->records += fb.records;
	return err;
}

int seed_run(struct tracer *tr, const struct options *o, record_fn fn, void *ctx,
	     struct seed_result *res)
{
	const char *force = getenv("TCPLIFE_SEED");
	uint64_t t0 = mono_ns();
	int err;

	memset(res, 0, sizeof(*res));
	if (tracer_tier(tr, HOOK_SEED) == TIER_ITER && !(force && !strcmp(force, "sock_diag"))) {
		res->method = "iter";
		err = seed_iter(tr, fn, ctx, res);
		if (err)
			log_warn("seeding with BPF iterators failed (%s); using sock_diag and /proc",
				 strerror(-err));
	} else {
		err = -ENOTSUP;
	}
	if (err) {
		memset(res, 0, sizeof(*res));
		res->method = "sock_diag";
		err = seed_netlink(o, fn, ctx, res);
	}
	res->ns_ms = (mono_ns() - t0) / 1000000;
	if (err)
		log_warn("could not read the connections open before the start: %s", strerror(-err));
	else
		log_info("read the sockets open before the start in %" PRIu64 " ms (%s, %u network "
			 "namespace%s, %" PRIu64 " records)", res->ns_ms, res->method, res->netns,
			 res->netns == 1 ? "" : "s", res->records);
	return err;
}

int seed_holders(struct tracer *tr, record_fn fn, void *ctx)
{
	int n = tracer_iter(tr, ITER_HOLDERS, fn, ctx);

	return n < 0 ? n : 0;
}
