// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * churn - TCP connection churn (and connection hoarding) for `make bench`.
 * One process holds both ends: a listener with epoll server threads and
 * blocking client threads. libc only.
 *
 *   churn [options]
 *     -6            IPv6 (::1) instead of IPv4 (127.0.0.1)
 *     -p PORT       server port (default 5001)
 *     -A NADDR      spread clients over NADDR destination addresses,
 *                   127.0.0.1 .. 127.0.0.NADDR (IPv4 only; default 1).
 *                   Each address gives another ephemeral port range of
 *                   4-tuples: needed for >28k TIME_WAIT or open sockets.
 *     -n CONNS      connections to make (0 = until -t expires)
 *     -t SECS       stop after SECS seconds (default 0 = until -n done)
 *     -c THREADS    client threads (default 2)
 *     -S THREADS    server threads (default 1)
 *     --hold MS     keep each connection open MS ms before the close
 *     --server-first  the server closes first (default: the client does,
 *                   which leaves the TIME_WAIT on the client side)
 *     --keep        do not close anything: open -n connections, print
 *                   "ready open=N", then wait for SIGTERM/SIGINT. The
 *                   server never accepts (the kernel keeps the children
 *                   ESTABLISHED in the accept queue: raise net.core.somaxconn
 *                   in the namespace), and the clients are spread over
 *                   processes of KEEP_PER_PROC sockets each, so neither end
 *                   needs more descriptors than RLIMIT_NOFILE allows (a
 *                   container without CAP_SYS_RESOURCE cannot raise it).
 *
 * Output, one line on stdout:
 *   done conns=N errors=E elapsed=S rate=R
 * (rate = completed connections per second). Exit 0 when no error.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static struct {
	bool v6, server_first, keep;
	int port, naddr, clients, servers;
	long n, hold_ms;
	double secs;
} o = { .port = 5001, .naddr = 1, .clients = 2, .servers = 1 };

#define KEEP_PER_PROC 16000

static int lfd = -1;
static atomic_long started, done, errors;
static atomic_bool stop;
static double deadline;

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void on_signal(int sig)
{
	(void)sig;
	stop = true;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR && !stop)
		;
}

/* Read until EOF (or reset), then close: the passive end of an orderly close. */
static void drain_close(int fd)
{
	char buf[256];

	while (read(fd, buf, sizeof(buf)) > 0)
		;
	close(fd);
}

static void *server(void *arg)
{
	int ep = epoll_create1(0);
	struct epoll_event ev = { .events = EPOLLIN | EPOLLEXCLUSIVE, .data.fd = -1 }, evs[64];

	(void)arg;
	if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev)) {
		perror("churn: epoll");
		exit(1);
	}
	while (!stop) {
		int n = epoll_wait(ep, evs, 64, 100);

		for (int i = 0; i < n; i++) {
			int fd = evs[i].data.fd;

			if (fd >= 0) { /* the peer closed first: EOF is here */
				drain_close(fd);
				continue;
			}
			while ((fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK)) >= 0) {
				struct epoll_event cev = { .events = EPOLLIN | EPOLLRDHUP, .data.fd = fd };

				if (o.server_first) {
					if (o.hold_ms)
						sleep_ms(o.hold_ms);
					close(fd);
				} else if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &cev)) {
					close(fd);
					atomic_fetch_add(&errors, 1);
				}
			}
			if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
				if (errno == EMFILE || errno == ENFILE) {
					perror("churn: accept");
					exit(1);
				}
				atomic_fetch_add(&errors, 1);
			}
		}
	}
	close(ep);
	return NULL;
}

static void dest(long i, struct sockaddr_storage *ss, socklen_t *len)
{
	memset(ss, 0, sizeof(*ss));
	if (o.v6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(o.port);
		s6->sin6_addr = in6addr_loopback;
		*len = sizeof(*s6);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)ss;

		s4->sin_family = AF_INET;
		s4->sin_port = htons(o.port);
		s4->sin_addr.s_addr = htonl(0x7f000001 + (uint32_t)(i % o.naddr));
		*len = sizeof(*s4);
	}
}

static void *client(void *arg)
{
	(void)arg;
	while (!stop) {
		struct sockaddr_storage ss;
		socklen_t len;
		long i = atomic_fetch_add(&started, 1);
		int fd;

		if ((o.n && i >= o.n) || (o.secs > 0 && now_s() >= deadline))
			break;
		dest(i, &ss, &len);
		fd = socket(ss.ss_family, SOCK_STREAM, 0);
		if (fd < 0 || connect(fd, (struct sockaddr *)&ss, len)) {
			if (errno == EMFILE || errno == ENFILE || errno == EADDRNOTAVAIL) {
				perror("churn: connect");
				exit(1);
			}
			if (fd >= 0)
				close(fd);
			atomic_fetch_add(&errors, 1);
			continue;
		}
		if (o.keep) {
			atomic_fetch_add(&done, 1);
			continue;
		}
		if (o.hold_ms && !o.server_first)
			sleep_ms(o.hold_ms);
		if (o.server_first)
			drain_close(fd);
		else
			close(fd);
		atomic_fetch_add(&done, 1);
	}
	return NULL;
}

