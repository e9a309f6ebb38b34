/*
 * Medium objects (SMALL_MAX < size < MALLOC_LARGE: 1 KiB to 128 KiB):
 * boundary-tagged chunks in 4 MiB regions, good fit from segregated free
 * lists, neighbours merged at once, and the pages inside free chunks given
 * back to the frame pool when enough of them have collected
 * (docs/heap.md). It replaces picolibc's first-fit heap over sbrk, which
 * could not give back a page that a freed block shared with its neighbour,
 * and could not grow past the first HEAP block that was in its way.
 *
 *   region (4 MiB HEAP block, faults in as touched):
 *   [ header | chunk | chunk | ... | fence ]
 *   The fence (the region's last 8 bytes) is never written: a chunk ending
 *   there has no next chunk to merge with (is_fence), and the region's last
 *   page is not touched until a chunk there is used.
 *
 *   chunk at c (8-byte aligned):
 *     c + 0   prev_size    size of the chunk before, valid only if it is free
 *                          (else the last word of its payload)
 *     c + 4   head         size | PINUSE (the chunk before is in use)
 *                               | CINUSE (this one is) | DIRTY (free, and
 *                               pages inside it may still be mapped)
 *     c + 8   payload      what malloc returns; a free chunk keeps its list
 *                          links here (next, prev) and, from 1 KiB, how many
 *                          of its inner bytes may still be mapped (dirty)
 *   An object of n bytes takes a chunk of max(16, round_up(n + 4, 8)): the
 *   next chunk's prev_size word is its last word.
 *
 * Free chunks of 1 KiB or more are on one of 104 lists: 13 powers of two,
 * each split in 8 (two-level bitmap: the first non-empty list that must
 * fit is one count-trailing-zeros away). Smaller free chunks (the tail of
 * a split) are on no list: nothing this size is asked of this allocator,
 * they only wait to merge with a neighbour.
 *
 * Giving RAM back: a free chunk's pages other than the one holding its
 * first 20 bytes are not needed until it is handed out again. `dirty` is
 * the number of such bytes that may still be mapped. Each time it has
 * grown by max(128 KiB, in_use / 16) since its low point, a pass gives
 * back the inner pages of the chunks that were dirty at the pass before
 * already (freed, and not used again for a whole interval) and marks the
 * others; at twice that, or when the heap shrank by half of it since the
 * last pass, every dirty chunk's pages go (their frames back to the pool;
 * touching them again faults in zero pages). Memory freed and used again
 * soon, the common case, is never unmapped and faulted in again. A region
 * wholly free goes back at once, page tables and all, unless it is the
 * only one left.
 *
 * Locking: heap_lock (the C library's malloc lock: recursive; lock order
 * malloc, then paging), held by every entry point. The pages come through
 * malloc_internal.h's heap_region_alloc/_free and heap_pages_release
 * (morecore/heap_pages.c), so this file builds for the host tests too.
 */
#include "malloc_internal.h"
#include <stddef.h>
#include <string.h>
#include <stdint.h>

#define REGION_BITS     22
#define REGION_SIZE     (1u << REGION_BITS)                 /* 4 MiB */
#define REGION_SLOTS    (1u << (31 - REGION_BITS))          /* 2 GiB of user space */
#define MIN_CHUNK       16u
#define PINUSE          1u
#define CINUSE          2u
#define DIRTY           4u
#define FLAGS           7u
#define FIRST_CHUNK     16u                 /* offset in the region */
#define FREE_HEADER     (offsetof(struct chunk, dirty) + 4)   /* a listed free chunk's bytes */
#define FENCE           8u                  /* bytes at the region's end */
#define BIN_MIN_BITS    10                  /* lists hold chunks of 1 KiB or more */
#define SL_BITS         3
#define FL_COUNT        (REGION_BITS + 1 - BIN_MIN_BITS)   /* 13 */
#define NBINS           (FL_COUNT << SL_BITS)
#define PURGE_MIN       (128u * 1024)

struct chunk {
    uint32_t prev_size;
    uint32_t head;
    struct chunk *next, *prev;              /* free, on a list */
    uint32_t dirty;                         /* free, listed: inner bytes maybe mapped
                                               (| AGED: dirty at the last pass already) */
};
#define AGED            0x80000000u
#define DIRTY_BYTES(c)  ((c)->dirty & ~AGED)

