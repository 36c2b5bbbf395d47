// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * tlpeer - scripted TCP client/server for the tcplife-states integration
 * tests. libc only (threads come from libc on glibc >= 2.34); one file.
 *
 *   tlpeer server -a ADDR -p PORT [options]
 *   tlpeer client -a ADDR -p PORT [options]
 *   tlpeer now      CLOCK_MONOTONIC as S.uuuuuu (the clock of every t= below
 *                   and of bpf_ktime_get_ns()): tests bracket phases with it
 *
 * ADDR is a numeric IPv4 or IPv6 address (127.0.0.1, ::1); the family
 * follows from it.
 *
 * Every connection runs the same script, on either side, timed from the
 * moment it was established (connect() returned / accept() returned), or
 * with --go-file F from the moment F exists (reading meanwhile), so a test
 * can put its set-up in place first and then say go:
 *
 *   1. send:      --send BYTES (client default 16, server default 0),
 *                 at --send-at MS (default: at once)
 *   2. shutdown:  --shutdown-wr-at MS: shutdown(SHUT_WR) at MS, then the
 *                 close policy becomes --close-after-eof
 *   3. close policy, one of:
 *        --close-first      close right after step 1/2 (client default)
 *        --close-after-eof  read to EOF, then close (server default);
 *        --wait-eof         the same, the client's spelling
 *        --hold-close-wait MS  read to EOF, stay in CLOSE_WAIT MS, close
 *        --never-close      read to EOF, keep the socket open until killed
 *        --close-after-reset  read to EOF, then wait for the peer's reset
 *                           (the socket in CLOSE), then close: no FIN can
 *                           race the reset, whatever the scheduling
 *        --close-at MS      close at MS whatever happened (reading
 *                           whatever arrives until then)
 *   4. close:     close(); with --linger0 SO_LINGER {1,0} first, so the
 *                 close is abortive (RST, no FIN, no TIME_WAIT)
 *
 * While it waits for a deadline, a connection keeps reading, so unread
 * data never turns a close into a reset by accident.
 *
 * Options for both roles:
 *   -n CONNS          connections to make / accept (server: 0 = forever;
 *                     default 1)
 *   -c CONCURRENCY    client: parallel workers (default 1); server: accept
 *                     threads (default min(CONNS, 64), 64 when CONNS is 0)
 *   --allow-reset     ECONNRESET/EPIPE from the peer is not an error
 *   --quiet           no per-connection lines (churn); `done` still printed
 *   --timeout MS      give up (exit 2) after MS (default 120000; 0 = never)
 *   --pidfile F       write the pid to F at start
 *   --go-file F       hold each connection's script until F exists
 * Client only:
 *   --bind-port P     bind the local port first (SO_REUSEADDR); -n 1 only
 *   --bind-addr A     with --bind-port: bind that local address (same
 *                     family as ADDR; default ADDR itself, for loopback)
 *   --connect-timeout MS  SO_SNDTIMEO on connect (default: the kernel's
 *                     SYN retries, a plain blocking connect)
 *   --nonblock HOW    a non-blocking connect(): EINPROGRESS, then poll()
 *                     until the socket is writable, then the outcome read
 *                     as HOW says: so_error (getsockopt SO_ERROR) or
 *                     connect (connect() again, which returns the error
 *                     the kernel kept, or 0/EISCONN once connected);
 *                     failures are `error ... connect ...` lines as for a
 *                     blocking connect
 * Server only:
 *   --ready-file F    written (atomically, "pid=PID port=PORT") once
 *                     listening
 *   --backlog N       listen() backlog (default 4096)
 *   --no-accept       server: listen and never accept (children stay queued);
 *                     with --go-file F, accept once F exists
 *
 * Output (stdout, one line per event, key=value, flushed at once; t is
 * CLOCK_MONOTONIC seconds, the clock bpf_ktime_get_ns() reads):
 *   start role=R pid=PID
 *   listen role=server family=ipv4 addr=A port=P pid=PID
 *   connecting role=client id=K t=S           (just before connect())
 *   conn role=R id=K family=F laddr=A lport=N raddr=A rport=N pid=PID tid=T t=S
 *   event role=R lport=N rport=N ev=go t=S    (--go-file: F appeared)
 *   event role=R lport=N rport=N ev=sent|shutdown_wr|eof|reset bytes=B t=S
 *   close role=R lport=N rport=N how=fin|rst rx=B tx=B eof=0|1 reset=0|1 tcall=S t=S
 *                     (tcall: just before close(); t: once it returned)
 *   done role=R n=DONE errors=E resets=R elapsed=S
 * Errors go to stderr as `error ...`.
 *
 * Exit: 0 when every connection ran its script without error (a server
 * stopped by SIGINT/SIGTERM also exits 0 when nothing failed); 1 on any
 * error or, for a client, when fewer than CONNS connections completed;
 * 2 on --timeout; 64 on bad usage.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum role { R_CLIENT, R_SERVER };
