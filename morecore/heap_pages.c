/*
 * What the parts of malloc (malloc_small.c, malloc_medium.c) need of the
 * rest of the runtime, in one place (malloc_internal.h): the malloc lock,
 * regions of address space that fault in as they are touched, and giving
 * the RAM of pages back. The host tests link their own versions.
 */
#include "malloc_internal.h"
#include "../lib/libc_locks.h"
#include "../vspace/paging_types.h"
#include <aos/paging.h>

void heap_lock(void)
{
    __retarget_lock_acquire_recursive(&__lock___libc_recursive_mutex);
}

void heap_unlock(void)
{
    __retarget_lock_release_recursive(&__lock___libc_recursive_mutex);
}

/* A HEAP block of `bytes`, aligned to its size (lock order: malloc, then
 * paging: the caller holds the malloc lock). */
void *heap_region_alloc(size_t bytes)
{
    void *buf;

    if (err_is_fail(paging_alloc(get_current_paging_state(), &buf, bytes, bytes))) {
        return NULL;
    }
    return buf;
}

void heap_region_free(void *region)
{
    paging_free(get_current_paging_state(), region);
}

/* Unmap the whole pages of [base, base + bytes): their frames go back to
 * the pool; touching them again faults in zero pages. */
void heap_pages_release(uintptr_t base, size_t bytes)
{
    struct paging_state *st = get_current_paging_state();

    paging_lock(st);
    paging_unmap_lazy(st, base, bytes, false);
    paging_unlock(st);
}
