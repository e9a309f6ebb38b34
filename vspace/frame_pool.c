/*
 * The frame pools (vspace/frame_pool.h): RAM comes from the memory server
 * in chunks of 32 to 256 pages, each retyped at once into zeroed 4 KiB
 * frames whose caps fill a CNode of their own, so the common page fault is
 * one kernel invocation (the map) and no RPC.
 *
 *   chunk_of_root[r] ──> struct frame_chunk { ram, cn_ram, root r, pages,
 *                                             used, map: bit i = frame i in use }
 *   frame i of the chunk in root slot r is the cap CPTR(r, i)
 *
 * Taking a frame: the chunk with the lowest root slot that has a free one
 * (a bitmap over root slots per pool), then its lowest free frame. Always
 * filling the low chunks first lets the high ones drain, so freed memory
 * gathers in whole empty chunks, which can go back.
 *
 * Giving back: a freed frame (zeroed by the caller: every free frame reads
 * zero) returns to its chunk in O(1) (chunk_of_root). When the pool holds
 * more free frames than its high-water mark, max(keep, used / 8), empty
 * chunks go back to the memory server until it holds at most half the
 * mark. `keep` starts at keep_min (1 MiB for the heap) and adapts: a chunk
 * asked for soon after chunks went back (the domain oscillates) doubles
 * it, up to 32 MiB; a second in which the pool never dipped below half of
 * it halves it again. So a domain
 * that frees and allocates the same amount over and over ends up keeping
 * it, and one that shrinks for good gives it back while it runs.
 * frame_pool_trim (malloc_trim) gives back every empty chunk it can spare.
 *
 * Two pools, so that long-lived metadata pages never pin a chunk of heap
 * pages: LAZY serves faults in HEAP and STACK blocks, META the runtime's
 * eagerly mapped memory (slab refills, exception stacks).
 *
 * A pool asks for its next chunk ahead, when fewer frames are free than
 * half its newest chunk, at most its reserve: a thread that faults while
 * it is inside an RPC to init holds the channel and cannot ask, and the
 * reserve covers what such a thread touches (its stack, a reply buffer of
 * a few KiB). Nothing is given back while the thread is inside an RPC
 * either (FREE_RAM is an RPC).
 */
#include "frame_pool.h"
#include "paging_types.h"
#include <aos/caps.h>
#include <aos/slot_alloc.h>
#include <aos/ram_alloc.h>
#include <aos/syscalls.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define CHUNK_MAX_PAGES  L2_CNODE_SLOTS
#define ROOT_WORDS       (SLOT_ALLOC_MAX_ROOT_SLOTS / 32)
#define KEEP_MAX         8192            /* the adaptive mark stops at 32 MiB of frames */
#define KEEP_DECAY_TICKS 62500000u       /* it halves after a second without thrashing */

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
    struct frame_pool *pool;
    bool keep;                            /* frame_pool_trim keeps it */
    struct frame_chunk *prev, *next;      /* the pool's chunks, newest first */
    lvaddr_t va[];                        /* [pages]: where a frame in use is mapped (0:
                                             unknown, FRAME_VA_PINNED set: not to be moved) */
};
/* Records come in two sizes, so a small domain's few small chunks fit the
 * static bootstrap page: up to SMALL_CHUNK pages, and up to 256. */
#define SMALL_CHUNK 64
#define RECORD_BYTES(pages) (sizeof(struct frame_chunk) + (pages) * sizeof(lvaddr_t))

struct frame_pool {
    struct frame_chunk *cur;                /* the lowest chunk with a free frame, or NULL:
                                               look it up (take_frame's fast path) */
    size_t refill_at;                       /* ask ahead for a chunk at or below this many
                                               free frames (refill_below, kept current) */
    struct frame_chunk *chunks;             /* newest first */
    uint32_t nonfull[ROOT_WORDS];           /* bit r: chunk in root slot r has a free frame */
    uint32_t nonfull_hint;                  /* no bit in nonfull[0 .. hint) */
    uint32_t first_pages;                   /* the first chunk's pages */
    uint32_t chunk_pages;                   /* the next chunk's; doubles up to max */
    uint32_t max_chunk_pages;
    size_t free;                            /* frames available without RAM */
    size_t used;                            /* frames handed out */
    size_t reserve;                         /* ask ahead at or below this */
    size_t keep_min;                        /* high-water mark at least this */
    size_t keep;                            /* ... and at least this (adapts) */
    size_t taken_since_release;             /* frames handed out since chunks went back */
    size_t last_released;                   /* frames that went back then (0: none since
                                               the last new chunk) */
    uint64_t keep_changed;                  /* counter when the decay window began */
    size_t min_free;                        /* fewest free frames since then */
    size_t nchunks, empty;                  /* chunks, and those with no frame in use */
    size_t since_compact;                   /* frames given back since the last compaction */
};

