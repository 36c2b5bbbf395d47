// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The live view's model: filters, the top-N selection, cells, the closed
 * ring. Hand-made connections; exact strings compared. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <cmocka.h>
#include "conn_extra.h"
#include "states.h"
#include "view.h"

#define S 1000000000ULL
#define NOW (1000 * S)

static void mk(struct conn *c, uint32_t pid, const char *comm, uint16_t lport, uint8_t state,
	       uint64_t in_state_ns)
{
	memset(c, 0, sizeof(*c));
	c->tuple.family = AF_INET;
	assert_int_equal(inet_pton(AF_INET, "10.0.0.1", c->tuple.saddr), 1);
	assert_int_equal(inet_pton(AF_INET, "10.0.0.2", c->tuple.daddr), 1);
	c->tuple.sport = lport;
	c->tuple.dport = 443;
	c->owner.pid = pid;
	c->owner_known = pid != 0;
	strncpy(c->owner.comm, comm, TL_COMM_LEN - 1);
	c->fd = 7;
	c->skaddr = 0xffff000000000000ULL + lport;
	c->start_exact = true;
	c->start_ns = NOW - in_state_ns - S;
	c->state = state;
	c->state_entered_ns = NOW - in_state_ns;
	c->path[0] = state;
	c->path_len = 1;
	c->cause = CAUSE_OPEN;
}

/* One refresh over c[0..n-1], keeping max_rows. */
static void refresh(struct view *v, struct conn *c, size_t n, size_t max_rows)
{
	view_begin(v, NOW);
	for (size_t i = 0; i < n; i++)
		view_add(v, &c[i]);
	assert_int_equal(view_end(v, max_rows, NULL), 0);
}

static void test_dur(void **st)
{
	static const struct {
		uint64_t ns;
		const char *s;
	} cases[] = {
		{ 0, "0us" },           { 850000, "850us" },        { 12345678, "12.3ms" },
		{ 999999999, "999ms" }, { 1250000000, "1.25s" },    { 59990000000ULL, "59.9s" },
		{ 723 * S, "12m03s" },  { (5 * 3600 + 120) * S, "5h02m" },
		{ (3 * 86400 + 4 * 3600) * S, "3d04h" },
	};
	char buf[32];

	(void)st;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		view_dur(cases[i].ns, buf, sizeof(buf));
		assert_string_equal(buf, cases[i].s);
		assert_true(strlen(buf) <= 7);
	}
}

static int cmp_desc(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? 1 : x > y ? -1 : 0;
}

/* The bounded heap picks exactly what a full sort would put first. */
static void test_top_n(void **st)
{
	enum { N = 5000, K = 37 };
	struct conn *c = calloc(N, sizeof(*c));
	uint64_t *in = calloc(N, sizeof(*in));
	struct view v;

	(void)st;
	assert_non_null(c);
	assert_non_null(in);
	srand(7);
	assert_int_equal(view_init(&v, 0, 8), 0);
	view_begin(&v, NOW);
	for (int i = 0; i < N; i++) {
		in[i] = (uint64_t)(rand() % 100000) * 1000000ULL; /* ties on purpose */
		mk(&c[i], 100 + (uint32_t)i, "srv", (uint16_t)(1000 + i), TL_ESTABLISHED, in[i]);
		view_add(&v, &c[i]);
	}
	assert_int_equal(view_end(&v, K, NULL), 0);
	qsort(in, N, sizeof(*in), cmp_desc);
	assert_int_equal(v.n_rows, K);
	assert_int_equal(v.n_match, N);
	for (int i = 0; i < K; i++)
		assert_int_equal(NOW - v.rows[i]->state_entered_ns, in[i]);

	/* Reversed: the shortest first. */
	v.reverse = true;
	refresh(&v, c, N, K);
	for (int i = 0; i < K; i++)
		assert_int_equal(NOW - v.rows[i]->state_entered_ns, in[N - 1 - i]);

	/* By PID, all rows (batch): ascending. */
	v.reverse = false;
	v.sort = VCOL_PID;
	view_begin(&v, NOW);
	for (int i = N; i-- > 0;)
		view_add(&v, &c[i]);
	assert_int_equal(view_end(&v, SIZE_MAX, NULL), 0);
	assert_int_equal(v.n_rows, N);
	for (int i = 0; i < N; i++)
		assert_int_equal(v.rows[i]->owner.pid, 100 + i);
	view_fini(&v);
	free(c);
	free(in);
}

