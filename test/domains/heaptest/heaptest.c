/*
 * heaptest: HEAP_ cases of giving RAM back (docs/heap.md), in a fresh
 * domain spawned by init (part of `scons test`). RAM held is what the
 * memory server accounts to this domain (aos_rpc_process_get_info, as `ps`
 * and `vmmap` show it); free RAM is the server's (`free`).
 */
#include <aos/spawn.h>
#include <aos/aos_rpc.h>
#include <aos/dispatch.h>
#include <aos/morecore.h>
#include <aos/paging.h>
#include <aos/threads.h>
#include <aos/utest.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "../../include/server_free.h"

#define MIB (1u << 20)
#define MAX_OBJECTS 8192

static char *obj[MAX_OBJECTS];
static size_t obj_size[MAX_OBJECTS];

/* RAM the memory server has given this domain, now (ps's RAM column). */
static size_t held(void)
{
    struct aos_proc_info in;

    if (err_is_fail(aos_rpc_process_get_info(aos_rpc_get_process_channel(),
                                             spawn_my_pid(), &in))) {
        return 0;
    }
    free(in.name);
    return in.ram_bytes;
}

static uint32_t lazy_frames(void)
{
    struct paging_info pi;

    paging_get_info(get_current_paging_state(), &pi);
    return pi.lazy_frames;
}

/* Object i's size in a mix of small, medium and large (1 in 3 each). */
static size_t mixed_size(uint32_t i)
{
    uint32_t x = i * 2654435761u;

    switch (i % 3) {
    case 0:
        return 16 + (x >> 8) % 1009;                    /* small */
    case 1:
        return 1025 + (x >> 8) % (127 * 1024);          /* medium */
    default:
        return 128 * 1024 + (x >> 8) % (384 * 1024);   /* large */
    }
}

/* Free objects [0, n) without looking at them (a failed case cleans up). */
static void drop(uint32_t n)
{
    for (uint32_t i = 0; i < n; i++) {
        free(obj[i]);
        obj[i] = NULL;
    }
}

/* Allocate objects of mixed sizes until `bytes` are held, every page and
 * the last byte written with the object's mark; *n = how many. False
 * (recorded, and every object freed) on failure. */
static bool fill(size_t bytes, uint32_t *n)
{
    size_t total = 0;

    for (*n = 0; total < bytes && *n < MAX_OBJECTS; (*n)++) {
        size_t sz = mixed_size(*n);
        char *p = malloc(sz);
        if (p == NULL) {
            utest_fail("malloc(%zu) failed with %zu bytes held", sz, total);
            drop(*n);
            return false;
        }
        for (size_t off = 0; off < sz; off += BASE_PAGE_SIZE) {
            p[off] = (char)*n;
        }
        p[sz - 1] = (char)~*n;
        obj[*n] = p;
        obj_size[*n] = sz;
        total += sz;
    }
    return true;
}

/* Check and free objects [0, n) (all freed, whatever the check finds). */
static bool empty(uint32_t n)
{
    bool ok = true;

    for (uint32_t i = 0; i < n && ok; i++) {
        for (size_t off = 0; off < obj_size[i] && ok; off += BASE_PAGE_SIZE) {
            ok = obj[i][off] == (char)i;
        }
        ok = ok && obj[i][obj_size[i] - 1] == (char)~i;
        if (!ok) {
            utest_fail("object %lu lost its bytes", (unsigned long)i);
        }
    }
    drop(n);
    return ok;
}

/* Four rounds of filling 256 MiB and emptying it: after each, with
 * malloc_trim(0), the RAM this domain holds is back within 1 % of where
 * it started (every page, page table, metadata page and pool chunk the
 * round needed went back to the memory server). */
static void fill_empty_256mib_x4(void)
{
    size_t start, after;
    uint32_t n;

    malloc_trim(0);
    start = held();
    UEXPECT(start > 0, "no RAM figure for this domain");
    for (int round = 1; round <= 4; round++) {
        if (!fill(256 * MIB, &n)) {
            return;
        }
        after = held();
        if (!empty(n)) {
            return;
        }
        UEXPECT(after > start + 256 * MIB, "round %d: only %zu bytes held with 256 MiB live",
                round, after);
        malloc_trim(0);
        after = held();
        printf("heaptest: round %d: %zu bytes held (started with %zu)\n", round, after, start);
        UEXPECT(after <= start + start / 100,
                "round %d: %zu bytes held after emptying and trimming, %zu at the start "
                "(more than 1 %% over)", round, after, start);
    }
}

/* Freed memory goes back to the memory server while the domain runs,
 * without malloc_trim: `free` sees at least 90 % of what the fill took. */