/* Chunks start small (a small program zeroes little) and double. The heap
 * pool keeps up to 1 MiB free (or an eighth of what it hands out). */
static struct frame_pool pools[2] = {
    [FRAME_POOL_LAZY] = { .refill_at = 1, .first_pages = 32, .chunk_pages = 32,
                          .max_chunk_pages = CHUNK_MAX_PAGES, .reserve = 64, .keep_min = 256,
                          .keep = 256 },
    [FRAME_POOL_META] = { .refill_at = 1, .first_pages = 16, .chunk_pages = 16,
                          .max_chunk_pages = 64, .reserve = 8, .keep_min = 64, .keep = 64 },
};
static struct frame_chunk *chunk_of_root[SLOT_ALLOC_MAX_ROOT_SLOTS];
static bool compacting;                     /* compact() is running: no nested one */
static struct slab_allocator chunk_slabs[2];     /* records of small and of big chunks */
static char chunk_bootstrap[BASE_PAGE_SIZE] __attribute__((aligned(8)));
static bool pool_ready;

static void pool_init(void);
static size_t refill_below(const struct frame_pool *pool);

struct slab_allocator *paging_chunk_slab(bool big)
{
    if (!pool_ready) {
        pool_init();
    }
    return &chunk_slabs[big];
}

static void pool_init(void)
{
    slab_init(&chunk_slabs[0], RECORD_BYTES(SMALL_CHUNK), paging_slab_refill_fn());
    slab_grow(&chunk_slabs[0], chunk_bootstrap, sizeof(chunk_bootstrap));
    chunk_slabs[0].refill_threshold = 2;
    slab_init(&chunk_slabs[1], RECORD_BYTES(CHUNK_MAX_PAGES), paging_slab_refill_fn());
    chunk_slabs[1].refill_threshold = 1;
    pool_ready = true;
}

/* The slab a chunk of `pages` pages takes its record from. */
static inline struct slab_allocator *record_slab(uint32_t pages)
{
    return &chunk_slabs[pages > SMALL_CHUNK];
}

/* May this thread ask for RAM now? Not while it is inside an RPC to the
 * memory server; the start-up layer installs that check (ram_alloc.h). */
bool paging_may_rpc(void)
{
    return ram_alloc_may_ask();
}

