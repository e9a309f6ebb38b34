/*
 * Size classes with meshing: the slow paths of small_runs.h (the fast
 * ones are inline there), and meshing itself (Mesh, Powers et al., PLDI
 * 2019; docs/heap.md).
 *
 * Placement: a new run's free objects are threaded into its list in
 * random order (a Fisher-Yates shuffle of its slots), so the objects of a
 * class spread at random over each page. Two runs of a class
 * whose objects sit at different offsets ("disjoint") can share one frame:
 *
 *   mesh(dst, src): copy src's objects into dst's page at the same
 *   offsets; map src's virtual page onto dst's frame; give src's frame
 *   back. Every pointer into src stays valid: its page still reads and
 *   writes the same bytes, now in dst's frame.
 *
 * A mesh pass (small_mesh_class) is bounded: it looks through no more
 * than MESH_SCAN partial runs of one class for MESH_LOOK at most half full,
 * tries each against its next MESH_PROBES, and meshes at most MESH_MAX
 * pairs. It runs when MESH_EVERY runs of the class turned partial (a free
 * into a full run) or sparse (a quarter full; classes of 16 objects a page
 * or more) since its last pass and the class has at least MESH_MIN partial
 * runs, and for every class at malloc_trim. Only two runs whose pages together map at
 * most MESH_GROUP_MAX pages onto one frame mesh, and the page moved (src)
 * must not share a frame yet.
 *
 * Everything here runs under the caller's exclusion (malloc_small.c: the
 * malloc lock); heap_page_mesh runs the copy and the remapping with no
 * other thread of the domain running.
 */
#include "small_runs.h"
#include <string.h>

#define MESH_EVERY  2u      /* 16 -> 2: fragbench phase 1.290 -> 1.252 RAM/live, traces unchanged */
#define MESH_MIN    8u          /* partial runs a class needs before a pass is worth it */
#define MESH_SCAN   256u        /* partial runs a pass looks through for candidates */
#define MESH_LOOK   64u
#define MESH_PROBES 16u
#define MESH_MAX    16u

/* 16-byte steps to 256, then coarser: 23 classes. (8-byte steps to 128,
 * 30 classes, fit each object closer but leave more runs partly empty:
 * more RAM on every trace and workload measured; docs/heap.md.) */
const uint16_t class_size[NCLASSES] = {
    16, 32, 48, 64, 80, 96, 112, 128, 144, 160, 176, 192, 208, 224, 240, 256,
    320, 384, 448, 512, 640, 768, 1024,
};
#define COUNT(s) (RUN_SIZE / (s))
const uint16_t class_count[NCLASSES] = {
    COUNT(16), COUNT(32), COUNT(48), COUNT(64), COUNT(80), COUNT(96), COUNT(112), COUNT(128),
    COUNT(144), COUNT(160), COUNT(176), COUNT(192), COUNT(208), COUNT(224), COUNT(240),
    COUNT(256), COUNT(320), COUNT(384), COUNT(448), COUNT(512), COUNT(640), COUNT(768),
    COUNT(1024),
};

/* class_of_16[(size + 15) / 16]: the smallest class that holds `size`,
 * built by the compiler from this rule (class_table_ok compares it with
 * class_size[] once, at the first run). */
#define CLASS_OF_16(i)                                                       \
    ((i) == 0 ? 0 : (i) <= 16 ? (i) - 1 : (i) <= 20 ? 16 : (i) <= 24 ? 17 :  \
     (i) <= 28 ? 18 : (i) <= 32 ? 19 : (i) <= 40 ? 20 : (i) <= 48 ? 21 : 22)
#define C4(i) CLASS_OF_16(i), CLASS_OF_16((i) + 1), CLASS_OF_16((i) + 2), CLASS_OF_16((i) + 3)
#define C16(i) C4(i), C4((i) + 4), C4((i) + 8), C4((i) + 12)
const uint8_t class_of_16[SMALL_MAX / 16 + 1] = {
    C16(0), C16(16), C16(32), C16(48), CLASS_OF_16(64),
};
_Static_assert(SMALL_MAX / 16 + 1 == 65, "class_of_16: 65 entries");

struct small_state small = { .rng = 0x2545f491u };
unsigned long small_region;                 /* == small.region, for small_owns (inline) */
static uint32_t full_map[NCLASSES][8];       /* the bitmap of a full run, per class */

/* ---- set-up ---- */

/* Whether class_of_16 is class_size's inverse: every size maps to the
 * smallest class that holds it. */
