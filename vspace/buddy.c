/*
 * Buddy allocator of a domain's virtual address space (include/aos/buddy.h,
 * docs/vspace.md).
 *
 * The tree of struct buddy_node is the whole representation: SPLIT nodes
 * have two children (lower, upper half), FREE and ALLOCATED nodes are the
 * leaves and tile the range. Finding the leaf that holds an address is one
 * step per level: at a SPLIT node of order k, bit k-1 of the address picks
 * the half (children are naturally aligned, so the absolute address works).
 *
 * Every mutating operation runs in two phases so that an error changes
 * nothing: (1) check the arguments and walk the tree read-only, counting
 * the splits it will need; take 2 nodes per split from the slab (all
 * returned if the slab runs dry); (2) apply, drawing nodes only from what
 * was taken. Nothing here calls out of this file except slab_alloc and
 * slab_free, which never refill (docs/memory.md).
 */
#include <aos/buddy.h>
#include <autarky/layout.h>
#include "buddy_publish.h"
#include <string.h>

#define BLOCK_SIZE(order) ((size_t)1 << (order))
/* Explicit walk stack for alloc_at: at most one pending sibling per level
 * on each of the range's two edges, plus slack. */
#define WALK_DEPTH (2 * BUDDY_LEVELS + 4)

/* Nodes taken for one operation before it touches the tree. */
struct node_pool {
    struct buddy_node *n[BUDDY_NODES_PER_OP];
    size_t count;
};

/* Take `want` nodes from the slab, or none at all (LIB_ERR_BUDDY_NO_NODE). */
static errval_t pool_take(struct buddy *b, struct node_pool *p, size_t want)
{
    p->count = 0;
    if (want > BUDDY_NODES_PER_OP) {
        return LIB_ERR_BUDDY_NO_NODE;      /* cannot happen: bounded walks */
    }
    while (p->count < want) {
        struct buddy_node *n = slab_alloc(b->slab);
        if (n == NULL) {
            while (p->count > 0) {
                slab_free(b->slab, p->n[--p->count]);
            }
            return LIB_ERR_BUDDY_NO_NODE;
        }
        p->n[p->count++] = n;
    }
    return SYS_ERR_OK;
}

/* Hand back whatever the operation did not use (nothing if counted right). */
static void pool_return(struct buddy *b, struct node_pool *p)
{
    while (p->count > 0) {
        slab_free(b->slab, p->n[--p->count]);
    }
}

static struct buddy_node *pool_get(struct node_pool *p)
{
    return p->count > 0 ? p->n[--p->count] : NULL;
}

/* ---- free lists: doubly linked per order, O(1), bitmap of non-empty ---- */

static void list_push(struct buddy *b, struct buddy_node *n)
{
    struct buddy_node **head = &b->free_list[n->order];
    n->prev = NULL;
    n->next = *head;
    if (*head != NULL) {
        (*head)->prev = n;
    }
    *head = n;
    b->nonempty |= 1u << n->order;
}

static void list_remove(struct buddy *b, struct buddy_node *n)
{
    if (n->prev != NULL) {
        n->prev->next = n->next;
    } else {
        b->free_list[n->order] = n->next;
    }
    if (n->next != NULL) {
        n->next->prev = n->prev;
    }
    n->prev = n->next = NULL;
    if (b->free_list[n->order] == NULL) {
        b->nonempty &= ~(1u << n->order);
    }
}

static void node_init(struct buddy_node *n, lvaddr_t base, uint8_t order,
                      struct buddy_node *parent)
{
    n->base = base;
    n->order = order;
    n->state = BUDDY_FREE;
    n->tag = BUDDY_TAG_NONE;
    n->pad = 0;
    n->parent = parent;
    n->child[0] = n->child[1] = NULL;
    n->prev = n->next = NULL;
    n->owner = NULL;
}