static void set_nonfull(struct frame_pool *pool, cslot_t root, bool on)
{
    if (on) {
        pool->nonfull[root / 32] |= 1u << (root % 32);
        if (root / 32 < pool->nonfull_hint) {
            pool->nonfull_hint = root / 32;
        }
        if (pool->cur != NULL && root < pool->cur->root) {
            pool->cur = NULL;               /* a lower chunk has room now */
        }
    } else {
        pool->nonfull[root / 32] &= ~(1u << (root % 32));
        if (pool->cur != NULL && pool->cur->root == root) {
            pool->cur = NULL;
        }
    }
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

/* A new chunk for `pool`. */
static errval_t chunk_new(struct frame_pool *pool)
{
    struct slab_allocator *records = record_slab(pool->chunk_pages);
    struct frame_chunk *c;
    errval_t err;

    if (records->free_count == 0) {
        slab_refill_check(records);         /* (a first big chunk: its slab is empty) */
    }
    c = slab_alloc(records);
    if (c == NULL) {
        return LIB_ERR_PAGING_NO_METADATA;
    }
    memset(c, 0, sizeof(*c));               /* va[] is read only where a frame is in use */
    c->pages = pool->chunk_pages;
    c->pool = pool;
    for (uint32_t w = c->pages / 32; w < CHUNK_MAX_PAGES / 32; w++) {
        /* beyond the chunk: never free (a word it ends inside: its upper bits) */
        c->map[w] = w * 32 >= c->pages ? 0xffffffffu : ~0u << (c->pages % 32);
    }
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
        slab_free(records, c);
        return err_push(err, LIB_ERR_PAGING_NO_RAM);
    }
    /* asked for again soon after giving back: the domain oscillates;
     * keep more next time */
    if (pool->last_released > 0 && pool->taken_since_release <= 2 * pool->last_released) {
        pool->keep = pool->keep * 2 < KEEP_MAX ? pool->keep * 2 : KEEP_MAX;
        pool->keep_changed = counter_read();
        pool->min_free = pool->free;
    }
    pool->last_released = 0;
    c->next = pool->chunks;
    if (c->next != NULL) {
        c->next->prev = c;
    }
    pool->chunks = c;
    chunk_of_root[c->root] = c;
    set_nonfull(pool, c->root, true);
    pool->free += c->pages;
    pool->nchunks++;
    pool->empty++;
    pool->refill_at = refill_below(pool);
    if (pool->chunk_pages < pool->max_chunk_pages) {
        pool->chunk_pages *= 2;
    }
    slab_refill_check(records);
    return SYS_ERR_OK;
}

/* Give an empty chunk back: its frames die with their RAM (revoked by the
 * memory server), then the CNode's RAM and the root slot. */
static void chunk_release(struct frame_chunk *c)
{
    struct frame_pool *pool = c->pool;

    if (c->prev != NULL) {
        c->prev->next = c->next;
    } else {
        pool->chunks = c->next;
    }
    if (c->next != NULL) {
        c->next->prev = c->prev;
    }
    set_nonfull(pool, c->root, false);
    chunk_of_root[c->root] = NULL;
    pool->free -= c->pages;
    pool->nchunks--;
    pool->empty--;
    pool->refill_at = refill_below(pool);
    ram_free(c->ram);
    ram_free(c->cn_ram);
    slot_free_root_slot(c->root);
    slab_free(record_slab(c->pages), c);
}

/* Ask for the next chunk ahead, when fewer frames than this are free:
 * half the newest chunk, at most the pool's reserve (none yet: ask). */
static size_t refill_below(const struct frame_pool *pool)
{
    size_t half = pool->chunks != NULL ? pool->chunks->pages / 2 : 1;

    return half < pool->reserve ? half : pool->reserve;
}

/* Give back empty chunks, newest first, while the pool keeps at least
 * `keep` free frames and the thread may make the RPC. Returns bytes. */
static size_t release_empty(struct frame_pool *pool, size_t keep)
{
    struct frame_chunk *c = pool->chunks, *next;
    size_t bytes = 0, frames = 0;

    if (!paging_may_rpc()) {
        return 0;
    }
    for (; c != NULL && pool->empty > 0; c = next) {
        next = c->next;
        if (c->used == 0 && pool->free >= keep + c->pages) {
            bytes += (size_t)c->pages * BASE_PAGE_SIZE + OBJSIZE_L2CNODE;
            frames += c->pages;
            chunk_release(c);
        }
    }
    if (frames > 0) {
        pool->last_released += frames;
        pool->taken_since_release = 0;
    }
    return bytes;
}

/* The lowest chunk with a free frame (NULL: none). */
static struct frame_chunk *lowest_chunk(struct frame_pool *pool)
{
    uint32_t w;

    for (w = pool->nonfull_hint; w < ROOT_WORDS && pool->nonfull[w] == 0; w++) {
    }
    pool->nonfull_hint = w;
    if (w == ROOT_WORDS) {
        return NULL;
    }
    pool->cur = chunk_of_root[w * 32 + (uint32_t)__builtin_ctz(pool->nonfull[w])];
    return pool->cur;
}

/* The lowest free frame of the lowest chunk that has one, marked in use
 * and mapped at `va` (false: the pool is empty). The chunk is cached
 * (pool->cur) until it fills or a lower one gets room; map bits beyond a
 * chunk's pages are set, so the first clear bit is always a frame. */
