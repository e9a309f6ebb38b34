/*
 * L2 page tables and their shadows (struct paging_shadow), made when a
 * section is first mapped and given back when the domain no longer needs
 * them (docs/vspace.md, "Giving RAM back").
 *
 *   l2[i] ──> shadow { table cap, mapped, frame[256], owned, ram ─┐ }
 *                                                                  v
 *   st->l2_rams ──> struct l2_ram { ram cap, live bits } ──> ...
 *                   an 8 KiB RAM block carved into eight 1 KiB tables
 *
 * A table of our own (made here for the domain's own address space, not
 * a child's under construction) whose
 * pages are all unmapped is *empty*. Empty tables stay while there are
 * few of them (a section emptied and refilled does not remake its table
 * each time); above EMPTY_TABLES_KEEP, or on paging_trim_tables, every
 * empty table is deleted, its shadow freed, and a RAM block whose eight
 * tables are all gone goes back to the memory server, as long as one table
 * slot stays spare (a fault inside an RPC may need a table and cannot ask).
 *
 * Everything here runs with the paging lock held.
 */
#include "paging_types.h"
#include "frame_pool.h"
#include <aos/caps.h>
#include <aos/slot_alloc.h>
#include <aos/ram_alloc.h>
#include <string.h>

#define L2_TABLES_PER_PAGE (BASE_PAGE_SIZE / OBJSIZE_VNODE_L2)   /* a child's, from its ram_fn */
#define TABLE_BLOCK        (2 * BASE_PAGE_SIZE)                 /* our own: 8 tables a block */
#define TABLES_PER_BLOCK   (TABLE_BLOCK / OBJSIZE_VNODE_L2)
#define EMPTY_TABLES_KEEP  16

/* A RAM block carved into L2 tables (own address space only). Eight a
 * block: most domains need no second block, even with one table spare. */
struct l2_ram {
    capaddr_t ram;
    uint8_t live;                   /* bit i: the table at offset i exists */
    struct l2_ram *next;
};

size_t paging_tables_record_size(void)
{
    return sizeof(struct l2_ram);
}

/* The L2 table at offset `i` of `r`, retyped into a fresh slot. */
static errval_t retype_table(capaddr_t ram, uint32_t i, capaddr_t *table)
{
    errval_t err = slot_alloc(table);

    if (err_is_ok(err)) {
        err = cap_retype_one(ram, ObjType_VNode_L2, i * OBJSIZE_VNODE_L2, OBJSIZE_VNODE_L2,
                             *table);
        if (err_is_fail(err)) {
            slot_free(*table);
        }
    }
    return err;
}

/* A fresh table for a state with a RAM function (a child being built):
 * four per 4 KiB block, the blocks kept by whoever the function gives them to. */
static errval_t new_foreign_table(struct paging_state *st, capaddr_t *table)
{
    errval_t err;

    if (st->l2_ram == CPTR_NULL || st->l2_ram_used == L2_TABLES_PER_PAGE) {
        err = st->ram_fn(st->ram_ctx, &st->l2_ram, BASE_PAGE_SIZE);
        if (err_is_fail(err)) {
            st->l2_ram = CPTR_NULL;
            return err;
        }
        st->l2_ram_used = 0;
    }
    err = retype_table(st->l2_ram, st->l2_ram_used, table);
    if (err_is_ok(err)) {
        st->l2_ram_used++;
    }
    return err;
}

/* Table slots free in the blocks we hold. */
static uint32_t spare_tables(const struct paging_state *st)
{
    uint32_t n = 0;

    for (const struct l2_ram *r = st->l2_rams; r != NULL; r = r->next) {
        n += TABLES_PER_BLOCK - (uint32_t)__builtin_popcount(r->live);
    }
    return n;
}

/* One more block of RAM for tables, from the memory server (an RPC). */
static errval_t add_block(struct paging_state *st)
{
    struct l2_ram *r = slab_alloc(paging_tables_slab());
    errval_t err;

    if (r == NULL) {
        return LIB_ERR_PAGING_NO_METADATA;
    }
    err = ram_alloc_aligned(&r->ram, TABLE_BLOCK, BASE_PAGE_SIZE, NULL);
    if (err_is_fail(err)) {
        slab_free(paging_tables_slab(), r);
        return err;
    }
    r->live = 0;
    r->next = st->l2_rams;
    st->l2_rams = r;
    return SYS_ERR_OK;
}

/*
 * A fresh table of our own: a free offset of a block we hold. The last
 * free one is never used up without asking for the next block first: a
 * thread that faults while it is inside an RPC to init (holding the
 * channel) cannot ask, and may need a table; it takes the spare.
 */
static errval_t new_own_table(struct paging_state *st, capaddr_t *table,
                              struct l2_ram **block, uint8_t *index)
{
    struct l2_ram *r;
    errval_t err;

    if (spare_tables(st) <= 1 && paging_may_rpc()) {
        err = add_block(st);
        if (err_is_fail(err) && spare_tables(st) == 0) {
            return err;
        }
    }
    for (r = st->l2_rams; r != NULL && r->live == (1u << TABLES_PER_BLOCK) - 1; r = r->next) {
    }
    if (r == NULL) {
        return LIB_ERR_PAGING_NO_RAM;       /* inside an RPC, and the spare is gone */
    }
    *index = (uint8_t)__builtin_ctz(~(uint32_t)r->live);
    err = retype_table(r->ram, *index, table);
    if (err_is_ok(err)) {
        r->live |= 1u << *index;
        *block = r;
    }
    return err;
}

