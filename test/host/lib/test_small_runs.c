/*
 * The size classes with meshing (morecore/small_runs.c) against a
 * reference model, on the host platform of heap_host.c (a memfd: meshing
 * maps two virtual pages onto one page of the file, as a domain maps them
 * onto one frame). Objects of 1..1024 bytes, each filled with its own
 * byte, are allocated and freed at random in phases that fill the heap
 * and then leave it sparse, so mesh passes run. Throughout: every object
 * keeps its bytes at its address (a mesh of two runs whose objects
 * overlapped would lose some), objects never overlap, the runs'
 * bookkeeping is consistent (small_check), no page goes back holding a
 * live byte, and the RAM the region holds is exactly its header pages and
 * one page per frame the allocator counts (so a mesh really gave a frame
 * back). Once everything is freed and trimmed, no run and no frame is
 * left.
 */
#define _GNU_SOURCE
#include "host_suite.h"
#include "heap_host.h"
#include "../../../morecore/small_runs.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_LIVE 30000

struct live {
    unsigned char *p;
    uint32_t size;
    unsigned char fill;
};

static struct live live[MAX_LIVE];
static unsigned nlive;
static uint32_t seed;

static uint32_t rnd(void)
{
    seed = seed * 1103515245u + 12345u;
    return seed >> 8;
}

/* What malloc_small.c does, without its locking. */
static void *s_malloc(size_t size)
{
    void *p = small_pop(size);

    return p != NULL ? p : small_alloc_slow(size);
}

static void s_free(void *p)
{
    if (!small_push(p)) {
        small_free_slow(p);
    }
}

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

