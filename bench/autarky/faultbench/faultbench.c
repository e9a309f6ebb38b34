/*
 * faultbench: what self-paging costs, in instructions (docs/benchmarks.md,
 * "Self-paging"). init spawns it (BOOT="faultbench"); meaningful under
 * `qemu-system-arm -icount shift=0` (ICOUNT=1), where one virtual counter
 * tick (CNTVCT, 62.5 MHz) is exactly 16 instructions.
 *
 * Figures (`BENCH <name> <instructions> <unit>`):
 *   fault_first_touch       one word written to each page of a fresh 32 MiB
 *                           HEAP block (paging_alloc): the loop's time per
 *                           page, minus touch_mapped_page
 *   touch_mapped_page       the same loop again over the now-mapped pages
 *   fault_first_touch_min   the cheapest single first-touch fault of another
 *                           fresh block, each touch timed on its own
 *   malloc_free             malloc + one byte written + free, sizes cycling
 *                           16, 32, 48, 64, 96, 128, 256, 512 (bench/linux/
 *                           bench.c's pattern); 200,000 pairs after 10,000
 *   malloc_free_pool        256 live blocks, each step frees a random slot and
 *                           mallocs 8..512 bytes into it (bench/linux too)
 *   malloc_touch_64k        1,024 x malloc(64 KiB), each page written, per
 *                           page (64 MiB); then freed
 * Lines starting with `#` give the page faults taken and pages mapped
 * (paging_get_info) around each measurement, so a reader can check that
 * every page faulted exactly once. Exits 1 if an allocation fails or the
 * fault count is not what the loop must have caused.
 *
 * Argument: [scale]: scale in percent of the malloc_free iteration counts
 * (default 100).
 */
#include <aos/paging.h>
#include <aos/syscalls.h>
#include <aos/debug.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define INSTR_PER_TICK   16u
#define PAGE             4096u
#define WORDS_PER_PAGE   (PAGE / sizeof(uint32_t))

#define TOUCH_PAGES      8192u      /* 32 MiB, as Linux's anon_fault */
#define MIN_PAGES        512u       /* 2 MiB for the single-fault timings */
#define BLOCK            (64u * 1024u)
#define BLOCKS           1024u      /* 64 MiB */
#define PAIRS_WARMUP     10000u
#define PAIRS            200000u
#define POOL_SLOTS       256u

static unsigned scale = 100;
static int failures;

static unsigned scaled(unsigned n)
{
    unsigned s = n * scale / 100;
    return s > 0 ? s : 1;
}

static unsigned long per_op(uint64_t instr, uint64_t n)
{
    return (unsigned long)((instr + n / 2) / n);
}

static void report(const char *name, unsigned long instr, const char *unit)
{
    printf("BENCH %s %lu %s\n", name, instr, unit);
}

static void info(struct paging_info *i)
{
    paging_get_info(get_current_paging_state(), i);
}

/* `# <what>: faults +F, lazy pages +P (expected E)`; a mismatch fails. */
static void check_faults(const char *what, const struct paging_info *a,
                         const struct paging_info *b, uint32_t expected)
{
    uint32_t df = b->faults - a->faults;
    int32_t dp = (int32_t)(b->lazy_pages - a->lazy_pages);

    printf("# %s: page faults +%lu, lazily mapped pages %+ld, expected +%lu: %s\n", what,
           (unsigned long)df, (long)dp, (unsigned long)expected,
           df == expected && dp == (int32_t)expected ? "ok" : "MISMATCH");
    if (df != expected || dp != (int32_t)expected) {
        failures++;
    }
}

/* One word written per page of [p, p + pages * PAGE), timed. */
static uint64_t touch_loop(volatile uint32_t *p, uint32_t pages)
{
    uint64_t t0 = counter_read();

    for (uint32_t i = 0; i < pages; i++) {
        p[i * WORDS_PER_PAGE] = i;
    }
    return counter_read() - t0;
}

