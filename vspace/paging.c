/*
 * A domain's address space: reserving virtual ranges in the buddy
 * allocator, L2 tables and their shadows, explicit mappings. The fault
 * handler that fills HEAP and STACK blocks lazily is in vspace/fault.c;
 * the picture is in docs/vspace.md.
 *
 * Invariants (under st->lock):
 *  - st->l2[i] != NULL exactly when L1 entry i holds an L2 table we know;
 *    shadow->frame[j] says what backs page j: 0 nothing, a frame cap of
 *    ours (lazily mapped page), or PAGING_FRAME_FOREIGN (an explicit
 *    mapping's piece).
 *  - every explicit mapping made here has a record on `mappings` naming
 *    each (cap, table) pair the kernel holds for it.
 *  - metadata comes from four slabs shared by all states of this domain;
 *    each keeps a reserve (refill_threshold) large enough for one whole
 *    operation *and* the refill it may trigger, which maps one frame
 *    through this code; the refill runs under the (recursive) lock with
 *    the slab's `refilling` flag set, so it can never start a second one.
 */
#include "paging_types.h"
#include <aos/caps.h>
#include <aos/slot_alloc.h>
#include <aos/ram_alloc.h>
#include <autarky/layout.h>
#include <autarky/bootinfo.h>
#include <string.h>
#include <aos/dispatch.h>

/* The domain's own state ("current", as the assignment names it). */
static struct paging_state current;

/* Slabs for all states' metadata, and their bootstrap memory: the only
 * static pool (docs/vspace.md); every later page comes from a frame. */
static struct slab_allocator node_slab, mapping_slab, piece_slab, shadow_slab, l2ram_slab;
static char bootstrap_nodes[2 * BASE_PAGE_SIZE] __attribute__((aligned(8)));
static char bootstrap_shadows[2 * BASE_PAGE_SIZE] __attribute__((aligned(8)));
static char bootstrap_small[2][BASE_PAGE_SIZE] __attribute__((aligned(8)));
static char bootstrap_l2ram[512] __attribute__((aligned(8)));
static bool slabs_ready;

/* Explicit mappings of all states (rare: start-up, slabs, spawn). */
struct mapping_link {
    struct paging_state *st;
    struct paging_mapping m;
    struct mapping_link *next;
};
static struct mapping_link *mappings;

struct paging_state *get_current_paging_state(void)
{
    return &current;
}

struct slab_allocator *paging_shadow_slab(void)
{
    return &shadow_slab;
}

struct slab_allocator *paging_tables_slab(void)
{
    return &l2ram_slab;
}

/* ---- locking ---- */

static void rmutex_init(struct recursive_mutex *r)
{
    thread_mutex_init(&r->m);
    r->owner = NULL;
    r->depth = 0;
}

void paging_lock(struct paging_state *st)
{
    struct thread *me = thread_self();

    if (st->lock.depth > 0 && st->lock.owner == me) {
        st->lock.depth++;
        return;
    }
    thread_mutex_lock(&st->lock.m);
    st->lock.owner = me;
    st->lock.depth = 1;
}

void paging_unlock(struct paging_state *st)
{
    if (--st->lock.depth == 0) {
        st->lock.owner = NULL;
        thread_mutex_unlock(&st->lock.m);
    }
}

/* slab_refill_check, with its common answer (enough left) inline: every
 * fault ends in paging_refill_slabs. */
static inline void refill_if_low(struct slab_allocator *s)
{
    if (s->free_count < s->refill_threshold) {
        slab_refill_check(s);
    }
}

/* Refill every slab that runs low (lock held, so refills are serialised). */
void paging_refill_slabs(void)
{
    refill_if_low(&node_slab);
    refill_if_low(&shadow_slab);
    refill_if_low(&mapping_slab);
    refill_if_low(&piece_slab);
    refill_if_low(&l2ram_slab);
}

slab_refill_fn paging_slab_refill_fn(void);

