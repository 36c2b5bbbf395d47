// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <linux/bpf.h>
#include "ringread.h"

/* A record's length from its header word, and the space it takes: the
 * header, then the record padded to 8 bytes. */
static uint32_t rec_len(uint32_t hdr)
{
	return hdr & ~(BPF_RINGBUF_BUSY_BIT | BPF_RINGBUF_DISCARD_BIT);
}

static unsigned long rec_space(uint32_t len)
{
	return ((unsigned long)len + BPF_RINGBUF_HDR_SZ + 7) & ~7ul;
}

/* The record after the header at pos: in place, or copied whole into the
 * bounce buffer when it runs past the data's end. NULL: no memory. */
static void *rec_data(struct ring_view *v, unsigned long pos, uint32_t len)
{
	size_t off = (pos + BPF_RINGBUF_HDR_SZ) & (v->size - 1), first;

	if (off + len <= v->size)
		return (void *)(v->data + off);
	if (len > v->bounce_cap) {
		uint8_t *b = realloc(v->bounce, len);

		if (!b)
			return NULL;
		v->bounce = b;
		v->bounce_cap = len;
	}
	first = v->size - off;
	memcpy(v->bounce, v->data + off, first);
	memcpy(v->bounce + first, v->data, len - first);
	return v->bounce;
}

int ring_view_consume(struct ring_view *v, ringread_fn fn, void *ctx)
{
	unsigned long cons = __atomic_load_n(v->consumer_pos, __ATOMIC_ACQUIRE), prod;
	int n = 0;
	bool more;

	/* Until a look at the producer's position finds nothing new: records
	 * committed while we read are read too. */
	do {
		more = false;
		prod = __atomic_load_n(v->producer_pos, __ATOMIC_ACQUIRE);
		while (cons < prod) {
			const uint32_t *hdr = (const uint32_t *)(v->data + (cons & (v->size - 1)));
			uint32_t h = __atomic_load_n(hdr, __ATOMIC_ACQUIRE), len = rec_len(h);
			void *rec;
			int err;

			if (h & BPF_RINGBUF_BUSY_BIT)
				return n; /* reserved, not yet committed: the rest waits */
			more = true;
			if (!(h & BPF_RINGBUF_DISCARD_BIT)) {
				rec = rec_data(v, cons, len);
				if (!rec)
					return -ENOMEM;
				err = fn(ctx, rec, len);
				if (err < 0) {
					__atomic_store_n(v->consumer_pos, cons + rec_space(len), __ATOMIC_RELEASE);
					return err;
				}
				if (n < INT_MAX)
					n++;
			}
			cons += rec_space(len);
			/* Each record's space is given back as soon as it is read:
			 * the producer may fill it while the next is read. */
			__atomic_store_n(v->consumer_pos, cons, __ATOMIC_RELEASE);
		}
	} while (more);
	return n;
}

struct ringread {
	struct ring_view v;
	ringread_fn fn;
	void *ctx;
	int epfd;
	void *cons_map, *prod_map; /* the consumer page; the producer page and the data */
	size_t page, prod_len;
};

void ringread_free(struct ringread *rr)
{
	if (!rr)
		return;
	if (rr->cons_map)
		munmap(rr->cons_map, rr->page);
	if (rr->prod_map)
		munmap(rr->prod_map, rr->prod_len);
	if (rr->epfd >= 0)
		close(rr->epfd);
	free(rr->v.bounce);
	free(rr);
}

struct ringread *ringread_new(int map_fd, ringread_fn fn, void *ctx)
{
	struct bpf_map_info info = {};
	__u32 info_len = sizeof(info);
	struct epoll_event ev = { .events = EPOLLIN };
	struct ringread *rr;
	void *m;
	int err;

	/* bpf_obj_get_info_by_fd: libbpf 1.1 (Debian 12) has no bpf_map_get_info_by_fd. */
	if (bpf_obj_get_info_by_fd(map_fd, &info, &info_len))
		return NULL; /* errno set */
	if (info.type != BPF_MAP_TYPE_RINGBUF || !info.max_entries ||
	    (info.max_entries & (info.max_entries - 1))) {
		errno = EINVAL;
		return NULL;
	}
	rr = calloc(1, sizeof(*rr));
	if (!rr)
		return NULL;
	rr->fn = fn;
	rr->ctx = ctx;
	rr->page = (size_t)sysconf(_SC_PAGESIZE);
	rr->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (rr->epfd < 0 || epoll_ctl(rr->epfd, EPOLL_CTL_ADD, map_fd, &ev))
		goto fail;
	/* The consumer page is the only one we may write (the kernel refuses
	 * a writable mapping of any other). */
	m = mmap(NULL, rr->page, PROT_READ | PROT_WRITE, MAP_SHARED, map_fd, 0);
	if (m == MAP_FAILED)
		goto fail;
	rr->cons_map = m;
	/* The producer page and the data pages, once: the kernel's own
	 * mapping has them twice, a reader's need not. */
	rr->prod_len = rr->page + info.max_entries;
	m = mmap(NULL, rr->prod_len, PROT_READ, MAP_SHARED, map_fd, (off_t)rr->page);
	if (m == MAP_FAILED)
		goto fail;
	rr->prod_map = m;
	rr->v.consumer_pos = rr->cons_map;
	rr->v.producer_pos = rr->prod_map;
	rr->v.data = (const uint8_t *)rr->prod_map + rr->page;
	rr->v.size = info.max_entries;
	return rr;
fail:
	err = errno;
	ringread_free(rr);
	errno = err;
	return NULL;
}

int ringread_consume(struct ringread *rr)
{
	return ring_view_consume(&rr->v, rr->fn, rr->ctx);
}

int ringread_poll(struct ringread *rr, int timeout_ms)
{
	struct epoll_event ev;
	int n = epoll_wait(rr->epfd, &ev, 1, timeout_ms);

	if (n < 0)
		return -errno;
	/* Woken or not: most records come without a wake-up (tracer_poll). */
	return ringread_consume(rr);
}
