// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include "fmtnum.h"
#include "outfd.h"
#include "safeopen.h"
#include "sanitize.h"
#include "sink.h"
#include "states.h"

#define SINK_FILE_BUF (64 * 1024)

/* Files and piped stdout get a buffer of their own: glibc sizes its
 * default on st_blksize (4 KiB), and one write(2) per 4 KiB is a syscall
 * every ~20 CSV rows. The main loop flushes it when idle and at least once
 * a second (outputs_flush_due), so records still reach the file promptly. */
struct sink_buffered {
	struct sink s; /* first: the struct sink * handed out is this object */
	struct outfd ofd;
	char buf[SINK_FILE_BUF];
};

/* A failed stdio call leaves the cause in errno (ENOSPC, EPIPE, ...); report
 * that rather than a bare -EIO so the user learns why. */
static int io_error(int saved_errno)
{
	return saved_errno > 0 ? -saved_errno : -EIO;
}

static struct sink *sink_new(const struct sink_ops *ops, FILE *f, const struct sink_opts *o)
{
	struct sink *s;

	if (!ops) {
		errno = EINVAL;
		return NULL;
	}
	s = calloc(1, sizeof(struct sink));
	if (!s)
		return NULL;
	s->ops = ops;
	s->f = f;
	if (o)
		s->o = *o;
	return s;
}

/* A sink writing to fd through the outfd write path (outfd.h). */
static struct sink *sink_new_fd(const struct sink_ops *ops, int fd, bool own,
				const struct sink_opts *o)
{
	struct sink_buffered *b = calloc(1, sizeof(*b));
	int e;

	if (!b)
		return NULL;
	b->s.f = outfd_stream(&b->ofd, fd, own, b->buf, sizeof(b->buf));
	if (!b->s.f) {
		e = errno;
		free(b);
		errno = e;
		return NULL;
	}
	b->s.ops = ops;
	b->s.own_file = true;
	b->s.ofd = &b->ofd;
	if (o)
		b->s.o = *o;
	return &b->s;
}

static int sink_begin(struct sink *s)
{
	int rc = 0;

	if (!s->ops->begin)
		return 0;
	errno = 0;
	rc = s->ops->begin(s);
	if (rc < 0 || (s->f && ferror(s->f)))
		return rc == 0 || rc == -EIO ? io_error(errno) : rc;
	return 0;
}

/* begin, or let the sink go (sink_close: with the file it opened, or
 * free: the caller's stream stays open): NULL with errno set. */
static struct sink *sink_start(struct sink *s, bool close)
{
	int rc;

	if (!s)
		return NULL;
	rc = sink_begin(s);
	if (rc) {
		if (close)
			sink_close(s);
		else
			free(s);
		errno = -rc;
		return NULL;
	}
	return s;
}

/* Why the last sink_open refused its file, for sink_refused. */
static const char *s_refused;

const char *sink_refused(void)
{
	return s_refused;
}

/* "-": stdout, through the outfd path unless it is a terminal, where a
 * person watching wants each line as it happens (line buffered) and the
 * live view draws. */
static struct sink *sink_new_path(const struct sink_ops *ops, const char *path,
				  const struct sink_opts *o)
{
	struct sink *s;
	int fd, e;

	if (!strcmp(path, "-")) {
		if (isatty(STDOUT_FILENO)) {
			setvbuf(stdout, NULL, _IOLBF, 0);
			return sink_new(ops, stdout, o);
		}
		return sink_new_fd(ops, STDOUT_FILENO, false, o);
	}
	fd = safe_open_output(path, &s_refused);
	if (fd < 0) {
		errno = -fd;
		return NULL;
	}
	s = sink_new_fd(ops, fd, true, o);
	if (!s) {
		e = errno;
		close(fd);
		errno = e;
	}
	return s;
}

struct sink *sink_open(const struct sink_ops *ops, const char *path, const struct sink_opts *o)
{
	s_refused = NULL;
	if (!path || !ops) {
		errno = EINVAL;
		return NULL;
	}
	return sink_start(sink_new_path(ops, path, o), true);
}

