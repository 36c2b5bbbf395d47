// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#ifndef TL_SOCKWATCH_H
#define TL_SOCKWATCH_H

/*
 * Follows the socks no tracepoint shows (timewait socks, request socks) by
 * listing them with sock_diag in each network namespace conntab waits on,
 * about once a second. A namespace is entered with setns() only to open
 * its netlink socket and its /proc/net/netstat; both are closed as soon as
 * nothing waits there, or as soon as nothing but them names the namespace
 * (deleted: they alone would keep it, and its timewait socks, alive; its
 * timewait socks end netns_gone).
 */
#include <stdint.h>
#include "conntab.h"

struct sockwatch;

struct sockwatch *sockwatch_new(uint64_t interval_ns);
void sockwatch_free(struct sockwatch *w);
/* List what conntab waits on, if the interval has passed since the last time. */
void sockwatch_poll(struct sockwatch *w, struct conntab *ct, uint64_t now_ns);
/* At exit, once the last records are in: list once more, whatever the
 * interval, so that what is written open is what the kernel still holds
 * (a busy namespace's interval stretches to seconds). */
void sockwatch_final(struct sockwatch *w, struct conntab *ct, uint64_t now_ns);
/* At exit: one listing of every namespace with rows still open, every
 * state (conntab_census_*). Returns the rows marked unseen: drain, then
 * conntab_end_unseen(). */
size_t sockwatch_census(struct sockwatch *w, struct conntab *ct, uint64_t now_ns);

#endif