static inline bool take_frame(struct frame_pool *pool, lvaddr_t va, capaddr_t *ret)
{
    struct frame_chunk *c = pool->cur;
    uint32_t w, i;

    if (c == NULL && (c = lowest_chunk(pool)) == NULL) {
        return false;
    }
    for (w = c->hint; c->map[w] == 0xffffffffu; w++) {
    }
    i = w * 32 + (uint32_t)__builtin_ctz(~c->map[w]);
    c->map[w] |= 1u << (i % 32);
    c->hint = w;
    c->va[i] = va;
    if (c->used++ == 0) {
        pool->empty--;
    }
    if (c->used == c->pages) {
        set_nonfull(pool, c->root, false);
    }
    pool->free--;
    pool->used++;
    pool->taken_since_release++;
    if (pool->free < pool->min_free) {
        pool->min_free = pool->free;
    }
    *ret = CPTR(c->root, i);
    return true;
}

/* Frame i of c is free again (zeroed by the caller). */
static void mark_free(struct frame_chunk *c, uint32_t i)
{
    struct frame_pool *pool = c->pool;

    c->map[i / 32] &= ~(1u << (i % 32));
    c->va[i] = 0;
    if (i / 32 < c->hint) {
        c->hint = i / 32;
    }
    if (c->used-- == c->pages) {
        set_nonfull(pool, c->root, true);
    }
    if (c->used == 0) {
        pool->empty++;
    }
    pool->free++;
    pool->used--;
}

/* The lowest root slot of a chunk with a free frame (ROOT_WORDS * 32: none). */
static uint32_t lowest_nonfull(struct frame_pool *pool)
{
    for (uint32_t w = pool->nonfull_hint; w < ROOT_WORDS; w++) {
        if (pool->nonfull[w] != 0) {
            return w * 32 + (uint32_t)__builtin_ctz(pool->nonfull[w]);
        }
    }
    return ROOT_WORDS * 32;
}

/*
 * Compaction: the frames still in use in sparse chunks (at most a quarter
 * used), highest root slot first, are moved to free frames of lower chunks
 * (paging_relocate_frame copies each page and maps the new frame at the
 * same address), so the sparse chunks become empty and can go back. At
 * most `budget` moves; frames whose address is unknown or pinned (a frame
 * two pages share) stay. Returns the moves made.
 */
static size_t compact(struct frame_pool *pool, size_t budget)
{
    size_t moved = 0;

    if (compacting) {
        return 0;
    }
    compacting = true;
    for (uint32_t r = SLOT_ALLOC_MAX_ROOT_SLOTS; r-- > 0 && moved < budget;) {
        struct frame_chunk *c = chunk_of_root[r];
        if (c == NULL || c->pool != pool || c->used == 0 || c->used > c->pages / 4) {
            continue;
        }
        for (uint32_t i = 0; i < c->pages && c->used > 0 && moved < budget; i++) {
            capaddr_t old = CPTR(c->root, i), new;
            lvaddr_t va = c->va[i];
            if (!(c->map[i / 32] & (1u << (i % 32))) || va == 0 || (va & FRAME_VA_PINNED)) {
                continue;
            }
            if (lowest_nonfull(pool) >= r || !take_frame(pool, va, &new)) {
                compacting = false;
                return moved;               /* no room below: done */
            }
            if (paging_relocate_frame(va, old, new)) {
                mark_free(c, i);            /* (zeroed by the move) */
                moved++;
            } else {
                mark_free(chunk_of_root[CPTR_L1_INDEX(new)], CPTR_L2_INDEX(new));
            }
        }
    }
    compacting = false;
    return moved;
}

/* frame_pool_get when the cached chunk cannot serve or the pool must ask
 * for a chunk ahead (out of line: the fast path keeps few registers). */
static errval_t __attribute__((noinline)) get_slow(struct frame_pool *pool, lvaddr_t va,
                                                   capaddr_t *ret)
{
    if (!pool_ready) {
        pool_init();
    }
    if (pool->free < refill_below(pool) && paging_may_rpc()) {
        errval_t err = chunk_new(pool);
        if (err_is_fail(err) && pool->free == 0) {
            return err;
        }
    }
    return take_frame(pool, va, ret) ? SYS_ERR_OK : LIB_ERR_PAGING_NO_RAM;
}

