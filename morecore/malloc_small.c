/*
 * Small objects (up to SMALL_MAX bytes) in size classes, beside the C
 * library's heap: a 4 KiB page ("run") holds objects of one size only, so
 * a freed object leaves no hole another size cannot use, a run whose
 * objects are all free goes back as a whole page (its RAM too), and
 * malloc/free are a list pop/push. Runs live in a HEAP block of their own
 * that faults in as it is used.
 *
 *   region: [ page bitmap (lazily faulted) | run | run | ... ]
 *   run:    [ header 16 B | object | object | ... ]    one size class
 *
 * Locking: the C library's malloc lock (lib/libc_locks.c); it is a thread
 * mutex, so touching a fresh page (a page fault) inside it is fine. The
 * common cases (an object from a run that exists, a free that keeps its
 * run) run without it, in disabled mode while nobody holds it (small_malloc
 * and small_free_any, which malloc and free call directly): they touch only
 * pages that are mapped and never block. Everything else takes the lock
 * (small_alloc, small_free, and the slow halves of the two).
 */
#include "malloc_internal.h"
#include "../lib/libc_locks.h"
#include <aos/paging.h>
#include <string.h>
#include "../vspace/paging_types.h"

#define REGION_SIZE    SMALL_REGION_SIZE
#define REGION_PAGES   (REGION_SIZE / BASE_PAGE_SIZE)
#define BITMAP_PAGES   (REGION_PAGES / 8 / BASE_PAGE_SIZE)   /* 2 */
#define RUN_HEADER     16u

static const uint16_t class_size[] = {
    16, 32, 48, 64, 80, 96, 112, 128, 144, 160, 176, 192, 208, 224, 240, 256,
    320, 384, 448, 512, 640, 768, 1024,
};
#define NCLASSES (sizeof(class_size) / sizeof(class_size[0]))

struct run {
    uint16_t cls;
    uint16_t used;                  /* objects handed out */
    uint16_t free_off;              /* first free object (0: none) */
    uint16_t fresh_off;             /* objects from here were never used */
    struct run *prev, *next;        /* the class's runs with free objects */
};
_Static_assert(sizeof(struct run) <= RUN_HEADER, "run header");

static lvaddr_t region;             /* 0 until first use */
static uint32_t *page_used;         /* bit set: page is a live run */
static uint32_t bump = BITMAP_PAGES;   /* pages below were handed out once */
static uint32_t hint;               /* a bitmap word that may have a free page */
static struct run *partial[NCLASSES];
static size_t in_use;               /* bytes handed out (class sizes) */

static inline __attribute__((always_inline)) void *small_alloc_from(size_t size,
                                                                    bool may_grow);

/* class_of_16[(size + 15) / 16]: the smallest class that holds `size`
 * (built at first use: the table is the class list's inverse). */
static uint8_t class_of_16[SMALL_MAX / 16 + 1];
static bool classes_ready;

static void class_table_init(void)
{
    uint32_t c = 0;

    classes_ready = true;
    for (uint32_t i = 0; i <= SMALL_MAX / 16; i++) {
        while (class_size[c] < i * 16) {
            c++;
        }
        class_of_16[i] = (uint8_t)c;
    }
}

static inline uint32_t class_of(size_t size)
{
    return class_of_16[(size + 15) / 16];
}

unsigned long small_region;          /* == region, for small_owns (inline) */

size_t small_size(const void *p)
{
    return class_size[((struct run *)((lvaddr_t)p & ~(lvaddr_t)(BASE_PAGE_SIZE - 1)))->cls];
}

size_t small_in_use(void)
{
    return in_use;
}

/* A page for a new run: a given-back one first, else a never-used one. */
static struct run *run_new(uint32_t cls)
{
    uint32_t page = 0;
    struct run *r;

    if (region == 0) {
        void *buf;
        if (err_is_fail(paging_alloc(get_current_paging_state(), &buf, REGION_SIZE,
                                     BASE_PAGE_SIZE))) {
            return NULL;
        }
        region = (lvaddr_t)buf;
        small_region = region;
        page_used = buf;
    }
    for (uint32_t n = 0; n < bump / 32 + 1 && page == 0; n++, hint = (hint + 1) % (bump / 32 + 1)) {
        uint32_t free_bits = ~page_used[hint];
        if (hint == 0) {
            free_bits &= ~((1u << BITMAP_PAGES) - 1);      /* the bitmap itself */
        }
        if (free_bits != 0 && hint * 32 + (uint32_t)__builtin_ctz(free_bits) < bump) {
            page = hint * 32 + (uint32_t)__builtin_ctz(free_bits);
        }
    }
    if (page == 0) {
        if (bump == REGION_PAGES) {
            return NULL;
        }
        page = bump++;
    }
    page_used[page / 32] |= 1u << (page % 32);
    r = (struct run *)(region + (lvaddr_t)page * BASE_PAGE_SIZE);
    r->cls = (uint16_t)cls;
    r->used = 0;
    r->free_off = 0;
    r->fresh_off = RUN_HEADER;
    r->prev = NULL;
    r->next = partial[cls];
    if (r->next != NULL) {
        r->next->prev = r;
    }
    partial[cls] = r;
    return r;
}

