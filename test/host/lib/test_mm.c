/*
 * Memory manager (lib/mm.c) against a fake capability model: split, return
 * and coalesce back to one block (bytes and live caps exactly as before),
 * alignment, exhaustion, every argument and free error, failure injection
 * in slots/retype/copy (nothing changes), re-entrant slot allocation, node
 * refills, and long random alloc/free sequences.
 */
#include "host_suite.h"
#include <aos/mm.h>
#include <aos/caps.h>
#include <autarky/bootinfo.h>
#include <stdlib.h>
#include <string.h>

/* Real invocations are not linked into the host binary; weak so that a
 * shared fake (or the real thing) wins if someone links one. */
__attribute__((weak)) errval_t cap_revoke(capaddr_t cap)
{
    (void)cap;
    return LIB_ERR_NOT_IMPLEMENTED;
}

__attribute__((weak)) errval_t cap_delete(capaddr_t cap)
{
    (void)cap;
    return LIB_ERR_NOT_IMPLEMENTED;
}

__attribute__((weak)) errval_t cap_copy(capaddr_t dest_cnode, cslot_t dest_slot,
                                        capaddr_t src)
{
    (void)dest_cnode; (void)dest_slot; (void)src;
    return LIB_ERR_NOT_IMPLEMENTED;
}

__attribute__((weak)) errval_t cap_identify(capaddr_t cap, struct capability_info *info)
{
    (void)cap; (void)info;
    return LIB_ERR_NOT_IMPLEMENTED;
}

/* ---- fake cspace: caps[l1][l2]; mm's slots come from L1 16..31 ---------- */

#define FAKE_L1        32
#define POOL_FIRST_L1  16
#define POOL_SLOTS     ((FAKE_L1 - POOL_FIRST_L1) * L2_CNODE_SLOTS)

struct fcap {
    bool used;
    lpaddr_t base;
    gensize_t size;
};

static struct fcap caps[FAKE_L1][L2_CNODE_SLOTS];
static bool pool_used[POOL_SLOTS];
static int slots_in_use;
/* failure injection: fail the n-th call from now (1 = next), 0 = never */
static int slot_fail_at, retype_fail_at, copy_fail_at, revoke_fail_at;
/* re-entrancy: on the n-th slot_alloc, allocate from mm inside it */
static int nested_at;
static struct mm *nested_mm;
static errval_t nested_err;
static capaddr_t nested_cap;
static lpaddr_t nested_base;
static gensize_t nested_size;

static struct mm tmm;
static void *refill_bufs[64];
static int refill_calls;

static struct fcap *fake_lookup(capaddr_t c)
{
    if ((c & CPTR_L1_SLOT) || CPTR_L1_INDEX(c) >= FAKE_L1) {
        return NULL;
    }
    return &caps[CPTR_L1_INDEX(c)][CPTR_L2_INDEX(c)];
}

static bool countdown(int *n)
{
    return *n > 0 && --*n == 0;
}

static int live_caps(void)
{
    int n = 0;
    for (int i = 0; i < FAKE_L1; i++) {
        for (int j = 0; j < (int)L2_CNODE_SLOTS; j++) {
            n += caps[i][j].used;
        }
    }
    return n;
}

static errval_t fake_slot_alloc(capaddr_t *ret)
{
    if (countdown(&nested_at)) {
        nested_err = mm_alloc_aligned(nested_mm, 16384, 16384, &nested_cap,
                                      &nested_base, &nested_size);
    }
    if (countdown(&slot_fail_at)) {
        return LIB_ERR_SLOT_ALLOC_NO_SPACE;
    }
    for (int i = 0; i < (int)POOL_SLOTS; i++) {
        if (!pool_used[i]) {
            pool_used[i] = true;
            slots_in_use++;
            *ret = CPTR(POOL_FIRST_L1 + i / L2_CNODE_SLOTS, i % L2_CNODE_SLOTS);
            return SYS_ERR_OK;
        }
    }
    return LIB_ERR_SLOT_ALLOC_NO_SPACE;
}

static errval_t fake_slot_free(capaddr_t c)
{
    int l1 = (int)CPTR_L1_INDEX(c);
    if ((c & CPTR_L1_SLOT) || l1 < POOL_FIRST_L1 || l1 >= FAKE_L1) {
        return LIB_ERR_SLOT_FREE_UNKNOWN;
    }
    int i = (l1 - POOL_FIRST_L1) * L2_CNODE_SLOTS + (int)CPTR_L2_INDEX(c);
    if (!pool_used[i]) {
        return LIB_ERR_SLOT_DOUBLE_FREE;
    }
    CU_ASSERT_FALSE(caps[l1][CPTR_L2_INDEX(c)].used);   /* slots are freed empty */
    pool_used[i] = false;
    slots_in_use--;
    return SYS_ERR_OK;
}

/* A RAM retype with the kernel's rules that matter here: strictly smaller,
 * inside the source, page aligned, no overlap with existing descendants. */