struct region {
    struct region *next, *prev;
    uint32_t free_bytes;                    /* sum of its free chunks */
    uint32_t pad;
};

static struct chunk *bins[NBINS], *tails[NBINS];
static uint32_t fl_map;                     /* bit f: some list of power f is non-empty */
static uint8_t sl_map[FL_COUNT];
static struct region *regions;
static uint8_t region_slot[REGION_SLOTS];   /* 1: addr >> REGION_BITS is a region */
static uint32_t nregions;
static size_t in_use, dirty;
static size_t dirty_floor;                  /* the least `dirty` was since the last pass */

static inline uint32_t csize(const struct chunk *c)
{
    return c->head & ~FLAGS;
}

static inline struct chunk *at(const void *base, uint32_t off)
{
    return (struct chunk *)((char *)base + off);
}

static inline struct chunk *next_chunk(const struct chunk *c)
{
    return at(c, csize(c));
}

/* Whether chunk address n is the fence of its region (never a chunk). */
static inline bool is_fence(const struct chunk *n)
{
    return ((uintptr_t)n & (REGION_SIZE - 1)) == REGION_SIZE - FENCE;
}

/* Whether the chunk at n (after some chunk) is in use: the fence is. */
static inline bool next_in_use(const struct chunk *n)
{
    return is_fence(n) || (n->head & CINUSE) != 0;
}

/* The chunk before c (valid only if it is free: c's PINUSE clear). */
static inline struct chunk *prev_chunk(const struct chunk *c)
{
    return (struct chunk *)((char *)c - c->prev_size);
}

static inline struct region *region_of(const void *p)
{
    return (struct region *)((uintptr_t)p & ~(uintptr_t)(REGION_SIZE - 1));
}

bool medium_owns(const void *p)
{
    uintptr_t slot = (uintptr_t)p >> REGION_BITS;

    return slot < REGION_SLOTS && region_slot[slot] != 0;
}

/* ---- the lists ---- */

/* Bytes of whole pages in [c + FREE_HEADER, c + size). */
static inline uint32_t inner_bytes(const struct chunk *c, uint32_t size)
{
    uintptr_t lo = ROUND_UP((uintptr_t)c + FREE_HEADER, BASE_PAGE_SIZE);
    uintptr_t hi = ROUND_DOWN((uintptr_t)c + size, BASE_PAGE_SIZE);

    return hi > lo ? (uint32_t)(hi - lo) : 0;
}


/* The list a free chunk of `size` (>= 1 KiB) belongs on. */
static inline uint32_t bin_of(uint32_t size)
{
    uint32_t fl = 31 - (uint32_t)__builtin_clz(size);
    uint32_t sl = (size >> (fl - SL_BITS)) & ((1u << SL_BITS) - 1);

    return (fl - BIN_MIN_BITS) << SL_BITS | sl;
}

/* A chunk whose pages are all still mapped goes first on its list, one
 * with pages given back last: malloc takes the first that fits, so memory
 * still mapped is used again before memory that would fault in anew. */
static void bin_insert(struct chunk *c, uint32_t inner)
{
    uint32_t b = bin_of(csize(c));

    if (DIRTY_BYTES(c) < inner && bins[b] != NULL) {
        c->next = NULL;                     /* cold: at the tail */
        c->prev = tails[b];
        tails[b]->next = c;
        tails[b] = c;
        return;
    }
    c->prev = NULL;
    c->next = bins[b];
    if (c->next != NULL) {
        c->next->prev = c;
    } else {
        tails[b] = c;
    }
    bins[b] = c;
    fl_map |= 1u << (b >> SL_BITS);
    sl_map[b >> SL_BITS] |= (uint8_t)(1u << (b & 7));
}

static void bin_remove(struct chunk *c)
{
    uint32_t b = bin_of(csize(c));

    if (c->prev != NULL) {
        c->prev->next = c->next;
    } else {
        bins[b] = c->next;
        if (c->next == NULL) {
            sl_map[b >> SL_BITS] &= (uint8_t)~(1u << (b & 7));
            if (sl_map[b >> SL_BITS] == 0) {
                fl_map &= ~(1u << (b >> SL_BITS));
            }
        }
    }
    if (c->next != NULL) {
        c->next->prev = c->prev;
    } else {
        tails[b] = c->prev;
    }
}

