// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "safeopen.h"

#define NEW_MODE 0600 /* connection records name processes and peers */
#define METRICS_MODE 0644 /* aggregates only; read by the textfile collector */

/* The refusals safe_open and safe_replace explain (*why). */
#define WHY_SYMLINK "it is a symbolic link, which is never followed (name the file it points to)"
#define WHY_FOREIGN "it belongs to another user in a sticky, world-writable directory " \
		    "(refused as fs.protected_regular does; remove it or choose another name)"

int safe_owner_ok(const struct stat *dir, const struct stat *file, uid_t euid)
{
	if (!(dir->st_mode & S_ISVTX) || !(dir->st_mode & S_IWOTH))
		return 0;
	if (file->st_uid == euid || file->st_uid == dir->st_uid)
		return 0;
	return -EACCES;
}

/* The directory part of path, opened O_PATH, and the name in it: the checks
 * and the open then see the same directory even if the path is renamed. */
static int open_parent(const char *path, const char **base)
{
	char dir[PATH_MAX];
	const char *slash = strrchr(path, '/');
	size_t len;

	if (!slash) {
		*base = path;
		return open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);
	}
	*base = slash + 1;
	len = slash == path ? 1 : (size_t)(slash - path);
	if (len >= sizeof(dir)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(dir, path, len);
	dir[len] = '\0';
	return open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
}

/* An existing file: opened without O_CREAT (so without the kernel's own
 * protected_regular check) and without O_TRUNC, checked, then truncated. */
static int open_existing(int dfd, const char *base, int flags, const char **why)
{
	struct stat dst, fst;
	int fd, e;

	fd = openat(dfd, base, O_WRONLY | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC | flags);
	if (fd < 0) {
		e = errno;
		if (e == ELOOP)
			*why = WHY_SYMLINK;
		return -e;
	}
	if (fstat(dfd, &dst) || fstat(fd, &fst)) {
		e = errno;
		close(fd);
		return -e;
	}
	if (safe_owner_ok(&dst, &fst, geteuid())) {
		*why = WHY_FOREIGN;
		close(fd);
		return -EACCES;
	}
	if (!(flags & O_APPEND) && S_ISREG(fst.st_mode) && ftruncate(fd, 0)) {
		e = errno;
		close(fd);
		return -e;
	}
	return fd;
}

static int safe_open(const char *path, int flags, const char **why)
{
	const char *base;
	int dfd, fd = -ENOENT;

	*why = NULL;
	dfd = open_parent(path, &base);
	if (dfd < 0)
		return -errno;
	if (!*base) {
		close(dfd);
		return -EISDIR;
	}
	/* O_EXCL: a new file is ours (and a dangling symlink is EEXIST). A
	 * file removed between the two opens is retried, a few times. */
	for (int i = 0; i < 3 && fd == -ENOENT; i++) {
		fd = openat(dfd, base, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC | flags,
			    NEW_MODE);
		if (fd >= 0) {
			/* The umask may have taken bits away from 0600, not added. */
			fchmod(fd, NEW_MODE);
			break;
		}
		fd = -errno;
		if (fd == -EEXIST)
			fd = open_existing(dfd, base, flags, why);
	}
	close(dfd);
	return fd;
}

int safe_open_output(const char *path, const char **why)
{
	return safe_open(path, 0, why);
}

int safe_open_append(const char *path, const char **why)
{
	return safe_open(path, O_APPEND, why);
}

/* What base names now may be replaced: nothing, or a file that is no
 * symlink and passes safe_owner_ok. */
static int replace_ok(int dfd, const char *base, const char **why)
{
	struct stat dst, fst;

	if (fstatat(dfd, base, &fst, AT_SYMLINK_NOFOLLOW))
		return errno == ENOENT ? 0 : -errno;
	if (S_ISLNK(fst.st_mode)) {
		*why = WHY_SYMLINK;
		return -ELOOP;
	}
	if (fstat(dfd, &dst))
		return -errno;
	if (safe_owner_ok(&dst, &fst, geteuid())) {
		*why = WHY_FOREIGN;
		return -EACCES;
	}
	return 0;
}

static int write_all(int fd, const char *p, size_t len)
{
	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* The temporary file, new (O_EXCL); one left by a run with the same pid
 * that died is removed first. */
static int open_tmp(int dfd, const char *tmp)
{
	int fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, METRICS_MODE);

	if (fd < 0 && errno == EEXIST && !unlinkat(dfd, tmp, 0))
		fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, METRICS_MODE);
	if (fd < 0)
		return -errno;
	fchmod(fd, METRICS_MODE); /* whatever the umask */
	return fd;
}

static int replace_at(int dfd, const char *base, const void *data, size_t len, const char **why)
{
	char tmp[NAME_MAX + 1];
	int fd, rc;

	rc = replace_ok(dfd, base, why);
	if (rc)
		return rc;
	if (snprintf(tmp, sizeof(tmp), ".%s.%d.tmp", base, (int)getpid()) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	fd = open_tmp(dfd, tmp);
	if (fd < 0)
		return fd;
	rc = write_all(fd, data, len);
	if (!rc && fsync(fd))
		rc = -errno;
	if (close(fd) && !rc)
		rc = -errno;
	if (!rc && renameat(dfd, tmp, dfd, base))
		rc = -errno;
	if (rc)
		unlinkat(dfd, tmp, 0);
	return rc;
}

int safe_replace(const char *path, const void *data, size_t len, const char **why)
{
	const char *base;
	int dfd, rc;

	*why = NULL;
	dfd = open_parent(path, &base);
	if (dfd < 0)
		return -errno;
	rc = *base ? replace_at(dfd, base, data, len, why) : -EISDIR;
	close(dfd);
	return rc;
}