/* n connections with unknown owners and fds, equal keys and equal states
 * among them, from seed. */
static struct conn *mixed_conns(int n, unsigned int seed)
{
	struct conn *c = calloc((size_t)n, sizeof(*c));

	assert_non_null(c);
	srand(seed);
	for (int i = 0; i < n; i++) {
		mk(&c[i], rand() % 5 ? 100 + (uint32_t)(rand() % 50) : 0, i % 3 ? "srv" : "cli",
		   (uint16_t)(1000 + rand() % 200), (uint8_t)(1 + rand() % 10),
		   (uint64_t)(rand() % 300) * 1000000ULL);
		c[i].skaddr += (uint64_t)i << 20; /* unique: the last tie-break */
		c[i].fd = rand() % 4 ? rand() % 20 : -1;
		c[i].start_ns = NOW - (uint64_t)(rand() % 50) * S;
		c[i].data_retrans = (uint32_t)(rand() % 3);
	}
	return c;
}

/* Every column, both directions: the top K (keyed selection, view.c's
 * row_key) are exactly the first K of the full sort (batch), with unknown
 * owners and fds, equal keys and equal states among them. */
static void test_top_n_every_column(void **st)
{
	enum { N = 3000, K = 23 };
	struct conn *c = mixed_conns(N, 11);
	struct conn **all = calloc(N, sizeof(*all));
	struct view v;

	(void)st;
	assert_non_null(all);
	assert_int_equal(view_init(&v, 0, 8), 0);
	for (int col = 0; col < VCOL_N; col++) {
		for (int rev = 0; rev < 2; rev++) {
			v.sort = (enum view_col)col;
			v.reverse = rev;
			refresh(&v, c, N, SIZE_MAX);
			assert_int_equal(v.n_rows, N);
			memcpy(all, v.rows, N * sizeof(*all));
			refresh(&v, c, N, K);
			assert_int_equal(v.n_rows, K);
			for (int i = 0; i < K; i++)
				assert_ptr_equal(v.rows[i], all[i]);
		}
	}
	view_fini(&v);
	free(c);
	free(all);
}

/* The live view's refresh (view_begin_top) is handed each connection in
 * one scratch copy, overwritten by the next (a compact connection's, as
 * the table's walk gives it): it keeps copies of the rows that fit, the
 * same rows in the same order as the selection over pointers, for every
 * column, both directions. */
static void test_top_copies(void **st)
{
	enum { N = 3000, K = 23 };
	struct conn *c = mixed_conns(N, 13);
	struct conn **want = calloc(K, sizeof(*want));
	struct conn scratch;
	struct view v;

	(void)st;
	assert_non_null(want);
	assert_int_equal(view_init(&v, 0, 8), 0);
	for (int col = 0; col < VCOL_N; col++) {
		for (int rev = 0; rev < 2; rev++) {
			v.sort = (enum view_col)col;
			v.reverse = rev;
			refresh(&v, c, N, K);
			memcpy(want, v.rows, K * sizeof(*want));
			view_begin_top(&v, NOW, K);
			for (int i = 0; i < N; i++) {
				scratch = c[i];
				view_add(&v, &scratch);
				memset(&scratch, 0xa5, sizeof(scratch)); /* gone once handed over */
			}
			assert_int_equal(view_end(&v, K, NULL), 0);
			assert_int_equal(v.n_match, N);
			assert_int_equal(v.n_rows, K);
			for (int i = 0; i < K; i++)
				assert_memory_equal(v.rows[i], want[i], sizeof(struct conn));
		}
	}
	/* Fewer matches than rows: every one, in order. */
	view_begin_top(&v, NOW, K);
	for (int i = 0; i < 5; i++) {
		scratch = c[i];
		view_add(&v, &scratch);
	}
	assert_int_equal(view_end(&v, K, NULL), 0);
	assert_int_equal(v.n_rows, 5);
	view_fini(&v);
	free(c);
	free(want);
}

