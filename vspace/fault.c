/*
 * Self-paging: the page-fault handler, the pool of RAM it takes frames
 * from, and the lazily backed blocks (HEAP, STACK) it serves.
 *
 * A fault arrives on the faulting thread's exception stack (lib/threads.c)
 * with the domain enabled. The handler takes the paging lock, finds the
 * block holding the address (buddy lookup: one step per tree level) and
 *   HEAP, STACK   maps a fresh zeroed 4 KiB frame there and resumes;
 *   GUARD         NULL dereference (below USER_NULL_GUARD_SIZE) or stack
 *                 overflow (the guard page below a stack): fatal;
 *   FIXED         a write to a read-only mapping (or a touch of a hole in
 *                 one): fatal;
 *   none          an access outside any reserved block: fatal.
 * Threads faulting on one page at once are serialised by the lock: the
 * second finds the page mapped and simply resumes, so exactly one frame
 * is installed.
 *
 * The pool: RAM comes from the memory server in chunks (1 MiB, doubling
 * up to 16 MiB as the domain grows), and one 4 KiB frame is retyped from
 * a chunk per fault, so the common fault needs two kernel invocations and
 * no RPC. A chunk whose frames are all freed goes back to the server.
 */
#include "paging_types.h"
#include <aos/caps.h>
#include <aos/slot_alloc.h>
#include <aos/ram_alloc.h>
#include <aos/dispatch.h>
#include <aos/aos_rpc.h>
#include <aos/syscalls.h>
#include <autarky/layout.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHUNK_MIN        (1u << 20)
#define CHUNK_MAX        (16u << 20)
#define CHUNK_MAX_PAGES  (CHUNK_MAX / BASE_PAGE_SIZE)
/* Frames kept for faults that cannot ask for RAM: the faulting thread is
 * inside an RPC to init (it holds the channel), so a nested RPC would
 * interleave with its own. Such faults are bounded by stack depth. */
#define POOL_RESERVE     64

struct frame_chunk {
    capaddr_t ram;
    lpaddr_t base;
    uint32_t pages;                 /* chunk size / 4 KiB */
    uint32_t used;                  /* frames handed out and not freed */
    uint32_t fresh;                 /* pages [fresh, pages) never handed out */
    struct frame_chunk *next;
    uint32_t map[CHUNK_MAX_PAGES / 32];  /* bit set: page handed out */
};

static struct frame_chunk *chunks;          /* newest first */
static size_t next_chunk_size = CHUNK_MIN;
static size_t pool_free;                    /* frames available without RAM */
static struct slab_allocator chunk_slab;
static char chunk_bootstrap[BASE_PAGE_SIZE] __attribute__((aligned(8)));
static bool pool_ready;

static errval_t pool_slab_refill(struct slab_allocator *slabs, size_t bytes);

static void pool_init(void)
{
    slab_init(&chunk_slab, sizeof(struct frame_chunk), pool_slab_refill);
    slab_grow(&chunk_slab, chunk_bootstrap, sizeof(chunk_bootstrap));
    chunk_slab.refill_threshold = 2;
    pool_ready = true;
}

/* May this thread ask init for RAM now? Not while it is inside an RPC. */
static bool can_ask_for_ram(void)
{
    struct aos_rpc *rpc = aos_rpc_get_init_channel();
    return rpc == NULL || rpc->lock.holder != thread_self() || !rpc->lock.locked;
}

/* A new chunk of RAM (lock held). */
static errval_t chunk_new(void)
{
    struct frame_chunk *c = slab_alloc(&chunk_slab);
    struct capability_info ci;
    errval_t err;

    if (c == NULL) {
        return LIB_ERR_PAGING_NO_METADATA;
    }
    memset(c, 0, sizeof(*c));
    err = ram_alloc_aligned(&c->ram, next_chunk_size, BASE_PAGE_SIZE, NULL);
    if (err_is_ok(err)) {
        err = cap_identify(c->ram, &ci);
    }
    if (err_is_fail(err)) {
        slab_free(&chunk_slab, c);
        return err_push(err, LIB_ERR_PAGING_NO_RAM);
    }
    c->base = ci.base;
    c->pages = (uint32_t)(ci.size / BASE_PAGE_SIZE);
    if (c->pages > CHUNK_MAX_PAGES) {
        c->pages = CHUNK_MAX_PAGES;
    }
    c->next = chunks;
    chunks = c;
    pool_free += c->pages;
    if (next_chunk_size < CHUNK_MAX) {
        next_chunk_size <<= 1;
    }
    slab_refill_check(&chunk_slab);
    return SYS_ERR_OK;
}