/* FREE node -> SPLIT with two FREE halves, both on their free list. */
static void split(struct buddy *b, struct buddy_node *n, struct node_pool *p)
{
    struct buddy_node *lo = pool_get(p), *hi = pool_get(p);
    uint8_t o = n->order - 1;

    list_remove(b, n);
    node_init(lo, n->base, o, n);
    node_init(hi, n->base + (lvaddr_t)BLOCK_SIZE(o), o, n);
    n->state = BUDDY_SPLIT;
    n->child[0] = lo;
    n->child[1] = hi;
    list_push(b, hi);
    list_push(b, lo);
    b->nodes += 2;
}

/* FREE leaf (on its list) -> ALLOCATED with `tag`. */
static void take_block(struct buddy *b, struct buddy_node *n, enum buddy_tag tag)
{
    list_remove(b, n);
    n->state = BUDDY_ALLOCATED;
    n->tag = (uint8_t)tag;
    n->owner = NULL;
    b->free_bytes -= BLOCK_SIZE(n->order);
    b->tag_bytes[tag] += BLOCK_SIZE(n->order);
    b->tag_blocks[tag]++;
    b->changes++;
    buddy_pub_add(b, n);
}

static bool tag_valid(enum buddy_tag tag)
{
    return tag > BUDDY_TAG_NONE && tag < BUDDY_TAG_COUNT;
}

static uint64_t range_end(const struct buddy *b)
{
    return (uint64_t)b->base + BLOCK_SIZE(b->max_order);
}

static bool in_range(const struct buddy *b, lvaddr_t addr)
{
    return b->root != NULL && addr >= b->base && (uint64_t)addr < range_end(b);
}

/* The leaf (FREE or ALLOCATED) holding addr, which must be in range. */
static struct buddy_node *leaf_of(const struct buddy *b, lvaddr_t addr)
{
    struct buddy_node *n = b->root;
    while (n->state == BUDDY_SPLIT) {
        n = n->child[(addr >> (n->order - 1)) & 1u];
    }
    return n;
}

/* ---- init / destroy ------------------------------------------------------ */

errval_t buddy_init(struct buddy *b, lvaddr_t base, uint8_t max_order,
                    struct slab_allocator *slab)
{
    if (b == NULL || slab == NULL || max_order < BUDDY_MIN_ORDER ||
        max_order > BUDDY_MAX_ORDER ||
        (base & (BLOCK_SIZE(max_order) - 1)) != 0 ||
        (uint64_t)base + BLOCK_SIZE(max_order) > USER_TOP ||
        slab->blocksize < sizeof(struct buddy_node)) {
        return LIB_ERR_BUDDY_INIT_ARGS;
    }
    struct buddy_node *root = slab_alloc(slab);
    if (root == NULL) {
        return LIB_ERR_BUDDY_NO_NODE;
    }
    memset(b, 0, sizeof(*b));
    b->base = base;
    b->max_order = max_order;
    b->slab = slab;
    node_init(root, base, max_order, NULL);
    b->root = root;
    b->nodes = 1;
    b->free_bytes = BLOCK_SIZE(max_order);
    list_push(b, root);
    return SYS_ERR_OK;
}

/* Post-order without a stack: go down to a childless node, free it, clear
 * its parent's pointer, continue from the parent. */
void buddy_destroy(struct buddy *b)
{
    if (b == NULL || b->root == NULL) {
        return;
    }
    struct buddy_node *n = b->root;
    while (n != NULL) {
        if (n->child[0] != NULL) {
            n = n->child[0];
        } else if (n->child[1] != NULL) {
            n = n->child[1];
        } else {
            struct buddy_node *parent = n->parent;
            if (parent != NULL) {
                parent->child[parent->child[0] == n ? 0 : 1] = NULL;
            }
            slab_free(b->slab, n);
            n = parent;
        }
    }
    struct slab_allocator *slab = b->slab;
    memset(b, 0, sizeof(*b));
    b->slab = slab;
}

/* ---- alloc ---------------------------------------------------------------- */

/* Smallest order whose block holds `bytes` (bytes <= 2^31 checked by caller). */
static uint8_t order_for(size_t bytes)
{
    uint8_t o = BUDDY_MIN_ORDER;
    while (BLOCK_SIZE(o) < bytes) {
        o++;
    }
    return o;
}

