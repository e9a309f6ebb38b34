/*
 * The parts of malloc in morecore/ (not an interface for domains):
 * malloc_large.c routes each call by size and by the address freed.
 */
#ifndef MORECORE_MALLOC_INTERNAL_H
#define MORECORE_MALLOC_INTERNAL_H

#include <stddef.h>
#include <stdbool.h>
#include <stdint.h>
#include <autarky/types.h>

#define SMALL_MAX 1024u             /* larger ones: picolibc's heap or own blocks */
#define SMALL_REGION_SIZE (256u << 20)   /* the runs' HEAP block */

/* malloc_small.c: malloc and free of small objects (small_runs.h) for
 * domains, locking as they need (their common
 * case takes no lock); small_malloc falls back to the heap when the runs
 * have no room, so it returns NULL only when that fails too. */
void *small_malloc(size_t size);
void small_free_any(void *p);       /* p: small_owns(p) */
/* malloc_large.c: where small_malloc goes when the runs have no room */
void *small_fallback(size_t size);
extern unsigned long small_region; /* 0 until the first small object */
static inline bool small_owns(const void *p)
{
    return small_region != 0 && (unsigned long)p - small_region < SMALL_REGION_SIZE;
}
size_t small_size(const void *p);   /* the object's class size */
size_t small_in_use(void);
void small_trim(void);              /* mesh, and give back every empty run */

/* heap_pages.c: what the parts of malloc need of the rest of the system
 * (the host tests provide their own) */
void heap_lock(void);               /* the C library's malloc lock (recursive) */
void heap_unlock(void);
void *heap_region_alloc(size_t bytes);      /* `bytes`-aligned, lazily backed; NULL: none */
void heap_region_free(void *region);        /* its pages' RAM back too */
void heap_pages_release(uintptr_t base, size_t bytes);  /* RAM back; reads zero after */

/* malloc_medium.c: SMALL_MAX < size < MALLOC_LARGE; each takes the lock */
void *medium_alloc(size_t size);    /* NULL: no room */
void medium_free(void *p);
bool medium_owns(const void *p);    /* in one of its regions (no lock) */
size_t medium_usable(const void *p);
void *medium_resize(void *p, size_t size);   /* in place, or NULL */
void medium_stats(size_t *used, size_t *free_bytes, size_t *arena, size_t *releasable);
void medium_trim(void);
const char *medium_check(void);     /* NULL, or what is inconsistent (tests) */

#endif
