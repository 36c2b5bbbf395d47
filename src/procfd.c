// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "procfd.h"

static int holders_add(struct hmap *m, uint64_t ino, uint32_t pid, int32_t fd)
{
	struct holders *h = hmap_get(m, &ino);
	struct fdref *grown;

	if (!h) {
		h = calloc(1, sizeof(*h));
		if (!h || hmap_put(m, &ino, h)) {
			free(h);
			return -ENOMEM;
		}
	}
	if (h->n == h->cap) {
		h->cap = h->cap ? 2 * h->cap : 2;
		grown = realloc(h->v, h->cap * sizeof(*h->v));
		if (!grown)
			return -ENOMEM;
		h->v = grown;
	}
	h->v[h->n++] = (struct fdref){ pid, fd };
	return 0;
}

/* Every socket fd of every process: /proc/PID/fd/N -> "socket:[INODE]".
 * Processes are visited in pid order, so the first holder is the oldest. */
static int scan_proc_fds(struct hmap *m)
{
	DIR *proc = opendir("/proc");
	struct dirent *p;
	int err = 0;

	if (!proc)
		return -errno;
	while (!err && (p = readdir(proc))) {
		char path[64], link[64], *end;
		unsigned long pid = strtoul(p->d_name, &end, 10);
		struct dirent *f;
		DIR *fds;

		if (!isdigit((unsigned char)p->d_name[0]) || *end)
			continue;
		snprintf(path, sizeof(path), "/proc/%lu/fd", pid);
		fds = opendir(path);
		if (!fds)
			continue; /* gone */
		while (!err && (f = readdir(fds))) {
			unsigned long long ino;
			ssize_t len;
			long fd = strtol(f->d_name, &end, 10);

			if (!isdigit((unsigned char)f->d_name[0]) || *end)
				continue;
			len = readlinkat(dirfd(fds), f->d_name, link, sizeof(link) - 1);
			if (len <= 0)
				continue;
			link[len] = '\0';
			if (sscanf(link, "socket:[%llu]", &ino) == 1)
				err = holders_add(m, ino, (uint32_t)pid, (int32_t)fd);
		}
		closedir(fds);
	}
	closedir(proc);
	return err;
}

static void cgroup_root(char *buf, size_t n)
{
	char dev[64], dir[256], type[32];
	FILE *f = fopen("/proc/self/mounts", "re");

	buf[0] = '\0';
	if (!f)
		return;
	while (fscanf(f, "%63s %255s %31s %*[^\n]", dev, dir, type) == 3) {
		if (!strcmp(type, "cgroup2")) {
			snprintf(buf, n, "%s", dir);
			break;
		}
	}
	fclose(f);
}

int procfd_scan(struct procfd *p)
{
	int err;

	memset(p, 0, sizeof(*p));
	if (hmap_init(&p->by_inode, sizeof(uint64_t)))
		return -ENOMEM;
	cgroup_root(p->cg_root, sizeof(p->cg_root));
	err = scan_proc_fds(&p->by_inode);
	return err;
}

void procfd_free(struct procfd *p)
{
	struct hmap_node *n;
	size_t b;

	for (n = hmap_first(&p->by_inode, &b); n; n = hmap_next(&p->by_inode, n, &b)) {
		free(((struct holders *)n->value)->v);
		free(n->value);
	}
	hmap_fini(&p->by_inode);
}

const struct holders *procfd_holders(const struct procfd *p, uint64_t inode)
{
	const struct holders *h = inode ? hmap_get(&p->by_inode, &inode) : NULL;

	return h && h->n ? h : NULL;
}

/* The process's cgroup v2 id: the inode of its directory ("0::/path"). */
uint64_t procfd_cgroup(const struct procfd *p, uint32_t pid)
{
	char path[64], line[512], full[800];
	uint64_t id = 0;
	struct stat st;
	FILE *f;

	if (!p->cg_root[0])
		return 0;
	snprintf(path, sizeof(path), "/proc/%u/cgroup", pid);
	f = fopen(path, "re");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, "0::", 3))
			continue;
		line[strcspn(line, "\n")] = '\0';
		snprintf(full, sizeof(full), "%s%s", p->cg_root, line + 3);
		if (!stat(full, &st))
			id = st.st_ino;
		break;
	}
	fclose(f);
	return id;
}

void procfd_comm(uint32_t pid, char comm[TL_COMM_LEN])
{
	char path[64];
	ssize_t n;
	int fd;

	memset(comm, 0, TL_COMM_LEN);
	snprintf(path, sizeof(path), "/proc/%u/comm", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	n = read(fd, comm, TL_COMM_LEN - 1);
	close(fd);
	if (n > 0 && comm[n - 1] == '\n')
		comm[n - 1] = '\0';
}
