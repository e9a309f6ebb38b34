/*
 * Slab allocator (lib/slab.c): carving, exhaustion, reuse, alignment,
 * refill below the threshold without recursion, invalid frees.
 */
#include "host_suite.h"
#include <aos/slab.h>
#include <stdlib.h>
#include <string.h>

#define WORD sizeof(void *)

static _Alignas(16) unsigned char buf1[1024];

/* Buffers handed out by the test refill, freed by the test that made them. */
static void *refill_bufs[16];
static int refill_calls;
static int refill_nested_allocs;
static errval_t refill_result;

static void free_refill_bufs(void)
{
    for (unsigned i = 0; i < ARRAY_LENGTH(refill_bufs); i++) {
        free(refill_bufs[i]);
        refill_bufs[i] = NULL;
    }
}

static void setup(void)
{
    free_refill_bufs();
    refill_calls = 0;
    refill_nested_allocs = 0;
    refill_result = SYS_ERR_OK;
    memset(buf1, 0, sizeof(buf1));
}

/* A refill that behaves like the real one: it needs objects from the slab
 * it is refilling (the reserve), asks for a nested refill (which must be a
 * no-op) and then grows the slab with malloc'd memory. */
static errval_t test_refill(struct slab_allocator *slabs, size_t bytes)
{
    refill_calls++;
    CU_ASSERT_TRUE(slabs->refilling);
    CU_ASSERT_TRUE(bytes >= BASE_PAGE_SIZE);
    CU_ASSERT_EQUAL(bytes % BASE_PAGE_SIZE, 0);
    void *a = slab_alloc(slabs);
    void *b = slab_alloc(slabs);
    if (a != NULL && b != NULL) {
        refill_nested_allocs += 2;
    }
    CU_ASSERT_EQUAL(slab_refill_check(slabs), SYS_ERR_OK);   /* nested: no-op */
    if (err_is_fail(refill_result)) {
        return refill_result;
    }
    void *mem = malloc(bytes);
    refill_bufs[refill_calls - 1] = mem;
    errval_t err = slab_grow(slabs, mem, bytes);
    slab_free(slabs, a);
    slab_free(slabs, b);
    return err;
}

static void test_blocksize_rounding(void)
{
    struct slab_allocator s;
    slab_init(&s, 1, NULL);
    CU_ASSERT_EQUAL(s.blocksize, WORD);
    slab_init(&s, 0, NULL);
    CU_ASSERT_EQUAL(s.blocksize, WORD);
    slab_init(&s, WORD + 1, NULL);
    CU_ASSERT_EQUAL(s.blocksize, 2 * WORD);
    slab_init(&s, 3 * WORD, NULL);
    CU_ASSERT_EQUAL(s.blocksize, 3 * WORD);
    CU_ASSERT_EQUAL(s.refill_threshold, SLAB_REFILL_THRESHOLD);
    CU_ASSERT_EQUAL(slab_freecount(&s), 0);
    CU_ASSERT_PTR_NULL(slab_alloc(&s));
}

static void test_alloc_until_exhausted(void)
{
    struct slab_allocator s;
    CU_ASSERT_EQUAL(slab_init_static(&s, 24, test_refill, buf1, sizeof(buf1)), SYS_ERR_OK);
    size_t total = s.total_count;
    CU_ASSERT_TRUE(total > 0);
    CU_ASSERT_TRUE(total * s.blocksize + sizeof(struct slab_head) <= sizeof(buf1));
    CU_ASSERT_EQUAL(slab_freecount(&s), total);
    size_t n = 0;
    while (slab_alloc(&s) != NULL) {
        n++;
        CU_ASSERT_FATAL(n <= total);
    }
    CU_ASSERT_EQUAL(n, total);
    CU_ASSERT_EQUAL(slab_freecount(&s), 0);
    CU_ASSERT_PTR_NULL(slab_alloc(&s));
    CU_ASSERT_EQUAL(refill_calls, 0);    /* slab_alloc itself never refills */
}

