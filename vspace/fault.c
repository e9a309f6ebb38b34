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
 * Frames come from the pools of vspace/frame_pool.c: the lazy pool for
 * HEAP and STACK pages, the meta pool for the runtime's own eagerly mapped
 * pages. A freed page is zeroed before it is unmapped, so every free frame
 * reads zero.
 */
#include "paging_types.h"
#include "frame_pool.h"
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

/* ---- lazily backed blocks ---- */

/* Map a fresh frame at the page holding `addr` (lock held). */
static errval_t fill_page(struct paging_state *st, lvaddr_t addr)
{
    lvaddr_t page = addr & ~(lvaddr_t)(BASE_PAGE_SIZE - 1);
    capaddr_t frame;
    errval_t err = frame_pool_get(FRAME_POOL_LAZY, page, &frame);

    if (err_is_fail(err)) {
        return err;
    }
    err = paging_map_page(st, page, frame, VREGION_FLAGS_READ_WRITE);
    if (err_is_fail(err)) {
        frame_pool_put(frame);
        return err;
    }
    st->stats.lazy_pages++;
    return SYS_ERR_OK;
}

/* Unmap and free page `va` of shadow `sh`, which maps frame `frame` (a
 * pool frame of ours, or an alias: then only the mapping goes). */
static void unmap_one(struct paging_state *st, struct paging_shadow *sh, lvaddr_t va,
                      capaddr_t frame, bool eager)
{
    if (frame & PAGING_FRAME_ALIAS) {
        paging_drop_alias(st, sh, va);              /* the frame is another page's */
        return;
    }
    arch_zero_32s((void *)va, BASE_PAGE_SIZE);       /* pool frames read zero */
    vnode_unmap(sh->table, frame);
    sh->frame[L2_INDEX(va)] = 0;
    paging_shadow_count(st, sh, -1);
    frame_pool_put(frame);
    if (eager) {
        st->stats.eager_pages--;
    } else {
        st->stats.lazy_pages--;
        st->stats.freed_pages++;
    }
}

void paging_unmap_lazy(struct paging_state *st, lvaddr_t base, size_t bytes, bool eager)
{
    lvaddr_t end = base + bytes;

    /* a section at a time; within one, a plain scan of its shadow (most
     * pages of a large free range are unmapped already: a few instructions
     * each), and none at all once nothing in the section is mapped */
    for (lvaddr_t va = base; va < end && va >= base;
         va = (va | (SECTION_SIZE - 1)) + 1) {
        struct paging_shadow *sh = st->l2[L1_INDEX(va)];
        uint32_t last = end - (va & ~(lvaddr_t)(SECTION_SIZE - 1)) >= SECTION_SIZE
                        ? VNODE_L2_ENTRIES : L2_INDEX(end - 1) + 1;
        for (uint32_t j = L2_INDEX(va); sh != NULL && sh->mapped != 0 && j < last; j++) {
            capaddr_t frame = sh->frame[j];
            if (frame != 0 && frame != PAGING_FRAME_FOREIGN) {
                unmap_one(st, sh, (va & ~(lvaddr_t)(SECTION_SIZE - 1)) | (j << BASE_PAGE_BITS),
                          frame, eager);
            }
        }
    }
    paging_release_tables(st);
    if (st == get_current_paging_state()) {
        paging_reclaim_slabs(false);
    }
}

void paging_drop_alias(struct paging_state *st, struct paging_shadow *sh, lvaddr_t va)
{
    capaddr_t copy = sh->frame[L2_INDEX(va)] & ~PAGING_FRAME_ALIAS;

    vnode_unmap(sh->table, copy);
    cap_delete(copy);
    slot_free(copy);
    sh->frame[L2_INDEX(va)] = 0;
    paging_shadow_count(st, sh, -1);
    st->stats.lazy_pages--;
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

/* ---- stacks, trimming, statistics ---- */

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

size_t paging_trim(struct paging_state *st)
{
    size_t bytes;

    if (!paging_may_rpc()) {
        return 0;                       /* inside an RPC: giving back is an RPC */
    }
    /* chunks first (moving pages may empty tables: the move's scratch
     * page's), then the tables and metadata pages that freed, then the
     * chunks of metadata that leaves empty */
    paging_lock(st);
    bytes = frame_pool_trim();
    paging_trim_tables(st);
    paging_reclaim_slabs(true);
    bytes += frame_pool_trim();
    slot_alloc_trim();
    paging_unlock(st);
    return bytes;
}

void paging_set_verbose(struct paging_state *st, bool verbose)
{
    st->verbose = verbose;
}

void paging_get_info(struct paging_state *st, struct paging_info *info)
{
    struct buddy_stats bs;
    struct frame_pool_info fp;

    paging_lock(st);
    buddy_get_stats(&st->buddy, &bs);
    info->faults = st->stats.faults;
    info->lazy_pages = st->stats.lazy_pages;
    info->eager_pages = st->stats.eager_pages;
    frame_pool_get_info(&fp);
    info->lazy_frames = fp.used[FRAME_POOL_LAZY];
    info->ram_pool_bytes = (fp.free[FRAME_POOL_LAZY] + fp.free[FRAME_POOL_META]) * BASE_PAGE_SIZE;
    info->pool_held_bytes = fp.held_bytes;
    for (int i = 0; i < 5 && i < BUDDY_TAG_COUNT; i++) {
        info->reserved[i] = bs.tag_bytes[i];
    }
    info->metadata_bytes = bs.metadata_bytes;
    paging_unlock(st);
}