static errval_t fake_retype_ram(capaddr_t src, gensize_t offset, gensize_t size,
                                uint32_t count, capaddr_t dest_cnode, cslot_t slot)
{
    struct fcap *s = fake_lookup(src);
    if (s == NULL || !s->used) {
        return SYS_ERR_SLOT_EMPTY;
    }
    if (size == 0 || size % BASE_PAGE_SIZE || size >= s->size) {
        return SYS_ERR_RETYPE_INVALID_SIZE;
    }
    if (offset % BASE_PAGE_SIZE || offset >= s->size) {
        return SYS_ERR_RETYPE_INVALID_OFFSET;
    }
    if (count == 0 || (uint64_t)offset + (uint64_t)count * size > s->size) {
        return SYS_ERR_RETYPE_INVALID_COUNT;
    }
    if (!(dest_cnode & CPTR_L1_SLOT) || (dest_cnode & 0xffffu) >= FAKE_L1) {
        return SYS_ERR_DEST_NOT_CNODE;
    }
    unsigned l1 = dest_cnode & 0xffffu;
    if (slot + count > L2_CNODE_SLOTS) {
        return SYS_ERR_SLOT_OUT_OF_RANGE;
    }
    for (uint32_t k = 0; k < count; k++) {
        if (caps[l1][slot + k].used) {
            return SYS_ERR_SLOT_IN_USE;
        }
    }
    uint64_t lo = (uint64_t)s->base + offset, hi = lo + (uint64_t)count * size;
    for (int i = 0; i < FAKE_L1; i++) {
        for (int j = 0; j < (int)L2_CNODE_SLOTS; j++) {
            struct fcap *c = &caps[i][j];
            bool inside = c->used && c->base >= s->base &&
                          (uint64_t)c->base + c->size <= (uint64_t)s->base + s->size;
            bool copy = c->base == s->base && c->size == s->size;
            if (inside && !copy && c->base < hi && (uint64_t)c->base + c->size > lo) {
                return SYS_ERR_RETYPE_OVERLAP;
            }
        }
    }
    if (countdown(&retype_fail_at)) {
        return SYS_ERR_RETYPE_OVERLAP;
    }
    for (uint32_t k = 0; k < count; k++) {
        caps[l1][slot + k] = (struct fcap){ true, (lpaddr_t)(lo + k * size), size };
    }
    return SYS_ERR_OK;
}

/* Delete every other cap inside this one's range (copies and descendants). */
static errval_t fake_revoke(capaddr_t cap)
{
    struct fcap *r = fake_lookup(cap);
    if (r == NULL || !r->used) {
        return SYS_ERR_SLOT_EMPTY;
    }
    if (countdown(&revoke_fail_at)) {
        return SYS_ERR_REVOKE_DELETED_SELF;
    }
    for (int i = 0; i < FAKE_L1; i++) {
        for (int j = 0; j < (int)L2_CNODE_SLOTS; j++) {
            struct fcap *c = &caps[i][j];
            if (c != r && c->used && c->base >= r->base &&
                (uint64_t)c->base + c->size <= (uint64_t)r->base + r->size) {
                c->used = false;
            }
        }
    }
    return SYS_ERR_OK;
}

static errval_t fake_delete(capaddr_t cap)
{
    struct fcap *c = fake_lookup(cap);
    if (c == NULL || !c->used) {
        return SYS_ERR_SLOT_EMPTY;
    }
    c->used = false;
    return SYS_ERR_OK;
}

static errval_t fake_copy(capaddr_t dest_cnode, cslot_t dest_slot, capaddr_t src)
{
    struct fcap *s = fake_lookup(src);
    if (s == NULL || !s->used) {
        return SYS_ERR_SLOT_EMPTY;
    }
    if (!(dest_cnode & CPTR_L1_SLOT) || (dest_cnode & 0xffffu) >= FAKE_L1 ||
        dest_slot >= L2_CNODE_SLOTS) {
        return SYS_ERR_DEST_NOT_CNODE;
    }
    struct fcap *d = &caps[dest_cnode & 0xffffu][dest_slot];
    if (d->used) {
        return SYS_ERR_SLOT_IN_USE;
    }
    if (countdown(&copy_fail_at)) {
        return SYS_ERR_NO_RIGHTS;
    }
    *d = *s;
    return SYS_ERR_OK;
}

static errval_t fake_identify(capaddr_t cap, struct capability_info *info)
{
    struct fcap *c = fake_lookup(cap);
    if (c == NULL || !c->used) {
        return SYS_ERR_SLOT_EMPTY;
    }
    *info = (struct capability_info){ ObjType_RAM, CAP_RIGHTS_ALL, c->base, c->size };
    return SYS_ERR_OK;
}

static const struct mm_cap_ops fake_ops = {
    .retype_ram = fake_retype_ram,
    .revoke = fake_revoke,
    .delete = fake_delete,
    .slot_alloc = fake_slot_alloc,
    .slot_free = fake_slot_free,
    .copy = fake_copy,
    .identify = fake_identify,
};

/* Node refill for the host: malloc'd buffers, freed after each test. */
static errval_t test_refill(struct slab_allocator *slabs, size_t bytes)
{
    CU_ASSERT_FATAL(refill_calls < (int)ARRAY_LENGTH(refill_bufs));
    void *buf = malloc(bytes);
    refill_bufs[refill_calls++] = buf;
    return slab_grow(slabs, buf, bytes);
}

/* Put a RAM cap in SUPERCN slot `i` and give it to mm. */
static errval_t add_region(int i, lpaddr_t base, gensize_t size)
{
    caps[ROOTCN_SLOT_SUPERCN][i] = (struct fcap){ true, base, size };
    errval_t err = mm_add(&tmm, CPTR(ROOTCN_SLOT_SUPERCN, i), base, size);
    if (err_is_fail(err)) {
        caps[ROOTCN_SLOT_SUPERCN][i].used = false;
    }
    return err;
}

