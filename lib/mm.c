/*
 * Buddy memory manager over RAM capabilities (include/aos/mm.h).
 *
 * Every RAM cap given to mm_add is the root of a binary tree of blocks.
 * A node is one block [base, base + 2^order) and holds that block's own RAM
 * cap. It is in exactly one state:
 *
 *   FREE       a leaf on free_list[order]; its cap has no copies/descendants
 *   ALLOCATED  a leaf; copies of its cap (and their descendants) are out there
 *   SPLIT      two children, each made by retyping this cap (offset 0 and
 *              offset 2^(order-1), one slot each); the children are its only
 *              descendants
 *   GIVEN      a leaf given away for good (mm_give_away): its cap is no
 *              longer mm's, and the block is no longer counted
 *
 * Invariants (checked by the host tests): free_bytes is the sum of the FREE
 * leaves; a SPLIT node never has two FREE leaf children after an operation
 * returns (they are coalesced); roots[] is sorted by base and disjoint.
 *
 * Finding a block by base: binary search over the roots, then one step per
 * level down the tree (at most MM_MAX_ORDER - MM_MIN_ORDER), so O(log n).
 *
 * Re-entrancy: ops->slot_alloc may refill the slot allocator, which calls
 * ram_alloc and so (in init) mm_alloc_aligned again. mm_alloc_aligned
 * therefore takes every slot it might need *before* it touches the tree, and
 * chooses its block again afterwards; retype/copy/revoke/delete/slot_free
 * never call back into mm. Node refills run at the end of each operation
 * through slab_refill_check, whose `refilling` flag stops recursion.
 */
#include <aos/mm.h>
#include <aos/caps.h>
#include <aos/slot_alloc.h>

enum mm_state { MM_FREE = 1, MM_ALLOCATED, MM_SPLIT, MM_GIVEN };

struct mm_node {
    lpaddr_t base;
    uint8_t order;
    uint8_t state;
    capaddr_t cap;                   /* this block's own RAM cap */
    struct mm_node *parent;
    struct mm_node *child[2];        /* SPLIT only: lower and upper half */
    struct mm_node *prev, *next;     /* FREE only: free_list[order] */
};

/* At most one split per order between the largest and smallest block, two
 * slots each, plus the slot of the returned copy. */
#define MAX_SPLITS (MM_MAX_ORDER - MM_MIN_ORDER)
#define STASH_MAX  (2 * MAX_SPLITS + 1)

/* ---- the real capability operations (ops == NULL) ----------------------- */

/* cap_retype into RAM; the kernel checks everything. */
static errval_t real_retype_ram(capaddr_t src, gensize_t offset, gensize_t size,
                                uint32_t count, capaddr_t dest_cnode, cslot_t slot)
{
    return cap_retype(src, ObjType_RAM, offset, size, count, dest_cnode, slot);
}

static const struct mm_cap_ops real_ops = {
    .retype_ram = real_retype_ram,
    .revoke = cap_revoke,
    .delete = cap_delete,
    .slot_alloc = slot_alloc,
    .slot_free = slot_free,
    .copy = cap_copy,
    .identify = cap_identify,
};

/* ---- small helpers ------------------------------------------------------- */

/* The CNode cap naming the L2 CNode that holds slot `c` (via its root slot). */
static capaddr_t slot_cnode(capaddr_t c)
{
    return CPTR_L1_SLOT | CPTR_L1_INDEX(c);
}

/* Bytes in a block of `order` (order <= 31, fits gensize_t). */
static gensize_t order_size(unsigned order)
{
    return (gensize_t)1 << order;
}

/* Smallest order with 2^order >= x, for 0 < x <= 2^31. */
static unsigned ceil_log2(gensize_t x)
{
    unsigned o = 0;
    while (order_size(o) < x) {
        o++;
    }
    return o;
}

