// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "procfd.h"
#include "threads.h"

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
/* One process's sockets, as a worker read them. */
struct pid_scan {
	uint32_t pid;
	size_t n, cap;
	struct { uint64_t ino; int32_t fd; } *v;
	int err;
};

/* The scan split over threads, a process at a time: at a million
 * descriptors the readlink() of each was 2.2 s of a 9 s --once (perf: 17 %
 * of the run in readlinkat). The results are merged in pid order, as one
 * thread read them. */
struct scan_work {
	struct pid_scan *ps;
	size_t n;
	size_t next; /* the next process to take (atomic) */
	/* procfd_scan_for(): the sockets wanted (inode -> struct want), and
	 * when the scan may end. A process index is a place in pid order. */
	struct hmap *want;
	size_t n_want;
	size_t found;    /* wanted sockets with a holder seen (atomic) */
	size_t last_idx; /* the largest index one of them was first seen at (atomic) */
	size_t read;     /* processes read (atomic) */
};

struct want {
	bool seen; /* a holder of it read (atomic) */
};

/* Every wanted socket has a holder in a process before `idx`: those after
 * it cannot hold one first. The bound is conservative: a worker still on a
 * process before `idx` can only lower an index. */
static bool want_done_before(struct scan_work *w, size_t idx)
{
	return w->want && __atomic_load_n(&w->found, __ATOMIC_ACQUIRE) == w->n_want &&
	       __atomic_load_n(&w->last_idx, __ATOMIC_ACQUIRE) < idx;
}

/* Socket `ino` of process index `idx`: kept if the scan wants it. */
static bool want_note(struct scan_work *w, uint64_t ino, size_t idx)
{
	struct want *x = hmap_get(w->want, &ino);
	size_t cur;

	if (!x)
		return false;
	/* Its first sighting, whichever worker: the index it gives bounds
	 * the first holder's from above. */
	if (!__atomic_exchange_n(&x->seen, true, __ATOMIC_ACQ_REL)) {
		cur = __atomic_load_n(&w->last_idx, __ATOMIC_RELAXED);
		while (idx > cur && !__atomic_compare_exchange_n(&w->last_idx, &cur, idx, false,
								  __ATOMIC_ACQ_REL, __ATOMIC_RELAXED))
			;
		__atomic_add_fetch(&w->found, 1, __ATOMIC_ACQ_REL);
	}
	return true;
}

#define SCAN_THREADS_MAX 4

static int pid_scan_add(struct pid_scan *s, uint64_t ino, int32_t fd)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 16;
		void *v = realloc(s->v, cap * sizeof(*s->v));

		if (!v)
			return -ENOMEM;
		s->v = v;
		s->cap = cap;
	}
	s->v[s->n].ino = ino;
	s->v[s->n++].fd = fd;
	return 0;
}

static void scan_pid(struct scan_work *w, size_t idx)
{
	struct pid_scan *s = &w->ps[idx];
	char path[64], link[64], *end;
	struct dirent *f;
	DIR *fds;

	snprintf(path, sizeof(path), "/proc/%u/fd", s->pid);
	fds = opendir(path);
	if (!fds)
		return; /* gone */
	while (!s->err && (f = readdir(fds))) {
		unsigned long long ino;
		ssize_t len;
		long fd = strtol(f->d_name, &end, 10);

		if (!isdigit((unsigned char)f->d_name[0]) || *end)
			continue;
		len = readlinkat(dirfd(fds), f->d_name, link, sizeof(link) - 1);
		if (len <= 0)
			continue;
		link[len] = '\0';
		if (sscanf(link, "socket:[%llu]", &ino) != 1 || (w->want && !want_note(w, ino, idx)))
			continue;
		s->err = pid_scan_add(s, ino, (int32_t)fd);
		/* Its other fds cannot hold a wanted socket first (the first
		 * holder is the first process, at its first fd). */
		if (want_done_before(w, idx + 1))
			break;
	}
	closedir(fds);
}