struct sink *sink_open_file(const struct sink_ops *ops, FILE *f, const struct sink_opts *o)
{
	if (!f) {
		errno = EINVAL;
		return NULL;
	}
	return sink_start(sink_new(ops, f, o), false);
}

struct sink *sink_open_bare(const struct sink_ops *ops, const struct sink_opts *o)
{
	return sink_start(sink_new(ops, NULL, o), false);
}

/* The new file, unless it is old's own (same device and inode). */
static int reopen_fd(const struct sink *old, const char *path, struct stat *st)
{
	struct stat was;
	int fd, e;

	fd = safe_open_append(path, &s_refused);
	if (fd < 0)
		return fd;
	if (fstat(fd, st) || fstat(old->ofd->fd, &was)) {
		e = errno;
		close(fd);
		return -e;
	}
	if (st->st_dev == was.st_dev && st->st_ino == was.st_ino) {
		close(fd);
		return -EEXIST;
	}
	return fd;
}

int sink_reopen(const struct sink *old, const char *path, struct sink **out)
{
	struct stat st;
	struct sink *s;
	int fd, rc;

	s_refused = NULL;
	*out = NULL;
	if (!old || !path || !old->ofd || !old->ofd->own)
		return -EINVAL;
	fd = reopen_fd(old, path, &st);
	if (fd == -EEXIST)
		return 0;
	if (fd < 0)
		return fd;
	s = sink_new_fd(old->ops, fd, true, &old->o);
	if (!s) {
		rc = -errno;
		close(fd);
		return rc;
	}
	/* A file appended to already has its header (or is not ours to
	 * give one). */
	rc = st.st_size ? 0 : sink_begin(s);
	if (rc) {
		sink_close(s);
		return rc;
	}
	*out = s;
	return 0;
}

/* errno must have been cleared before the op ran. */
static int sink_result(struct sink *s, int rc)
{
	if (rc < 0 || (s->f && ferror(s->f))) {
		if (rc == 0 || rc == -EIO)
			rc = io_error(errno);
		s->err = rc;
	}
	return rc;
}

/* Whether an op may run: not when an argument is missing (*rc -EINVAL),
 * the sink has no such op (0) or a write failed before (the sticky error).
 * Once a write has failed the output has a hole in it; later records are
 * not written, so a CSV never has a half row followed by good ones. */
static bool sink_ready(struct sink *s, bool args_ok, bool has_op, int *rc)
{
	*rc = !s || !args_ok ? -EINVAL : !has_op ? 0 : s->err;
	if (!s || !args_ok || !has_op || s->err)
		return false;
	errno = 0; /* sink_result() reads it */
	return true;
}

int sink_conn(struct sink *s, const struct conn *c)
{
	int rc;

	if (!sink_ready(s, c, s && s->ops->conn, &rc)) {
		if (s && s->err)
			s->skipped++;
		return rc;
	}
	return sink_result(s, s->ops->conn(s, c));
}

int sink_transition(struct sink *s, const struct transition *t)
{
	int rc;

	if (!sink_ready(s, t, s && s->ops->transition, &rc))
		return rc;
	return sink_result(s, s->ops->transition(s, t));
}

int sink_summary(struct sink *s, const struct summary *sum)
{
	int rc;

	if (!sink_ready(s, sum, s && s->ops->summary, &rc))
		return rc;
	return sink_result(s, s->ops->summary(s, sum));
}

int sink_alert(struct sink *s, const struct cw_alert *a)
{
	int rc;

	if (!sink_ready(s, a, s && s->ops->alert, &rc))
		return rc;
	rc = s->ops->alert(s, a);
	/* Someone is waiting for this one: do not leave it in a buffer. */
	if (!rc && s->f && fflush(s->f))
		rc = -EIO;
	return sink_result(s, rc);
}

int sink_cw_summary(struct sink *s, const struct cw_proc *p, size_t n)
{
	int rc;

	if (!sink_ready(s, p || !n, s && s->ops->cw_summary, &rc))
		return rc;
	return sink_result(s, s->ops->cw_summary(s, p, n));
}

int sink_connect_error(struct sink *s, const struct conn_error *ce)
{
	int rc;

	if (!sink_ready(s, ce, s && s->ops->connect_error, &rc))
		return rc;
	return sink_result(s, s->ops->connect_error(s, ce));
}