/* A metadata slab's page block goes back (slab_reclaim's release). */
static void release_slab_block(void *buf, size_t bytes)
{
    (void)bytes;
    paging_free_eager(&current, buf);
}

/* Give back metadata pages whose objects are all free (lock held; after
 * operations that free metadata, not on the fault path); `trim`: keep
 * only the reserve each slab needs (malloc_trim). */
void paging_reclaim_slabs(bool trim)
{
    static bool running;
    struct slab_allocator *all[] = { &node_slab, &shadow_slab, &mapping_slab, &piece_slab,
                                     &l2ram_slab, paging_chunk_slab(false),
                                     paging_chunk_slab(true) };

    if (running || !slabs_ready) {
        return;
    }
    running = true;
    for (unsigned i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
        slab_reclaim(all[i], release_slab_block, trim);
    }
    running = false;
}

static void slabs_init(void)
{
    slab_refill_fn refill = paging_slab_refill_fn();

    slab_init(&node_slab, sizeof(struct buddy_node), refill);
    slab_grow(&node_slab, bootstrap_nodes, sizeof(bootstrap_nodes));
    node_slab.refill_threshold = BUDDY_NODES_RESERVE;
    slab_init(&shadow_slab, sizeof(struct paging_shadow), refill);
    slab_grow(&shadow_slab, bootstrap_shadows, sizeof(bootstrap_shadows));
    shadow_slab.refill_threshold = 3;
    slab_init(&mapping_slab, sizeof(struct mapping_link), refill);
    slab_grow(&mapping_slab, bootstrap_small[0], BASE_PAGE_SIZE);
    slab_init(&piece_slab, sizeof(struct paging_piece), refill);
    slab_grow(&piece_slab, bootstrap_small[1], BASE_PAGE_SIZE);
    slab_init(&l2ram_slab, paging_tables_record_size(), refill);
    slab_grow(&l2ram_slab, bootstrap_l2ram, sizeof(bootstrap_l2ram));
    l2ram_slab.refill_threshold = 4;
    slabs_ready = true;
}

errval_t paging_init_state(struct paging_state *st, capaddr_t l1)
{
    errval_t err;

    if (!slabs_ready) {
        slabs_init();
    }
    memset(st, 0, sizeof(*st));
    st->l1 = l1;
    rmutex_init(&st->lock);
    err = buddy_init(&st->buddy, 0, BUDDY_MAX_ORDER, &node_slab);
    if (err_is_ok(err)) {
        err = paging_reserve(st, 0, USER_NULL_GUARD_SIZE, BUDDY_TAG_GUARD);
    }
    return err;
}

errval_t paging_reserve(struct paging_state *st, lvaddr_t base, size_t bytes,
                        enum buddy_tag tag)
{
    errval_t err;

    paging_lock(st);
    err = buddy_alloc_at(&st->buddy, base, bytes, tag, NULL);
    paging_refill_slabs();
    paging_unlock(st);
    return err;
}

/* Reserve `bytes` (any tag but GUARD) anywhere; caller holds the lock. */
static errval_t reserve_any(struct paging_state *st, size_t bytes, size_t alignment,
                            enum buddy_tag tag, lvaddr_t *ret)
{
    size_t got;
    errval_t err = buddy_alloc(&st->buddy, bytes, alignment, tag, ret, &got);

    return err_is_fail(err) ? err_push(err, LIB_ERR_PAGING_NO_VSPACE) : err;
}

/* paging_alloc: a HEAP block that fills itself on first touch. */
errval_t paging_alloc(struct paging_state *st, void **buf, size_t bytes,
                      size_t alignment)
{
    lvaddr_t va;
    errval_t err;

    if (bytes == 0 || (alignment & (alignment - 1)) != 0) {
        return LIB_ERR_PAGING_BAD_ARGS;
    }
    paging_lock(st);
    err = reserve_any(st, bytes, alignment, BUDDY_TAG_HEAP, &va);
    paging_refill_slabs();
    paging_unlock(st);
    if (err_is_ok(err)) {
        *buf = (void *)(uintptr_t)va;
    }
    return err;
}