/* Reset the fake cspace and the mm instance; no assertions (also suite cleanup). */
static errval_t reset(void)
{
    for (unsigned i = 0; i < ARRAY_LENGTH(refill_bufs); i++) {
        free(refill_bufs[i]);
        refill_bufs[i] = NULL;
    }
    refill_calls = 0;
    memset(caps, 0, sizeof(caps));
    memset(pool_used, 0, sizeof(pool_used));
    slots_in_use = 0;
    slot_fail_at = retype_fail_at = copy_fail_at = revoke_fail_at = nested_at = 0;
    nested_mm = &tmm;
    nested_err = LIB_ERR_NOT_IMPLEMENTED;
    return mm_init_instance(&tmm, &fake_ops, test_refill);
}

static void setup(void)
{
    CU_ASSERT_EQUAL(reset(), SYS_ERR_OK);
}

static int cleanup(void)
{
    return err_is_ok(reset()) ? 0 : 1;
}

static gensize_t free_bytes(void)
{
    gensize_t f, t;
    mm_stats(&tmm, &f, &t);
    return f;
}

#define MIB (1024u * 1024u)
#define RAM0 0x40000000u

/* ---- tests --------------------------------------------------------------- */

static void test_add_and_stats(void)
{
    gensize_t f, t;
    mm_stats(&tmm, &f, &t);
    CU_ASSERT_EQUAL(f, 0);
    CU_ASSERT_EQUAL(t, 0);
    CU_ASSERT_EQUAL(add_region(0, RAM0, MIB), SYS_ERR_OK);
    CU_ASSERT_EQUAL(add_region(1, 0x10000000u, 64 * 1024), SYS_ERR_OK);
    mm_stats(&tmm, &f, &t);
    CU_ASSERT_EQUAL(f, MIB + 64 * 1024);
    CU_ASSERT_EQUAL(t, MIB + 64 * 1024);
    /* bad regions change nothing */
    CU_ASSERT_EQUAL(add_region(2, 0x50000000u, 3 * 4096), LIB_ERR_MM_BAD_REGION);
    CU_ASSERT_EQUAL(add_region(2, 0x50001000u, 8192), LIB_ERR_MM_BAD_REGION);
    CU_ASSERT_EQUAL(add_region(2, 0x50000000u, 0), LIB_ERR_MM_BAD_REGION);
    CU_ASSERT_EQUAL(add_region(2, 0x50000000u, 2048), LIB_ERR_MM_BAD_REGION);
    CU_ASSERT_EQUAL(add_region(2, RAM0 + 0x80000u, 0x10000u), LIB_ERR_MM_REGION_OVERLAP);
    CU_ASSERT_EQUAL(add_region(2, RAM0, 4 * MIB), LIB_ERR_MM_REGION_OVERLAP);
    CU_ASSERT_EQUAL(add_region(2, RAM0 - 4 * MIB, 4 * MIB), SYS_ERR_OK);   /* adjacent */
    CU_ASSERT_EQUAL(add_region(2, RAM0, MIB), LIB_ERR_MM_REGION_OVERLAP);
    CU_ASSERT_EQUAL(add_region(2, 0, 0x80000000u), LIB_ERR_MM_REGION_OVERLAP);
    CU_ASSERT_EQUAL(mm_add(NULL, 0, 0, 4096), LIB_ERR_MM_INIT_ARGS);
    mm_stats(&tmm, &f, &t);
    CU_ASSERT_EQUAL(t, 5 * MIB + 64 * 1024);
    /* the largest possible block and the top of the address space */
    CU_ASSERT_EQUAL(add_region(3, 0x80000000u, 0x80000000u), SYS_ERR_OK);
    mm_stats(&tmm, &f, &t);
    CU_ASSERT_EQUAL(t, 0x80000000u + 5 * MIB + 64 * 1024);
}

static void test_split_return_coalesce(void)
{
    CU_ASSERT_EQUAL_FATAL(add_region(0, RAM0, MIB), SYS_ERR_OK);
    int caps_before = live_caps();
    size_t nodes_before = slab_freecount(&tmm.nodes);
    capaddr_t c;
    lpaddr_t base;
    gensize_t size;
    CU_ASSERT_EQUAL_FATAL(mm_alloc_aligned(&tmm, 4096, 4096, &c, &base, &size), SYS_ERR_OK);
    CU_ASSERT_EQUAL(base, RAM0);
    CU_ASSERT_EQUAL(size, 4096);
    CU_ASSERT_EQUAL(free_bytes(), MIB - 4096);
    /* 1 MiB -> 4 KiB: 8 splits of two caps each, plus the returned copy */
    CU_ASSERT_EQUAL(live_caps(), caps_before + 2 * 8 + 1);
    CU_ASSERT_EQUAL(slots_in_use, 2 * 8 + 1);
    struct capability_info info;
    CU_ASSERT_EQUAL(fake_identify(c, &info), SYS_ERR_OK);
    CU_ASSERT_EQUAL(info.base, RAM0);
    CU_ASSERT_EQUAL(info.size, 4096);
    /* the next page is the buddy: no new split */
    capaddr_t c2;
    CU_ASSERT_EQUAL_FATAL(mm_alloc_aligned(&tmm, 4096, 0, &c2, &base, &size), SYS_ERR_OK);
    CU_ASSERT_EQUAL(base, RAM0 + 4096);
    CU_ASSERT_EQUAL(live_caps(), caps_before + 2 * 8 + 2);
    CU_ASSERT_EQUAL(mm_free(&tmm, c, RAM0, 4096), SYS_ERR_OK);
    CU_ASSERT_EQUAL(mm_free(&tmm, c2, RAM0 + 4096, 4096), SYS_ERR_OK);
    CU_ASSERT_EQUAL(free_bytes(), MIB);
    CU_ASSERT_EQUAL(live_caps(), caps_before);
    CU_ASSERT_EQUAL(slots_in_use, 0);
    CU_ASSERT_EQUAL(slab_freecount(&tmm.nodes), nodes_before);
    /* whole again: the full MiB can be handed out in one piece */
    CU_ASSERT_EQUAL_FATAL(mm_alloc_aligned(&tmm, MIB, 0, &c, &base, &size), SYS_ERR_OK);
    CU_ASSERT_EQUAL(size, MIB);
    CU_ASSERT_EQUAL(live_caps(), caps_before + 1);
    CU_ASSERT_EQUAL(mm_free(&tmm, c, base, size), SYS_ERR_OK);
    CU_ASSERT_EQUAL(live_caps(), caps_before);
}

