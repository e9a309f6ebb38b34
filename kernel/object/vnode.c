/*
 * VNode objects (ARMv7 page tables) and mapping.
 *
 *   VNode_L1 (16 KiB, 4096 entries; user may use the first 2048)
 *       entry -> VNode_L2 (1 KiB, 256 entries)
 *                    entry -> one 4 KiB page of a Frame or DevFrame
 *
 * A mapping belongs to the capability that made it: the mapped capability
 * records (table cap, first entry, count, page offset) and is linked into
 * the table capability's list, so deleting either side removes the
 * mapping in O(entries). To map an object twice, map two copies.
 *
 * After changing entries we make them visible to the table walker
 * (arch_pte_sync) and flush stale translations: page by page when the
 * virtual address is known (the L2 table is itself mapped into an L1),
 * otherwise the whole TLB.
 */
#include <kernel/vnode.h>
#include <kernel/mdb.h>
#include <kernel/objtype.h>
#include <kernel/arch.h>
#include <arch/memory.h>
#include <arch/pte.h>

#define FLUSH_PAGES_MAX 16   /* beyond this a full TLB flush is cheaper */
#define VREGION_FLAGS_RWX \
    (VREGION_FLAGS_READ | VREGION_FLAGS_WRITE | VREGION_FLAGS_EXECUTE)

static pte_t *vnode_entries(const struct cte *table)
{
    return pa_to_kva(table->cap.base);
}

/* Entries of a table (also of a dying one: a zombie keeps its type in
 * cap.flags). */
static uint32_t vnode_num_entries(const struct cte *table)
{
    enum objtype t = table->cap.type == ObjType_Zombie ? table->cap.flags : table->cap.type;

    return t == ObjType_VNode_L1 ? VNODE_L1_ENTRIES : VNODE_L2_ENTRIES;
}

/* Put the mapped cap `m` at the front of `table`'s list of mappings. */
static void maplist_link(struct cte *table, struct cte *m)
{
    struct cte *head = cte_from_ref(table->mapped_head);

    m->map_vnode = cte_to_ref(table);
    m->map_prev = 0;
    m->map_next = table->mapped_head;
    if (head != NULL) {
        head->map_prev = cte_to_ref(m);
    }
    table->mapped_head = cte_to_ref(m);
}

/* Take `m` off its table's list (m->map_vnode stays for the caller). */
static void maplist_unlink(struct cte *m)
{
    struct cte *table = cte_from_ref(m->map_vnode);
    struct cte *prev = cte_from_ref(m->map_prev);
    struct cte *next = cte_from_ref(m->map_next);

    if (prev != NULL) {
        prev->map_next = m->map_next;
    } else {
        table->mapped_head = m->map_next;
    }
    if (next != NULL) {
        next->map_prev = m->map_prev;
    }
    m->map_prev = m->map_next = 0;
}

/*
 * The L1 entry through which the L2 table `table` (or a copy of it) is
 * mapped. A table is mapped at most once (map_check_table_alone), so the
 * answer is unique; to keep this O(1) we only look at the nearest
 * L2_MAPPER_SEARCH copies on each side of `table` and answer false (the
 * caller then flushes the whole TLB, always correct) when the mapped copy
 * is further away or the table is not mapped at all.
 */
#define L2_MAPPER_SEARCH 8

static bool l2_table_l1_entry(struct cte *table, uint32_t *l1_entry)
{
    struct cte *c = table;

    if (table->cap.type != ObjType_VNode_L2) {
        return false;
    }
    for (int i = 0; i <= L2_MAPPER_SEARCH && c != NULL && cap_is_copy(&c->cap, &table->cap);
         i++, c = mdb_next(c)) {
        if (c->map_vnode != 0) {
            *l1_entry = c->map_entry;
            return true;
        }
    }
    c = mdb_prev(table);
    for (int i = 0; i < L2_MAPPER_SEARCH && c != NULL && cap_is_copy(&c->cap, &table->cap);
         i++, c = mdb_prev(c)) {
        if (c->map_vnode != 0) {
            *l1_entry = c->map_entry;
            return true;
        }
    }
    return false;
}

/* Publish changed entries [entry, entry + count) of `table` and flush. */
static void vnode_entries_changed(struct cte *table, uint32_t entry, uint32_t count)
{
    uint32_t l1_entry;

    arch_pte_sync(vnode_entries(table) + entry, count * sizeof(pte_t));
    if (count <= FLUSH_PAGES_MAX && l2_table_l1_entry(table, &l1_entry)) {
        for (uint32_t i = 0; i < count; i++) {
            arch_tlb_flush_page(ARM_VA(l1_entry, entry + i));
        }
    } else {
        arch_tlb_flush_all();
    }
}