static bool class_table_ok(void)
{
    for (uint32_t i = 0; i <= SMALL_MAX / 16; i++) {
        uint32_t c = class_of_16[i];
        if (c >= NCLASSES || class_size[c] < i * 16 || (c > 0 && class_size[c - 1] >= i * 16)) {
            return false;
        }
    }
    return true;
}

/* The region and the bitmap of a full run of every class; false if the
 * table is wrong or there is no room for the region. */
static bool region_init(void)
{
    void *buf;

    if (!class_table_ok() || (buf = heap_region_alloc(SMALL_REGION_SIZE)) == NULL) {
        return false;
    }
    small.region = (uintptr_t)buf;
    small_region = small.region;
    small.bump = FIRST_RUN_PAGE;
    for (uint32_t c = 0; c < NCLASSES; c++) {
        for (uint32_t i = 0; i < class_count[c]; i++) {
            uint32_t g = i * class_size[c] >> GRANULE_BITS;
            full_map[c][g / 32] |= 1u << (g % 32);
        }
    }
    return true;
}

/* The next number of the placement generator (xorshift32; never 0). */
static uint32_t rnd(void)
{
    uint32_t x = small.rng;

    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    small.rng = x;
    return x;
}

/* ---- pages ---- */

/* A page for a new run: a given-back one first (the stack of free pages,
 * threaded through their headers), else a never-used one; NO_PAGE if the
 * region is full. */
static uint32_t page_take(void)
{
    uint32_t page = small.free_pages;

    if (page != NO_PAGE) {
        small.free_pages = run_at(page)->next;
        return page;
    }
    if (small.bump == REGION_PAGES) {
        return NO_PAGE;
    }
    return small.bump++;
}

/* A page is free again (its header zeroed: owner NO_PAGE means free). */
static void page_give(uint32_t page)
{
    struct run *r = run_at(page);

    memset(r, 0, sizeof(*r));
    r->next = (uint16_t)small.free_pages;
    small.free_pages = page;
}

/* ---- the partial lists ---- */

/* Run `page` (not on the list) goes first on its class's partial list. */
static void partial_link(uint32_t page)
{
    struct run *r = run_at(page);
    uint32_t cls = r->cls;

    r->flags |= RUN_PARTIAL;
    r->prev = NO_PAGE;
    r->next = small.partial[cls];
    if (r->next != NO_PAGE) {
        run_at(r->next)->prev = (uint16_t)page;
    }
    small.partial[cls] = (uint16_t)page;
    small.npartial[cls]++;
}

/* Run `page` leaves its class's partial list (if it is on it). */
static void partial_unlink(uint32_t page)
{
    struct run *r = run_at(page);

    if (!(r->flags & RUN_PARTIAL)) {
        return;
    }
    if (r->prev != NO_PAGE) {
        run_at(r->prev)->next = r->next;
    } else {
        small.partial[r->cls] = r->next;
    }
    if (r->next != NO_PAGE) {
        run_at(r->next)->prev = r->prev;
    }
    r->flags &= (uint8_t)~RUN_PARTIAL;
    small.npartial[r->cls]--;
}

/* ---- free lists ---- */

/* The offset of the object of a `size`-byte class that starts in granule
 * g (objects i * size start in granule i * size / 16, one object a
 * granule at most: size >= 16). */
static inline uint32_t granule_offset(uint32_t g, uint32_t size)
{
    uint32_t off = g << GRANULE_BITS;

    return size % 16 == 0 ? off : (off + size - 1) / size * size;
}

/* Thread run `page`'s free objects (the clear bits of its class's full
 * bitmap) into its free list, in random order: a Fisher-Yates shuffle,
 * each position drawn with a multiply, not a division. O(free objects). */
static void build_list(uint32_t page)
{
    struct run *r = run_at(page);
    uint32_t cls = r->cls, n = 0;
    uint16_t slot[RUN_SIZE / 16];
    char *base = page_at(page);

    for (uint32_t w = 0; w < 8; w++) {
        for (uint32_t bits = full_map[cls][w] & ~r->bitmap[w]; bits != 0; bits &= bits - 1) {
            slot[n++] = (uint16_t)granule_offset(w * 32 + (uint32_t)__builtin_ctz(bits),
                                                 class_size[cls]);
        }
    }
    for (uint32_t i = n; i > 1; i--) {
        uint32_t j = (uint32_t)(((uint64_t)rnd() * i) >> 32);
        uint16_t t = slot[i - 1];
        slot[i - 1] = slot[j];
        slot[j] = t;
    }
    r->free_off = n > 0 ? slot[0] : NO_OBJECT;
    for (uint32_t i = 0; i + 1 < n; i++) {
        *(uint16_t *)(base + slot[i]) = slot[i + 1];
    }
    if (n > 0) {
        *(uint16_t *)(base + slot[n - 1]) = NO_OBJECT;
    }
}

