/*
 * Small objects (up to SMALL_MAX bytes) in size classes, beside the C
 * library's heap: a 4 KiB page ("run") holds objects of one size only, so
 * a freed object leaves no hole another size cannot use, a run whose
 * objects are all free goes back as a whole page (its RAM too), and
 * malloc/free are a list pop/push. Runs live in a HEAP block of their own
 * that faults in as it is used; their headers sit in a table at the
 * region's start, so a run page holds objects only (a 1 KiB class fits 4,
 * not 3, a 256-byte class 16, not 15).
 *
 *   region: [ headers: struct run per page (256 pages) | page bitmap (2) |
 *             run | run | ... ]                    all lazily faulted
 *   run:    [ object | object | ... ]              one size class, 4 KiB
 *   header of the page holding p:  region + ((p - region) >> 12) * 16
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
#include <aos/syscalls.h>
#include <aos/dispatch.h>
#include <stdlib.h>
#include <string.h>
#include "../vspace/paging_types.h"

#define REGION_SIZE    SMALL_REGION_SIZE
#define REGION_PAGES   (REGION_SIZE / BASE_PAGE_SIZE)
#define BITMAP_PAGES   (REGION_PAGES / 8 / BASE_PAGE_SIZE)   /* 2 */
#define RUN_HEADER     16u                                     /* in the table */
#define HEADER_PAGES   (REGION_PAGES * RUN_HEADER / BASE_PAGE_SIZE)   /* 256 */
#define FIRST_RUN_PAGE (HEADER_PAGES + BITMAP_PAGES)
#define NO_OBJECT      0xffffu      /* an empty free list */

static const uint16_t class_size[] = {
    16, 32, 48, 64, 80, 96, 112, 128, 144, 160, 176, 192, 208, 224, 240, 256,
    320, 384, 448, 512, 640, 768, 1024,
};
#define NCLASSES (sizeof(class_size) / sizeof(class_size[0]))

struct run {
    uint16_t cls;
    uint16_t used;                  /* objects handed out */
    uint16_t free_off;              /* first free object (NO_OBJECT: none) */
    uint16_t fresh_off;             /* objects from here were never used */
    struct run *prev, *next;        /* the class's runs with free objects */
};
_Static_assert(sizeof(struct run) == RUN_HEADER, "run header: the table's stride");

static lvaddr_t region;             /* 0 until first use */
static uint32_t *page_used;         /* bit set: page is a live run (or table) */
static uint32_t bump = FIRST_RUN_PAGE; /* pages below were handed out once */
static uint32_t hint;               /* a bitmap word that may have a free page */
static struct run *partial[NCLASSES];

static inline __attribute__((always_inline)) void *small_alloc_from(size_t size,
                                                                    bool may_grow);

/* class_of_16[(size + 15) / 16]: the smallest class that holds `size`,
 * built by the compiler from this rule (class_table_check compares it
 * with class_size[] once, at the first new run). */
#define CLASS_OF_16(i)                                                       \
    ((i) == 0 ? 0 : (i) <= 16 ? (i) - 1 : (i) <= 20 ? 16 : (i) <= 24 ? 17 :  \
     (i) <= 28 ? 18 : (i) <= 32 ? 19 : (i) <= 40 ? 20 : (i) <= 48 ? 21 : 22)
#define C4(i) CLASS_OF_16(i), CLASS_OF_16((i) + 1), CLASS_OF_16((i) + 2), CLASS_OF_16((i) + 3)
#define C16(i) C4(i), C4((i) + 4), C4((i) + 8), C4((i) + 12)
static const uint8_t class_of_16[SMALL_MAX / 16 + 1] = {
    C16(0), C16(16), C16(32), C16(48), CLASS_OF_16(64),
};
_Static_assert(SMALL_MAX / 16 + 1 == 65, "class_of_16: 65 entries");

/* The table is the class list's inverse: every class is the smallest
 * that holds each size it is chosen for. */
static void class_table_check(void)
{
    for (uint32_t i = 0; i <= SMALL_MAX / 16; i++) {
        uint32_t c = class_of_16[i];
        if (c >= NCLASSES || class_size[c] < i * 16 || (c > 0 && class_size[c - 1] >= i * 16)) {
            static const char msg[] = "malloc: the size class table is wrong\n";
            sys_print(msg, sizeof(msg) - 1);    /* no stdio: we are inside malloc */
            domain_exit(EXIT_FAILURE);
        }
    }
}

static inline uint32_t class_of(size_t size)
{
    return class_of_16[(size + 15) / 16];
}

unsigned long small_region;          /* == region, for small_owns (inline) */

/* The header of the run holding p, and the page a header describes. */
static inline struct run *run_of(const void *p)
{
    return (struct run *)(region + (((lvaddr_t)p - region) >> BASE_PAGE_BITS) * RUN_HEADER);
}

static inline char *run_page(const struct run *r)
{
    return (char *)(region + ((lvaddr_t)r - region) * (BASE_PAGE_SIZE / RUN_HEADER));
}

size_t small_size(const void *p)
{
    return class_size[run_of(p)->cls];
}

/* Bytes handed out (class sizes), counted over the live runs: mallinfo
 * asks rarely, malloc and free often, so they keep no running total.
 * Under the malloc lock (mallinfo takes it). */
