// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* procfd_scan_for: the holders of a few sockets from /proc, this process's
 * own (no root needed: another user's fds are skipped as unreadable); and
 * one filled with procfd_add. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include "procfd.h"

static uint64_t inode_of(int fd)
{
	struct stat st;

	assert_int_equal(fstat(fd, &st), 0);
	return st.st_ino;
}

/* Its holder found: this process, at the fd, and the first fd of it. */
static void test_own_socket(void **state)
{
	struct procfd pf;
	int sv[2], dup_fd;
	uint64_t want[2];
	const struct holders *h;

	(void)state;
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	dup_fd = dup(sv[0]); /* a second fd of it, after the first */
	assert_true(dup_fd > sv[0]);
	want[0] = inode_of(sv[0]);
	want[1] = want[0]; /* twice in the list: wanted once */
	assert_int_equal(procfd_scan_for(&pf, want, 2), 0);
	h = procfd_holders(&pf, want[0]);
	assert_non_null(h);
	assert_int_equal(h->v[0].pid, (uint32_t)getpid());
	assert_int_equal(h->v[0].fd, sv[0]);
	/* Only what was asked for. */
	assert_null(procfd_holders(&pf, inode_of(sv[1])));
	assert_true(pf.pids_read >= 1 && pf.pids_read <= pf.pids);
	procfd_free(&pf);
	close(dup_fd);
	close(sv[0]);
	close(sv[1]);
}

/* A socket no process holds (a kernel's, or one in a process this one
 * cannot see): every process is read, and it has no holder. */
static void test_unheld_reads_all(void **state)
{
	struct procfd pf;
	uint64_t want = 1; /* no socket has inode 1 */

	(void)state;
	assert_int_equal(procfd_scan_for(&pf, &want, 1), 0);
	assert_null(procfd_holders(&pf, want));
	assert_int_equal(pf.pids_read, pf.pids);
	assert_true(pf.pids > 0);
	procfd_free(&pf);
}

/* Nothing wanted: no process read. */
static void test_none(void **state)
{
	struct procfd pf;

	(void)state;
	assert_int_equal(procfd_scan_for(&pf, NULL, 0), 0);
	assert_int_equal(pf.pids_read, 0);
	procfd_free(&pf);
}

/* Filled by hand (procfd_add, as the listeners' iterator does): each
 * socket's holders in the order added, the first the owner; others none. */
static void test_added(void **state)
{
	struct procfd pf;
	const struct holders *h;

	(void)state;
	assert_int_equal(procfd_init(&pf), 0);
	assert_int_equal(procfd_add(&pf, 1001, 10, 3), 0);
	assert_int_equal(procfd_add(&pf, 1002, 10, 4), 0);
	assert_int_equal(procfd_add(&pf, 1001, 25, 7), 0);
	h = procfd_holders(&pf, 1001);
	assert_non_null(h);
	assert_int_equal(h->n, 2);
	assert_int_equal(h->v[0].pid, 10);
	assert_int_equal(h->v[0].fd, 3);
	assert_int_equal(h->v[1].pid, 25);
	assert_int_equal(h->v[1].fd, 7);
	h = procfd_holders(&pf, 1002);
	assert_non_null(h);
	assert_int_equal(h->n, 1);
	assert_int_equal(h->v[0].fd, 4);
	assert_null(procfd_holders(&pf, 1003));
	assert_null(procfd_holders(&pf, 0));
	procfd_free(&pf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_own_socket),
		cmocka_unit_test(test_unheld_reads_all),
		cmocka_unit_test(test_none),
		cmocka_unit_test(test_added),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
