// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "outfd.h"
#include "timefmt.h"

/* Poll slice while not shutting down: a stop taken by another thread of
 * control (no EINTR here) is still seen within this long. */
#define WAIT_SLICE_MS 100

static const volatile sig_atomic_t *stop_flag;
static uint64_t shutdown_ns; /* 0 = running */

void outfd_watch(const volatile sig_atomic_t *flag)
{
	stop_flag = flag;
}

void outfd_shutdown(uint64_t now_ns)
{
	if (!shutdown_ns)
		shutdown_ns = now_ns ? now_ns : 1;
}

uint64_t outfd_count_lines(const char *buf, size_t n)
{
	uint64_t lines = 0;
	const char *p = buf, *end = buf + n;

	while (p < end && (p = memchr(p, '\n', (size_t)(end - p)))) {
		lines++;
		p++;
	}
	return lines;
}

/* Wait until fd takes more. 0, or -ETIMEDOUT once shutdown has waited
 * OUTFD_GRACE_NS without progress. */
static int outfd_wait(struct outfd *o)
{
	struct pollfd pfd = { .fd = o->fd, .events = POLLOUT };
	uint64_t now, since, left;
	int ms;

	for (;;) {
		now = mono_now_ns();
		if (stop_flag && *stop_flag)
			outfd_shutdown(now);
		ms = WAIT_SLICE_MS;
		if (shutdown_ns) {
			since = o->progress_ns > shutdown_ns ? o->progress_ns : shutdown_ns;
			if (now >= since + OUTFD_GRACE_NS)
				return -ETIMEDOUT;
			left = (since + OUTFD_GRACE_NS - now) / 1000000 + 1;
			if (left < (uint64_t)ms)
				ms = (int)left;
		}
		/* POLLERR/POLLHUP count as ready: the write then says why. */
		if (poll(&pfd, 1, ms) > 0)
			return 0;
	}
}

/* stdio's write hook. It reports the whole chunk as written unless the
 * write failed: what a stalled reader did not take is counted and dropped
 * (glibc discards the buffer after a short write anyway, so a short count
 * would only lose the same bytes without saying so). */
static ssize_t outfd_write(void *cookie, const char *buf, size_t n)
{
	struct outfd *o = cookie;
	size_t off = 0;
	ssize_t w;

	while (off < n && !o->gave_up) {
		w = write(o->fd, buf + off, n - off);
		if (w > 0) {
			off += (size_t)w;
			o->progress_ns = mono_now_ns();
			continue;
		}
		if (w < 0 && errno == EINTR) {
			if (stop_flag && *stop_flag)
				outfd_shutdown(mono_now_ns());
			continue;
		}
		if (w < 0 && errno == EAGAIN) {
			if (outfd_wait(o) == -ETIMEDOUT)
				o->gave_up = true;
			continue;
		}
		if (w == 0)
			errno = EIO;
		w = errno;
		o->lost_lines += outfd_count_lines(buf + off, n - off);
		errno = (int)w;
		return -1;
	}
	if (off < n)
		o->lost_lines += outfd_count_lines(buf + off, n - off);
	return (ssize_t)n;
}

static int outfd_close(void *cookie)
{
	struct outfd *o = cookie;
	int rc = 0;

	if (o->saved_fl >= 0)
		fcntl(o->fd, F_SETFL, o->saved_fl);
	if (o->own && close(o->fd))
		rc = -1;
	return rc;
}

FILE *outfd_stream(struct outfd *o, int fd, bool own, char *buf, size_t size)
{
	static const cookie_io_functions_t io = { .write = outfd_write, .close = outfd_close };
	struct stat st;
	FILE *f;

	memset(o, 0, sizeof(*o));
	o->fd = fd;
	o->own = own;
	o->saved_fl = -1;
	/* A regular file or a device does not stall; a pipe or a socket can
	 * (a reader that stopped reading), and a blocking write there could
	 * not be abandoned. The flag is on the open file description, shared
	 * with whoever else holds it: put back at close. */
	if (!fstat(fd, &st) && (S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode))) {
		o->saved_fl = fcntl(fd, F_GETFL);
		if (o->saved_fl >= 0 && fcntl(fd, F_SETFL, o->saved_fl | O_NONBLOCK))
			o->saved_fl = -1;
	}
	f = fopencookie(o, "w", io);
	if (!f)
		return NULL;
	if (buf)
		setvbuf(f, buf, _IOFBF, size);
	return f;
}