enum policy { P_DEFAULT, P_FIRST, P_AFTER_EOF, P_NEVER, P_AFTER_RESET };

static struct {
	enum role role;
	const char *addr;
	int port;
	int family;
	struct sockaddr_storage ss;
	socklen_t sslen;
	long n;
	long conc;
	long send_bytes; /* -1 = role default */
	long send_at;    /* ms; -1 = at once */
	enum policy policy;
	long hold_ms;
	long close_at;   /* ms; -1 = unset */
	long shutdown_at; /* ms; -1 = unset */
	bool linger0;
	bool allow_reset;
	bool quiet;
	int bind_port;
	const char *bind_addr;
	struct sockaddr_storage bind_ss; /* bind_addr, parsed */
	long connect_timeout;
	int nonblock; /* 0: blocking; 1: SO_ERROR; 2: connect() again */
	long timeout_ms;
	const char *pidfile;
	const char *readyfile;
	const char *gofile;
	int backlog;
	bool no_accept;
} o = {
	.n = 1,
	.conc = 0,
	.send_bytes = -1,
	.send_at = -1,
	.close_at = -1,
	.shutdown_at = -1,
	.timeout_ms = 120000,
	.backlog = 4096,
};

static const char *rname(void)
{
	return o.role == R_CLIENT ? "client" : "server";
}

static pthread_mutex_t out_lock = PTHREAD_MUTEX_INITIALIZER;
static atomic_long next_id;
static atomic_long n_done;
static atomic_long n_errors;
static atomic_long n_resets;
static atomic_long workers_left;
static int listen_fd = -1;

static void out(bool always, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void out(bool always, const char *fmt, ...)
{
	va_list ap;

	if (o.quiet && !always)
		return;
	pthread_mutex_lock(&out_lock);
	va_start(ap, fmt);
	vfprintf(stdout, fmt, ap);
	va_end(ap);
	fflush(stdout);
	pthread_mutex_unlock(&out_lock);
}

static void err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void err(const char *fmt, ...)
{
	va_list ap;

	atomic_fetch_add(&n_errors, 1);
	pthread_mutex_lock(&out_lock);
	fprintf(stderr, "error role=%s ", rname());
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	fflush(stderr);
	pthread_mutex_unlock(&out_lock);
}

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* "S.uuuuuu" in a static-per-call buffer supplied by the caller */
static const char *tfmt(char *buf, size_t len, long long ns)
{
	snprintf(buf, len, "%lld.%06lld", ns / 1000000000LL, (ns % 1000000000LL) / 1000);
	return buf;
}

struct conn {
	int fd;
	long id;
	int lport, rport;
	long long t0;
	long rx, tx;
	bool eof, reset;
};

static void addr_str(const struct sockaddr_storage *ss, char *buf, size_t len, int *port)
{
	if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const void *)ss;

		inet_ntop(AF_INET6, &s6->sin6_addr, buf, len);
		*port = ntohs(s6->sin6_port);
	} else {
		const struct sockaddr_in *s4 = (const void *)ss;

		inet_ntop(AF_INET, &s4->sin_addr, buf, len);
		*port = ntohs(s4->sin_port);
	}
}