errval_t buddy_alloc(struct buddy *b, size_t bytes, size_t alignment,
                     enum buddy_tag tag, lvaddr_t *ret_base, size_t *ret_size)
{
    if (b == NULL || b->root == NULL) {
        return LIB_ERR_BUDDY_INIT_ARGS;
    }
    if (!tag_valid(tag)) {
        return LIB_ERR_BUDDY_BAD_TAG;
    }
    if (bytes == 0 || bytes > BLOCK_SIZE(b->max_order)) {
        return LIB_ERR_BUDDY_BAD_SIZE;
    }
    if (alignment == 0) {
        alignment = BASE_PAGE_SIZE;
    }
    if (!IS_POW2(alignment) || alignment > BLOCK_SIZE(b->max_order)) {
        return LIB_ERR_BUDDY_BAD_ALIGNMENT;
    }
    uint8_t order = order_for(bytes);
    uint8_t a_order = order_for(alignment);
    if (a_order > order) {
        order = a_order;
    }

    uint32_t candidates = b->nonempty & ~(uint32_t)(BLOCK_SIZE(order) - 1);
    if (candidates == 0) {
        return LIB_ERR_BUDDY_NO_SPACE;
    }
    uint8_t from = (uint8_t)__builtin_ctz(candidates);

    struct node_pool pool;
    errval_t err = pool_take(b, &pool, 2u * (from - order));
    if (err_is_fail(err)) {
        return err;
    }
    struct buddy_node *n = b->free_list[from];
    while (n->order > order) {
        split(b, n, &pool);
        n = n->child[0];
    }
    take_block(b, n, tag);
    pool_return(b, &pool);
    if (ret_base != NULL) {
        *ret_base = n->base;
    }
    if (ret_size != NULL) {
        *ret_size = BLOCK_SIZE(order);
    }
    return SYS_ERR_OK;
}

/* ---- alloc_at ------------------------------------------------------------- */

/* One pending piece of the walk: a real node, or (node NULL) a part of a
 * free block that phase 1 pretends to have split. */
struct walk_item {
    struct buddy_node *node;
    lvaddr_t base;
    uint8_t order;
};

/*
 * Walk the tree over [lo, hi). apply == false: check that the range is free
 * and count the splits (*splits). apply == true: do them, drawing from
 * `pool`, and allocate every maximal aligned block inside the range with
 * `tag` (*blocks). Phase 2 meets exactly the situations phase 1 counted.
 */
static errval_t walk_range(struct buddy *b, uint64_t lo, uint64_t hi, bool apply,
                           enum buddy_tag tag, struct node_pool *pool,
                           size_t *splits, size_t *blocks)
{
    struct walk_item stack[WALK_DEPTH];
    size_t sp = 0;

    stack[sp++] = (struct walk_item){ b->root, b->base, b->max_order };
    while (sp > 0) {
        struct walk_item it = stack[--sp];
        uint64_t s = it.base, e = s + BLOCK_SIZE(it.order);
        if (e <= lo || s >= hi) {
            continue;                                   /* disjoint */
        }
        bool is_free = it.node == NULL || it.node->state == BUDDY_FREE;
        if (s >= lo && e <= hi) {                       /* fully inside */
            if (!is_free) {
                /* ALLOCATED, or SPLIT: a SPLIT node always has an allocated
                 * leaf below it, since free buddies are always merged. */
                return LIB_ERR_BUDDY_RANGE_NOT_FREE;
            }
            if (apply) {
                take_block(b, it.node, tag);
                (*blocks)++;
            }
            continue;
        }
        /* partial overlap */
        if (it.node != NULL && it.node->state == BUDDY_ALLOCATED) {
            return LIB_ERR_BUDDY_RANGE_NOT_FREE;
        }
        if (sp + 2 > WALK_DEPTH) {
            return LIB_ERR_BUDDY_NO_NODE;               /* cannot happen */
        }
        struct buddy_node *c0 = NULL, *c1 = NULL;
        if (is_free) {
            (*splits)++;
            if (apply) {
                split(b, it.node, pool);
            }
        }
        if (it.node != NULL && it.node->state == BUDDY_SPLIT) {
            c0 = it.node->child[0];
            c1 = it.node->child[1];
        }
        uint8_t o = it.order - 1;
        /* upper half pushed first: lower addresses are handled first */
        stack[sp++] = (struct walk_item){ c1, it.base + (lvaddr_t)BLOCK_SIZE(o), o };
        stack[sp++] = (struct walk_item){ c0, it.base, o };
    }
    return SYS_ERR_OK;
}

