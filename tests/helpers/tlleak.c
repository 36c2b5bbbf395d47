// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * tlleak - the CLOSE_WAIT leaks of the ownership tests, on purpose.
 *
 *   tlleak server -a ADDR -p PORT [-n CONNS] [--mode eof|noread] [--fork]
 *                 [--ready-file F]
 *   tlleak client -a ADDR -p PORT [-n CONNS] [--send BYTES] [--close]
 *                 [--ready-file F]
 *
 * server: accepts CONNS connections (default 1) and never closes one.
 *   --mode eof     read to EOF (read() returns 0), keep the fd (default)
 *   --mode noread  never read: data and the FIN stay in the receive queue
 *   --fork         a child per connection handles it; the parent closes its
 *                  copy of the fd at once (the child is the only holder)
 * client: connects CONNS times, sends BYTES (default 0) on each, then
 *   closes them all with --close, or else keeps them open.
 * Both stay alive, holding their fds, until SIGTERM/SIGINT; the ready file
 * ("pid=PID") is written once all CONNS are set up (server: listening).
 *
 * Output (stdout, flushed, key=value; t is CLOCK_MONOTONIC seconds):
 *   listen pid=P port=N
 *   conn role=R pid=P fd=F lport=N rport=N t=S   (server: the handler's pid)
 *   eof pid=P fd=F lport=N rport=N t=S           (server, --mode eof)
 *   close pid=P fd=F lport=N rport=N t=S         (client, --close)
 *   done role=R n=N
 * Exit: 0 on SIGTERM/SIGINT, 1 on error, 64 on bad usage.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static struct {
	bool server;
	const char *addr;
	int port;
	long n;
	bool noread;
	bool fork;
	long send;
	bool close;
	const char *ready;
} o = { .n = 1 };

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void say(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	fflush(stdout);
}

static void die(const char *what)
{
	fprintf(stderr, "error %s: %s\n", what, strerror(errno));
	exit(1);
}

static int ports(int fd, int *lport, int *rport)
{
	struct sockaddr_storage a;
	socklen_t len = sizeof(a);

	if (getsockname(fd, (struct sockaddr *)&a, &len))
		return -1;
	*lport = ntohs(a.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&a)->sin6_port :
						 ((struct sockaddr_in *)&a)->sin_port);
	len = sizeof(a);
	if (getpeername(fd, (struct sockaddr *)&a, &len))
		return -1;
	*rport = ntohs(a.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&a)->sin6_port :
						 ((struct sockaddr_in *)&a)->sin_port);
	return 0;
}

static socklen_t make_addr(struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (strchr(o.addr, ':')) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;

		a->sin6_family = AF_INET6;
		a->sin6_port = htons(o.port);
		if (inet_pton(AF_INET6, o.addr, &a->sin6_addr) != 1)
			return 0;
		return sizeof(*a);
	}
	struct sockaddr_in *a = (struct sockaddr_in *)ss;

	a->sin_family = AF_INET;
	a->sin_port = htons(o.port);
	if (inet_pton(AF_INET, o.addr, &a->sin_addr) != 1)
		return 0;
	return sizeof(*a);
}

static void ready(void)
{
	char tmp[512];
	FILE *f;

	if (!o.ready)
		return;
	snprintf(tmp, sizeof(tmp), "%s.tmp", o.ready);
	f = fopen(tmp, "w");
	if (!f || fprintf(f, "pid=%d\n", (int)getpid()) < 0 || fclose(f) || rename(tmp, o.ready))
		die("writing the ready file");
}

static void report_eof(int fd)
{
	int lp = 0, rp = 0;

	ports(fd, &lp, &rp);
	say("eof pid=%d fd=%d lport=%d rport=%d t=%.6f\n", (int)getpid(), fd, lp, rp, now());
}

/* Read to EOF on a blocking fd; report it. */
static void drain(int fd)
{
	char buf[4096];
	ssize_t r;

	while ((r = read(fd, buf, sizeof(buf))) != 0) {
		if (r < 0 && errno != EINTR)
			die("read");
		if (stop)
			return;
	}
	report_eof(fd);
}

static void hold(void)
{
	while (!stop)
		pause();
}

static void report_conn(int fd)
{
	int lp = 0, rp = 0;

	ports(fd, &lp, &rp);
	say("conn role=server pid=%d fd=%d lport=%d rport=%d t=%.6f\n", (int)getpid(), fd, lp, rp,
	    now());
}