static bool intact(const struct live *l)
{
    for (uint32_t i = 0; i < l->size; i += 7) {
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

/* Every object intact, none overlapping another (class sizes), the
 * bookkeeping consistent, RAM = header pages + a page per frame. */
static void check_all(const char *when)
{
    static struct live sorted[MAX_LIVE];
    uint32_t first_hdr = FIRST_RUN_PAGE * RUN_HEADER / RUN_SIZE;
    uint32_t last_hdr = (small.bump * RUN_HEADER - 1) / RUN_SIZE;   /* a header may straddle two */
    size_t want = ((size_t)(last_hdr - first_hdr + 1) + small.stats.frames) * RUN_SIZE;
    const char *why = small_check();
    unsigned bad = 0;

    for (unsigned i = 0; i < nlive; i++) {
        bad += !intact(&live[i]);
    }
    memcpy(sorted, live, nlive * sizeof(live[0]));
    qsort(sorted, nlive, sizeof(sorted[0]), cmp_live);
    for (unsigned i = 0; i + 1 < nlive; i++) {
        bad += sorted[i].p + small_object_size(sorted[i].p) > sorted[i + 1].p;
    }
    if (bad != 0 || why != NULL || heap_host_ram((void *)small.region) != want) {
        fprintf(stderr, "%s: %u objects bad, check: %s, RAM %zu, want %zu\n", when, bad,
                why != NULL ? why : "ok", heap_host_ram((void *)small.region), want);
        CU_FAIL_FATAL("the size classes lost track of an object or of a frame");
    }
}

static uint32_t object_size(void)
{
    switch (rnd() % 8) {
    case 0:
        return 1 + rnd() % 1024;
    case 1:
        return 257 + rnd() % 256;
    default:
        return 1 + rnd() % 128;
    }
}

static void add(uint32_t size)
{
    unsigned char *p = s_malloc(size);

    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    CU_ASSERT_FATAL((uintptr_t)p % 16 == 0);             /* every class: 16-byte steps */
    CU_ASSERT_FATAL(small_object_size(p) >= size);
    live[nlive] = (struct live){ p, size, (unsigned char)(rnd() | 1) };
    memset(p, live[nlive].fill, size);
    nlive++;
}

static void drop(unsigned i)
{
    unsigned char *p = live[i].p;

    CU_ASSERT_FATAL(intact(&live[i]));
    live[i] = live[--nlive];                /* out of the model first: its page may go */
    s_free(p);
}

static void free_all_and_trim(void)
{
    while (nlive > 0) {
        drop(nlive - 1);
    }
    small_runs_trim();
    CU_ASSERT_EQUAL(small.stats.runs, 0);
    CU_ASSERT_EQUAL(small.stats.frames, 0);
    check_all("after everything was freed");
}

/* Phases: fill to a target, then free down to a tenth of it at random,
 * with mixed malloc and free in between; every few thousand steps all is
 * checked. */
static void test_small_random_against_model(void)
{
    uint32_t meshes_before = small.stats.meshes;

    seed = 7;
    for (int round = 0; round < 6; round++) {
        unsigned target = 4000 + rnd() % (MAX_LIVE - 4000);
        for (int s = 0; nlive < target; s++) {
            if (nlive > 0 && rnd() % 4 == 0) {
                drop(rnd() % nlive);
            } else {
                add(object_size());
            }
            if (s % 4096 == 0) {
                check_all("filling");
            }
        }
        check_all("full");
        for (int s = 0; nlive > target / 10; s++) {
            if (rnd() % 5 == 0) {
                add(object_size());
            } else {
                drop(rnd() % nlive);
            }
            if (s % 4096 == 0) {
                check_all("emptying");
            }
        }
        check_all("sparse");
    }
    CU_ASSERT(small.stats.meshes > meshes_before);  /* passes ran and meshed */
    CU_ASSERT(heap_host.meshes > 0);
    CU_ASSERT(small.stats.frames < small.stats.runs);
    CU_ASSERT_EQUAL(heap_host.bad_mesh, 0);
    CU_ASSERT_EQUAL(heap_host.bad_release, 0);
    free_all_and_trim();
    CU_ASSERT_EQUAL(heap_host.bad_mesh, 0);
    CU_ASSERT_EQUAL(heap_host.bad_release, 0);
}

/* 64 pages of 64-byte objects, nine in ten freed at random: trim meshes
 * them onto far fewer frames, one pass meshes a bounded number of pairs,
 * and the objects left keep their bytes; freeing through a meshed page
 * and then everything gives every frame back. */
static void test_small_mesh_gives_frames_back(void)
{
    uint32_t cls = class_of(64), meshed;

    seed = 99;
    while (nlive < 64 * class_count[cls]) {
        add(64);
    }
    for (unsigned keep = nlive / 10; nlive > keep;) {
        drop(rnd() % nlive);
    }
    check_all("sparse");
    meshed = small_mesh_class(cls);
    CU_ASSERT(meshed > 0 && meshed <= 16);
    check_all("after one pass");
    small_runs_trim();
    check_all("after trim");
    /* ~6 objects a page of 64 left: at best 10 frames, random placement
     * and bounded passes give about 25 */
    CU_ASSERT(small.stats.frames <= 32);
    CU_ASSERT(small.stats.runs >= 60);
    /* every object still where it was; the pages share frames */
    CU_ASSERT(heap_host.meshes > 0);
    while (nlive > 0) {
        drop(nlive - 1);
    }
    /* the class keeps one empty run, without the pages meshed into it */
    CU_ASSERT_EQUAL(small.stats.runs, small.stats.frames);
    CU_ASSERT(small.stats.frames <= 1);
    check_all("freed");
    CU_ASSERT(heap_host.unaliases > 0);     /* the meshed pages let go of the frames */
    free_all_and_trim();
}

/* When the platform cannot mesh, a pass changes nothing. */
static void test_small_mesh_refused(void)
{
    uint32_t cls = class_of(100);
    uint32_t frames;

    seed = 5;
    heap_host.refuse_mesh = true;
    while (nlive < 32 * class_count[cls]) {
        add(100);
    }
    for (unsigned keep = nlive / 8; nlive > keep;) {
        drop(rnd() % nlive);                /* passes run, and mesh nothing */
    }
    frames = small.stats.frames;
    CU_ASSERT_EQUAL(frames, small.stats.runs);
    CU_ASSERT_EQUAL(small_mesh_class(cls), 0);
    CU_ASSERT_EQUAL(small.stats.frames, frames);
    check_all("refused");
    heap_host.refuse_mesh = false;
    CU_ASSERT(small_mesh_class(cls) > 0);
    check_all("meshed");
    free_all_and_trim();
}

/* What a buggy program may pass to free: a pointer into the middle of a
 * live object (of a meshed page too), an object freed twice (its run
 * perhaps given back since). Each is ignored (fast path or slow), nothing
 * else changes, no page is touched that was not mapped (check_all counts
 * the RAM), and the objects keep their bytes. */
static void test_small_bad_frees_ignored(void)
{
    uint32_t cls = class_of(48);
    size_t in_use;

    seed = 11;
    while (nlive < 8 * class_count[cls]) {
        add(48);
    }
    for (unsigned keep = nlive / 8; nlive > keep;) {
        drop(rnd() % nlive);
    }
    CU_ASSERT(small_mesh_class(cls) > 0);
    check_all("meshed");
    in_use = small_bytes_in_use();
    for (unsigned i = 0; i < nlive; i += 3) {
        s_free(live[i].p + 16);             /* the second granule of a 48-byte object */
        s_free(live[i].p + 1);
        s_free(live[i].p + 47);
    }
    CU_ASSERT_EQUAL(small_bytes_in_use(), in_use);
    check_all("interior pointers freed");
    for (int k = 0; k < 20 && nlive > 0; k++) {
        unsigned char *p = live[nlive - 1].p;
        drop(nlive - 1);
        s_free(p);                          /* again */
        CU_ASSERT_EQUAL(small_bytes_in_use(), in_use - (size_t)(k + 1) * 48);
        check_all("double free");
    }
    free_all_and_trim();
}

static void setup(void)
{
    heap_host_reset();
    heap_host.touches_live = touches_live;
    nlive = 0;
    small.stats.meshes = 0;
}

HOST_SUITE(small_runs_suite, "malloc: size classes and meshing against a model", NULL, NULL,
           setup,
           HOST_TEST(test_small_mesh_gives_frames_back),
           HOST_TEST(test_small_mesh_refused),
           HOST_TEST(test_small_bad_frees_ignored),
           HOST_TEST(test_small_random_against_model))