/* alloc_at without the tag/argument checks shared with alloc_grow. */
/*
 * reserve_range for a range that is exactly one naturally aligned block
 * (a page, a stack, the grow helper's block: the common case): straight
 * down the path to it instead of the general walk. Phase 1 finds the
 * deepest node on the path; it must be FREE (split it down to `order`)
 * or, at `order` itself, FREE. Same two phases, same errors, same result.
 */
static errval_t reserve_block(struct buddy *b, lvaddr_t base, uint8_t order,
                              enum buddy_tag tag)
{
    struct buddy_node *n = b->root;
    struct node_pool pool;
    errval_t err;

    while (n->state == BUDDY_SPLIT && n->order > order) {
        n = n->child[(base >> (n->order - 1)) & 1];
    }
    if (n->state != BUDDY_FREE) {
        /* ALLOCATED on the way or at the block, or the block is SPLIT
         * (it has an allocated leaf below: free buddies are merged) */
        return LIB_ERR_BUDDY_RANGE_NOT_FREE;
    }
    err = pool_take(b, &pool, 2 * (size_t)(n->order - order));
    if (err_is_fail(err)) {
        return err;
    }
    while (n->order > order) {
        split(b, n, &pool);
        n = n->child[(base >> (n->order - 1)) & 1];
    }
    take_block(b, n, tag);
    pool_return(b, &pool);
    return SYS_ERR_OK;
}

static errval_t reserve_range(struct buddy *b, uint64_t lo, uint64_t hi,
                              enum buddy_tag tag, size_t *ret_blocks)
{
    uint64_t size = hi - lo;

    if ((size & (size - 1)) == 0 && (lo & (size - 1)) == 0) {
        uint8_t order = (uint8_t)__builtin_ctzll(size);
        errval_t err = reserve_block(b, (lvaddr_t)lo, order, tag);
        if (ret_blocks != NULL) {
            *ret_blocks = err_is_ok(err) ? 1 : 0;
        }
        return err;
    }
    size_t splits = 0, blocks = 0;
    errval_t err = walk_range(b, lo, hi, false, tag, NULL, &splits, NULL);
    if (err_is_fail(err)) {
        return err;
    }
    struct node_pool pool;
    err = pool_take(b, &pool, 2 * splits);
    if (err_is_fail(err)) {
        return err;
    }
    size_t splits2 = 0;
    err = walk_range(b, lo, hi, true, tag, &pool, &splits2, &blocks);
    pool_return(b, &pool);
    if (ret_blocks != NULL) {
        *ret_blocks = blocks;
    }
    return err;     /* SYS_ERR_OK: phase 1 found the range free */
}

errval_t buddy_alloc_at(struct buddy *b, lvaddr_t base, size_t bytes,
                        enum buddy_tag tag, size_t *ret_blocks)
{
    if (b == NULL || b->root == NULL) {
        return LIB_ERR_BUDDY_INIT_ARGS;
    }
    if (!tag_valid(tag)) {
        return LIB_ERR_BUDDY_BAD_TAG;
    }
    if (base % BASE_PAGE_SIZE != 0) {
        return LIB_ERR_BUDDY_BAD_ALIGNMENT;
    }
    if (bytes == 0) {
        return LIB_ERR_BUDDY_BAD_SIZE;
    }
    uint64_t lo = base;
    uint64_t hi = lo + ROUND_UP((uint64_t)bytes, BASE_PAGE_SIZE);
    if (lo < b->base || hi > range_end(b)) {
        return LIB_ERR_BUDDY_OUT_OF_RANGE;
    }
    return reserve_range(b, lo, hi, tag, ret_blocks);
}

