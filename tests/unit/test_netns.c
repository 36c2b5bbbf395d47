// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* A thread's own namespace is its own, whatever another thread of the
 * process is in. The listener listings run in a thread of their own while
 * the main thread visits a namespace (dropby.c): "/proc/self/ns/net" names
 * the main thread's, so the listing took that visit's namespace for its
 * home, labelled the home's listeners with it and left it unlisted
 * (t_47 on 6.1, once: one burst of drops told three times). Needs root
 * (unshare(CLONE_NEWNET)); skipped otherwise. */
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include "netns.h"

static uint64_t here(void)
{
	int fd = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	uint64_t id;

	assert_true(fd >= 0);
	id = netns_id(fd);
	close(fd);
	return id;
}

struct seen {
	uint64_t home, other; /* the thread's namespace; the main thread's */
	int go[2];            /* the main thread is in `other` */
	/* What the thread found: */
	uint64_t own, first, inside, after;
	size_t other_at;
};

static int note_inside(void *arg)
{
	*(uint64_t *)arg = here();
	return 0;
}

static void *worker(void *arg)
{
	struct seen *s = arg;
	struct netns_list l;
	char c;
	int fd;

	if (read(s->go[0], &c, 1) != 1)
		return NULL;
	fd = netns_open(0);
	s->own = fd >= 0 ? netns_id(fd) : 0;
	if (fd >= 0)
		close(fd);
	if (netns_list_all(&l))
		return NULL;
	s->first = netns_id(l.fds[0]);
	for (size_t i = 1; i < l.n; i++)
		if (netns_id(l.fds[i]) == s->other) {
			s->other_at = i;
			netns_list_run(&l, i, note_inside, &s->inside);
		}
	s->after = here();
	netns_list_free(&l);
	return NULL;
}

static void test_thread_home(void **state)
{
	struct seen s;
	pthread_t th;
	int home;

	(void)state;
	if (geteuid())
		skip();
	memset(&s, 0, sizeof(s));
	home = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	assert_true(home >= 0);
	s.home = netns_id(home);
	assert_int_equal(pipe(s.go), 0);
	assert_int_equal(pthread_create(&th, NULL, worker, &s), 0);
	/* This thread alone moves: the worker stays where it was made. */
	assert_int_equal(unshare(CLONE_NEWNET), 0);
	s.other = here();
	assert_true(s.other && s.other != s.home);
	assert_int_equal(write(s.go[1], "x", 1), 1);
	assert_int_equal(pthread_join(th, NULL), 0);
	assert_int_equal(setns(home, CLONE_NEWNET), 0);
	close(home);
	close(s.go[0]);
	close(s.go[1]);

	assert_int_equal(s.own, s.home);   /* netns_open(0): the thread's own */
	assert_int_equal(s.first, s.home); /* the list's first, its home */
	assert_true(s.other_at > 0);       /* the main thread's listed after it */
	assert_int_equal(s.inside, s.other);
	assert_int_equal(s.after, s.home); /* and back home */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_thread_home),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
