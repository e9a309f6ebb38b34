/*
 * The domain's view of its own address space (vspace/paging.c).
 *
 * All state is in struct paging_state; the domain's own instance is
 * `current` (vspace/paging.c), reached with get_current_paging_state().
 * The self-paging milestone manages the free virtual space with a buddy
 * allocator whose blocks carry tags (HEAP, STACK, GUARD, FIXED); until then
 * a simple region allocator answers paging_alloc. The interface below stays.
 */
#ifndef AOS_PAGING_H
#define AOS_PAGING_H

#include <autarky/types.h>
#include <autarky/errors.h>
#include <autarky/captypes.h>

#define VREGION_FLAGS_READ_EXECUTE (VREGION_FLAGS_READ | VREGION_FLAGS_EXECUTE)

struct paging_state;

struct paging_state *get_current_paging_state(void);
/* Set up `current` for this domain (called by the runtime at start-up). */
errval_t paging_init(void);

/* Reserve `bytes` of free virtual space aligned to `alignment`. */
errval_t paging_alloc(struct paging_state *st, void **buf, size_t bytes,
                      size_t alignment);
/* Map `bytes` of `frame` at exactly `vaddr` (page aligned). */
errval_t paging_map_fixed(struct paging_state *st, lvaddr_t vaddr,
                          capaddr_t frame, size_t bytes, uint32_t flags);
/* Reserve space and map `bytes` of `frame` there; *buf = the address. */
errval_t paging_map_frame(struct paging_state *st, void **buf, size_t bytes,
                          capaddr_t frame, uint32_t flags);
/* Remove the mapping at `vaddr` made by one of the calls above. */
errval_t paging_unmap(struct paging_state *st, const void *vaddr);

#endif
