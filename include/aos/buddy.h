/*
 * Buddy allocator of a domain's virtual address space (vspace/buddy.c).
 *
 * Pure bookkeeping: no capability calls, no malloc. A `struct buddy`
 * manages the range [base, base + 2^max_order) of user virtual space
 * (below USER_TOP = 2 GiB) in naturally aligned power-of-two blocks from one
 * page (order BUDDY_MIN_ORDER = 12) up to the whole range. Every block is a
 * `struct buddy_node` taken from a slab the caller provides; the tree of
 * nodes is the address space's representation (docs/vspace.md):
 *
 *  - the root covers the whole range; a SPLIT node has exactly two children,
 *    its lower and upper halves; FREE and ALLOCATED nodes are leaves;
 *  - the leaves tile the range exactly (no gaps, no overlaps);
 *  - every FREE node is on free_list[order] (doubly linked, O(1) insert and
 *    remove) and nothing else is; bit `order` of `nonempty` is set exactly
 *    when free_list[order] is not empty;
 *  - free buddies are always merged: no SPLIT node has two FREE children;
 *  - an ALLOCATED node has a tag (HEAP, STACK, GUARD, FIXED) and an owner
 *    word for the paging layer (e.g. its per-block mapping records).
 *
 * Costs (L = max_order - BUDDY_MIN_ORDER <= 19 levels): alloc, alloc_grow,
 * free, lookup, set/get_owner O(L); alloc_at and free_range O(L) per block
 * of the cover (at most 2L blocks). Nothing ever scans the blocks.
 *
 * Errors change nothing: every operation checks its arguments and takes all
 * the nodes it will need from the slab before it touches the tree (and gives
 * them back if the slab runs dry), so a failed call leaves the tree, the
 * free lists, the statistics and the slab exactly as they were.
 *
 * Refill recursion: buddy calls never refill the slab (slab_alloc does not
 * call out). The caller runs slab_refill_check after an operation; that
 * refill maps a frame, which reserves one page here (<= BUDDY_NODES_PER_ALLOC
 * nodes). Keeping at least BUDDY_NODES_RESERVE nodes free before each
 * operation (set the slab's refill_threshold to it) guarantees both the
 * operation and the nested refill find their nodes. Not thread-safe: the
 * paging layer holds its lock around every call.
 */
#ifndef AOS_BUDDY_H
#define AOS_BUDDY_H

#include <autarky/types.h>
#include <autarky/errors.h>
#include <aos/slab.h>
#include <aos/vmmap.h>

#define BUDDY_MIN_ORDER   BASE_PAGE_BITS     /* 4 KiB: the smallest block */
#define BUDDY_MAX_ORDER   31                 /* 2 GiB: the whole user range */
#define BUDDY_LEVELS      (BUDDY_MAX_ORDER - BUDDY_MIN_ORDER)

/* Nodes one operation may take from the slab (worst case, max_order 31):
 * buddy_alloc / buddy_alloc_grow split one free block down to the wanted
 * order, two new nodes per level; buddy_alloc_at splits along both edges of
 * the range, at most two blocks per level. buddy_free and buddy_free_range
 * take none (merging gives nodes back). */
#define BUDDY_NODES_PER_ALLOC (2 * BUDDY_LEVELS)            /* 38 */
#define BUDDY_NODES_PER_OP    (4 * BUDDY_LEVELS)            /* 76 */
/* Free nodes to keep before each operation: one operation plus the one-page
 * reservation of the slab refill that may follow it. */
#define BUDDY_NODES_RESERVE   (BUDDY_NODES_PER_OP + BUDDY_NODES_PER_ALLOC)

enum buddy_tag {
    BUDDY_TAG_NONE = 0,     /* free and split blocks */
    BUDDY_TAG_HEAP,         /* lazily faulted-in heap (morecore, paging_alloc) */
    BUDDY_TAG_STACK,        /* a thread's stack, faults in lazily */
    BUDDY_TAG_GUARD,        /* never mapped: NULL guard, below each stack */
    BUDDY_TAG_FIXED,        /* explicit mapping, ELF segment, module */
    BUDDY_TAG_COUNT
};

enum buddy_state {
    BUDDY_FREE = 0,
    BUDDY_ALLOCATED,
    BUDDY_SPLIT,
};

