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

	/* The caller's is the calling thread's: setns() moves one thread,
	 * and "/proc/self" is the main thread's. The listener listings'
	 * thread took the namespace the main thread was visiting for its own
	 * (tests/unit/test_netns.c). */
	if (pid)
		snprintf(path, sizeof(path), "/proc/%u/ns/net", pid);
	else
		snprintf(path, sizeof(path), "/proc/thread-self/ns/net");
	fd = open(path, O_RDONLY | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

uint64_t netns_id(int fd)
{
	struct stat st;

	return fstat(fd, &st) ? 0 : (uint64_t)st.st_ino;
}

bool netns_names(const char *path, uint32_t inum)
{
	struct stat st;

	return !stat(path, &st) && (uint32_t)st.st_ino == inum;
}

/* nsfs bind mounts: mountinfo's root field is "net:[INUM]" for them. Calls
 * fn(mount point, INUM, arg) for each until fn returns other than 0 (its
 * return, else 0); -errno if mountinfo cannot be read. A mount point with an
 * escaped character (\040 ...) is passed to fn as written, where stat()
 * and open() will not find it; a process in it may still name it. */
static int each_net_mount(int (*fn)(const char *mnt, uint32_t inum, void *arg), void *arg)
{
	char line[1024], mnt[512];
	unsigned int inum;
	FILE *f = fopen("/proc/self/mountinfo", "re");
	int rc = 0;

	if (!f)
		return -errno;
	while (!rc && fgets(line, sizeof(line), f))
		if (sscanf(line, "%*s %*s %*s net:[%u] %511s", &inum, mnt) == 2)
			rc = fn(mnt, inum, arg);
	fclose(f);
	return rc;
}

struct mount_want {
	uint32_t inum;
	char *path;
	size_t size;
};

static int mount_named(const char *mnt, uint32_t inum, void *arg)
{
	struct mount_want *w = arg;

	if (inum != w->inum || strlen(mnt) >= w->size || !netns_names(mnt, inum))
		return 0;
	snprintf(w->path, w->size, "%s", mnt);
	return 1;
}

static int find_mount(uint32_t inum, char *path, size_t size)
{
	struct mount_want w = { inum, path, size };
	int rc = each_net_mount(mount_named, &w);

	return rc < 0 ? rc : rc ? 0 : -ENOENT;
}

static int find_process(uint32_t inum, char *path, size_t size)
{
	struct dirent *d;
	DIR *dir = opendir("/proc");
	int err = -ENOENT;

	if (!dir)
		return -errno;
	while (err && (d = readdir(dir))) {
		if (d->d_name[0] < '1' || d->d_name[0] > '9')
			continue;
		snprintf(path, size, "/proc/%s/ns/net", d->d_name);
		if (netns_names(path, inum))
			err = 0;
	}
	closedir(dir);
	return err;
}

int netns_find(uint32_t inum, char *path, size_t size)
{
	int err = find_mount(inum, path, size), perr;

	if (!err)
		return 0;
	perr = find_process(inum, path, size);
	/* Gone only if both looked everywhere: an unreadable mountinfo is no
	 * proof that no bind mount holds it. */
	if (!perr)
		return 0;
	return err == -ENOENT ? perr : err;
}

int netns_open_id(uint32_t inum)
{
	char path[PATH_MAX];
	int fd, err = netns_find(inum, path, sizeof(path));

	if (err)
		return err;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
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

int netns_list_run(const struct netns_list *l, size_t i, int (*fn)(void *arg), void *arg)
{
	return i ? netns_run(l->fds[i], l->fds[0], fn, arg) : fn(arg);
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

/* The caller's namespace first, then every other one a process is in. */
static int add_processes(struct netns_list *l, struct hmap *seen)
{
	struct dirent *d;
	DIR *dir;
	int err, fd;

	fd = netns_open(0);
	err = fd < 0 ? fd : list_add(l, seen, fd);
	dir = err ? NULL : opendir("/proc");
	if (!err && !dir)
		err = -errno;
	while (!err && dir && (d = readdir(dir))) {
		char *end;
		unsigned long pid = strtoul(d->d_name, &end, 10);

		if (!isdigit((unsigned char)d->d_name[0]) || *end)
			continue;
		fd = netns_open((uint32_t)pid);
		if (fd < 0)
			continue; /* gone, or a kernel thread */
		err = list_add(l, seen, fd);
	}
	if (dir)
		closedir(dir);
	return err;
}

/* Every namespace kept by an nsfs bind mount (`ip netns add`). */
struct mount_add {
	struct netns_list *l;
	struct hmap *seen;
};

static int mount_add(const char *mnt, uint32_t inum, void *arg)
{
	struct mount_add *a = arg;
	int fd = open(mnt, O_RDONLY | O_CLOEXEC);

	(void)inum;
	return fd < 0 ? 0 : list_add(a->l, a->seen, fd);
}

static int add_mounts(struct netns_list *l, struct hmap *seen)
{
	struct mount_add a = { l, seen };

	return each_net_mount(mount_add, &a);
}

static int list_build(struct netns_list *l, bool mounts)
{
	struct hmap seen;
	int err;

	l->fds = NULL;
	l->n = 0;
	if (hmap_init(&seen, sizeof(uint64_t)))
		return -ENOMEM;
	err = add_processes(l, &seen);
	if (!err && mounts)
		err = add_mounts(l, &seen);
	hmap_fini(&seen);
	if (err)
		netns_list_free(l);
	return err;
}

int netns_list_all(struct netns_list *l)
{
	return list_build(l, false);
}

int netns_list_mounted(struct netns_list *l)
{
	return list_build(l, true);
}

void netns_list_free(struct netns_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		close(l->fds[i]);
	free(l->fds);
	l->fds = NULL;
	l->n = 0;
}