/* The ALLOCATED leaf starting exactly at `base`, or the error buddy_free
 * gives for that address. */
static errval_t block_at(const struct buddy *b, lvaddr_t base,
                         struct buddy_node **ret, errval_t free_space_err)
{
    if (!in_range(b, base) || base % BASE_PAGE_SIZE != 0) {
        return LIB_ERR_BUDDY_FOREIGN;
    }
    struct buddy_node *n = leaf_of(b, base);
    if (n->state == BUDDY_FREE) {
        return free_space_err;
    }
    if (n->base != base) {
        return LIB_ERR_BUDDY_FOREIGN;
    }
    *ret = n;
    return SYS_ERR_OK;
}

errval_t buddy_alloc_grow(struct buddy *b, lvaddr_t base, lvaddr_t *ret_base)
{
    struct buddy_node *n;
    if (b == NULL || b->root == NULL) {
        return LIB_ERR_BUDDY_INIT_ARGS;
    }
    errval_t err = block_at(b, base, &n, LIB_ERR_BUDDY_FOREIGN);
    if (err_is_fail(err)) {
        return err;
    }
    uint64_t lo = (uint64_t)base + BLOCK_SIZE(n->order);
    uint64_t hi = lo + BLOCK_SIZE(n->order);
    if (hi > range_end(b)) {
        return LIB_ERR_BUDDY_OUT_OF_RANGE;
    }
    /* lo is aligned to 2^order, so the range is exactly one block */
    err = reserve_range(b, lo, hi, (enum buddy_tag)n->tag, NULL);
    if (err_is_ok(err) && ret_base != NULL) {
        *ret_base = (lvaddr_t)lo;
    }
    return err;
}

/* ---- free ----------------------------------------------------------------- */

/* ALLOCATED leaf -> FREE, merged upwards while the buddy is FREE. */
static void release(struct buddy *b, struct buddy_node *n)
{
    b->changes++;
    buddy_pub_remove(b, n);
    b->tag_bytes[n->tag] -= BLOCK_SIZE(n->order);
    b->tag_blocks[n->tag]--;
    b->free_bytes += BLOCK_SIZE(n->order);
    n->state = BUDDY_FREE;
    n->tag = BUDDY_TAG_NONE;
    n->owner = NULL;

    struct buddy_node *p = n->parent;
    while (p != NULL) {
        struct buddy_node *buddy = p->child[p->child[0] == n ? 1 : 0];
        if (buddy->state != BUDDY_FREE) {
            break;
        }
        list_remove(b, buddy);
        slab_free(b->slab, buddy);
        slab_free(b->slab, n);
        b->nodes -= 2;
        p->child[0] = p->child[1] = NULL;
        p->state = BUDDY_FREE;
        n = p;
        p = n->parent;
    }
    list_push(b, n);
}

errval_t buddy_free(struct buddy *b, lvaddr_t base)
{
    struct buddy_node *n;
    if (b == NULL || b->root == NULL) {
        return LIB_ERR_BUDDY_INIT_ARGS;
    }
    errval_t err = block_at(b, base, &n, LIB_ERR_BUDDY_DOUBLE_FREE);
    if (err_is_fail(err)) {
        return err;
    }
    release(b, n);
    return SYS_ERR_OK;
}

errval_t buddy_free_range(struct buddy *b, lvaddr_t base, size_t bytes,
                          size_t *ret_blocks)
{
    struct buddy_node *n;
    if (b == NULL || b->root == NULL) {
        return LIB_ERR_BUDDY_INIT_ARGS;
    }
    if (bytes == 0) {
        return LIB_ERR_BUDDY_BAD_SIZE;
    }
    uint64_t end = (uint64_t)base + ROUND_UP((uint64_t)bytes, BASE_PAGE_SIZE);
    if (end > range_end(b)) {
        return LIB_ERR_BUDDY_FOREIGN;
    }
    /* check everything first: O(L) per block */
    for (uint64_t a = base; a < end; a += BLOCK_SIZE(n->order)) {
        errval_t err = block_at(b, (lvaddr_t)a, &n, LIB_ERR_BUDDY_DOUBLE_FREE);
        if (err_is_fail(err)) {
            return err;
        }
        if (a + BLOCK_SIZE(n->order) > end) {
            return LIB_ERR_BUDDY_FOREIGN;
        }
    }
    size_t count = 0;
    for (uint64_t a = base; a < end;) {
        n = leaf_of(b, (lvaddr_t)a);
        a += BLOCK_SIZE(n->order);
        release(b, n);     /* merging never touches the blocks above a */
        count++;
    }
    if (ret_blocks != NULL) {
        *ret_blocks = count;
    }
    return SYS_ERR_OK;
}

