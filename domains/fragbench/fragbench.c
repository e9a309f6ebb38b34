/*
 * fragbench: the design card's heap fragmentation benchmark
 * (docs/benchmarks.md, "Self-paging"). Mixed malloc/free workloads with a
 * fixed pseudo-random seed run to a steady state; at the end of each one
 * the program prints
 *
 *   BENCH frag_<w>_vspace_per_live <x1000> permille   HEAP reserved / live
 *   BENCH frag_<w>_ram_per_live <x1000> permille      RAM mapped / live
 *   BENCH frag_<w>_metadata <bytes> bytes             the address space's
 *                                                     metadata (buddy nodes)
 *
 * where HEAP reserved = paging_get_info().reserved[HEAP] (every HEAP block:
 * malloc's heap, nothing else here reserves any), RAM mapped =
 * lazy_pages x 4 KiB (every page the fault handler mapped and that is
 * still mapped: the heap's pages plus the few pages of our thread stack),
 * and live = the bytes this program holds (requested sizes, tracked here).
 * The goal (issue 4): RAM mapped within 10 % of live at steady state,
 * i.e. ram_per_live <= 1100. Lines starting with `#` add malloc's own
 * view (mallinfo: bytes in use including chunk headers, bytes on its free
 * list) and the page-fault counts.
 *
 * Workloads (`fragbench [small|mixed|phase]...`, default all three in
 * this one process, in this order, each starting after everything of the
 * previous one was freed):
 *   small  8,192 live objects of 16..256 B; 60,000 steps, each freeing a
 *          random object and allocating a random size in its place
 *   mixed  1,024 live objects of 16 B..64 KiB (log-uniform: the size's
 *          power of two is uniform, then uniform within it); 50,000 steps
 *          as above
 *   phase  32,768 objects of 16..256 B, 90 % of them freed at random, then
 *          large objects of 4..64 KiB allocated until live is back where
 *          it was, then 20,000 steps of churn among the large ones
 * The slot arrays are static (.bss, not heap), so they are not in "live".
 * Sizes are kept so that all three run in ~10 s of QEMU time without
 * -icount: picolibc's malloc walks its free list (first fit, sorted by
 * address) in both malloc and free, so time grows with live x steps.
 */
#include <aos/paging.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <malloc.h>

#define HEAP_TAG     1              /* paging_info.reserved[]: none, HEAP, ... */
#define MAX_SLOTS    65536u

static void *slot[MAX_SLOTS];
static uint32_t slot_size[MAX_SLOTS];
static size_t live;                 /* bytes held: sum of requested sizes */
static uint32_t seed;
static int failures;

/*
 * Work-around for a fault-path bug on main (f83f328), as in faultbench:
 * the fault handler never refills the slab of L2 shadow records, so a run
 * of faults needing more than ~8 new L2 tables (1 MiB sections) with no
 * paging_alloc/paging_free in between ends the domain ("out of memory for
 * a page of the heap"). After every 1 MiB allocated we reserve and free
 * one page, which refills the slabs; nothing of it is left at the figures.
 */
static size_t since_nudge;

static void nudge(size_t bytes)
{
    struct paging_state *st = get_current_paging_state();
    void *b;

    since_nudge += bytes;
    if (since_nudge >= (1u << 20)) {
        since_nudge = 0;
        if (err_is_ok(paging_alloc(st, &b, 4096, 4096))) {
            paging_free(st, b);
        }
    }
}

static uint32_t rnd(void)
{
    seed = seed * 1103515245u + 12345u;
    return seed >> 8;
}

static uint32_t size_small(void)
{
    return 16 + rnd() % 241;                        /* 16..256 */
}

/* 2^k for k uniform in [lo_log, hi_log), then uniform within [2^k, 2^k+1) */
static uint32_t size_log(unsigned lo_log, unsigned hi_log)
{
    unsigned k = lo_log + rnd() % (hi_log - lo_log);
    uint32_t base = 1u << k;
    return base + rnd() % base;
}

static uint32_t size_mixed(void)
{
    return size_log(4, 16);                         /* 16 B .. 64 KiB */
}

static uint32_t size_large(void)
{
    return size_log(12, 16);                        /* 4 .. 64 KiB */
}

/* Allocate into slot i and write every page of it (and its last byte),
 * so the RAM it needs is really mapped, as a program using it would. */
static bool put(uint32_t i, uint32_t size)
{
    char *p;

    nudge(size);
    p = malloc(size);
    if (p == NULL) {
        printf("fragbench: malloc(%lu) failed with %lu bytes live\n", (unsigned long)size,
               (unsigned long)live);
        failures++;
        return false;
    }
    for (uint32_t off = 0; off < size; off += 4096) {
        p[off] = (char)i;
    }
    p[size - 1] = (char)i;
    slot[i] = p;
    slot_size[i] = size;
    live += size;
    return true;
}