/* Every page fault takes a frame here: the common case is the cached
 * lowest chunk's next free frame, a few loads and stores. */
errval_t frame_pool_get(enum frame_pool_kind kind, lvaddr_t va, capaddr_t *ret)
{
    struct frame_pool *pool = &pools[kind];
    struct frame_chunk *c = pool->cur;
    uint32_t w, m, i;

    if (__builtin_expect(c == NULL || pool->free < pool->refill_at
                         || (m = c->map[w = c->hint]) == 0xffffffffu
                         || c->used + 1 == c->pages || c->used == 0, 0)) {
        return get_slow(pool, va, ret);
    }
    i = (uint32_t)__builtin_ctz(~m);
    c->map[w] = m | (1u << i);
    i += w * 32;
    c->va[i] = va;
    c->used++;
    pool->free--;
    pool->used++;
    pool->taken_since_release++;
    if (pool->free < pool->min_free) {
        pool->min_free = pool->free;
    }
    *ret = CPTR(c->root, i);
    return SYS_ERR_OK;
}

bool frame_pool_put(capaddr_t frame)
{
    uint32_t root = CPTR_L1_INDEX(frame), i = CPTR_L2_INDEX(frame);
    struct frame_chunk *c = root < SLOT_ALLOC_MAX_ROOT_SLOTS ? chunk_of_root[root] : NULL;
    struct frame_pool *pool;
    size_t high;

    if (c == NULL || (frame & CPTR_L1_SLOT) != 0 || i >= c->pages
        || !(c->map[i / 32] & (1u << (i % 32)))) {
        return false;
    }
    pool = c->pool;
    mark_free(c, i);
    if (pool->keep > pool->keep_min && counter_read() - pool->keep_changed > KEEP_DECAY_TICKS) {
        if (pool->min_free > pool->keep / 2) {
            pool->keep /= 2;                /* half of it went unused for a second */
        }
        pool->keep_changed = counter_read();
        pool->min_free = pool->free;
    }
    high = pool->used / 8 > pool->keep ? pool->used / 8 : pool->keep;
    if (pool->free <= high || compacting) {
        return true;
    }
    if (pool->empty > 0) {
        release_empty(pool, high / 2);
    }
    /* still far above the mark: a few pages pin the chunks; move them, at
     * most one page per frame given back since the last time */
    if (pool->free > 2 * high && ++pool->since_compact >= 64 && paging_may_rpc()) {
        compact(pool, pool->since_compact);
        release_empty(pool, high / 2);
        pool->since_compact = 0;
    }
    return true;
}

void frame_pool_pin(capaddr_t frame, bool pinned)
{
    uint32_t root = CPTR_L1_INDEX(frame), i = CPTR_L2_INDEX(frame);
    struct frame_chunk *c = root < SLOT_ALLOC_MAX_ROOT_SLOTS ? chunk_of_root[root] : NULL;

    if (c != NULL && i < c->pages) {
        c->va[i] = pinned ? c->va[i] | FRAME_VA_PINNED : c->va[i] & ~(lvaddr_t)FRAME_VA_PINNED;
    }
}

/* Whether every frame c has in use may be moved (known, not pinned, not
 * under the caller's own stack: relocation would refuse those). */
static bool movable(const struct frame_chunk *c, lvaddr_t stack_base, lvaddr_t stack_top)
{
    for (uint32_t i = 0; i < c->pages; i++) {
        lvaddr_t va = c->va[i];
        if ((c->map[i / 32] & (1u << (i % 32)))
            && (va == 0 || (va & FRAME_VA_PINNED) || (va >= stack_base && va < stack_top))) {
            return false;
        }
    }
    return true;
}

/*
 * Choose the chunks a trimmed pool keeps (c->keep), holding as few pages
 * as will hold every frame in use and `slack` free ones: first those with
 * frames that cannot move; then either more of them, the fullest first
 * (the smaller first among equals), or one new chunk of just the size
 * still needed, whichever holds fewer pages.
 */