static void test_filters_and_counts(void **st)
{
	struct conn c[4];
	struct view v;
	char line[256];

	(void)st;
	mk(&c[0], 10, "leaky", 8080, TL_CLOSE_WAIT, 30 * S);
	mk(&c[1], 10, "leaky", 8081, TL_ESTABLISHED, 60 * S);
	mk(&c[2], 20, "nginx", 80, TL_ESTABLISHED, 5 * S);
	mk(&c[3], 0, "", 9999, TL_SYN_SENT, S);
	assert_int_equal(view_init(&v, 0, 8), 0);

	/* Default order: longest in its state first, whatever the state. */
	refresh(&v, c, 4, 10);
	assert_ptr_equal(v.rows[0], &c[1]);
	assert_ptr_equal(v.rows[1], &c[0]);
	view_hdr_states(&v, line, sizeof(line));
	assert_string_equal(line, "open by state: ESTABLISHED 2 SYN_SENT 1 CLOSE_WAIT 1");

	/* f close-wait: one row; the counts stay those of every state. */
	assert_int_equal(view_set_state(&v, "close-wait"), 0);
	refresh(&v, c, 4, 10);
	assert_int_equal(v.n_rows, 1);
	assert_ptr_equal(v.rows[0], &c[0]);
	assert_int_equal(v.n_counted, 4);
	view_hdr_mode(&v, line, sizeof(line));
	assert_string_equal(line, "sort IN_STATE (largest first); filter: state CLOSE_WAIT");

	/* p 20, every state: nginx only; the unknown owner never matches. */
	assert_int_equal(view_set_state(&v, ""), 0);
	assert_int_equal(view_set_pid(&v, "20"), 0);
	refresh(&v, c, 4, 10);
	assert_int_equal(v.n_rows, 1);
	assert_ptr_equal(v.rows[0], &c[2]);

	/* / searches the shown cells: a port. */
	assert_int_equal(view_set_pid(&v, ""), 0);
	assert_int_equal(view_set_search(&v, ":8081"), 0);
	refresh(&v, c, 4, 10);
	assert_int_equal(v.n_rows, 1);
	assert_ptr_equal(v.rows[0], &c[1]);

	/* Bad input leaves the filter as it was. */
	assert_int_equal(view_set_state(&v, "bogus"), -EINVAL);
	assert_int_equal(view_set_pid(&v, "12x"), -EINVAL);
	assert_int_equal(view_set_pid(&v, "0"), -EINVAL);
	assert_int_equal(view_set_search(&v, "\x1b[2J"), -EINVAL);
	assert_int_equal(v.states, 0);
	assert_int_equal(v.pid, 0);
	assert_string_equal(v.search, ":8081");
	view_fini(&v);
}

static void test_cells(void **st)
{
	struct conn c;
	struct view v;
	struct view_row r;
	char line[512];

	(void)st;
	assert_int_equal(view_init(&v, 0, 8), 0);
	v.now_ns = NOW;
	mk(&c, 4242, "\x1b]0;pwn\a", 8080, TL_CLOSE_WAIT, 12 * S + 300000000ULL);
	c.data_retrans = 3;
	c.fin_retrans = 1;
	view_fmt_row(&v, &c, &r);
	assert_string_equal(r.pid, "4242");
	assert_string_equal(r.comm, "\\x1b]0;pwn\\x07");
	assert_string_equal(r.state, "CLOSE_WAIT");
	assert_string_equal(r.instate, "12.3s");
	assert_string_equal(r.age, "13.3s");
	assert_string_equal(r.rtx, "0/0/1/3");
	view_line_row(&v, &r, line, sizeof(line));
	assert_string_equal(line, "4242    \\x1b]0;pwn\\x07      7 10.0.0.1:8080         10.0.0.2:443 "
				  "         CLOSE_WAIT      12.3s     13.3s 0/0/1/3");
	for (const char *p = line; *p; p++)
		assert_true(*p >= 0x20 && *p < 0x7f);

	/* Open before the start: lower bounds. */
	c.preexisting = true;
	c.start_exact = false;
	view_fmt_row(&v, &c, &r);
	assert_string_equal(r.instate, ">=12.3s");
	assert_string_equal(r.age, ">=13.3s");
	view_fini(&v);
}