/* A fresh page as the first partial run of `cls`; false if the region is
 * full. */
static bool run_new(uint32_t cls)
{
    uint32_t page = page_take();
    struct run *r;

    if (page == NO_PAGE) {
        return false;
    }
    /* fault the page in now, with the lock held but enabled: the fast
     * paths run disabled and must never touch an unmapped page */
    *(volatile uint32_t *)page_at(page) = 0;
    r = run_at(page);
    memset(r, 0, sizeof(*r));
    r->owner = (uint16_t)page;
    r->group = 1;
    r->cls = (uint8_t)cls;
    r->sparse_at = class_count[cls] >= 16 ? (uint8_t)(class_count[cls] / 4 + 1) : 0;
    build_list(page);
    partial_link(page);
    small.stats.runs++;
    small.stats.frames++;
    return true;
}

/* Owner run `page` has no object left: every other page sharing its
 * frame stops mapping it and is free again; the owner keeps the frame. */
static void drop_aliases(uint32_t page)
{
    struct run *r = run_at(page);
    uint32_t a = r->alias;

    while (a != NO_PAGE) {
        uint32_t next = run_at(a)->alias;
        heap_page_unalias((uintptr_t)page_at(a));
        page_give(a);
        small.stats.runs--;
        a = next;
    }
    r->alias = NO_PAGE;
    r->group = 1;
}

/* Owner run `page` has no object left: every page sharing its frame
 * stops mapping it, the frame goes back. */
static void release(uint32_t page)
{
    partial_unlink(page);
    drop_aliases(page);
    heap_pages_release((uintptr_t)page_at(page), RUN_SIZE);
    page_give(page);
    small.stats.runs--;
    small.stats.frames--;
}

/* ---- malloc and free, slow paths ---- */

/* small_pop has just filled the first partial run of cls: off the list. */
void __attribute__((noinline)) small_run_filled(uint32_t cls)
{
    uint32_t page = small.partial[cls];
    struct run *r = run_at(page);

    small.partial[cls] = r->next;
    if (r->next != NO_PAGE) {
        run_at(r->next)->prev = NO_PAGE;
    }
    r->flags = 0;
    small.npartial[cls]--;
}

/* Under the lock: the region at the first call, an object from the
 * class's first partial run, else from a new run; NULL if the region is
 * full. */
void *small_alloc_slow(size_t size)
{
    void *p;

    if (small.region == 0 && !region_init()) {
        return NULL;
    }
    if ((p = small_pop(size)) == NULL && run_new(class_of(size))) {
        p = small_pop(size);
    }
    return p;
}

/* Under the lock: the frees small_push leaves (a run that turns sparse
 * counts toward a mesh pass, which runs here when enough did; one that
 * turns empty goes back, unless it is the class's only partial run, which
 * is kept without the pages meshed into it), and
 * any free while the lock was held. A free of anything but an object in
 * use (twice, inside an object, where no run is) is ignored, and touches
 * no header page that is not mapped already. */
void small_free_slow(void *p)
{
    uint32_t page = page_of(p), off = (uint32_t)((uintptr_t)p & (RUN_SIZE - 1)), g, cls;
    struct run *r;
    bool was_full;

    if (page - FIRST_RUN_PAGE >= small.bump - FIRST_RUN_PAGE || run_at(page)->owner == NO_PAGE) {
        return;                             /* no run here: never was, or given back */
    }
    page = run_at(page)->owner;
    r = run_at(page);
    cls = r->cls;
    g = off >> GRANULE_BITS;
    /* every class size is a multiple of the granule: an object starts on
     * a granule, and a granule with its bit set starts an object in use */
    if (!(r->bitmap[g / 32] & (1u << (g % 32))) || (off & ((1u << GRANULE_BITS) - 1)) != 0) {
        return;
    }
    was_full = r->free_off == NO_OBJECT;
    *(uint16_t *)p = r->free_off;
    r->free_off = (uint16_t)off;
    r->bitmap[g / 32] &= ~(1u << (g % 32));
    r->used--;
    if (was_full) {
        partial_link(page);
        small.since_mesh[cls]++;
    }
    if (r->used + 1 == r->sparse_at) {
        small.since_mesh[cls]++;
    }
    if (small.since_mesh[cls] >= MESH_EVERY && small.npartial[cls] >= MESH_MIN) {
        small_mesh_class(cls);
    }
    r = run_at(page);
    if (r->owner != page || r->used != 0) {
        return;
    }
    if (small.partial[cls] != page || r->next != NO_PAGE) {
        release(page);
    } else {
        drop_aliases(page);                 /* the class's one empty run: kept, alone */
    }
}