/* A page index free in `c`, or -1. */
static int chunk_free_page(struct frame_chunk *c)
{
    if (c->fresh < c->pages) {
        return (int)c->fresh++;
    }
    if (c->used == c->pages) {
        return -1;
    }
    for (uint32_t w = 0; w < c->pages / 32; w++) {
        if (c->map[w] != 0xffffffffu) {
            return (int)(w * 32 + __builtin_ctz(~c->map[w]));
        }
    }
    return -1;
}

/* A fresh zeroed 4 KiB frame in a new slot (paging lock held). */
static errval_t frame_get(capaddr_t *ret)
{
    struct frame_chunk *c;
    int page = -1;
    errval_t err;

    if (!pool_ready) {
        pool_init();
    }
    if (pool_free <= POOL_RESERVE && can_ask_for_ram()) {
        err = chunk_new();
        if (err_is_fail(err) && pool_free == 0) {
            return err;
        }
    }
    for (c = chunks; c != NULL && (page = chunk_free_page(c)) < 0; c = c->next) {
    }
    if (c == NULL) {
        return LIB_ERR_PAGING_NO_RAM;
    }
    err = slot_alloc(ret);
    if (err_is_ok(err)) {
        err = cap_retype_one(c->ram, ObjType_Frame, (gensize_t)page * BASE_PAGE_SIZE,
                             BASE_PAGE_SIZE, *ret);    /* the kernel zeroes it */
        if (err_is_fail(err)) {
            slot_free(*ret);
        }
    }
    if (err_is_fail(err)) {
        if ((uint32_t)page + 1 == c->fresh) {
            c->fresh--;
        }
        return err;
    }
    c->map[page / 32] |= 1u << (page % 32);
    c->used++;
    pool_free--;
    return SYS_ERR_OK;
}

/* Give a frame from frame_get back (lock held); an empty chunk goes back
 * to the memory server unless it is the newest one. */
static void frame_put(capaddr_t frame)
{
    struct capability_info ci;
    struct frame_chunk **pp;

    if (err_is_fail(cap_identify(frame, &ci))) {
        return;
    }
    cap_delete(frame);
    slot_free(frame);
    for (pp = &chunks; *pp != NULL; pp = &(*pp)->next) {
        struct frame_chunk *c = *pp;
        uint32_t page;
        if (ci.base < c->base || ci.base >= c->base + (lpaddr_t)c->pages * BASE_PAGE_SIZE) {
            continue;
        }
        page = (uint32_t)((ci.base - c->base) / BASE_PAGE_SIZE);
        c->map[page / 32] &= ~(1u << (page % 32));
        c->used--;
        pool_free++;
        if (c->used == 0 && c != chunks && can_ask_for_ram()) {
            *pp = c->next;
            pool_free -= c->pages;
            ram_free(c->ram);
            slab_free(&chunk_slab, c);
        }
        return;
    }
}

/*
 * Eagerly mapped memory of our own: a FIXED block with a pool frame on
 * each page (lock held). Used for the runtime's own metadata (slab
 * refills) and exception stacks, which must never fault.
 */
static errval_t map_eager(struct paging_state *st, size_t bytes, lvaddr_t *ret)
{
    size_t got;
    lvaddr_t base;
    errval_t err = buddy_alloc(&st->buddy, bytes, BASE_PAGE_SIZE, BUDDY_TAG_FIXED,
                               &base, &got);

    for (size_t off = 0; err_is_ok(err) && off < bytes; off += BASE_PAGE_SIZE) {
        capaddr_t frame;
        err = frame_get(&frame);
        if (err_is_ok(err)) {
            err = paging_map_page(st, base + off, frame, VREGION_FLAGS_READ_WRITE);
            if (err_is_fail(err)) {
                frame_put(frame);
            }
        }
    }
    if (err_is_fail(err)) {
        return err;     /* a partial block stays reserved: only on exhaustion */
    }
    *ret = base;
    return SYS_ERR_OK;
}

