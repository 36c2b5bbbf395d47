// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>
#include "safeopen.h"

static void test_owner_rule(void **state)
{
	struct stat tmp = { .st_mode = S_IFDIR | 01777, .st_uid = 0 };
	struct stat home = { .st_mode = S_IFDIR | 0755, .st_uid = 1000 };
	struct stat nosticky = { .st_mode = S_IFDIR | 0777, .st_uid = 0 };
	struct stat mine = { .st_mode = S_IFREG | 0644, .st_uid = 1000 };
	struct stat theirs = { .st_mode = S_IFREG | 0644, .st_uid = 1001 };
	struct stat roots = { .st_mode = S_IFREG | 0644, .st_uid = 0 };

	(void)state;
	assert_int_equal(safe_owner_ok(&tmp, &mine, 1000), 0);
	assert_int_equal(safe_owner_ok(&tmp, &theirs, 1000), -EACCES);
	assert_int_equal(safe_owner_ok(&tmp, &theirs, 0), -EACCES); /* root too */
	assert_int_equal(safe_owner_ok(&tmp, &roots, 1000), 0);     /* the directory's owner */
	assert_int_equal(safe_owner_ok(&home, &theirs, 1000), 0);
	assert_int_equal(safe_owner_ok(&nosticky, &theirs, 1000), 0);
}

struct dir {
	char path[64];
	char file[96];
};

static void dir_make(struct dir *d)
{
	snprintf(d->path, sizeof(d->path), "/tmp/tl-safeopen-XXXXXX");
	assert_non_null(mkdtemp(d->path));
	snprintf(d->file, sizeof(d->file), "%s/out.csv", d->path);
}

static void dir_remove(struct dir *d)
{
	char p[128];

	unlink(d->file);
	snprintf(p, sizeof(p), "%s/target", d->path);
	unlink(p);
	rmdir(d->path);
}

static void write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CREAT, 0644);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

static void test_new_file_0600(void **state)
{
	const char *why;
	struct dir d;
	struct stat st;
	mode_t old;
	int fd;

	(void)state;
	dir_make(&d);
	old = umask(0); /* 0600 even when the umask would allow 0666 ... */
	fd = safe_open_output(d.file, &why);
	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	close(fd);
	unlink(d.file);
	umask(0277); /* ... and when it would take the owner's write bit */
	fd = safe_open_output(d.file, &why);
	umask(old);
	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	close(fd);
	dir_remove(&d);
}

static void test_existing_truncated(void **state)
{
	const char *why;
	struct dir d;
	struct stat st;
	int fd;

	(void)state;
	dir_make(&d);
	write_file(d.file, "old\n");
	fd = safe_open_output(d.file, &why);
	assert_true(fd >= 0);
	assert_null(why);
	assert_int_equal(fstat(fd, &st), 0);
	assert_int_equal(st.st_size, 0);
	assert_int_equal(st.st_mode & 07777, 0644); /* an existing file keeps its mode */
	close(fd);
	dir_remove(&d);
}

static void test_symlink_refused(void **state)
{
	const char *why;
	char target[128];
	struct dir d;
	struct stat st;
	int fd;

	(void)state;
	dir_make(&d);
	snprintf(target, sizeof(target), "%s/target", d.path);
	fd = open(target, O_WRONLY | O_CREAT, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "keep\n", 5), 5);
	close(fd);
	assert_int_equal(symlink(target, d.file), 0);
	assert_int_equal(safe_open_output(d.file, &why), -ELOOP);
	assert_non_null(why);
	assert_int_equal(stat(target, &st), 0);
	assert_int_equal(st.st_size, 5); /* not truncated */
	unlink(d.file);
	/* A dangling one is not followed to create its target either. */
	unlink(target);
	assert_int_equal(symlink(target, d.file), 0);
	assert_int_equal(safe_open_output(d.file, &why), -ELOOP);
	assert_int_equal(stat(target, &st), -1);
	dir_remove(&d);
}

/* The reopen after a rotation: appended to, never truncated (the name may
 * still be the file being written), by the same symlink rule. */
static void test_append_kept(void **state)
{
	const char *why;
	char target[128], buf[16] = "";
	struct dir d;
	int fd;

	(void)state;
	dir_make(&d);
	write_file(d.file, "old\n");
	fd = safe_open_append(d.file, &why);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "new\n", 4), 4);
	close(fd);
	fd = open(d.file, O_RDONLY);
	assert_int_equal(read(fd, buf, sizeof(buf) - 1), 8);
	close(fd);
	assert_string_equal(buf, "old\nnew\n");
	unlink(d.file);
	snprintf(target, sizeof(target), "%s/target", d.path);
	assert_int_equal(symlink(target, d.file), 0);
	assert_int_equal(safe_open_append(d.file, &why), -ELOOP);
	assert_non_null(why);
	dir_remove(&d);
}

static void test_no_such_dir(void **state)
{
	const char *why;

	(void)state;
	assert_int_equal(safe_open_output("/nonexistent-dir/x.csv", &why), -ENOENT);
	assert_null(why);
	assert_int_equal(safe_open_output("/tmp/", &why), -EISDIR);
}

static void read_back(const char *path, char *buf, size_t n)
{
	int fd = open(path, O_RDONLY);
	ssize_t got;

	assert_true(fd >= 0);
	got = read(fd, buf, n - 1);
	assert_true(got >= 0);
	buf[got] = '\0';
	close(fd);
}

/* --metrics-file: a new inode each time (renamed over, never rewritten in
 * place), mode 0644 whatever the umask, no temporary file left. */
static void test_replace(void **state)
{
	struct stat st1, st2;
	const char *why;
	char buf[64];
	struct dir d;
	mode_t old = umask(077);

	(void)state;
	dir_make(&d);
	assert_int_equal(safe_replace(d.file, "one\n", 4, &why), 0);
	assert_int_equal(stat(d.file, &st1), 0);
	assert_int_equal(st1.st_mode & 0777, 0644);
	assert_int_equal(safe_replace(d.file, "two\n", 4, &why), 0);
	assert_int_equal(stat(d.file, &st2), 0);
	assert_true(st1.st_ino != st2.st_ino);
	read_back(d.file, buf, sizeof(buf));
	assert_string_equal(buf, "two\n");
	assert_int_equal(rmdir(d.path), -1); /* only out.csv in it: */
	unlink(d.file);
	assert_int_equal(rmdir(d.path), 0);
	umask(old);
}

static void test_replace_refusals(void **state)
{
	const char *why;
	char target[128];
	struct dir d;

	(void)state;
	dir_make(&d);
	snprintf(target, sizeof(target), "%s/target", d.path);
	write_file(target, "keep\n");
	assert_int_equal(symlink(target, d.file), 0);
	assert_int_equal(safe_replace(d.file, "x\n", 2, &why), -ELOOP);
	assert_non_null(why);
	dir_remove(&d);
	assert_int_equal(safe_replace("/nonexistent-dir/m.prom", "x", 1, &why), -ENOENT);
	assert_null(why);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_owner_rule),
		cmocka_unit_test(test_new_file_0600),
		cmocka_unit_test(test_existing_truncated),
		cmocka_unit_test(test_symlink_refused),
		cmocka_unit_test(test_append_kept),
		cmocka_unit_test(test_no_such_dir),
		cmocka_unit_test(test_replace),
		cmocka_unit_test(test_replace_refusals),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