static void peer_gone(struct conn *c, int e, const char *what)
{
	char tb[32];

	c->reset = true;
	atomic_fetch_add(&n_resets, 1);
	out(false, "event role=%s lport=%d rport=%d ev=reset errno=%s during=%s t=%s\n", rname(),
	    c->lport, c->rport, strerrorname_np(e) ? strerrorname_np(e) : "?", what,
	    tfmt(tb, sizeof(tb), now_ns()));
	if (!o.allow_reset)
		err("id=%ld lport=%d rport=%d %s: %s", c->id, c->lport, c->rport, what, strerror(e));
}

/*
 * Read whatever arrives until `deadline` (ns, CLOCK_MONOTONIC; LLONG_MAX =
 * none). Returns early on EOF / reset when stop_on_eof. After EOF or a
 * reset there is nothing left to read: just sleep to the deadline.
 * Returns -1 on a hard error.
 */
static int wait_until(struct conn *c, long long deadline, bool stop_on_eof)
{
	char buf[65536];
	char tb[32];

	for (;;) {
		long long now = now_ns();

		if (c->eof || c->reset) {
			if (stop_on_eof || deadline == LLONG_MAX)
				return 0;
			if (now >= deadline)
				return 0;
			struct timespec ts = { deadline / 1000000000LL, deadline % 1000000000LL };
			while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
				;
			return 0;
		}
		if (deadline != LLONG_MAX && now >= deadline)
			return 0;
		int tmo = -1;
		if (deadline != LLONG_MAX)
			tmo = (int)((deadline - now + 999999) / 1000000);
		struct pollfd p = { .fd = c->fd, .events = POLLIN };
		int r = poll(&p, 1, tmo);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			err("id=%ld poll: %s", c->id, strerror(errno));
			return -1;
		}
		if (r == 0)
			continue; /* re-check the clock */
		ssize_t got = recv(c->fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (got > 0) {
			c->rx += got;
		} else if (got == 0) {
			c->eof = true;
			out(false, "event role=%s lport=%d rport=%d ev=eof bytes=%ld t=%s\n", rname(),
			    c->lport, c->rport, c->rx, tfmt(tb, sizeof(tb), now_ns()));
		} else if (errno == EAGAIN || errno == EINTR) {
			continue;
		} else if (errno == ECONNRESET || errno == EPIPE) {
			peer_gone(c, errno, "recv");
		} else {
			err("id=%ld lport=%d recv: %s", c->id, c->lport, strerror(errno));
			return -1;
		}
	}
}

/* After EOF: block until the peer's reset has closed the socket (poll()
 * reports POLLHUP/POLLERR only then: CLOSE_WAIT with the EOF read is
 * readable, not hung up), then read the error it left. */
static int wait_reset(struct conn *c)
{
	struct pollfd p = { .fd = c->fd, .events = 0 };
	char b;

	while (!(p.revents & (POLLERR | POLLHUP))) {
		if (poll(&p, 1, -1) < 0 && errno != EINTR) {
			err("id=%ld poll: %s", c->id, strerror(errno));
			return -1;
		}
	}
	if (recv(c->fd, &b, 1, MSG_DONTWAIT) < 0 && (errno == ECONNRESET || errno == EPIPE))
		peer_gone(c, errno, "recv");
	return 0;
}

static long long at(const struct conn *c, long ms)
{
	return c->t0 + (long long)ms * 1000000LL;
}

static int send_all(struct conn *c, long bytes)
{
	char buf[16384];
	char tb[32];

	memset(buf, 'x', sizeof(buf));
	while (bytes > 0) {
		size_t len = bytes > (long)sizeof(buf) ? sizeof(buf) : (size_t)bytes;
		ssize_t w = send(c->fd, buf, len, MSG_NOSIGNAL);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			if (errno == ECONNRESET || errno == EPIPE) {
				peer_gone(c, errno, "send");
				return 0;
			}
			err("id=%ld lport=%d send: %s", c->id, c->lport, strerror(errno));
			return -1;
		}
		c->tx += w;
		bytes -= w;
	}
	out(false, "event role=%s lport=%d rport=%d ev=sent bytes=%ld t=%s\n", rname(), c->lport,
	    c->rport, c->tx, tfmt(tb, sizeof(tb), now_ns()));
	return 0;
}

