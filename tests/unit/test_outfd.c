// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The write path under file and pipe sinks: what a failed or abandoned
 * write drops is counted, and a stalled reader is given up on once
 * shutdown has started. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include "outfd.h"
#include "timefmt.h"

static void test_count_lines(void **state)
{
	(void)state;
	assert_int_equal(outfd_count_lines("", 0), 0);
	assert_int_equal(outfd_count_lines("a,b\n", 4), 1);
	assert_int_equal(outfd_count_lines("a\nb\nhalf", 8), 2);
	assert_int_equal(outfd_count_lines("a\nb\n", 2), 1); /* only the first n bytes */
}

/* The reader went away: the write fails with EPIPE, the buffered lines are
 * counted as lost, and the descriptor we do not own stays open with its
 * flags as they were. */
static void test_reader_gone(void **state)
{
	char buf[256];
	struct outfd o;
	int p[2], fl;
	FILE *f;

	(void)state;
	signal(SIGPIPE, SIG_IGN);
	assert_int_equal(pipe(p), 0);
	close(p[0]);
	fl = fcntl(p[1], F_GETFL);
	f = outfd_stream(&o, p[1], false, buf, sizeof(buf));
	assert_non_null(f);
	assert_true(fcntl(p[1], F_GETFL) & O_NONBLOCK); /* a pipe: we wait ourselves */
	fputs("one\ntwo\n", f);
	errno = 0;
	assert_int_not_equal(fflush(f), 0);
	assert_int_equal(errno, EPIPE);
	assert_int_equal(o.lost_lines, 2);
	assert_false(o.gave_up);
	fclose(f);
	assert_int_equal(fcntl(p[1], F_GETFL), fl);
	close(p[1]);
}

/* A reader that holds the pipe and never reads: once shutdown has started
 * the stream gives up after OUTFD_GRACE_NS without progress, drops what is
 * left, counts it, and reports success so stdio keeps no stale buffer. Run
 * last: shutdown, once started, stays started in this process. */
static void test_stalled_reader(void **state)
{
	char chunk[4096], buf[256];
	struct outfd o;
	int p[2];
	FILE *f;

	(void)state;
	memset(chunk, 'x', sizeof(chunk));
	assert_int_equal(pipe(p), 0);
	assert_int_equal(fcntl(p[1], F_SETFL, O_NONBLOCK), 0);
	while (write(p[1], chunk, sizeof(chunk)) > 0)
		;
	assert_int_equal(errno, EAGAIN);
	f = outfd_stream(&o, p[1], true, buf, sizeof(buf));
	assert_non_null(f);
	outfd_shutdown(mono_now_ns());
	fputs("a\nb\nc\n", f);
	assert_int_equal(fflush(f), 0);
	assert_true(o.gave_up);
	assert_int_equal(o.lost_lines, 3);
	fputs("d\n", f); /* later writes are dropped at once, and counted */
	assert_int_equal(fflush(f), 0);
	assert_int_equal(o.lost_lines, 4);
	assert_int_equal(fclose(f), 0);
	close(p[0]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_count_lines),
		cmocka_unit_test(test_reader_gone),
		cmocka_unit_test(test_stalled_reader),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
