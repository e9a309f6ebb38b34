/*
 * The domain's view of its own address space (vspace/), which the domain
 * manages itself: the kernel never handles a user page fault.
 *
 * All state is in struct paging_state; the domain's own instance is
 * `current` (vspace/paging.c), reached with get_current_paging_state().
 * Free virtual space is a buddy allocator whose blocks carry tags
 * (docs/vspace.md):
 *   HEAP    reserved by paging_alloc / morecore; pages appear on first touch
 *   STACK   a thread's stack; pages appear on first touch
 *   GUARD   never mapped: the NULL guard, one below each stack
 *   FIXED   explicit mappings (paging_map_*), ELF segments, modules
 * The page-fault handler (vspace/fault.c) runs on every thread's own
 * exception stack: a touch of a HEAP or STACK page maps a fresh zeroed
 * frame; anything else ends the domain with a one-line report.
 */
#ifndef AOS_PAGING_H
#define AOS_PAGING_H

#include <autarky/types.h>
#include <autarky/errors.h>
#include <autarky/captypes.h>
#include <autarky/dispatcher.h>
#include <arch/registers.h>

#define VREGION_FLAGS_READ_EXECUTE (VREGION_FLAGS_READ | VREGION_FLAGS_EXECUTE)

struct paging_state;

struct paging_state *get_current_paging_state(void);
/* Set up `current` for this domain (called by the runtime at start-up). */
errval_t paging_init(void);

struct slab_allocator;
/* A slab refill from this address space (vspace/slab_frames.c): a fresh
 * frame mapped read-write, given to slab_grow. The start-up layer installs
 * it as the slab's default (slab_set_default_refill). */
errval_t paging_slab_refill(struct slab_allocator *slabs, size_t bytes);

/* Reserve `bytes` of virtual space aligned to max(size, alignment) as a
 * HEAP block: its pages are mapped when first touched. */
errval_t paging_alloc(struct paging_state *st, void **buf, size_t bytes,
                      size_t alignment);
/* Give back a block from paging_alloc, with the RAM of its touched pages. */
errval_t paging_free(struct paging_state *st, void *buf);
/* Map `bytes` of `frame` at exactly `vaddr` (page aligned). */
errval_t paging_map_fixed(struct paging_state *st, lvaddr_t vaddr,
                          capaddr_t frame, size_t bytes, uint32_t flags);
/* The same from byte `offset` (page aligned) of the frame on. */
errval_t paging_map_fixed_offset(struct paging_state *st, lvaddr_t vaddr,
                                 capaddr_t frame, size_t offset, size_t bytes,
                                 uint32_t flags);
/* Reserve space and map `bytes` of `frame` there; *buf = the address. */
errval_t paging_map_frame(struct paging_state *st, void **buf, size_t bytes,
                          capaddr_t frame, uint32_t flags);
/* Remove the mapping at `vaddr` made by one of the two calls above; the
 * frame cap stays with the caller. */
errval_t paging_unmap(struct paging_state *st, const void *vaddr);

/* A thread stack: a STACK block of `bytes` (faults in lazily) with a GUARD
 * page block directly below it. *base..*top is the usable stack. */
errval_t paging_alloc_stack(struct paging_state *st, size_t bytes, void **base,
                            void **top);
errval_t paging_free_stack(struct paging_state *st, void *base);
/* Eagerly mapped, zeroed memory (exception stacks: they must never fault). */
errval_t paging_alloc_eager(struct paging_state *st, size_t bytes, void **buf);
errval_t paging_free_eager(struct paging_state *st, void *buf);

/* Give back every page table, metadata page and pool chunk the domain can
 * spare now (malloc_trim calls it after the heap gave back its pages);
 * returns the bytes of pool chunks given back to the memory server. */
size_t paging_trim(struct paging_state *st);

/* Print one line per page fault resolved (the "show it" switch). */
void paging_set_verbose(struct paging_state *st, bool verbose);
struct paging_info {
    uint32_t faults;          /* page faults resolved */
    uint32_t lazy_pages;      /* pages mapped on first touch, now mapped */
    uint32_t lazy_frames;     /* frames behind them (the heap's RAM; a frame
                                 shared by two pages counts once) */
    uint32_t eager_pages;     /* pool pages of the runtime's own metadata and
                                 exception stacks, now mapped */
    size_t ram_pool_bytes;    /* RAM held for future faults */
    size_t pool_held_bytes;   /* RAM of the frame pools' chunks, used or not */
    size_t reserved[5];       /* bytes per tag: none, HEAP, STACK, GUARD, FIXED */
    size_t metadata_bytes;    /* buddy nodes */
};
void paging_get_info(struct paging_state *st, struct paging_info *info);

/* The fault handler of every thread (installed by the runtime). */
bool paging_fault_handler(enum fault_type type, lvaddr_t addr, uint32_t access,
                          struct arch_registers *regs);

#endif
