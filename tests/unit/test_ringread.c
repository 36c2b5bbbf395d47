// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* ringread.c: a ring laid out as the kernel lays one out, in plain memory:
 * records in order, a discarded one skipped, one still reserved (busy)
 * waiting with everything after it, one that wraps past the end read
 * whole, a callback's error stopping the reading past its record. Then a
 * real ring buffer map (as root): its data pages mapped once. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <bpf/bpf.h>
#include <linux/bpf.h>
#include "ringread.h"

#define SIZE 4096

struct fake {
	unsigned long cons, prod;
	uint8_t data[SIZE];
	struct ring_view v;
};

static void fake_init(struct fake *f)
{
	memset(f, 0, sizeof(*f));
	f->v.consumer_pos = &f->cons;
	f->v.producer_pos = &f->prod;
	f->v.data = f->data;
	f->v.size = SIZE;
}

/* A record of len bytes, each byte `fill`, at the producer's position;
 * returns where its header is. */
static unsigned long put(struct fake *f, uint32_t len, uint8_t fill, uint32_t flags)
{
	unsigned long at = f->prod;
	uint32_t hdr = len | flags;

	memcpy(f->data + (at & (SIZE - 1)), &hdr, sizeof(hdr));
	for (uint32_t i = 0; i < len; i++)
		f->data[(at + BPF_RINGBUF_HDR_SZ + i) & (SIZE - 1)] = fill;
	f->prod += (BPF_RINGBUF_HDR_SZ + len + 7) & ~7ul;
	return at;
}

struct seen {
	int n;
	uint32_t len[16];
	uint8_t first[16];
	bool whole[16]; /* every byte the same */
	int fail_at;    /* the n-th record (1-based) gets -EIO; 0: none */
};

static int cb(void *ctx, void *data, size_t size)
{
	struct seen *s = ctx;
	const uint8_t *d = data;
	bool whole = true;

	for (size_t i = 1; i < size; i++)
		whole &= d[i] == d[0];
	s->len[s->n] = (uint32_t)size;
	s->first[s->n] = size ? d[0] : 0;
	s->whole[s->n] = whole;
	s->n++;
	return s->fail_at && s->n == s->fail_at ? -EIO : 0;
}

static void test_in_order(void **state)
{
	struct fake f;
	struct seen s = { 0 };

	(void)state;
	fake_init(&f);
	put(&f, 100, 1, 0);
	put(&f, 3, 2, BPF_RINGBUF_DISCARD_BIT);
	put(&f, 41, 3, 0);
	assert_int_equal(ring_view_consume(&f.v, cb, &s), 2);
	assert_int_equal(s.n, 2);
	assert_int_equal(s.len[0], 100);
	assert_int_equal(s.first[0], 1);
	assert_int_equal(s.len[1], 41);
	assert_int_equal(s.first[1], 3);
	assert_int_equal(f.cons, f.prod); /* every record's space given back */
	assert_int_equal(ring_view_consume(&f.v, cb, &s), 0);
}

static void test_busy_waits(void **state)
{
	struct fake f;
	struct seen s = { 0 };
	unsigned long busy;
	uint32_t hdr = 24;

	(void)state;
	fake_init(&f);
	put(&f, 16, 1, 0);
	busy = put(&f, 24, 2, BPF_RINGBUF_BUSY_BIT);
	put(&f, 8, 3, 0);
	assert_int_equal(ring_view_consume(&f.v, cb, &s), 1);
	assert_int_equal(f.cons, busy); /* stopped before it */
	memcpy(f.data + busy, &hdr, sizeof(hdr)); /* committed */
	assert_int_equal(ring_view_consume(&f.v, cb, &s), 2);
	assert_int_equal(s.first[1], 2);
	assert_int_equal(s.first[2], 3);
	assert_int_equal(f.cons, f.prod);
}

