/*
 * struct paging_state: a domain's address space as the domain itself sees
 * it (include/aos/paging.h). Private to vspace/, morecore/ and spawn/.
 *
 *   buddy      which virtual ranges are reserved, each block tagged HEAP,
 *              STACK, GUARD or FIXED (vspace/buddy.c, docs/vspace.md)
 *   l2[i]      the shadow of L1 entry i: the L2 table's cap and, for each
 *              of its 256 pages, the frame cap the domain mapped there
 *   mappings   explicit mappings (paging_map_fixed/_frame), reachable from
 *              their FIXED blocks' owner word, so unmap finds them in O(log n)
 *
 * Lock: `lock` (recursive: a slab refill maps a frame through this very
 * code) guards everything here; the fault handler takes it too. It is the
 * innermost lock of the runtime except the slot allocator's and malloc's.
 */
#ifndef VSPACE_PAGING_TYPES_H
#define VSPACE_PAGING_TYPES_H

#include <aos/paging.h>
#include <aos/slab.h>
#include <aos/buddy.h>
#include <aos/threads.h>
#include <autarky/captypes.h>

/* A shadow entry that is mapped, but by an explicit mapping (its cap is
 * in the mapping record). */
#define PAGING_FRAME_FOREIGN ((capaddr_t)1)
/* A shadow entry with this bit maps a copy of another page's frame cap
 * (the bits below it): two pages share that frame (vspace/remap.c). */
#define PAGING_FRAME_ALIAS   ((capaddr_t)0x40000000u)

struct l2_ram;                              /* vspace/tables.c */

struct paging_shadow {
    capaddr_t table;                        /* the L2 table cap */
    uint32_t mapped;                        /* entries in use */
    struct l2_ram *ram;                     /* the table's RAM block: a table of our
                                               own, given back when empty (NULL:
                                               a child's) */
    uint8_t ram_index;                      /* its offset in the block, in tables */
    capaddr_t frame[VNODE_L2_ENTRIES];      /* 0: unmapped */
};

/* One capability mapped into one L2 table: a frame can only be mapped
 * once, so a mapping that crosses L2 tables maps a copy per table. */
struct paging_piece {
    capaddr_t cap;
    capaddr_t table;
    bool owned_copy;                        /* we made this copy: delete on unmap */
    struct paging_piece *next;
};

struct paging_mapping {
    lvaddr_t vaddr;
    size_t bytes;
    struct paging_piece *pieces;
};

/* Where a state gets RAM for its L2 tables (NULL: ram_alloc_aligned);
 * the spawner passes its own so a child's tables are accounted to it. */
typedef errval_t (*paging_ram_fn)(void *ctx, capaddr_t *ret, gensize_t bytes);

struct paging_stats {
    uint32_t faults;                        /* page faults resolved */
    uint32_t lazy_pages;                    /* pages mapped by the fault handler */
    uint32_t freed_pages;                   /* lazy pages given back */
    uint32_t eager_pages;                   /* pool pages of FIXED blocks (metadata, exception stacks) */
};

struct recursive_mutex {
    struct thread_mutex m;
    struct thread *owner;
    uint32_t depth;
};

struct paging_state {
    capaddr_t l1;                           /* VNode L1, in our cspace */
    struct buddy buddy;
    struct paging_shadow *l2[VNODE_L1_USER_ENTRIES];
    uint32_t l2_present[VNODE_L1_USER_ENTRIES / 32];   /* bit i: l2[i] != NULL */
    paging_ram_fn ram_fn;
    void *ram_ctx;
    capaddr_t l2_ram;                       /* with a ram_fn: RAM being carved into tables */
    uint32_t l2_ram_used;
    struct l2_ram *l2_rams;                 /* without: our tables' RAM blocks */
    uint32_t empty_tables;                  /* tables of our own with nothing mapped */
    struct recursive_mutex lock;
    struct paging_stats stats;
    bool verbose;                           /* print every fault it resolves */
    /* The block of the last fault, while buddy.changes == fault_changes:
     * most faults hit the block of the one before (vspace/fault.c). */
    struct buddy_node *fault_node;
    uint32_t fault_changes;
};