/* The per-connection script (see the header comment). Closes fd. */
static void run_conn(int fd, long id)
{
	struct conn c = { .fd = fd, .id = id, .t0 = now_ns() };
	struct sockaddr_storage l, r;
	socklen_t ll = sizeof(l), rl = sizeof(r);
	char la[INET6_ADDRSTRLEN] = "?", ra[INET6_ADDRSTRLEN] = "?";
	char tb[32];
	enum policy pol = o.policy;
	long send_bytes = o.send_bytes >= 0 ? o.send_bytes : (o.role == R_CLIENT ? 16 : 0);
	bool failed = false;

	if (getsockname(fd, (void *)&l, &ll) == 0)
		addr_str(&l, la, sizeof(la), &c.lport);
	if (getpeername(fd, (void *)&r, &rl) == 0)
		addr_str(&r, ra, sizeof(ra), &c.rport);
	else
		/* The peer may already have reset the connection. */
		c.rport = o.role == R_CLIENT ? o.port : 0;
	out(false, "conn role=%s id=%ld family=%s laddr=%s lport=%d raddr=%s rport=%d pid=%d tid=%d t=%s\n",
	    rname(), id, o.family == AF_INET6 ? "ipv6" : "ipv4", la, c.lport, ra, c.rport, getpid(),
	    gettid(), tfmt(tb, sizeof(tb), c.t0));

	if (pol == P_DEFAULT)
		pol = o.role == R_CLIENT ? P_FIRST : P_AFTER_EOF;
	if (o.gofile) {
		while (access(o.gofile, F_OK) != 0)
			if (wait_until(&c, now_ns() + 10000000LL, false) < 0) {
				failed = true;
				break;
			}
		c.t0 = now_ns();
		out(false, "event role=%s lport=%d rport=%d ev=go t=%s\n", rname(), c.lport, c.rport,
		    tfmt(tb, sizeof(tb), c.t0));
	}

	if (!failed && send_bytes > 0) {
		if (o.send_at >= 0 && wait_until(&c, at(&c, o.send_at), false) < 0)
			failed = true;
		if (!failed && !c.reset && send_all(&c, send_bytes) < 0)
			failed = true;
	}
	if (!failed && o.shutdown_at >= 0) {
		if (wait_until(&c, at(&c, o.shutdown_at), false) < 0)
			failed = true;
		if (!failed && !c.reset) {
			if (shutdown(fd, SHUT_WR) < 0 && errno != ENOTCONN)
				err("id=%ld lport=%d shutdown: %s", id, c.lport, strerror(errno));
			out(false, "event role=%s lport=%d rport=%d ev=shutdown_wr t=%s\n", rname(),
			    c.lport, c.rport, tfmt(tb, sizeof(tb), now_ns()));
		}
		if (pol == P_FIRST)
			pol = P_AFTER_EOF;
	}
	if (!failed && o.close_at >= 0) {
		if (wait_until(&c, at(&c, o.close_at), false) < 0)
			failed = true;
	} else if (!failed) {
		switch (pol) {
		case P_AFTER_EOF:
			if (wait_until(&c, LLONG_MAX, true) < 0)
				failed = true;
			else if (o.hold_ms > 0)
				wait_until(&c, now_ns() + (long long)o.hold_ms * 1000000LL, false);
			break;
		case P_AFTER_RESET:
			if (wait_until(&c, LLONG_MAX, true) < 0 || (!c.reset && wait_reset(&c) < 0))
				failed = true;
			break;
		case P_NEVER:
			if (wait_until(&c, LLONG_MAX, true) == 0) {
				out(false, "event role=%s lport=%d rport=%d ev=holding t=%s\n", rname(),
				    c.lport, c.rport, tfmt(tb, sizeof(tb), now_ns()));
				for (;;)
					pause();
			}
			failed = true;
			break;
		default:
			break;
		}
	}
	if (o.linger0) {
		struct linger lg = { .l_onoff = 1, .l_linger = 0 };

		if (setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)) < 0)
			err("id=%ld SO_LINGER: %s", id, strerror(errno));
	}
	char tcall[32];
	tfmt(tcall, sizeof(tcall), now_ns());
	close(fd);
	out(false, "close role=%s lport=%d rport=%d how=%s rx=%ld tx=%ld eof=%d reset=%d tcall=%s t=%s\n",
	    rname(), c.lport, c.rport, o.linger0 ? "rst" : "fin", c.rx, c.tx, c.eof, c.reset, tcall,
	    tfmt(tb, sizeof(tb), now_ns()));
	if (!failed)
		atomic_fetch_add(&n_done, 1);
}

