// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* agg.c: which states a closed connection is observed in, bucket edges,
 * port and process labels and their caps, counters merged from closed and
 * open connections (once, never going back), the gauges of a walk. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "agg.h"
#include "conn_acct.h"
#include "lsnagg.h"

#define MS 1000000ULL

/* A closed connection with `path` (states, 0-terminated), each state's time
 * 1 ms times its position + 1 unless set after. */
static struct conn mk(enum conn_role role, uint16_t sport, uint16_t dport, const uint8_t *path)
{
	struct conn c = { .role = role, .closed = true, .cause = CAUSE_FIN };

	c.skaddr = 0xffff888000000000ULL + sport * 65536ULL + dport;
	c.birth_ns = 1;
	c.tuple.sport = sport;
	c.tuple.dport = dport;
	for (unsigned int i = 0; path[i]; i++) {
		c.path[c.path_len++] = path[i];
		c.state_ns[path[i]] += (i + 1) * MS;
	}
	c.state = c.path[c.path_len - 1];
	return c;
}

static const struct agg_hist_series *find(const struct agg *a, unsigned int state,
					  unsigned int role, int32_t port)
{
	for (size_t i = 0; i < agg_hist_n(a); i++) {
		const struct agg_hist_series *s = agg_hist_at(a, i);

		if (s->state == state && s->role == role && s->port == port)
			return s;
	}
	return NULL;
}

static void assert_series(const struct agg *a, unsigned int state, unsigned int role,
			  int32_t port, uint64_t count, uint64_t sum_ns)
{
	const struct agg_hist_series *s = find(a, state, role, port);

	assert_non_null(s);
	assert_true(s->h.count == count);
	assert_true(s->h.sum_ns == sum_ns);
}

static void test_path_rules(void **state)
{
	static const uint8_t full[] = { TL_SYN_SENT, TL_ESTABLISHED, TL_FIN_WAIT1, TL_FIN_WAIT2,
					TL_TIME_WAIT, TL_CLOSE, 0 };
	static const uint8_t twice[] = { TL_LISTEN, TL_SYN_RECV, TL_ESTABLISHED, TL_CLOSE_WAIT,
					 TL_ESTABLISHED, TL_CLOSE, 0 };
	static const uint8_t halfopen[] = { TL_SYN_RECV, 0 };
	struct agg *a = agg_new(8);
	struct conn c = mk(ROLE_ACTIVE, 40000, 443, full);

	(void)state;
	assert_non_null(a);
	c.unmeasured = TL_BIT(TL_SYN_SENT); /* not measured: not observed */
	agg_closed(a, &c);
	assert_null(find(a, TL_SYN_SENT, ROLE_ACTIVE, 443));
	assert_null(find(a, TL_CLOSE, ROLE_ACTIVE, 443)); /* where it ends */
	assert_series(a, TL_ESTABLISHED, ROLE_ACTIVE, 443, 1, 2 * MS);
	assert_non_null(find(a, TL_FIN_WAIT1, ROLE_ACTIVE, 443));
	assert_non_null(find(a, TL_FIN_WAIT2, ROLE_ACTIVE, 443));
	assert_non_null(find(a, TL_TIME_WAIT, ROLE_ACTIVE, 443));
	assert_int_equal(agg_hist_n(a), 4);

	/* ESTABLISHED twice: state_ns sums both (3 + 5 ms), observed once;
	 * LISTEN is not a connection's state. */
	c = mk(ROLE_PASSIVE, 8080, 50000, twice);
	agg_closed(a, &c);
	assert_series(a, TL_ESTABLISHED, ROLE_PASSIVE, 8080, 1, 8 * MS);
	assert_null(find(a, TL_LISTEN, ROLE_PASSIVE, 8080));
	assert_non_null(find(a, TL_SYN_RECV, ROLE_PASSIVE, 8080));
	assert_non_null(find(a, TL_CLOSE_WAIT, ROLE_PASSIVE, 8080));

	/* A half-open request ends in SYN_RECV: its time there is complete. */
	c = mk(ROLE_PASSIVE, 8080, 50001, halfopen);
	c.cause = CAUSE_SYNACK_TIMEOUT;
	agg_closed(a, &c);
	assert_true(find(a, TL_SYN_RECV, ROLE_PASSIVE, 8080)->h.count == 2);

	/* An open connection's record (written at exit) is not observed. */
	c = mk(ROLE_PASSIVE, 8080, 50002, full);
	c.closed = false;
	agg_closed(a, &c);
	assert_true(find(a, TL_ESTABLISHED, ROLE_PASSIVE, 8080)->h.count == 1);
	assert_true(agg_closed_count(a, ROLE_PASSIVE, CAUSE_FIN) == 1);
	assert_true(agg_closed_count(a, ROLE_PASSIVE, CAUSE_SYNACK_TIMEOUT) == 1);
	assert_true(agg_closed_count(a, ROLE_ACTIVE, CAUSE_FIN) == 1);
	assert_true(agg_closed_count(a, ROLE_ACTIVE, CAUSE_MAX) == 0);
	agg_free(a);
}