/* The table at `index` of `r` is deleted: a block with no table left goes
 * back to the memory server (if this thread may make the RPC now, and a
 * spare table stays without it). */
static void table_gone(struct paging_state *st, struct l2_ram *r, uint8_t index)
{
    struct l2_ram **pp;

    r->live &= ~(1u << index);
    if (r->live != 0 || !paging_may_rpc() || spare_tables(st) <= TABLES_PER_BLOCK) {
        return;
    }
    for (pp = &st->l2_rams; *pp != r; pp = &(*pp)->next) {
    }
    *pp = r->next;
    ram_free(r->ram);
    slab_free(paging_tables_slab(), r);
}

static errval_t new_shadow(struct paging_state *st, uint32_t index, capaddr_t table,
                           struct paging_shadow **ret)
{
    struct paging_shadow *sh = slab_alloc(paging_shadow_slab());

    if (sh == NULL) {
        return LIB_ERR_PAGING_NO_METADATA;
    }
    memset(sh, 0, sizeof(*sh));
    sh->table = table;
    st->l2[index] = sh;
    st->l2_present[index / 32] |= 1u << (index % 32);
    *ret = sh;
    return SYS_ERR_OK;
}

uint32_t paging_next_shadow(const struct paging_state *st, uint32_t from)
{
    for (uint32_t w = from / 32; w < VNODE_L1_USER_ENTRIES / 32; w++) {
        uint32_t bits = st->l2_present[w];
        if (w == from / 32) {
            bits &= ~0u << (from % 32);
        }
        if (bits != 0) {
            return w * 32 + (uint32_t)__builtin_ctz(bits);
        }
    }
    return VNODE_L1_USER_ENTRIES;
}

errval_t paging_shadow(struct paging_state *st, uint32_t index,
                       struct paging_shadow **ret)
{
    struct l2_ram *block = NULL;
    uint8_t slot = 0;
    capaddr_t table;
    errval_t err;

    if (index >= VNODE_L1_USER_ENTRIES) {
        return LIB_ERR_PAGING_BAD_RANGE;
    }
    if (st->l2[index] != NULL) {
        *ret = st->l2[index];
        return SYS_ERR_OK;
    }
    err = st->ram_fn != NULL ? new_foreign_table(st, &table)
                             : new_own_table(st, &table, &block, &slot);
    if (err_is_fail(err)) {
        return err_push(err, LIB_ERR_PAGING_L2_TABLE);
    }
    err = vnode_map(st->l1, table, index, VREGION_FLAGS_READ_WRITE | VREGION_FLAGS_EXECUTE,
                    0, 1);
    if (err_is_ok(err)) {
        err = new_shadow(st, index, table, ret);
    }
    if (err_is_fail(err)) {
        cap_delete(table);
        slot_free(table);
        if (block != NULL) {
            table_gone(st, block, slot);
        }
        return err_push(err, LIB_ERR_PAGING_L2_TABLE);
    }
    if (block != NULL) {
        (*ret)->ram = block;
        (*ret)->ram_index = slot;
        st->empty_tables++;         /* owned and, for a moment, empty */
    }
    return SYS_ERR_OK;
}

/* Delete the empty table of section `index`, and its shadow. */
static void release_table(struct paging_state *st, uint32_t index)
{
    struct paging_shadow *sh = st->l2[index];

    vnode_unmap(st->l1, sh->table);
    cap_delete(sh->table);
    slot_free(sh->table);
    table_gone(st, sh->ram, sh->ram_index);
    st->l2[index] = NULL;
    st->l2_present[index / 32] &= ~(1u << (index % 32));
    st->empty_tables--;
    slab_free(paging_shadow_slab(), sh);
}

/* Release every empty table of our own if there are more than `keep`. */
static void release_empty(struct paging_state *st, uint32_t keep)
{
    if (st->empty_tables <= keep || !paging_may_rpc()) {
        return;
    }
    for (uint32_t i = paging_next_shadow(st, 0); i < VNODE_L1_USER_ENTRIES && st->empty_tables > 0;
         i = paging_next_shadow(st, i + 1)) {
        struct paging_shadow *sh = st->l2[i];
        if (sh->ram != NULL && sh->mapped == 0) {
            release_table(st, i);
        }
    }
}

void paging_release_tables(struct paging_state *st)
{
    release_empty(st, EMPTY_TABLES_KEEP);
}

void paging_trim_tables(struct paging_state *st)
{
    struct l2_ram **pp = &st->l2_rams;

    release_empty(st, 0);
    while (*pp != NULL && paging_may_rpc()) {      /* blocks left over while in an RPC */
        struct l2_ram *r = *pp;
        if (r->live == 0 && spare_tables(st) > TABLES_PER_BLOCK) {
            *pp = r->next;
            ram_free(r->ram);
            slab_free(paging_tables_slab(), r);
        } else {
            pp = &r->next;
        }
    }
}

errval_t paging_map_page(struct paging_state *st, lvaddr_t vaddr, capaddr_t frame,
                         uint32_t flags)
{
    struct paging_shadow *sh;
    errval_t err = paging_shadow(st, L1_INDEX(vaddr), &sh);

    if (err_is_ok(err)) {
        err = vnode_map(sh->table, frame, L2_INDEX(vaddr), flags, 0, 1);
    }
    if (err_is_ok(err)) {
        sh->frame[L2_INDEX(vaddr)] = frame;
        paging_shadow_count(st, sh, 1);
    }
    return err;
}