/* The ring keeps its own copy of a connection's extra part (other holders,
 * dropper): the table frees the original when the row is written, and the
 * ring frees its copies as they fall out and at view_fini (ASan in make
 * check sees a use after free or a leak). */
static void test_closed_ring_extra(void **st)
{
	struct conn c;
	struct view v;
	const struct conn *k;

	(void)st;
	assert_int_equal(view_init(&v, 0, 2), 0);
	for (uint32_t i = 0; i < 4; i++) {
		mk(&c, 60 + i, "srv", (uint16_t)(3000 + i), TL_CLOSE, 0);
		c.closed = true;
		if (i != 2) {
			assert_non_null(conn_extra(&c));
			assert_ptr_equal(conn_extra(&c), c.x); /* made once */
			c.x->others[0].pid = 600 + i;
			c.x->others[0].fd = 4;
			c.x->n_others = 1;
			c.x->dropped_by.set = i == 3;
		}
		view_closed(&v, &c);
		if (c.x) {
			assert_ptr_not_equal(view_closed_at(&v, 0)->x, c.x);
			memset(c.x, 0xa5, sizeof(*c.x)); /* what the table's free leaves */
		}
		conn_extra_free(&c);
		assert_null(c.x);
	}
	k = view_closed_at(&v, 0);
	assert_int_equal(k->owner.pid, 63);
	assert_int_equal(conn_n_others(k), 1);
	assert_int_equal(k->x->others[0].pid, 603);
	assert_non_null(conn_dropper(k));
	k = view_closed_at(&v, 1);
	assert_int_equal(k->owner.pid, 62);
	assert_null(k->x);
	assert_int_equal(conn_n_others(k), 0);
	assert_null(conn_dropper(k));
	view_fini(&v);
}

static void test_closed_ring(void **st)
{
	struct conn c;
	struct view v;
	struct view_closed_row r;
	char line[256];
	struct view_stats vs = { .synack_orphans = 2 };

	(void)st;
	assert_int_equal(view_init(&v, 0, 3), 0);
	for (int i = 0; i < 5; i++) {
		mk(&c, 50 + (uint32_t)i, "cli", (uint16_t)(2000 + i), TL_CLOSE, 0);
		c.closed = true;
		c.cause = CAUSE_FIN;
		c.syn_retrans = 1;
		c.rst_recv = (uint32_t)(i == 4);
		c.path[0] = TL_SYN_SENT;
		c.path[1] = TL_ESTABLISHED;
		c.path[2] = TL_FIN_WAIT1;
		c.path[3] = TL_CLOSE;
		c.path_len = 4;
		c.state_ns[TL_SYN_SENT] = 120000;
		c.state_ns[TL_ESTABLISHED] = 2 * S;
		c.unmeasured = 1u << TL_FIN_WAIT1;
		view_closed(&v, &c);
	}
	/* Open ones written at exit do not count. */
	c.closed = false;
	view_closed(&v, &c);
	assert_int_equal(v.closed_total, 5);
	assert_int_equal(v.closed_n, 3);
	assert_int_equal(view_closed_at(&v, 0)->owner.pid, 54);
	assert_int_equal(view_closed_at(&v, 2)->owner.pid, 52);
	assert_null(view_closed_at(&v, 3));
	assert_int_equal(view_set_pid(&v, "53"), 0);
	assert_int_equal(view_closed_nth(&v, 0)->owner.pid, 53);
	assert_null(view_closed_nth(&v, 1));
	view_fmt_closed(&v, view_closed_nth(&v, 0), &r);
	assert_string_equal(r.cause, "fin");
	assert_string_equal(r.states, "SYN_SENT 120us > ESTABLISHED 2.00s > FIN_WAIT1 -");
	view_line_closed(&v, &r, line, sizeof(line));
	assert_string_equal(line, "53      cli             10.0.0.1:2003         10.0.0.2:443          "
				  "fin           SYN_SENT 120us > ESTABLISHED 2.00s > FIN_WAIT1 -");
	view_line_closed_head(&v, line, sizeof(line));
	assert_string_equal(line, "PID     COMM            LOCAL                 REMOTE                "
				  "END           TIME PER STATE (5 closed since the start)");
	view_begin(&v, NOW);
	assert_int_equal(view_end(&v, 10, &vs), 0);
	view_hdr_totals(&v, &vs, line, sizeof(line));
	assert_string_equal(line, "since start: retransmits SYN 5, SYN-ACK 2, FIN 0, data 0; "
				  "resets sent 0, received 1; closed 5; connect() failed 0");
	view_fini(&v);
}

