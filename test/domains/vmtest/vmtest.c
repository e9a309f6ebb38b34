/*
 * vmtest: VSPACE_ cases of self-paging, in a fresh domain spawned by init
 * (part of `scons test`). RAM figures come from the domain's own paging
 * statistics (pages mapped on first touch) and from the memory server
 * (free RAM over RPC), so "lazy" and "given back" are both checked.
 */
#include <aos/paging.h>
#include <aos/morecore.h>
#include <aos/aos_rpc.h>
#include <aos/threads.h>
#include <aos/ram_alloc.h>
#include <aos/caps.h>
#include <aos/slot_alloc.h>
#include <aos/utest.h>
#include <stdio.h>
#include <stdlib.h>
#include <malloc.h>
#include <string.h>
#include "../../include/server_free.h"

#define PAGE BASE_PAGE_SIZE

static struct paging_state *me(void)
{
    return get_current_paging_state();
}

static struct paging_info info(void)
{
    struct paging_info i;
    paging_get_info(me(), &i);
    return i;
}

/* RAM follows pages touched, not bytes reserved. */
static void lazy_heap(void)
{
    struct paging_info before = info(), after;
    volatile uint32_t *buf;

    UEXPECT_OK(paging_alloc(me(), (void **)&buf, 64u << 20, PAGE));
    after = info();
    UEXPECT_EQ("pages mapped by reserving 64 MiB", after.lazy_pages, before.lazy_pages);
    for (int i = 0; i < 10; i++) {
        buf[i * 1000 * PAGE / 4] = i;             /* 10 pages, 4 MB apart */
    }
    for (int i = 0; i < 10; i++) {
        buf[i * 1000 * PAGE / 4 + 1] = buf[i * 1000 * PAGE / 4] + 1;   /* no new faults */
    }
    after = info();
    UEXPECT_EQ("pages mapped after touching 10", after.lazy_pages - before.lazy_pages, 10);
    UEXPECT_EQ("faults taken", after.faults - before.faults, 10);
    UEXPECT_EQ("fresh page reads zero", buf[12345 * PAGE / 4 + 5], 0);
    UEXPECT_OK(paging_free(me(), (void *)buf));
    after = info();
    UEXPECT_EQ("pages mapped after free", after.lazy_pages, before.lazy_pages);
}

/* At least 32 MiB through malloc in mixed sizes, written and verified. */
static void malloc_32mib(void)
{
    enum { N = 96 };
    uint32_t *blocks[N];
    size_t sizes[N], total = 0;

    for (int i = 0; i < N; i++) {
        sizes[i] = (i % 3 == 0) ? (1u << 20) : (i % 3 == 1) ? 200u * 1024 : 100u * 1024 + 4u * i;
        blocks[i] = malloc(sizes[i]);
        UEXPECT(blocks[i] != NULL, "malloc(%zu) failed after %zu bytes", sizes[i], total);
        total += sizes[i];
        for (size_t w = 0; w < sizes[i] / 4; w += 256) {
            blocks[i][w] = (uint32_t)(i * 0x10001u + w);
        }
    }
    UEXPECT(total >= 32u << 20, "only %zu bytes", total);
    for (int i = 0; i < N; i++) {
        for (size_t w = 0; w < sizes[i] / 4; w += 256) {
            UEXPECT(blocks[i][w] == (uint32_t)(i * 0x10001u + w),
                    "block %d word %zu changed", i, w);
        }
        free(blocks[i]);
    }
}

/* 512 MiB in mixed sizes: allocated, every page written, all checked,
 * all freed; the domain's mapped pages back where they were. False (with
 * the failure recorded) if anything was wrong; *total: bytes allocated. */
