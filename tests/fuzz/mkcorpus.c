// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Writes the binary seeds of tests/fuzz/corpus/{decode,sockdiag}: one valid
 * ring-buffer record of each type, and sock_diag replies as the kernel
 * sends them. The seeds are committed; this regenerates them:
 *   cc -std=gnu11 -Isrc -Ibpf tests/fuzz/mkcorpus.c -o /tmp/mkcorpus
 *   /tmp/mkcorpus tests/fuzz/corpus
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include "tcplife.h"

static const char *dir;

static void put(const char *sub, const char *name, const void *p, size_t n)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s/%s", dir, sub, name);
	f = fopen(path, "wb");
	if (!f || fwrite(p, 1, n, f) != n || fclose(f)) {
		perror(path);
		exit(1);
	}
}

static struct tl_event rec(__u8 type, __u8 kind, __u8 oldstate, __u8 newstate, int v6)
{
	struct tl_event e = { .type = type, .kind = kind, .oldstate = oldstate,
			      .newstate = newstate, .netns = 4026531840u,
			      .ts_ns = 123456789000ull, .skaddr = 0xffff888812345678ull,
			      .birth_ns = 123000000000ull };

	e.tuple.family = v6 ? 10 : 2;
	e.tuple.sport = 8080;
	e.tuple.dport = 51234;
	if (v6) {
		e.tuple.saddr[15] = 1;
		e.tuple.daddr[15] = 1;
	} else {
		memcpy(e.tuple.saddr, "\x7f\x00\x00\x01", 4);
		memcpy(e.tuple.daddr, "\x0a\x00\x00\x02", 4);
	}
	e.owner.pid = 4242;
	e.owner.tid = 4243;
	memcpy(e.owner.comm, "curl", 5);
	e.own.fd = 3;
	e.own.cgroup = 9999;
	e.own.req_rto_ms = TL_REQ_RTO_UNKNOWN;
	return e;
}

static void decode_seeds(void)
{
	struct tl_event e;

	e = rec(TL_REC_STATE, 0, TL_SYN_SENT, TL_ESTABLISHED, 0);
	e.flags = TL_F_BIRTH_SEEN | TL_F_OWNER_KNOWN;
	put("decode", "state_v4", &e, sizeof(e));
	e = rec(TL_REC_STATE, 0, TL_LAST_ACK, TL_CLOSE, 1);
	e.flags = TL_F_PEER_FIN;
	e.bytes_acked = 1000;
	e.bytes_received = 2000;
	put("decode", "state_close_v6", &e, sizeof(e));
	e = rec(TL_REC_RETRANS, TL_RT_DATA, TL_ESTABLISHED, TL_ESTABLISHED, 0);
	put("decode", "retrans", &e, sizeof(e));
	e = rec(TL_REC_RESET, TL_RST_RECV, TL_SYN_SENT, TL_SYN_SENT, 0);
	put("decode", "reset", &e, sizeof(e));
	e = rec(TL_REC_SYNACK, 0, TL_LISTEN, TL_LISTEN, 1);
	e.skaddr = 0;
	put("decode", "synack", &e, sizeof(e));
	e = rec(TL_REC_FIN, 0, TL_ESTABLISHED, TL_ESTABLISHED, 0);
	put("decode", "fin", &e, sizeof(e));
	e = rec(TL_REC_OWNER, 0, TL_ESTABLISHED, TL_ESTABLISHED, 0);
	put("decode", "owner", &e, sizeof(e));
	e = rec(TL_REC_TW, TL_TW_END, TL_TIME_WAIT, TL_TIME_WAIT, 0);
	e.flags = TL_F_EXPIRED;
	put("decode", "tw_end", &e, sizeof(e));
	e = rec(TL_REC_REQ, TL_REQ_BEGIN, TL_NEW_SYN_RECV, TL_NEW_SYN_RECV, 1);
	put("decode", "req", &e, sizeof(e));
	e = rec(TL_REC_SEED, 0, TL_CLOSE_WAIT, TL_CLOSE_WAIT, 0);
	put("decode", "seed", &e, sizeof(e));
	e = rec(TL_REC_HOLDER, TL_HOLDER_OTHER, TL_ESTABLISHED, TL_ESTABLISHED, 0);
	put("decode", "holder", &e, sizeof(e));
	/* One byte short of a record. */
	put("decode", "short", &e, sizeof(e) - 1);
}