/* The class size of the object at p (a page that holds a run). */
size_t small_object_size(const void *p)
{
    return class_size[run_at(page_of(p))->cls];
}

/* Bytes handed out (class sizes), over every owner run: O(pages). */
size_t small_bytes_in_use(void)
{
    size_t bytes = 0;

    for (uint32_t page = FIRST_RUN_PAGE; small.region != 0 && page < small.bump; page++) {
        const struct run *r = run_at(page);
        if (r->owner == page) {
            bytes += (size_t)r->used * class_size[r->cls];
        }
    }
    return bytes;
}

/* ---- meshing ---- */

struct move {
    char *dst, *src;
    const uint32_t *bitmap;
    uint32_t size;
};

/* With no other thread running: src's objects to dst, same offsets. */
static void move_objects(void *arg)
{
    const struct move *m = arg;

    for (uint32_t w = 0; w < 8; w++) {
        for (uint32_t bits = m->bitmap[w]; bits != 0; bits &= bits - 1) {
            uint32_t off = granule_offset(w * 32 + (uint32_t)__builtin_ctz(bits), m->size);
            memcpy(m->dst + off, m->src + off, m->size);
        }
    }
}

/* Whether no object of a shares its offset with one of b (same class). */
static inline bool disjoint(const struct run *a, const struct run *b)
{
    uint32_t both = 0;

    for (uint32_t w = 0; w < 8; w++) {
        both |= a->bitmap[w] & b->bitmap[w];
    }
    return both == 0;
}

/* Mesh owner run src (with the pages sharing its frame) into owner run
 * dst (disjoint, same class, both partial, together at most
 * MESH_GROUP_MAX pages). False if the platform could not. */
static bool mesh_pair(uint32_t dst, uint32_t src)
{
    struct run *d = run_at(dst), *s = run_at(src);
    struct move m = { page_at(dst), page_at(src), s->bitmap, class_size[d->cls] };
    uintptr_t pages[MESH_GROUP_MAX];
    uint32_t n = 0, last = src;

    for (uint32_t p = src; p != NO_PAGE; p = run_at(p)->alias) {
        pages[n++] = (uintptr_t)page_at(p);
        last = p;
    }
    if (!heap_page_mesh((uintptr_t)m.dst, pages, (int)n, move_objects, &m)) {
        return false;
    }
    partial_unlink(src);
    for (uint32_t w = 0; w < 8; w++) {
        d->bitmap[w] |= s->bitmap[w];
    }
    d->used += s->used;
    d->group += s->group;
    for (uint32_t p = src; p != NO_PAGE; p = run_at(p)->alias) {
        run_at(p)->owner = (uint16_t)dst;
    }
    s->flags = 0;
    run_at(last)->alias = d->alias;
    d->alias = (uint16_t)src;
    build_list(dst);                        /* its free objects are fewer now */
    if (d->free_off == NO_OBJECT) {
        partial_unlink(dst);                /* full now */
    }
    small.stats.meshes += n;
    small.stats.frames--;
    return true;
}

/* One bounded mesh pass over class cls (small_runs.h); under the
 * caller's exclusion. Returns the pairs meshed. */