/*
 * Give back the block starting at `base` if it carries one of the tags in
 * `tags` (a bit per enum buddy_tag): unmap its pool pages (counted as
 * eager for FIXED blocks), free it, and with `guard` also the GUARD block
 * of the same size directly below (a stack's).
 */
errval_t paging_free_block(struct paging_state *st, lvaddr_t base, uint32_t tags,
                           bool guard)
{
    struct buddy_block b;
    errval_t err;

    paging_lock(st);
    err = buddy_lookup(&st->buddy, base, &b);
    if (err_is_ok(err) && (b.base != base || !(tags & (1u << b.tag)))) {
        err = LIB_ERR_PAGING_NOT_MAPPED;
    }
    if (err_is_ok(err)) {
        paging_unmap_lazy(st, b.base, b.size, b.tag == BUDDY_TAG_FIXED);
        err = buddy_free(&st->buddy, b.base);
        if (err_is_ok(err) && guard) {
            err = buddy_free(&st->buddy, b.base - b.size);
        }
    }
    paging_refill_slabs();
    if (st == &current) {
        paging_reclaim_slabs(false);
    }
    paging_unlock(st);
    return err;
}

/* Give back a block from paging_alloc (its lazily mapped pages too). */
errval_t paging_free(struct paging_state *st, void *buf)
{
    return paging_free_block(st, (lvaddr_t)(uintptr_t)buf,
                             (1u << BUDDY_TAG_HEAP) | (1u << BUDDY_TAG_STACK), false);
}

/* ---- explicit mappings ---- */

/* Undo the pieces of a mapping (all of them, or those made so far). */
static void unmap_pieces(struct paging_state *st, struct paging_piece *p)
{
    (void)st;
    while (p != NULL) {
        struct paging_piece *next = p->next;
        vnode_unmap(p->table, p->cap);
        if (p->owned_copy) {
            cap_delete(p->cap);
            slot_free(p->cap);
        }
        slab_free(&piece_slab, p);
        p = next;
    }
}

/* Mark [va, va + pages pages) in the shadows as foreign-mapped or unmapped. */
static void shadow_mark(struct paging_state *st, lvaddr_t va, uint32_t pages, bool mapped)
{
    for (uint32_t i = 0; i < pages; i++, va += BASE_PAGE_SIZE) {
        struct paging_shadow *sh = st->l2[L1_INDEX(va)];
        if (sh != NULL) {
            sh->frame[L2_INDEX(va)] = mapped ? PAGING_FRAME_FOREIGN : 0;
            paging_shadow_count(st, sh, mapped ? 1 : -1);
        }
    }
}

/* Map one piece: `pages` pages of `frame` from page `offset`, at `va`,
 * within one L2 table. The first piece maps the frame cap itself. */
static errval_t map_piece(struct paging_state *st, struct paging_mapping *m,
                          capaddr_t frame, bool first, lvaddr_t va,
                          uint32_t offset, uint32_t pages, uint32_t flags)
{
    struct paging_piece *p = slab_alloc(&piece_slab);
    struct paging_shadow *sh;
    capaddr_t cap = frame;
    errval_t err;

    if (p == NULL) {
        return LIB_ERR_PAGING_NO_METADATA;
    }
    err = paging_shadow(st, L1_INDEX(va), &sh);
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
        err = vnode_map(sh->table, cap, L2_INDEX(va), flags, offset, pages);
        if (err_is_fail(err) && !first) {
            cap_delete(cap);
            slot_free(cap);
        }
    }
    if (err_is_fail(err)) {
        slab_free(&piece_slab, p);
        return err;
    }
    shadow_mark(st, va, pages, true);
    *p = (struct paging_piece){ cap, sh->table, !first, m->pieces };
    m->pieces = p;
    return SYS_ERR_OK;
}