/* Push a FREE node on its order's list. Node must not be on any list. */
static void list_push(struct mm *mm, struct mm_node *n)
{
    n->prev = NULL;
    n->next = mm->free_list[n->order];
    if (n->next != NULL) {
        n->next->prev = n;
    }
    mm->free_list[n->order] = n;
}

/* Unlink a node from its order's free list (it must be on it). O(1). */
static void list_remove(struct mm *mm, struct mm_node *n)
{
    if (n->prev != NULL) {
        n->prev->next = n->next;
    } else {
        mm->free_list[n->order] = n->next;
    }
    if (n->next != NULL) {
        n->next->prev = n->prev;
    }
    n->prev = n->next = NULL;
}

/* A FREE block of order >= `order`, smallest first; NULL if none. */
static struct mm_node *find_free(struct mm *mm, unsigned order)
{
    for (unsigned o = order; o <= MM_MAX_ORDER; o++) {
        if (mm->free_list[o] != NULL) {
            return mm->free_list[o];
        }
    }
    return NULL;
}

/* Index of the root whose range contains `addr`, or -1. Binary search. */
static int find_root(const struct mm *mm, lpaddr_t addr)
{
    int lo = 0, hi = (int)mm->nroots - 1;
    while (lo <= hi) {
        int mid = (lo + hi) / 2;
        const struct mm_node *r = mm->roots[mid];
        uint64_t end = (uint64_t)r->base + order_size(r->order);
        if (addr < r->base) {
            hi = mid - 1;
        } else if (addr >= end) {
            lo = mid + 1;
        } else {
            return mid;
        }
    }
    return -1;
}

/* Give back slots taken but not used. Slot-free failures are not expected
 * for slots ops->slot_alloc just gave; the first one is returned. */
static errval_t stash_release(struct mm *mm, capaddr_t *stash, unsigned *n)
{
    errval_t first = SYS_ERR_OK;
    while (*n > 0) {
        errval_t err = mm->ops->slot_free(stash[--*n]);
        if (err_is_fail(err) && err_is_ok(first)) {
            first = err;
        }
    }
    return first;
}

/* ---- set-up -------------------------------------------------------------- */

/*
 * Initialise `mm` empty, with `ops` (NULL: real invocations) and node memory
 * from its own bootstrap buffer, then from `refill` (NULL: frames).
 * Keeps MM_NODE_RESERVE nodes in reserve for nested operations.
 */
errval_t mm_init_instance(struct mm *mm, const struct mm_cap_ops *ops,
                          slab_refill_fn refill)
{
    if (mm == NULL) {
        return LIB_ERR_MM_INIT_ARGS;
    }
    if (ops != NULL && (ops->retype_ram == NULL || ops->revoke == NULL ||
                        ops->delete == NULL || ops->slot_alloc == NULL ||
                        ops->slot_free == NULL || ops->copy == NULL ||
                        ops->identify == NULL)) {
        return LIB_ERR_MM_INIT_ARGS;
    }
    mm->ops = ops != NULL ? ops : &real_ops;
    for (unsigned o = 0; o <= MM_MAX_ORDER; o++) {
        mm->free_list[o] = NULL;
    }
    mm->nroots = 0;
    mm->free_bytes = mm->total_bytes = 0;
    errval_t err = slab_init_static(&mm->nodes, sizeof(struct mm_node), refill,
                                    mm->bootstrap, sizeof(mm->bootstrap));
    mm->nodes.refill_threshold = MM_NODE_RESERVE;
    return err;
}

/* init's single instance. Calling it again resets that instance. */
errval_t mm_init(struct mm **mm, const struct mm_cap_ops *ops)
{
    static struct mm the_mm;
    if (mm == NULL) {
        return LIB_ERR_MM_INIT_ARGS;
    }
    errval_t err = mm_init_instance(&the_mm, ops, NULL);
    if (err_is_ok(err)) {
        *mm = &the_mm;
    }
    return err;
}

