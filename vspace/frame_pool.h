/*
 * The frame pools behind self-paging (vspace/frame_pool.c): zeroed 4 KiB
 * frames, made in chunks from RAM of the memory server, handed out one at
 * a time and given back to the server a chunk at a time. Private to
 * vspace/ (and morecore/, through paging calls).
 *
 *   FRAME_POOL_LAZY   pages of HEAP and STACK blocks (the fault handler)
 *   FRAME_POOL_META   the runtime's eagerly mapped memory (slab refills,
 *                     exception stacks), so metadata never pins heap chunks
 *
 * Every call is made with the paging lock held.
 */
#ifndef VSPACE_FRAME_POOL_H
#define VSPACE_FRAME_POOL_H

#include <autarky/types.h>
#include <autarky/errors.h>
#include <aos/slab.h>

enum frame_pool_kind {
    FRAME_POOL_LAZY,
    FRAME_POOL_META,
};

/* A zeroed frame from the pool (*ret: its cap, in the chunk's CNode), to
 * be mapped at `va` (remembered, so compaction can move it). */
errval_t frame_pool_get(enum frame_pool_kind kind, lvaddr_t va, capaddr_t *ret);
/* Frame `frame` (unmapped, and zeroed by the caller) is free again; false
 * if no pool knows it. Above the pool's high-water mark, empty chunks go
 * back to the memory server (down to half the mark: hysteresis). */
bool frame_pool_put(capaddr_t frame);
/* A pinned frame is never moved by compaction (a frame that two pages
 * share: meshing). */
#define FRAME_VA_PINNED 1u
void frame_pool_pin(capaddr_t frame, bool pinned);
/* Give back every empty chunk the pool can spare (malloc_trim), after
 * moving the pages that pin sparse chunks elsewhere; keeping
 * only what its next faults need without asking; later chunks start small
 * again. Returns the bytes given back. */
size_t frame_pool_trim(void);

struct frame_pool_info {
    size_t used[2], free[2];            /* frames, by enum frame_pool_kind */
    size_t chunks[2];
    size_t held_bytes;                  /* RAM of every chunk and its CNode */
};
void frame_pool_get_info(struct frame_pool_info *info);

/* May this thread make an RPC to init (for RAM, or to give some back)?
 * Not while it is inside one: it holds the channel. */
bool paging_may_rpc(void);

/* Move the page at `va` from `old_frame` to `new_frame` (vspace/remap.c);
 * false if it could not (the page is the caller's own stack, or not
 * mapped with old_frame), and then nothing changed. */
bool paging_relocate_frame(lvaddr_t va, capaddr_t old_frame, capaddr_t new_frame);
/* A page of the metadata arena for the caller's own mappings (eager.c). */
lvaddr_t paging_arena_page(void);
/* The block the calling thread's stack is in (relocation leaves it alone). */
void paging_own_stack(lvaddr_t *base, lvaddr_t *top);

/* The slab refill of the paging metadata (vspace/fault.c), which the
 * pool's chunk records use too. */
slab_refill_fn paging_slab_refill_fn(void);

#endif