/* Set up `st` for the vspace whose L1 table is `l1` (in our cspace), with
 * [0, USER_NULL_GUARD_SIZE) reserved as GUARD and nothing else. */
errval_t paging_init_state(struct paging_state *st, capaddr_t l1);
/* Reserve [base, base+bytes) with `tag` (spawn layouts, start-up). */
errval_t paging_reserve(struct paging_state *st, lvaddr_t base, size_t bytes,
                        enum buddy_tag tag);
/* Forget a state whose ram_fn memory its owner has revoked (its tables
 * and mappings are gone with it): frees metadata and the slots we
 * allocated, deleting the copies we made of frames from elsewhere. */
void paging_state_forget(struct paging_state *st);

/* ---- used by vspace/fault.c, morecore/ and spawn/ (lock held) ---- */
/* Refill the metadata slabs that run low; call after an operation. */
void paging_refill_slabs(void);
void paging_lock(struct paging_state *st);
void paging_unlock(struct paging_state *st);
/* The shadow of L1 entry `index`, creating and mapping its table
 * (vspace/tables.c). */
errval_t paging_shadow(struct paging_state *st, uint32_t index,
                       struct paging_shadow **ret);
/* Entries of `sh` mapped (delta +1) or unmapped (-1): keeps the count of
 * empty tables of our own. */
static inline void paging_shadow_count(struct paging_state *st, struct paging_shadow *sh,
                                       int delta)
{
    if (sh->ram != NULL) {
        if (sh->mapped == 0 && delta > 0) {
            st->empty_tables--;
        } else if ((int)sh->mapped + delta == 0) {
            st->empty_tables++;
        }
    }
    sh->mapped += (uint32_t)delta;
}
/* Give back our empty tables when there are more than a few of them
 * (_trim_: all of them, and every RAM block left without a table). */
void paging_release_tables(struct paging_state *st);
void paging_trim_tables(struct paging_state *st);
/* The slab of shadows (vspace/paging.c), of table RAM records (tables.c),
 * of frame chunk records (frame_pool.c: of small and of big chunks). */
struct slab_allocator *paging_shadow_slab(void);
struct slab_allocator *paging_tables_slab(void);
size_t paging_tables_record_size(void);     /* tables.c: the slab's object size */
struct slab_allocator *paging_chunk_slab(bool big);
/* Give back the pages of metadata slabs whose objects are all free
 * (`trim`: all but each slab's reserve). */
void paging_reclaim_slabs(bool trim);
/* The first L1 index >= from with a shadow, or VNODE_L1_USER_ENTRIES: a
 * walk over the sections in use without looking at the 2,048 empty ones. */
uint32_t paging_next_shadow(const struct paging_state *st, uint32_t from);
/* Map one frame page of ours at `vaddr` (a page of a HEAP/STACK block). */
errval_t paging_map_page(struct paging_state *st, lvaddr_t vaddr, capaddr_t frame,
                         uint32_t flags);
/* Free the block at `base` if its tag is in the bit set `tags` (and with
 * `guard` the GUARD block below it), giving back its pool pages. */
errval_t paging_free_block(struct paging_state *st, lvaddr_t base, uint32_t tags,
                           bool guard);
/* Unmap and return every lazily mapped page in [base, base+bytes); frames
 * go back to the frame pool (a page sharing another's frame only drops
 * its mapping). */
void paging_unmap_lazy(struct paging_state *st, lvaddr_t base, size_t bytes, bool eager);
/* Page `va` (shadow `sh`) stops sharing another page's frame: its mapping
 * and cap copy go, the frame stays (lock held; vspace/fault.c). */
void paging_drop_alias(struct paging_state *st, struct paging_shadow *sh, lvaddr_t va);
/* Meshing (vspace/remap.c): pages src[0..n) (a page with its own frame,
 * and pages sharing it) come to map page `dst`'s frame, move() running in
 * between with no other thread; and the way back. */
bool paging_share_frame(lvaddr_t dst, const lvaddr_t *src, int n, void (*move)(void *arg),
                        void *arg);
void paging_unshare(lvaddr_t va);

#define L1_INDEX(va)   ((uint32_t)(va) >> 20)
#define L2_INDEX(va)   (((uint32_t)(va) >> 12) & 0xffu)

#endif
