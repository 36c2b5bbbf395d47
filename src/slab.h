/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Small blocks in mappings of their own, one free list per size (8-byte
 * steps up to SLAB_MAX). Why not malloc: the connection table frees a
 * 488-byte entry for each ~70-byte compact form it makes (conntab_cold.c).
 * From the same heap, the compact forms land in the holes the entries
 * left, scattered over every page, and no page can be given back (glibc
 * splits a freed chunk for the next small request). Packed apart, the
 * entries' pages empty out whole and malloc_trim() returns them (1 000 000
 * idle connections: 322 MiB of RSS from malloc, 148-159 MiB from here).
 *
 * Blocks are 8-byte aligned. Mappings are kept until slab_fini(): freed
 * blocks go to their size's list for the next allocation.
 */
#ifndef TL_SLAB_H
#define TL_SLAB_H

#include <stddef.h>

#define SLAB_STEP 8
#define SLAB_MAX 256
#define SLAB_CLASSES (SLAB_MAX / SLAB_STEP)

struct slab {
	struct {
		void *free;       /* freed blocks, each holding the next's address */
		char *next, *end; /* the unused rest of this size's newest mapping */
	} cls[SLAB_CLASSES];
	void **maps;              /* every mapping, for slab_fini() */
	size_t n_maps, cap_maps;
	size_t in_use;            /* blocks allocated, not freed */
};

/* A block of size bytes (1 .. SLAB_MAX); NULL if out of memory. */
void *slab_alloc(struct slab *s, size_t size);
/* p from slab_alloc(s, size), the same size. */
void slab_free(struct slab *s, void *p, size_t size);
/* Bytes mapped (resident or not). */
size_t slab_mapped(const struct slab *s);
/* Every mapping unmapped: every block is gone. */
void slab_fini(struct slab *s);

#endif /* TL_SLAB_H */