int sink_connerr_summary(struct sink *s, const struct connerr_tab *t)
{
	int rc;

	if (!sink_ready(s, t, s && s->ops->connerr_summary, &rc))
		return rc;
	return sink_result(s, s->ops->connerr_summary(s, t));
}

int sink_listeners(struct sink *s, const struct lsn_snap *snap, uint64_t at_ns)
{
	int rc;

	if (!sink_ready(s, snap, s && s->ops->listeners, &rc))
		return rc;
	return sink_result(s, s->ops->listeners(s, snap, at_ns));
}

int sink_listen_overflow(struct sink *s, const struct lsn_burst *b, uint64_t now_ns)
{
	int rc;

	if (!sink_ready(s, b, s && s->ops->listen_overflow, &rc))
		return rc;
	return sink_result(s, s->ops->listen_overflow(s, b, now_ns));
}

int sink_tick(struct sink *s, uint64_t now_ns)
{
	int rc;

	if (s)
		s->snapping = false;
	if (!sink_ready(s, true, s && s->ops->tick, &rc))
		return rc;
	rc = s->ops->tick(s, now_ns);
	if (rc == SINK_SNAP) {
		s->snapping = s->ops->snap_begin && s->ops->snap_row && s->ops->snap_step;
		return 0;
	}
	return rc == SINK_DONE ? rc : sink_result(s, rc);
}

void sink_snap_begin(struct sink *s, const struct view_stats *st, uint64_t now_ns)
{
	if (s && s->snapping)
		s->ops->snap_begin(s, st, now_ns);
}

void sink_snap_row(struct sink *s, struct conn *c)
{
	if (s && s->snapping)
		s->ops->snap_row(s, c);
}

int sink_snap_step(struct sink *s)
{
	int rc;

	if (!s || !s->snapping)
		return 0;
	errno = 0;
	rc = s->ops->snap_step(s);
	if (rc == SINK_MORE)
		return rc;
	s->snapping = false;
	return rc == SINK_DONE ? rc : sink_result(s, rc);
}

int sink_flush(struct sink *s)
{
	if (!s)
		return -EINVAL;
	if (s->err)
		return s->err;
	errno = 0;
	if (s->f && fflush(s->f))
		s->err = io_error(errno);
	else if (sink_stalled(s))
		s->err = -ETIMEDOUT; /* what follows is dropped too */
	return s->err;
}

uint64_t sink_lost(const struct sink *s)
{
	return s->skipped + (s->ofd ? s->ofd->lost_lines : 0);
}

bool sink_stalled(const struct sink *s)
{
	return s->ofd && s->ofd->gave_up;
}

const char *seen_from_name(const struct conn *c)
{
	return c->preexisting ? "preexisting" : "birth";
}

const char *owner_from_name(const struct conn *c)
{
	if (!c->owner_known)
		return NULL;
	return c->owner_listener ? "listener" : "socket";
}

int sink_close(struct sink *s)
{
	int rc;

	if (!s)
		return 0;
	rc = s->err;
	if (s->ops->end) {
		int e = s->ops->end(s);

		if (e && !rc)
			rc = e;
	}
	errno = 0;
	if (s->f && fflush(s->f) != 0 && !rc)
		rc = io_error(errno);
	if (s->f && ferror(s->f) && !rc)
		rc = -EIO;
	if (sink_stalled(s) && !rc)
		rc = -ETIMEDOUT;
	if (s->own_file && s->f) {
		errno = 0;
		if (fclose(s->f) != 0 && !rc)
			rc = io_error(errno);
	}
	free(s);
	return rc;
}

const struct timeconv *sink_tc(const struct sink *s)
{
	static const struct timeconv zero;

	return s->o.tc ? s->o.tc : &zero;
}

const char *family_name(unsigned int family)
{
	switch (family) {
	case AF_INET: return "ipv4";
	case AF_INET6: return "ipv6";
	default: return "unknown";
	}
}