/* One SOCK_DIAG_BY_FAMILY reply at p; returns its aligned length. */
static size_t diag_msg(char *p, int family, __u8 state, __u8 timer, int with_attr)
{
	struct nlmsghdr *nlh = (struct nlmsghdr *)p;
	struct inet_diag_msg *m = NLMSG_DATA(nlh);
	size_t len = NLMSG_LENGTH(sizeof(*m));

	memset(p, 0, NLMSG_SPACE(sizeof(*m)) + 64);
	nlh->nlmsg_type = SOCK_DIAG_BY_FAMILY;
	nlh->nlmsg_flags = NLM_F_MULTI;
	nlh->nlmsg_seq = 1;
	nlh->nlmsg_pid = 1234;
	m->idiag_family = family;
	m->idiag_state = state;
	m->idiag_timer = timer;
	m->idiag_expires = timer == 3 ? 59000 : 0;
	m->idiag_rqueue = 10;
	m->idiag_wqueue = 20;
	m->idiag_uid = 1000;
	m->idiag_inode = timer == 3 ? 0 : 424242;
	m->id.idiag_sport = htons(8080);
	m->id.idiag_dport = htons(51234);
	m->id.idiag_cookie[0] = 0x1234;
	m->id.idiag_cookie[1] = 0x5678;
	if (family == AF_INET) {
		m->id.idiag_src[0] = htonl(0x7f000001);
		m->id.idiag_dst[0] = htonl(0x0a000002);
	} else {
		m->id.idiag_src[3] = htonl(1);
		m->id.idiag_dst[3] = htonl(1);
	}
	if (with_attr) {
		/* An INET_DIAG_SHUTDOWN attribute, as an ss dump carries. */
		struct nlattr *a = (struct nlattr *)(p + NLMSG_ALIGN(len));

		a->nla_type = INET_DIAG_SHUTDOWN;
		a->nla_len = NLA_HDRLEN + 1;
		((char *)a)[NLA_HDRLEN] = 3;
		len = NLMSG_ALIGN(len) + NLA_ALIGN(a->nla_len);
	}
	nlh->nlmsg_len = len;
	return NLMSG_ALIGN(len);
}

static size_t done_msg(char *p)
{
	struct nlmsghdr *nlh = (struct nlmsghdr *)p;

	memset(p, 0, NLMSG_SPACE(sizeof(int)));
	nlh->nlmsg_len = NLMSG_LENGTH(sizeof(int));
	nlh->nlmsg_type = NLMSG_DONE;
	nlh->nlmsg_flags = NLM_F_MULTI;
	nlh->nlmsg_seq = 1;
	nlh->nlmsg_pid = 1234;
	return NLMSG_SPACE(sizeof(int));
}

static void sockdiag_seeds(void)
{
	char buf[4096];
	size_t n;

	n = diag_msg(buf, AF_INET, 1 /* ESTABLISHED */, 0, 0);
	put("sockdiag", "established_v4", buf, n);
	n = diag_msg(buf, AF_INET6, 6 /* TIME_WAIT */, 3, 0);
	put("sockdiag", "timewait_v6", buf, n);
	n = diag_msg(buf, AF_INET, 10 /* LISTEN */, 0, 1);
	put("sockdiag", "listen_attr_v4", buf, n);
	/* A whole dump in one buffer: two sockets, then NLMSG_DONE. */
	n = diag_msg(buf, AF_INET, 8 /* CLOSE_WAIT */, 2, 0);
	n += diag_msg(buf + n, AF_INET6, 1, 1, 1);
	n += done_msg(buf + n);
	put("sockdiag", "dump_done", buf, n);
	/* A reply too short for an inet_diag_msg. */
	n = diag_msg(buf, AF_INET, 1, 0, 0);
	((struct nlmsghdr *)buf)->nlmsg_len = NLMSG_LENGTH(8);
	put("sockdiag", "short_payload", buf, NLMSG_SPACE(8));
	/* An error reply (ENOENT), as for a family the kernel lacks. */
	{
		struct nlmsghdr *nlh = (struct nlmsghdr *)buf;
		struct nlmsgerr *err = NLMSG_DATA(nlh);

		memset(buf, 0, sizeof(buf));
		nlh->nlmsg_len = NLMSG_LENGTH(sizeof(*err));
		nlh->nlmsg_type = NLMSG_ERROR;
		nlh->nlmsg_seq = 1;
		err->error = -2;
		put("sockdiag", "error", buf, NLMSG_SPACE(sizeof(*err)));
	}
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: %s CORPUS_DIR\n", argv[0]);
		return 2;
	}
	dir = argv[1];
	decode_seeds();
	sockdiag_seeds();
	return 0;
}
