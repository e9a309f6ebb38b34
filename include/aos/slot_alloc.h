/*
 * Capability slot allocation over the domain's own cspace (lib/slot_alloc.c).
 *
 * Slots come from L2 CNodes the allocator owns; when free slots run low it
 * retypes a new L2 CNode (from RAM it gets via ram_alloc) into a free root
 * slot. It keeps a reserve so that this refill, which itself needs slots for
 * the RAM cap, never recurses into an empty allocator.
 */
#ifndef AOS_SLOT_ALLOC_H
#define AOS_SLOT_ALLOC_H

#include <autarky/types.h>
#include <autarky/errors.h>

/* Initialise from the well-known empty CNode (ROOTCN_SLOT_SLOT_ALLOC0). */
errval_t slot_alloc_init(void);
errval_t slot_alloc(capaddr_t *ret);
errval_t slot_free(capaddr_t slot);        /* the slot must be empty */
/* Free slots currently available without a refill (tests, reports). */
size_t slot_alloc_free_count(void);

#endif
