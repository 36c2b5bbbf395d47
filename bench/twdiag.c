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
 * The dump is the tracer's own (src/sockdiag.c), so this is what its
 * timewait listing costs per poll.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include "sockdiag.h"

struct tally {
	unsigned long n;
	unsigned long long expires_sum; /* use the fields, as a poller would */
	unsigned int port_xor;
};

static double now_ms(clockid_t c)
{
	struct timespec ts;

	clock_gettime(c, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int on_sock(const struct sockdiag_sock *s, void *arg)
{
	struct tally *t = arg;

	t->n++;
	t->expires_sum += s->expires_ms;
	t->port_xor ^= s->tuple.sport ^ s->tuple.dport;
	return 0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
	/* Only the two substates of a timewait sock, filtered in the kernel. */
	const uint32_t states = (1u << TL_TIME_WAIT) | (1u << TL_FIN_WAIT2);
	struct sockdiag *sd;
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
	sd = sockdiag__new();
	if (!wall || !sd) {
		perror("twdiag: netlink");
		return 1;
	}
	getrusage(RUSAGE_SELF, &r0);
	for (long i = 0; i < dumps; i++) {
		double t0 = now_ms(CLOCK_MONOTONIC);

		t = (struct tally){};
		err = sockdiag_dump(sd, AF_INET, states, on_sock, &t);
		if (err >= 0)
			err = sockdiag_dump(sd, AF_INET6, states, on_sock, &t);
		if (err < 0) {
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
	sockdiag__free(sd);
	free(wall);
	return 0;
}