/* The first non-empty list at or after `b`; NBINS if none. */
static uint32_t bin_from(uint32_t b)
{
    uint32_t fl = b >> SL_BITS, sl = sl_map[fl] & (0xffu << (b & 7));

    if (sl == 0) {
        uint32_t higher = fl + 1 < 32 ? fl_map & (~0u << (fl + 1)) : 0;
        if (higher == 0) {
            return NBINS;
        }
        fl = (uint32_t)__builtin_ctz(higher);
        sl = sl_map[fl];
    }
    return fl << SL_BITS | (uint32_t)__builtin_ctz(sl);
}

/* ---- dirty pages ---- */

static void unmap_inner(struct chunk *c)
{
    uint32_t bytes = inner_bytes(c, csize(c));

    if (bytes > 0) {
        heap_pages_release(ROUND_UP((uintptr_t)c + FREE_HEADER, BASE_PAGE_SIZE), bytes);
    }
}

/* Give back the inner pages of free chunk c (dirty bytes and flag cleared). */
static void clean(struct chunk *c)
{
    unmap_inner(c);
    dirty -= DIRTY_BYTES(c);
    c->head &= ~DIRTY;
    c->dirty = 0;
}

/* Every dirty free chunk's inner pages back (`all`), or, in a pass that
 * ages them, only those that were dirty at the last pass already (memory
 * freed and not used again since); the others are marked. */
static void purge(bool all)
{
    for (uint32_t b = bin_from(0); b < NBINS; b = b + 1 < NBINS ? bin_from(b + 1) : NBINS) {
        for (struct chunk *c = bins[b]; c != NULL; c = c->next) {
            if (!(c->head & DIRTY)) {
                continue;
            }
            if (all || (c->dirty & AGED)) {
                clean(c);
            } else {
                c->dirty |= AGED;
            }
        }
    }
    dirty_floor = dirty;
}

/* After a free: a pass when the dirty bytes grew by the limit since the
 * least they were after the last one (max(PURGE_MIN, in use / 16)): one
 * that ages, while the heap holds steady (what is freed is likely used
 * again soon); one that gives back every dirty page when the heap shrank
 * by half the limit since the last pass (nobody needs it soon), or when
 * the dirty bytes reach twice the limit. */
static inline void maybe_purge(void)
{
    static size_t in_use_at_pass;
    size_t limit = in_use / 16 > PURGE_MIN ? in_use / 16 : PURGE_MIN;

    if (dirty > dirty_floor + limit || dirty > 2 * limit) {
        purge(dirty > 2 * limit || in_use + limit / 2 < in_use_at_pass);
        in_use_at_pass = in_use;
    }
}

/* ---- free chunks ---- */

/* Make [c, c + size) one free chunk (its neighbours are in use) with up
 * to `dirty_bytes` of its inner bytes still mapped, and list it. */
static void make_free(struct chunk *c, uint32_t size, uint32_t pinuse, uint32_t dirty_bytes)
{
    struct chunk *n;

    n = at(c, size);
    if (!is_fence(n)) {
        n->prev_size = size;
        n->head &= ~PINUSE;
    }
    c->head = size | pinuse;
    if (size >= (1u << BIN_MIN_BITS)) {
        uint32_t inner = inner_bytes(c, size);
        c->dirty = dirty_bytes < inner ? dirty_bytes : inner;      /* (young) */
        if (c->dirty > 0) {
            c->head |= DIRTY;
            dirty += c->dirty;
        }
        bin_insert(c, inner);
    }
}

/* Take free chunk c off its list (and out of the dirty count); returns
 * its dirty bytes. */
static uint32_t take_free(struct chunk *c)
{
    uint32_t was = 0;

    if (csize(c) >= (1u << BIN_MIN_BITS)) {
        bin_remove(c);
        was = DIRTY_BYTES(c);
        dirty -= was;
    }
    return was;
}

/* A new region: one free chunk between its header and its fence. */
static struct chunk *region_new(void)
{
    struct region *r;
    struct chunk *c;

    r = heap_region_alloc(REGION_SIZE);
    if (r == NULL) {
        return NULL;
    }
    r->next = regions;
    r->prev = NULL;
    if (regions != NULL) {
        regions->prev = r;
    }
    regions = r;
    region_slot[(uintptr_t)r >> REGION_BITS] = 1;
    nregions++;
    c = at(r, FIRST_CHUNK);
    make_free(c, REGION_SIZE - FENCE - FIRST_CHUNK, PINUSE, 0);
    return c;
}

