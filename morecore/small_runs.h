/*
 * Size classes with meshing (morecore/small_runs.c; docs/heap.md): the
 * allocator of objects up to SMALL_MAX bytes. Private to morecore/ and its
 * host tests. Domains reach it through malloc_small.c's entry points, which
 * add the locking; everything here runs under the caller's exclusion (the
 * malloc lock, or disabled mode while nobody holds it).
 *
 *   region (256 MiB HEAP block, lazily backed):
 *   [ headers: struct run per page, 48 B (768 pages) | runs ... ]
 *   a page given back waits on a stack threaded through the headers
 *
 *   run: one 4 KiB page of objects of one class. Its header says
 *     owner    the page whose frame holds its objects: itself, or, once it
 *              was meshed into another run, that run's page (both virtual
 *              pages map one frame; docs/heap.md has the picture)
 *     alias    the next page sharing the owner's frame (a chain from the owner)
 *     group    (owner) pages sharing its frame, itself included
 *     used     (owner) objects in use
 *     bitmap   (owner) bit g: an object starting at granule g (16 bytes) is in
 *              use
 *     free_off (owner) its free list, threaded through the free objects
 *
 * Runs with a free object are PARTIAL, on their class's list; malloc pops
 * from the list's first run (a full run leaves the list), free pushes onto
 * the object's run (a run that was full goes back at the list's head). A
 * new run's free list is in random order, so objects land at random places
 * in the page, which is what makes two half-empty pages likely to mesh.
 */
#ifndef MORECORE_SMALL_RUNS_H
#define MORECORE_SMALL_RUNS_H

#include "malloc_internal.h"

#define RUN_SIZE        4096u
#define RUN_BITS        12
#define REGION_PAGES    (SMALL_REGION_SIZE / RUN_SIZE)                  /* 65536 */
#define RUN_HEADER      48u
#define HEADER_PAGES    (REGION_PAGES * RUN_HEADER / RUN_SIZE)          /* 768 */
#define FIRST_RUN_PAGE  HEADER_PAGES
#define NO_OBJECT       0xffffu     /* an empty free list */
#define NO_PAGE         0u          /* page 0 holds headers: never a run */
#define GRANULE_BITS    4
#define NCLASSES        23
#define MESH_GROUP_MAX  32u         /* pages one frame may back */

enum { RUN_PARTIAL = 2 };

struct run {
    uint16_t owner;
    uint16_t alias;
    uint8_t cls;
    uint8_t sparse_at;              /* a free that leaves this many in use takes the slow
                                       path (it counts toward a mesh pass); 0: never */
    uint16_t used;
    uint16_t free_off;
    uint16_t prev, next;            /* the class's partial list */
    uint8_t group;
    uint8_t flags;
    uint32_t bitmap[8];
};
_Static_assert(sizeof(struct run) == RUN_HEADER, "run header: the table's stride");

struct small_stats {
    uint32_t meshes;                /* pages meshed into another's frame */
    uint32_t mesh_calls;            /* mesh passes run */
    uint32_t runs;                  /* pages of runs now (aliases included) */
    uint32_t frames;                /* frames behind them */
};

struct small_state {
    uintptr_t region;               /* 0 until the first small object */
    uint32_t bump;                  /* pages below were handed out once */
    uint32_t free_pages;            /* pages given back: a stack through their
                                       headers' `next` (NO_PAGE: empty) */
    uint32_t rng;                   /* xorshift state: placement, mesh order */
    uint16_t partial[NCLASSES];     /* the partial list's head (NO_PAGE: empty) */
    uint32_t npartial[NCLASSES];
    uint32_t since_mesh[NCLASSES];  /* runs that turned partial since the last pass */
    struct small_stats stats;
};

extern struct small_state small;
extern const uint16_t class_size[NCLASSES];
extern const uint16_t class_count[NCLASSES];        /* objects per page */
extern const uint8_t class_of_16[SMALL_MAX / 16 + 1];

static inline uint32_t class_of(size_t size)
{
    return class_of_16[(size + 15) / 16];
}

static inline struct run *run_at(uint32_t page)
{
    return (struct run *)(small.region + page * RUN_HEADER);
}

static inline char *page_at(uint32_t page)
{
    return (char *)(small.region + ((uintptr_t)page << RUN_BITS));
}

static inline uint32_t page_of(const void *p)
{
    return (uint32_t)(((uintptr_t)p - small.region) >> RUN_BITS);
}

/* The first partial run of class cls has just been filled: it leaves the
 * list (small_runs.c; out of line, so the fast path needs few registers). */
