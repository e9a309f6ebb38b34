/*
 * Self-paging: the page-fault handler, the pool of RAM it takes frames
 * from, and the lazily backed blocks (HEAP, STACK) it serves.
 *
 * A fault arrives on the faulting thread's exception stack (lib/threads.c)
 * with the domain enabled. The handler takes the paging lock, finds the
 * block holding the address (buddy lookup: one step per tree level) and
 *   HEAP, STACK   a read or write of an unmapped page: maps a fresh zeroed
 *                 4 KiB frame there and resumes; an execute, or a fault on a
 *                 mapped page that the fault status says is not a
 *                 translation fault (permission): fatal;
 *   GUARD         NULL dereference (below USER_NULL_GUARD_SIZE) or stack
 *                 overflow (the guard page below a stack): fatal;
 *   FIXED         a write to a read-only mapping, an execute from data (or
 *                 a touch of a hole in one): fatal;
 *   none          an access outside any reserved block: fatal.
 * Nothing else is ever answered "resolved": a fault the handler cannot
 * resolve ends the domain with its one-line report, never a fault loop.
 * Threads faulting on one page at once are serialised by the lock: the
 * second finds the page mapped and simply resumes, so exactly one frame
 * is installed.
 *
 * The pools: RAM comes from the memory server in chunks of 32 to 256
 * pages, each retyped at once into zeroed frames whose caps fill a CNode of
 * their own, so the common fault is one kernel invocation (the map) and no RPC.
 * A freed page is zeroed before it is unmapped, so every free frame reads
 * zero. A chunk whose frames are all free goes back to the server. The
 * runtime's own eagerly mapped pages come from a second pool of 64 to 256
 * KiB chunks, so they never keep a heap chunk from going back.
 */
#include "paging_types.h"
#include <aos/caps.h>
#include <arch/memops.h>
#include <aos/debug.h>
#include <aos/slot_alloc.h>
#include <aos/ram_alloc.h>
#include <aos/dispatch.h>
#include <aos/syscalls.h>
#include <autarky/layout.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Frames kept for faults that cannot ask for RAM: the faulting thread is
 * inside an RPC to init (it holds the channel), so a nested RPC would
 * interleave with its own. Such faults are bounded by stack depth and the
 * reply buffers of the RPC client (a few KiB). A young pool keeps half its
 * newest chunk instead (refill_below). */
#define POOL_RESERVE     64
#define CHUNK_MAX_PAGES  L2_CNODE_SLOTS

/*
 * A chunk: one RAM block retyped at once into `pages` 4 KiB frames, whose
 * caps fill an L2 CNode of their own in root slot `root` (frame i is
 * CPTR(root, i)). Making all frames in one retype keeps the kernel's
 * overlap check to one walk per chunk instead of one per fault.
 * Invariant: every frame not in use (bit clear in `map`) reads zero.
 */
struct frame_chunk {
    capaddr_t ram;                  /* the frames' RAM block */
    capaddr_t cn_ram;               /* the CNode's 16 KiB */
    cslot_t root;
    uint32_t pages, used;
    uint32_t hint;                  /* no free frame in map[0 .. hint) */
    uint32_t map[CHUNK_MAX_PAGES / 32];   /* bit set: frame in use */
    struct frame_chunk *next;
};

/* Two pools, so that long-lived metadata pages never pin a chunk of heap
 * pages: `lazy` serves faults in HEAP and STACK blocks, `meta` the
 * runtime's eagerly mapped memory (slab refills, exception stacks). */
struct frame_pool {
    struct frame_chunk *chunks;             /* newest first */
    uint32_t chunk_pages;                   /* the next chunk's; doubles up to max */
    uint32_t max_chunk_pages;
    size_t free;                            /* frames available without RAM */
    size_t reserve;                         /* refill at or below this */
};
/* Chunks start small (a small program zeroes little) and double. */
static struct frame_pool lazy_pool = { NULL, 32, CHUNK_MAX_PAGES, 0, POOL_RESERVE };
static struct frame_pool meta_pool = { NULL, 16, 64, 0, 8 };
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

/* May this thread ask for RAM now? Not while it is inside an RPC to the
 * memory server (the start-up layer installs that check). */
static bool can_ask_for_ram(void)
{
    return ram_alloc_may_ask();
}