/* Clear the entries of the mapping `m` made, unlink and forget it; the
 * caller makes the change visible (vnode_entries_changed). */
static void mapping_forget(struct cte *m)
{
    pte_t *e = vnode_entries(cte_from_ref(m->map_vnode));

    for (uint32_t i = 0; i < m->map_count; i++) {
        e[m->map_entry + i] = 0;
    }
    maplist_unlink(m);
    m->map_vnode = 0;
    m->map_entry = m->map_count = 0;
    m->map_offset = 0;
}

/* Remove the mapping `m` made: clear its entries, flush, forget it. */
static void mapping_remove(struct cte *m)
{
    struct cte *table = cte_from_ref(m->map_vnode);
    uint32_t entry = m->map_entry, count = m->map_count;

    mapping_forget(m);
    vnode_entries_changed(table, entry, count);
}

/*
 * Write the entries of the frame mapping `m` with `flags`. A RAM frame
 * mapped uncached is first cleaned from the data cache: the kernel zeroed
 * it through its cached direct map, and an uncached reader must see those
 * zeroes, not what a previous owner left in RAM (safety rule 2).
 */
static void frame_write_entries(struct cte *table, struct cte *m, uint32_t flags)
{
    pte_t *e = vnode_entries(table);
    bool device = m->cap.type == ObjType_DevFrame;

    if (!device && (flags & VREGION_FLAGS_NOCACHE)) {
        arch_cache_clean_range(pa_to_kva(m->cap.base + m->map_offset * BASE_PAGE_SIZE),
                               m->map_count * BASE_PAGE_SIZE);
    }

    for (uint32_t i = 0; i < m->map_count; i++) {
        lpaddr_t pa = m->cap.base + (m->map_offset + i) * BASE_PAGE_SIZE;
        e[m->map_entry + i] = pte_l2_user_page(pa, flags, device);
    }
    vnode_entries_changed(table, m->map_entry, m->map_count);
}

/* Flags: known bits, within the cap's rights, and encodable for a page. */
static errval_t map_check_flags(const struct cte *src, uint32_t flags)
{
    if (flags & ~VREGION_FLAGS_MASK) {
        return SYS_ERR_MAP_FLAGS;
    }
    if ((flags & VREGION_FLAGS_RWX) & ~(uint32_t)src->cap.rights) {
        return SYS_ERR_MAP_RIGHTS;   /* READ/WRITE/EXECUTE == CAP_RIGHT_* */
    }
    if (objtype_is_frame(src->cap.type) && !pte_user_flags_valid(flags)) {
        return SYS_ERR_MAP_FLAGS;
    }
    return SYS_ERR_OK;
}

/* Table cap, source cap and their types (common to map/unmap/modify). */
static errval_t map_check_caps(const struct cte *table, const struct cte *src)
{
    if (!objtype_is_vnode(table->cap.type)) {
        return SYS_ERR_WRONG_CAP_TYPE;
    }
    if (cte_is_empty(src)) {
        return SYS_ERR_SLOT_EMPTY;
    }
    if (!(table->cap.rights & CAP_RIGHT_WRITE)) {
        return SYS_ERR_NO_RIGHTS;
    }
    return SYS_ERR_OK;
}

/* Entry range, frame range and free entries for a new mapping. */
static errval_t map_check_range(const struct cte *table, const struct cte *src,
                                uint32_t entry, uint32_t offset, uint32_t count)
{
    const pte_t *e = vnode_entries(table);
    uint64_t end = (uint64_t)entry + count;

    if (end > vnode_num_entries(table)) {
        return SYS_ERR_VNODE_INDEX;
    }
    if (table->cap.type == ObjType_VNode_L1 && end > VNODE_L1_USER_ENTRIES) {
        return SYS_ERR_VNODE_KERNEL_RANGE;
    }
    if (objtype_is_frame(src->cap.type)
        && (count == 0 || (uint64_t)offset + count > src->cap.size / BASE_PAGE_SIZE)) {
        return SYS_ERR_FRAME_OFFSET;
    }
    for (uint32_t i = 0; i < count; i++) {
        if (e[entry + i] != 0) {
            return SYS_ERR_VNODE_SLOT_INUSE;
        }
    }
    return SYS_ERR_OK;
}