void small_run_filled(uint32_t cls);

/* The common malloc: an object of the class's first partial run; NULL if
 * the class has none (then small_alloc_slow). A run that fills leaves the
 * list. */
static inline __attribute__((always_inline)) void *small_pop(size_t size)
{
    uint32_t cls = class_of(size), page = small.partial[cls], g;
    struct run *r;
    uint16_t off;
    char *obj;

    if (page == NO_PAGE) {
        return NULL;
    }
    r = run_at(page);
    off = r->free_off;
    obj = page_at(page) + off;
    r->free_off = *(uint16_t *)obj;
    r->used++;
    g = (uint32_t)off >> GRANULE_BITS;
    r->bitmap[g / 32] |= 1u << (g % 32);
    if (r->free_off == NO_OBJECT) {         /* full: off the list (out of line) */
        small_run_filled(cls);
    }
    return obj;
}

/* The common free: a push onto the object's run (through its owner, for a
 * meshed page), if p is an object in use there. Everything else goes to
 * small_free_slow (false): a double free or a pointer into the middle of
 * an object (ignored there), a free that leaves the run sparse (a mesh
 * pass may be due) or empty while other runs of its class have room or
 * pages are meshed into it (it, or they, go back). A run that was full
 * goes back at the head of its class's list. The fields are read into
 * locals before the store into the object, which the compiler must assume
 * aliases them. p must lie in a page that held a run once (small_owns and
 * below small.bump): the header of any other page may be unmapped, and
 * this runs disabled. */
static inline __attribute__((always_inline)) bool small_push(void *p)
{
    uint32_t page = page_of(p), off = (uint32_t)((uintptr_t)p & (RUN_SIZE - 1));
    uint32_t g = off >> GRANULE_BITS, bit = 1u << (g % 32), word, used, free_off;
    struct run *r = run_at(page);

    if (r->owner != page) {
        if (r->owner == NO_PAGE) {
            return false;                   /* a page given back */
        }
        page = r->owner;
        r = run_at(page);                   /* a meshed page: its owner's frame */
    }
    word = r->bitmap[g / 32];
    used = r->used;
    free_off = r->free_off;
    if (!(word & bit) || (off & ((1u << GRANULE_BITS) - 1)) != 0
        || used == r->sparse_at
        || (used == 1 && (small.partial[r->cls] != page || r->next != NO_PAGE
                          || r->alias != NO_PAGE))) {
        return false;
    }
    *(uint16_t *)p = (uint16_t)free_off;
    r->free_off = (uint16_t)off;
    r->used = (uint16_t)(used - 1);
    r->bitmap[g / 32] = word & ~bit;
    if (free_off == NO_OBJECT) {            /* was full: back at the head of the list */
        uint32_t cls = r->cls, head = small.partial[cls];
        r->flags = RUN_PARTIAL;
        r->prev = NO_PAGE;
        r->next = (uint16_t)head;
        if (head != NO_PAGE) {
            run_at(head)->prev = (uint16_t)page;
        }
        small.partial[cls] = (uint16_t)page;
        small.npartial[cls]++;
        small.since_mesh[cls]++;
    }
    return true;
}

/* small_runs.c: the rest, under the caller's exclusion (the malloc lock) */
void *small_alloc_slow(size_t size);        /* NULL: no room in the region */
void small_free_slow(void *p);
size_t small_object_size(const void *p);
size_t small_bytes_in_use(void);
/* One bounded mesh pass over a class (at most 64 runs looked at, 8
 * partners each, 8 meshes); returns pages meshed. */
uint32_t small_mesh_class(uint32_t cls);
/* malloc_trim: mesh every class, then give back every empty run. */
void small_runs_trim(void);
/* NULL, or what is inconsistent in the runs' bookkeeping (tests). */
const char *small_check(void);

/* What meshing needs of the platform (heap_pages.c; host tests: their own).
 * heap_page_mesh: with no other thread running, call move(arg) (it copies
 * the src pages' objects into the dst page), then make the pages
 * src[0..n) (src[0] and the pages that share its frame) map dst's frame,
 * and give src[0]'s frame back; false if it could not (nothing changed,
 * move not called). heap_page_unalias: the page maps nothing of its own
 * any more (its objects are all freed; the frame stays with its owner). */
bool heap_page_mesh(uintptr_t dst, const uintptr_t *src, int n, void (*move)(void *arg),
                    void *arg);
void heap_page_unalias(uintptr_t page);

#endif
