/*
 * Capability slot allocator (include/aos/slot_alloc.h).
 *
 * State: one record per L2 CNode the allocator owns, each with a 256-bit
 * bitmap (bit set = slot free) and a free count; a table from root (L1)
 * index to record; a bitmap of the root slots it has taken; a hint at a
 * record that still has free slots. All of it is static, so the allocator
 * needs no heap and no slab (it sits below both, see docs/memory.md).
 *
 *   root L1 CNode            records                   L2 CNode (256 slots)
 *   slot 2  ─────────────▶  cnodes[0] { l1 = 2, bitmap, free }  ─▶ CPTR(2, i)
 *   slot 6  ─────────────▶  cnodes[1] { l1 = 6, bitmap, free, ram } (refill)
 *   ...
 *
 * Refill: when fewer than SLOT_ALLOC_RESERVE slots are free, slot_alloc first
 * takes a free root slot, gets 16 KiB of RAM (ram_alloc_aligned, which calls
 * slot_alloc again for the RAM cap and, in init, mm, which calls it for its
 * split halves), retypes the RAM into an L2 CNode in that root slot and adds
 * 256 free slots. `refilling` makes those nested calls serve from the
 * reserve without starting another refill. The state is consistent at every
 * call out, so nested calls are safe.
 *
 * If a refill fails, slots keep being handed out from the reserve until none
 * is left (then LIB_ERR_SLOT_ALLOC_NO_SPACE over the refill's error); each
 * later slot_alloc retries the refill.
 */
#include <aos/slot_alloc.h>
#include <aos/ram_alloc.h>
#include <aos/caps.h>
#include <autarky/bootinfo.h>

#define BITMAP_WORDS (L2_CNODE_SLOTS / 32)
#define NO_CNODE     0xffffu

struct sa_cnode {
    uint32_t bitmap[BITMAP_WORDS];  /* bit set: slot free */
    uint16_t l1;                    /* root slot holding this L2 CNode */
    uint16_t free;                  /* set bits in bitmap */
    capaddr_t ram;                  /* RAM it was retyped from (CPTR_NULL: boot CNode) */
};

static const struct slot_alloc_ops real_ops = {
    .ram_alloc_aligned = ram_alloc_aligned,
    .ram_free = ram_free,
    .retype = cap_retype,
    .delete_cap = cap_delete,
};

static struct {
    bool initialised;
    bool refilling;
    const struct slot_alloc_ops *ops;
    capaddr_t rootcn;
    cslot_t first_free_root, root_slots;
    uint32_t root_taken[SLOT_ALLOC_MAX_ROOT_SLOTS / 32];   /* bit set: taken by us */
    uint16_t cnode_of_l1[SLOT_ALLOC_MAX_ROOT_SLOTS];       /* index or NO_CNODE */
    struct sa_cnode cnodes[SLOT_ALLOC_MAX_ROOT_SLOTS];
    unsigned ncnodes;
    unsigned hint;               /* no record before this one has a free slot */
    size_t free;                 /* sum of cnodes[].free */
    errval_t last_refill_err;
} sa;

/*
 * Add the empty L2 CNode in root slot `l1` as a record with 256 free slots.
 * Caller guarantees l1 < root_slots and that it is not already a record.
 */
static void add_cnode(cslot_t l1, capaddr_t ram)
{
    struct sa_cnode *c = &sa.cnodes[sa.ncnodes];
    for (unsigned w = 0; w < BITMAP_WORDS; w++) {
        c->bitmap[w] = 0xffffffffu;
    }
    c->l1 = (uint16_t)l1;
    c->free = L2_CNODE_SLOTS;
    c->ram = ram;
    sa.cnode_of_l1[l1] = (uint16_t)sa.ncnodes;
    if (sa.cnodes[sa.hint].free == 0) {
        sa.hint = sa.ncnodes;       /* every record before it is full */
    }
    sa.ncnodes++;
    sa.free += L2_CNODE_SLOTS;
}

/*
 * Reset the allocator: the (empty) L2 CNode in root slot `first_cnode` gives
 * the first 256 slots; root slots [first_free_root, root_slots) may hold
 * future CNodes. root_slots is at most SLOT_ALLOC_MAX_ROOT_SLOTS and the
 * first CNode lies outside the growth range (LIB_ERR_SLOT_INIT_ARGS).
 */
errval_t slot_alloc_init_ops(const struct slot_alloc_ops *ops, capaddr_t rootcn,
                             cslot_t first_cnode, cslot_t first_free_root,
                             cslot_t root_slots)
{
    if (root_slots > SLOT_ALLOC_MAX_ROOT_SLOTS || first_cnode >= root_slots ||
        first_free_root > root_slots ||
        (first_cnode >= first_free_root)) {
        sa.initialised = false;
        return LIB_ERR_SLOT_INIT_ARGS;
    }
    if (ops != NULL && (ops->ram_alloc_aligned == NULL || ops->ram_free == NULL ||
                        ops->retype == NULL)) {
        sa.initialised = false;
        return LIB_ERR_SLOT_INIT_ARGS;
    }
    sa.ops = ops != NULL ? ops : &real_ops;
    sa.rootcn = rootcn;
    sa.first_free_root = first_free_root;
    sa.root_slots = root_slots;
    for (unsigned i = 0; i < ARRAY_LENGTH(sa.root_taken); i++) {
        sa.root_taken[i] = 0;
    }
    for (unsigned i = 0; i < ARRAY_LENGTH(sa.cnode_of_l1); i++) {
        sa.cnode_of_l1[i] = NO_CNODE;
    }
    sa.ncnodes = 0;
    sa.hint = 0;
    sa.free = 0;
    sa.refilling = false;
    sa.last_refill_err = SYS_ERR_OK;
    add_cnode(first_cnode, CPTR_NULL);
    sa.initialised = true;
    return SYS_ERR_OK;
}

