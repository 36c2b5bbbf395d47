// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdlib.h>
#include <sys/mman.h>
#include "slab.h"

/* A size's blocks come a mapping at a time: pages are only resident once
 * touched, so a size with few blocks costs little of it. */
#define SLAB_MAP_BYTES ((size_t)1 << 20)

static size_t class_of(size_t size)
{
	return (size + SLAB_STEP - 1) / SLAB_STEP - 1;
}

static int map_more(struct slab *s, size_t c)
{
	void *m;

	if (s->n_maps == s->cap_maps) {
		size_t cap = s->cap_maps ? 2 * s->cap_maps : 16;
		void **v = realloc(s->maps, cap * sizeof(*v));

		if (!v)
			return -1;
		s->maps = v;
		s->cap_maps = cap;
	}
	m = mmap(NULL, SLAB_MAP_BYTES, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED)
		return -1;
	s->maps[s->n_maps++] = m;
	s->cls[c].next = m;
	s->cls[c].end = (char *)m + SLAB_MAP_BYTES;
	return 0;
}

void *slab_alloc(struct slab *s, size_t size)
{
	size_t c, bytes;
	void *p;

	if (!size || size > SLAB_MAX)
		return NULL;
	c = class_of(size);
	bytes = (c + 1) * SLAB_STEP;
	p = s->cls[c].free;
	if (p) {
		s->cls[c].free = *(void **)p;
	} else {
		if ((size_t)(s->cls[c].end - s->cls[c].next) < bytes && map_more(s, c))
			return NULL;
		p = s->cls[c].next;
		s->cls[c].next += bytes;
	}
	s->in_use++;
	return p;
}

void slab_free(struct slab *s, void *p, size_t size)
{
	size_t c = class_of(size);

	*(void **)p = s->cls[c].free;
	s->cls[c].free = p;
	s->in_use--;
}

size_t slab_mapped(const struct slab *s)
{
	return s->n_maps * SLAB_MAP_BYTES;
}

void slab_fini(struct slab *s)
{
	for (size_t i = 0; i < s->n_maps; i++)
		munmap(s->maps[i], SLAB_MAP_BYTES);
	free(s->maps);
	*s = (struct slab){ 0 };
}
