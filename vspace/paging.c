/*
 * The domain's own address space and the address spaces it builds for
 * others (spawn): reserving virtual space, creating L2 tables on demand,
 * mapping frames and unmapping them again. See vspace/paging_types.h.
 *
 * Invariants:
 *  - st->l2[i] != 0 exactly when L1 entry i holds an L2 table we know of.
 *  - every mapping made here has a struct paging_mapping whose pieces
 *    name each (cap, table) pair the kernel holds for it, so unmap can
 *    undo exactly what map did.
 *  - metadata comes from two slabs; each call ends with a refill check so
 *    the next call finds at least SLAB_REFILL_THRESHOLD free objects. A
 *    refill maps a frame through this very code, which needs one mapping
 *    and at most two pieces: the reserve covers it, and the slab's own
 *    `refilling` flag stops a refill from starting another one.
 *
 * Lock order: none yet (one thread per domain uses it until the threads
 * milestone adds a per-state mutex).
 */
#include "paging_types.h"
#include <aos/caps.h>
#include <aos/slot_alloc.h>
#include <aos/ram_alloc.h>
#include <autarky/layout.h>
#include <autarky/bootinfo.h>
#include <string.h>

#define L1_INDEX(va)   ((va) >> 20)
#define L2_INDEX(va)   (((va) >> 12) & 0xffu)
#define L2_TABLES_PER_PAGE (BASE_PAGE_SIZE / OBJSIZE_VNODE_L2)

/* The domain's own state ("current", as the assignment names it). */
static struct paging_state current;
/* Bootstrap memory for the first slab objects (documented in
 * docs/memory.md): the only static pool; refills come from frames. */
static char paging_bootstrap[2][BASE_PAGE_SIZE] __attribute__((aligned(8)));
static struct slab_allocator mapping_slab, piece_slab;
static bool slabs_ready;

struct paging_state *get_current_paging_state(void)
{
    return &current;
}

errval_t paging_init_state(struct paging_state *st, capaddr_t l1,
                           lvaddr_t base, lvaddr_t limit)
{
    if (base % SECTION_SIZE != 0 || limit > USER_TOP || base >= limit) {
        return LIB_ERR_PAGING_BAD_RANGE;
    }
    memset(st->l2, 0, sizeof(st->l2));
    st->l1 = l1;
    st->ram_fn = NULL;
    st->ram_ctx = NULL;
    st->next = base;
    st->limit = limit;
    st->mappings = NULL;
    st->l2_ram = CPTR_NULL;
    st->l2_ram_used = 0;
    if (!slabs_ready) {
        slab_init(&mapping_slab, sizeof(struct paging_mapping), NULL);
        slab_init(&piece_slab, sizeof(struct paging_piece), NULL);
        slab_grow(&mapping_slab, paging_bootstrap[0], BASE_PAGE_SIZE);
        slab_grow(&piece_slab, paging_bootstrap[1], BASE_PAGE_SIZE);
        slabs_ready = true;
    }
    st->mapping_slab = &mapping_slab;
    st->piece_slab = &piece_slab;
    return SYS_ERR_OK;
}

void paging_adopt_l2(struct paging_state *st, uint32_t index, capaddr_t table)
{
    if (index < VNODE_L1_USER_ENTRIES) {
        st->l2[index] = table;
    }
}

/* The domain's own state: its L1 is in PAGECN slot 0 (init and children). */
errval_t paging_init(void)
{
    return paging_init_state(&current, CAP_VNODE_L1, VSPACE_ALLOC_BASE,
                             VSPACE_ALLOC_LIMIT);
}

errval_t paging_alloc(struct paging_state *st, void **buf, size_t bytes,
                      size_t alignment)
{
    lvaddr_t va;

    if (bytes == 0 || alignment == 0 || (alignment & (alignment - 1)) != 0) {
        return LIB_ERR_PAGING_BAD_ARGS;
    }
    if (alignment < BASE_PAGE_SIZE) {
        alignment = BASE_PAGE_SIZE;
    }
    bytes = (bytes + BASE_PAGE_SIZE - 1) & ~(size_t)(BASE_PAGE_SIZE - 1);
    va = (st->next + alignment - 1) & ~(lvaddr_t)(alignment - 1);
    if (va < st->next || va > st->limit || st->limit - va < bytes) {
        return LIB_ERR_PAGING_NO_VSPACE;
    }
    st->next = va + bytes;
    *buf = (void *)va;
    return SYS_ERR_OK;
}