/* One block [base, base + 2^order). 32 bytes on ARMv7. */
struct buddy_node {
    lvaddr_t base;
    uint8_t order;              /* BUDDY_MIN_ORDER .. max_order */
    uint8_t state;              /* enum buddy_state */
    uint8_t tag;                /* enum buddy_tag; NONE unless ALLOCATED */
    uint8_t pad;
    struct buddy_node *parent;  /* NULL for the root */
    struct buddy_node *child[2];/* SPLIT: lower and upper half; else NULL */
    union {
        struct buddy_node *prev;    /* FREE: free_list[order] links (with next) */
        uint32_t pub_slot;          /* ALLOCATED: its entry in the published
                                     * list (vspace/buddy_publish.c) */
    };
    struct buddy_node *next;
    void *owner;                /* ALLOCATED: the caller's word; else NULL */
};

struct buddy {
    lvaddr_t base;
    uint8_t max_order;
    struct buddy_node *root;
    struct slab_allocator *slab;            /* nodes come from here */
    struct buddy_node *free_list[BUDDY_MAX_ORDER + 1];
    uint32_t nonempty;                      /* bit k: free_list[k] != NULL */
    /* statistics, kept up to date by every operation */
    size_t nodes;                           /* live nodes (all states) */
    size_t free_bytes;
    size_t tag_bytes[BUDDY_TAG_COUNT];      /* allocated bytes per tag */
    size_t tag_blocks[BUDDY_TAG_COUNT];     /* allocated blocks per tag */
    struct vmmap_page *pub;                 /* NULL, or where the ALLOCATED
                                             * blocks are listed (aos/vmmap.h) */
    uint32_t changes;                       /* +1 whenever a leaf becomes or stops
                                             * being ALLOCATED: a node pointer
                                             * kept across calls is valid while
                                             * this is unchanged */
};

/* What lookup tells about an allocated block. */
struct buddy_block {
    lvaddr_t base;
    size_t size;                /* 2^order */
    uint8_t order;
    enum buddy_tag tag;
    void *owner;
};

struct buddy_stats {
    size_t total_bytes;         /* 2^max_order */
    size_t free_bytes;
    size_t allocated_bytes;     /* sum of tag_bytes */
    size_t tag_bytes[BUDDY_TAG_COUNT];
    size_t tag_blocks[BUDDY_TAG_COUNT];
    size_t free_blocks;
    size_t nodes;               /* live nodes */
    size_t metadata_bytes;      /* nodes * the slab's object size */
};

/*
 * Manage [base, base + 2^max_order): one FREE root node from `slab`.
 * base must be aligned to 2^max_order, BUDDY_MIN_ORDER <= max_order <=
 * BUDDY_MAX_ORDER, the range must end at or below 2 GiB (USER_TOP), and the
 * slab's objects must hold a struct buddy_node (LIB_ERR_BUDDY_INIT_ARGS);
 * LIB_ERR_BUDDY_NO_NODE if the slab is empty. The caller keeps page 0 and
 * the NULL guard out of reach by choosing base or by reserving them with
 * buddy_alloc_at(..., BUDDY_TAG_GUARD).
 */
errval_t buddy_init(struct buddy *b, lvaddr_t base, uint8_t max_order,
                    struct slab_allocator *slab);

/*
 * Give every node back to the slab, whatever its state; `b` is then empty
 * (use buddy_init again). For tearing down a child's address space.
 */
void buddy_destroy(struct buddy *b);

/*
 * Reserve one block for `bytes` with `tag` (not NONE): the block is
 * 2^order with order = max(ceil(log2 bytes), log2 alignment, 12), so the
 * result is naturally aligned to its own size, hence to max(size,
 * alignment); *ret_base and *ret_size (may be NULL) say what was reserved.
 * The smallest free block of at least that order is split down (upper
 * halves go to the free lists). alignment 0 means a page.
 * Errors: LIB_ERR_BUDDY_BAD_SIZE (0 or more than the range),
 * LIB_ERR_BUDDY_BAD_ALIGNMENT (not a power of two or more than the range),
 * LIB_ERR_BUDDY_BAD_TAG, LIB_ERR_BUDDY_NO_SPACE (no free block of that
 * order: no aligned 2^order range is entirely free), LIB_ERR_BUDDY_NO_NODE.
 */
errval_t buddy_alloc(struct buddy *b, size_t bytes, size_t alignment,
                     enum buddy_tag tag, lvaddr_t *ret_base, size_t *ret_size);

