/*
 * The runtime's own eagerly mapped memory: the pages of the paging
 * metadata slabs (buddy nodes, shadows, mapping records, chunk records)
 * and the exception stacks, which must never fault. Their frames come from
 * the META pool (frame_pool.c).
 *
 * They live in one arena, a FIXED block of META_ARENA_BYTES reserved at
 * the first use, handed out page by page, lowest address first:
 *
 *   arena:  [ used used . used used used . . . . . . . . . ... ]
 *   bitmap `used`: bit p = page p is handed out; `start`: p begins a block
 *
 * So the metadata of a domain stays in the few sections at the arena's
 * low end (a few L2 tables and shadows, however much the domain mapped
 * and freed since), and a block needs no buddy node of its own: the nodes
 * never pin the slab pages they live on. An exception stack has an
 * unmapped page below it in the arena: an overflow faults there (fatal,
 * reported) instead of writing over its neighbour. A block freed goes back at once
 * (its frames to the pool). When the arena is full, blocks come from the
 * buddy allocator as FIXED blocks of their own, as before the arena.
 *
 * Everything runs with the paging lock held (taken here).
 */
#include "paging_types.h"
#include "frame_pool.h"
#include <string.h>

#define META_ARENA_PAGES 4096u                  /* 16 MiB of address space */
#define META_ARENA_BYTES (META_ARENA_PAGES * BASE_PAGE_SIZE)
#define WORDS            (META_ARENA_PAGES / 32)

static lvaddr_t arena;                          /* 0: not reserved (yet, or no room) */
static uint32_t used[WORDS], start[WORDS];
static uint32_t low_word;                       /* no free page in used[0 .. low_word) */

static inline bool bit(const uint32_t *map, uint32_t p)
{
    return (map[p / 32] >> (p % 32)) & 1u;
}

static inline void set(uint32_t *map, uint32_t p, bool on)
{
    if (on) {
        map[p / 32] |= 1u << (p % 32);
    } else {
        map[p / 32] &= ~(1u << (p % 32));
    }
}

/* The lowest run of `n` free pages of the arena; META_ARENA_PAGES if none. */
static uint32_t find_run(uint32_t n)
{
    uint32_t run = 0;

    for (uint32_t p = low_word * 32; p < META_ARENA_PAGES; p++) {
        if (run == 0 && used[p / 32] == 0xffffffffu) {
            p |= 31;                            /* a full word: skip it */
            continue;
        }
        run = bit(used, p) ? 0 : run + 1;
        if (run == n) {
            return p + 1 - n;
        }
    }
    return META_ARENA_PAGES;
}

/* Pages [first, first + n) of the arena, or a FIXED block of the buddy
 * allocator when the arena has no room. */
static errval_t reserve(struct paging_state *st, uint32_t n, lvaddr_t *ret)
{
    uint32_t first;
    size_t got;

    if (st != get_current_paging_state()) {
        return buddy_alloc(&st->buddy, (size_t)n * BASE_PAGE_SIZE, BASE_PAGE_SIZE,
                           BUDDY_TAG_FIXED, ret, &got);
    }
    if (arena == 0 && err_is_fail(buddy_alloc(&st->buddy, META_ARENA_BYTES, SECTION_SIZE,
                                              BUDDY_TAG_FIXED, &arena, &got))) {
        arena = 0;
    }
    first = arena != 0 ? find_run(n) : META_ARENA_PAGES;
    if (first == META_ARENA_PAGES) {
        return buddy_alloc(&st->buddy, (size_t)n * BASE_PAGE_SIZE, BASE_PAGE_SIZE,
                           BUDDY_TAG_FIXED, ret, &got);
    }
    for (uint32_t p = first; p < first + n; p++) {
        set(used, p, true);
    }
    set(start, first, true);
    while (low_word < WORDS && used[low_word] == 0xffffffffu) {
        low_word++;
    }
    *ret = arena + (lvaddr_t)first * BASE_PAGE_SIZE;
    return SYS_ERR_OK;
}