static void test_free_and_reuse(void)
{
    struct slab_allocator s;
    slab_init_static(&s, 40, test_refill, buf1, sizeof(buf1));
    size_t total = s.total_count;
    void *a = slab_alloc(&s);
    void *b = slab_alloc(&s);
    CU_ASSERT_PTR_NOT_NULL_FATAL(a);
    CU_ASSERT_PTR_NOT_NULL_FATAL(b);
    CU_ASSERT_PTR_NOT_EQUAL(a, b);
    CU_ASSERT_EQUAL(slab_freecount(&s), total - 2);
    CU_ASSERT_EQUAL(slab_free(&s, a), SYS_ERR_OK);
    CU_ASSERT_EQUAL(slab_freecount(&s), total - 1);
    CU_ASSERT_PTR_EQUAL(slab_alloc(&s), a);
    /* drain, free everything, drain again: the same count */
    void *all[64];
    size_t n = 0;
    all[n++] = a;
    all[n++] = b;
    void *p;
    while ((p = slab_alloc(&s)) != NULL) {
        CU_ASSERT_FATAL(n < ARRAY_LENGTH(all));
        all[n++] = p;
    }
    CU_ASSERT_EQUAL(n, total);
    for (size_t i = 0; i < n; i++) {
        CU_ASSERT_EQUAL(slab_free(&s, all[i]), SYS_ERR_OK);
    }
    CU_ASSERT_EQUAL(slab_freecount(&s), total);
    n = 0;
    while (slab_alloc(&s) != NULL) {
        n++;
    }
    CU_ASSERT_EQUAL(n, total);
}

static int cmp_ptr(const void *a, const void *b)
{
    uintptr_t x = *(const uintptr_t *)a, y = *(const uintptr_t *)b;
    return x < y ? -1 : x > y;
}

static void test_objects_aligned_and_disjoint(void)
{
    static const size_t sizes[] = { 1, 5, 8, 13, 24, 33, 100 };
    for (unsigned k = 0; k < ARRAY_LENGTH(sizes); k++) {
        struct slab_allocator s;
        /* deliberately misaligned buffer start */
        CU_ASSERT_EQUAL(slab_init_static(&s, sizes[k], test_refill, buf1 + 3,
                                         sizeof(buf1) - 3), SYS_ERR_OK);
        uintptr_t objs[1024];
        size_t n = 0;
        void *p;
        while ((p = slab_alloc(&s)) != NULL) {
            objs[n++] = (uintptr_t)p;
            memset(p, 0xa5, sizes[k]);      /* ASan would catch writes outside buf1 */
        }
        CU_ASSERT_TRUE(n > 0);
        qsort(objs, n, sizeof(objs[0]), cmp_ptr);
        for (size_t i = 0; i < n; i++) {
            CU_ASSERT_EQUAL(objs[i] % WORD, 0);
            CU_ASSERT_TRUE(objs[i] >= (uintptr_t)buf1 + 3 + sizeof(struct slab_head));
            CU_ASSERT_TRUE(objs[i] + sizes[k] <= (uintptr_t)buf1 + sizeof(buf1));
            if (i > 0) {
                CU_ASSERT_TRUE(objs[i] - objs[i - 1] >= sizes[k]);
            }
        }
        /* the header survived the object writes */
        struct slab_head *sh = s.slabs;
        CU_ASSERT_EQUAL(sh->free_count, 0);
        CU_ASSERT_EQUAL(sh->total_count, n);
    }
}

static void test_refill_below_threshold_not_recursive(void)
{
    struct slab_allocator s;
    slab_init_static(&s, 32, test_refill, buf1, sizeof(buf1));
    size_t total = s.total_count;
    CU_ASSERT_FATAL(total > SLAB_REFILL_THRESHOLD + 2);
    /* above the threshold: nothing happens */
    while (slab_freecount(&s) > SLAB_REFILL_THRESHOLD) {
        CU_ASSERT_PTR_NOT_NULL(slab_alloc(&s));
        CU_ASSERT_EQUAL(slab_refill_check(&s), SYS_ERR_OK);
    }
    CU_ASSERT_EQUAL(refill_calls, 0);
    /* one below: exactly one refill, which itself took objects from the reserve */
    CU_ASSERT_PTR_NOT_NULL(slab_alloc(&s));
    CU_ASSERT_EQUAL(slab_refill_check(&s), SYS_ERR_OK);
    CU_ASSERT_EQUAL(refill_calls, 1);
    CU_ASSERT_EQUAL(refill_nested_allocs, 2);
    CU_ASSERT_FALSE(s.refilling);
    CU_ASSERT_TRUE(slab_freecount(&s) >= 2 * SLAB_REFILL_THRESHOLD);
    CU_ASSERT_TRUE(s.total_count > total);
    /* enough now: no further refill */
    CU_ASSERT_EQUAL(slab_refill_check(&s), SYS_ERR_OK);
    CU_ASSERT_EQUAL(refill_calls, 1);
    free_refill_bufs();
}