static bool bench_first_touch(void)
{
    static uint64_t single[MIN_PAGES];
    struct paging_state *st = get_current_paging_state();
    struct paging_info a, b;
    volatile uint32_t *p;
    void *buf;
    uint64_t fault_ticks, mapped_ticks, best = ~0ull, worst = 0, t0, t1;
    uint32_t slow = 0;
    errval_t err;

    err = paging_alloc(st, &buf, (size_t)TOUCH_PAGES * PAGE, PAGE);
    if (err_is_fail(err)) {
        DEBUG_ERR(err, "faultbench: paging_alloc(%u pages)", TOUCH_PAGES);
        return false;
    }
    p = buf;
    info(&a);
    fault_ticks = touch_loop(p, TOUCH_PAGES);
    info(&b);
    mapped_ticks = touch_loop(p, TOUCH_PAGES);
    for (uint32_t i = 0; i < TOUCH_PAGES; i++) {
        if (p[i * WORDS_PER_PAGE] != i) {
            printf("faultbench: page %lu lost its word\n", (unsigned long)i);
            return false;
        }
    }
    printf("# fault_first_touch: %u pages (%u MiB) at %p: %llu ticks first touch, "
           "%llu ticks mapped, RAM pool now %lu KiB\n", TOUCH_PAGES, TOUCH_PAGES / 256, buf,
           (unsigned long long)fault_ticks, (unsigned long long)mapped_ticks,
           (unsigned long)(b.ram_pool_bytes / 1024));
    check_faults("fault_first_touch loop", &a, &b, TOUCH_PAGES);
    report("fault_first_touch",
           per_op((fault_ticks - mapped_ticks) * INSTR_PER_TICK, TOUCH_PAGES), "instr/page");
    report("touch_mapped_page", per_op(mapped_ticks * INSTR_PER_TICK, TOUCH_PAGES),
           "instr/page");
    info(&a);
    err = paging_free(st, buf);
    info(&b);
    if (err_is_fail(err)) {
        DEBUG_ERR(err, "faultbench: paging_free");
        return false;
    }
    printf("# paging_free of the block: lazily mapped pages %+ld (expected -%u)\n",
           (long)((int32_t)(b.lazy_pages - a.lazy_pages)), TOUCH_PAGES);

    /* each first touch timed on its own */
    err = paging_alloc(st, &buf, (size_t)MIN_PAGES * PAGE, PAGE);
    if (err_is_fail(err)) {
        DEBUG_ERR(err, "faultbench: paging_alloc(%u pages)", MIN_PAGES);
        return false;
    }
    p = buf;
    info(&a);
    for (uint32_t i = 0; i < MIN_PAGES; i++) {
        t0 = counter_read();
        p[i * WORDS_PER_PAGE] = i;
        t1 = counter_read();
        single[i] = t1 - t0;
        if (t1 - t0 < best) {
            best = t1 - t0;
        }
        if (t1 - t0 > worst) {
            worst = t1 - t0;
        }
    }
    info(&b);
    /* the spread: faults costing over twice the best (refills, new L2 tables) */
    for (uint32_t i = 0; i < MIN_PAGES; i++) {
        if (single[i] > 2 * best) {
            slow++;
        }
    }
    check_faults("fault_first_touch_min loop", &a, &b, MIN_PAGES);
    report("fault_first_touch_min", (unsigned long)(best * INSTR_PER_TICK), "instr");
    printf("# fault_first_touch_min: best %lu, worst %lu instructions over %u faults, "
           "%lu of them over twice the best\n", (unsigned long)(best * INSTR_PER_TICK),
           (unsigned long)(worst * INSTR_PER_TICK), MIN_PAGES, (unsigned long)slow);
    err = paging_free(st, buf);
    if (err_is_fail(err)) {
        DEBUG_ERR(err, "faultbench: paging_free");
        return false;
    }
    return true;
}

static bool bench_malloc_free(void)
{
    static const unsigned size[8] = { 16, 32, 48, 64, 96, 128, 256, 512 };
    uint32_t n = scaled(PAIRS);
    uint64_t t0 = 0;
    struct paging_info a, b;

    info(&a);
    for (uint32_t i = 0; i < PAIRS_WARMUP + n; i++) {
        if (i == PAIRS_WARMUP) {
            t0 = counter_read();
        }
        volatile char *p = malloc(size[i & 7]);
        if (p == NULL) {
            printf("faultbench: malloc(%u) failed\n", size[i & 7]);
            return false;
        }
        *p = 1;
        free((void *)p);
    }
    uint64_t t1 = counter_read();
    info(&b);
    printf("# malloc_free: %lu pairs timed; page faults during the run: %lu\n",
           (unsigned long)n, (unsigned long)(b.faults - a.faults));
    report("malloc_free", per_op((t1 - t0) * INSTR_PER_TICK, n), "instr/pair");
    return true;
}