/* Records that run past the end, and one whose header ends the data: each
 * read whole, over and over as the positions go round. */
static void test_wrap(void **state)
{
	struct fake f;
	struct seen s = { 0 };

	(void)state;
	fake_init(&f);
	for (int round = 0; round < 40; round++) {
		uint32_t len = (uint32_t)(200 + round * 37 % 300);

		s.n = 0;
		put(&f, len, (uint8_t)(round + 1), 0);
		put(&f, 8, 0xee, 0);
		assert_int_equal(ring_view_consume(&f.v, cb, &s), 2);
		assert_int_equal(s.len[0], len);
		assert_int_equal(s.first[0], (uint8_t)(round + 1));
		assert_true(s.whole[0]);
		assert_true(s.whole[1]);
	}
	assert_true(f.prod > 3 * SIZE); /* went round, records straddling the end */
	/* A header in the last 8 bytes: its record starts at the data's start. */
	free(f.v.bounce);
	fake_init(&f);
	f.cons = f.prod = SIZE - 8;
	put(&f, 64, 7, 0);
	s.n = 0;
	assert_int_equal(ring_view_consume(&f.v, cb, &s), 1);
	assert_int_equal(s.len[0], 64);
	assert_true(s.whole[0]);
	assert_int_equal(s.first[0], 7);
	free(f.v.bounce);
}

static void test_error_stops(void **state)
{
	struct fake f;
	struct seen s = { .fail_at = 2 };

	(void)state;
	fake_init(&f);
	put(&f, 16, 1, 0);
	put(&f, 16, 2, 0);
	put(&f, 16, 3, 0);
	assert_int_equal(ring_view_consume(&f.v, cb, &s), -EIO);
	assert_int_equal(s.n, 2);
	assert_int_equal(f.cons, 2 * (BPF_RINGBUF_HDR_SZ + 16)); /* past the failed one */
	s.fail_at = 0;
	assert_int_equal(ring_view_consume(&f.v, cb, &s), 1);
	assert_int_equal(s.first[2], 3);
}

/* Bytes of the process's mappings of anon_inode:bpf-map. */
static unsigned long bpf_map_mapped(void)
{
	FILE *m = fopen("/proc/self/maps", "r");
	char line[512];
	unsigned long lo, hi, sum = 0;

	assert_non_null(m);
	while (fgets(line, sizeof(line), m))
		if (strstr(line, "anon_inode:bpf-map") && sscanf(line, "%lx-%lx", &lo, &hi) == 2)
			sum += hi - lo;
	fclose(m);
	return sum;
}

static int nop(void *ctx, void *data, size_t size)
{
	(void)ctx;
	(void)data;
	(void)size;
	return 0;
}

/* The point of it: a real ring of 1 MiB takes 1 MiB of mappings and two
 * pages, not 2 MiB (libbpf's ring_buffer maps the data twice). */
static void test_mapped_once(void **state)
{
	const unsigned long size = 1ul << 20, page = (unsigned long)sysconf(_SC_PAGESIZE);
	unsigned long before = bpf_map_mapped();
	int fd = bpf_map_create(BPF_MAP_TYPE_RINGBUF, "tl_test_rb", 0, 0, (__u32)size, NULL);
	struct ringread *rr;

	(void)state;
	if (fd < 0)
		skip(); /* not root: no BPF map to read */
	rr = ringread_new(fd, nop, NULL);
	assert_non_null(rr);
	assert_int_equal(bpf_map_mapped() - before, size + 2 * page);
	assert_int_equal(ringread_consume(rr), 0);
	assert_int_equal(ringread_poll(rr, 0), 0);
	ringread_free(rr);
	assert_int_equal(bpf_map_mapped(), before);
	close(fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_in_order),
		cmocka_unit_test(test_busy_waits),
		cmocka_unit_test(test_wrap),
		cmocka_unit_test(test_error_stops),
		cmocka_unit_test(test_mapped_once),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
