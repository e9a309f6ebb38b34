/*
 * What the parts of malloc (small_runs.c, malloc_medium.c) need of the
 * rest of the runtime, in one place (malloc_internal.h, small_runs.h): the
 * malloc lock, regions of address space that fault in as they are touched,
 * giving the RAM of pages back, and two pages sharing a frame (meshing).
 * The host tests link their own versions.
 */
#include "small_runs.h"
#include <aos/libc_locks.h>
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

/* Meshing (small_runs.c): pages src[0..n) (src[0] with its own frame, the
 * others sharing it) come to share page `dst`'s frame; move() runs with no
 * other thread of the domain running, between the last moment src's frame
 * is mapped and the first dst's is. */
bool heap_page_mesh(uintptr_t dst, const uintptr_t *src, int n, void (*move)(void *arg),
                    void *arg)
{
    lvaddr_t pages[MESH_GROUP_MAX];

    for (int i = 0; i < n && i < (int)MESH_GROUP_MAX; i++) {
        pages[i] = src[i];
    }
    return n <= (int)MESH_GROUP_MAX && paging_share_frame(dst, pages, n, move, arg);
}

void heap_page_unalias(uintptr_t page)
{
    paging_unshare(page);
}