static void test_refill_threshold_is_per_allocator(void)
{
    struct slab_allocator s;
    slab_init_static(&s, 16, test_refill, buf1, sizeof(buf1));
    s.refill_threshold = s.total_count + 1;
    CU_ASSERT_EQUAL(slab_refill_check(&s), SYS_ERR_OK);
    CU_ASSERT_EQUAL(refill_calls, 1);
    CU_ASSERT_TRUE(slab_refill_bytes(&s) >= (s.refill_threshold * 2) * 16);
    free_refill_bufs();
}

static void test_refill_failure_is_reported(void)
{
    struct slab_allocator s;
    slab_init_static(&s, 64, test_refill, buf1, sizeof(buf1));
    while (slab_freecount(&s) >= SLAB_REFILL_THRESHOLD) {
        slab_alloc(&s);
    }
    refill_result = SYS_ERR_RETYPE_OVERLAP;
    errval_t err = slab_refill_check(&s);
    CU_ASSERT_EQUAL(err_no(err), LIB_ERR_SLAB_REFILL);
    CU_ASSERT_EQUAL(err_no(err_pop(err)), SYS_ERR_RETYPE_OVERLAP);
    CU_ASSERT_FALSE(s.refilling);
    /* the next check tries again */
    refill_result = SYS_ERR_OK;
    CU_ASSERT_EQUAL(slab_refill_check(&s), SYS_ERR_OK);
    CU_ASSERT_EQUAL(refill_calls, 2);
    free_refill_bufs();
}

/* An allocator with no refill of its own uses the default one, which the
 * start-up layer installs (the slab cannot map frames itself); before
 * that, its refill fails with its own error and leaves it usable. */
static void test_default_refill_installed_from_above(void)
{
    struct slab_allocator s;
    slab_init_static(&s, 64, NULL, buf1, sizeof(buf1));
    while (slab_freecount(&s) >= SLAB_REFILL_THRESHOLD) {
        slab_alloc(&s);
    }
    slab_set_default_refill(NULL);
    errval_t err = slab_refill_check(&s);
    CU_ASSERT_EQUAL(err_no(err), LIB_ERR_SLAB_REFILL);
    CU_ASSERT_EQUAL(err_no(err_pop(err)), LIB_ERR_SLAB_NO_DEFAULT_REFILL);
    CU_ASSERT_FALSE(s.refilling);
    CU_ASSERT_EQUAL(refill_calls, 0);
    slab_set_default_refill(test_refill);
    CU_ASSERT_EQUAL(slab_refill_check(&s), SYS_ERR_OK);
    CU_ASSERT_EQUAL(refill_calls, 1);
    CU_ASSERT_TRUE(slab_freecount(&s) >= 2 * SLAB_REFILL_THRESHOLD);
    slab_set_default_refill(NULL);
    free_refill_bufs();
}

static void test_invalid_free_and_grow(void)
{
    struct slab_allocator s;
    slab_init(&s, 32, test_refill);
    unsigned char tiny[sizeof(struct slab_head) + 8];
    CU_ASSERT_EQUAL(slab_grow(&s, tiny, sizeof(tiny)), LIB_ERR_SLAB_GROW_TOO_SMALL);
    CU_ASSERT_EQUAL(slab_grow(&s, NULL, 4096), LIB_ERR_SLAB_GROW_TOO_SMALL);
    CU_ASSERT_EQUAL(s.total_count, 0);
    CU_ASSERT_EQUAL(slab_grow(&s, buf1, sizeof(buf1)), SYS_ERR_OK);
    int outside;
    CU_ASSERT_EQUAL(slab_free(&s, &outside), LIB_ERR_SLAB_FREE_INVALID);
    CU_ASSERT_EQUAL(slab_free(&s, NULL), LIB_ERR_SLAB_FREE_INVALID);
    unsigned char *p = slab_alloc(&s);
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    CU_ASSERT_EQUAL(slab_free(&s, p + 4), LIB_ERR_SLAB_FREE_INVALID);
    CU_ASSERT_EQUAL(slab_free(&s, p), SYS_ERR_OK);
    /* every object is free again: another free of it cannot be right */
    CU_ASSERT_EQUAL(slab_free(&s, p), LIB_ERR_SLAB_FREE_INVALID);
    CU_ASSERT_EQUAL(slab_freecount(&s), s.total_count);
}