static void test_bucket_edges(void **state)
{
	static const uint8_t p[] = { TL_ESTABLISHED, TL_CLOSE, 0 };
	static const uint64_t d[] = { 1000, 1001, 524288000, 524288001, (1ULL << 36) * 1000 + 1 };
	struct agg *a = agg_new(8);
	const struct agg_hist_series *s;

	(void)state;
	for (size_t i = 0; i < sizeof(d) / sizeof(d[0]); i++) {
		struct conn c = mk(ROLE_ACTIVE, 40000, 80, p);

		c.state_ns[TL_ESTABLISHED] = d[i];
		agg_closed(a, &c);
	}
	s = find(a, TL_ESTABLISHED, ROLE_ACTIVE, 80);
	assert_non_null(s);
	assert_true(s->h.b[0] == 1);  /* 1 us: the edge is inside (le) */
	assert_true(s->h.b[1] == 1);  /* just over */
	assert_true(s->h.b[19] == 1); /* 524.288 ms */
	assert_true(s->h.b[20] == 1);
	assert_true(s->h.b[HIST_INF] == 1);
	assert_true(s->h.count == 5);
	assert_true(s->h.sum_ns == 1000 + 1001 + 524288000 + 524288001 + (1ULL << 36) * 1000 + 1);
	agg_free(a);
}

static void test_port_labels(void **state)
{
	static const uint8_t p[] = { TL_ESTABLISHED, TL_CLOSE, 0 };
	struct agg *a = agg_new(2);
	struct conn c;

	(void)state;
	assert_null(agg_new(0));
	assert_null(agg_new(AGG_MAX_PORTS_LIMIT + 1));
	c = mk(ROLE_PASSIVE, 8080, 50000, p); /* passive: the local port */
	agg_closed(a, &c);
	c = mk(ROLE_ACTIVE, 40000, 443, p);   /* active: the remote one */
	agg_closed(a, &c);
	c = mk(ROLE_ACTIVE, 40001, 22, p);    /* a third port: "other" */
	agg_closed(a, &c);
	c = mk(ROLE_ACTIVE, 40002, 443, p);   /* a labelled port keeps its label */
	agg_closed(a, &c);
	c = mk(ROLE_UNKNOWN, 9000, 9001, p);  /* which end is the service's? */
	agg_closed(a, &c);
	c = mk(ROLE_PASSIVE, 8081, 50000, p); /* later ports too */
	agg_closed(a, &c);
	/* State, role (active before passive), port, "other" last. */
	assert_int_equal(agg_hist_n(a), 5);
	assert_int_equal(agg_hist_at(a, 0)->role, ROLE_UNKNOWN);
	assert_int_equal(agg_hist_at(a, 0)->port, -1);
	assert_int_equal(agg_hist_at(a, 1)->role, ROLE_ACTIVE);
	assert_int_equal(agg_hist_at(a, 1)->port, 443);
	assert_true(agg_hist_at(a, 1)->h.count == 2);
	assert_int_equal(agg_hist_at(a, 2)->port, -1);
	assert_true(agg_hist_at(a, 2)->h.count == 1);
	assert_int_equal(agg_hist_at(a, 3)->role, ROLE_PASSIVE);
	assert_int_equal(agg_hist_at(a, 3)->port, 8080);
	assert_int_equal(agg_hist_at(a, 4)->port, -1);
	assert_null(agg_hist_at(a, 5));
	agg_free(a);
}

/* A connection counted while open, then closed, is counted once; the
 * totals never go back, also when its row lingers out of a walk. */