/* A closed connection through `path` (TL_CLOSE last), with `ns[i]` in path[i]. */
static void mk_closed(struct conn *c, const uint8_t *path, const uint64_t *ns, size_t n)
{
	mk(c, 60, "srv", 8080, TL_CLOSE, 0);
	c->closed = true;
	c->cause = CAUSE_FIN;
	c->path_len = (uint8_t)n;
	for (size_t i = 0; i < n; i++) {
		c->path[i] = path[i];
		c->state_ns[path[i]] += ns[i];
	}
}

static void test_hist_pane(void **st)
{
	static const uint8_t active[] = { TL_SYN_SENT, TL_ESTABLISHED, TL_FIN_WAIT1, TL_CLOSE };
	static const uint8_t passive[] = { TL_SYN_RECV, TL_ESTABLISHED, TL_CLOSE_WAIT,
					   TL_LAST_ACK, TL_CLOSE };
	static const uint8_t twice[] = { TL_ESTABLISHED, TL_FIN_WAIT1, TL_ESTABLISHED, TL_CLOSE };
	const uint64_t a_ns[] = { 120000, 500000000, 1000, 0 };
	const uint64_t p_ns[] = { 50000, 100000000, 2 * S, 30000, 0 };
	const uint64_t t_ns[] = { 300000000, 1000, 200000000, 0 };
	struct conn c;
	struct view v;
	char line[256];

	(void)st;
	assert_int_equal(view_init(&v, 0, 4), 0);
	/* Nothing closed yet, no row: ESTABLISHED, empty. */
	view_hist_open(&v, -1);
	assert_int_equal(v.hist_state, TL_ESTABLISHED);
	view_hist_head(&v, line, sizeof(line));
	assert_string_equal(line, "time in ESTABLISHED of the connections closed since the start: "
				  "count 0, max -");
	assert_int_equal(view_hist_lines(&v), 0);
	view_hist_cycle(&v, 1); /* no state has data: stays */
	assert_int_equal(v.hist_state, TL_ESTABLISHED);

	/* Feeding: every state on the path but CLOSE, once (a state entered
	 * twice with its total), unless its time is not measured. */
	mk_closed(&c, active, a_ns, 4);
	c.unmeasured = 1u << TL_FIN_WAIT1;
	view_closed(&v, &c);
	mk_closed(&c, passive, p_ns, 5);
	view_closed(&v, &c);
	mk_closed(&c, twice, t_ns, 4);
	view_closed(&v, &c);
	c.closed = false; /* written open at exit: not fed */
	view_closed(&v, &c);
	assert_true(v.hist[TL_ESTABLISHED].count == 3);
	assert_true(v.hist[TL_ESTABLISHED].max_ns == 500000000);
	assert_true(v.hist[TL_ESTABLISHED].sum_ns == 1100000000);
	assert_true(v.hist[TL_FIN_WAIT1].count == 1);
	assert_true(v.hist[TL_SYN_SENT].count == 1 && v.hist[TL_SYN_RECV].count == 1);
	assert_true(v.hist[TL_CLOSE_WAIT].count == 1 && v.hist[TL_LAST_ACK].count == 1);
	assert_true(v.hist[TL_CLOSE].count == 0);

	/* Selection: the `f` filter, else --state, else the table's top row. */
	view_hist_open(&v, TL_CLOSE_WAIT);
	assert_int_equal(v.hist_state, TL_CLOSE_WAIT);
	v.cli_states = 1u << TL_LAST_ACK | 1u << TL_SYN_RECV;
	view_hist_open(&v, TL_CLOSE_WAIT);
	assert_int_equal(v.hist_state, TL_SYN_RECV); /* the first --state */
	assert_int_equal(view_set_state(&v, "established"), 0);
	view_hist_open(&v, TL_CLOSE_WAIT);
	assert_int_equal(v.hist_state, TL_ESTABLISHED);
	v.cli_states = 0;
	assert_int_equal(view_set_state(&v, ""), 0);
	view_hist_open(&v, -1); /* no row, no filter: the first state with data */
	assert_int_equal(v.hist_state, TL_ESTABLISHED);

	/* The cycle: states with data in state order, both ways, wrapping. */
	{
		static const uint8_t fwd[] = { TL_SYN_SENT, TL_SYN_RECV, TL_FIN_WAIT1,
					       TL_CLOSE_WAIT, TL_LAST_ACK, TL_ESTABLISHED };

		for (size_t i = 0; i < sizeof(fwd); i++) {
			view_hist_cycle(&v, 1);
			assert_int_equal(v.hist_state, fwd[i]);
		}
		view_hist_cycle(&v, -1);
		assert_int_equal(v.hist_state, TL_LAST_ACK);
		view_hist_cycle(&v, 1);
		assert_int_equal(v.hist_state, TL_ESTABLISHED);
	}

	/* The pane: 100 ms (bucket 17), 500 ms (19), 300 + 200 ms (19). */
	view_hist_head(&v, line, sizeof(line));
	assert_string_equal(line, "time in ESTABLISHED of the connections closed since the start: "
				  "count 3, max 500ms");
	assert_int_equal(view_hist_lines(&v), 3);
	view_hist_line(&v, 0, 10, line, sizeof(line));
	assert_string_equal(line, "     (65.5ms, 131.1ms] : 1          |*****     |");
	view_hist_line(&v, 1, 10, line, sizeof(line));
	assert_string_equal(line, "    (131.1ms, 262.1ms] : 0          |          |");
	view_hist_line(&v, 2, 10, line, sizeof(line));
	assert_string_equal(line, "    (262.1ms, 524.3ms] : 2          |**********|");
	view_hist_line(&v, 3, 10, line, sizeof(line));
	assert_string_equal(line, "");
	view_fini(&v);
}