static void test_free_revokes_descendants_of_the_copy(void)
{
    CU_ASSERT_EQUAL_FATAL(add_region(0, RAM0, MIB), SYS_ERR_OK);
    int caps_before = live_caps();
    capaddr_t c;
    lpaddr_t base;
    gensize_t size;
    CU_ASSERT_EQUAL_FATAL(mm_alloc_aligned(&tmm, 64 * 1024, 0, &c, &base, &size), SYS_ERR_OK);
    /* the user retypes its copy and copies it again */
    capaddr_t s1, s2;
    CU_ASSERT_EQUAL(fake_slot_alloc(&s1), SYS_ERR_OK);
    CU_ASSERT_EQUAL(fake_slot_alloc(&s2), SYS_ERR_OK);
    CU_ASSERT_EQUAL(fake_retype_ram(c, 4096, 4096, 1, CPTR_L1_SLOT | CPTR_L1_INDEX(s1),
                                    CPTR_L2_INDEX(s1)), SYS_ERR_OK);
    CU_ASSERT_EQUAL(fake_copy(CPTR_L1_SLOT | CPTR_L1_INDEX(s2), CPTR_L2_INDEX(s2), c),
                    SYS_ERR_OK);
    CU_ASSERT_EQUAL(mm_free(&tmm, c, base, size), SYS_ERR_OK);
    CU_ASSERT_EQUAL(live_caps(), caps_before);          /* all gone */
    CU_ASSERT_EQUAL(fake_slot_free(s1), SYS_ERR_OK);
    CU_ASSERT_EQUAL(fake_slot_free(s2), SYS_ERR_OK);
    CU_ASSERT_EQUAL(slots_in_use, 0);
    CU_ASSERT_EQUAL(free_bytes(), MIB);
}

static void test_alignment(void)
{
    CU_ASSERT_EQUAL_FATAL(add_region(0, RAM0, 4 * MIB), SYS_ERR_OK);
    static const struct { gensize_t size, align, want; } cases[] = {
        { 1, 0, 4096 }, { 4096, 1, 4096 }, { 5000, 0, 8192 }, { 4096, 65536, 65536 },
        { 12288, 4096, 16384 }, { 100000, 8192, 131072 }, { 4096, MIB, MIB },
        { 3 * 4096, 2048, 16384 },
    };
    capaddr_t c[ARRAY_LENGTH(cases)];
    lpaddr_t b[ARRAY_LENGTH(cases)];
    gensize_t s[ARRAY_LENGTH(cases)];
    for (unsigned i = 0; i < ARRAY_LENGTH(cases); i++) {
        CU_ASSERT_EQUAL_FATAL(mm_alloc_aligned(&tmm, cases[i].size, cases[i].align,
                                               &c[i], &b[i], &s[i]), SYS_ERR_OK);
        CU_ASSERT_EQUAL(s[i], cases[i].want);
        CU_ASSERT_EQUAL(b[i] % cases[i].want, 0);
        struct capability_info info;
        CU_ASSERT_EQUAL(fake_identify(c[i], &info), SYS_ERR_OK);
        CU_ASSERT_EQUAL(info.base, b[i]);
        CU_ASSERT_EQUAL(info.size, s[i]);
        for (unsigned j = 0; j < i; j++) {
            CU_ASSERT_TRUE(b[i] + s[i] <= b[j] || b[j] + s[j] <= b[i]);
        }
    }
    for (unsigned i = 0; i < ARRAY_LENGTH(cases); i++) {
        CU_ASSERT_EQUAL(mm_free(&tmm, c[i], b[i], s[i]), SYS_ERR_OK);
    }
    CU_ASSERT_EQUAL(free_bytes(), 4 * MIB);
    CU_ASSERT_EQUAL(live_caps(), 1);
}

