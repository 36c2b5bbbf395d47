/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * --once --limits: read the limits of every network namespace in use
 * (tcplimits.h) and print them. /proc/sys/net and /proc/thread-self/net answer
 * for the namespace the reader is in when it opens them, and a sock_diag
 * socket for the one it was made in: each namespace is entered (setns, so
 * root) to open them. No BPF is loaded.
 */
#ifndef TL_TCPLIMITS_SCAN_H
#define TL_TCPLIMITS_SCAN_H

#include <stdio.h>
#include "tcplimits.h"

/* Read the namespace the caller is in now into *l (netns and first set by
 * the caller). Returns 0; what could not be read stays LIM_ABSENT. */
int limits_read_here(void *l);
/* Print every namespace's limits: text on stdout, unless `json_path` is
 * "-"; JSON lines to `json_path` when it is set. Returns the exit status
 * (0, or 1 after one error line). */
int limits_run(const char *json_path);

/* A whole small proc file into buf, NUL-terminated. 0 or -errno. */
int limits_read_text(const char *path, char *buf, size_t size);

/* Where --once's lines go (--limits, --listeners): FILE for the text
 * (stdout, or NULL with --json -) and for the JSON lines (NULL without
 * --json). Open: 0 or -1 after an error line; close: the exit status. */
struct lim_out {
	FILE *text, *json;
};
int lim_out_open(struct lim_out *o, const char *json_path);
int lim_out_close(struct lim_out *o, const char *json_path);

#endif /* TL_TCPLIMITS_SCAN_H */