uint32_t small_mesh_class(uint32_t cls)
{
    uint16_t cand[MESH_LOOK];
    uint32_t n = 0, meshed = 0;

    small.stats.mesh_calls++;
    small.since_mesh[cls] = 0;
    /* candidates: runs at most half full (fuller ones hardly ever mesh) */
    for (uint32_t p = small.partial[cls], k = 0; p != NO_PAGE && n < MESH_LOOK && k < MESH_SCAN;
         p = run_at(p)->next, k++) {
        if (run_at(p)->used * 2 <= class_count[cls]) {
            cand[n++] = (uint16_t)p;
        }
    }
    for (uint32_t i = 0; i < n && meshed < MESH_MAX; i++) {
        for (uint32_t j = i + 1; j < n && j <= i + MESH_PROBES && cand[i] != NO_PAGE; j++) {
            struct run *a = run_at(cand[i]), *b;
            uint32_t dst, src;
            if (cand[j] == NO_PAGE) {
                continue;
            }
            b = run_at(cand[j]);
            if (a->group + b->group > MESH_GROUP_MAX || !disjoint(a, b)) {
                continue;
            }
            /* the smaller group moves (fewer pages to remap); of equals, the emptier */
            bool a_moves = a->group < b->group || (a->group == b->group && a->used < b->used);
            dst = a_moves ? cand[j] : cand[i];
            src = a_moves ? cand[i] : cand[j];
            if (!mesh_pair(dst, src)) {
                return meshed;              /* the platform said no: stop for now */
            }
            meshed++;
            cand[a_moves ? i : j] = NO_PAGE;
            if (!(run_at(dst)->flags & RUN_PARTIAL)) {
                cand[a_moves ? j : i] = NO_PAGE;   /* full: out of the game */
            }
        }
    }
    return meshed;
}

/* malloc_trim: passes over every class until one meshes nothing, then
 * every empty run goes back (the kept ones too). */
void small_runs_trim(void)
{
    if (small.region == 0) {
        return;
    }
    for (uint32_t cls = 0; cls < NCLASSES; cls++) {
        uint32_t before;
        do {
            before = small.stats.meshes;
            small_mesh_class(cls);
        } while (small.stats.meshes != before);
        for (uint32_t p = small.partial[cls], next; p != NO_PAGE; p = next) {
            next = run_at(p)->next;
            if (run_at(p)->used == 0) {
                release(p);                 /* the class's kept empty run */
            }
        }
    }
}

/* ---- consistency (tests) ---- */

/* The run's free list: offsets of this class, each free in the bitmap,
 * no loops, as many as the objects not in use. */
static const char *check_list(uint32_t page, const struct run *r)
{
    uint32_t n = 0, size = class_size[r->cls];

    for (uint32_t off = r->free_off; off != NO_OBJECT; n++) {
        uint32_t g = off >> GRANULE_BITS;
        if (n > class_count[r->cls] || off % size != 0 || off / size >= class_count[r->cls]
            || (r->bitmap[g / 32] & (1u << (g % 32)))) {
            return "a run's free list is broken";
        }
        off = *(uint16_t *)(page_at(page) + off);
    }
    return n + r->used == class_count[r->cls] ? NULL
           : "a run's free list and used count disagree";
}

/* Owner run `page`: its alias chain, group count, bitmap, count, list
 * membership and free list agree. */
static const char *check_owner(uint32_t page, const struct run *r)
{
    uint32_t pop = 0, group = 1;

    for (uint32_t a = r->alias; a != NO_PAGE; a = run_at(a)->alias, group++) {
        if (group > MESH_GROUP_MAX || run_at(a)->owner != page || run_at(a)->cls != r->cls) {
            return "a meshed page does not point back at its owner";
        }
    }
    if (group != r->group) {
        return "an owner's group count is wrong";
    }
    for (uint32_t w = 0; w < 8; w++) {
        if (r->bitmap[w] & ~full_map[r->cls][w]) {
            return "a bit is set where no object starts";
        }
        pop += (uint32_t)__builtin_popcount(r->bitmap[w]);
    }
    if (pop != r->used) {
        return "a run's bitmap and used count disagree";
    }
    if (((r->flags & RUN_PARTIAL) != 0) != (r->used < class_count[r->cls])) {
        return "a run is on the partial list exactly when it is not full: it is not";
    }
    return check_list(page, r);
}

/* Every owner run consistent, every partial list and count right. */
const char *small_check(void)
{
    uint32_t listed[NCLASSES] = { 0 };

    for (uint32_t page = FIRST_RUN_PAGE; small.region != 0 && page < small.bump; page++) {
        const struct run *r = run_at(page);
        const char *why;
        if (r->owner == page && (why = check_owner(page, r)) != NULL) {
            return why;
        }
    }
    for (uint32_t c = 0; c < NCLASSES; c++) {
        for (uint32_t p = small.partial[c]; p != NO_PAGE; p = run_at(p)->next) {
            if (run_at(p)->cls != c || !(run_at(p)->flags & RUN_PARTIAL) || ++listed[c] > REGION_PAGES) {
                return "the partial list holds a run it should not";
            }
        }
        if (listed[c] != small.npartial[c]) {
            return "the partial count is wrong";
        }
    }
    return NULL;
}