static void test_merge_open_closed(void **state)
{
	static const uint8_t p[] = { TL_ESTABLISHED, 0 };
	struct agg *a = agg_new(8);
	struct conn x = mk(ROLE_ACTIVE, 40000, 80, p), y = mk(ROLE_PASSIVE, 80, 40001, p);

	(void)state;
	x.closed = y.closed = false;
	x.data_retrans = 2;
	x.rst_recv = 1;
	y.synack_retrans = 1;
	agg_open_begin(a);
	agg_open_row(a, &x, 0);
	agg_open_row(a, &y, 0);
	agg_open_end(a);
	assert_true(agg_retrans(a, AGG_RTX_DATA) == 2);
	assert_true(agg_retrans(a, AGG_RTX_SYNACK) == 1);
	assert_true(agg_resets(a, AGG_RST_RECEIVED) == 1);
	assert_true(agg_open_count(a, TL_ESTABLISHED) == 2);

	x.data_retrans = 5;
	agg_open_begin(a);
	agg_open_row(a, &x, 0);
	agg_open_end(a); /* y lingers: out of the walk, its share stays */
	assert_true(agg_retrans(a, AGG_RTX_DATA) == 5);
	assert_true(agg_retrans(a, AGG_RTX_SYNACK) == 1);
	assert_true(agg_open_count(a, TL_ESTABLISHED) == 1);

	x.data_retrans = 6;
	x.closed = true;
	agg_closed(a, &x); /* 6, not 5 + 6 */
	assert_true(agg_retrans(a, AGG_RTX_DATA) == 6);
	assert_true(agg_resets(a, AGG_RST_RECEIVED) == 1);
	y.closed = true;
	agg_closed(a, &y);
	assert_true(agg_retrans(a, AGG_RTX_SYNACK) == 1);
	agg_open_begin(a);
	agg_open_end(a);
	assert_true(agg_retrans(a, AGG_RTX_DATA) == 6);
	assert_true(agg_retrans(a, AGG_RTX_SYNACK) == 1);
	assert_true(agg_open_count(a, TL_ESTABLISHED) == 0);

	agg_set_synack_orphans(a, 4); /* a total: set, not added */
	agg_set_synack_orphans(a, 5);
	assert_true(agg_retrans(a, AGG_RTX_SYNACK) == 6);
	agg_set_lost(a, AGG_LOST_RINGBUF, 7);
	assert_true(agg_lost(a, AGG_LOST_RINGBUF) == 7);
	assert_true(agg_lost(a, AGG_LOST_N) == 0);
	agg_free(a);
}

/* Counters are monotonic across walks, also for a connection that no walk
 * holds any more and whose record never comes (its share is kept). */
static void test_monotonic(void **state)
{
	static const uint8_t p[] = { TL_ESTABLISHED, 0 };
	struct agg *a = agg_new(8);
	uint64_t last = 0;

	(void)state;
	for (unsigned int w = 0; w < 200; w++) {
		agg_open_begin(a);
		for (unsigned int i = 0; i < 20; i++) {
			struct conn c = mk(ROLE_ACTIVE, (uint16_t)(1000 + i + w / 10 * 20), 80, p);

			c.closed = false;
			c.fin_retrans = w % 10;
			if (w % 10 == 9 && i % 2) { /* half of them close */
				c.closed = true;
				agg_closed(a, &c);
			} else {
				agg_open_row(a, &c, 0);
			}
		}
		agg_open_end(a);
		assert_true(agg_retrans(a, AGG_RTX_FIN) >= last);
		last = agg_retrans(a, AGG_RTX_FIN);
	}
	/* 20 generations of 20 connections, each at 9 FIN retransmits when it
	 * closed or was last seen open. */
	assert_true(last == 20 * 20 * 9);
	agg_free(a);
}

static struct conn cw(const char *comm, bool known, uint64_t entered, unsigned int i)
{
	static const uint8_t p[] = { TL_ESTABLISHED, TL_CLOSE_WAIT, 0 };
	struct conn c = mk(ROLE_PASSIVE, 80, (uint16_t)(1000 + i), p);

	c.closed = false;
	c.owner_known = known;
	/* raw: a full comm has no NUL */
	memcpy(c.owner.comm, comm, strnlen(comm, TL_COMM_LEN));
	c.state_ns[TL_CLOSE_WAIT] = 0;
	c.state_entered_ns = entered;
	return c;
}