static bool round_512mib(size_t *total)
{
    enum { MAXB = 512 };
    static uint32_t *blocks[MAXB];
    static size_t sizes[MAXB];
    size_t n = 0;
    struct paging_info before = info();

    *total = 0;
    while (*total < (512u << 20) && n < MAXB) {
        size_t sz = ((n % 4) + 1) * (1u << 20) + (n % 7) * PAGE;   /* 1..4 MiB and change */
        if (*total + sz > (512u << 20)) {
            sz = (512u << 20) - *total;
        }
        blocks[n] = malloc(sz);
        if (blocks[n] == NULL) {
            utest_fail("malloc(%zu) failed after %zu MiB", sz, *total >> 20);
            return false;
        }
        sizes[n] = sz;
        for (size_t off = 0; off < sz; off += PAGE) {
            blocks[n][off / 4] = (uint32_t)(off ^ (n << 20));
        }
        *total += sz;
        n++;
    }
    for (size_t i = 0; i < n; i++) {
        for (size_t off = 0; off < sizes[i]; off += PAGE) {
            if (blocks[i][off / 4] != (uint32_t)(off ^ (i << 20))) {
                utest_fail("block %zu offset %zu lost its value", i, off);
                return false;
            }
        }
    }
    if (info().lazy_pages - before.lazy_pages < (512u << 20) / PAGE) {
        utest_fail("only %lu pages mapped", (unsigned long)(info().lazy_pages - before.lazy_pages));
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        free(blocks[i]);
    }
    if (info().lazy_pages != before.lazy_pages) {
        utest_fail("%lu pages mapped after free, %lu before", (unsigned long)info().lazy_pages,
                   (unsigned long)before.lazy_pages);
        return false;
    }
    return true;
}

/* 512 MiB allocated in mixed sizes, every page touched and checked, all
 * freed: the memory server's free RAM is back where it was, but for what
 * the domain keeps while it runs (bounded here; exact once it ends: init
 * checks that after every command). */
static void mixed_512mib(void)
{
    size_t total, free_before = server_free(), free_after;

    if (!round_512mib(&total)) {
        return;
    }
    free_after = server_free();
    printf("vmtest: memory server free RAM %zu before, %zu after\n", free_before, free_after);
    /* Kept: the frame pool's newest chunk (1 MiB of frames + a 16 KiB CNode)
     * and the page tables and their shadows for the sections touched (L2
     * tables are not freed while the domain runs): about 4 KiB per MiB. */
    UEXPECT(free_after + (1u << 20) + OBJSIZE_L2CNODE + 4 * (total >> 10) >= free_before,
            "memory server: %zu bytes free before, %zu after (more than the pool's "
            "chunk and the page tables)", free_before, free_after);
}

/* The same again, twice, each round followed by malloc_trim: the second
 * round leaves the memory server with at least the free RAM the first
 * left (what a round keeps serves the next; trimming may find a little
 * more to give back the second time). A leak of even one page per round
 * shows here. */
static void mixed_512mib_steady(void)
{
    size_t total, after_first, after_second;

    if (!round_512mib(&total)) {
        return;
    }
    malloc_trim(0);
    after_first = server_free();
    if (!round_512mib(&total)) {
        return;
    }
    malloc_trim(0);
    after_second = server_free();
    UEXPECT(after_second >= after_first, "free RAM after a second 512 MiB round: %zu, after "
            "the first %zu", after_second, after_first);
}

/* 8 threads fault on the same pages at once: one frame per page. */
#define RACE_THREADS 8
#define RACE_PAGES   64
static volatile uint32_t *race_buf;
static struct thread_sem race_go;

static int racer(void *arg)
{
    uint32_t id = (uint32_t)(uintptr_t)arg;

    thread_sem_wait(&race_go);
    for (uint32_t p = 0; p < RACE_PAGES; p++) {
        race_buf[p * PAGE / 4 + id] = id + 1;     /* each thread its own word */
    }
    return 0;
}