/*
 * Map `total` pages of `frame` at `vaddr` into a new record (lock held).
 * One piece per L2 table, and each may take a new shadow and a piece from
 * the slabs: they are refilled after every piece (the slab reserves cover
 * one piece, not a mapping of any length), with the record not yet listed
 * and every piece made so far already marked in its shadow.
 */
static errval_t map_record(struct paging_state *st, lvaddr_t vaddr, capaddr_t frame,
                           uint32_t first_page, size_t bytes, uint32_t flags)
{
    struct mapping_link *l = slab_alloc(&mapping_slab);
    uint32_t offset = 0, total = (bytes + BASE_PAGE_SIZE - 1) / BASE_PAGE_SIZE;
    lvaddr_t va = vaddr;
    errval_t err = SYS_ERR_OK;

    if (l == NULL) {
        return LIB_ERR_PAGING_NO_METADATA;
    }
    *l = (struct mapping_link){ st, { vaddr, bytes, NULL }, NULL };
    while (offset < total && err_is_ok(err)) {
        uint32_t room = VNODE_L2_ENTRIES - L2_INDEX(va);
        uint32_t pages = total - offset < room ? total - offset : room;
        err = map_piece(st, &l->m, frame, offset == 0, va, first_page + offset, pages,
                        flags);
        if (err_is_ok(err)) {
            offset += pages;
            va += pages * BASE_PAGE_SIZE;
            paging_refill_slabs();
        }
    }
    if (err_is_fail(err)) {
        shadow_mark(st, vaddr, (uint32_t)((va - vaddr) / BASE_PAGE_SIZE), false);
        unmap_pieces(st, l->m.pieces);
        slab_free(&mapping_slab, l);
        return err_push(err, LIB_ERR_PAGING_MAP);
    }
    l->next = mappings;
    mappings = l;
    return SYS_ERR_OK;
}

/*
 * Map `bytes` of `frame`, from byte `offset` of it (page aligned), at
 * exactly `vaddr`: a free range is reserved as a FIXED block first; a
 * range inside a block the caller reserved (e.g. with paging_alloc) is
 * mapped as it is.
 */
errval_t paging_map_fixed_offset(struct paging_state *st, lvaddr_t vaddr,
                                 capaddr_t frame, size_t offset, size_t bytes,
                                 uint32_t flags)
{
    struct buddy_block first, last;
    bool reserved;
    errval_t err;

    if (vaddr % BASE_PAGE_SIZE != 0 || offset % BASE_PAGE_SIZE != 0 || bytes == 0
        || vaddr + bytes < vaddr || vaddr + bytes > USER_TOP
        || (flags & ~VREGION_FLAGS_MASK) != 0) {
        return LIB_ERR_PAGING_BAD_ARGS;
    }
    bytes = ROUND_UP(bytes, BASE_PAGE_SIZE);
    paging_lock(st);
    err = buddy_alloc_at(&st->buddy, vaddr, bytes, BUDDY_TAG_FIXED, NULL);
    reserved = err_is_ok(err);
    if (err_no(err) == LIB_ERR_BUDDY_RANGE_NOT_FREE
        && err_is_ok(buddy_lookup(&st->buddy, vaddr, &first))
        && err_is_ok(buddy_lookup(&st->buddy, vaddr + bytes - 1, &last))
        && first.tag != BUDDY_TAG_GUARD && last.tag != BUDDY_TAG_GUARD) {
        err = SYS_ERR_OK;      /* inside the caller's own reservation */
    }
    if (err_is_ok(err)) {
        err = map_record(st, vaddr, frame, (uint32_t)(offset / BASE_PAGE_SIZE), bytes, flags);
        if (err_is_fail(err) && reserved) {
            buddy_free_range(&st->buddy, vaddr, bytes, NULL);
        }
    }
    paging_refill_slabs();
    paging_unlock(st);
    return err;
}

errval_t paging_map_fixed(struct paging_state *st, lvaddr_t vaddr,
                          capaddr_t frame, size_t bytes, uint32_t flags)
{
    return paging_map_fixed_offset(st, vaddr, frame, 0, bytes, flags);
}

