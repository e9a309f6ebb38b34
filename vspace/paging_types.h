/*
 * struct paging_state: the bookkeeping behind include/aos/paging.h.
 * Private to vspace/ (and spawn/, which builds a child's state).
 *
 * Until the self-paging milestone this is a region allocator: free
 * virtual space is handed out upwards from `next` and never reused;
 * issue 4 replaces it with the buddy allocator of the design card.
 */
#ifndef VSPACE_PAGING_TYPES_H
#define VSPACE_PAGING_TYPES_H

#include <aos/paging.h>
#include <aos/slab.h>
#include <autarky/captypes.h>

/* The part of the user range paging_alloc manages. Below: image,
 * dispatcher, arguments (set up by the spawner); above: the boot stack. */
#define VSPACE_ALLOC_BASE   0x10000000u
#define VSPACE_ALLOC_LIMIT  0x7fe00000u

/* One capability mapped into one L2 table: a frame can only be mapped
 * once, so a mapping that crosses L2 tables maps a copy per table. */
struct paging_piece {
    capaddr_t cap;                 /* the mapped frame cap (or a copy) */
    capaddr_t table;               /* the L2 table it is mapped into */
    bool owned_copy;               /* we made this copy: delete on unmap */
    struct paging_piece *next;
};

struct paging_mapping {
    lvaddr_t vaddr;
    size_t bytes;
    struct paging_piece *pieces;
    struct paging_mapping *next;
};

/* Where a state gets RAM for its L2 tables (NULL: ram_alloc_aligned);
 * the spawner passes its own so that a child's tables are accounted to
 * the child. */
typedef errval_t (*paging_ram_fn)(void *ctx, capaddr_t *ret, gensize_t bytes);

struct paging_state {
    capaddr_t l1;                               /* VNode L1, in our cspace */
    paging_ram_fn ram_fn;
    void *ram_ctx;
    lvaddr_t next, limit;                       /* region allocator */
    capaddr_t l2[VNODE_L1_USER_ENTRIES];        /* L2 table per L1 entry, 0 = none */
    struct paging_mapping *mappings;
    /* Metadata lives in this domain's memory: every state it keeps (its
     * own and those of children it builds) shares two slabs. */
    struct slab_allocator *mapping_slab;        /* struct paging_mapping */
    struct slab_allocator *piece_slab;          /* struct paging_piece */
    capaddr_t l2_ram;                           /* RAM being carved into L2 tables */
    uint32_t l2_ram_used;                       /* tables taken from l2_ram */
};

/* Set up `st` for a vspace whose L1 table is `l1` (in our cspace),
 * handing out [base, limit). */
errval_t paging_init_state(struct paging_state *st, capaddr_t l1,
                           lvaddr_t base, lvaddr_t limit);
/* Forget everything `st` records without touching any capability (they
 * were revoked by whoever owns the memory): frees metadata, and hands
 * frees every slot it had allocated. */
void paging_state_forget(struct paging_state *st);
/* Tell `st` that L1 entry `index` already has the L2 table `table`. */
void paging_adopt_l2(struct paging_state *st, uint32_t index, capaddr_t table);

#endif