/* ---- lookup and owner ------------------------------------------------------ */

struct buddy_node *buddy_lookup_node(const struct buddy *b, lvaddr_t addr)
{
    if (b == NULL || !in_range(b, addr)) {
        return NULL;
    }
    struct buddy_node *n = leaf_of(b, addr);
    return n->state == BUDDY_ALLOCATED ? n : NULL;
}

errval_t buddy_lookup(const struct buddy *b, lvaddr_t addr, struct buddy_block *ret)
{
    if (b == NULL || !in_range(b, addr)) {
        return LIB_ERR_BUDDY_OUT_OF_RANGE;
    }
    struct buddy_node *n = leaf_of(b, addr);
    if (n->state != BUDDY_ALLOCATED) {
        return LIB_ERR_BUDDY_NOT_ALLOCATED;
    }
    if (ret != NULL) {
        ret->base = n->base;
        ret->size = BLOCK_SIZE(n->order);
        ret->order = n->order;
        ret->tag = (enum buddy_tag)n->tag;
        ret->owner = n->owner;
    }
    return SYS_ERR_OK;
}

errval_t buddy_set_owner(struct buddy *b, lvaddr_t base, void *owner)
{
    struct buddy_node *n;
    if (b == NULL) {
        return LIB_ERR_BUDDY_INIT_ARGS;
    }
    errval_t err = block_at(b, base, &n, LIB_ERR_BUDDY_NOT_ALLOCATED);
    if (err_is_ok(err)) {
        n->owner = owner;
    }
    return err;
}

errval_t buddy_get_owner(const struct buddy *b, lvaddr_t base, void **owner)
{
    struct buddy_node *n;
    if (b == NULL) {
        return LIB_ERR_BUDDY_INIT_ARGS;
    }
    errval_t err = block_at(b, base, &n, LIB_ERR_BUDDY_NOT_ALLOCATED);
    if (err_is_ok(err) && owner != NULL) {
        *owner = n->owner;
    }
    return err;
}

/* ---- statistics -------------------------------------------------------------- */

void buddy_get_stats(const struct buddy *b, struct buddy_stats *st)
{
    memset(st, 0, sizeof(*st));
    if (b == NULL || b->root == NULL) {
        return;
    }
    st->total_bytes = BLOCK_SIZE(b->max_order);
    st->free_bytes = b->free_bytes;
    for (int t = 0; t < BUDDY_TAG_COUNT; t++) {
        st->tag_bytes[t] = b->tag_bytes[t];
        st->tag_blocks[t] = b->tag_blocks[t];
        st->allocated_bytes += b->tag_bytes[t];
    }
    st->nodes = b->nodes;
    /* leaves = (nodes + 1) / 2 in a full binary tree */
    size_t allocated_blocks = 0;
    for (int t = 0; t < BUDDY_TAG_COUNT; t++) {
        allocated_blocks += b->tag_blocks[t];
    }
    st->free_blocks = (b->nodes + 1) / 2 - allocated_blocks;
    st->metadata_bytes = b->nodes * b->slab->blocksize;
}

const char *buddy_tag_name(enum buddy_tag tag)
{
    static const char *const names[BUDDY_TAG_COUNT] = {
        "NONE", "HEAP", "STACK", "GUARD", "FIXED",
    };
    return (unsigned)tag < BUDDY_TAG_COUNT ? names[tag] : "?";
}