/* --nonblock: 0 when connected, else -1 with errno the connect's error. */
static int connect_nonblock(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLOUT };
	int fl = fcntl(fd, F_GETFL), so_err = 0, r;
	socklen_t len = sizeof(so_err);

	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
		return -1;
	r = connect(fd, (void *)&o.ss, o.sslen);
	if (r < 0 && errno != EINPROGRESS)
		return -1; /* failed inside the call */
	if (r < 0) {
		do
			r = poll(&p, 1, o.connect_timeout > 0 ? (int)o.connect_timeout : -1);
		while (r < 0 && errno == EINTR);
		if (r <= 0) {
			errno = r ? errno : ETIMEDOUT;
			return -1;
		}
		if (o.nonblock == 1) {
			if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &so_err, &len) < 0)
				return -1;
		} else if (connect(fd, (void *)&o.ss, o.sslen) < 0 && errno != EISCONN) {
			so_err = errno;
		}
	}
	if (so_err) {
		errno = so_err;
		return -1;
	}
	return fcntl(fd, F_SETFL, fl);
}

static void *client_worker(void *arg)
{
	(void)arg;
	for (;;) {
		long id = atomic_fetch_add(&next_id, 1);

		if (id >= o.n)
			break;
		int fd = socket(o.family, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0) {
			err("id=%ld socket: %s", id, strerror(errno));
			continue;
		}
		if (o.bind_port) {
			int one = 1;
			struct sockaddr_storage b = o.ss;

			setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
			if (o.bind_addr)
				b = o.bind_ss;
			if (b.ss_family == AF_INET6)
				((struct sockaddr_in6 *)&b)->sin6_port = htons(o.bind_port);
			else
				((struct sockaddr_in *)&b)->sin_port = htons(o.bind_port);
			if (bind(fd, (void *)&b, o.sslen) < 0) {
				err("id=%ld bind port %d: %s", id, o.bind_port, strerror(errno));
				close(fd);
				continue;
			}
		}
		if (o.connect_timeout > 0) {
			struct timeval tv = { o.connect_timeout / 1000, (o.connect_timeout % 1000) * 1000 };

			setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
		}
		int r;
		char tb[32];

		out(false, "connecting role=client id=%ld t=%s\n", id, tfmt(tb, sizeof(tb), now_ns()));
		if (o.nonblock)
			r = connect_nonblock(fd);
		else
			do
				r = connect(fd, (void *)&o.ss, o.sslen);
			while (r < 0 && errno == EINTR);
		if (r < 0) {
			err("id=%ld connect %s port %d: %s", id, o.addr, o.port, strerror(errno));
			close(fd);
			continue;
		}
		if (o.connect_timeout > 0) {
			struct timeval tv = { 0, 0 };

			setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
		}
		run_conn(fd, id);
	}
	atomic_fetch_sub(&workers_left, 1);
	return NULL;
}

static void *server_worker(void *arg)
{
	(void)arg;
	/* Until killed or --timeout; or until the go. */
	while (o.no_accept && !(o.gofile && access(o.gofile, F_OK) == 0)) {
		if (o.gofile)
			usleep(20000);
		else
			pause();
	}
	for (;;) {
		long id = atomic_fetch_add(&next_id, 1);

		if (o.n > 0 && id >= o.n)
			break;
		int fd;
		do
			fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);
		while (fd < 0 && (errno == EINTR || errno == ECONNABORTED));
		if (fd < 0) {
			err("id=%ld accept: %s", id, strerror(errno));
			break;
		}
		run_conn(fd, id);
	}
	atomic_fetch_sub(&workers_left, 1);
	return NULL;
}

static int write_file(const char *path, const char *content)
{
	char tmp[PATH_MAX];
	FILE *f;

	snprintf(tmp, sizeof(tmp), "%s.tmp.%d", path, getpid());
	f = fopen(tmp, "w");
	if (!f)
		return -1;
	fputs(content, f);
	if (fclose(f) != 0)
		return -1;
	return rename(tmp, path);
}

