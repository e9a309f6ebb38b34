/*
 * Where malloc's memory comes from, by size (the link wraps malloc, free,
 * calloc, realloc, mallinfo and malloc_usable_size: site_scons --wrap, so
 * every caller, the C library included, comes through here):
 *
 *   <= SMALL_MAX (1 KiB)    size-class runs (malloc_small.c)
 *   <  MALLOC_LARGE         boundary-tagged chunks in 4 MiB regions (malloc_medium.c)
 *   >= MALLOC_LARGE         a HEAP block of its own (below)
 *
 * picolibc's own heap over sbrk (morecore.c) now serves only memalign and
 * its relatives, which are not wrapped; a free() of such a block still
 * goes there (heap_free).
 *
 * Large allocations get a HEAP block of their own from the address space
 * (like glibc's mmap threshold): it faults in as it is touched, and free()
 * gives the block and the RAM of every touched page back at once.
 *
 *   block base ─> struct large_header { magic, size }   (16 bytes)
 *   base + 16  ─> what malloc returns (8-byte aligned)
 *
 * A pointer is large exactly when no other part owns it; its header is then
 * checked, so a stray free() of a foreign pointer is refused, not obeyed.
 *
 * malloc_trim(0) gives back everything that can go: empty size-class runs,
 * the free pages of medium chunks, then page tables, metadata pages and
 * frame-pool chunks (paging_trim).
 */
#include <aos/morecore.h>
#include "malloc_internal.h"
#include <aos/libc_locks.h>
#include <aos/threads.h>
#include <aos/paging.h>
#include <errno.h>
#include <string.h>
#include <stdint.h>
#include <malloc.h>
#include <sys/lock.h>

#define MALLOC_LARGE   (128u * 1024)
#define LARGE_MAGIC    0x4c524745u      /* "LRGE" */
#define LARGE_HEADER   16u

struct large_header {
    uint32_t magic;
    uint32_t size;          /* bytes the caller asked for */
    uint32_t pad[2];
};

void __real_free(void *ptr);
size_t __real_malloc_usable_size(void *ptr);

static bool in_sbrk_heap(const void *p)
{
    return morecore_contains((lvaddr_t)p);
}

static void *large_alloc(size_t size)
{
    struct large_header *h;
    void *buf;

    if (size > SIZE_MAX - LARGE_HEADER
        || err_is_fail(paging_alloc(get_current_paging_state(), &buf,
                                    size + LARGE_HEADER, BASE_PAGE_SIZE))) {
        errno = ENOMEM;
        return NULL;
    }
    h = buf;
    h->magic = LARGE_MAGIC;
    h->size = (uint32_t)size;
    return (char *)buf + LARGE_HEADER;
}

/* The header of a large block, or NULL if `p` is not one. */
static struct large_header *large_header(void *p)
{
    struct large_header *h = (struct large_header *)((char *)p - LARGE_HEADER);

    if (((lvaddr_t)h & (BASE_PAGE_SIZE - 1)) != 0 || h->magic != LARGE_MAGIC) {
        return NULL;
    }
    return h;
}

/* malloc above the size classes (out of line: __wrap_malloc's common case
 * is a tail call into malloc_small.c). */
static void * __attribute__((noinline)) alloc_not_small(size_t size)
{
    void *p = size < MALLOC_LARGE ? medium_alloc(size) : large_alloc(size);

    if (p == NULL) {
        errno = ENOMEM;
    }
    return p;
}

void *__wrap_malloc(size_t size)
{
    if (size <= SMALL_MAX) {
        return small_malloc(size);          /* the common case: a tail call */
    }
    return alloc_not_small(size);
}

/* The size classes had no room: a medium chunk instead. */
void *small_fallback(size_t size)
{
    return medium_alloc(size);
}

void *__wrap_calloc(size_t n, size_t size)
{
    void *p;

    if (size != 0 && n > SIZE_MAX / size) {
        errno = ENOMEM;
        return NULL;
    }
    /* fresh pages fault in zeroed: a large block needs no memset; objects
     * of the others are reused */
    p = __wrap_malloc(n * size);
    if (p != NULL && n * size < MALLOC_LARGE) {
        memset(p, 0, n * size);
    }
    return p;
}