/* Slab refill for the runtime's paging metadata: pool frames, no RPC
 * while the faulting thread is inside one. */
static errval_t pool_slab_refill(struct slab_allocator *slabs, size_t bytes)
{
    struct paging_state *st = get_current_paging_state();
    lvaddr_t va;
    errval_t err;

    bytes = ROUND_UP(bytes, BASE_PAGE_SIZE);
    paging_lock(st);
    err = map_eager(st, bytes, &va);
    paging_unlock(st);
    if (err_is_fail(err)) {
        return err_push(err, LIB_ERR_SLAB_REFILL);
    }
    return slab_grow(slabs, (void *)va, bytes);
}

slab_refill_fn paging_slab_refill_fn(void)
{
    return pool_slab_refill;
}

/* ---- lazily backed blocks ---- */

/* Map a fresh frame at the page holding `addr` (lock held). */
static errval_t fill_page(struct paging_state *st, lvaddr_t addr)
{
    lvaddr_t page = addr & ~(lvaddr_t)(BASE_PAGE_SIZE - 1);
    capaddr_t frame;
    errval_t err = frame_get(&frame);

    if (err_is_fail(err)) {
        return err;
    }
    err = paging_map_page(st, page, frame, VREGION_FLAGS_READ_WRITE);
    if (err_is_fail(err)) {
        frame_put(frame);
        return err;
    }
    st->stats.lazy_pages++;
    return SYS_ERR_OK;
}

void paging_unmap_lazy(struct paging_state *st, lvaddr_t base, size_t bytes)
{
    for (lvaddr_t va = base; va - base < bytes; va += BASE_PAGE_SIZE) {
        struct paging_shadow *sh = st->l2[L1_INDEX(va)];
        capaddr_t frame;
        if (sh == NULL) {
            va |= SECTION_SIZE - BASE_PAGE_SIZE;    /* skip the empty section */
            continue;
        }
        frame = sh->frame[L2_INDEX(va)];
        if (frame == 0 || frame == PAGING_FRAME_FOREIGN) {
            continue;
        }
        vnode_unmap(sh->table, frame);
        sh->frame[L2_INDEX(va)] = 0;
        sh->mapped--;
        frame_put(frame);
        st->stats.lazy_pages--;
        st->stats.freed_pages++;
    }
}

/* ---- the handler ---- */

static const char *guard_reason(lvaddr_t addr)
{
    return addr < USER_NULL_GUARD_SIZE ? "NULL dereference"
                                       : "stack overflow (hit the guard below a stack)";
}

/* Resolve a fault at `addr` (lock held); NULL if resolved, else why not. */
static const char *resolve(struct paging_state *st, lvaddr_t addr, uint32_t access)
{
    struct buddy_node *n = buddy_lookup_node(&st->buddy, addr);
    struct paging_shadow *sh;

    if (n == NULL || n->state != BUDDY_ALLOCATED) {
        return "access outside any reserved block";
    }
    switch (n->tag) {
    case BUDDY_TAG_GUARD:
        return guard_reason(addr);
    case BUDDY_TAG_FIXED:
        return access == FAULT_ACCESS_WRITE ? "write to a read-only or unmapped fixed mapping"
                                            : "access to an unmapped part of a fixed mapping";
    case BUDDY_TAG_HEAP:
    case BUDDY_TAG_STACK:
        sh = st->l2[L1_INDEX(addr)];
        if (sh != NULL && sh->frame[L2_INDEX(addr)] != 0) {
            return NULL;            /* another thread mapped it meanwhile */
        }
        if (err_is_fail(fill_page(st, addr))) {
            return "out of memory for a page of the heap or a stack";
        }
        st->stats.faults++;
        if (st->verbose) {          /* no stdio here: it may hold locks */
            char line[96];
            int len = snprintf(line, sizeof(line), "paging: %s: fault at 0x%08lx in a %s block, "
                               "mapped a frame\n", get_dispatcher()->name,
                               (unsigned long)addr, buddy_tag_name(n->tag));
            sys_print(line, len > 0 && len < (int)sizeof(line) ? (size_t)len : 0);
        }
        return NULL;
    default:
        return "access outside any reserved block";
    }
}