/* The real domain layout (include/autarky/bootinfo.h). */
errval_t slot_alloc_init(void)
{
    struct capability_info ci;
    errval_t err = cap_identify(CAP_ROOTCN, &ci);       /* how many root slots */
    cslot_t root_slots;

    if (err_is_fail(err)) {
        return err_push(err, LIB_ERR_SLOT_INIT_ARGS);
    }
    root_slots = ci.size / CTE_SIZE > SLOT_ALLOC_MAX_ROOT_SLOTS
                 ? SLOT_ALLOC_MAX_ROOT_SLOTS : (cslot_t)(ci.size / CTE_SIZE);
    return slot_alloc_init_ops(NULL, CAP_ROOTCN, ROOTCN_SLOT_SLOT_ALLOC0,
                               ROOTCN_FREE_SLOTS, root_slots);
}

/*
 * Take the lowest root slot in [first_free_root, root_slots) not yet taken.
 * LIB_ERR_SLOT_ROOT_FULL when there is none (nothing changed).
 */
static errval_t take_root_slot(cslot_t *ret)
{
    for (cslot_t s = sa.first_free_root; s < sa.root_slots; s++) {
        uint32_t bit = 1u << (s % 32);
        if (!(sa.root_taken[s / 32] & bit)) {
            sa.root_taken[s / 32] |= bit;
            *ret = s;
            return SYS_ERR_OK;
        }
    }
    return LIB_ERR_SLOT_ROOT_FULL;
}

/* Give back a root slot from take_root_slot (refill failed). */
static void untake_root_slot(cslot_t s)
{
    sa.root_taken[s / 32] &= ~(1u << (s % 32));
}

/* Public: a root slot for someone else's CNode (see slot_alloc.h). */
errval_t slot_alloc_root_slot(cslot_t *ret)
{
    if (!sa.initialised) {
        return LIB_ERR_SLOT_NOT_INITIALISED;
    }
    if (ret == NULL) {
        return LIB_ERR_SLOT_INIT_ARGS;
    }
    return take_root_slot(ret);
}

errval_t slot_free_root_slot(cslot_t slot)
{
    if (!sa.initialised) {
        return LIB_ERR_SLOT_NOT_INITIALISED;
    }
    if (slot < sa.first_free_root || slot >= sa.root_slots
        || !(sa.root_taken[slot / 32] & (1u << (slot % 32)))
        || sa.cnode_of_l1[slot] != NO_CNODE) {
        return LIB_ERR_SLOT_FREE_UNKNOWN;    /* not one handed out, or ours */
    }
    untake_root_slot(slot);
    return SYS_ERR_OK;
}

/*
 * Grow by one L2 CNode. Must run with sa.refilling set (callers below) so
 * that the slot_alloc calls it causes use the reserve. On failure every
 * step done is undone (root slot released, RAM freed) except RAM that
 * cannot be freed, and the error says which step failed.
 */
static errval_t refill_locked(void)
{
    cslot_t root;
    capaddr_t ram;
    gensize_t ram_size;

    if (sa.ncnodes >= SLOT_ALLOC_MAX_ROOT_SLOTS) {
        return LIB_ERR_SLOT_ROOT_FULL;
    }
    errval_t err = take_root_slot(&root);
    if (err_is_fail(err)) {
        return err;
    }
    err = sa.ops->ram_alloc_aligned(&ram, OBJSIZE_L2CNODE, OBJSIZE_L2CNODE, &ram_size);
    if (err_is_fail(err)) {
        untake_root_slot(root);
        return err_push(err, LIB_ERR_SLOT_REFILL_RAM);
    }
    err = sa.ops->retype(ram, ObjType_L2CNode, 0, OBJSIZE_L2CNODE, 1, sa.rootcn, root);
    if (err_is_fail(err)) {
        untake_root_slot(root);
        sa.ops->ram_free(ram);   /* best effort: the retype error is what matters */
        return err_push(err, LIB_ERR_SLOT_REFILL_RETYPE);
    }
    add_cnode(root, ram);
    return SYS_ERR_OK;
}

/* Public: force a refill now (not while one is running: then a no-op). */
errval_t slot_alloc_refill(void)
{
    if (!sa.initialised) {
        return LIB_ERR_SLOT_NOT_INITIALISED;
    }
    if (sa.refilling) {
        return SYS_ERR_OK;
    }
    sa.refilling = true;
    errval_t err = refill_locked();
    sa.refilling = false;
    sa.last_refill_err = err;
    return err;
}