static void usage(FILE *f)
{
	fputs("usage: tlpeer server|client -a ADDR -p PORT [-n CONNS] [-c CONCURRENCY]\n"
	      "  [--send BYTES] [--send-at MS] [--shutdown-wr-at MS]\n"
	      "  [--close-first | --close-after-eof | --wait-eof | --hold-close-wait MS |\n"
	      "   --never-close | --close-after-reset | --close-at MS] [--linger0] [--allow-reset]\n"
	      "  [--quiet]\n"
	      "  [--bind-port P] [--bind-addr A] [--connect-timeout MS] [--nonblock HOW] [--timeout MS]\n"
	      "  [--pidfile F] [--ready-file F] [--backlog N] [--no-accept] [--go-file F]\n"
	      "tlpeer now\n"
	      "(see the header of tests/helpers/tlpeer.c)\n",
	      f);
}

static long num(const char *s, const char *what, long min, long max)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < min || v > max) {
		fprintf(stderr, "tlpeer: bad %s: %s\n", what, s);
		exit(64);
	}
	return v;
}

enum {
	O_SEND = 256, O_SEND_AT, O_SHUT_AT, O_CLOSE_FIRST, O_AFTER_EOF, O_HOLD, O_NEVER, O_AFTER_RESET, O_CLOSE_AT,
	O_LINGER0, O_ALLOW_RESET, O_QUIET, O_BIND_PORT, O_CONN_TMO, O_TIMEOUT, O_PIDFILE, O_READY,
	O_BACKLOG, O_GO_FILE, O_BIND_ADDR, O_NO_ACCEPT, O_NONBLOCK_HOW,
};

static void set_policy(enum policy p)
{
	if (o.policy != P_DEFAULT && o.policy != p) {
		fputs("tlpeer: only one close policy\n", stderr);
		exit(64);
	}
	o.policy = p;
}

