// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "iterread.h"
#include "threads.h"

/* A read of a BPF iterator returns at most its seq_file buffer (8 pages
 * since 5.8: bpf_seq_read). A chunk takes one read; a few in flight let the
 * reader run ahead while a chunk's records are applied. */
#define CHUNK_BYTES (64 * 1024)
#define CHUNKS 8

struct pipe {
	int fd;
	pthread_mutex_t mu;
	pthread_cond_t cv; /* a chunk filled, or one taken */
	/* Under mu: chunks [tail, head) are filled, in order. */
	unsigned int head, tail;
	bool done; /* the reader reached the end, or failed (err) */
	int err;
	size_t len[CHUNKS];
	char (*buf)[CHUNK_BYTES];
};

/* The records a chunk completes, carrying a partial one over. */
struct feed {
	size_t rec_size;
	int (*fn)(void *ctx, void *rec, size_t size);
	void *ctx;
	char *carry; /* rec_size bytes */
	size_t have; /* bytes of a partial record in carry */
	int n;
};

static void feed(struct feed *f, char *p, size_t len)
{
	if (f->have) {
		size_t take = f->rec_size - f->have < len ? f->rec_size - f->have : len;

		memcpy(f->carry + f->have, p, take);
		f->have += take;
		p += take;
		len -= take;
		if (f->have < f->rec_size)
			return;
		f->fn(f->ctx, f->carry, f->rec_size);
		f->n++;
		f->have = 0;
	}
	for (; len >= f->rec_size; p += f->rec_size, len -= f->rec_size, f->n++)
		f->fn(f->ctx, p, f->rec_size);
	memcpy(f->carry, p, len);
	f->have = len;
}

/* One read into buf: its length, 0 at the end, or -errno. */
static ssize_t read_once(int fd, char *buf)
{
	for (;;) {
		ssize_t r = read(fd, buf, CHUNK_BYTES);

		if (r >= 0 || errno != EINTR)
			return r < 0 ? -errno : r;
	}
}

static void *reader(void *arg)
{
	struct pipe *p = arg;

	pthread_mutex_lock(&p->mu);
	while (!p->done) {
		unsigned int slot;
		ssize_t r;

		while (p->head - p->tail == CHUNKS)
			pthread_cond_wait(&p->cv, &p->mu);
		slot = p->head % CHUNKS;
		/* The chunk at head is the reader's alone until head moves. */
		pthread_mutex_unlock(&p->mu);
		r = read_once(p->fd, p->buf[slot]);
		pthread_mutex_lock(&p->mu);
		if (r <= 0) {
			p->err = (int)r;
			p->done = true;
		} else {
			p->len[slot] = (size_t)r;
			p->head++;
		}
		pthread_cond_broadcast(&p->cv);
	}
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

static int read_alone(int fd, struct feed *f, char *buf)
{
	ssize_t r;

	while ((r = read_once(fd, buf)) > 0)
		feed(f, buf, (size_t)r);
	return (int)r;
}

static int read_piped(struct pipe *p, struct feed *f)
{
	pthread_t th;

	if (thread_start(&th, reader, p))
		return read_alone(p->fd, f, p->buf[0]);
	pthread_mutex_lock(&p->mu);
	for (;;) {
		unsigned int slot;

		while (p->head == p->tail && !p->done)
			pthread_cond_wait(&p->cv, &p->mu);
		if (p->head == p->tail)
			break; /* done, and every chunk taken */
		slot = p->tail % CHUNKS;
		pthread_mutex_unlock(&p->mu);
		feed(f, p->buf[slot], p->len[slot]);
		pthread_mutex_lock(&p->mu);
		p->tail++;
		pthread_cond_broadcast(&p->cv);
	}
	pthread_mutex_unlock(&p->mu);
	pthread_join(th, NULL);
	return p->err;
}

int iter_read_records(int fd, size_t rec_size, int (*fn)(void *ctx, void *rec, size_t size),
		      void *ctx)
{
	struct feed f = { .rec_size = rec_size, .fn = fn, .ctx = ctx };
	struct pipe p = { .fd = fd };
	int err;

	if (!rec_size)
		return -EINVAL;
	f.carry = malloc(rec_size);
	p.buf = malloc(sizeof(*p.buf) * CHUNKS);
	if (!f.carry || !p.buf) {
		free(f.carry);
		free(p.buf);
		return -ENOMEM;
	}
	pthread_mutex_init(&p.mu, NULL);
	pthread_cond_init(&p.cv, NULL);
	err = read_piped(&p, &f);
	pthread_cond_destroy(&p.cv);
	pthread_mutex_destroy(&p.mu);
	free(p.buf);
	free(f.carry);
	return err < 0 ? err : f.n;
}
