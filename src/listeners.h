/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Listening sockets of every network namespace and their owners, read at
 * start-up (sock_diag for the sockets, then /proc for the first process
 * holding each one's fd, read for those sockets only: procfd_scan_for). A child nobody accepted has no fd, so no process of its
 * own: it is shown with its listener's owner (owner_from=listener). The
 * kernel side learns the listeners that start later at listen() itself
 * (bpf/listener.bpf.h); these fill in the older ones, and name the owners
 * of request socks (half-open, `ss` state SYN-RECV) for --once.
 */
#ifndef TL_LISTENERS_H
#define TL_LISTENERS_H

#include <stdint.h>
#include "hmap.h"
#include "procfd.h"
#include "sockdiag.h"
#include "tcplife.h"

struct listener {
	struct tl_listen_key key;
	struct tl_listen_val val; /* skaddr 0: sock_diag does not tell it */
	int32_t fd;               /* the owner's fd for the listener */
};

struct listeners {
	struct hmap by_key; /* struct tl_listen_key -> struct listener */
	uint64_t owned;     /* listeners with a holder found */
	/* Listed, owners not yet looked for: in listing order. */
	size_t n_listed, cap;
	struct tl_listen_key *keys;
	uint64_t *inodes;
};

int listeners_init(struct listeners *ls);
void listeners_free(struct listeners *ls);
/* List the listeners `sd` lists (its namespace is `netns`). Returns how
 * many, or -errno. */
int listeners_list_ns(struct listeners *ls, struct sockdiag *sd, uint32_t netns);
/* Each listed listener owned by its first holder in `pf` (a scan for
 * ls->inodes[0..n_listed) at least); one not held by any process is
 * left out. 0 or -ENOMEM. */
int listeners_own(struct listeners *ls, const struct procfd *pf);
/* The listener a passive socket of namespace `netns` with local end
 * t->saddr:t->sport queues on: exact address first, then the family's
 * wildcard. NULL if none, or none with a known owner. */
const struct listener *listeners_find(const struct listeners *ls, uint32_t netns,
				      const struct tl_tuple *t);

#endif /* TL_LISTENERS_H */