static void *released[8];
static size_t released_bytes[8];
static int release_calls;

static void test_release(void *buf, size_t bytes)
{
    if (release_calls < 8) {
        released[release_calls] = buf;
        released_bytes[release_calls] = bytes;
    }
    release_calls++;
}

/* Objects come from the oldest slab with room; a releasable slab whose
 * objects are all free goes back (slab_reclaim) while enough stay free,
 * a static one never; trimming keeps only the threshold. */
static void test_oldest_first_and_reclaim(void)
{
    static _Alignas(4096) unsigned char pages[4][4096];
    struct slab_allocator s;
    void *objs[512];
    size_t n = 0;

    release_calls = 0;
    slab_init_static(&s, 64, test_refill, buf1, sizeof(buf1));
    s.refill_threshold = 2;
    for (int i = 0; i < 4; i++) {
        CU_ASSERT_EQUAL(slab_grow_releasable(&s, pages[i], sizeof(pages[i])), SYS_ERR_OK);
    }
    /* fill everything: the static buffer's objects come first, then page 0 */
    void *first = slab_alloc(&s);
    CU_ASSERT(first >= (void *)buf1 && first < (void *)(buf1 + sizeof(buf1)));
    objs[n++] = first;
    while ((objs[n] = slab_alloc(&s)) != NULL) {
        n++;
    }
    CU_ASSERT_EQUAL(slab_reclaim(&s, test_release, false), 0);     /* all in use */
    for (size_t i = 0; i < n; i++) {
        slab_free(&s, objs[i]);
    }
    /* a fresh object comes from the oldest slab again */
    void *again = slab_alloc(&s);
    CU_ASSERT(again >= (void *)buf1 && again < (void *)(buf1 + sizeof(buf1)));
    slab_free(&s, again);
    /* one object left in page 1: pages 0, 2 and 3 may go (keep: 2 + a refill) */
    void *pin = NULL;
    for (size_t i = 0; i < n && pin == NULL; i++) {
        if (objs[i] >= (void *)pages[1] && objs[i] < (void *)pages[2]) {
            pin = objs[i];
        }
    }
    CU_ASSERT_PTR_NOT_NULL_FATAL(pin);
    /* take everything again except that one slot, then give all but it back */
    size_t m = 0;
    while ((objs[m] = slab_alloc(&s)) != NULL) {
        m++;
    }
    for (size_t i = 0; i < m; i++) {
        if (objs[i] != pin) {
            slab_free(&s, objs[i]);
        }
    }
    size_t total = s.total_count;
    CU_ASSERT(slab_reclaim(&s, test_release, true) >= 2);
    for (int i = 0; i < release_calls && i < 8; i++) {
        CU_ASSERT(released[i] != (void *)pages[1]);             /* pinned */
        CU_ASSERT(released[i] >= (void *)pages[0] && released[i] < (void *)pages[4]);
        CU_ASSERT_EQUAL(released_bytes[i], 4096);
    }
    CU_ASSERT(s.total_count < total);
    CU_ASSERT(slab_freecount(&s) >= s.refill_threshold);
    /* the allocator still hands out and takes back what is left */
    void *x = slab_alloc(&s);
    CU_ASSERT_PTR_NOT_NULL(x);
    CU_ASSERT_EQUAL(slab_free(&s, x), SYS_ERR_OK);
    CU_ASSERT_EQUAL(slab_free(&s, pin), SYS_ERR_OK);
}

HOST_SUITE(slab_suite, "slab allocator", NULL, NULL, setup,
           HOST_TEST(test_oldest_first_and_reclaim),
           HOST_TEST(test_blocksize_rounding),
           HOST_TEST(test_alloc_until_exhausted),
           HOST_TEST(test_free_and_reuse),
           HOST_TEST(test_objects_aligned_and_disjoint),
           HOST_TEST(test_refill_below_threshold_not_recursive),
           HOST_TEST(test_refill_threshold_is_per_allocator),
           HOST_TEST(test_refill_failure_is_reported),
           HOST_TEST(test_default_refill_installed_from_above),
           HOST_TEST(test_invalid_free_and_grow))