/* The arena's pages of the block at `base` are free again. */
static void unreserve(lvaddr_t base, size_t bytes)
{
    uint32_t first = (uint32_t)((base - arena) / BASE_PAGE_SIZE);

    set(start, first, false);
    for (uint32_t p = first; p < first + bytes / BASE_PAGE_SIZE; p++) {
        set(used, p, false);
    }
    if (first / 32 < low_word) {
        low_word = first / 32;
    }
}

static inline bool in_arena(lvaddr_t va)
{
    return arena != 0 && va - arena < META_ARENA_BYTES;
}

/* Bytes of the arena block at `base` (a block ends at a free page or the
 * next block's start). 0 if base does not start a block. */
static size_t block_bytes(lvaddr_t base)
{
    uint32_t first = (uint32_t)((base - arena) / BASE_PAGE_SIZE), p;

    if ((base & (BASE_PAGE_SIZE - 1)) != 0 || !bit(start, first)) {
        return 0;
    }
    for (p = first + 1; p < META_ARENA_PAGES && bit(used, p) && !bit(start, p); p++) {
    }
    return (size_t)(p - first) * BASE_PAGE_SIZE;
}

/* A page of the arena that is never mapped but by its user (the scratch
 * page of vspace/remap.c): no buddy node of its own (lock held). */
lvaddr_t paging_arena_page(void)
{
    lvaddr_t va;

    return err_is_ok(reserve(get_current_paging_state(), 1, &va)) ? va : 0;
}

/* `bytes` (whole pages) of mapped memory of our own (lock held); with
 * `guard`, one more page below it that stays unmapped (an exception stack
 * that overflows faults there instead of writing over metadata). */
static errval_t map_eager(struct paging_state *st, size_t bytes, bool guard, lvaddr_t *ret)
{
    lvaddr_t base;
    errval_t err = reserve(st, (uint32_t)(bytes / BASE_PAGE_SIZE) + guard, &base);

    base += guard ? BASE_PAGE_SIZE : 0;
    for (size_t off = 0; err_is_ok(err) && off < bytes; off += BASE_PAGE_SIZE) {
        capaddr_t frame;
        err = frame_pool_get(FRAME_POOL_META, base + off, &frame);
        if (err_is_ok(err)) {
            err = paging_map_page(st, base + off, frame, VREGION_FLAGS_READ_WRITE);
            if (err_is_fail(err)) {
                frame_pool_put(frame);
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
    err = map_eager(st, bytes, false, &va);
    paging_unlock(st);
    if (err_is_fail(err)) {
        return err_push(err, LIB_ERR_SLAB_REFILL);
    }
    return slab_grow_releasable(slabs, (void *)va, bytes);
}

slab_refill_fn paging_slab_refill_fn(void)
{
    return pool_slab_refill;
}

errval_t paging_alloc_eager(struct paging_state *st, size_t bytes, void **buf)
{
    lvaddr_t va;
    errval_t err;

    paging_lock(st);
    err = map_eager(st, ROUND_UP(bytes, BASE_PAGE_SIZE), true, &va);
    paging_refill_slabs();
    paging_unlock(st);
    if (err_is_ok(err)) {
        *buf = (void *)va;
    }
    return err;
}

/* Unmap and return the frames of an eager block (of the arena: a block
 * that starts one page before `buf` has its guard page there). */
errval_t paging_free_eager(struct paging_state *st, void *buf)
{
    lvaddr_t base = (lvaddr_t)buf;
    size_t bytes;

    if (st != get_current_paging_state() || !in_arena(base)) {
        return paging_free_block(st, base, 1u << BUDDY_TAG_FIXED, false);
    }
    paging_lock(st);
    bytes = block_bytes(base);
    if (bytes == 0 && base - arena >= BASE_PAGE_SIZE) {
        base -= BASE_PAGE_SIZE;             /* a guarded block */
        bytes = block_bytes(base);
    }
    if (bytes != 0) {
        paging_unmap_lazy(st, base, bytes, true);
        unreserve(base, bytes);
    }
    paging_unlock(st);
    return bytes != 0 ? SYS_ERR_OK : LIB_ERR_PAGING_NOT_MAPPED;
}