/*
 * Reserve exactly [base, base + bytes rounded up to pages) with `tag` (for
 * FIXED mappings and spawn layouts). base must be page aligned and the range
 * inside the managed range; it must be entirely free. The range is covered
 * by the minimal set of naturally aligned blocks (the free blocks around it
 * are split along its two edges, at most two blocks per order); each is an
 * ALLOCATED block with `tag` and owner NULL. *ret_blocks (may be NULL) =
 * how many. Free them with buddy_free_range(base, bytes), or one by one.
 * Errors: LIB_ERR_BUDDY_BAD_ALIGNMENT (base not page aligned),
 * LIB_ERR_BUDDY_BAD_SIZE (0), LIB_ERR_BUDDY_OUT_OF_RANGE, LIB_ERR_BUDDY_BAD_TAG,
 * LIB_ERR_BUDDY_RANGE_NOT_FREE (some page of it is allocated),
 * LIB_ERR_BUDDY_NO_NODE.
 */
errval_t buddy_alloc_at(struct buddy *b, lvaddr_t base, size_t bytes,
                        enum buddy_tag tag, size_t *ret_blocks);

/*
 * Grow a contiguous region (morecore's heap): `base` is the start of an
 * allocated block of order k; reserve the block [base + 2^k, base + 2^(k+1))
 * directly above it, of the same order and with the same tag, if that range
 * is entirely free (splitting the free block that holds it). When the block
 * is a lower half this is its buddy. *ret_base = base + 2^k.
 * Errors: LIB_ERR_BUDDY_FOREIGN (base is not the start of an allocated
 * block), LIB_ERR_BUDDY_OUT_OF_RANGE (nothing above inside the range),
 * LIB_ERR_BUDDY_RANGE_NOT_FREE, LIB_ERR_BUDDY_NO_NODE.
 */
errval_t buddy_alloc_grow(struct buddy *b, lvaddr_t base, lvaddr_t *ret_base);

/*
 * Free the allocated block starting at `base` and merge it with its buddy
 * while the buddy is free (recursively up the tree). The block's owner word
 * is dropped: the caller must have released what it points to.
 * Errors: LIB_ERR_BUDDY_DOUBLE_FREE (base is a page-aligned address in free
 * space: a second free, or a free of space never handed out - the buddy
 * cannot tell them apart), LIB_ERR_BUDDY_FOREIGN (outside the range, not page
 * aligned, or inside an allocated block but not its start).
 */
errval_t buddy_free(struct buddy *b, lvaddr_t base);

/*
 * Free every block of [base, base + bytes rounded up to pages): the range
 * must be tiled exactly by allocated blocks (as buddy_alloc_at made it);
 * checked completely before anything is freed. *ret_blocks (may be NULL) =
 * how many blocks were freed. Errors: those of buddy_free for the first
 * offending page (LIB_ERR_BUDDY_FOREIGN also when a block sticks out of the
 * range), LIB_ERR_BUDDY_BAD_SIZE (0).
 */
errval_t buddy_free_range(struct buddy *b, lvaddr_t base, size_t bytes,
                          size_t *ret_blocks);

/*
 * The allocated block containing `addr` (any byte of it), found by going
 * down from the root one address bit per level: O(L).
 * Errors: LIB_ERR_BUDDY_OUT_OF_RANGE, LIB_ERR_BUDDY_NOT_ALLOCATED (addr lies
 * in a free block). *ret untouched on error.
 */
errval_t buddy_lookup(const struct buddy *b, lvaddr_t addr,
                      struct buddy_block *ret);

/* Same walk, returning the node itself (NULL if not in an allocated
 * block): for the paging layer's fault path, which wants the owner word by
 * reference. The node stays valid until its block is freed. */
struct buddy_node *buddy_lookup_node(const struct buddy *b, lvaddr_t addr);

/* Owner word of the allocated block starting exactly at `base`.
 * Errors: LIB_ERR_BUDDY_NOT_ALLOCATED (base lies in free space),
 * LIB_ERR_BUDDY_FOREIGN (outside the range, or not the start of the
 * allocated block holding it); nothing changed. */
errval_t buddy_set_owner(struct buddy *b, lvaddr_t base, void *owner);
errval_t buddy_get_owner(const struct buddy *b, lvaddr_t base, void **owner);

/* Snapshot of the counters (O(1) apart from the tag loop). */
void buddy_get_stats(const struct buddy *b, struct buddy_stats *st);

/*
 * From now on keep `page` listing every ALLOCATED block (aos/vmmap.h):
 * lists the blocks allocated so far (one walk of the tree), then every
 * take and release updates the list in O(1). LIB_ERR_BUDDY_INIT_ARGS for
 * a NULL or uninitialised buddy or page, or a buddy already publishing.
 */
errval_t buddy_publish(struct buddy *b, struct vmmap_page *page);

/* Name of a tag ("HEAP", ...), for fault reports. */
const char *buddy_tag_name(enum buddy_tag tag);

#endif