/*
 * Take ownership of RAM cap `cap` = [base, base + size). It must be a
 * naturally aligned power of two of at least 4 KiB (LIB_ERR_MM_BAD_REGION),
 * disjoint from what mm has (LIB_ERR_MM_REGION_OVERLAP), with room in the
 * region table (LIB_ERR_MM_TOO_MANY_REGIONS) and a node (LIB_ERR_MM_NO_NODE).
 * Nothing changes on error. The cap itself is trusted, not identified.
 */
errval_t mm_add(struct mm *mm, capaddr_t cap, lpaddr_t base, gensize_t size)
{
    if (mm == NULL) {
        return LIB_ERR_MM_INIT_ARGS;
    }
    if (!IS_POW2(size) || size < BASE_PAGE_SIZE || (base & (size - 1)) != 0) {
        return LIB_ERR_MM_BAD_REGION;
    }
    /* disjoint: no root contains base or the last byte, and none lies inside */
    uint64_t end = (uint64_t)base + size;
    unsigned pos = 0;
    while (pos < mm->nroots && mm->roots[pos]->base < base) {
        pos++;
    }
    if (pos > 0) {
        const struct mm_node *prev = mm->roots[pos - 1];
        if ((uint64_t)prev->base + order_size(prev->order) > base) {
            return LIB_ERR_MM_REGION_OVERLAP;
        }
    }
    if (pos < mm->nroots && mm->roots[pos]->base < end) {
        return LIB_ERR_MM_REGION_OVERLAP;
    }
    if (mm->nroots >= MM_MAX_REGIONS) {
        return LIB_ERR_MM_TOO_MANY_REGIONS;
    }
    struct mm_node *n = slab_alloc(&mm->nodes);
    if (n == NULL) {
        return LIB_ERR_MM_NO_NODE;
    }
    *n = (struct mm_node){ .base = base, .order = (uint8_t)ceil_log2(size),
                           .state = MM_FREE, .cap = cap };
    for (unsigned i = mm->nroots; i > pos; i--) {
        mm->roots[i] = mm->roots[i - 1];
    }
    mm->roots[pos] = n;
    mm->nroots++;
    list_push(mm, n);
    mm->free_bytes += size;
    mm->total_bytes += size;
    slab_refill_check(&mm->nodes);   /* a failure leaves the reserve; next op retries */
    return SYS_ERR_OK;
}

/* ---- split and merge ----------------------------------------------------- */

/*
 * Split FREE block `n` (order > MM_MIN_ORDER) into two FREE halves, using
 * two slots from the stash and two nodes (the caller checked there are
 * enough). On failure nothing changed (a half already made is deleted) and
 * the stash still holds both slots.
 */
static errval_t split(struct mm *mm, struct mm_node *n, capaddr_t *stash, unsigned *nstash)
{
    gensize_t half = order_size(n->order - 1);
    capaddr_t lo = stash[*nstash - 1], hi = stash[*nstash - 2];

    errval_t err = mm->ops->retype_ram(n->cap, 0, half, 1, slot_cnode(lo),
                                       CPTR_L2_INDEX(lo));
    if (err_is_fail(err)) {
        return err_push(err, LIB_ERR_MM_SPLIT);
    }
    err = mm->ops->retype_ram(n->cap, half, half, 1, slot_cnode(hi), CPTR_L2_INDEX(hi));
    if (err_is_fail(err)) {
        mm->ops->delete(lo);
        return err_push(err, LIB_ERR_MM_SPLIT);
    }
    struct mm_node *c0 = slab_alloc(&mm->nodes);
    struct mm_node *c1 = slab_alloc(&mm->nodes);
    if (c0 == NULL || c1 == NULL) {      /* caller checked; keep it safe anyway */
        if (c0 != NULL) {
            slab_free(&mm->nodes, c0);
        }
        if (c1 != NULL) {
            slab_free(&mm->nodes, c1);
        }
        mm->ops->delete(lo);
        mm->ops->delete(hi);
        return LIB_ERR_MM_NO_NODE;
    }
    *nstash -= 2;
    *c0 = (struct mm_node){ .base = n->base, .order = (uint8_t)(n->order - 1),
                            .state = MM_FREE, .cap = lo, .parent = n };
    *c1 = (struct mm_node){ .base = n->base + half, .order = (uint8_t)(n->order - 1),
                            .state = MM_FREE, .cap = hi, .parent = n };
    list_remove(mm, n);
    n->state = MM_SPLIT;
    n->child[0] = c0;
    n->child[1] = c1;
    list_push(mm, c1);
    list_push(mm, c0);
    return SYS_ERR_OK;
}

