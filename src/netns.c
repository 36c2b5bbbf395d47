// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "hmap.h"
#include "log.h"
#include "netns.h"

int netns_open(uint32_t pid)
{
	char path[48];
	int fd;

	if (pid)
		snprintf(path, sizeof(path), "/proc/%u/ns/net", pid);
	else
		snprintf(path, sizeof(path), "/proc/self/ns/net");
	fd = open(path, O_RDONLY | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

uint64_t netns_id(int fd)
{
	struct stat st;

	return fstat(fd, &st) ? 0 : (uint64_t)st.st_ino;
}

int netns_enter(int fd)
{
	return setns(fd, CLONE_NEWNET) ? -errno : 0;
}

int netns_run(int fd, int home, int (*fn)(void *arg), void *arg)
{
	int rc, err;

	if (netns_enter(fd))
		return -ENOENT;
	rc = fn(arg);
	err = netns_enter(home);
	if (err) {
		log_err("cannot return to the tool's network namespace: %s", strerror(-err));
		exit(1);
	}
	return rc;
}

static int list_add(struct netns_list *l, struct hmap *seen, int fd)
{
	uint64_t id = netns_id(fd);
	int *grown;

	if (!id || hmap_get(seen, &id)) {
		close(fd);
		return 0;
	}
	grown = realloc(l->fds, (l->n + 1) * sizeof(*l->fds));
	if (grown)
		l->fds = grown;
	if (!grown || hmap_put(seen, &id, (void *)1)) {
		close(fd);
		return -ENOMEM;
	}
	l->fds[l->n++] = fd;
	return 0;
}

int netns_list_all(struct netns_list *l)
{
	struct hmap seen;
	struct dirent *d;
	DIR *dir;
	int err, fd;

	l->fds = NULL;
	l->n = 0;
	if (hmap_init(&seen, sizeof(uint64_t)))
		return -ENOMEM;
	fd = netns_open(0);
	err = fd < 0 ? fd : list_add(l, &seen, fd);
	dir = err ? NULL : opendir("/proc");
	if (!err && !dir)
		err = -errno;
	while (!err && (d = readdir(dir))) {
		char *end;
		unsigned long pid = strtoul(d->d_name, &end, 10);

		if (!isdigit((unsigned char)d->d_name[0]) || *end)
			continue;
		fd = netns_open((uint32_t)pid);
		if (fd < 0)
			continue; /* gone, or a kernel thread */
		err = list_add(l, &seen, fd);
	}
	if (dir)
		closedir(dir);
	hmap_fini(&seen);
	if (err)
		netns_list_free(l);
	return err;
}

void netns_list_free(struct netns_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		close(l->fds[i]);
	free(l->fds);
	l->fds = NULL;
	l->n = 0;
}
