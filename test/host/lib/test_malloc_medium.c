/*
 * The medium-object allocator (morecore/malloc_medium.c) against a
 * reference model: random malloc, free and realloc of 1 KiB..128 KiB
 * objects, each filled with its own byte. After every step the model's
 * live objects must not overlap; every object keeps its bytes; a page
 * given back (heap_pages_release) never holds a byte of a live object; a
 * region given back holds none either; and once everything is freed and
 * trimmed, no region is left.
 */
#define _GNU_SOURCE
#include "host_suite.h"
#include "heap_host.h"
#include "../../../morecore/malloc_internal.h"
#include <stdlib.h>
#include <string.h>
#include <stdio.h>

#define MAX_LIVE 600
#define REGION   (4u << 20)

struct live {
    unsigned char *p;
    size_t size;
    unsigned char fill;
};

static struct live live[MAX_LIVE];
static unsigned nlive;

/* Does [lo, lo + n) hold a byte of a live object? (heap_host checks
 * every page and region given back with it) */
static bool touches_live(uintptr_t lo, size_t n)
{
    for (unsigned i = 0; i < nlive; i++) {
        uintptr_t a = (uintptr_t)live[i].p;
        if (a < lo + n && lo < a + live[i].size) {
            return true;
        }
    }
    return false;
}

/* ---- the model ---- */

static uint32_t seed;

static uint32_t rnd(void)
{
    seed = seed * 1103515245u + 12345u;
    return seed >> 8;
}

static size_t medium_size(void)
{
    /* mostly a few KiB, sometimes up to 128 KiB, some exactly page sized */
    switch (rnd() % 8) {
    case 0:
        return 4096 * (1 + rnd() % 8);
    case 1:
        return 32768 + rnd() % (98304 - 1);
    default:
        return 1025 + rnd() % 12000;
    }
}

static bool intact(const struct live *l)
{
    for (size_t i = 0; i < l->size; i += 61) {
        if (l->p[i] != l->fill) {
            return false;
        }
    }
    return l->p[l->size - 1] == l->fill;
}

static int cmp_live(const void *a, const void *b)
{
    const struct live *x = a, *y = b;
    return x->p < y->p ? -1 : x->p > y->p;
}

static void check_no_overlap(void)
{
    static struct live sorted[MAX_LIVE];

    memcpy(sorted, live, nlive * sizeof(live[0]));
    qsort(sorted, nlive, sizeof(sorted[0]), cmp_live);
    for (unsigned i = 0; i + 1 < nlive; i++) {
        CU_ASSERT(sorted[i].p + sorted[i].size <= sorted[i + 1].p);
    }
}

static void add(unsigned char *p, size_t size)
{
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    CU_ASSERT_EQUAL((uintptr_t)p % 8, 0);
    CU_ASSERT(medium_owns(p));
    CU_ASSERT(medium_usable(p) >= size);
    live[nlive] = (struct live){ p, size, (unsigned char)(rnd() | 1) };
    memset(p, live[nlive].fill, size);
    nlive++;
}

