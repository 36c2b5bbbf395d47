// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * twdiag - what timewait tracking by NETLINK_SOCK_DIAG polling costs: the
 * dump a poller makes (TCP sockets in TIME_WAIT or FIN_WAIT2, IPv4 and
 * IPv6, each entry parsed for its tuple and idiag_expires), repeated and
 * timed. Run it in the network namespace whose sockets it should see.
 *
 *   twdiag [-n DUMPS]     (default 20)
 *
 * Output, one line:
 *   twdiag sockets=N dumps=K wall_ms_median=W wall_ms_max=M cpu_ms_per_dump=C
 * CPU is this process's user+system time (the kernel walks the socket
 * hash tables in our recvmsg() calls, so it is counted here).
 *
 * The tracer's own poller (src/sockdiag.c, issue 5/timewait work) did not
 * exist when this was written; this is the minimal libmnl dump it needs.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <libmnl/libmnl.h>
#include <linux/inet_diag.h>
#include <linux/sock_diag.h>

#define TCP_FIN_WAIT2 5
#define TCP_TIME_WAIT 6
#define RCVBUF (32 * 1024)

struct tally {
	unsigned long n;
	unsigned long long expires_sum; /* use the field, as a poller would */
	unsigned int port_xor;
};

static double now_ms(clockid_t c)
{
	struct timespec ts;

	clock_gettime(c, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int on_msg(const struct nlmsghdr *nlh, void *data)
{
	const struct inet_diag_msg *m = mnl_nlmsg_get_payload(nlh);
	struct tally *t = data;

	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(*m))
		return MNL_CB_ERROR;
	t->n++;
	t->expires_sum += m->idiag_expires;
	t->port_xor ^= m->id.idiag_sport ^ m->id.idiag_dport;
	return MNL_CB_OK;
}

static int dump(struct mnl_socket *nl, int family, unsigned int seq, char *buf, struct tally *t)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct inet_diag_req_v2 *req;
	unsigned int portid = mnl_socket_get_portid(nl);
	ssize_t len;
	int ret;

	nlh->nlmsg_type = SOCK_DIAG_BY_FAMILY;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	nlh->nlmsg_seq = seq;
	req = mnl_nlmsg_put_extra_header(nlh, sizeof(*req));
	req->sdiag_family = family;
	req->sdiag_protocol = IPPROTO_TCP;
	/* Filtered in the kernel: only the two substates of a timewait sock. */
	req->idiag_states = (1u << TCP_TIME_WAIT) | (1u << TCP_FIN_WAIT2);
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	do {
		len = mnl_socket_recvfrom(nl, buf, RCVBUF);
		if (len < 0)
			return -errno;
		ret = mnl_cb_run(buf, len, seq, portid, on_msg, t);
	} while (ret > MNL_CB_STOP);
	return ret < 0 ? -errno : 0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
	static char buf[RCVBUF];
	struct mnl_socket *nl;
	struct rusage r0, r1;
	struct tally t = {};
	double *wall, cpu;
	long dumps = 20;
	int c, err;

	while ((c = getopt(argc, argv, "n:")) != -1) {
		if (c != 'n' || (dumps = strtol(optarg, NULL, 10)) < 1 || dumps > 100000) {
			fprintf(stderr, "usage: twdiag [-n DUMPS]\n");
			return 64;
		}
	}
	wall = calloc(dumps, sizeof(*wall));
	nl = mnl_socket_open(NETLINK_SOCK_DIAG);
	if (!wall || !nl || mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		perror("twdiag: netlink");
		return 1;
	}
	getrusage(RUSAGE_SELF, &r0);
	for (long i = 0; i < dumps; i++) {
		double t0 = now_ms(CLOCK_MONOTONIC);

		t = (struct tally){};
		err = dump(nl, AF_INET, 2 * i + 1, buf, &t);
		if (!err)
			err = dump(nl, AF_INET6, 2 * i + 2, buf, &t);
		if (err) {
			fprintf(stderr, "twdiag: dump failed: %s\n", strerror(-err));
			return 1;
		}
		wall[i] = now_ms(CLOCK_MONOTONIC) - t0;
	}
	getrusage(RUSAGE_SELF, &r1);
	cpu = (r1.ru_utime.tv_sec - r0.ru_utime.tv_sec + r1.ru_stime.tv_sec - r0.ru_stime.tv_sec) * 1e3 +
	      (r1.ru_utime.tv_usec - r0.ru_utime.tv_usec + r1.ru_stime.tv_usec - r0.ru_stime.tv_usec) / 1e3;
	qsort(wall, dumps, sizeof(*wall), cmp_double);
	printf("twdiag sockets=%lu dumps=%ld wall_ms_median=%.2f wall_ms_max=%.2f cpu_ms_per_dump=%.2f\n",
	       t.n, dumps, wall[dumps / 2], wall[dumps - 1], cpu / dumps);
	mnl_socket_close(nl);
	free(wall);
	return 0;
}
