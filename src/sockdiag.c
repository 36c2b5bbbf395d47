// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <libmnl/libmnl.h>
#include "sockdiag.h"

/* A dump of 100 000 timewait socks is ~1 000 messages of this size;
 * the kernel fills each recv up to the buffer it is given (32 KiB skbs). */
#define SD_BUF_SIZE (64 * 1024)

struct sockdiag {
	struct mnl_socket *nl;
	unsigned int portid;
	unsigned int seq;
	char *buf;
};

struct sockdiag *sockdiag__new(void)
{
	struct sockdiag *sd = calloc(1, sizeof(*sd));
	int err;

	if (!sd)
		return NULL;
	sd->buf = malloc(SD_BUF_SIZE);
	sd->nl = mnl_socket_open(NETLINK_SOCK_DIAG);
	if (!sd->buf || !sd->nl || mnl_socket_bind(sd->nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		err = errno ? errno : ENOMEM;
		sockdiag__free(sd);
		errno = err;
		return NULL;
	}
	sd->portid = mnl_socket_get_portid(sd->nl);
	sd->seq = (unsigned int)time(NULL);
	return sd;
}

int sockdiag__new_into(void *slot)
{
	*(struct sockdiag **)slot = sockdiag__new();
	return 0;
}

void sockdiag__free(struct sockdiag *sd)
{
	if (!sd)
		return;
	if (sd->nl)
		mnl_socket_close(sd->nl);
	free(sd->buf);
	free(sd);
}

struct dump_ctx {
	int family;
	sockdiag_cb cb;
	void *arg;
	int count;
	bool stopped;
};

static void copy_addr(uint8_t dst[16], const __be32 src[4], int family)
{
	memset(dst, 0, 16);
	memcpy(dst, src, family == AF_INET ? 4 : 16);
}

/* INET_DIAG_SKMEMINFO: an array of u32 indexed by SK_MEMINFO_*; an older
 * kernel's shorter array has no SK_MEMINFO_DROPS (3.15+). */
static int on_attr(const struct nlattr *a, void *data)
{
	struct sockdiag_sock *s = data;
	const uint32_t *v;

	if (mnl_attr_get_type(a) != INET_DIAG_SKMEMINFO ||
	    mnl_attr_get_payload_len(a) < (SK_MEMINFO_DROPS + 1) * sizeof(uint32_t))
		return MNL_CB_OK;
	v = mnl_attr_get_payload(a);
	s->drops = v[SK_MEMINFO_DROPS];
	return MNL_CB_OK;
}

int sockdiag_parse_msg(const struct nlmsghdr *nlh, struct sockdiag_sock *s)
{
	const struct inet_diag_msg *m;
	/* Where the attributes start; the payload must reach it. */
	const size_t attrs = MNL_ALIGN(sizeof(*m));

	if (mnl_nlmsg_get_payload_len(nlh) < attrs)
		return -EPROTO;
	m = mnl_nlmsg_get_payload(nlh);
	memset(s, 0, sizeof(*s));
	s->tuple.family = m->idiag_family;
	s->tuple.sport = ntohs(m->id.idiag_sport);
	s->tuple.dport = ntohs(m->id.idiag_dport);
	copy_addr(s->tuple.saddr, m->id.idiag_src, m->idiag_family);
	copy_addr(s->tuple.daddr, m->id.idiag_dst, m->idiag_family);
	/* For a timewait sock the kernel reports its substate (FIN_WAIT2 or
	 * TIME_WAIT) here, and idiag_timer 3 with the time left. */
	s->state = m->idiag_state;
	s->timer = m->idiag_timer;
	s->expires_ms = m->idiag_expires;
	s->rqueue = m->idiag_rqueue;
	s->wqueue = m->idiag_wqueue;
	s->uid = m->idiag_uid;
	s->inode = m->idiag_inode;
	s->cookie = (uint64_t)m->id.idiag_cookie[0] | (uint64_t)m->id.idiag_cookie[1] << 32;
	s->drops = -1;
	/* Attributes end at nlmsg_len, not at its aligned end: libmnl 1.0.4's
	 * mnl_attr_parse() walks to MNL_ALIGN(nlmsg_len), up to 3 bytes past
	 * an unaligned message that ends the buffer (found by make fuzz). */
	mnl_attr_parse_payload((const char *)m + attrs, mnl_nlmsg_get_payload_len(nlh) - attrs,
			       on_attr, s);
	return 0;
}

static int on_msg(const struct nlmsghdr *nlh, void *data)
{
	struct dump_ctx *ctx = data;
	struct sockdiag_sock s;

	if (sockdiag_parse_msg(nlh, &s)) {
		errno = EPROTO;
		return MNL_CB_ERROR;
	}
	if (s.tuple.family != ctx->family)
		return MNL_CB_OK;
	ctx->count++;
	if (ctx->cb(&s, ctx->arg)) {
		ctx->stopped = true;
		return MNL_CB_STOP;
	}
	return MNL_CB_OK;
}

/* One read of the dump. A signal (SIGUSR1's rotation, a stop) interrupts
 * the wait with EINTR, the tool's handlers having no SA_RESTART so that
 * its poll returns: the replies stay queued, so read again. Failing the
 * listing instead made the namespace look unreachable, and its timewait
 * socks were settled unconfirmed (seen in make soak). */
static ssize_t dump_recv(struct sockdiag *sd)
{
	ssize_t n;

	do
		n = mnl_socket_recvfrom(sd->nl, sd->buf, SD_BUF_SIZE);
	while (n < 0 && errno == EINTR);
	return n;
}

static int dump(struct sockdiag *sd, int family, uint32_t states, uint8_t ext, sockdiag_cb cb,
		void *arg)
{
	struct dump_ctx ctx = { .family = family, .cb = cb, .arg = arg };
	struct inet_diag_req_v2 *req;
	struct nlmsghdr *nlh;
	unsigned int seq = ++sd->seq;
	ssize_t n;
	int ret;

	nlh = mnl_nlmsg_put_header(sd->buf);
	nlh->nlmsg_type = SOCK_DIAG_BY_FAMILY;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	nlh->nlmsg_seq = seq;
	req = mnl_nlmsg_put_extra_header(nlh, sizeof(*req));
	req->sdiag_family = family;
	req->sdiag_protocol = IPPROTO_TCP;
	/* The kernel skips every socket whose state bit is clear: with 100 000
	 * timewait socks and a filter for LISTEN only, nothing is copied. */
	req->idiag_states = states;
	req->idiag_ext = ext;

	/* A netlink send does not block: no EINTR to retry. */
	if (mnl_socket_sendto(sd->nl, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	for (;;) {
		n = dump_recv(sd);
		if (n < 0)
			return -errno;
		errno = 0;
		ret = mnl_cb_run(sd->buf, n, seq, sd->portid, on_msg, &ctx);
		if (ret == MNL_CB_STOP)
			break;
		if (ret < 0)
			return errno ? -errno : -EPROTO;
	}
	if (ctx.stopped) {
		/* The rest of the dump is still queued on the socket: drain it so
		 * the next request's replies start clean. */
		do {
			n = dump_recv(sd);
			if (n < 0)
				return -errno;
			ret = mnl_cb_run(sd->buf, n, seq, sd->portid, NULL, NULL);
		} while (ret > 0);
	}
	return ctx.count;
}

int sockdiag_dump(struct sockdiag *sd, int family, uint32_t states, sockdiag_cb cb, void *arg)
{
	return dump(sd, family, states, 0, cb, arg);
}

int sockdiag_dump_mem(struct sockdiag *sd, int family, uint32_t states, sockdiag_cb cb, void *arg)
{
	return dump(sd, family, states, 1u << (INET_DIAG_SKMEMINFO - 1), cb, arg);
}
