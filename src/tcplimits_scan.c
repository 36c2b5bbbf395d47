// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include "hmap.h"
#include "tcplimits_fmt.h"
#include "tcplimits_scan.h"
#include "log.h"
#include "netns.h"
#include "procnet.h"
#include "safeopen.h"
#include "sockdiag.h"

/* Every state but LISTEN: a listener's port is not an ephemeral one taken
 * by connect(), while a TIME_WAIT sock still holds its 4-tuple. */
#define PORT_STATES (((1u << (TL_CLOSING + 1)) - 1) & ~(1u << TL_LISTEN) & ~1u)

int limits_read_text(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, size - 1);
	if (n < 0)
		n = -errno;
	close(fd);
	if (n < 0)
		return (int)n;
	buf[n] = '\0';
	return 0;
}

static void read_sysctls(struct limits_ns *l)
{
	char path[96], buf[64];

	for (int k = 0; k < LIM_N_SYSCTLS; k++) {
		l->v[k] = LIM_ABSENT;
		if (lim_sysctls[k].global && !l->first)
			continue;
		snprintf(path, sizeof(path), "/proc/sys/%s", lim_sysctls[k].path);
		if (!limits_read_text(path, buf, sizeof(buf)) && limits_parse_int(buf, &l->v[k]))
			l->v[k] = LIM_ABSENT;
	}
	l->port_lo = l->port_hi = LIM_ABSENT;
	if (!limits_read_text("/proc/sys/net/ipv4/ip_local_port_range", buf, sizeof(buf)) &&
	    limits_parse_range(buf, &l->port_lo, &l->port_hi))
		l->port_lo = l->port_hi = LIM_ABSENT;
}

static int64_t counter(int (*parse)(const char *, const char *, uint64_t *), const char *text,
		       const char *name)
{
	uint64_t v;

	return parse(text, name, &v) ? LIM_ABSENT : (int64_t)v;
}

static int tcpext(const char *text, const char *name, uint64_t *out)
{
	return procnet_netstat(text, "TcpExt", name, out);
}

/* The namespace's counters. sockstat's "orphan" is tcp_orphan_count_sum(),
 * one count for the whole system, as tcp_max_orphans is one limit; its
 * "tw" is this namespace's (tcp_death_row.tw_refcount). */
static void read_counters(struct limits_ns *l)
{
	static char buf[16384];

	l->orphans = l->orphans_killed = l->tw = l->tw_overflow = LIM_ABSENT;
	if (!limits_read_text("/proc/thread-self/net/sockstat", buf, sizeof(buf))) {
		if (l->first)
			l->orphans = counter(procnet_sockstat_tcp, buf, "orphan");
		l->tw = counter(procnet_sockstat_tcp, buf, "tw");
	}
	if (!limits_read_text("/proc/thread-self/net/netstat", buf, sizeof(buf))) {
		l->orphans_killed = counter(tcpext, buf, "TCPAbortOnMemory");
		l->tw_overflow = counter(tcpext, buf, "TCPTimeWaitOverflow");
	}
}

struct port_ctx {
	struct limits_ns *l;
	struct hmap by_dest;
	int err;
};

static int on_sock(const struct sockdiag_sock *s, void *arg)
{
	struct port_ctx *c = arg;

	c->err = limits_count_sock(c->l, &c->by_dest, &s->tuple);
	return c->err;
}

/* Ports in use per destination, from a listing of the namespace's sockets. */
static void read_ports(struct limits_ns *l)
{
	struct port_ctx c = { .l = l };
	struct sockdiag *sd;
	int err = 0;

	l->ports_read = false;
	if (l->port_lo == LIM_ABSENT || hmap_init(&c.by_dest, sizeof(struct lim_dest)))
		return;
	sd = sockdiag__new();
	if (!sd)
		err = -errno;
	if (!err)
		err = sockdiag_dump(sd, AF_INET, PORT_STATES, on_sock, &c);
	if (err >= 0 && !c.err)
		err = sockdiag_dump(sd, AF_INET6, PORT_STATES, on_sock, &c);
	if (err >= 0 && !c.err) {
		limits_take_busiest(l, &c.by_dest);
		l->ports_read = true;
	} else {
		log_warn("cannot list the sockets of network namespace %llu: %s; ports in use not known",
			 (unsigned long long)l->netns, strerror(c.err ? -c.err : -err));
	}
	sockdiag__free(sd);
	hmap_fini(&c.by_dest);
}

int limits_read_here(void *arg)
{
	struct limits_ns *l = arg;

	read_sysctls(l);
	read_counters(l);
	read_ports(l);
	return 0;
}

int lim_out_open(struct lim_out *o, const char *json_path)
{
	const char *why = NULL;
	int fd;

	o->text = json_path && !strcmp(json_path, "-") ? NULL : stdout;
	o->json = NULL;
	if (!json_path)
		return 0;
	if (!strcmp(json_path, "-")) {
		o->json = stdout;
		return 0;
	}
	fd = safe_open_output(json_path, &why);
	o->json = fd < 0 ? NULL : fdopen(fd, "w");
	if (!o->json) {
		log_err("cannot write '%s': %s", json_path, why ? why : strerror(fd < 0 ? -fd : errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return 0;
}

static int print_ns(const struct lim_out *o, const struct limits_ns *l, bool sep)
{
	int err = 0;

	if (o->text && sep)
		fputc('\n', o->text);
	if (o->text)
		err = limits_print_text(o->text, l);
	if (o->json && !err)
		err = limits_print_json(o->json, l);
	return err;
}

int lim_out_close(struct lim_out *o, const char *json_path)
{
	int err = fflush(stdout) ? -errno : 0;

	if (o->json && o->json != stdout && fclose(o->json) && !err)
		err = -errno;
	if (err && err != -EPIPE)
		log_err("writing %s failed: %s", o->json && o->json != stdout ? json_path : "standard output",
			strerror(-err));
	return err && err != -EPIPE ? 1 : 0;
}

int limits_run(const char *json_path)
{
	struct netns_list nsl;
	struct limits_ns l;
	struct lim_out o;
	int err, rc = 0, shown = 0;

	if (lim_out_open(&o, json_path))
		return 1;
	/* Mounted ones too: a namespace whose processes have all exited keeps
	 * its settings (t_46 in the kernel matrix: its client had gone). */
	err = netns_list_mounted(&nsl);
	if (err) {
		log_err("cannot list the network namespaces: %s", strerror(-err));
		lim_out_close(&o, json_path);
		return 1;
	}
	for (size_t i = 0; i < nsl.n && !rc; i++) {
		memset(&l, 0, sizeof(l));
		l.netns = netns_id(nsl.fds[i]);
		l.first = i == 0;
		/* -ENOENT: the namespace went away since it was listed. */
		if (netns_list_run(&nsl, i, limits_read_here, &l) < 0)
			continue;
		rc = print_ns(&o, &l, shown++ > 0) ? 1 : 0;
	}
	netns_list_free(&nsl);
	return lim_out_close(&o, json_path) || rc;
}