/* Everything vnode_map checks, in order; changes nothing. */
static errval_t map_check(const struct cte *table, const struct cte *src,
                          uint32_t entry, uint32_t flags, uint32_t offset,
                          uint32_t count)
{
    errval_t err = map_check_caps(table, src);
    bool l1 = table->cap.type == ObjType_VNode_L1;

    if (err_is_fail(err)) {
        return err;
    }
    if (l1 ? src->cap.type != ObjType_VNode_L2 : !objtype_is_frame(src->cap.type)) {
        return SYS_ERR_VNODE_TYPE_MISMATCH;
    }
    err = map_check_flags(src, flags);
    if (err_is_fail(err)) {
        return err;
    }
    if (l1 && (count != 1 || offset != 0)) {
        return SYS_ERR_VNODE_TABLE_ARGS;
    }
    if (src->map_vnode != 0) {
        return SYS_ERR_ALREADY_MAPPED;
    }
    if (l1 && mdb_any_other_copy(src) != NULL) {
        /* Safety rule "one table, one mapping" (docs/safety.md): only a
         * table's single capability maps it, so no copy can map it again
         * at a second L1 entry whose TLB entries nobody would flush. */
        return SYS_ERR_VNODE_TABLE_SHARED;
    }
    return map_check_range(table, src, entry, offset, count);
}

errval_t vnode_map(struct cte *vnode, struct cte *src, uint32_t entry,
                   uint32_t flags, uint32_t offset, uint32_t count)
{
    errval_t err = map_check(vnode, src, entry, flags, offset, count);

    if (err_is_fail(err)) {
        return err;
    }
    src->map_entry = entry;
    src->map_count = count;
    src->map_offset = offset;
    maplist_link(vnode, src);
    if (vnode->cap.type == ObjType_VNode_L1) {
        vnode_entries(vnode)[entry] = pte_l1_table(src->cap.base);
        vnode_entries_changed(vnode, entry, 1);
    } else {
        frame_write_entries(vnode, src, flags);
    }
    return SYS_ERR_OK;
}

/* `src` is mapped, and through `vnode` or a copy of it. */
static errval_t mapped_here(const struct cte *vnode, const struct cte *src)
{
    if (src->map_vnode == 0) {
        return SYS_ERR_NOT_MAPPED;
    }
    if (!cap_is_copy(&cte_from_ref(src->map_vnode)->cap, &vnode->cap)) {
        return SYS_ERR_MAPPED_ELSEWHERE;
    }
    return SYS_ERR_OK;
}

errval_t vnode_unmap(struct cte *vnode, struct cte *src)
{
    errval_t err = map_check_caps(vnode, src);

    if (err_is_ok(err)) {
        err = mapped_here(vnode, src);
    }
    if (err_is_fail(err)) {
        return err;
    }
    mapping_remove(src);
    return SYS_ERR_OK;
}

errval_t vnode_modify(struct cte *vnode, struct cte *src, uint32_t flags)
{
    errval_t err = map_check_caps(vnode, src);

    if (err_is_ok(err)) {
        err = mapped_here(vnode, src);
    }
    if (err_is_ok(err) && !objtype_is_frame(src->cap.type)) {
        err = SYS_ERR_VNODE_TABLE_ARGS;   /* L1 entries have no rights to modify */
    }
    if (err_is_ok(err)) {
        err = map_check_flags(src, flags);
    }
    if (err_is_fail(err)) {
        return err;
    }
    frame_write_entries(cte_from_ref(src->map_vnode), src, flags);
    return SYS_ERR_OK;
}

/*
 * A table's last capability goes: clear what was mapped through it (at
 * most 2,048 L1 or 256 L2 mappings) and flush once, not per mapping.
 */
static void table_unmap_all(struct cte *table)
{
    struct cte *m;

    while ((m = cte_from_ref(table->mapped_head)) != NULL) {
        mapping_forget(m);
    }
    vnode_entries_changed(table, 0, vnode_num_entries(table));
}

/* Mappings forgotten per step of a dying L1 table (kernel/cap/delete.c). */
#define FORGET_PER_STEP 128

bool vnode_forget_some(struct cte *table)
{
    struct cte *m;
    uint32_t n = 0;

    while (n < FORGET_PER_STEP && (m = cte_from_ref(table->mapped_head)) != NULL) {
        mapping_forget(m);
        n++;
    }
    if (n > 0) {
        vnode_entries_changed(table, 0, vnode_num_entries(table));
    }
    return n > 0;
}

void vnode_cap_deleting(struct cte *cte)
{
    if (objtype_is_vnode(cte->cap.type) && cte->mapped_head != 0) {
        struct cte *heir = mdb_any_other_copy(cte);
        struct cte *m;
        if (heir == NULL) {
            table_unmap_all(cte);
        }
        while ((m = cte_from_ref(cte->mapped_head)) != NULL) {
            maplist_unlink(m);
            maplist_link(heir, m);       /* the table lives on: keep the entries */
        }
    }
    if (cte->map_vnode != 0) {
        mapping_remove(cte);
    }
}