static void *scan_worker(void *arg)
{
	struct scan_work *w = arg;
	size_t i;

	while ((i = __atomic_fetch_add(&w->next, 1, __ATOMIC_RELAXED)) < w->n) {
		if (want_done_before(w, i))
			break;
		scan_pid(w, i);
		__atomic_add_fetch(&w->read, 1, __ATOMIC_RELAXED);
	}
	return NULL;
}

/* The processes in /proc's order (ascending pid). */
static int list_pids(struct scan_work *w)
{
	DIR *proc = opendir("/proc");
	struct dirent *p;
	size_t cap = 0;
	int err = 0;

	if (!proc)
		return -errno;
	while ((p = readdir(proc))) {
		char *end;
		unsigned long pid = strtoul(p->d_name, &end, 10);

		if (!isdigit((unsigned char)p->d_name[0]) || *end)
			continue;
		if (w->n == cap) {
			void *v;

			cap = cap ? 2 * cap : 256;
			v = realloc(w->ps, cap * sizeof(*w->ps));
			if (!v) {
				err = -ENOMEM;
				break;
			}
			w->ps = v;
		}
		w->ps[w->n++] = (struct pid_scan){ .pid = (uint32_t)pid };
	}
	closedir(proc);
	return err;
}

static int scan_proc_fds(struct procfd *p, struct hmap *want, size_t n_want)
{
	struct hmap *m = &p->by_inode;
	struct scan_work w = { .want = want, .n_want = n_want };
	pthread_t th[SCAN_THREADS_MAX];
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	size_t nth = cpus > 1 ? (size_t)(cpus < SCAN_THREADS_MAX ? cpus : SCAN_THREADS_MAX) : 1;
	size_t started = 0;
	int err = list_pids(&w);

	/* This thread is one of the workers; the others only if they start. */
	for (size_t i = 1; !err && i < nth && w.n > 1; i++)
		if (!thread_start(&th[started], scan_worker, &w))
			started++;
	if (!err)
		scan_worker(&w);
	for (size_t i = 0; i < started; i++)
		pthread_join(th[i], NULL);
	for (size_t i = 0; i < w.n; i++) {
		struct pid_scan *s = &w.ps[i];

		if (!err)
			err = s->err;
		for (size_t j = 0; !err && j < s->n; j++)
			err = holders_add(m, s->v[j].ino, s->pid, s->v[j].fd);
		free(s->v);
	}
	free(w.ps);
	p->pids = w.n;
	p->pids_read = w.read;
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

int procfd_init(struct procfd *p)
{
	memset(p, 0, sizeof(*p));
	if (hmap_init(&p->by_inode, sizeof(uint64_t)))
		return -ENOMEM;
	cgroup_root(p->cg_root, sizeof(p->cg_root));
	return 0;
}

int procfd_add(struct procfd *p, uint64_t inode, uint32_t pid, int32_t fd)
{
	return holders_add(&p->by_inode, inode, pid, fd);
}

int procfd_scan(struct procfd *p)
{
	return procfd_init(p) ? -ENOMEM : scan_proc_fds(p, NULL, 0);
}

int procfd_scan_for(struct procfd *p, const uint64_t *inodes, size_t n)
{
	struct hmap want;
	struct want *v;
	size_t n_want = 0;
	int err = procfd_init(p);

	if (err)
		return err;
	if (!n)
		return 0; /* nothing to find: no process read */
	v = calloc(n, sizeof(*v));
	if (!v || hmap_init(&want, sizeof(uint64_t))) {
		free(v);
		return -ENOMEM;
	}
	for (size_t i = 0; !err && i < n; i++) {
		if (!inodes[i] || hmap_get(&want, &inodes[i]))
			continue; /* no inode to find; or twice in the list */
		err = hmap_put(&want, &inodes[i], &v[n_want]) ? -ENOMEM : 0;
		n_want++;
	}
	if (!err)
		err = scan_proc_fds(p, &want, n_want);
	hmap_fini(&want);
	free(v);
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
