// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* lsncount.c: a listener's SYN-ACK retransmits and half-open timeouts,
 * counted by the requests' local end and laid on a listing's listeners as
 * the kernel finds a request's listener (its address, else the wildcard),
 * per namespace; null once a count could not be kept. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "lsncount.h"

/* A listener of namespace `netns` on a0.0.0.1:port (a0 0: the wildcard). */
static void mk(struct lsn *l, uint64_t netns, uint16_t family, uint8_t a0, uint16_t port)
{
	memset(l, 0, sizeof(*l));
	l->netns = netns;
	l->t.family = family;
	l->t.saddr[0] = a0;
	l->t.saddr[3] = a0 ? 1 : 0;
	l->t.sport = port;
	l->fd = -1;
	l->synack_retrans = l->half_open_timeouts = LSN_UNKNOWN;
}

/* A request to a0.0.0.1:port from 10.9.9.9:40000. */
static struct tl_tuple req(uint16_t family, uint8_t a0, uint16_t port)
{
	struct tl_tuple t;

	memset(&t, 0, sizeof(t));
	t.family = family;
	t.saddr[0] = a0;
	t.saddr[3] = 1;
	t.sport = port;
	t.daddr[0] = 10;
	t.dport = 40000;
	return t;
}

static void test_by_listener(void **state)
{
	struct lsncount c;
	struct lsn v[4];
	struct tl_tuple r127 = req(TL_AF_INET, 127, 80), r10 = req(TL_AF_INET, 10, 80);
	struct tl_tuple r6 = req(TL_AF_INET6, 0xfd, 80), r81 = req(TL_AF_INET, 127, 81);

	(void)state;
	assert_int_equal(lsncount_init(&c), 0);
	mk(&v[0], 7, TL_AF_INET, 127, 80); /* 127.0.0.1:80 */
	mk(&v[1], 7, TL_AF_INET, 0, 80);   /* 0.0.0.0:80 */
	mk(&v[2], 9, TL_AF_INET, 127, 80); /* another namespace's 127.0.0.1:80 */
	mk(&v[3], 7, TL_AF_INET6, 0, 80);  /* [::]:80 */
	lsncount_synack(&c, 7, &r127);
	lsncount_synack(&c, 7, &r127);
	lsncount_half_open(&c, 7, &r127);
	lsncount_synack(&c, 7, &r10); /* 10.0.0.1: the wildcard's */
	lsncount_half_open(&c, 7, &r10);
	lsncount_half_open(&c, 7, &r10);
	lsncount_synack(&c, 7, &r6); /* IPv6: [::]'s */
	lsncount_synack(&c, 7, &r81); /* no listener on 81: nobody's */
	lsncount_synack(&c, 8, &r127); /* a namespace with no listing */
	lsncount_fill(&c, v, 4);
	assert_int_equal(v[0].synack_retrans, 2);
	assert_int_equal(v[0].half_open_timeouts, 1);
	assert_int_equal(v[1].synack_retrans, 1);
	assert_int_equal(v[1].half_open_timeouts, 2);
	assert_int_equal(v[2].synack_retrans, 0); /* listed, nothing counted: 0, not null */
	assert_int_equal(v[2].half_open_timeouts, 0);
	assert_int_equal(v[3].synack_retrans, 1);
	assert_int_equal(v[3].half_open_timeouts, 0);
	/* The 127.0.0.1 listener closed: its requests were the wildcard's
	 * (the kernel would have queued them there). */
	lsncount_fill(&c, &v[1], 3);
	assert_int_equal(v[1].synack_retrans, 3);
	assert_int_equal(v[1].half_open_timeouts, 3);
	/* Counts accumulate since the start, listing after listing. */
	lsncount_synack(&c, 9, &r127);
	lsncount_fill(&c, v, 4);
	assert_int_equal(v[0].synack_retrans, 2);
	assert_int_equal(v[2].synack_retrans, 1);
	lsncount_fini(&c);
}

static void test_unknown(void **state)
{
	struct lsncount c;
	struct lsn l;
	struct tl_tuple r = req(TL_AF_INET, 127, 80);

	(void)state;
	mk(&l, 7, TL_AF_INET, 127, 80);
	/* No counter (--once): null. */
	lsncount_fill(NULL, &l, 1);
	assert_true(l.synack_retrans == LSN_UNKNOWN && l.half_open_timeouts == LSN_UNKNOWN);
	lsncount_synack(NULL, 7, &r); /* accepted, nothing counted */
	/* A count lost (out of memory): any listener may be short, so null. */
	assert_int_equal(lsncount_init(&c), 0);
	lsncount_synack(&c, 7, &r);
	c.lost = 1;
	lsncount_fill(&c, &l, 1);
	assert_true(l.synack_retrans == LSN_UNKNOWN && l.half_open_timeouts == LSN_UNKNOWN);
	lsncount_fini(&c);
	lsncount_fini(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_by_listener),
		cmocka_unit_test(test_unknown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
