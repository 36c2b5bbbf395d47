/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Network namespaces. NETLINK_SOCK_DIAG and iter/tcp show only the sockets
 * of the namespace the netlink socket or the iterator was created in, while
 * the tracepoints see every namespace; so the loader visits each namespace
 * in use (setns) to seed, and the owner's one to read a receive queue.
 */
#ifndef TL_NETNS_H
#define TL_NETNS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct netns_list {
	int *fds; /* one open /proc/PID/ns/net per distinct namespace */
	size_t n;
};

/* Every namespace some process is in, the calling thread's first. 0 or -errno. */
int netns_list_all(struct netns_list *l);
/* The same, and every namespace only a bind mount keeps (`ip netns add`
 * with no process in it: its sysctls and counters still apply to the next
 * process that enters it). For --once --limits. */
int netns_list_mounted(struct netns_list *l);
void netns_list_free(struct netns_list *l);
/* open("/proc/PID/ns/net") (pid 0: the calling thread's); fd or -errno. */
int netns_open(uint32_t pid);
/* The namespace's identity (its inode), 0 if unknown. */
uint64_t netns_id(int fd);
/* Whether `path` (a bind mount, /proc/PID/ns/net) names namespace `inum`. */
bool netns_names(const char *path, uint32_t inum);
/* A path naming namespace `inum` into `path`: a bind mount of it (`ip netns
 * add`, found in /proc/self/mountinfo), else a process in it. 0, or -ENOENT
 * when there is none: nothing but open fds and sockets keeps it alive (it is
 * being torn down once the last goes). */
int netns_find(uint32_t inum, char *path, size_t size);
/* An fd of namespace `inum`, opened through the path netns_find() gives;
 * -ENOENT when nothing names it, else -errno. */
int netns_open_id(uint32_t inum);
/* setns(fd, CLONE_NEWNET); 0 or -errno. */
int netns_enter(int fd);
/* fn(arg) inside namespace `fd`, then back to `home` (the caller's). Returns
 * fn's result; -ENOENT if the namespace could not be entered (gone); exits
 * the process if it cannot get back home, as everything after would look
 * at the wrong namespace. */
int netns_run(int fd, int home, int (*fn)(void *arg), void *arg);
/* fn(arg) in the list's i-th namespace: the first is the caller's own
 * (netns_list_all), run where it is, the others through netns_run. */
int netns_list_run(const struct netns_list *l, size_t i, int (*fn)(void *arg), void *arg);

#endif /* TL_NETNS_H */
