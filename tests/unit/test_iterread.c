// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* iterread: every whole record, in order, whatever the reads' sizes; a
 * partial one at the end dropped; a failed read reported. The records come
 * through a pipe from a writer thread, in pieces that straddle records, and
 * many more of them than the reader holds in flight (it must wait). */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include "iterread.h"

#define N_RECS 200000
#define REC 40 /* not a divisor of the reader's chunk */

struct rec {
	uint64_t seq;
	uint8_t fill[REC - sizeof(uint64_t)];
};

struct writer {
	int fd;
	size_t tail; /* stray bytes after the last whole record */
};

static void *write_all(void *arg)
{
	struct writer *w = arg;
	size_t total = (size_t)N_RECS * REC + w->tail, off = 0;
	uint8_t *buf = malloc(total);
	unsigned int seed = 3;

	for (uint64_t i = 0; i < N_RECS; i++) {
		struct rec r = { .seq = i };

		memset(r.fill, (int)(i & 0xff), sizeof(r.fill));
		memcpy(buf + i * REC, &r, REC);
	}
	memset(buf + (size_t)N_RECS * REC, 0xee, w->tail);
	while (off < total) {
		size_t piece = 1 + (size_t)rand_r(&seed) % (3 * REC + 7);
		ssize_t n = write(w->fd, buf + off, piece < total - off ? piece : total - off);

		if (n <= 0)
			break;
		off += (size_t)n;
	}
	close(w->fd);
	free(buf);
	return NULL;
}

struct seen {
	uint64_t next;
	int bad;
};

static int on_rec(void *ctx, void *p, size_t size)
{
	struct seen *s = ctx;
	struct rec r;

	memcpy(&r, p, sizeof(r));
	if (size != REC || r.seq != s->next || r.fill[0] != (uint8_t)(r.seq & 0xff) ||
	    r.fill[sizeof(r.fill) - 1] != (uint8_t)(r.seq & 0xff))
		s->bad++;
	s->next++;
	return 0;
}

static void run(size_t tail)
{
	int fds[2];
	pthread_t th;
	struct writer w = { .tail = tail };
	struct seen s = { 0 };

	assert_int_equal(pipe(fds), 0);
	w.fd = fds[1];
	assert_int_equal(pthread_create(&th, NULL, write_all, &w), 0);
	assert_int_equal(iter_read_records(fds[0], REC, on_rec, &s), N_RECS);
	pthread_join(th, NULL);
	close(fds[0]);
	assert_int_equal(s.bad, 0);
	assert_int_equal(s.next, N_RECS);
}

static void test_in_order(void **state)
{
	(void)state;
	run(0);
}

static void test_partial_tail_dropped(void **state)
{
	(void)state;
	run(REC - 1);
}

static void test_read_error(void **state)
{
	struct seen s = { 0 };

	(void)state;
	assert_int_equal(iter_read_records(-1, REC, on_rec, &s), -EBADF);
	assert_int_equal(s.next, 0);
	assert_int_equal(iter_read_records(0, 0, on_rec, &s), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_in_order),
		cmocka_unit_test(test_partial_tail_dropped),
		cmocka_unit_test(test_read_error),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
