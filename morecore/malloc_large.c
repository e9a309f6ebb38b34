/*
 * Where malloc's memory comes from, by size (the link wraps malloc, free,
 * calloc, realloc and mallinfo: site_scons --wrap, so every caller, the C
 * library included, comes through here):
 *
 *   <= SMALL_MAX (1 KiB)    size-class runs (malloc_small.c)
 *   <  MALLOC_LARGE         picolibc's heap over sbrk (morecore.c)
 *   >= MALLOC_LARGE         a HEAP block of its own (below)
 *
 * Large allocations beside the C library's heap. picolibc's allocator
 * never gives memory back to sbrk, so a program that frees a large block
 * would keep its RAM for ever. Allocations of MALLOC_LARGE bytes or more
 * therefore get a HEAP block of their own from the address space (like
 * glibc's mmap threshold): it faults in as it is touched, and free() gives
 * the block and the RAM of every touched page back at once.
 *
 * The link wraps malloc, free, calloc and realloc (site_scons: --wrap), so
 * every caller, the C library included, comes through here.
 *
 *   block base ─> struct large_header { magic, size }   (16 bytes)
 *   base + 16  ─> what malloc returns (8-byte aligned)
 *
 * A pointer is large exactly when it lies outside the sbrk heap; its header
 * is then checked, so a stray free() of a foreign pointer is refused, not
 * obeyed.
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
void *__real_calloc(size_t n, size_t size);
void *__real_realloc(void *ptr, size_t size);

static bool in_small_heap(const void *p)
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

void *__wrap_malloc(size_t size)
{
    if (size <= SMALL_MAX) {
        return small_malloc(size);          /* the common case: a tail call */
    }
    return size >= MALLOC_LARGE ? large_alloc(size) : __real_malloc(size);
}

void *__wrap_calloc(size_t n, size_t size)
{
    if (size != 0 && n > SIZE_MAX / size) {
        errno = ENOMEM;
        return NULL;
    }
    if (n * size <= SMALL_MAX) {
        void *p = small_malloc(n * size);
        /* objects are reused, and the heap's fallback is not cleared */
        return p != NULL ? memset(p, 0, n * size) : NULL;
    }
    /* fresh pages fault in zeroed: a large block needs no memset */
    return n * size >= MALLOC_LARGE ? large_alloc(n * size) : __real_calloc(n, size);
}

/*
 * Free a block of picolibc's heap, then give back the RAM of the whole
 * pages strictly inside it: picolibc keeps a free chunk's bookkeeping in
 * its first words only, so those pages are not read again until malloc
 * hands them out anew (and then they fault in as zero pages). The malloc
 * lock is held across both, so no other thread can be handed the block
 * in between (lock order: malloc, then paging).
 */
static void heap_free(void *p)
{
    size_t n = malloc_usable_size(p);   /* the caller still owns p */

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
    if (in_small_heap(p)) {
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

void *__wrap_realloc(void *p, size_t size)
{
    struct large_header *h;
    void *q;
    size_t old = 0;

    if (p == NULL) {
        return __wrap_malloc(size);
    }
    if (small_owns(p)) {
        old = small_size(p);
        if (size <= old && size * 2 > old) {
            return p;                           /* still fits its class */
        }
    } else if (in_small_heap(p) && size < MALLOC_LARGE && size > SMALL_MAX) {
        return __real_realloc(p, size);
    } else {
        h = in_small_heap(p) ? NULL : large_header(p);
        if (!in_small_heap(p) && h == NULL) {
            errno = EINVAL;
            return NULL;
        }
        old = h != NULL ? h->size : malloc_usable_size(p);
    }
    q = __wrap_malloc(size);
    if (q != NULL) {
        memcpy(q, p, old < size ? old : size);
        __wrap_free(p);
    }
    return q;
}

/* mallinfo counts the size classes' objects too (tests compare it). */
struct mallinfo __real_mallinfo(void);

struct mallinfo __wrap_mallinfo(void)
{
    struct mallinfo mi = __real_mallinfo();

    __retarget_lock_acquire_recursive(&__lock___libc_recursive_mutex);
    mi.uordblks += small_in_use();
    __retarget_lock_release_recursive(&__lock___libc_recursive_mutex);
    return mi;
}
