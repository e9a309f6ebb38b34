/*
 * Capability slot allocation over the domain's own cspace (lib/slot_alloc.c).
 *
 * Slots come from L2 CNodes the allocator owns; when free slots run low it
 * retypes a new L2 CNode (from RAM it gets via ram_alloc) into a free root
 * slot. It keeps a reserve so that this refill, which itself needs slots for
 * the RAM cap (and, in init, the memory manager needs slots to split RAM),
 * never recurses into an empty allocator: during a refill, slot_alloc serves
 * from the reserve and never starts a second refill. See docs/memory.md.
 *
 * One allocator per domain (global state); not thread-safe.
 */
#ifndef AOS_SLOT_ALLOC_H
#define AOS_SLOT_ALLOC_H

#include <autarky/types.h>
#include <autarky/errors.h>
#include <autarky/captypes.h>

/* A refill starts when fewer than this many slots are free. One refill in
 * init costs at most ~45 slots: mm splitting a RAM cap down to 16 KiB (two
 * slots per level, < 20 levels, plus the returned copy) and a nested mm
 * slab refill (a 4 KiB frame and its mapping). */
#define SLOT_ALLOC_RESERVE  64
/* Largest root CNode the allocator manages (one bit per root slot). The
 * frame pool takes one root slot per MiB of pages (a CNode of frame caps,
 * vspace/fault.c), so 1024 covers all of RAM. */
#define SLOT_ALLOC_MAX_ROOT_SLOTS 1024

/* What the allocator calls outside itself; NULL means the real calls
 * (ram_alloc_aligned/ram_free of <aos/ram_alloc.h>, cap_retype of <aos/caps.h>). */
struct slot_alloc_ops {
    errval_t (*ram_alloc_aligned)(capaddr_t *ret, gensize_t size, gensize_t alignment,
                                  gensize_t *ret_size);
    errval_t (*ram_free)(capaddr_t ram);
    errval_t (*retype)(capaddr_t ram, enum objtype type, gensize_t offset,
                       gensize_t objsize, uint32_t count, capaddr_t dest_cnode,
                       cslot_t dest_slot);
    errval_t (*delete_cap)(capaddr_t cap);      /* NULL: CNodes are never given back */
};

/* Initialise from the well-known empty CNode (ROOTCN_SLOT_SLOT_ALLOC0), with
 * the real ops, root CAP_ROOTCN, root slots ROOTCN_FREE_SLOTS..255 for growth. */
errval_t slot_alloc_init(void);
/* General form (host tests, other layouts): `rootcn` names the root L1 CNode,
 * the empty L2 CNode in root slot `first_cnode` is the first source of slots,
 * root slots [first_free_root, root_slots) may receive new L2 CNodes.
 * Resets all state. */
errval_t slot_alloc_init_ops(const struct slot_alloc_ops *ops, capaddr_t rootcn,
                             cslot_t first_cnode, cslot_t first_free_root,
                             cslot_t root_slots);
errval_t slot_alloc(capaddr_t *ret);
/* The slot must be empty (not checked: that would cost an invocation).
 * Errors: LIB_ERR_SLOT_FREE_UNKNOWN, LIB_ERR_SLOT_DOUBLE_FREE. */
errval_t slot_free(capaddr_t slot);
/* Free slots currently available without a refill (tests, reports). */
size_t slot_alloc_free_count(void);
/* Give back every L2 CNode the allocator grew whose slots are all free,
 * while at least twice SLOT_ALLOC_RESERVE slots stay free (malloc_trim):
 * the CNode is deleted and its RAM freed. Returns how many. Slots are
 * always handed out from the oldest CNode that has one, so the newer ones
 * empty out. */
unsigned slot_alloc_trim(void);
/* Grow by one L2 CNode now (normally automatic below SLOT_ALLOC_RESERVE). */
errval_t slot_alloc_refill(void);
/* Reserve a root CNode slot for someone else's L2 CNode, so that it does not
 * collide with the allocator's own growth (LIB_ERR_SLOT_ROOT_FULL if none). */
errval_t slot_alloc_root_slot(cslot_t *ret);
/* Give back a root slot from slot_alloc_root_slot (now empty). */
errval_t slot_free_root_slot(cslot_t slot);

#endif