static bool bench_malloc_free_pool(void)
{
    static void *slot[POOL_SLOTS];
    uint32_t n = scaled(PAIRS), x = 12345;
    uint64_t t0 = 0;

    for (uint32_t i = 0; i < POOL_SLOTS; i++) {
        slot[i] = malloc(8 + (i * 37) % 505);
        if (slot[i] == NULL) {
            printf("faultbench: malloc failed (pool)\n");
            return false;
        }
    }
    for (uint32_t i = 0; i < PAIRS_WARMUP + n; i++) {
        if (i == PAIRS_WARMUP) {
            t0 = counter_read();
        }
        x = x * 1103515245u + 12345u;
        uint32_t s = (x >> 8) % POOL_SLOTS;
        uint32_t sz = 8 + (x >> 16) % 505;
        free(slot[s]);
        slot[s] = malloc(sz);
        if (slot[s] == NULL) {
            printf("faultbench: malloc(%lu) failed (pool)\n", (unsigned long)sz);
            return false;
        }
        *(volatile char *)slot[s] = 1;
    }
    uint64_t t1 = counter_read();
    for (uint32_t i = 0; i < POOL_SLOTS; i++) {
        free(slot[i]);
    }
    report("malloc_free_pool", per_op((t1 - t0) * INSTR_PER_TICK, n), "instr/pair");
    return true;
}

static bool bench_malloc_touch(void)
{
    static char *blk[BLOCKS];
    struct paging_info a, b, c;
    uint64_t t0, ticks = 0;

    info(&a);
    t0 = counter_read();
    for (uint32_t i = 0; i < BLOCKS; i++) {
        volatile char *p = malloc(BLOCK);
        if (p == NULL) {
            printf("faultbench: malloc(64 KiB) number %lu failed\n", (unsigned long)i);
            return false;
        }
        for (uint32_t off = 0; off < BLOCK; off += PAGE) {
            p[off] = 1;
        }
        blk[i] = (char *)p;
    }
    ticks += counter_read() - t0;
    info(&b);
    report("malloc_touch_64k", per_op(ticks * INSTR_PER_TICK, BLOCKS * (BLOCK / PAGE)),
           "instr/page");
    /* malloc's chunk headers shift the blocks off page boundaries, and the
     * first blocks reuse heap pages that malloc_free already touched, so
     * the count is near, not at, 16,384: each new page must fault once. */
    printf("# malloc_touch_64k: %u blocks, %u pages written; page faults +%lu, "
           "lazily mapped pages %+ld, HEAP reserved %lu KiB: %s\n", BLOCKS,
           BLOCKS * (BLOCK / PAGE), (unsigned long)(b.faults - a.faults),
           (long)(int32_t)(b.lazy_pages - a.lazy_pages), (unsigned long)(b.reserved[1] / 1024),
           b.faults - a.faults == b.lazy_pages - a.lazy_pages ? "one fault per page" : "MISMATCH");
    if (b.faults - a.faults != b.lazy_pages - a.lazy_pages) {
        failures++;
    }
    for (int i = BLOCKS - 1; i >= 0; i--) {
        free(blk[i]);
        blk[i] = NULL;
    }
    info(&c);
    printf("# malloc_touch_64k: after free of all blocks: lazily mapped pages %+ld\n",
           (long)(int32_t)(c.lazy_pages - b.lazy_pages));
    return true;
}

int main(int argc, char **argv)
{
    struct paging_info i0;

    if (argc > 1) {
        scale = (unsigned)strtoul(argv[1], NULL, 10);
        if (scale == 0) {
            scale = 100;
        }
    }
    info(&i0);
    printf("faultbench: %u instructions per counter tick (valid under -icount shift=0)\n",
           INSTR_PER_TICK);
    printf("# at start: %lu faults, %lu lazily mapped pages, HEAP reserved %lu KiB\n",
           (unsigned long)i0.faults, (unsigned long)i0.lazy_pages,
           (unsigned long)(i0.reserved[1] / 1024));
    if (!bench_first_touch() || !bench_malloc_free() || !bench_malloc_free_pool()
        || !bench_malloc_touch()) {
        return EXIT_FAILURE;
    }
    return failures == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