static int server(void)
{
	struct sockaddr_storage ss;
	socklen_t len = make_addr(&ss);
	struct pollfd *pf = calloc(o.n + 1, sizeof(*pf));
	int *rd = calloc(o.n, sizeof(int));       /* connections still being read */
	pid_t *kids = calloc(o.n, sizeof(pid_t)); /* --fork */
	int one = 1, lfd;
	long n = 0, nr = 0;

	if (!len || !pf || !rd || !kids)
		return 64;
	lfd = socket(ss.ss_family, SOCK_STREAM, 0);
	if (lfd < 0 || setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(lfd, (struct sockaddr *)&ss, len) || listen(lfd, 4096))
		die("listen");
	say("listen pid=%d port=%d\n", (int)getpid(), o.port);
	ready();
	while (!stop && (n < o.n || nr)) {
		int nfds = 0;

		if (n < o.n)
			pf[nfds++] = (struct pollfd){ .fd = lfd, .events = POLLIN };
		for (long i = 0; i < nr; i++)
			pf[nfds++] = (struct pollfd){ .fd = rd[i], .events = POLLIN };
		if (poll(pf, nfds, -1) < 0) {
			if (errno == EINTR)
				continue;
			die("poll");
		}
		for (int i = 0; i < nfds; i++) {
			char buf[4096];
			ssize_t r;
			int cfd;

			if (!pf[i].revents)
				continue;
			if (pf[i].fd != lfd) {
				r = read(pf[i].fd, buf, sizeof(buf));
				if (r < 0 && errno != EINTR)
					die("read");
				if (r != 0)
					continue;
				/* EOF: stop reading it, keep it open. */
				for (long k = 0; k < nr; k++)
					if (rd[k] == pf[i].fd)
						rd[k] = rd[--nr];
				report_eof(pf[i].fd);
				continue;
			}
			cfd = accept(lfd, NULL, NULL);
			if (cfd < 0)
				die("accept");
			if (!o.fork) {
				report_conn(cfd);
				if (!o.noread)
					rd[nr++] = cfd;
			} else if ((kids[n] = fork()) == 0) {
				close(lfd);
				report_conn(cfd);
				if (!o.noread)
					drain(cfd);
				hold();
				_exit(0);
			} else if (kids[n] < 0) {
				die("fork");
			} else {
				close(cfd); /* the child holds it now */
			}
			n++;
		}
	}
	say("done role=server n=%ld\n", n);
	hold();
	for (long i = 0; o.fork && i < n; i++)
		kill(kids[i], SIGTERM);
	while (o.fork && wait(NULL) > 0)
		;
	return 0;
}

static int client(void)
{
	struct sockaddr_storage ss;
	socklen_t len = make_addr(&ss);
	int *fds = calloc(o.n, sizeof(int));
	char *buf = o.send ? calloc(1, o.send) : NULL;
	int lp, rp;

	if (!len || !fds || (o.send && !buf))
		return 64;
	for (long i = 0; i < o.n; i++) {
		fds[i] = socket(ss.ss_family, SOCK_STREAM, 0);
		if (fds[i] < 0 || connect(fds[i], (struct sockaddr *)&ss, len))
			die("connect");
		if (o.send && write(fds[i], buf, o.send) != o.send)
			die("write");
		ports(fds[i], &lp, &rp);
		say("conn role=client pid=%d fd=%d lport=%d rport=%d t=%.6f\n", (int)getpid(), fds[i],
		    lp, rp, now());
	}
	for (long i = 0; o.close && i < o.n; i++) {
		ports(fds[i], &lp, &rp);
		say("close pid=%d fd=%d lport=%d rport=%d t=%.6f\n", (int)getpid(), fds[i], lp, rp,
		    now());
		close(fds[i]);
	}
	say("done role=client n=%ld\n", o.n);
	ready();
	hold();
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "mode", required_argument, NULL, 'm' },
		{ "fork", no_argument, NULL, 'f' },
		{ "send", required_argument, NULL, 's' },
		{ "close", no_argument, NULL, 'c' },
		{ "ready-file", required_argument, NULL, 'r' },
		{ NULL, 0, NULL, 0 },
	};
	struct sigaction sa = { .sa_handler = on_signal };
	struct rlimit rl = { 65536, 65536 };
	int c;

	if (argc < 2 || (strcmp(argv[1], "server") && strcmp(argv[1], "client"))) {
		fputs("usage: tlleak server|client -a ADDR -p PORT [options] (see the source)\n", stderr);
		return 64;
	}
	o.server = !strcmp(argv[1], "server");
	optind = 2;
	while ((c = getopt_long(argc, argv, "a:p:n:", opts, NULL)) != -1) {
		switch (c) {
		case 'a': o.addr = optarg; break;
		case 'p': o.port = atoi(optarg); break;
		case 'n': o.n = atol(optarg); break;
		case 'm':
			if (strcmp(optarg, "eof") && strcmp(optarg, "noread"))
				return 64;
			o.noread = !strcmp(optarg, "noread");
			break;
		case 'f': o.fork = true; break;
		case 's': o.send = atol(optarg); break;
		case 'c': o.close = true; break;
		case 'r': o.ready = optarg; break;
		default: return 64;
		}
	}
	if (!o.addr || o.port < 1 || o.port > 65535 || o.n < 1 || o.send < 0)
		return 64;
	/* Thousands of held connections: more fds than the usual 1024, as
	 * many as the hard limit allows when it cannot be raised. */
	if (setrlimit(RLIMIT_NOFILE, &rl)) {
		if (getrlimit(RLIMIT_NOFILE, &rl))
			die("getrlimit");
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl))
			die("setrlimit");
	}
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	return o.server ? server() : client();
}