/* A fresh L2 table object: four per 4 KiB of RAM. */
static errval_t new_l2_table(struct paging_state *st, capaddr_t *table)
{
    errval_t err;
    gensize_t got;

    if (st->l2_ram == CPTR_NULL || st->l2_ram_used == L2_TABLES_PER_PAGE) {
        capaddr_t ram;
        err = st->ram_fn != NULL ? st->ram_fn(st->ram_ctx, &ram, BASE_PAGE_SIZE)
                                 : ram_alloc_aligned(&ram, BASE_PAGE_SIZE,
                                                     BASE_PAGE_SIZE, &got);
        if (err_is_fail(err)) {
            return err_push(err, LIB_ERR_PAGING_L2_TABLE);
        }
        /* The old RAM cap only parents tables now: drop our handle
         * (a ram_fn keeps its own). */
        if (st->l2_ram != CPTR_NULL && st->ram_fn == NULL) {
            cap_delete(st->l2_ram);
            slot_free(st->l2_ram);
        }
        st->l2_ram = ram;
        st->l2_ram_used = 0;
    }
    err = slot_alloc(table);
    if (err_is_fail(err)) {
        return err_push(err, LIB_ERR_PAGING_L2_TABLE);
    }
    err = cap_retype_one(st->l2_ram, ObjType_VNode_L2,
                         st->l2_ram_used * OBJSIZE_VNODE_L2, OBJSIZE_VNODE_L2,
                         *table);
    if (err_is_fail(err)) {
        slot_free(*table);
        return err_push(err, LIB_ERR_PAGING_L2_TABLE);
    }
    st->l2_ram_used++;
    return SYS_ERR_OK;
}

/* The L2 table covering L1 entry `index`, created and mapped if needed. */
static errval_t l2_table(struct paging_state *st, uint32_t index, capaddr_t *ret)
{
    capaddr_t table;
    errval_t err;

    if (index >= VNODE_L1_USER_ENTRIES) {
        return LIB_ERR_PAGING_BAD_RANGE;
    }
    if (st->l2[index] != CPTR_NULL) {
        *ret = st->l2[index];
        return SYS_ERR_OK;
    }
    err = new_l2_table(st, &table);
    if (err_is_fail(err)) {
        return err;
    }
    err = vnode_map(st->l1, table, index,
                    VREGION_FLAGS_READ_WRITE | VREGION_FLAGS_EXECUTE, 0, 1);
    if (err_is_fail(err)) {
        cap_delete(table);
        slot_free(table);
        return err_push(err, LIB_ERR_PAGING_L2_TABLE);
    }
    st->l2[index] = table;
    *ret = table;
    return SYS_ERR_OK;
}

/* Undo the pieces of a mapping (all of them, or those made so far). */
static void unmap_pieces(struct paging_state *st, struct paging_piece *p)
{
    while (p != NULL) {
        struct paging_piece *next = p->next;
        vnode_unmap(p->table, p->cap);
        if (p->owned_copy) {
            cap_delete(p->cap);
            slot_free(p->cap);
        }
        slab_free(st->piece_slab, p);
        p = next;
    }
}

/* Map one piece: `pages` pages of `frame` from page `offset`, at `va`,
 * within one L2 table. The first piece maps the frame cap itself. */
static errval_t map_piece(struct paging_state *st, struct paging_mapping *m,
                          capaddr_t frame, bool first, lvaddr_t va,
                          uint32_t offset, uint32_t pages, uint32_t flags)
{
    struct paging_piece *p = slab_alloc(st->piece_slab);
    capaddr_t table, cap = frame;
    errval_t err;

    if (p == NULL) {
        return LIB_ERR_PAGING_NO_METADATA;
    }
    err = l2_table(st, L1_INDEX(va), &table);
    if (err_is_ok(err) && !first) {
        err = slot_alloc(&cap);
        if (err_is_ok(err)) {
            err = cap_copy_to(cap, frame);
            if (err_is_fail(err)) {
                slot_free(cap);
            }
        }
    }
    if (err_is_ok(err)) {
        err = vnode_map(table, cap, L2_INDEX(va), flags, offset, pages);
        if (err_is_fail(err) && !first) {
            cap_delete(cap);
            slot_free(cap);
        }
    }
    if (err_is_fail(err)) {
        slab_free(st->piece_slab, p);
        return err;
    }
    *p = (struct paging_piece){ cap, table, !first, m->pieces };
    m->pieces = p;
    return SYS_ERR_OK;
}