/*
 * `n` is FREE (and on its list). While its buddy is FREE too, revoke the
 * parent's cap (deleting exactly the two halves, which have no copies or
 * descendants when FREE), free their slots and nodes, and make the parent
 * the FREE block. On a revoke failure it stops with both halves FREE (still
 * consistent). Free bytes do not change.
 */
static errval_t coalesce(struct mm *mm, struct mm_node *n)
{
    errval_t slot_err = SYS_ERR_OK;
    while (n->parent != NULL) {
        struct mm_node *p = n->parent;
        struct mm_node *buddy = p->child[p->child[0] == n ? 1 : 0];
        if (buddy->state != MM_FREE || n->state != MM_FREE) {
            break;
        }
        errval_t err = mm->ops->revoke(p->cap);
        if (err_is_fail(err)) {
            return err_push(err, LIB_ERR_MM_COALESCE);
        }
        for (int i = 0; i < 2; i++) {
            struct mm_node *c = p->child[i];
            list_remove(mm, c);
            err = mm->ops->slot_free(c->cap);
            if (err_is_fail(err) && err_is_ok(slot_err)) {
                slot_err = err_push(err, LIB_ERR_MM_SLOT);
            }
            slab_free(&mm->nodes, c);
            p->child[i] = NULL;
        }
        p->state = MM_FREE;
        list_push(mm, p);
        n = p;
    }
    return slot_err;
}

/* ---- allocate and free --------------------------------------------------- */

/*
 * Allocate a block of order max(ceil_log2(size), log2(alignment), 12) and
 * hand out a copy of its cap. Errors, each with nothing changed (all blocks
 * split on the way are merged back, all slots returned):
 * LIB_ERR_MM_INIT_ARGS, LIB_ERR_MM_BAD_SIZE, LIB_ERR_MM_BAD_ALIGNMENT,
 * LIB_ERR_MM_OUT_OF_MEMORY, LIB_ERR_MM_NO_NODE, LIB_ERR_MM_SLOT (over the
 * slot allocator's error), LIB_ERR_MM_SPLIT, LIB_ERR_MM_COPY (over the
 * kernel's error).
 */