/* The chunk's CNode and frames (RAM already in c->ram, c->cn_ram). */
static errval_t chunk_make_frames(struct frame_chunk *c)
{
    errval_t err = slot_alloc_root_slot(&c->root);

    if (err_is_fail(err)) {
        return err;
    }
    err = cap_retype(c->cn_ram, ObjType_L2CNode, 0, OBJSIZE_L2CNODE, 1, CAP_ROOTCN,
                     c->root);
    if (err_is_ok(err)) {
        err = cap_retype(c->ram, ObjType_Frame, 0, BASE_PAGE_SIZE, c->pages,
                         CPTR_L1_SLOT | c->root, 0);         /* zeroed by the kernel */
        if (err_is_fail(err)) {
            cap_delete(CPTR_L1_SLOT | c->root);
        }
    }
    if (err_is_fail(err)) {
        slot_free_root_slot(c->root);
    }
    return err;
}

/* A new chunk for `pool` (paging lock held). */
static errval_t chunk_new(struct frame_pool *pool)
{
    struct frame_chunk *c = slab_alloc(&chunk_slab);
    errval_t err;

    if (c == NULL) {
        return LIB_ERR_PAGING_NO_METADATA;
    }
    memset(c, 0, sizeof(*c));
    c->pages = pool->chunk_pages;
    err = ram_alloc_aligned(&c->ram, (gensize_t)c->pages * BASE_PAGE_SIZE,
                            BASE_PAGE_SIZE, NULL);
    if (err_is_ok(err)) {
        err = ram_alloc_aligned(&c->cn_ram, OBJSIZE_L2CNODE, OBJSIZE_L2CNODE, NULL);
        if (err_is_fail(err)) {
            ram_free(c->ram);
        }
    }
    if (err_is_ok(err)) {
        err = chunk_make_frames(c);
        if (err_is_fail(err)) {
            ram_free(c->ram);
            ram_free(c->cn_ram);
        }
    }
    if (err_is_fail(err)) {
        slab_free(&chunk_slab, c);
        return err_push(err, LIB_ERR_PAGING_NO_RAM);
    }
    c->next = pool->chunks;
    pool->chunks = c;
    pool->free += c->pages;
    if (pool->chunk_pages < pool->max_chunk_pages) {
        pool->chunk_pages *= 2;
    }
    slab_refill_check(&chunk_slab);
    return SYS_ERR_OK;
}

/* Give an empty chunk back: its frames die with their RAM (revoked by the
 * memory server), then the CNode's RAM and the root slot. */
static void chunk_release(struct frame_chunk *c)
{
    ram_free(c->ram);
    ram_free(c->cn_ram);
    slot_free_root_slot(c->root);
    slab_free(&chunk_slab, c);
}

/* Ask for the next chunk ahead, when fewer frames than this are free:
 * half the newest chunk, at most the pool's reserve (none yet: ask). */
static uint32_t refill_below(const struct frame_pool *pool)
{
    uint32_t half = pool->chunks != NULL ? pool->chunks->pages / 2 : 1;

    return half < pool->reserve ? half : pool->reserve;
}

/* A zeroed frame from `pool` (paging lock held): *ret names it. */
static errval_t frame_get(struct frame_pool *pool, capaddr_t *ret)
{
    struct frame_chunk *c;
    errval_t err;

    if (!pool_ready) {
        pool_init();
    }
    if (pool->free < refill_below(pool) && can_ask_for_ram()) {
        err = chunk_new(pool);
        if (err_is_fail(err) && pool->free == 0) {
            return err;
        }
    }
    for (c = pool->chunks; c != NULL && c->used == c->pages; c = c->next) {
    }
    if (c == NULL) {
        return LIB_ERR_PAGING_NO_RAM;
    }
    for (uint32_t w = c->hint; w * 32 < c->pages; w++) {
        if (c->map[w] != 0xffffffffu) {
            uint32_t i = w * 32 + (uint32_t)__builtin_ctz(~c->map[w]);
            if (i >= c->pages) {
                break;
            }
            c->map[w] |= 1u << (i % 32);
            c->hint = w;
            c->used++;
            pool->free--;
            *ret = CPTR(c->root, i);
            return SYS_ERR_OK;
        }
    }
    return LIB_ERR_PAGING_NO_RAM;       /* not reached: used < pages */
}

/* Frame `frame` (unmapped, zeroed by the caller) is free again in `pool`;
 * false if it is not from there. An empty chunk other than the newest
 * goes back to the memory server. */