static void ram_back_while_running(void)
{
    size_t before, full, after, took;
    uint32_t n;

    malloc_trim(0);                     /* start from a pool with nothing to spare */
    before = server_free();
    if (!fill(64 * MIB, &n)) {
        return;
    }
    full = server_free();
    took = before - full;
    if (!empty(n)) {
        return;
    }
    UEXPECT(took >= 64 * MIB, "filling 64 MiB took only %zu bytes from the server", took);
    after = server_free();
    printf("heaptest: server free %zu before, %zu full, %zu after (no trim)\n", before, full,
           after);
    UEXPECT(after - full >= took / 10 * 9,
            "the server got back %zu of the %zu bytes the fill took", after - full, took);
}

/* A domain that frees and allocates the same 2 MiB over and over ends up
 * keeping its pool chunks (the high-water mark grows when a chunk given
 * back is asked for again soon): after a few rounds, no RPC for RAM in 190
 * more. */
static void no_thrash(void)
{
    struct aos_rpc *rpc = aos_rpc_get_init_channel();
    uint32_t calls = 0;

    for (int round = 0; round < 200; round++) {
        char *p = malloc(2 * MIB);
        UEXPECT(p != NULL, "malloc(2 MiB) failed in round %d", round);
        for (size_t off = 0; off < 2 * MIB; off += BASE_PAGE_SIZE) {
            p[off] = 1;
        }
        free(p);
        if (round == 9) {
            calls = rpc->calls;
        }
    }
    UEXPECT(rpc->calls == calls, "%lu RPCs in rounds 10 to 199 of 2 MiB malloc and free",
            (unsigned long)(rpc->calls - calls));
}

/* Medium objects' pages go back without malloc_trim once enough of them
 * are free: 16 MiB of 8 KiB objects freed leaves at most 1 MiB mapped. */
static void medium_pages_back(void)
{
    enum { N = 2048, SIZE = 8 * 1024 };
    uint32_t base = lazy_frames(), peak;

    for (uint32_t i = 0; i < N; i++) {
        obj[i] = malloc(SIZE);
        if (obj[i] == NULL) {
            drop(i);
            UEXPECT(false, "malloc %lu failed", (unsigned long)i);
        }
        memset(obj[i], (int)i, SIZE);
    }
    peak = lazy_frames();
    drop(N);
    UEXPECT(peak - base >= N * SIZE / BASE_PAGE_SIZE, "only %lu pages for %d objects of 8 KiB",
            (unsigned long)(peak - base), N);
    UEXPECT(lazy_frames() <= base + MIB / BASE_PAGE_SIZE,
            "%lu pages mapped after freeing 16 MiB of medium objects (%lu before)",
            (unsigned long)lazy_frames(), (unsigned long)base);
}

/* ---- meshing under four threads ---- */

#define MESH_THREADS 4
#define MESH_OBJECTS 3000               /* per thread */

struct mesher {
    int id;
    uint32_t rng;
    unsigned char *p[MESH_OBJECTS];
    uint16_t size[MESH_OBJECTS];
    uint16_t tag[MESH_OBJECTS];         /* the object's own number */
    uint8_t gen[MESH_OBJECTS];
    uint32_t bad;                       /* objects found with the wrong bytes */
};

static struct mesher meshers[MESH_THREADS];

static uint32_t mesher_rnd(struct mesher *m)
{
    m->rng = m->rng * 1103515245u + 12345u;
    return m->rng >> 8;
}

/* Byte b of the object in thread m's entry i, in its current generation. */
static inline unsigned char mesh_byte(const struct mesher *m, uint32_t i, uint32_t b)
{
    return (unsigned char)(m->id * 61 + m->tag[i] * 7 + b + m->gen[i] * 13);
}

static void mesh_write(struct mesher *m, uint32_t i)
{
    for (uint32_t b = 0; b < m->size[i]; b++) {
        m->p[i][b] = mesh_byte(m, i, b);
    }
}

static void mesh_verify(struct mesher *m, uint32_t i)
{
    for (uint32_t b = 0; b < m->size[i]; b++) {
        if (m->p[i][b] != mesh_byte(m, i, b)) {
            m->bad++;
            return;
        }
    }
}

/* One thread: objects of 48, 64 and 100 bytes, allocated while the others
 * allocate (so each page holds several threads' objects), seven in eight
 * freed at random while the others free and check theirs (the frees make
 * runs sparse: mesh passes run in whichever thread frees, and move the
 * objects of every thread; thread 0 also calls malloc_trim now and then,
 * which meshes every class and moves pages between frames), then every
 * survivor checked, rewritten and checked again, many times, while the
 * others still free. */