errval_t paging_map_frame(struct paging_state *st, void **buf, size_t bytes,
                          capaddr_t frame, uint32_t flags)
{
    lvaddr_t va;
    errval_t err;

    if (bytes == 0 || (flags & ~VREGION_FLAGS_MASK) != 0) {
        return LIB_ERR_PAGING_BAD_ARGS;
    }
    bytes = ROUND_UP(bytes, BASE_PAGE_SIZE);
    paging_lock(st);
    err = reserve_any(st, bytes, BASE_PAGE_SIZE, BUDDY_TAG_FIXED, &va);
    if (err_is_ok(err)) {
        err = map_record(st, va, frame, 0, bytes, flags);
        if (err_is_fail(err)) {
            buddy_free(&st->buddy, va);
        }
    }
    paging_refill_slabs();
    paging_unlock(st);
    if (err_is_ok(err)) {
        *buf = (void *)(uintptr_t)va;
    }
    return err;
}

/*
 * Remove the explicit mapping that starts at `vaddr`; the frame cap passed
 * to the map call stays with the caller (unmapped), copies we made are
 * deleted, and a FIXED range we reserved for it is free again.
 */
errval_t paging_unmap(struct paging_state *st, const void *vaddr)
{
    struct mapping_link **pp;
    struct buddy_block b;

    paging_lock(st);
    for (pp = &mappings; *pp != NULL; pp = &(*pp)->next) {
        if ((*pp)->st == st && (*pp)->m.vaddr == (lvaddr_t)(uintptr_t)vaddr) {
            struct mapping_link *l = *pp;
            *pp = l->next;
            unmap_pieces(st, l->m.pieces);
            shadow_mark(st, l->m.vaddr, l->m.bytes / BASE_PAGE_SIZE, false);
            if (err_is_ok(buddy_lookup(&st->buddy, l->m.vaddr, &b))
                && b.tag == BUDDY_TAG_FIXED && b.base == l->m.vaddr) {
                buddy_free_range(&st->buddy, l->m.vaddr, l->m.bytes, NULL);
            }
            slab_free(&mapping_slab, l);
            paging_release_tables(st);
            if (st == &current) {
                paging_reclaim_slabs(false);
            }
            paging_unlock(st);
            return SYS_ERR_OK;
        }
    }
    paging_unlock(st);
    return LIB_ERR_PAGING_NOT_MAPPED;
}

/* ---- teardown of a state built for someone else ---- */

/*
 * The memory the state's tables came from (its ram_fn's) has been revoked:
 * the tables, the mappings in them and every copy of a frame made from
 * that memory are gone, so their slots are empty and only freed here. A
 * copy we made of a frame from elsewhere (a boot module's, shared by every
 * child of it) is not gone: it is deleted, or its slot would be handed out
 * again while still occupied.
 */
void paging_state_forget(struct paging_state *st)
{
    struct mapping_link **pp = &mappings;

    paging_lock(st);
    while (*pp != NULL) {
        struct mapping_link *l = *pp;
        if (l->st != st) {
            pp = &l->next;
            continue;
        }
        *pp = l->next;
        while (l->m.pieces != NULL) {
            struct paging_piece *p = l->m.pieces;
            l->m.pieces = p->next;
            if (p->owned_copy) {
                cap_delete(p->cap);     /* SYS_ERR_SLOT_EMPTY if revoked already */
                slot_free(p->cap);
            }
            slab_free(&piece_slab, p);
        }
        slab_free(&mapping_slab, l);
    }
    for (uint32_t i = paging_next_shadow(st, 0); i < VNODE_L1_USER_ENTRIES;
         i = paging_next_shadow(st, i + 1)) {
        slot_free(st->l2[i]->table);
        slab_free(&shadow_slab, st->l2[i]);
        st->l2[i] = NULL;
    }
    memset(st->l2_present, 0, sizeof(st->l2_present));
    buddy_destroy(&st->buddy);
    paging_unlock(st);
}