/* A region wholly free goes back (unless it is the last and `keep_last`):
 * chunk c spans it. */
static bool region_release(struct chunk *c, bool keep_last)
{
    struct region *r = region_of(c);

    if ((keep_last && nregions == 1) || (uintptr_t)c != (uintptr_t)r + FIRST_CHUNK
        || csize(c) != REGION_SIZE - FENCE - FIRST_CHUNK) {
        return false;
    }
    take_free(c);
    if (r->prev != NULL) {
        r->prev->next = r->next;
    } else {
        regions = r->next;
    }
    if (r->next != NULL) {
        r->next->prev = r->prev;
    }
    region_slot[(uintptr_t)r >> REGION_BITS] = 0;
    nregions--;
    heap_region_free(r);
    return true;
}

/* Hand out the first `size` bytes of free chunk c (off its list); the rest
 * becomes a free chunk of its own if it can be one. */
static void *carve(struct chunk *c, uint32_t size)
{
    uint32_t have = csize(c), was_dirty = take_free(c), taken = inner_bytes(c, size);

    if (have - size >= MIN_CHUNK) {
        /* where in the chunk its dirty pages were is not known: count them
         * in the part handed out first (it is used at once anyway), so the
         * rest is not counted dirty for pages that are not mapped */
        c->head = size | (c->head & PINUSE) | CINUSE;
        make_free(at(c, size), have - size, PINUSE, was_dirty > taken ? was_dirty - taken : 0);
    } else {
        c->head = have | (c->head & PINUSE) | CINUSE;
        if (!is_fence(next_chunk(c))) {
            next_chunk(c)->head |= PINUSE;
        }
    }
    in_use += csize(c);
    return (char *)c + 8;
}

static inline uint32_t chunk_for(size_t bytes)
{
    return bytes + 4 + 7 < MIN_CHUNK ? MIN_CHUNK : (uint32_t)((bytes + 4 + 7) & ~7u);
}

/* A free chunk of at least `size` bytes: the first that fits on its own
 * list, else any of the next non-empty list. */
static struct chunk *find(uint32_t size)
{
    uint32_t b = bin_of(size);

    for (struct chunk *c = bins[b]; c != NULL; c = c->next) {
        if (csize(c) >= size) {
            return c;
        }
    }
    b = b + 1 < NBINS ? bin_from(b + 1) : NBINS;
    return b < NBINS ? bins[b] : NULL;
}

/* ---- entry points (malloc_internal.h) ---- */

void *medium_alloc(size_t bytes)
{
    uint32_t size = chunk_for(bytes < SMALL_MAX ? SMALL_MAX : bytes);
    struct chunk *c;
    void *p;

    heap_lock();
    c = find(size);
    if (c == NULL) {
        c = region_new();
    }
    p = c != NULL ? carve(c, size) : NULL;
    if (dirty < dirty_floor) {
        dirty_floor = dirty;                /* (after the whole call: a split puts some back) */
    }
    heap_unlock();
    return p;
}

/* Inner bytes of free chunk f that are known to be unmapped. */
static inline uint32_t clean_bytes(const struct chunk *f)
{
    return csize(f) >= (1u << BIN_MIN_BITS) ? inner_bytes(f, csize(f)) - DIRTY_BYTES(f) : 0;
}

/*
 * Free chunk c (in use): merged with free neighbours and listed. Every
 * inner page of the result may be mapped except those a neighbour knew to
 * be unmapped (a page that straddled c's edge is inner only now).
 */
static void release(struct chunk *c)
{
    uint32_t size = csize(c), clean = 0;
    struct chunk *n = next_chunk(c);

    in_use -= size;
    if (!next_in_use(n)) {
        clean += clean_bytes(n);
        take_free(n);
        size += csize(n);
    }
    if (!(c->head & PINUSE)) {
        struct chunk *p = prev_chunk(c);
        clean += clean_bytes(p);
        take_free(p);
        size += csize(p);
        c = p;
    }
    make_free(c, size, c->head & PINUSE, inner_bytes(c, size) - clean);
    if (!region_release(c, true)) {
        maybe_purge();
    }
}

void medium_free(void *p)
{
    struct chunk *c = (struct chunk *)((char *)p - 8);

    heap_lock();
    if (c->head & CINUSE) {                 /* else a double free: ignored */
        release(c);
    }
    heap_unlock();
}