static void parse(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "send", required_argument, NULL, O_SEND },
		{ "send-at", required_argument, NULL, O_SEND_AT },
		{ "shutdown-wr-at", required_argument, NULL, O_SHUT_AT },
		{ "close-first", no_argument, NULL, O_CLOSE_FIRST },
		{ "close-after-eof", no_argument, NULL, O_AFTER_EOF },
		{ "wait-eof", no_argument, NULL, O_AFTER_EOF },
		{ "hold-close-wait", required_argument, NULL, O_HOLD },
		{ "never-close", no_argument, NULL, O_NEVER },
		{ "close-after-reset", no_argument, NULL, O_AFTER_RESET },
		{ "close-at", required_argument, NULL, O_CLOSE_AT },
		{ "linger0", no_argument, NULL, O_LINGER0 },
		{ "allow-reset", no_argument, NULL, O_ALLOW_RESET },
		{ "quiet", no_argument, NULL, O_QUIET },
		{ "bind-port", required_argument, NULL, O_BIND_PORT },
		{ "bind-addr", required_argument, NULL, O_BIND_ADDR },
		{ "connect-timeout", required_argument, NULL, O_CONN_TMO },
		{ "nonblock", required_argument, NULL, O_NONBLOCK_HOW },
		{ "timeout", required_argument, NULL, O_TIMEOUT },
		{ "pidfile", required_argument, NULL, O_PIDFILE },
		{ "ready-file", required_argument, NULL, O_READY },
		{ "backlog", required_argument, NULL, O_BACKLOG },
		{ "no-accept", no_argument, NULL, O_NO_ACCEPT },
		{ "go-file", required_argument, NULL, O_GO_FILE },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	int c;

	if (argc < 2) {
		usage(stderr);
		exit(64);
	}
	if (!strcmp(argv[1], "client")) {
		o.role = R_CLIENT;
	} else if (!strcmp(argv[1], "server")) {
		o.role = R_SERVER;
	} else if (!strcmp(argv[1], "now") && argc == 2) {
		char tb[32];

		puts(tfmt(tb, sizeof(tb), now_ns()));
		exit(0);
	} else if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		usage(stdout);
		exit(0);
	} else {
		usage(stderr);
		exit(64);
	}
	argc--;
	argv++;
	while ((c = getopt_long(argc, argv, "a:p:n:c:h", lo, NULL)) != -1) {
		switch (c) {
		case 'a': o.addr = optarg; break;
		case 'p': o.port = (int)num(optarg, "port", 1, 65535); break;
		case 'n': o.n = num(optarg, "-n", 0, 100000000); break;
		case 'c': o.conc = num(optarg, "-c", 1, 4096); break;
		case O_SEND: o.send_bytes = num(optarg, "--send", 0, LONG_MAX); break;
		case O_SEND_AT: o.send_at = num(optarg, "--send-at", 0, 86400000); break;
		case O_SHUT_AT: o.shutdown_at = num(optarg, "--shutdown-wr-at", 0, 86400000); break;
		case O_CLOSE_FIRST: set_policy(P_FIRST); break;
		case O_AFTER_EOF: set_policy(P_AFTER_EOF); break;
		case O_HOLD:
			set_policy(P_AFTER_EOF);
			o.hold_ms = num(optarg, "--hold-close-wait", 0, 86400000);
			break;
		case O_NEVER: set_policy(P_NEVER); break;
		case O_AFTER_RESET: set_policy(P_AFTER_RESET); break;
		case O_CLOSE_AT: o.close_at = num(optarg, "--close-at", 0, 86400000); break;
		case O_LINGER0: o.linger0 = true; break;
		case O_ALLOW_RESET: o.allow_reset = true; break;
		case O_QUIET: o.quiet = true; break;
		case O_BIND_PORT: o.bind_port = (int)num(optarg, "--bind-port", 1, 65535); break;
		case O_BIND_ADDR: o.bind_addr = optarg; break;
		case O_CONN_TMO: o.connect_timeout = num(optarg, "--connect-timeout", 1, 86400000); break;
		case O_NONBLOCK_HOW:
			o.nonblock = !strcmp(optarg, "so_error") ? 1 : !strcmp(optarg, "connect") ? 2 : 0;
			if (!o.nonblock) {
				fprintf(stderr, "tlpeer: --nonblock so_error|connect: %s\n", optarg);
				exit(64);
			}
			break;
		case O_TIMEOUT: o.timeout_ms = num(optarg, "--timeout", 0, 86400000); break;
		case O_PIDFILE: o.pidfile = optarg; break;
		case O_READY: o.readyfile = optarg; break;
		case O_BACKLOG: o.backlog = (int)num(optarg, "--backlog", 1, 65535); break;
		case O_NO_ACCEPT: o.no_accept = true; break;
		case O_GO_FILE: o.gofile = optarg; break;
		case 'h': usage(stdout); exit(0);
		default: usage(stderr); exit(64);
		}
	}
	if (optind != argc || !o.addr || !o.port) {
		usage(stderr);
		exit(64);
	}
	if (o.role == R_CLIENT && o.n < 1) {
		fputs("tlpeer: client needs -n >= 1\n", stderr);
		exit(64);
	}
	if (o.bind_port && (o.role != R_CLIENT || o.n != 1)) {
		fputs("tlpeer: --bind-port is for a client with -n 1\n", stderr);
		exit(64);
	}
	if (o.close_at >= 0 && o.policy != P_DEFAULT) {
		fputs("tlpeer: --close-at replaces the close policy\n", stderr);
		exit(64);
	}

	memset(&o.ss, 0, sizeof(o.ss));
	struct sockaddr_in *s4 = (void *)&o.ss;
	struct sockaddr_in6 *s6 = (void *)&o.ss;
	if (inet_pton(AF_INET, o.addr, &s4->sin_addr) == 1) {
		o.family = AF_INET;
		s4->sin_family = AF_INET;
		s4->sin_port = htons(o.port);
		o.sslen = sizeof(*s4);
	} else if (inet_pton(AF_INET6, o.addr, &s6->sin6_addr) == 1) {
		o.family = AF_INET6;
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(o.port);
		o.sslen = sizeof(*s6);
	} else {
		fprintf(stderr, "tlpeer: not a numeric address: %s\n", o.addr);
		exit(64);
	}
	if (o.bind_addr) {
		void *a = o.family == AF_INET6 ? (void *)&((struct sockaddr_in6 *)&o.bind_ss)->sin6_addr
					       : (void *)&((struct sockaddr_in *)&o.bind_ss)->sin_addr;

		o.bind_ss = o.ss;
		if (!o.bind_port || inet_pton(o.family, o.bind_addr, a) != 1) {
			fprintf(stderr, "tlpeer: --bind-addr needs --bind-port and an address of -a's family: %s\n",
				o.bind_addr);
			exit(64);
		}
	}
	if (!o.conc) {
		if (o.role == R_CLIENT)
			o.conc = 1;
		else
			o.conc = o.n > 0 && o.n < 64 ? o.n : 64;
	}
	if (o.role == R_CLIENT && o.conc > o.n)
		o.conc = o.n;
}