static bool pool_put(struct frame_pool *pool, capaddr_t frame)
{
    struct frame_chunk **pp;
    uint32_t root = CPTR_L1_INDEX(frame), i = CPTR_L2_INDEX(frame);

    for (pp = &pool->chunks; *pp != NULL; pp = &(*pp)->next) {
        struct frame_chunk *c = *pp;
        if (c->root != root || i >= c->pages) {
            continue;
        }
        c->map[i / 32] &= ~(1u << (i % 32));
        if (i / 32 < c->hint) {
            c->hint = i / 32;
        }
        c->used--;
        pool->free++;
        if (c->used == 0 && c != pool->chunks && can_ask_for_ram()) {
            *pp = c->next;
            pool->free -= c->pages;
            chunk_release(c);
        }
        return true;
    }
    return false;
}

static void frame_put(capaddr_t frame)
{
    if (!pool_put(&lazy_pool, frame)) {
        pool_put(&meta_pool, frame);
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
        err = frame_get(&meta_pool, &frame);
        if (err_is_ok(err)) {
            err = paging_map_page(st, base + off, frame, VREGION_FLAGS_READ_WRITE);
            if (err_is_fail(err)) {
                frame_put(frame);
            } else {
                st->stats.eager_pages++;
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
    errval_t err = frame_get(&lazy_pool, &frame);

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

void paging_unmap_lazy(struct paging_state *st, lvaddr_t base, size_t bytes, bool eager)
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
        arch_zero_32s((void *)va, BASE_PAGE_SIZE);   /* pool frames read zero */
        vnode_unmap(sh->table, frame);
        sh->frame[L2_INDEX(va)] = 0;
        sh->mapped--;
        frame_put(frame);
        if (eager) {
            st->stats.eager_pages--;
        } else {
            st->stats.lazy_pages--;
            st->stats.freed_pages++;
        }
    }
}

/* ---- the handler ---- */

static const char *guard_reason(lvaddr_t addr)
{
    return addr < USER_NULL_GUARD_SIZE ? "NULL dereference"
                                       : "stack overflow (hit the guard below a stack)";
}

/*
 * Why a fault on a *mapped* page (any cause but a translation fault) can
 * never be resolved: the mapping forbids the access, and mapping again
 * changes nothing. Named by what the program did.
 */
static const char *mapped_reason(uint32_t access, enum fault_cause cause)
{
    if (cause != FAULT_CAUSE_PERMISSION) {
        return fault_cause_name(cause);
    }
    switch (access) {
    case FAULT_ACCESS_EXEC:
        return "execute from a non-executable page (data or a mapping)";
    case FAULT_ACCESS_WRITE:
        return "write to a read-only page (program text, read-only data or mapping)";
    default:
        return "read from a page mapped without read access";
    }
}

/* The ALLOCATED block holding `addr`, or NULL (lock held): the last
 * fault's block if the tree has not changed since and it holds addr, else
 * a lookup (one step per tree level). */
static struct buddy_node *fault_block(struct paging_state *st, lvaddr_t addr)
{
    struct buddy_node *n = st->fault_node;

    if (n != NULL && st->fault_changes == st->buddy.changes
        && addr - n->base < ((lvaddr_t)1 << n->order)) {
        return n;
    }
    n = buddy_lookup_node(&st->buddy, addr);
    st->fault_node = n;
    st->fault_changes = st->buddy.changes;
    return n;
}

/*
 * A translation fault on a page our shadow says is mapped (lock held).
 * Normally another thread mapped it after this fault was taken: the access
 * will succeed when retried. But if the frame went away behind the paging
 * code's back (the domain deleted or unmapped it itself), answering
 * "resolved" would fault again forever. So read the page first: if it is
 * mapped the read succeeds; if not, it faults inside the handler and the
 * domain ends with this note in its report.
 */
static const char *check_mapped(lvaddr_t addr)
{
    thread_exception_note("a mapped page lost its frame (deleted behind the pager's back)");
    (void)*(volatile uint8_t *)addr;
    thread_exception_note(NULL);
    return NULL;
}

/* Why a page could not be had, with the whole cause chain; off the fast
 * path's stack frame (no stdio here: it may hold locks). */
static void __attribute__((noinline)) report_no_page(lvaddr_t addr, errval_t err)
{
    char line[ERR_CHAIN_MAX + 64];
    int len = snprintf(line, sizeof(line), "paging: no page for 0x%08lx: ",
                       (unsigned long)addr);

    err_format_chain(err, line + len, sizeof(line) - (size_t)len - 1);
    strcat(line, "\n");
    sys_print(line, strlen(line));
}

/* Map a fresh frame for a first touch of a HEAP or STACK page (lock
 * held); NULL if done, else why not. */
static inline const char *fill_lazy(struct paging_state *st, struct buddy_node *n, lvaddr_t addr)
{
    errval_t err = fill_page(st, addr);

    if (err_is_fail(err)) {
        report_no_page(addr, err);
        return "out of memory for a page of the heap or a stack";
    }
    paging_refill_slabs();      /* a new L2 shadow may have used the reserve */
    st->stats.faults++;
    if (st == get_current_paging_state()) {
        get_dispatcher()->page_faults++;
    }
    if (st->verbose) {          /* no stdio here: it may hold locks */
        char line[96];
        int len = snprintf(line, sizeof(line), "paging: %s: fault at 0x%08lx in a %s block, "
                           "mapped a frame\n", get_dispatcher()->name,
                           (unsigned long)addr, buddy_tag_name(n->tag));
        sys_print(line, len > 0 && len < (int)sizeof(line) ? (size_t)len : 0);
    }
    return NULL;
}

/* What the kernel says about the fault being handled (NULL: nothing). */
static enum fault_cause current_cause(void)
{
    const struct fault_info *f = thread_exception_fault();

    return f != NULL ? fault_cause(f) : FAULT_CAUSE_OTHER;
}

/*
 * Resolve a fault at `addr` (lock held); NULL if resolved, else why not.
 * Only a read or write of an unmapped page of a HEAP or STACK block is
 * resolved, by mapping a fresh frame; every other fault ends the domain.
 * In particular a fault on a page that is mapped but not for this access
 * (a permission fault: write to text, execute from data) is never
 * answered "resolved", which would only make it fault again forever.
 *
 * The first touch (shadow empty) needs no decoding of the fault status:
 * with nothing mapped there the fault can only be a translation fault (and
 * had the domain mapped something there behind our back, the map fails).
 * A fault on a page the shadow has mapped is decoded: a translation fault
 * is another thread's mapping we raced with (check_mapped), anything else
 * is the access itself being wrong.
 */
static const char *resolve(struct paging_state *st, lvaddr_t addr, uint32_t access)
{
    struct buddy_node *n = fault_block(st, addr);
    struct paging_shadow *sh;
    enum fault_cause cause;

    if (n == NULL || n->state != BUDDY_ALLOCATED) {
        return "access outside any reserved block";
    }
    switch (n->tag) {
    case BUDDY_TAG_GUARD:
        return guard_reason(addr);
    case BUDDY_TAG_FIXED:
        cause = current_cause();
        if (cause != FAULT_CAUSE_TRANSLATION) {
            return mapped_reason(access, cause);
        }
        return access == FAULT_ACCESS_EXEC ? "execute from an unmapped part of a fixed mapping"
                                           : "access to an unmapped part of a fixed mapping";
    case BUDDY_TAG_HEAP:
    case BUDDY_TAG_STACK:
        if (access == FAULT_ACCESS_EXEC) {
            return "execute from the heap or a stack (their pages are never executable)";
        }
        sh = st->l2[L1_INDEX(addr)];
        if (sh == NULL || sh->frame[L2_INDEX(addr)] == 0) {
            return fill_lazy(st, n, addr);  /* the first touch: the fast path */
        }
        cause = current_cause();
        return cause == FAULT_CAUSE_TRANSLATION ? check_mapped(addr)
                                                : mapped_reason(access, cause);
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
    paging_refill_slabs();
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
    return paging_free_block(st, (lvaddr_t)base, 1u << BUDDY_TAG_STACK, true);
}

errval_t paging_alloc_eager(struct paging_state *st, size_t bytes, void **buf)
{
    lvaddr_t va;
    errval_t err;

    paging_lock(st);
    err = map_eager(st, ROUND_UP(bytes, BASE_PAGE_SIZE), &va);
    paging_refill_slabs();
    paging_unlock(st);
    if (err_is_ok(err)) {
        *buf = (void *)va;
    }
    return err;
}

/* Unmap and return the frames of an eager block. */
errval_t paging_free_eager(struct paging_state *st, void *buf)
{
    return paging_free_block(st, (lvaddr_t)buf, 1u << BUDDY_TAG_FIXED, false);
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
    info->eager_pages = st->stats.eager_pages;
    info->ram_pool_bytes = (lazy_pool.free + meta_pool.free) * BASE_PAGE_SIZE;
    for (int i = 0; i < 5 && i < BUDDY_TAG_COUNT; i++) {
        info->reserved[i] = bs.tag_bytes[i];
    }
    info->metadata_bytes = bs.metadata_bytes;
    paging_unlock(st);
}