void ident_put(struct linebuf *l, const struct ident_cols *id, size_t comm_w, size_t addr_w)
{
	lb_left(l, id->pid, PID_W);
	lb_char(l, ' ');
	lb_left(l, id->comm, comm_w);
	lb_char(l, ' ');
	lb_left(l, id->local, addr_w);
	lb_char(l, ' ');
	lb_left(l, id->remote, addr_w);
	lb_char(l, ' ');
}

int addr_fmt(const struct tl_tuple *t, bool local, char *buf, size_t n)
{
	const __u8 *a = local ? t->saddr : t->daddr;

	if (t->family != AF_INET && t->family != AF_INET6) {
		fmt_str(buf, n, "?");
		return -EAFNOSUPPORT;
	}
	/* inet_ntop() formats IPv4 with sprintf: most of the cost of a row. */
	if (t->family == AF_INET && n >= FMT_IPV4_LEN) {
		buf[put_ipv4(buf, a)] = '\0';
		return 0;
	}
	if (!inet_ntop(t->family, a, buf, n)) {
		int e = errno;

		if (n)
			buf[0] = '\0';
		return -e;
	}
	return 0;
}

int endpoint_fmt(const struct tl_tuple *t, bool local, char *buf, size_t n)
{
	/* "[", the address, "]:" and put_u64's most (a port needs 5). */
	char a[SINK_ADDR_LEN], out[SINK_ADDR_LEN + 3 + FMT_U64_LEN];
	int rc = addr_fmt(t, local, a, sizeof(a));
	bool v6 = t->family == AF_INET6;
	size_t alen = strlen(a), len = 0;

	if (v6)
		out[len++] = '[';
	memcpy(out + len, a, alen);
	len += alen;
	if (v6)
		out[len++] = ']';
	out[len++] = ':';
	len += put_u64(out + len, local ? t->sport : t->dport);
	out[len] = '\0';
	fmt_str(buf, n, out);
	if (len >= n)
		return -ENOSPC;
	return rc;
}

size_t comm_fmt(const struct conn *c, char *buf, size_t n)
{
	return sanitize_text(c->owner.comm, TL_COMM_LEN, buf, n);
}

int path_fmt(const struct conn *c, char *buf, size_t n)
{
	size_t len = c->path_len < CONN_PATH_MAX ? c->path_len : CONN_PATH_MAX;
	size_t o = 0;
	int w;

	if (!n)
		return -ENOSPC;
	buf[0] = '\0';
	/* cppcheck 2.10 takes len for 0 here (a false positive). */
	/* cppcheck-suppress knownConditionTrueFalse */
	for (size_t i = 0; i < len; i++) {
		const char *name = state_name(c->path[i]);
		size_t nl = strlen(name), w1 = nl + (i ? 1 : 0);

		if (w1 >= n - o) { /* what fits, as snprintf leaves it */
			snprintf(buf + o, n - o, "%s%s", i ? ">" : "", name);
			return -ENOSPC;
		}
		if (i)
			buf[o++] = '>';
		memcpy(buf + o, name, nl + 1);
		o += nl;
	}
	if (c->path_truncated) {
		w = snprintf(buf + o, n - o, "%s...", len ? ">" : "");
		if (w < 0 || (size_t)w >= n - o)
			return -ENOSPC;
	}
	return 0;
}

uint64_t conn_retrans(const struct conn *c)
{
	return (uint64_t)c->syn_retrans + c->synack_retrans + c->fin_retrans + c->data_retrans;
}

void fit_end(const char *s, size_t w, char *out)
{
	size_t len = strlen(s);

	if (len <= w) {
		memcpy(out, s, len + 1);
		return;
	}
	if (!w) {
		out[0] = '\0';
		return;
	}
	memcpy(out, s, w - 1);
	out[w - 1] = '~';
	out[w] = '\0';
}

void fit_middle(const char *s, size_t w, char *out)
{
	size_t len = strlen(s), head, tail;

	if (len <= w || w < 4) {
		fit_end(s, w, out);
		return;
	}
	head = (w - 2) / 2;
	tail = w - 2 - head;
	memcpy(out, s, head);
	/* Mid-string: the next copy ends with s's NUL (tail + 1). */
	memcpy(out + head, "..", 2); /* NOLINT(bugprone-not-null-terminated-result) */
	memcpy(out + head + 2, s + len - tail, tail + 1);
}