static void threads_race(void)
{
    struct thread *t[RACE_THREADS];
    struct paging_info before;

    UEXPECT_OK(paging_alloc(me(), (void **)&race_buf, RACE_PAGES * PAGE, PAGE));
    thread_sem_init(&race_go, 0);
    before = info();
    for (uint32_t i = 0; i < RACE_THREADS; i++) {
        t[i] = thread_create(racer, (void *)(uintptr_t)i);
        UEXPECT(t[i] != NULL, "thread_create failed");
    }
    for (int i = 0; i < RACE_THREADS; i++) {
        thread_sem_post(&race_go);
    }
    for (int i = 0; i < RACE_THREADS; i++) {
        UEXPECT_OK(thread_join(t[i], NULL));
    }
    /* thread stacks fault too: count only the race buffer's pages */
    for (uint32_t p = 0; p < RACE_PAGES; p++) {
        for (uint32_t id = 0; id < RACE_THREADS; id++) {
            UEXPECT(race_buf[p * PAGE / 4 + id] == id + 1,
                    "page %lu lost thread %lu's word", (unsigned long)p, (unsigned long)id);
        }
    }
    UEXPECT(info().lazy_pages - before.lazy_pages >= RACE_PAGES, "too few pages mapped");
    UEXPECT_OK(paging_free(me(), (void *)race_buf));
    UEXPECT_EQ("pages mapped after the buffer and the threads are gone",
               info().lazy_pages, before.lazy_pages);
}

/* A deep recursion on main's stack (1 MiB, lazily backed). */
static __attribute__((noinline)) uint32_t recurse(uint32_t depth)
{
    volatile char frame[1024];
    uint32_t below;

    frame[depth % sizeof(frame)] = (char)depth;
    if (depth == 0) {
        return 0;
    }
    below = recurse(depth - 1);             /* not a tail call: frame lives on */
    return below + 1 + (uint32_t)(frame[depth % sizeof(frame)] - (char)depth);
}

static void stack_grows(void)
{
    struct paging_info before = info();

    UEXPECT_EQ("recursion result", recurse(600), 600);       /* ~600 KiB of stack */
    UEXPECT(info().lazy_pages - before.lazy_pages >= 100,
            "the stack grew by only %lu pages", (unsigned long)(info().lazy_pages - before.lazy_pages));
}

/* Explicit mappings: map a frame, read and write it, unmap, map again. */
static void map_unmap(void)
{
    capaddr_t frame;
    gensize_t got;
    volatile uint32_t *a, *b;

    UEXPECT_OK(frame_alloc(&frame, 3 * PAGE, &got));
    UEXPECT_OK(paging_map_frame(me(), (void **)&a, got, frame, VREGION_FLAGS_READ_WRITE));
    a[0] = 0x1234;
    a[got / 4 - 1] = 0x5678;
    UEXPECT_OK(paging_unmap(me(), (void *)a));
    UEXPECT_ERR(paging_unmap(me(), (void *)a), LIB_ERR_PAGING_NOT_MAPPED);
    UEXPECT_OK(paging_map_frame(me(), (void **)&b, got, frame, VREGION_FLAGS_READ));
    UEXPECT_EQ("first word through the second mapping", b[0], 0x1234);
    UEXPECT_EQ("last word", b[got / 4 - 1], 0x5678);
    UEXPECT_OK(paging_unmap(me(), (void *)b));
    UEXPECT_OK(cap_delete(frame));
    UEXPECT_OK(slot_free(frame));
    UEXPECT_ERR(paging_map_fixed(me(), 0x1000, frame, PAGE, VREGION_FLAGS_READ),
                LIB_ERR_BUDDY_RANGE_NOT_FREE);   /* the NULL guard */
    UEXPECT_ERR(paging_map_fixed(me(), 0x123, frame, PAGE, VREGION_FLAGS_READ),
                LIB_ERR_PAGING_BAD_ARGS);
}

/* Small objects in size classes: distinct, intact, calloc'ed ones zero,
 * realloc keeps the bytes, and freeing them all gives their pages back. */
