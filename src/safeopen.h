/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Opening a --csv/--json file as root without being turned against the
 * system: a symlink planted under the name (say in /tmp) would have us
 * truncate whatever it points to, and a file another user left in a shared
 * sticky directory is theirs to read.
 */
#ifndef TL_SAFEOPEN_H
#define TL_SAFEOPEN_H

#include <sys/stat.h>
#include <sys/types.h>

/* Open path for writing: never through a symlink (O_NOFOLLOW); a new file
 * gets mode 0600 whatever the umask; an existing one is refused when
 * safe_owner_ok says so, and truncated only once checked. Returns the fd,
 * or -errno with *why set to a sentence when the file was refused (NULL
 * when the system said no). */
int safe_open_output(const char *path, const char **why);
/* The same rules, but an existing file is appended to (O_APPEND), never
 * truncated: the reopen after a rotation (SIGUSR1), where the name may
 * still be the file being written (no rotation happened) or an empty one
 * logrotate's `create` made. */
int safe_open_append(const char *path, const char **why);
/* Replace path with data atomically (--metrics-file, for node_exporter's
 * textfile collector, which must never read half a file): a temporary file
 * beside it (".NAME.PID.tmp", O_EXCL, mode 0644: the collector runs as
 * another user), written, fsync'd, renamed over path. The same refusals as
 * safe_open_output for what path names now (a symlink, another user's file
 * in a sticky directory). 0 or -errno, *why as there. */
int safe_replace(const char *path, const void *data, size_t len, const char **why);
/* fs.protected_regular's rule: in a sticky, world-writable directory a file
 * is ours to open only if we or the directory's owner own it. 0 or -EACCES. */
int safe_owner_ok(const struct stat *dir, const struct stat *file, uid_t euid);

#endif /* TL_SAFEOPEN_H */