static void test_exhaustion(void)
{
    CU_ASSERT_EQUAL_FATAL(add_region(0, RAM0, 64 * 1024), SYS_ERR_OK);
    capaddr_t c[16];
    lpaddr_t b[16];
    gensize_t s;
    for (int i = 0; i < 16; i++) {
        CU_ASSERT_EQUAL_FATAL(mm_alloc_aligned(&tmm, 4096, 0, &c[i], &b[i], &s), SYS_ERR_OK);
    }
    CU_ASSERT_EQUAL(free_bytes(), 0);
    int caps_full = live_caps();
    int slots_full = slots_in_use;
    capaddr_t x;
    lpaddr_t xb;
    CU_ASSERT_EQUAL(mm_alloc_aligned(&tmm, 4096, 0, &x, &xb, &s), LIB_ERR_MM_OUT_OF_MEMORY);
    CU_ASSERT_EQUAL(live_caps(), caps_full);
    CU_ASSERT_EQUAL(slots_in_use, slots_full);
    /* free one page: one page fits, two do not */
    CU_ASSERT_EQUAL(mm_free(&tmm, c[5], b[5], 4096), SYS_ERR_OK);
    CU_ASSERT_EQUAL(mm_alloc_aligned(&tmm, 8192, 0, &x, &xb, &s), LIB_ERR_MM_OUT_OF_MEMORY);
    CU_ASSERT_EQUAL(mm_alloc_aligned(&tmm, 4096, 0, &c[5], &b[5], &s), SYS_ERR_OK);
    CU_ASSERT_EQUAL(mm_alloc_aligned(&tmm, 128 * 1024, 0, &x, &xb, &s),
                    LIB_ERR_MM_OUT_OF_MEMORY);
    for (int i = 0; i < 16; i++) {
        CU_ASSERT_EQUAL(mm_free(&tmm, c[i], b[i], 4096), SYS_ERR_OK);
    }
    CU_ASSERT_EQUAL(live_caps(), 1);
    CU_ASSERT_EQUAL(slots_in_use, 0);
    /* no memory at all */
    CU_ASSERT_EQUAL(mm_init_instance(&tmm, &fake_ops, test_refill), SYS_ERR_OK);
    CU_ASSERT_EQUAL(mm_alloc_aligned(&tmm, 4096, 0, &x, &xb, &s), LIB_ERR_MM_OUT_OF_MEMORY);
}

static void test_bad_arguments(void)
{
    CU_ASSERT_EQUAL_FATAL(add_region(0, RAM0, MIB), SYS_ERR_OK);
    capaddr_t c;
    lpaddr_t b;
    gensize_t s;
    CU_ASSERT_EQUAL(mm_alloc_aligned(&tmm, 0, 0, &c, &b, &s), LIB_ERR_MM_BAD_SIZE);
    CU_ASSERT_EQUAL(mm_alloc_aligned(&tmm, 0x80000001u, 0, &c, &b, &s), LIB_ERR_MM_BAD_SIZE);
    CU_ASSERT_EQUAL(mm_alloc_aligned(&tmm, 4096, 3, &c, &b, &s), LIB_ERR_MM_BAD_ALIGNMENT);
    CU_ASSERT_EQUAL(mm_alloc_aligned(&tmm, 4096, 0x3000, &c, &b, &s), LIB_ERR_MM_BAD_ALIGNMENT);
    CU_ASSERT_EQUAL(mm_alloc_aligned(&tmm, 4096, 0x80000000u, &c, &b, &s),
                    LIB_ERR_MM_OUT_OF_MEMORY);
    CU_ASSERT_EQUAL(mm_alloc_aligned(NULL, 4096, 0, &c, &b, &s), LIB_ERR_MM_INIT_ARGS);
    CU_ASSERT_EQUAL(mm_alloc_aligned(&tmm, 4096, 0, NULL, &b, &s), LIB_ERR_MM_INIT_ARGS);
    CU_ASSERT_EQUAL(mm_free(NULL, 0, RAM0, 4096), LIB_ERR_MM_INIT_ARGS);
    CU_ASSERT_EQUAL(mm_free(&tmm, 0, RAM0, 0), LIB_ERR_MM_BAD_SIZE);
    struct mm_cap_ops partial = fake_ops;
    partial.identify = NULL;
    CU_ASSERT_EQUAL(mm_init_instance(&tmm, &partial, test_refill), LIB_ERR_MM_INIT_ARGS);
    CU_ASSERT_EQUAL(mm_init_instance(NULL, &fake_ops, test_refill), LIB_ERR_MM_INIT_ARGS);
    CU_ASSERT_EQUAL(mm_init(NULL, &fake_ops), LIB_ERR_MM_INIT_ARGS);
    mm_stats(NULL, &s, NULL);
    CU_ASSERT_EQUAL(s, 0);
    CU_ASSERT_EQUAL(free_bytes(), MIB);
    CU_ASSERT_EQUAL(live_caps(), 1);
    CU_ASSERT_EQUAL(slots_in_use, 0);
}