bool paging_fault_handler(enum fault_type type, lvaddr_t addr, uint32_t access,
                          struct arch_registers *regs)
{
    struct paging_state *st = get_current_paging_state();
    const char *why;

    (void)regs;
    if (type != FAULT_DATA_ABORT && type != FAULT_PREFETCH_ABORT) {
        return false;                       /* undefined, alignment: not ours */
    }
    paging_lock(st);
    why = resolve(st, addr, access);
    paging_unlock(st);
    if (why != NULL) {
        thread_exception_note(why);
        return false;
    }
    return true;
}

/* ---- stacks, eager memory, statistics ---- */

errval_t paging_alloc_stack(struct paging_state *st, size_t bytes, void **base,
                            void **top)
{
    size_t size = BASE_PAGE_SIZE, got;
    lvaddr_t region;
    errval_t err;

    while (size < bytes) {
        size <<= 1;
    }
    paging_lock(st);
    /* a 2*size block: GUARD below, STACK above, taken as one so nothing
     * can come between them */
    err = buddy_alloc(&st->buddy, 2 * size, 2 * size, BUDDY_TAG_STACK, &region, &got);
    if (err_is_ok(err)) {
        buddy_free(&st->buddy, region);
        err = buddy_alloc_at(&st->buddy, region, size, BUDDY_TAG_GUARD, NULL);
    }
    if (err_is_ok(err)) {
        err = buddy_alloc_at(&st->buddy, region + size, size, BUDDY_TAG_STACK, NULL);
        if (err_is_fail(err)) {
            buddy_free(&st->buddy, region);
        }
    }
    paging_unlock(st);
    if (err_is_fail(err)) {
        return err_push(err, LIB_ERR_PAGING_NO_VSPACE);
    }
    *base = (void *)(region + size);
    *top = (void *)(region + 2 * size);
    return SYS_ERR_OK;
}

errval_t paging_free_stack(struct paging_state *st, void *base)
{
    struct buddy_block b;
    errval_t err;

    paging_lock(st);
    err = buddy_lookup(&st->buddy, (lvaddr_t)base, &b);
    if (err_is_ok(err) && (b.tag != BUDDY_TAG_STACK || b.base != (lvaddr_t)base)) {
        err = LIB_ERR_PAGING_NOT_MAPPED;
    }
    if (err_is_ok(err)) {
        paging_unmap_lazy(st, b.base, b.size);
        buddy_free(&st->buddy, b.base);
        buddy_free(&st->buddy, b.base - b.size);       /* its guard */
    }
    paging_unlock(st);
    return err;
}

errval_t paging_alloc_eager(struct paging_state *st, size_t bytes, void **buf)
{
    lvaddr_t va;
    errval_t err;

    paging_lock(st);
    err = map_eager(st, ROUND_UP(bytes, BASE_PAGE_SIZE), &va);
    paging_unlock(st);
    if (err_is_ok(err)) {
        *buf = (void *)va;
    }
    return err;
}

/* Unmap and return the frames of an eager block (lock held by caller). */
errval_t paging_free_eager(struct paging_state *st, void *buf)
{
    struct buddy_block b;
    errval_t err;

    paging_lock(st);
    err = buddy_lookup(&st->buddy, (lvaddr_t)buf, &b);
    if (err_is_ok(err) && (b.tag != BUDDY_TAG_FIXED || b.base != (lvaddr_t)buf)) {
        err = LIB_ERR_PAGING_NOT_MAPPED;
    }
    if (err_is_ok(err)) {
        paging_unmap_lazy(st, b.base, b.size);
        buddy_free(&st->buddy, b.base);
    }
    paging_unlock(st);
    return err;
}

void paging_set_verbose(struct paging_state *st, bool verbose)
{
    st->verbose = verbose;
}

void paging_get_info(struct paging_state *st, struct paging_info *info)
{
    struct buddy_stats bs;

    paging_lock(st);
    buddy_get_stats(&st->buddy, &bs);
    info->faults = st->stats.faults;
    info->lazy_pages = st->stats.lazy_pages;
    info->ram_pool_bytes = pool_free * BASE_PAGE_SIZE;
    for (int i = 0; i < 5 && i < BUDDY_TAG_COUNT; i++) {
        info->reserved[i] = bs.tag_bytes[i];
    }
    info->metadata_bytes = bs.metadata_bytes;
    paging_unlock(st);
}
