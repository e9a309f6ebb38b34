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

/* What malloc's size classes hold (morecore/small_runs.c, docs/heap.md). */
struct heap_small_stats {
    uint32_t run_pages;       /* pages of size-class runs */
    uint32_t run_frames;      /* frames behind them (fewer: meshed pages share) */
    uint32_t meshes;          /* pages meshed into another's frame, ever */
    uint32_t mesh_passes;     /* mesh passes run, ever */
};
void heap_get_small_stats(struct heap_small_stats *stats);

#endif