static void test_free_errors(void)
{
    CU_ASSERT_EQUAL_FATAL(add_region(0, RAM0, MIB), SYS_ERR_OK);
    capaddr_t a, b;
    lpaddr_t ab, bb;
    gensize_t as, bs;
    CU_ASSERT_EQUAL_FATAL(mm_alloc_aligned(&tmm, 8192, 0, &a, &ab, &as), SYS_ERR_OK);
    CU_ASSERT_EQUAL_FATAL(mm_alloc_aligned(&tmm, 8192, 0, &b, &bb, &bs), SYS_ERR_OK);
    int caps_now = live_caps();
    gensize_t free_now = free_bytes();
    /* outside every region, inside but never allocated, wrong size, split parent */
    CU_ASSERT_EQUAL(mm_free(&tmm, a, 0x90000000u, 8192), LIB_ERR_MM_NOT_ALLOCATED);
    CU_ASSERT_EQUAL(mm_free(&tmm, a, RAM0 + 0x80000u, 8192), LIB_ERR_MM_NOT_ALLOCATED);
    CU_ASSERT_EQUAL(mm_free(&tmm, a, RAM0 + 0x81000u, 4096), LIB_ERR_MM_NOT_ALLOCATED);
    CU_ASSERT_EQUAL(mm_free(&tmm, a, ab, 4096), LIB_ERR_MM_NOT_ALLOCATED);
    CU_ASSERT_EQUAL(mm_free(&tmm, a, ab, 16384), LIB_ERR_MM_NOT_ALLOCATED);
    CU_ASSERT_EQUAL(mm_free(&tmm, a, RAM0, MIB), LIB_ERR_MM_NOT_ALLOCATED);
    CU_ASSERT_EQUAL(mm_free(&tmm, a, ab + 4096, 8192), LIB_ERR_MM_NOT_ALLOCATED);
    /* wrong caps: another block's copy, mm's own root cap, an empty slot */
    CU_ASSERT_EQUAL(mm_free(&tmm, b, ab, as), LIB_ERR_MM_WRONG_CAP);
    CU_ASSERT_EQUAL(mm_free(&tmm, CPTR(ROOTCN_SLOT_SUPERCN, 0), ab, as), LIB_ERR_MM_WRONG_CAP);
    errval_t err = mm_free(&tmm, CPTR(POOL_FIRST_L1 + 3, 9), ab, as);
    CU_ASSERT_EQUAL(err_no(err), LIB_ERR_MM_WRONG_CAP);
    CU_ASSERT_EQUAL(err_no(err_pop(err)), SYS_ERR_SLOT_EMPTY);
    /* revoke fails: nothing changes */
    revoke_fail_at = 1;
    err = mm_free(&tmm, a, ab, as);
    CU_ASSERT_EQUAL(err_no(err), LIB_ERR_MM_REVOKE);
    CU_ASSERT_EQUAL(live_caps(), caps_now);
    CU_ASSERT_EQUAL(free_bytes(), free_now);
    /* right, then double */
    CU_ASSERT_EQUAL(mm_free(&tmm, a, ab, as), SYS_ERR_OK);
    CU_ASSERT_EQUAL(mm_free(&tmm, a, ab, as), LIB_ERR_MM_DOUBLE_FREE);
    CU_ASSERT_EQUAL(mm_free(&tmm, b, bb, bs), SYS_ERR_OK);
    /* b's buddy was free: merged away, the block no longer exists */
    CU_ASSERT_EQUAL(mm_free(&tmm, b, bb, bs), LIB_ERR_MM_NOT_ALLOCATED);
    CU_ASSERT_EQUAL(live_caps(), 1);
    CU_ASSERT_EQUAL(slots_in_use, 0);
    CU_ASSERT_EQUAL(free_bytes(), MIB);
}

/* Failures in the middle of an allocation leave everything as before. */
static void test_failures_change_nothing(void)
{
    CU_ASSERT_EQUAL_FATAL(add_region(0, RAM0, MIB), SYS_ERR_OK);
    size_t nodes = slab_freecount(&tmm.nodes);
    capaddr_t c;
    lpaddr_t b;
    gensize_t s;
    for (int k = 1; k <= 17; k++) {        /* 8 splits need 17 slots */
        slot_fail_at = k;
        errval_t err = mm_alloc_aligned(&tmm, 4096, 0, &c, &b, &s);
        CU_ASSERT_EQUAL(err_no(err), LIB_ERR_MM_SLOT);
        CU_ASSERT_EQUAL(err_no(err_pop(err)), LIB_ERR_SLOT_ALLOC_NO_SPACE);
        CU_ASSERT_EQUAL(live_caps(), 1);
        CU_ASSERT_EQUAL(slots_in_use, 0);
    }
    slot_fail_at = 0;
    for (int k = 1; k <= 16; k++) {        /* 16 retypes */
        retype_fail_at = k;
        errval_t err = mm_alloc_aligned(&tmm, 4096, 0, &c, &b, &s);
        CU_ASSERT_EQUAL(err_no(err), LIB_ERR_MM_SPLIT);
        CU_ASSERT_EQUAL(err_no(err_pop(err)), SYS_ERR_RETYPE_OVERLAP);
        CU_ASSERT_EQUAL(live_caps(), 1);
        CU_ASSERT_EQUAL(slots_in_use, 0);
        CU_ASSERT_EQUAL(free_bytes(), MIB);
        CU_ASSERT_EQUAL(slab_freecount(&tmm.nodes), nodes);
    }
    retype_fail_at = 0;
    copy_fail_at = 1;
    errval_t err = mm_alloc_aligned(&tmm, 4096, 0, &c, &b, &s);
    CU_ASSERT_EQUAL(err_no(err), LIB_ERR_MM_COPY);
    CU_ASSERT_EQUAL(err_no(err_pop(err)), SYS_ERR_NO_RIGHTS);
    CU_ASSERT_EQUAL(live_caps(), 1);
    CU_ASSERT_EQUAL(slots_in_use, 0);
    CU_ASSERT_EQUAL(free_bytes(), MIB);
    CU_ASSERT_EQUAL(slab_freecount(&tmm.nodes), nodes);
    /* out of nodes: a split needing more than are left is refused up front */
    void *taken[1024];
    size_t ntaken = 0;
    while (slab_freecount(&tmm.nodes) > 3) {
        taken[ntaken++] = slab_alloc(&tmm.nodes);
    }
    CU_ASSERT_EQUAL(mm_alloc_aligned(&tmm, 4096, 0, &c, &b, &s), LIB_ERR_MM_NO_NODE);
    CU_ASSERT_EQUAL(live_caps(), 1);
    CU_ASSERT_EQUAL(slots_in_use, 0);
    while (ntaken > 0) {
        slab_free(&tmm.nodes, taken[--ntaken]);
    }
    CU_ASSERT_EQUAL(mm_alloc_aligned(&tmm, 4096, 0, &c, &b, &s), SYS_ERR_OK);
}