static int mesh_thread(void *arg)
{
    struct mesher *m = arg;
    static const uint16_t sizes[3] = { 48, 64, 100 };

    for (uint32_t i = 0; i < MESH_OBJECTS; i++) {
        m->size[i] = sizes[mesher_rnd(m) % 3];
        m->tag[i] = (uint16_t)i;
        m->p[i] = malloc(m->size[i]);
        if (m->p[i] == NULL) {
            m->bad = ~0u;
            return 1;
        }
        mesh_write(m, i);
        if (i % 64 == 0) {
            thread_yield();
        }
    }
    for (uint32_t i = 0; i < MESH_OBJECTS; i++) {
        uint32_t j = i + mesher_rnd(m) % (MESH_OBJECTS - i);  /* a random order */
        unsigned char *p = m->p[j];
        uint16_t size = m->size[j];
        uint16_t tag = m->tag[j];
        m->p[j] = m->p[i], m->size[j] = m->size[i], m->tag[j] = m->tag[i];
        m->p[i] = p, m->size[i] = size, m->tag[i] = tag;
    }
    for (uint32_t i = MESH_OBJECTS / 8; i < MESH_OBJECTS; i++) {
        mesh_verify(m, i);
        free(m->p[i]);
        m->p[i] = NULL;
        if (i % 32 == 0) {
            mesh_verify(m, mesher_rnd(m) % (MESH_OBJECTS / 8));
            thread_yield();
        }
        if (m->id == 0 && i % 512 == 0) {
            malloc_trim(0);     /* meshes every class, moves pages that pin pool chunks */
        }
    }
    for (int round = 0; round < 20; round++) {
        for (uint32_t i = 0; i < MESH_OBJECTS / 8; i++) {
            mesh_verify(m, i);
            m->gen[i]++;
            mesh_write(m, i);
            mesh_verify(m, i);
        }
        thread_yield();
    }
    return 0;
}

/* Meshing while four threads allocate, free, read and write small objects
 * concurrently: passes run and give frames back (fewer frames than pages
 * behind the runs), every object keeps its bytes throughout, objects are
 * freed through both pages of a meshed pair, and at the end every run page
 * and frame goes back (malloc_trim). */
static void mesh_4_threads(void)
{
    struct heap_small_stats before, sparse, after;
    struct thread *t[MESH_THREADS];
    struct paging_info pi;
    uint32_t bad = 0;

    malloc_trim(0);
    heap_get_small_stats(&before);
    for (int k = 0; k < MESH_THREADS; k++) {
        meshers[k] = (struct mesher){ .id = k, .rng = 17u + 7919u * (uint32_t)k };
        t[k] = thread_create(mesh_thread, &meshers[k]);
        UEXPECT(t[k] != NULL, "thread %d not created", k);
    }
    for (int k = 0; k < MESH_THREADS; k++) {
        int ret;
        UEXPECT_OK(thread_join(t[k], &ret));
        UEXPECT(ret == 0, "thread %d could not allocate", k);
        bad += meshers[k].bad;
    }
    heap_get_small_stats(&sparse);
    paging_get_info(get_current_paging_state(), &pi);
    printf("heaptest: meshing: %lu run pages on %lu frames, %lu pages meshed in %lu passes\n",
           (unsigned long)sparse.run_pages, (unsigned long)sparse.run_frames,
           (unsigned long)(sparse.meshes - before.meshes),
           (unsigned long)(sparse.mesh_passes - before.mesh_passes));
    for (int k = 0; k < MESH_THREADS; k++) {
        for (uint32_t i = 0; i < MESH_OBJECTS / 8; i++) {
            mesh_verify(&meshers[k], i);
            free(meshers[k].p[i]);
        }
        bad += meshers[k].bad;
    }
    UEXPECT(bad == 0, "%lu objects lost their bytes", (unsigned long)bad);
    UEXPECT(sparse.meshes > before.meshes, "no page was meshed");
    UEXPECT(sparse.run_frames < sparse.run_pages, "%lu run pages on %lu frames: none shared",
            (unsigned long)sparse.run_pages, (unsigned long)sparse.run_frames);
    /* the paging layer agrees: exactly that many more pages mapped than frames in use */
    UEXPECT(pi.lazy_pages - pi.lazy_frames == sparse.run_pages - sparse.run_frames,
            "%lu pages mapped on %lu frames, the runs count %lu pages sharing",
            (unsigned long)pi.lazy_pages, (unsigned long)pi.lazy_frames,
            (unsigned long)(sparse.run_pages - sparse.run_frames));
    heap_get_small_stats(&after);
    UEXPECT(after.run_pages == after.run_frames,
            "%lu run pages on %lu frames with every object freed",
            (unsigned long)after.run_pages, (unsigned long)after.run_frames);
    malloc_trim(0);
    heap_get_small_stats(&after);
    UEXPECT(after.run_pages == before.run_pages && after.run_frames == before.run_frames,
            "%lu run pages, %lu frames left after malloc_trim, %lu and %lu before",
            (unsigned long)after.run_pages, (unsigned long)after.run_frames,
            (unsigned long)before.run_pages, (unsigned long)before.run_frames);
}

static const struct utest_case cases[] = {
    { "HEAP_NO_THRASH", no_thrash },
    { "HEAP_MEDIUM_PAGES_BACK", medium_pages_back },
    { "HEAP_RAM_BACK_WHILE_RUNNING", ram_back_while_running },
    { "HEAP_FILL_EMPTY_256MIB_X4", fill_empty_256mib_x4 },
    { "HEAP_MESH_4_THREADS", mesh_4_threads },
    UTEST_END
};

int main(void)
{
    utest_run(cases);
    return utest_finish();
}
