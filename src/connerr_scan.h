/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The measurement behind an EADDRNOTAVAIL hint (connerr.h): the ports in
 * use to the failing destination, read in its network namespace (setns,
 * sock_diag and /proc/sys there, as --once --limits reads them:
 * tcplimits_scan.c) soon after the first failure of each line, at most
 * CONNERR_MAX_SCANS times a run.
 */
#ifndef TL_CONNERR_SCAN_H
#define TL_CONNERR_SCAN_H

#include "connerr.h"

/* Measure every line that waits for it (none: nothing done). */
void connerr_scan_due(struct connerr_tab *t);
/* At exit: measure what still waits, then the lines with most failures
 * and their hints on standard error, one line each. */
void connerr_log(struct connerr_tab *t);

#endif /* TL_CONNERR_SCAN_H */
