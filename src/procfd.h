/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Who holds which socket, from /proc: every /proc/PID/fd/N that reads
 * "socket:[INODE]", and the holder's comm and cgroup v2 id. Used where no
 * BPF iterator names the holders: the sock_diag seed fallback, and the
 * owners of listening sockets older than the tool on that tier (on the
 * iterator tier, tl_lsn_holders fills one with procfd_add()).
 */
#ifndef TL_PROCFD_H
#define TL_PROCFD_H

#include <stdint.h>
#include <stddef.h>
#include "hmap.h"
#include "tcplife.h"

struct fdref {
	uint32_t pid;
	int32_t fd;
};

struct holders {
	size_t n, cap;
	struct fdref *v; /* in pid order: the first is the oldest process */
};

struct procfd {
	struct hmap by_inode; /* socket inode -> struct holders */
	char cg_root[256];    /* cgroup2 mount point, "" if none */
	size_t pids, pids_read; /* processes listed; those whose fds were read */
};

/* Scan every process's fds. 0 or -errno; procfd_free() in either case. */
int procfd_scan(struct procfd *p);
/* The same, for the holders of `n` sockets only (the listeners, whose
 * owner is their first holder): the scan ends once each has a holder in
 * processes before any left to read, and stops reading a process's fds
 * there too. A server listens on a low fd, so a host holding a million
 * connections is not read whole for a few listeners (--once at 1 000 000:
 * the full scan was 1.3-1.6 s). procfd_holders() then gives each one its
 * holders up to that point, the first of them exact. */
int procfd_scan_for(struct procfd *p, const uint64_t *inodes, size_t n);
/* Empty, to be filled from elsewhere (a BPF iterator: tl_lsn_holders) with
 * procfd_add(), in pid order. 0 or -ENOMEM; procfd_free() in either case. */
int procfd_init(struct procfd *p);
/* Process pid holds socket `inode` as fd. 0 or -ENOMEM. */
int procfd_add(struct procfd *p, uint64_t inode, uint32_t pid, int32_t fd);
void procfd_free(struct procfd *p);
/* The holders of socket `inode`, NULL if none. */
const struct holders *procfd_holders(const struct procfd *p, uint64_t inode);
/* The process's cgroup v2 id (the inode of its directory), 0 if unknown. */
uint64_t procfd_cgroup(const struct procfd *p, uint32_t pid);
/* The process's comm, zero-filled; all zero if it is gone. */
void procfd_comm(uint32_t pid, char comm[TL_COMM_LEN]);

#endif /* TL_PROCFD_H */