/*
 * Free a block of picolibc's heap (memalign), then give back the RAM of
 * the whole pages strictly inside it: picolibc keeps a free chunk's
 * bookkeeping in its first words only, so those pages are not read again
 * until malloc hands them out anew (and then they fault in as zero pages).
 * The malloc lock is held across both, so no other thread can be handed
 * the block in between (lock order: malloc, then paging).
 */
static void heap_free(void *p)
{
    size_t n = __real_malloc_usable_size(p);   /* the caller still owns p */

    /* (a padded chunk's size word is a negative offset: n is then huge) */
    if (n < 2 * BASE_PAGE_SIZE || !morecore_contains((lvaddr_t)p + n - 1)) {
        __real_free(p);                 /* the common case: nothing to give back */
        return;
    }
    __retarget_lock_acquire_recursive(&__lock___libc_recursive_mutex);
    __real_free(p);
    morecore_release(ROUND_UP((lvaddr_t)p + 2 * sizeof(void *), BASE_PAGE_SIZE),
                     ROUND_DOWN((lvaddr_t)p + n, BASE_PAGE_SIZE));
    __retarget_lock_release_recursive(&__lock___libc_recursive_mutex);
}

/* free of anything but a small object (kept out of line, so that the
 * common case in __wrap_free needs no stack frame). */
static void __attribute__((noinline)) free_not_small(void *p)
{
    struct large_header *h;

    if (p == NULL) {
        return;
    }
    if (medium_owns(p)) {
        medium_free(p);
        return;
    }
    if (in_sbrk_heap(p)) {
        heap_free(p);
        return;
    }
    h = large_header(p);
    if (h != NULL) {
        h->magic = 0;
        paging_free(get_current_paging_state(), h);
    }
    /* else: not ours; ignoring it is safer than corrupting the heap */
}

void __wrap_free(void *p)
{
    if (small_owns(p)) {                    /* never NULL: the region is above 1 MiB */
        small_free_any(p);
    } else {
        free_not_small(p);
    }
}

/* Bytes the caller may use at p (0: not a block of ours). */
static size_t usable(void *p)
{
    struct large_header *h;

    if (small_owns(p)) {
        return small_size(p);
    }
    if (medium_owns(p)) {
        return medium_usable(p);
    }
    if (in_sbrk_heap(p)) {
        return __real_malloc_usable_size(p);
    }
    h = large_header(p);
    return h != NULL ? h->size : 0;
}

size_t __wrap_malloc_usable_size(void *p)
{
    return p != NULL ? usable(p) : 0;
}

void *__wrap_realloc(void *p, size_t size)
{
    size_t old;
    void *q;

    if (p == NULL) {
        return __wrap_malloc(size);
    }
    old = usable(p);
    if (old == 0) {
        errno = EINVAL;
        return NULL;
    }
    if (small_owns(p) && size <= old && size * 2 > old) {
        return p;                               /* still fits its class */
    }
    if (medium_owns(p) && size > SMALL_MAX && size < MALLOC_LARGE
        && medium_resize(p, size) != NULL) {
        return p;                               /* grown or shrunk in place */
    }
    q = __wrap_malloc(size);
    if (q != NULL) {
        memcpy(q, p, old < size ? old : size);
        __wrap_free(p);
    }
    return q;
}

/* mallinfo counts every part (tests compare it). */
struct mallinfo __real_mallinfo(void);

struct mallinfo __wrap_mallinfo(void)
{
    struct mallinfo mi = __real_mallinfo();
    size_t used, free_bytes, arena, releasable;

    medium_stats(&used, &free_bytes, &arena, &releasable);
    __retarget_lock_acquire_recursive(&__lock___libc_recursive_mutex);
    mi.uordblks += small_in_use() + used;
    mi.fordblks += free_bytes;
    mi.arena += arena;
    mi.keepcost = releasable;               /* free pages malloc_trim would give back */
    __retarget_lock_release_recursive(&__lock___libc_recursive_mutex);
    return mi;
}

int malloc_trim(size_t pad)
{
    struct paging_info before, after;
    struct paging_state *st = get_current_paging_state();

    (void)pad;
    paging_get_info(st, &before);
    small_trim();
    medium_trim();
    paging_trim(st);
    paging_get_info(st, &after);
    return after.lazy_frames < before.lazy_frames || after.pool_held_bytes < before.pool_held_bytes;
}