size_t small_in_use(void)
{
    size_t bytes = 0;

    for (uint32_t page = FIRST_RUN_PAGE; region != 0 && page < bump; page++) {
        if (page_used[page / 32] & (1u << (page % 32))) {
            const struct run *r = (const struct run *)(region + (lvaddr_t)page * RUN_HEADER);
            bytes += (size_t)r->used * class_size[r->cls];
        }
    }
    return bytes;
}

/* A page for a new run: a given-back one first, else a never-used one. */
static struct run *run_new(uint32_t cls)
{
    uint32_t page = 0;
    struct run *r;

    if (region == 0) {
        void *buf;
        class_table_check();
        if (err_is_fail(paging_alloc(get_current_paging_state(), &buf, REGION_SIZE,
                                     BASE_PAGE_SIZE))) {
            return NULL;
        }
        region = (lvaddr_t)buf;
        small_region = region;
        page_used = (uint32_t *)(region + HEADER_PAGES * BASE_PAGE_SIZE);
        for (uint32_t p = 0; p < FIRST_RUN_PAGE; p++) {
            page_used[p / 32] |= 1u << (p % 32);     /* never runs */
        }
    }
    for (uint32_t n = 0; n < bump / 32 + 1 && page == 0; n++, hint = (hint + 1) % (bump / 32 + 1)) {
        uint32_t free_bits = ~page_used[hint];
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
    r = (struct run *)(region + (lvaddr_t)page * RUN_HEADER);
    r->cls = (uint16_t)cls;
    r->used = 0;
    r->free_off = NO_OBJECT;
    r->fresh_off = 0;
    /* fault the page in now, enabled: the fast paths run disabled and
     * must never touch an unmapped page */
    *(volatile uint32_t *)run_page(r) = 0;
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

    cls = class_of(size);
    sz = class_size[cls];
    r = partial[cls];
    if (r == NULL && (!may_grow || (r = run_new(cls)) == NULL)) {
        return NULL;
    }
    if (r->free_off != NO_OBJECT) {
        obj = run_page(r) + r->free_off;
        r->free_off = *(uint16_t *)obj;
    } else {
        obj = run_page(r) + r->fresh_off;
        r->fresh_off += sz;
    }
    r->used++;
    if (r->free_off == NO_OBJECT && r->fresh_off + sz > BASE_PAGE_SIZE) {
        unlink_run(r);                      /* full */
    }
    return obj;
}

/* Give an empty run's page back (RAM and all); it stays reserved. */
static void run_release(struct run *r)
{
    struct paging_state *st = get_current_paging_state();
    uint32_t page = (uint32_t)(((lvaddr_t)r - region) / RUN_HEADER);

    unlink_run(r);
    page_used[page / 32] &= ~(1u << (page % 32));
    if (page / 32 < hint) {
        hint = page / 32;
    }
    paging_lock(st);
    paging_unmap_lazy(st, (lvaddr_t)run_page(r), BASE_PAGE_SIZE, false);
    paging_unlock(st);
}

/* The common free: push, unless the run was full (it goes back on its
 * class's list) or becomes empty (it may go back as a page). */
static inline __attribute__((always_inline)) bool free_fast(void *p)
{
    struct run *r = run_of(p);
    uint32_t sz = class_size[r->cls];
    bool was_full = r->free_off == NO_OBJECT && r->fresh_off + sz > BASE_PAGE_SIZE;

    if (was_full || (r->used == 1 && (partial[r->cls] != r || r->next != NULL))) {
        return false;                       /* relinks the run or gives it back */
    }
    *(uint16_t *)p = r->free_off;           /* the common case: push */
    r->free_off = (uint16_t)((lvaddr_t)p & (BASE_PAGE_SIZE - 1));
    r->used--;
    return true;
}

void small_free(void *p)
{
    struct run *r = run_of(p);
    uint32_t sz = class_size[r->cls];
    bool was_full = r->free_off == NO_OBJECT && r->fresh_off + sz > BASE_PAGE_SIZE;

    *(uint16_t *)p = r->free_off;
    r->free_off = (uint16_t)((lvaddr_t)p & (BASE_PAGE_SIZE - 1));
    r->used--;
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

/* malloc_trim: the empty run each class keeps goes back too. */
void small_trim(void)
{
    __retarget_lock_acquire_recursive(&__lock___libc_recursive_mutex);
    for (uint32_t cls = 0; region != 0 && cls < NCLASSES; cls++) {
        struct run *r = partial[cls], *next;
        for (; r != NULL; r = next) {
            next = r->next;
            if (r->used == 0) {
                run_release(r);
            }
        }
    }
    __retarget_lock_release_recursive(&__lock___libc_recursive_mutex);
}

/* ---- malloc's and free's entry points for small objects ---------------- */

/* Under the malloc lock: a new run if needed; no room left: the heap. */
static void * __attribute__((noinline)) small_malloc_slow(size_t size)
{
    void *p;

    __retarget_lock_acquire_recursive(&__lock___libc_recursive_mutex);
    p = small_alloc(size);
    __retarget_lock_release_recursive(&__lock___libc_recursive_mutex);
    return p != NULL ? p : small_fallback(size);
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