static void drop(uint32_t i)
{
    if (slot[i] != NULL) {
        free(slot[i]);
        slot[i] = NULL;
        live -= slot_size[i];
        slot_size[i] = 0;
    }
}

static void drop_all(void)
{
    for (uint32_t i = 0; i < MAX_SLOTS; i++) {
        drop(i);
    }
}

/* Random slot among [0, n): free it and allocate a new object there. */
static bool churn(uint32_t n, uint32_t steps, uint32_t (*size)(void))
{
    for (uint32_t s = 0; s < steps; s++) {
        uint32_t i = rnd() % n;
        drop(i);
        if (!put(i, size())) {
            return false;
        }
    }
    return true;
}

static void figures(const char *w)
{
    struct paging_info pi;
    struct mallinfo mi = mallinfo();
    size_t ram;

    paging_get_info(get_current_paging_state(), &pi);
    ram = (size_t)pi.lazy_pages * 4096;
    printf("# frag_%s: live %lu bytes, HEAP reserved %lu, RAM mapped %lu (%lu pages), "
           "malloc arena %lu, in use %lu (headers/padding %ld), on free list %lu; "
           "faults so far %lu\n", w, (unsigned long)live,
           (unsigned long)pi.reserved[HEAP_TAG], (unsigned long)ram,
           (unsigned long)pi.lazy_pages, (unsigned long)mi.arena,
           (unsigned long)mi.uordblks, (long)mi.uordblks - (long)live,
           (unsigned long)mi.fordblks, (unsigned long)pi.faults);
    printf("BENCH frag_%s_vspace_per_live %llu permille\n", w,
           (unsigned long long)pi.reserved[HEAP_TAG] * 1000 / live);
    printf("BENCH frag_%s_ram_per_live %llu permille\n", w,
           (unsigned long long)ram * 1000 / live);
    printf("BENCH frag_%s_metadata %lu bytes\n", w, (unsigned long)pi.metadata_bytes);
}

static bool workload_small(void)
{
    const uint32_t n = 8192;

    seed = 1;
    for (uint32_t i = 0; i < n; i++) {
        if (!put(i, size_small())) {
            return false;
        }
    }
    if (!churn(n, 60000, size_small)) {
        return false;
    }
    figures("small");
    drop_all();
    return true;
}

static bool workload_mixed(void)
{
    const uint32_t n = 1024;

    seed = 2;
    for (uint32_t i = 0; i < n; i++) {
        if (!put(i, size_mixed())) {
            return false;
        }
    }
    if (!churn(n, 50000, size_mixed)) {
        return false;
    }
    figures("mixed");
    drop_all();
    return true;
}

static bool workload_phase(void)
{
    const uint32_t n = 32768;
    size_t target;
    uint32_t large = 0;

    seed = 3;
    for (uint32_t i = 0; i < n; i++) {
        if (!put(i, size_small())) {
            return false;
        }
    }
    target = live;
    printf("# frag_phase: %lu small objects, %lu bytes live\n", (unsigned long)n,
           (unsigned long)live);
    for (uint32_t i = 0; i < n; i++) {
        if (rnd() % 10 != 0) {
            drop(i);                                /* ~90 % freed */
        }
    }
    printf("# frag_phase: after freeing ~90 %%: %lu bytes live\n", (unsigned long)live);
    /* large objects go into the freed slots, until live is back at target */
    for (uint32_t i = 0; i < n && live < target; i++) {
        if (slot[i] == NULL) {
            if (!put(i, size_large())) {
                return false;
            }
            large++;
        }
    }
    printf("# frag_phase: %lu large objects added: %lu bytes live\n", (unsigned long)large,
           (unsigned long)live);
    /* churn among the large ones only: free a random one, allocate anew */
    for (uint32_t s = 0; s < 20000; s++) {
        uint32_t i = rnd() % n;
        if (slot[i] != NULL && slot_size[i] >= 4096) {
            drop(i);
            if (!put(i, size_large())) {
                return false;
            }
        }
    }
    figures("phase");
    drop_all();
    return true;
}

int main(int argc, char **argv)
{
    static const struct {
        const char *name;
        bool (*run)(void);
    } w[] = {
        { "small", workload_small },
        { "mixed", workload_mixed },
        { "phase", workload_phase },
    };
    struct paging_info pi;

    paging_get_info(get_current_paging_state(), &pi);
    printf("# fragbench at start: HEAP reserved %lu, %lu pages mapped lazily, metadata %lu\n",
           (unsigned long)pi.reserved[HEAP_TAG], (unsigned long)pi.lazy_pages,
           (unsigned long)pi.metadata_bytes);
    for (unsigned k = 0; k < sizeof(w) / sizeof(w[0]); k++) {
        bool wanted = argc <= 1;
        for (int a = 1; a < argc; a++) {
            wanted |= strcmp(argv[a], w[k].name) == 0;
        }
        if (wanted && !w[k].run()) {
            return EXIT_FAILURE;
        }
    }
    return failures == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
