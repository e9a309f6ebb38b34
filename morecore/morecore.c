/*
 * The heap behind the C library's malloc: picolibc's allocator asks for
 * memory with sbrk(), and we answer from HEAP blocks of the buddy-managed
 * address space (vspace/), whose pages are mapped by the page-fault
 * handler when malloc first touches them. No static arena.
 *
 *   [heap_start ........ heap_top ............ heap_end)
 *    in use by malloc    break (sbrk)           end of the reserved blocks
 *
 * The first block is the layout's HEAP reservation (vspace/layout.c). When
 * the break would pass heap_end, the block directly above the last one is
 * reserved too (buddy_alloc_grow: same order, same tag), so the heap stays
 * contiguous as long as that space is free; otherwise sbrk fails with
 * ENOMEM. A negative sbrk unmaps the whole pages above the new break and
 * their frames go back to the frame pool (and, a chunk at a time, to the
 * memory server).
 *
 * Locking: picolibc calls sbrk with its malloc lock held (lib/libc_locks.c);
 * we take the paging lock inside it (lock order: malloc, then paging).
 */
#include <aos/morecore.h>
#include <aos/paging.h>
#include <errno.h>
#include <stdint.h>
#include "../vspace/paging_types.h"

void paging_first_heap(lvaddr_t *base, size_t *size);

static lvaddr_t heap_start, heap_top, heap_end;
static lvaddr_t last_block;             /* base of the highest heap block */

errval_t morecore_init(void)
{
    size_t size;

    paging_first_heap(&heap_start, &size);
    if (size == 0) {
        return LIB_ERR_MORECORE_NO_HEAP;
    }
    heap_top = heap_start;
    heap_end = heap_start + size;
    last_block = heap_start;
    return SYS_ERR_OK;
}

/* Reserve the block above the heap's last one (lock order: see top). */
static bool grow(void)
{
    struct paging_state *st = get_current_paging_state();
    lvaddr_t above;
    errval_t err;

    paging_lock(st);
    err = buddy_alloc_grow(&st->buddy, last_block, &above);
    paging_unlock(st);
    if (err_is_fail(err) || above != heap_end) {
        return false;
    }
    heap_end += heap_end - last_block;      /* same order as the last block */
    last_block = above;
    return true;
}

void *sbrk(ptrdiff_t incr)
{
    lvaddr_t old = heap_top;

    if (heap_start == 0) {
        errno = ENOMEM;
        return (void *)-1;
    }
    if (incr >= 0) {
        while ((size_t)incr > heap_end - heap_top) {
            if (!grow()) {
                errno = ENOMEM;
                return (void *)-1;
            }
        }
        heap_top += incr;
        return (void *)old;
    }
    if ((size_t)-incr > heap_top - heap_start) {
        errno = EINVAL;
        return (void *)-1;
    }
    heap_top -= (size_t)-incr;
    morecore_release(ROUND_UP(heap_top, BASE_PAGE_SIZE), ROUND_UP(old, BASE_PAGE_SIZE));
    return (void *)old;
}

void morecore_release(lvaddr_t from, lvaddr_t to)
{
    struct paging_state *st = get_current_paging_state();

    if (from >= to || from < heap_start || to > heap_end) {
        return;
    }
    paging_lock(st);
    paging_unmap_lazy(st, from, to - from, false);
    paging_unlock(st);
}

void morecore_get_info(struct morecore_info *info)
{
    info->heap_start = heap_start;
    info->heap_top = heap_top;
    info->heap_end = heap_end;
}

bool morecore_contains(lvaddr_t addr)
{
    return addr >= heap_start && addr < heap_end;
}
