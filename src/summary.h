/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* A run's totals as the user reads them: what was lost, the exit status,
 * the summary line. Used by the outputs and by main. */
#ifndef TL_SUMMARY_H
#define TL_SUMMARY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "conn.h"

/* Exit statuses (README "Exit status", tcplife-states(8) EXIT STATUS). */
enum {
	TL_EXIT_OK = 0,    /* every record accounted for */
	TL_EXIT_ERROR = 1, /* runtime error, an output that failed included */
	TL_EXIT_USAGE = 2,
	TL_EXIT_LOST = 3,  /* the run finished but records were lost */
};
/* Records the tracing lost: ring-buffer drops, failed map inserts, stale
 * sockets, bad records, program runs the kernel skipped, state changes no
 * program of ours saw (gaps: also where the kernel did not count the skip),
 * ends not seen, timewait socks
 * whose end could not be confirmed. */
uint64_t summary_lost(const struct summary *s);
/* The exit status of a run that got as far as its summary. */
int run_status(const struct summary *s, bool error);
/* What an output error (-errno) means to the user: strerror, but
 * -ETIMEDOUT is the reader that stopped reading (outfd.h); 0: a generic
 * "output error" (records lost without an error of their own). */
const char *output_error_text(int err);
/* Human summary line for stderr. */
void summary_line(const struct summary *s, char *buf, size_t n);

#endif /* TL_SUMMARY_H */
