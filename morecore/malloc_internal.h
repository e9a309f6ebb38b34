/*
 * The parts of malloc in morecore/ (not an interface for domains):
 * malloc_large.c routes each call by size and by the address freed.
 */
#ifndef MORECORE_MALLOC_INTERNAL_H
#define MORECORE_MALLOC_INTERNAL_H

#include <stddef.h>
#include <stdbool.h>

#define SMALL_MAX 1024u             /* larger ones: picolibc's heap or own blocks */
#define SMALL_REGION_SIZE (256u << 20)   /* the runs' HEAP block */

/* malloc_small.c; the caller holds the C library's malloc lock */
void *small_alloc(size_t size);     /* NULL: no room */
void small_free(void *p);
/* malloc and free of small objects, locking as they need (their common
 * case takes no lock); small_malloc falls back to the heap when the runs
 * have no room, so it returns NULL only when that fails too. */
void *small_malloc(size_t size);
void small_free_any(void *p);       /* p: small_owns(p) */
/* picolibc's allocator behind the wrap (site_scons: --wrap=malloc,...) */
void *__real_malloc(size_t size);
extern unsigned long small_region; /* 0 until the first small object */
static inline bool small_owns(const void *p)
{
    return small_region != 0 && (unsigned long)p - small_region < SMALL_REGION_SIZE;
}
size_t small_size(const void *p);   /* the object's class size */
size_t small_in_use(void);

#endif