/* slot_alloc re-entering mm (a slot refill allocating RAM) in the middle of
 * taking slots: both allocations succeed and do not overlap. */
static void test_reentrant_slot_alloc(void)
{
    CU_ASSERT_EQUAL_FATAL(add_region(0, RAM0, MIB), SYS_ERR_OK);
    for (int at = 1; at <= 17; at++) {
        nested_at = at;
        nested_err = LIB_ERR_NOT_IMPLEMENTED;
        capaddr_t c;
        lpaddr_t b;
        gensize_t s;
        CU_ASSERT_EQUAL_FATAL(mm_alloc_aligned(&tmm, 4096, 0, &c, &b, &s), SYS_ERR_OK);
        CU_ASSERT_EQUAL_FATAL(nested_err, SYS_ERR_OK);
        CU_ASSERT_TRUE(b + s <= nested_base || nested_base + nested_size <= b);
        CU_ASSERT_EQUAL(free_bytes(), MIB - 4096 - 16384);
        CU_ASSERT_EQUAL(mm_free(&tmm, c, b, s), SYS_ERR_OK);
        CU_ASSERT_EQUAL(mm_free(&tmm, nested_cap, nested_base, nested_size), SYS_ERR_OK);
        CU_ASSERT_EQUAL(live_caps(), 1);
        CU_ASSERT_EQUAL(slots_in_use, 0);
        CU_ASSERT_EQUAL(free_bytes(), MIB);
    }
}

static uint32_t rng = 12345;
static uint32_t rnd(void)
{
    rng = rng * 1103515245u + 12345u;
    return rng >> 8;
}

struct live_block { capaddr_t cap; lpaddr_t base; gensize_t size; };

static void test_random_sequences(void)
{
    CU_ASSERT_EQUAL_FATAL(add_region(0, RAM0, 2 * MIB), SYS_ERR_OK);
    CU_ASSERT_EQUAL_FATAL(add_region(1, 0x80040000u, 256 * 1024), SYS_ERR_OK);
    CU_ASSERT_EQUAL_FATAL(add_region(2, 0x10000000u, 64 * 1024), SYS_ERR_OK);
    const gensize_t total = 2 * MIB + 256 * 1024 + 64 * 1024;
    static struct live_block live[400];
    for (int round = 0; round < 4; round++) {
        int n = 0;
        gensize_t allocated = 0;
        for (int step = 0; step < 3000; step++) {
            if (n < (int)ARRAY_LENGTH(live) && (rnd() % 3 != 0 || n == 0)) {
                gensize_t size = 1 + rnd() % (rnd() % 4 == 0 ? 300000 : 20000);
                gensize_t align = rnd() % 4 == 0 ? (gensize_t)1 << (rnd() % 18) : 0;
                struct live_block *l = &live[n];
                gensize_t free_before = free_bytes();
                errval_t err = mm_alloc_aligned(&tmm, size, align, &l->cap, &l->base, &l->size);
                if (err_is_fail(err)) {
                    CU_ASSERT_EQUAL(err, LIB_ERR_MM_OUT_OF_MEMORY);
                    CU_ASSERT_EQUAL(free_bytes(), free_before);
                    continue;
                }
                CU_ASSERT_TRUE(IS_POW2(l->size) && l->size >= size && l->size >= align);
                CU_ASSERT_EQUAL(l->base % l->size, 0);
                for (int j = 0; j < n; j++) {
                    CU_ASSERT_TRUE(l->base + l->size <= live[j].base ||
                                   live[j].base + live[j].size <= l->base);
                }
                allocated += l->size;
                n++;
            } else {
                int j = (int)(rnd() % (uint32_t)n);
                CU_ASSERT_EQUAL(mm_free(&tmm, live[j].cap, live[j].base, live[j].size),
                                SYS_ERR_OK);
                allocated -= live[j].size;
                live[j] = live[--n];
            }
            CU_ASSERT_EQUAL_FATAL(free_bytes() + allocated, total);
        }
        while (n > 0) {
            n--;
            CU_ASSERT_EQUAL(mm_free(&tmm, live[n].cap, live[n].base, live[n].size), SYS_ERR_OK);
        }
        gensize_t f, t;
        mm_stats(&tmm, &f, &t);
        CU_ASSERT_EQUAL(f, total);
        CU_ASSERT_EQUAL(t, total);
        CU_ASSERT_EQUAL(live_caps(), 3);        /* fully coalesced: the three roots */
        CU_ASSERT_EQUAL(slots_in_use, 0);
        /* every node but the three roots is back */
        CU_ASSERT_EQUAL(slab_freecount(&tmm.nodes), tmm.nodes.total_count - 3);
    }
    CU_ASSERT_TRUE(refill_calls > 0);          /* the node slab was refilled on the way */
}