static void choose_kept(struct frame_pool *pool, size_t slack, lvaddr_t sb, lvaddr_t st)
{
    size_t need = pool->used + slack, cap = 0, fixed_cap, added = 0, fresh;
    struct frame_chunk *c;

    for (c = pool->chunks; c != NULL; c = c->next) {
        c->keep = c->used > 0 && !movable(c, sb, st);
        cap += c->keep ? c->pages : 0;
    }
    fixed_cap = cap;
    while (cap < need) {
        struct frame_chunk *best = NULL;
        for (c = pool->chunks; c != NULL; c = c->next) {
            if (!c->keep && (best == NULL || c->used > best->used
                             || (c->used == best->used && c->pages < best->pages))) {
                best = c;
            }
        }
        if (best == NULL) {
            return;
        }
        best->keep = true;
        cap += best->pages;
        added += best->pages;
    }
    if (added == 0) {
        return;
    }
    for (fresh = pool->first_pages; fresh < need - fixed_cap; fresh *= 2) {
    }
    if (fresh < added && fresh <= pool->max_chunk_pages && paging_may_rpc()) {
        uint32_t next = pool->chunk_pages;
        pool->chunk_pages = (uint32_t)fresh;
        if (err_is_ok(chunk_new(pool))) {
            for (c = pool->chunks->next; c != NULL; c = c->next) {
                c->keep = c->keep && c->used > 0 && !movable(c, sb, st);
            }
            pool->chunks->keep = true;
        }
        pool->chunk_pages = next;
    }
}

/*
 * Trim one pool: keep as few chunks as hold what is in use (choose_kept),
 * move every page out of the others (only kept chunks take frames
 * meanwhile), and give the emptied ones back.
 */
static size_t trim_pool(struct frame_pool *pool, size_t slack)
{
    lvaddr_t sb = 0, st = 0;
    struct frame_chunk *c, *next;
    size_t bytes;

    paging_own_stack(&sb, &st);
    compacting = true;
    choose_kept(pool, slack, sb, st);
    for (c = pool->chunks; c != NULL; c = c->next) {
        if (!c->keep) {
            set_nonfull(pool, c->root, false);          /* takes no frames now */
        }
    }
    for (c = pool->chunks; c != NULL; c = c->next) {
        for (uint32_t i = 0; !c->keep && c->used > 0 && i < c->pages; i++) {
            capaddr_t new;
            if (!(c->map[i / 32] & (1u << (i % 32))) || !take_frame(pool, c->va[i], &new)) {
                continue;
            }
            if (paging_relocate_frame(c->va[i], CPTR(c->root, i), new)) {
                mark_free(c, i);
            } else {
                mark_free(chunk_of_root[CPTR_L1_INDEX(new)], CPTR_L2_INDEX(new));
            }
        }
    }
    bytes = 0;
    for (c = pool->chunks; c != NULL; c = next) {
        next = c->next;
        if (c->used < c->pages) {
            set_nonfull(pool, c->root, true);
        }
        if (!c->keep && c->used == 0) {
            bytes += (size_t)c->pages * BASE_PAGE_SIZE + OBJSIZE_L2CNODE;
            chunk_release(c);
        } else {
            c->keep = false;
        }
    }
    compacting = false;
    pool->chunk_pages = pool->first_pages;
    pool->since_compact = 0;
    return bytes;
}

size_t frame_pool_trim(void)
{
    size_t bytes = 0;

    if (!pool_ready || !paging_may_rpc()) {
        return 0;
    }
    for (int k = 0; k < 2; k++) {
        struct frame_pool *pool = &pools[k];
        size_t slack = pool->first_pages / 2 < pool->reserve ? pool->first_pages / 2
                                                             : pool->reserve;
        paging_reclaim_slabs(true);         /* chunk records freed by the last trim */
        bytes += trim_pool(pool, slack);
        pool->keep = pool->keep_min;
    }
    return bytes;
}

void frame_pool_get_info(struct frame_pool_info *info)
{
    memset(info, 0, sizeof(*info));
    for (int k = 0; k < 2; k++) {
        info->used[k] = pools[k].used;
        info->free[k] = pools[k].free;
        info->chunks[k] = pools[k].nchunks;
        for (struct frame_chunk *c = pools[k].chunks; c != NULL; c = c->next) {
            info->held_bytes += (size_t)c->pages * BASE_PAGE_SIZE + OBJSIZE_L2CNODE;
        }
    }
}
