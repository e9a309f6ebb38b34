/*
 * The heap behind malloc (morecore/morecore.c): sbrk() over lazily backed
 * HEAP blocks of the domain's address space.
 */
#ifndef AOS_MORECORE_H
#define AOS_MORECORE_H

#include <autarky/types.h>
#include <autarky/errors.h>

/* Take the layout's first HEAP block (after paging_init). */
errval_t morecore_init(void);
/* Unmap the whole pages in [from, to) of the heap: their RAM goes back
 * (the addresses stay valid: touching them again faults in zero pages). */
void morecore_release(lvaddr_t from, lvaddr_t to);

/* Whether `addr` lies in the sbrk heap (picolibc's allocator). */
bool morecore_contains(lvaddr_t addr);

struct morecore_info {
    lvaddr_t heap_start, heap_top, heap_end;
};
void morecore_get_info(struct morecore_info *info);

#endif