static void small_objects(void)
{
    enum { N = 6000 };
    static unsigned char *obj[N];
    struct paging_info before = info();

    for (int i = 0; i < N; i++) {
        size_t sz = 1 + (i * 37) % 1024;
        obj[i] = (i % 5 == 0) ? calloc(1, sz) : malloc(sz);
        UEXPECT(obj[i] != NULL, "allocation %d of %zu bytes failed", i, sz);
        if (i % 5 == 0) {
            for (size_t b = 0; b < sz; b++) {
                UEXPECT(obj[i][b] == 0, "calloc'ed object %d byte %zu not zero", i, b);
            }
        }
        memset(obj[i], (int)(i & 0xff), sz);
    }
    for (int i = 0; i < N; i++) {
        size_t sz = 1 + (i * 37) % 1024;
        UEXPECT(obj[i][0] == (i & 0xff) && obj[i][sz - 1] == (i & 0xff),
                "object %d was overwritten", i);
    }
    obj[1] = realloc(obj[1], 900);                  /* 38 bytes -> another class */
    UEXPECT(obj[1] != NULL && obj[1][37] == 1, "realloc lost the bytes");
    for (int i = 0; i < N; i++) {
        free(obj[i]);
    }
    /* kept: one empty run per size class (23), alone (the pages meshed
     * into it go back), and the pages of the run headers (48 bytes a run:
     * the ~800 runs this touched have theirs on 10 pages) */
    UEXPECT(info().lazy_pages <= before.lazy_pages + 23 + 10,
            "%lu pages still mapped after freeing every small object (%lu before)",
            (unsigned long)info().lazy_pages, (unsigned long)before.lazy_pages);
}

/* Medium objects (1 to 128 KiB) grow the heap by 4 MiB regions wherever
 * the address space has room; once they are freed (and malloc_trim runs)
 * every region but one goes back. */
static void heap_grows(void)
{
    enum { N = 800, SIZE = 100 * 1024 };       /* under the large-block threshold */
    static char *blocks[N];
    struct mallinfo before = mallinfo(), during, after;

    for (int i = 0; i < N; i++) {
        blocks[i] = malloc(SIZE);
        UEXPECT(blocks[i] != NULL, "malloc %d of %d failed", i, N);
        blocks[i][0] = (char)i;
        blocks[i][SIZE - 1] = (char)~i;
    }
    during = mallinfo();
    UEXPECT(during.arena >= (size_t)N * SIZE,
            "the heap did not grow: arena %zu before, %zu with %d blocks of %d", before.arena,
            during.arena, N, SIZE);
    for (int i = 0; i < N; i++) {
        UEXPECT(blocks[i][0] == (char)i && blocks[i][SIZE - 1] == (char)~i,
                "block %d lost its bytes", i);
        free(blocks[i]);
    }
    malloc_trim(0);
    after = mallinfo();
    UEXPECT(after.arena <= before.arena + (4u << 20),
            "arena %zu after freeing and trimming, %zu before", after.arena, before.arena);
}

static const struct utest_case cases[] = {
    { "VSPACE_LAZY_HEAP", lazy_heap },
    { "VSPACE_MAP_UNMAP", map_unmap },
    { "VSPACE_MALLOC_32MIB", malloc_32mib },
    { "VSPACE_STACK_GROWS", stack_grows },
    { "VSPACE_THREADS_RACE_SAME_PAGES", threads_race },
    { "VSPACE_SMALL_OBJECTS", small_objects },
    { "VSPACE_HEAP_GROWS", heap_grows },
    { "VSPACE_MIXED_512MIB", mixed_512mib },
    { "VSPACE_MIXED_512MIB_STEADY", mixed_512mib_steady },
    UTEST_END
};

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "-v") == 0) {
        paging_set_verbose(me(), true);
    }
    utest_run(cases);
    return utest_finish();
}
