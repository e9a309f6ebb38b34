/*
 * The fragmentation workloads (frag_workloads.h): the same requests on
 * every platform. Each allocation writes every page of its block and its
 * last byte, so the RAM it needs is really mapped, as a program using it
 * would.
 *
 *   small  8,192 live objects of 16..256 B; 60,000 steps, each freeing a
 *          random object and allocating a random size in its place
 *   mixed  1,024 live objects of 16 B..64 KiB (log-uniform: the size's
 *          power of two is uniform, then uniform within it); 50,000 steps
 *          as above
 *   phase  32,768 objects of 16..256 B, 90 % of them freed at random, then
 *          large objects of 4..64 KiB allocated until live is back where
 *          it was, then 20,000 steps of churn among the large ones
 *
 * The random numbers are a fixed LCG with a fixed seed per workload, so
 * the sequence does not depend on the C library.
 */
#include "frag_workloads.h"
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_SLOTS 65536u

static void *slot[MAX_SLOTS];       /* static: not part of the heap measured */
static uint32_t slot_size[MAX_SLOTS];
static size_t live;                 /* bytes held: sum of requested sizes */
static uint32_t seed;
static int failures;
static const char *workload;        /* the one running, for frag_sample */
static unsigned long ops;           /* its allocations and frees so far */

/* One more allocation or free: a sample every FRAG_SAMPLE_EVERY. */
static void count_op(void)
{
    if (++ops % FRAG_SAMPLE_EVERY == 0) {
        frag_sample(workload, ops, live);
    }
}

/* A point of the workload worth a sample of its own (a phase ends). */
static void mark(void)
{
    frag_sample(workload, ops, live);
}

/* A workload starts: its first sample (nothing held yet). */
static void begin(const char *name, uint32_t seed_value)
{
    workload = name;
    ops = 0;
    seed = seed_value;
    frag_sample(workload, ops, live);
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
    count_op();
    return true;
}

static void drop(uint32_t i)
{
    if (slot[i] != NULL) {
        free(slot[i]);
        slot[i] = NULL;
        live -= slot_size[i];
        slot_size[i] = 0;
        count_op();
    }
}

/* Free everything; the workload's last sample. */
static void drop_all(void)
{
    for (uint32_t i = 0; i < MAX_SLOTS; i++) {
        drop(i);
    }
    frag_sample(workload, ops, live);
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

static bool workload_small(void)
{
    const uint32_t n = 8192;

    begin("small", 1);
    for (uint32_t i = 0; i < n; i++) {
        if (!put(i, size_small())) {
            return false;
        }
    }
    mark();
    if (!churn(n, 60000, size_small)) {
        return false;
    }
    mark();
    frag_figures("small", live);
    drop_all();
    return true;
}

static bool workload_mixed(void)
{
    const uint32_t n = 1024;

    begin("mixed", 2);
    for (uint32_t i = 0; i < n; i++) {
        if (!put(i, size_mixed())) {
            return false;
        }
    }
    mark();
    if (!churn(n, 50000, size_mixed)) {
        return false;
    }
    mark();
    frag_figures("mixed", live);
    drop_all();
    return true;
}

static bool workload_phase(void)
{
    const uint32_t n = 32768;
    size_t target;
    uint32_t large = 0;

    begin("phase", 3);
    for (uint32_t i = 0; i < n; i++) {
        if (!put(i, size_small())) {
            return false;
        }
    }
    target = live;
    mark();
    printf("# frag_phase: %lu small objects, %lu bytes live\n", (unsigned long)n,
           (unsigned long)live);
    for (uint32_t i = 0; i < n; i++) {
        if (rnd() % 10 != 0) {
            drop(i);                                /* ~90 % freed */
        }
    }
    mark();
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
    mark();
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
    mark();
    frag_figures("phase", live);
    drop_all();
    return true;
}

void frag_touch_statics(void)
{
    memset(slot, 0, sizeof(slot));
    memset(slot_size, 0, sizeof(slot_size));
}

int frag_main(int argc, char **argv)
{
    static const struct {
        const char *name;
        bool (*run)(void);
    } w[] = {
        { "small", workload_small },
        { "mixed", workload_mixed },
        { "phase", workload_phase },
    };

    for (unsigned k = 0; k < sizeof(w) / sizeof(w[0]); k++) {
        bool wanted = argc <= 1;
        for (int a = 1; a < argc; a++) {
            wanted |= strcmp(argv[a], w[k].name) == 0;
        }
        if (wanted && !w[k].run()) {
            return 1;
        }
    }
    return failures == 0 ? 0 : 1;
}