int main(int argc, char **argv)
{
	sigset_t set;
	pthread_attr_t attr;
	long long t_start;
	char buf[128];
	bool interrupted = false, timed_out = false;

	parse(argc, argv);
	signal(SIGPIPE, SIG_IGN);
	t_start = now_ns();

	if (o.pidfile) {
		snprintf(buf, sizeof(buf), "%d\n", getpid());
		if (write_file(o.pidfile, buf) < 0) {
			fprintf(stderr, "tlpeer: %s: %s\n", o.pidfile, strerror(errno));
			return 1;
		}
	}
	out(true, "start role=%s pid=%d\n", rname(), getpid());

	if (o.role == R_SERVER) {
		int one = 1;

		listen_fd = socket(o.family, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (listen_fd < 0) {
			perror("tlpeer: socket");
			return 1;
		}
		setsockopt(listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (bind(listen_fd, (void *)&o.ss, o.sslen) < 0) {
			fprintf(stderr, "tlpeer: bind %s port %d: %s\n", o.addr, o.port, strerror(errno));
			return 1;
		}
		if (listen(listen_fd, o.backlog) < 0) {
			perror("tlpeer: listen");
			return 1;
		}
		out(true, "listen role=server family=%s addr=%s port=%d pid=%d\n",
		    o.family == AF_INET6 ? "ipv6" : "ipv4", o.addr, o.port, getpid());
		if (o.readyfile) {
			snprintf(buf, sizeof(buf), "pid=%d port=%d\n", getpid(), o.port);
			if (write_file(o.readyfile, buf) < 0) {
				fprintf(stderr, "tlpeer: %s: %s\n", o.readyfile, strerror(errno));
				return 1;
			}
		}
	}

	/* Workers never see SIGINT/SIGTERM: the main thread waits for them. */
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 256 * 1024);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	atomic_store(&workers_left, o.conc);
	for (long i = 0; i < o.conc; i++) {
		pthread_t t;
		int e = pthread_create(&t, &attr, o.role == R_CLIENT ? client_worker : server_worker, NULL);

		if (e) {
			fprintf(stderr, "tlpeer: pthread_create: %s\n", strerror(e));
			return 1;
		}
	}

	while (atomic_load(&workers_left) > 0) {
		struct timespec ts = { 0, 20 * 1000000L };
		int s = sigtimedwait(&set, NULL, &ts);

		if (s == SIGINT || s == SIGTERM) {
			interrupted = true;
			break;
		}
		if (o.timeout_ms && now_ns() - t_start > (long long)o.timeout_ms * 1000000LL) {
			timed_out = true;
			break;
		}
	}

	long done = atomic_load(&n_done), errors = atomic_load(&n_errors);
	char tb[32];
	pthread_mutex_lock(&out_lock);
	if (timed_out)
		fprintf(stderr, "error role=%s timeout after %ld ms: %ld of %ld done\n", rname(),
			o.timeout_ms, done, o.n);
	printf("done role=%s n=%ld errors=%ld resets=%ld elapsed=%s%s\n", rname(), done, errors,
	       atomic_load(&n_resets), tfmt(tb, sizeof(tb), now_ns() - t_start),
	       interrupted ? " interrupted=1" : "");
	fflush(stdout);
	fflush(stderr);
	/* Other threads may still hold sockets: _exit closes them. */
	if (timed_out)
		_exit(2);
	if (errors || (o.role == R_CLIENT && done < o.n))
		_exit(1);
	_exit(0);
}