/* --keep: client processes of KEEP_PER_PROC sockets each, started one
 * after the other; each reports how many it opened on a pipe, then holds
 * them until killed. */
static int keep(void)
{
	long procs = (o.n + KEEP_PER_PROC - 1) / KEEP_PER_PROC, total = 0, errs = 0;
	double t0 = now_s();
	pid_t *pids = calloc(procs, sizeof(*pids));
	int pfd[2];

	if (!pids || pipe(pfd))
		return 1;
	for (long p = 0; p < procs; p++) {
		pids[p] = fork();
		if (pids[p] < 0) {
			perror("churn: fork");
			stop = true;
			break;
		}
		if (pids[p] == 0) {
			pthread_t th[256];
			long got[2];

			/* Each child spreads its share over all the addresses. */
			o.n = o.n / procs + (p < o.n % procs);
			atomic_store(&started, 0);
			for (int i = 0; i < o.clients; i++)
				pthread_create(&th[i], NULL, client, NULL);
			for (int i = 0; i < o.clients; i++)
				pthread_join(th[i], NULL);
			got[0] = atomic_load(&done);
			got[1] = atomic_load(&errors);
			if (write(pfd[1], got, sizeof(got)) != sizeof(got))
				_exit(1);
			while (!stop)
				pause();
			_exit(0);
		}
		/* One child at a time: concurrency stays -c threads. */
		long got[2];

		if (read(pfd[0], got, sizeof(got)) != sizeof(got))
			break;
		total += got[0];
		errs += got[1];
	}
	printf("ready open=%ld errors=%ld elapsed=%.3f\n", total, errs, now_s() - t0);
	fflush(stdout);
	while (!stop)
		pause();
	for (long p = 0; p < procs; p++)
		if (pids[p] > 0)
			kill(pids[p], SIGTERM);
	for (long p = 0; p < procs; p++)
		if (pids[p] > 0)
			waitpid(pids[p], NULL, 0);
	free(pids);
	return errs ? 1 : 0;
}

static long num(const char *s, long min, long max)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < min || v > max) {
		fprintf(stderr, "churn: bad number '%s' (%ld..%ld)\n", s, min, max);
		exit(64);
	}
	return v;
}

static void usage(void)
{
	fprintf(stderr, "usage: churn [-6] [-p PORT] [-A NADDR] [-n CONNS] [-t SECS] [-c THREADS] "
			"[-S THREADS] [--hold MS] [--server-first] [--keep]\n");
	exit(64);
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "hold", required_argument, NULL, 'H' },
		{ "server-first", no_argument, NULL, 'F' },
		{ "keep", no_argument, NULL, 'K' },
		{ NULL, 0, NULL, 0 },
	};
	struct sigaction sa = { .sa_handler = on_signal };
	struct sockaddr_storage ss;
	struct rlimit rl;
	pthread_t *th;
	socklen_t len;
	double t0, el;
	int c, one = 1;

	while ((c = getopt_long(argc, argv, "6p:A:n:t:c:S:", lo, NULL)) != -1) {
		switch (c) {
		case '6': o.v6 = true; break;
		case 'p': o.port = num(optarg, 1, 65535); break;
		case 'A': o.naddr = num(optarg, 1, 250); break;
		case 'n': o.n = num(optarg, 0, 100000000); break;
		case 't': o.secs = num(optarg, 0, 86400); break;
		case 'c': o.clients = num(optarg, 1, 256); break;
		case 'S': o.servers = num(optarg, 1, 64); break;
		case 'H': o.hold_ms = num(optarg, 0, 3600000); break;
		case 'F': o.server_first = true; break;
		case 'K': o.keep = true; break;
		default: usage();
		}
	}
	if (optind < argc || (!o.n && o.secs <= 0) || (o.keep && !o.n))
		usage();
	if (o.v6 && o.naddr > 1) {
		fprintf(stderr, "churn: -A is for IPv4 only\n");
		return 64;
	}
	if (!getrlimit(RLIMIT_NOFILE, &rl)) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	dest(0, &ss, &len);
	if (!o.v6)
		((struct sockaddr_in *)&ss)->sin_addr.s_addr = htonl(INADDR_ANY);
	lfd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK, 0);
	if (lfd < 0 || setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(lfd, (struct sockaddr *)&ss, len) || listen(lfd, o.keep ? INT32_MAX : 4096)) {
		perror("churn: listen");
		return 1;
	}
	if (o.keep)
		return keep();
	th = calloc(o.clients + o.servers, sizeof(*th));
	if (!th)
		return 1;
	for (int i = 0; i < o.servers; i++)
		pthread_create(&th[i], NULL, server, NULL);
	t0 = now_s();
	deadline = t0 + o.secs;
	for (int i = 0; i < o.clients; i++)
		pthread_create(&th[o.servers + i], NULL, client, NULL);
	for (int i = 0; i < o.clients; i++)
		pthread_join(th[o.servers + i], NULL);
	el = now_s() - t0;
	stop = true;
	for (int i = 0; i < o.servers; i++)
		pthread_join(th[i], NULL);
	printf("done conns=%ld errors=%ld elapsed=%.3f rate=%.0f\n", atomic_load(&done),
	       atomic_load(&errors), el, atomic_load(&done) / el);
	free(th);
	return atomic_load(&errors) ? 1 : 0;
}