errval_t mm_alloc_aligned(struct mm *mm, gensize_t size, gensize_t alignment,
                          capaddr_t *ret, lpaddr_t *ret_base, gensize_t *ret_size)
{
    if (mm == NULL || ret == NULL) {
        return LIB_ERR_MM_INIT_ARGS;
    }
    if (size == 0 || size > order_size(MM_MAX_ORDER)) {
        return LIB_ERR_MM_BAD_SIZE;
    }
    if (alignment == 0) {
        alignment = BASE_PAGE_SIZE;
    }
    if (!IS_POW2(alignment)) {
        return LIB_ERR_MM_BAD_ALIGNMENT;
    }
    unsigned order = ceil_log2(size);
    unsigned align_order = ceil_log2(alignment);
    if (order < align_order) {
        order = align_order;
    }
    if (order < MM_MIN_ORDER) {
        order = MM_MIN_ORDER;
    }

    /* Take the slots first: slot_alloc may re-enter mm (see the top). */
    capaddr_t stash[STASH_MAX];
    unsigned nstash = 0;
    struct mm_node *blk;
    for (;;) {
        blk = find_free(mm, order);
        if (blk == NULL) {
            errval_t err = stash_release(mm, stash, &nstash);
            return err_is_ok(err) ? LIB_ERR_MM_OUT_OF_MEMORY
                                  : err_push(err, LIB_ERR_MM_OUT_OF_MEMORY);
        }
        unsigned need = 2 * (blk->order - order) + 1;
        if (nstash >= need) {
            break;
        }
        errval_t err = mm->ops->slot_alloc(&stash[nstash]);
        if (err_is_fail(err)) {
            stash_release(mm, stash, &nstash);
            return err_push(err, LIB_ERR_MM_SLOT);
        }
        nstash++;
    }
    if (slab_freecount(&mm->nodes) < 2u * (blk->order - order)) {
        stash_release(mm, stash, &nstash);
        return LIB_ERR_MM_NO_NODE;
    }

    /* From here on nothing calls back into mm. */
    while (blk->order > order) {
        errval_t err = split(mm, blk, stash, &nstash);
        if (err_is_fail(err)) {
            coalesce(mm, blk);
            stash_release(mm, stash, &nstash);
            return err;
        }
        blk = blk->child[0];
    }
    capaddr_t copy = stash[--nstash];
    errval_t err = mm->ops->copy(slot_cnode(copy), CPTR_L2_INDEX(copy), blk->cap);
    if (err_is_fail(err)) {
        nstash++;
        coalesce(mm, blk);
        stash_release(mm, stash, &nstash);
        return err_push(err, LIB_ERR_MM_COPY);
    }
    list_remove(mm, blk);
    blk->state = MM_ALLOCATED;
    mm->free_bytes -= order_size(order);
    stash_release(mm, stash, &nstash);   /* extra if a nested call freed a closer block */

    *ret = copy;
    if (ret_base != NULL) {
        *ret_base = blk->base;
    }
    if (ret_size != NULL) {
        *ret_size = order_size(order);
    }
    slab_refill_check(&mm->nodes);   /* may re-enter mm: state is consistent */
    return SYS_ERR_OK;
}

/*
 * Find the node of the block [base, base + 2^order) by descending from the
 * root that contains base: O(log #roots + depth). NULL if there is no such
 * block (base inside a bigger FREE/ALLOCATED block, misaligned, outside).
 */
static struct mm_node *find_block(struct mm *mm, lpaddr_t base, unsigned order)
{
    int r = find_root(mm, base);
    if (r < 0) {
        return NULL;
    }
    struct mm_node *n = mm->roots[r];
    while (n->base != base || n->order != order) {
        if (n->state != MM_SPLIT || n->order <= order) {
            return NULL;
        }
        n = n->child[base >= n->base + order_size(n->order - 1) ? 1 : 0];
    }
    return n;
}

/*
 * Take back the ALLOCATED block [base, base + size): `cap` must be a RAM cap
 * of exactly that range other than mm's own (LIB_ERR_MM_WRONG_CAP). The
 * block's cap is revoked (every copy, including `cap`, and every descendant
 * disappears), `cap`'s slot is freed, the block becomes FREE and merges with
 * free buddies. Errors before the revoke change nothing:
 * LIB_ERR_MM_INIT_ARGS, LIB_ERR_MM_BAD_SIZE, LIB_ERR_MM_NOT_ALLOCATED (no
 * such block, or it is split), LIB_ERR_MM_DOUBLE_FREE, LIB_ERR_MM_WRONG_CAP,
 * LIB_ERR_MM_REVOKE. After it, the block is free even if freeing the slot
 * (LIB_ERR_MM_SLOT) or merging (LIB_ERR_MM_COALESCE) failed.
 */
/*
 * The ALLOCATED block [base, base + size) that `cap` (a RAM cap of exactly
 * that range other than mm's own) was handed out as, or an error:
 * LIB_ERR_MM_INIT_ARGS, LIB_ERR_MM_BAD_SIZE, LIB_ERR_MM_NOT_ALLOCATED,
 * LIB_ERR_MM_DOUBLE_FREE, LIB_ERR_MM_WRONG_CAP.
 */