/* A block given away for good (to another core) leaves mm: its copies and
 * descendants are revoked, the caller gets mm's own cap, the block is no
 * longer counted and never merges with its buddy again. */
static void test_give_away(void)
{
    CU_ASSERT_EQUAL_FATAL(add_region(0, RAM0, MIB), SYS_ERR_OK);
    capaddr_t c, c2, own, s1;
    lpaddr_t base, base2;
    gensize_t size, size2, f, t;
    CU_ASSERT_EQUAL_FATAL(mm_alloc_aligned(&tmm, 256 * 1024, 0, &c, &base, &size), SYS_ERR_OK);
    CU_ASSERT_EQUAL(fake_slot_alloc(&s1), SYS_ERR_OK);
    CU_ASSERT_EQUAL(fake_retype_ram(c, 0, 4096, 1, CPTR_L1_SLOT | CPTR_L1_INDEX(s1),
                                    CPTR_L2_INDEX(s1)), SYS_ERR_OK);
    int caps_before = live_caps();
    /* errors first: nothing changes */
    CU_ASSERT_EQUAL(mm_give_away(&tmm, c, base + 4096, size, &own), LIB_ERR_MM_NOT_ALLOCATED);
    CU_ASSERT_EQUAL(mm_give_away(&tmm, c, base + size, size, &own), LIB_ERR_MM_DOUBLE_FREE);
    CU_ASSERT_EQUAL(mm_give_away(&tmm, s1, base, size, &own), LIB_ERR_MM_WRONG_CAP);
    CU_ASSERT_EQUAL(live_caps(), caps_before);
    int slots_before = slots_in_use;
    CU_ASSERT_EQUAL_FATAL(mm_give_away(&tmm, c, base, size, &own), SYS_ERR_OK);
    /* the copy and what was retyped from it are gone, c's slot freed */
    CU_ASSERT_EQUAL(live_caps(), caps_before - 2);
    CU_ASSERT_EQUAL(slots_in_use, slots_before - 1);
    struct capability_info info;
    CU_ASSERT_EQUAL(fake_identify(own, &info), SYS_ERR_OK);
    CU_ASSERT_EQUAL(info.base, base);
    CU_ASSERT_EQUAL(info.size, size);
    mm_stats(&tmm, &f, &t);
    CU_ASSERT_EQUAL(f, MIB - size);
    CU_ASSERT_EQUAL(t, MIB - size);
    /* it cannot be freed or given again */
    CU_ASSERT_EQUAL(mm_free(&tmm, own, base, size), LIB_ERR_MM_NOT_ALLOCATED);
    CU_ASSERT_EQUAL(mm_give_away(&tmm, own, base, size, &own), LIB_ERR_MM_NOT_ALLOCATED);
    /* its buddy is free but never merges: no 512 KiB block at base */
    CU_ASSERT_EQUAL_FATAL(mm_alloc_aligned(&tmm, 512 * 1024, 0, &c2, &base2, &size2),
                          SYS_ERR_OK);
    CU_ASSERT_EQUAL(base2, base + 512 * 1024);
    CU_ASSERT_EQUAL(mm_free(&tmm, c2, base2, size2), SYS_ERR_OK);
    CU_ASSERT_EQUAL(mm_alloc_aligned(&tmm, MIB, 0, &c2, &base2, &size2),
                    LIB_ERR_MM_OUT_OF_MEMORY);
    mm_stats(&tmm, &f, &t);
    CU_ASSERT_EQUAL(f, MIB - size);
}

static void test_static_instance(void)
{
    struct mm *m = NULL;
    CU_ASSERT_EQUAL_FATAL(mm_init(&m, &fake_ops), SYS_ERR_OK);
    CU_ASSERT_PTR_NOT_NULL_FATAL(m);
    caps[ROOTCN_SLOT_SUPERCN][0] = (struct fcap){ true, RAM0, 64 * 1024 };
    CU_ASSERT_EQUAL(mm_add(m, CPTR(ROOTCN_SLOT_SUPERCN, 0), RAM0, 64 * 1024), SYS_ERR_OK);
    capaddr_t c;
    lpaddr_t b;
    gensize_t s;
    CU_ASSERT_EQUAL(mm_alloc_aligned(m, 4096, 0, &c, &b, &s), SYS_ERR_OK);
    CU_ASSERT_EQUAL(mm_free(m, c, b, s), SYS_ERR_OK);
    CU_ASSERT_EQUAL(live_caps(), 1);
}

HOST_SUITE(mm_suite, "memory manager", NULL, cleanup, setup,
           HOST_TEST(test_add_and_stats),
           HOST_TEST(test_split_return_coalesce),
           HOST_TEST(test_free_revokes_descendants_of_the_copy),
           HOST_TEST(test_alignment),
           HOST_TEST(test_exhaustion),
           HOST_TEST(test_bad_arguments),
           HOST_TEST(test_free_errors),
           HOST_TEST(test_failures_change_nothing),
           HOST_TEST(test_reentrant_slot_alloc),
           HOST_TEST(test_random_sequences),
           HOST_TEST(test_give_away),
           HOST_TEST(test_static_instance))