static void unlink_run(struct run *r)
{
    if (r->prev != NULL) {
        r->prev->next = r->next;
    } else {
        partial[r->cls] = r->next;
    }
    if (r->next != NULL) {
        r->next->prev = r->prev;
    }
    r->prev = r->next = NULL;
}

void *small_alloc(size_t size)
{
    return small_alloc_from(size, true);
}


/* An object of `size`'s class; a new run only if `may_grow` (a new run
 * touches a fresh page: a page fault). Inlined into both callers: the
 * fast one is malloc's common path. */
static inline __attribute__((always_inline)) void *small_alloc_from(size_t size,
                                                                    bool may_grow)
{
    uint32_t cls, sz;
    struct run *r;
    void *obj;

    if (!classes_ready) {
        class_table_init();
    }
    cls = class_of(size);
    sz = class_size[cls];
    r = partial[cls];
    if (r == NULL && (!may_grow || (r = run_new(cls)) == NULL)) {
        return NULL;
    }
    if (r->free_off != 0) {
        obj = (char *)r + r->free_off;
        r->free_off = *(uint16_t *)obj;
    } else {
        obj = (char *)r + r->fresh_off;
        r->fresh_off += sz;
    }
    r->used++;
    in_use += sz;
    if (r->free_off == 0 && r->fresh_off + sz > BASE_PAGE_SIZE) {
        unlink_run(r);                      /* full */
    }
    return obj;
}

/* Give an empty run's page back (RAM and all); it stays reserved. */
static void run_release(struct run *r)
{
    struct paging_state *st = get_current_paging_state();
    uint32_t page = (uint32_t)(((lvaddr_t)r - region) / BASE_PAGE_SIZE);

    unlink_run(r);
    page_used[page / 32] &= ~(1u << (page % 32));
    if (page / 32 < hint) {
        hint = page / 32;
    }
    paging_lock(st);
    paging_unmap_lazy(st, (lvaddr_t)r, BASE_PAGE_SIZE, false);
    paging_unlock(st);
}

/* The common free: push, unless the run was full (it goes back on its
 * class's list) or becomes empty (it may go back as a page). */
static inline __attribute__((always_inline)) bool free_fast(void *p)
{
    struct run *r = (struct run *)((lvaddr_t)p & ~(lvaddr_t)(BASE_PAGE_SIZE - 1));

    uint32_t sz = class_size[r->cls];
    bool was_full = r->free_off == 0 && r->fresh_off + sz > BASE_PAGE_SIZE;

    if (was_full || (r->used == 1 && (partial[r->cls] != r || r->next != NULL))) {
        return false;                       /* relinks the run or gives it back */
    }
    *(uint16_t *)p = r->free_off;           /* the common case: push */
    r->free_off = (uint16_t)((lvaddr_t)p - (lvaddr_t)r);
    r->used--;
    in_use -= sz;
    return true;
}

void small_free(void *p)
{
    struct run *r = (struct run *)((lvaddr_t)p & ~(lvaddr_t)(BASE_PAGE_SIZE - 1));
    uint32_t sz = class_size[r->cls];
    bool was_full = r->free_off == 0 && r->fresh_off + sz > BASE_PAGE_SIZE;

    *(uint16_t *)p = r->free_off;
    r->free_off = (uint16_t)((lvaddr_t)p - (lvaddr_t)r);
    r->used--;
    in_use -= sz;
    if (was_full) {
        r->prev = NULL;                     /* back on the class's list */
        r->next = partial[r->cls];
        if (r->next != NULL) {
            r->next->prev = r;
        }
        partial[r->cls] = r;
    }
    /* keep one empty run per class, so one alloc/free pair does not
     * map and unmap a page each time */
    if (r->used == 0 && (partial[r->cls] != r || r->next != NULL)) {
        run_release(r);
    }
}

/* ---- malloc's and free's entry points for small objects ---------------- */

/* Under the malloc lock: a new run if needed; no room left: the heap. */
static void * __attribute__((noinline)) small_malloc_slow(size_t size)
{
    void *p;

    __retarget_lock_acquire_recursive(&__lock___libc_recursive_mutex);
    p = small_alloc(size);
    __retarget_lock_release_recursive(&__lock___libc_recursive_mutex);
    return p != NULL ? p : __real_malloc(size);
}

/*
 * malloc for size <= SMALL_MAX. The common case runs in disabled mode,
 * which excludes every other thread, while nobody holds the malloc lock
 * (its holder may be in the middle of changing a run); else the slow path.
 */
void *small_malloc(size_t size)
{
    bool was = threads_disable();
    void *p = libc_malloc_lock_held() ? NULL : small_alloc_from(size, false);

    threads_restore(was);
    return __builtin_expect(p != NULL, 1) ? p : small_malloc_slow(size);
}

static void __attribute__((noinline)) small_free_slow(void *p)
{
    __retarget_lock_acquire_recursive(&__lock___libc_recursive_mutex);
    small_free(p);
    __retarget_lock_release_recursive(&__lock___libc_recursive_mutex);
}

/* free for a pointer small_owns: as small_malloc. */
void small_free_any(void *p)
{
    bool was = threads_disable();
    bool done = !libc_malloc_lock_held() && free_fast(p);

    threads_restore(was);
    if (__builtin_expect(!done, 0)) {
        small_free_slow(p);
    }
}