static errval_t allocated_block(struct mm *mm, capaddr_t cap, lpaddr_t base,
                                gensize_t size, struct mm_node **ret)
{
    if (mm == NULL) {
        return LIB_ERR_MM_INIT_ARGS;
    }
    if (size == 0 || size > order_size(MM_MAX_ORDER)) {
        return LIB_ERR_MM_BAD_SIZE;
    }
    unsigned order = ceil_log2(size);
    if (order < MM_MIN_ORDER) {
        order = MM_MIN_ORDER;
    }
    struct mm_node *n = find_block(mm, base, order);
    if (n == NULL || n->state == MM_SPLIT || n->state == MM_GIVEN) {
        return LIB_ERR_MM_NOT_ALLOCATED;
    }
    if (n->state == MM_FREE) {
        return LIB_ERR_MM_DOUBLE_FREE;
    }
    struct capability_info info;
    errval_t err = mm->ops->identify(cap, &info);
    if (err_is_fail(err)) {
        return err_push(err, LIB_ERR_MM_WRONG_CAP);
    }
    if (cap == n->cap || info.type != ObjType_RAM || info.base != n->base ||
        info.size != order_size(n->order)) {
        return LIB_ERR_MM_WRONG_CAP;
    }
    *ret = n;
    return SYS_ERR_OK;
}

errval_t mm_free(struct mm *mm, capaddr_t cap, lpaddr_t base, gensize_t size)
{
    struct mm_node *n;
    errval_t err = allocated_block(mm, cap, base, size, &n);

    if (err_is_fail(err)) {
        return err;
    }
    err = mm->ops->revoke(n->cap);
    if (err_is_fail(err)) {
        return err_push(err, LIB_ERR_MM_REVOKE);
    }
    errval_t slot_err = mm->ops->slot_free(cap);
    n->state = MM_FREE;
    list_push(mm, n);
    mm->free_bytes += order_size(n->order);
    err = coalesce(mm, n);
    slab_refill_check(&mm->nodes);
    if (err_is_fail(slot_err)) {
        return err_push(slot_err, LIB_ERR_MM_SLOT);
    }
    return err;
}

/*
 * Give the ALLOCATED block [base, base + size), handed out as `cap`, away
 * for good (to another core: KERNELCMD_START_CORE): its cap is revoked
 * (`cap` and every other copy and descendant go, `cap`'s slot is freed)
 * and mm's own cap, now the memory's only one, is returned in *ret, its
 * slot the caller's from now on. The block never comes back: it leaves
 * total_bytes and never merges again. Errors as mm_free's; after the
 * revoke the block is given even if freeing the slot failed (LIB_ERR_MM_SLOT).
 */
errval_t mm_give_away(struct mm *mm, capaddr_t cap, lpaddr_t base, gensize_t size,
                      capaddr_t *ret)
{
    struct mm_node *n;
    errval_t err = allocated_block(mm, cap, base, size, &n);

    if (err_is_fail(err)) {
        return err;
    }
    err = mm->ops->revoke(n->cap);
    if (err_is_fail(err)) {
        return err_push(err, LIB_ERR_MM_REVOKE);
    }
    n->state = MM_GIVEN;
    mm->total_bytes -= order_size(n->order);
    *ret = n->cap;
    n->cap = CPTR_NULL;
    err = mm->ops->slot_free(cap);
    return err_is_fail(err) ? err_push(err, LIB_ERR_MM_SLOT) : SYS_ERR_OK;
}

/* Free and total bytes (either pointer may be NULL). */
void mm_stats(const struct mm *mm, gensize_t *free_bytes, gensize_t *total_bytes)
{
    if (free_bytes != NULL) {
        *free_bytes = mm != NULL ? mm->free_bytes : 0;
    }
    if (total_bytes != NULL) {
        *total_bytes = mm != NULL ? mm->total_bytes : 0;
    }
}