/*
 * Hand out one free slot. Below the reserve (and not already refilling) a
 * refill runs first; its failure is remembered and only reported once no
 * slot at all is left (LIB_ERR_SLOT_ALLOC_NO_SPACE over
 * LIB_ERR_SLOT_REFILL over the cause). Finding a slot is O(1) when the hint
 * is right, else one pass over the records; inside a record, 8 words.
 */
errval_t slot_alloc(capaddr_t *ret)
{
    if (!sa.initialised) {
        return LIB_ERR_SLOT_NOT_INITIALISED;
    }
    if (ret == NULL) {
        return LIB_ERR_SLOT_INIT_ARGS;
    }
    if (sa.free < SLOT_ALLOC_RESERVE && !sa.refilling) {
        slot_alloc_refill();
    }
    if (sa.free == 0) {
        errval_t cause = sa.last_refill_err;
        if (err_is_ok(cause)) {
            return LIB_ERR_SLOT_ALLOC_NO_SPACE;
        }
        return err_push(err_push(cause, LIB_ERR_SLOT_REFILL), LIB_ERR_SLOT_ALLOC_NO_SPACE);
    }
    for (unsigned n = 0; n < sa.ncnodes; n++) {
        unsigned idx = (sa.hint + n) % sa.ncnodes;
        struct sa_cnode *c = &sa.cnodes[idx];
        if (c->free == 0) {
            continue;
        }
        for (unsigned w = 0; w < BITMAP_WORDS; w++) {
            if (c->bitmap[w] != 0) {
                unsigned bit = (unsigned)__builtin_ctz(c->bitmap[w]);
                c->bitmap[w] &= ~(1u << bit);
                c->free--;
                sa.free--;
                sa.hint = idx;
                *ret = CPTR(c->l1, w * 32 + bit);
                return SYS_ERR_OK;
            }
        }
    }
    return LIB_ERR_SLOT_ALLOC_NO_SPACE;   /* unreachable while sa.free is right */
}

/*
 * Take back a slot slot_alloc handed out. Rejects anything else without
 * changing state: root-slot addresses, stray high bits, CNodes the allocator
 * does not own (LIB_ERR_SLOT_FREE_UNKNOWN), slots already free
 * (LIB_ERR_SLOT_DOUBLE_FREE).
 */
errval_t slot_free(capaddr_t slot)
{
    if (!sa.initialised) {
        return LIB_ERR_SLOT_NOT_INITIALISED;
    }
    if ((slot & CPTR_L1_SLOT) || (slot >> 24) != 0) {
        return LIB_ERR_SLOT_FREE_UNKNOWN;
    }
    uint32_t l1 = CPTR_L1_INDEX(slot);
    if (l1 >= SLOT_ALLOC_MAX_ROOT_SLOTS || sa.cnode_of_l1[l1] == NO_CNODE) {
        return LIB_ERR_SLOT_FREE_UNKNOWN;
    }
    unsigned idx = sa.cnode_of_l1[l1];
    struct sa_cnode *c = &sa.cnodes[idx];
    uint32_t i = CPTR_L2_INDEX(slot);
    uint32_t bit = 1u << (i % 32);
    if (c->bitmap[i / 32] & bit) {
        return LIB_ERR_SLOT_DOUBLE_FREE;
    }
    c->bitmap[i / 32] |= bit;
    c->free++;
    sa.free++;
    if (idx < sa.hint) {
        sa.hint = idx;
    }
    return SYS_ERR_OK;
}

/* Take record `idx` (a grown CNode, all slots free) out: delete the
 * CNode, free its RAM and root slot; the last record moves into its place. */
static void drop_cnode(unsigned idx)
{
    struct sa_cnode *c = &sa.cnodes[idx];

    sa.ops->delete_cap(CPTR_L1_SLOT | c->l1);
    sa.ops->ram_free(c->ram);
    untake_root_slot(c->l1);
    sa.cnode_of_l1[c->l1] = NO_CNODE;
    sa.free -= L2_CNODE_SLOTS;
    sa.ncnodes--;
    if (idx != sa.ncnodes) {
        *c = sa.cnodes[sa.ncnodes];
        sa.cnode_of_l1[c->l1] = (uint16_t)idx;
    }
    sa.hint = 0;                    /* (the moved record may have free slots) */
}

unsigned slot_alloc_trim(void)
{
    unsigned n = 0;

    if (!sa.initialised || sa.refilling || sa.ops->delete_cap == NULL) {
        return 0;
    }
    for (unsigned idx = sa.ncnodes; idx-- > 0;) {
        struct sa_cnode *c = &sa.cnodes[idx];
        if (c->ram != CPTR_NULL && c->free == L2_CNODE_SLOTS
            && sa.free >= L2_CNODE_SLOTS + 2 * SLOT_ALLOC_RESERVE) {
            drop_cnode(idx);
            n++;
        }
    }
    return n;
}

/* Free slots available without a refill. */
size_t slot_alloc_free_count(void)
{
    return sa.initialised ? sa.free : 0;
}