size_t medium_usable(const void *p)
{
    return csize((const struct chunk *)((const char *)p - 8)) - 4;
}

/*
 * realloc within the medium range: shrink in place (the tail freed),
 * grow in place into a free chunk after it, else NULL (the caller moves
 * the object).
 */
void *medium_resize(void *p, size_t bytes)
{
    struct chunk *c = (struct chunk *)((char *)p - 8), *n;
    uint32_t size = chunk_for(bytes), have;
    void *q = NULL;

    heap_lock();
    have = csize(c);
    n = next_chunk(c);
    if (size > have && !next_in_use(n) && have + csize(n) >= size) {
        take_free(n);
        have += csize(n);
        c->head = have | (c->head & FLAGS);
        if (!is_fence(next_chunk(c))) {
            next_chunk(c)->head |= PINUSE;
        }
        in_use += csize(n);
    }
    if (size <= have) {
        if (have - size >= MIN_CHUNK) {       /* the tail: in use a moment, then freed */
            struct chunk *t = at(c, size);
            c->head = size | (c->head & FLAGS);
            t->head = (have - size) | PINUSE | CINUSE;
            release(t);
        }
        q = p;
    }
    heap_unlock();
    return q;
}

/* Bytes handed out, bytes in free chunks, bytes of regions, free bytes
 * that may still be mapped (mallinfo). */
void medium_stats(size_t *used, size_t *free_bytes, size_t *arena, size_t *releasable)
{
    heap_lock();
    *used = in_use;
    *releasable = dirty;
    *arena = (size_t)nregions * REGION_SIZE;
    *free_bytes = *arena - in_use - (size_t)nregions * (FIRST_CHUNK + FENCE);
    heap_unlock();
}

/* Walk one region: the chunks tile it, each one's PINUSE says whether the
 * one before is in use, no two free chunks touch, a free chunk's size is
 * in the next one's prev_size, and a listed one is on the list of its
 * size. Adds up the bytes in use and the listed chunks. */
static const char *check_region(const struct region *r, size_t *used, size_t *listed)
{
    const struct chunk *c = at(r, FIRST_CHUNK), *end = at(r, REGION_SIZE - FENCE);
    bool prev_in_use = true;

    while (c < end) {
        uint32_t size = csize(c);
        const struct chunk *n = at(c, size);
        bool in_use = (c->head & CINUSE) != 0;
        if (size < MIN_CHUNK || size % 8 != 0 || n > end) {
            return "a chunk's size is wrong";
        }
        if (((c->head & PINUSE) != 0) != prev_in_use) {
            return "a chunk's PINUSE disagrees with the chunk before";
        }
        if (!in_use && !prev_in_use) {
            return "two free chunks touch";
        }
        if (!in_use && n != end && n->prev_size != size) {
            return "a free chunk's size is not in the next prev_size";
        }
        if (!in_use && size >= (1u << BIN_MIN_BITS)) {
            const struct chunk *l = bins[bin_of(size)];
            while (l != NULL && l != c) {
                l = l->next;
            }
            if (l == NULL) {
                return "a free chunk is not on its list";
            }
            (*listed)++;
        }
        *used += in_use ? size : 0;
        prev_in_use = in_use;
        c = n;
    }
    if (c != end) {
        return "the chunks do not end at the fence";
    }
    return NULL;
}

const char *medium_check(void)
{
    size_t used = 0, listed = 0, on_lists = 0;
    const char *why = NULL;

    heap_lock();
    for (const struct region *r = regions; r != NULL && why == NULL; r = r->next) {
        why = check_region(r, &used, &listed);
    }
    for (uint32_t b = 0; b < NBINS && why == NULL; b++) {
        for (const struct chunk *c = bins[b]; c != NULL; c = c->next) {
            on_lists++;
        }
    }
    if (why == NULL && used != in_use) {
        why = "bytes in use disagree with the chunks";
    }
    if (why == NULL && listed != on_lists) {
        why = "the lists hold chunks that are not free chunks of a region";
    }
    heap_unlock();
    return why;
}

/* malloc_trim: every dirty page back, every empty region too. */
void medium_trim(void)
{
    struct region *r, *next;

    heap_lock();
    for (r = regions; r != NULL; r = next) {
        next = r->next;
        region_release(at(r, FIRST_CHUNK), false);
    }
    purge(true);
    heap_unlock();
}