errval_t paging_map_fixed(struct paging_state *st, lvaddr_t vaddr,
                          capaddr_t frame, size_t bytes, uint32_t flags)
{
    struct paging_mapping *m;
    uint32_t offset = 0, total;
    lvaddr_t va = vaddr;
    errval_t err = SYS_ERR_OK;

    if (vaddr % BASE_PAGE_SIZE != 0 || bytes == 0 || vaddr + bytes < vaddr
        || vaddr + bytes > USER_TOP || (flags & ~VREGION_FLAGS_MASK) != 0) {
        return LIB_ERR_PAGING_BAD_ARGS;
    }
    total = (bytes + BASE_PAGE_SIZE - 1) / BASE_PAGE_SIZE;
    m = slab_alloc(st->mapping_slab);
    if (m == NULL) {
        return LIB_ERR_PAGING_NO_METADATA;
    }
    *m = (struct paging_mapping){ vaddr, bytes, NULL, NULL };
    while (offset < total) {
        uint32_t room = VNODE_L2_ENTRIES - L2_INDEX(va);
        uint32_t pages = total - offset < room ? total - offset : room;
        err = map_piece(st, m, frame, offset == 0, va, offset, pages, flags);
        if (err_is_fail(err)) {
            break;
        }
        offset += pages;
        va += pages * BASE_PAGE_SIZE;
    }
    if (err_is_fail(err)) {
        unmap_pieces(st, m->pieces);
        slab_free(st->mapping_slab, m);
        return err_push(err, LIB_ERR_PAGING_MAP);
    }
    m->next = st->mappings;
    st->mappings = m;
    slab_refill_check(st->mapping_slab);
    slab_refill_check(st->piece_slab);
    return SYS_ERR_OK;
}

errval_t paging_map_frame(struct paging_state *st, void **buf, size_t bytes,
                          capaddr_t frame, uint32_t flags)
{
    errval_t err = paging_alloc(st, buf, bytes, BASE_PAGE_SIZE);
    if (err_is_fail(err)) {
        return err;
    }
    return paging_map_fixed(st, (lvaddr_t)*buf, frame, bytes, flags);
}

/*
 * Remove the mapping that starts at `vaddr`. The frame cap passed to the
 * map call stays with the caller (unmapped); copies we made are deleted.
 * The virtual range is not reused until the buddy allocator (issue 4).
 */
errval_t paging_unmap(struct paging_state *st, const void *vaddr)
{
    struct paging_mapping **pp = &st->mappings;

    for (; *pp != NULL; pp = &(*pp)->next) {
        if ((*pp)->vaddr == (lvaddr_t)vaddr) {
            struct paging_mapping *m = *pp;
            *pp = m->next;
            unmap_pieces(st, m->pieces);
            slab_free(st->mapping_slab, m);
            return SYS_ERR_OK;
        }
    }
    return LIB_ERR_PAGING_NOT_MAPPED;
}

void paging_state_forget(struct paging_state *st)
{
    while (st->mappings != NULL) {
        struct paging_mapping *m = st->mappings;
        st->mappings = m->next;
        while (m->pieces != NULL) {
            struct paging_piece *p = m->pieces;
            m->pieces = p->next;
            if (p->owned_copy) {
                slot_free(p->cap);
            }
            slab_free(st->piece_slab, p);
        }
        slab_free(st->mapping_slab, m);
    }
    for (uint32_t i = 0; i < VNODE_L1_USER_ENTRIES; i++) {
        if (st->l2[i] != CPTR_NULL) {
            slot_free(st->l2[i]);
            st->l2[i] = CPTR_NULL;
        }
    }
    if (st->l2_ram != CPTR_NULL && st->ram_fn == NULL) {
        slot_free(st->l2_ram);
    }
    st->l2_ram = CPTR_NULL;
}