static void test_drops_line(void **st)
{
	struct view_stats vs = { 0 };
	char line[256];

	(void)st;
	assert_false(view_hdr_drops(&vs, line, sizeof(line)));
	assert_string_equal(line, "drops: none; ringbuf 0, map full 0, bad records 0, stale 0, missed 0, healed 0");
	vs.rb_drops = 3;
	assert_true(view_hdr_drops(&vs, line, sizeof(line)));
	assert_string_equal(line, "DROPS: ringbuf 3, map full 0, bad records 0, stale 0, missed 0, healed 0 - "
				  "some connections are missing or incomplete");
	/* A skipped program run alone is a loss too. */
	vs.rb_drops = 0;
	vs.missed = 2;
	assert_true(view_hdr_drops(&vs, line, sizeof(line)));
	/* Healed rows are complete: said, not a loss. */
	vs.missed = 0;
	vs.healed = 4;
	assert_false(view_hdr_drops(&vs, line, sizeof(line)));
	assert_string_equal(line, "drops: none; ringbuf 0, map full 0, bad records 0, stale 0, missed 0, healed 4");
	/* A state change no program saw (uncounted by the kernel before 6.7). */
	vs.gaps = 5;
	assert_true(view_hdr_drops(&vs, line, sizeof(line)));
	assert_string_equal(line, "DROPS: ringbuf 0, map full 0, bad records 0, stale 0, missed 0, gaps 5, healed 4 - "
				  "some connections are missing or incomplete");
}

/* A refresh that took more than a tenth of the interval puts the next one
 * off to ten times its cost (the 1M-connection batch snapshot). */