static size_t ndigits(uint64_t v)
{
	size_t d = 1;

	while (v >= 10) {
		v /= 10;
		d++;
	}
	return d;
}

int fmt_ms_fit(uint64_t ns, size_t w, char *buf, size_t n)
{
	static const struct {
		uint64_t ns;
		char unit;
	} units[] = {
		{ 1000000000ULL, 's' },
		{ 60000000000ULL, 'm' },
		{ 3600000000000ULL, 'h' },
		{ 86400000000000ULL, 'd' },
	};
	uint64_t ms = ns / 1000000, frac = ns / 1000 % 1000;
	size_t d = ndigits(ms);

	if (n <= w || w < 4) {
		if (n)
			buf[0] = '\0';
		return -ENOSPC;
	}
	/* Rounded down like fmt_ms, so the narrow form never claims more
	 * time than the exact one. */
	for (size_t dec = 3; dec > 0; dec--) {
		if (d + 1 + dec <= w) {
			/* n > w >= d + 1 + dec: it fits */
			put_u64(buf, ms);
			buf[d] = '.';
			put_zpad(buf + d + 1, frac / (dec == 3 ? 1 : dec == 2 ? 10 : 100), dec);
			buf[d + 1 + dec] = '\0';
			return 0;
		}
	}
	if (d <= w) {
		buf[put_u64(buf, ms)] = '\0';
		return 0;
	}
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		uint64_t v = ns / units[i].ns;
		size_t vd = ndigits(v);

		if (vd + 1 <= w) {
			put_u64(buf, v);
			buf[vd] = units[i].unit;
			buf[vd + 1] = '\0';
			return 0;
		}
	}
	memset(buf, '#', w);
	buf[w] = '\0';
	return 0;
}

void count_fit(uint64_t v, size_t w, char *buf, size_t n)
{
	static const struct {
		uint64_t div;
		char unit;
	} units[] = { { 1000, 'k' }, { 1000000, 'M' }, { 1000000000, 'G' } };
	uint64_t cap = 0;

	if (ndigits(v) <= w) {
		fmt_u64(buf, n, v);
		return;
	}
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		uint64_t q = v / units[i].div;

		if (q && ndigits(q) + 2 <= w) {
			snprintf(buf, n, "%" PRIu64 "%c+", q, units[i].unit);
			return;
		}
	}
	/* Too large for any unit at this width: the largest bound that fits
	 * in the largest unit reached is still true, only weaker. */
	for (size_t i = 0; i + 2 < w; i++)
		cap = cap * 10 + 9;
	for (size_t i = sizeof(units) / sizeof(units[0]); i-- > 0;) {
		uint64_t q = v / units[i].div;

		if (q) {
			snprintf(buf, n, "%" PRIu64 "%c+", q < cap ? q : cap, units[i].unit);
			return;
		}
	}
}

void ident_fmt(const struct conn *c, size_t pid_w, size_t comm_w, size_t addr_w,
	       struct ident_cols *out)
{
	char tmp[SINK_ENDPOINT_LEN];
	char comm[SINK_COMM_LEN];

	if (c->owner_known) {
		fmt_u64(tmp, sizeof(tmp), c->owner.pid);
		fit_end(tmp, pid_w < sizeof(out->pid) ? pid_w : sizeof(out->pid) - 1, out->pid);
		comm_fmt(c, comm, sizeof(comm));
		fit_end(comm, comm_w < SINK_COMM_LEN ? comm_w : SINK_COMM_LEN - 1, out->comm);
	} else {
		fmt_str(out->pid, sizeof(out->pid), "-");
		fmt_str(out->comm, sizeof(out->comm), "-");
	}
	if (addr_w >= SINK_ENDPOINT_LEN)
		addr_w = SINK_ENDPOINT_LEN - 1;
	endpoint_fmt(&c->tuple, true, tmp, sizeof(tmp));
	fit_middle(tmp, addr_w, out->local);
	endpoint_fmt(&c->tuple, false, tmp, sizeof(tmp));
	fit_middle(tmp, addr_w, out->remote);
}