static void random_steps(int steps)
{
    for (int s = 0; s < steps; s++) {
        uint32_t r = rnd() % 10;
        if (nlive > 0 && (r < 4 || nlive == MAX_LIVE)) {           /* free */
            unsigned i = rnd() % nlive;
            unsigned char *p = live[i].p;
            CU_ASSERT(intact(&live[i]));
            live[i] = live[--nlive];        /* out of the model first: its pages may go */
            medium_free(p);
        } else if (nlive > 0 && r < 6) {                            /* realloc in place */
            unsigned i = rnd() % nlive;
            size_t size = medium_size(), old = live[i].size;
            CU_ASSERT(intact(&live[i]));
            /* while it runs, only the bytes kept must stay (pages past them
             * may go back) */
            live[i].size = size < old ? size : old;
            if (medium_resize(live[i].p, size) != NULL) {
                for (size_t k = 0; k < live[i].size; k += 97) {
                    CU_ASSERT_EQUAL(live[i].p[k], live[i].fill);
                }
                live[i].size = size;
                memset(live[i].p, live[i].fill, size);
            } else {
                live[i].size = old;
            }
        } else {                                                    /* malloc */
            size_t size = medium_size();
            add(medium_alloc(size), size);
        }
        {
            size_t u, f, a, rel;
            medium_stats(&u, &f, &a, &rel);
            if (rel > f) {
                fprintf(stderr, "step %d (%u): dirty %zu > free %zu\n", s, r, rel, f);
                CU_FAIL_FATAL("more dirty bytes than free bytes");
            }
        }
        const char *why = medium_check();
        if (why != NULL) {
            fprintf(stderr, "step %d (%u): %s\n", s, r, why);
            CU_FAIL_FATAL("the allocator is inconsistent");
        }
        if (s % 64 == 0) {
            check_no_overlap();
        }
    }
}

static void test_medium_random_against_model(void)
{
    size_t used, free_bytes, arena, releasable;

    seed = 12;
    nlive = 0;
    random_steps(20000);
    check_no_overlap();
    for (unsigned i = 0; i < nlive; i++) {
        CU_ASSERT(intact(&live[i]));
    }
    CU_ASSERT(heap_host.released_bytes > 0);              /* free pages did go back */
    CU_ASSERT_EQUAL(heap_host.bad_release, 0);
    medium_stats(&used, &free_bytes, &arena, &releasable);
    CU_ASSERT(used >= nlive * 1024);
    CU_ASSERT_EQUAL(arena, heap_host.regions_out * REGION);
    while (nlive > 0) {
        CU_ASSERT(intact(&live[nlive - 1]));
        nlive--;
        medium_free(live[nlive].p);
    }
    medium_trim();
    medium_stats(&used, &free_bytes, &arena, &releasable);
    CU_ASSERT_EQUAL(used, 0);
    CU_ASSERT_EQUAL(arena, 0);
    CU_ASSERT_EQUAL(heap_host.regions_out, 0);
    CU_ASSERT_EQUAL(heap_host.bad_release, 0);
}

/* Neighbours merge: three adjacent objects freed in any order leave one
 * free chunk that serves an object of their combined size in place. */
static void test_medium_merges_neighbours(void)
{
    unsigned char *a = medium_alloc(5000), *b = medium_alloc(5000), *c = medium_alloc(5000);
    unsigned char *big;

    CU_ASSERT_PTR_NOT_NULL_FATAL(a);
    CU_ASSERT(b == a + medium_usable(a) + 4 && c == b + medium_usable(b) + 4);
    medium_free(b);
    medium_free(a);
    medium_free(c);
    big = medium_alloc(15000);
    CU_ASSERT_PTR_EQUAL(big, a);
    /* grown in place into the free space after it, then shrunk */
    CU_ASSERT_PTR_EQUAL(medium_resize(big, 40000), big);
    CU_ASSERT(medium_usable(big) >= 40000);
    CU_ASSERT_PTR_EQUAL(medium_resize(big, 2000), big);
    CU_ASSERT(medium_usable(big) >= 2000 && medium_usable(big) < 2100);
    medium_free(big);
    medium_free(big);                           /* a double free is ignored */
    medium_trim();
    CU_ASSERT_EQUAL(heap_host.regions_out, 0);
}

/* Each test counts the platform's calls from zero (regions of other
 * suites' allocators stay out), checked against this file's model. */
static void setup(void)
{
    heap_host_reset();
    heap_host.touches_live = touches_live;
    nlive = 0;
}

HOST_SUITE(malloc_medium_suite, "malloc: medium objects against a model", NULL, NULL, setup,
           HOST_TEST(test_medium_merges_neighbours),
           HOST_TEST(test_medium_random_against_model))