static void test_close_wait_procs(void **state)
{
	struct agg *a = agg_new(8);
	char name[TL_COMM_LEN + 1];
	struct conn c;
	const struct agg_cw_proc *p;
	unsigned int i = 0;

	(void)state;
	agg_open_begin(a);
	c = cw("nginx", true, 40 * MS, i++);
	agg_open_row(a, &c, 100 * MS);
	c = cw("nginx", true, 10 * MS, i++);
	agg_open_row(a, &c, 100 * MS);
	c = cw("ghost", false, 50 * MS, i++); /* no owner known */
	agg_open_row(a, &c, 100 * MS);
	c = cw("sixteen-chars-xx", true, 99 * MS, i++); /* a full comm, no NUL */
	agg_open_row(a, &c, 100 * MS);
	c = cw("nginx", true, 0, i++);
	c.state = TL_ESTABLISHED; /* not in CLOSE_WAIT */
	agg_open_row(a, &c, 100 * MS);
	agg_open_end(a);
	assert_int_equal(agg_cw_n(a), 3);
	p = agg_cw_at(a, 0);
	assert_string_equal(p->comm, "nginx");
	assert_true(p->sockets == 2 && p->oldest_ns == 90 * MS && !p->other && !p->unknown);
	p = agg_cw_at(a, 1);
	assert_string_equal(p->comm, "sixteen-chars-xx");
	p = agg_cw_at(a, 2);
	assert_string_equal(p->comm, "unknown");
	assert_true(p->unknown && p->oldest_ns == 50 * MS);
	assert_true(agg_open_count(a, TL_CLOSE_WAIT) == 4);
	assert_true(agg_open_count(a, TL_ESTABLISHED) == 1);

	/* AGG_MAX_COMMS + 1 processes: the one with fewest sockets (ties by
	 * name: the last) goes to "other", with any process named so. */
	agg_open_begin(a);
	for (unsigned int k = 0; k <= AGG_MAX_COMMS; k++) {
		snprintf(name, sizeof(name), "p%02u", k);
		c = cw(name, true, k * MS, i++);
		agg_open_row(a, &c, 100 * MS);
		c = cw(name, true, 0, i++);
		agg_open_row(a, &c, 100 * MS);
	}
	c = cw("other", true, 3 * MS, i++);
	agg_open_row(a, &c, 100 * MS);
	agg_open_end(a);
	assert_int_equal(agg_cw_n(a), AGG_MAX_COMMS + 1);
	assert_string_equal(agg_cw_at(a, 0)->comm, "p00");
	assert_string_equal(agg_cw_at(a, AGG_MAX_COMMS - 1)->comm, "p63");
	p = agg_cw_at(a, AGG_MAX_COMMS);
	assert_string_equal(p->comm, "other");
	assert_true(p->other && p->sockets == 3 && p->oldest_ns == 100 * MS);
	assert_null(agg_cw_at(a, AGG_MAX_COMMS + 1));

	/* The gauges are the last walk's. */
	agg_open_begin(a);
	agg_open_end(a);
	assert_int_equal(agg_cw_n(a), 0);
	assert_true(agg_open_count(a, TL_CLOSE_WAIT) == 0);
	agg_free(a);
}

/* One listing of one listener (namespace 7) on `port`. */
static void one_listing(struct lsnagg *la, uint64_t inode, uint16_t port, int64_t drops)
{
	struct lsn l = { .netns = 7, .inode = inode, .t.sport = port, .backlog = 8, .drops = drops };

	lsnagg_begin(la);
	if (inode)
		lsnagg_row(la, &l);
	lsnagg_end(la);
}

/* The listeners' drops counter: a listener's sk_drops since it was made,
 * its growth after; never back: not for a listener that goes (its count
 * stays), nor for a count that went back (another socket: all of its own
 * count), nor for one not reported. Off until enabled; ports capped. */
static void test_listen_drops(void **state)
{
	struct agg *a = agg_new(1);
	struct lsnagg *la;

	(void)state;
	assert_non_null(a);
	assert_null(agg_listeners(a));
	assert_int_equal(agg_listen_enable(a), 0);
	la = agg_listeners(a);
	assert_non_null(la);
	one_listing(la, 1, 80, 5); /* older than the tool: its 5 count */
	assert_int_equal(lsnagg_n(la), 1);
	assert_int_equal(lsnagg_at(la, 0)->drops, 5);
	assert_int_equal(lsnagg_at(la, 0)->backlog, 8);
	one_listing(la, 1, 80, 9);
	assert_int_equal(lsnagg_at(la, 0)->drops, 9);
	one_listing(la, 1, 80, LSN_UNKNOWN);
	assert_int_equal(lsnagg_at(la, 0)->drops, 9);
	one_listing(la, 1, 80, 2); /* went back: a new socket, its own 2 */
	assert_int_equal(lsnagg_at(la, 0)->drops, 11);
	one_listing(la, 0, 0, 0); /* gone: the count stays, the gauges go */
	assert_int_equal(lsnagg_at(la, 0)->drops, 11);
	assert_int_equal(lsnagg_at(la, 0)->listeners, 0);
	one_listing(la, 1, 80, 4); /* back under the same inode: new, 4 more */
	assert_int_equal(lsnagg_at(la, 0)->drops, 15);
	one_listing(la, 2, 81, 1); /* past the one port label: "other" */
	assert_int_equal(lsnagg_n(la), 2);
	assert_int_equal(lsnagg_at(la, 1)->port, -1);
	assert_int_equal(lsnagg_at(la, 1)->drops, 1);
	assert_int_equal(lsnagg_at(la, 0)->listeners, 0);
	agg_free(a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_path_rules),
		cmocka_unit_test(test_bucket_edges),
		cmocka_unit_test(test_port_labels),
		cmocka_unit_test(test_merge_open_closed),
		cmocka_unit_test(test_monotonic),
		cmocka_unit_test(test_close_wait_procs),
		cmocka_unit_test(test_listen_drops),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
