/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The write path under the file and pipe sinks: a stdio stream over a file
 * descriptor whose writes retry after EINTR, never block past the shutdown
 * deadline on a reader that stopped reading, and count the lines they had to
 * drop, so the run can say what did not reach its output.
 */
#ifndef TL_OUTFD_H
#define TL_OUTFD_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

/* How long shutdown waits for a writer that makes no progress. */
#define OUTFD_GRACE_NS 2000000000ULL

struct outfd {
	int fd;
	bool own;         /* close(fd) at outfd_close */
	int saved_fl;     /* F_GETFL before O_NONBLOCK was set; -1 = untouched */
	bool gave_up;     /* the reader stalled past the grace: writes dropped */
	uint64_t progress_ns; /* last time a write went through */
	uint64_t lost_lines;  /* lines dropped (stalled) or discarded by an error */
};

/* Shutdown starts when *flag becomes non-zero (a signal handler sets it:
 * a write blocked on a stalled reader notices it), or at outfd_shutdown. */
void outfd_watch(const volatile sig_atomic_t *flag);
void outfd_shutdown(uint64_t now_ns);
/* Wrap fd (owned when `own`) in a fully buffered stream using buf[size].
 * Pipes and sockets are made non-blocking: the stream waits for them itself,
 * so that a stop is noticed. NULL with errno set on failure. */
FILE *outfd_stream(struct outfd *o, int fd, bool own, char *buf, size_t size);
/* The newlines in buf[0..n): the records a dropped chunk held. */
uint64_t outfd_count_lines(const char *buf, size_t n);

#endif /* TL_OUTFD_H */