static void test_next_refresh(void **state)
{
	const uint64_t ms = 1000000, start = 5000 * ms;
	bool stretched = true;

	(void)state;
	assert_int_equal(view_next_ns(start, 20 * ms, 1000 * ms, &stretched), start + 1000 * ms);
	assert_false(stretched);
	assert_int_equal(view_next_ns(start, 100 * ms, 1000 * ms, &stretched), start + 1000 * ms);
	assert_false(stretched);
	assert_int_equal(view_next_ns(start, 101 * ms, 1000 * ms, &stretched), start + 1010 * ms);
	assert_true(stretched);
	assert_int_equal(view_next_ns(start, 2500 * ms, 1000 * ms, &stretched), start + 25000 * ms);
	assert_true(stretched);
	/* No wrap-around, whatever the clock says. */
	assert_int_equal(view_next_ns(UINT64_MAX - 5, 1, 1000 * ms, &stretched), UINT64_MAX);
	assert_int_equal(view_next_ns(start, UINT64_MAX / 2, 1000 * ms, &stretched), UINT64_MAX);
	assert_true(stretched);
}

/* All rows (batch) past one run: the merge sort in steps gives the full
 * sort's order, and hands control back (for main's loop to read the ring
 * buffer) at least once per VIEW_STEP_ROWS rows sorted or merged. */
static void test_all_rows_in_steps(void **st)
{
	enum { N = 3 * VIEW_STEP_ROWS + 123 };
	struct conn *c = calloc(N, sizeof(*c));
	uint64_t *in = calloc(N, sizeof(*in));
	unsigned steps = 0;
	struct view v;

	(void)st;
	assert_non_null(c);
	assert_non_null(in);
	srand(11);
	assert_int_equal(view_init(&v, 0, 8), 0);
	view_begin(&v, NOW);
	for (int i = 0; i < N; i++) {
		in[i] = (uint64_t)(rand() % 5000) * 1000000ULL; /* ties on purpose */
		mk(&c[i], 100 + (uint32_t)i, "srv", (uint16_t)(1000 + i), TL_ESTABLISHED, in[i]);
		c[i].skaddr = 0x1000 + (uint64_t)i;
		view_add(&v, &c[i]);
	}
	assert_int_equal(view_select(&v, SIZE_MAX, NULL), 0);
	while (view_sort_step(&v))
		steps++;
	qsort(in, N, sizeof(*in), cmp_desc);
	assert_int_equal(v.n_rows, N);
	for (int i = 0; i < N; i++) {
		assert_int_equal(NOW - v.rows[i]->state_entered_ns, in[i]);
		/* Ties: the socket address decides, as in the full sort. */
		if (i && in[i] == in[i - 1])
			assert_true(v.rows[i]->skaddr > v.rows[i - 1]->skaddr);
	}
	/* Runs: 4; merges: 2 passes of N rows. */
	assert_true(steps >= 4 + 2 * (N / VIEW_STEP_ROWS));
	assert_false(view_sort_step(&v));
	view_fini(&v);
	free(c);
	free(in);
}

/* A refresh with no open connection before any was ever seen: nothing
 * allocated for them yet, and no row (UBSan: memcpy from NULL). */
static void test_empty_refresh(void **st)
{
	struct view v;

	(void)st;
	assert_int_equal(view_init(&v, 0, 8), 0);
	view_begin(&v, NOW);
	assert_int_equal(view_end(&v, SIZE_MAX, NULL), 0);
	assert_int_equal(v.n_rows, 0);
	view_begin(&v, NOW);
	assert_int_equal(view_end(&v, 10, NULL), 0);
	assert_int_equal(v.n_rows, 0);
	view_fini(&v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dur),
		cmocka_unit_test(test_top_n),
		cmocka_unit_test(test_top_n_every_column),
		cmocka_unit_test(test_top_copies),
		cmocka_unit_test(test_filters_and_counts),
		cmocka_unit_test(test_cells),
		cmocka_unit_test(test_closed_ring),
		cmocka_unit_test(test_hist_pane),
		cmocka_unit_test(test_drops_line),
		cmocka_unit_test(test_next_refresh),
		cmocka_unit_test(test_all_rows_in_steps),
		cmocka_unit_test(test_empty_refresh),
		cmocka_unit_test(test_closed_ring_extra),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
