/*
 * Capability slot allocator (lib/slot_alloc.c) against fake RAM allocation
 * and retype: distinct slots, freeing and reuse, growth by a new L2 CNode
 * below the reserve without recursion, root exhaustion and bad frees as
 * error codes.
 */
#include "host_suite.h"
#include <aos/slot_alloc.h>
#include <aos/ram_alloc.h>
#include <aos/caps.h>
#include <autarky/bootinfo.h>
#include <string.h>

/* The real calls are not linked into the host binary (lib/invocations.c
 * needs the syscall layer; lib/ram_alloc.c belongs to another module).
 * Weak, so real or shared fakes win if someone links them. */
__attribute__((weak)) errval_t ram_alloc_aligned(capaddr_t *ret, gensize_t size,
                                                 gensize_t alignment, gensize_t *ret_size)
{
    (void)ret; (void)size; (void)alignment; (void)ret_size;
    return LIB_ERR_NOT_IMPLEMENTED;
}

__attribute__((weak)) errval_t ram_free(capaddr_t ram)
{
    (void)ram;
    return LIB_ERR_NOT_IMPLEMENTED;
}

__attribute__((weak)) errval_t cap_retype(capaddr_t ram, enum objtype type,
                                          gensize_t offset, gensize_t objsize,
                                          uint32_t count, capaddr_t dest_cnode,
                                          cslot_t dest_slot)
{
    (void)ram; (void)type; (void)offset; (void)objsize; (void)count;
    (void)dest_cnode; (void)dest_slot;
    return LIB_ERR_NOT_IMPLEMENTED;
}

#define ROOTCN       CAP_ROOTCN
#define FAKE_MM_SLOTS 40     /* slots the fake "mm" holds during a refill */

static int ram_calls, retype_calls, ram_free_calls;
static errval_t ram_result, retype_result;
static bool ram_nested_ok;
static cslot_t retyped_into[SLOT_ALLOC_MAX_ROOT_SLOTS];

/*
 * Like ram_alloc_aligned in init: the RAM cap goes into a slot from
 * slot_alloc, and mm on the way takes (and later frees) slots for its
 * split halves. All of that must come from the reserve, without a second
 * refill starting.
 */
static errval_t fake_ram_alloc_aligned(capaddr_t *ret, gensize_t size,
                                       gensize_t alignment, gensize_t *ret_size)
{
    ram_calls++;
    CU_ASSERT_EQUAL(size, OBJSIZE_L2CNODE);
    CU_ASSERT_EQUAL(alignment, OBJSIZE_L2CNODE);
    if (err_is_fail(ram_result)) {
        return ram_result;
    }
    capaddr_t held[FAKE_MM_SLOTS];
    ram_nested_ok = true;
    for (int i = 0; i < FAKE_MM_SLOTS; i++) {
        errval_t err = slot_alloc(&held[i]);
        if (err_is_fail(err)) {
            ram_nested_ok = false;
            while (i-- > 0) {
                slot_free(held[i]);
            }
            return err;
        }
    }
    for (int i = 0; i < FAKE_MM_SLOTS - 1; i++) {
        CU_ASSERT_EQUAL(slot_free(held[i]), SYS_ERR_OK);
    }
    *ret = held[FAKE_MM_SLOTS - 1];      /* the RAM cap's own slot */
    *ret_size = size;
    return SYS_ERR_OK;
}

static errval_t fake_ram_free(capaddr_t ram)
{
    ram_free_calls++;
    return slot_free(ram);
}

static errval_t fake_retype(capaddr_t ram, enum objtype type, gensize_t offset,
                            gensize_t objsize, uint32_t count, capaddr_t dest_cnode,
                            cslot_t dest_slot)
{
    (void)ram;
    CU_ASSERT_EQUAL(type, ObjType_L2CNode);
    CU_ASSERT_EQUAL(offset, 0);
    CU_ASSERT_EQUAL(objsize, OBJSIZE_L2CNODE);
    CU_ASSERT_EQUAL(count, 1);
    CU_ASSERT_EQUAL(dest_cnode, ROOTCN);
    if (err_is_fail(retype_result)) {
        return retype_result;
    }
    retyped_into[retype_calls++] = dest_slot;
    return SYS_ERR_OK;
}

static capaddr_t deleted[16];
static int delete_calls;

static errval_t fake_delete(capaddr_t cap)
{
    if (delete_calls < 16) {
        deleted[delete_calls] = cap;
    }
    delete_calls++;
    return SYS_ERR_OK;
}

static const struct slot_alloc_ops fake_ops = {
    .ram_alloc_aligned = fake_ram_alloc_aligned,
    .ram_free = fake_ram_free,
    .retype = fake_retype,
    .delete_cap = fake_delete,
};

static void setup(void)
{
    ram_calls = retype_calls = ram_free_calls = delete_calls = 0;
    ram_result = retype_result = SYS_ERR_OK;
    ram_nested_ok = false;
    memset(retyped_into, 0, sizeof(retyped_into));
    CU_ASSERT_EQUAL(slot_alloc_init_ops(&fake_ops, ROOTCN, ROOTCN_SLOT_SLOT_ALLOC0,
                                        ROOTCN_FREE_SLOTS, SLOT_ALLOC_MAX_ROOT_SLOTS),
                    SYS_ERR_OK);
}

static bool seen[SLOT_ALLOC_MAX_ROOT_SLOTS][L2_CNODE_SLOTS];

static void test_distinct_slots(void)
{
    memset(seen, 0, sizeof(seen));
    CU_ASSERT_EQUAL(slot_alloc_free_count(), L2_CNODE_SLOTS);
    size_t n = L2_CNODE_SLOTS - SLOT_ALLOC_RESERVE + 1;   /* no refill yet */
    for (size_t i = 0; i < n; i++) {
        capaddr_t s;
        CU_ASSERT_EQUAL_FATAL(slot_alloc(&s), SYS_ERR_OK);
        CU_ASSERT_EQUAL(CPTR_L1_INDEX(s), ROOTCN_SLOT_SLOT_ALLOC0);
        CU_ASSERT_EQUAL(s & ~0xffffffu, 0);
        CU_ASSERT_FALSE(seen[CPTR_L1_INDEX(s)][CPTR_L2_INDEX(s)]);
        seen[CPTR_L1_INDEX(s)][CPTR_L2_INDEX(s)] = true;
    }
    CU_ASSERT_EQUAL(slot_alloc_free_count(), L2_CNODE_SLOTS - n);
    CU_ASSERT_EQUAL(ram_calls, 0);
    CU_ASSERT_EQUAL(retype_calls, 0);
}

static void test_free_and_reuse(void)
{
    capaddr_t a, b, c;
    CU_ASSERT_EQUAL(slot_alloc(&a), SYS_ERR_OK);
    CU_ASSERT_EQUAL(slot_alloc(&b), SYS_ERR_OK);
    CU_ASSERT_NOT_EQUAL(a, b);
    CU_ASSERT_EQUAL(slot_alloc_free_count(), L2_CNODE_SLOTS - 2);
    CU_ASSERT_EQUAL(slot_free(a), SYS_ERR_OK);
    CU_ASSERT_EQUAL(slot_alloc_free_count(), L2_CNODE_SLOTS - 1);
    CU_ASSERT_EQUAL(slot_alloc(&c), SYS_ERR_OK);
    CU_ASSERT_EQUAL(c, a);                   /* lowest free slot comes back */
    CU_ASSERT_EQUAL(slot_free(c), SYS_ERR_OK);
    CU_ASSERT_EQUAL(slot_free(b), SYS_ERR_OK);
    CU_ASSERT_EQUAL(slot_alloc_free_count(), L2_CNODE_SLOTS);
}

static void test_grows_below_reserve_without_recursion(void)
{
    memset(seen, 0, sizeof(seen));
    /* take slots until exactly one more would go below the reserve */
    size_t before = L2_CNODE_SLOTS - SLOT_ALLOC_RESERVE;
    capaddr_t s;
    for (size_t i = 0; i < before + 1; i++) {
        CU_ASSERT_EQUAL_FATAL(slot_alloc(&s), SYS_ERR_OK);
        seen[CPTR_L1_INDEX(s)][CPTR_L2_INDEX(s)] = true;
    }
    CU_ASSERT_EQUAL(ram_calls, 0);
    CU_ASSERT_EQUAL(slot_alloc_free_count(), SLOT_ALLOC_RESERVE - 1);
    /* below the reserve: this allocation refills first, once */
    CU_ASSERT_EQUAL_FATAL(slot_alloc(&s), SYS_ERR_OK);
    CU_ASSERT_FALSE(seen[CPTR_L1_INDEX(s)][CPTR_L2_INDEX(s)]);
    CU_ASSERT_EQUAL(ram_calls, 1);
    CU_ASSERT_EQUAL(retype_calls, 1);
    CU_ASSERT_TRUE(ram_nested_ok);           /* the refill's own slots came from the reserve */
    CU_ASSERT_EQUAL(retyped_into[0], ROOTCN_FREE_SLOTS);
    /* reserve - 1 before; refill: +256, -1 for the RAM cap; then -1 for s */
    CU_ASSERT_EQUAL(slot_alloc_free_count(),
                    SLOT_ALLOC_RESERVE - 1 + L2_CNODE_SLOTS - 1 - 1);
    /* the new CNode's slots are handed out (and freeable) */
    bool got_new = false;
    for (int i = 0; i < 300 && !got_new; i++) {
        CU_ASSERT_EQUAL_FATAL(slot_alloc(&s), SYS_ERR_OK);
        got_new = CPTR_L1_INDEX(s) == ROOTCN_FREE_SLOTS;
    }
    CU_ASSERT_TRUE(got_new);
    CU_ASSERT_EQUAL(slot_free(s), SYS_ERR_OK);
    CU_ASSERT_EQUAL(ram_calls, 1);
}

static void test_root_exhaustion_is_an_error(void)
{
    /* two growth slots in the root: 3 CNodes in all */
    CU_ASSERT_EQUAL(slot_alloc_init_ops(&fake_ops, ROOTCN, ROOTCN_SLOT_SLOT_ALLOC0,
                                        ROOTCN_FREE_SLOTS, ROOTCN_FREE_SLOTS + 2),
                    SYS_ERR_OK);
    size_t got = 0;
    errval_t err;
    capaddr_t s;
    while (err_is_ok(err = slot_alloc(&s))) {
        got++;
        CU_ASSERT_FATAL(got <= 3 * L2_CNODE_SLOTS);
    }
    /* every slot but the two held as the new CNodes' RAM caps */
    CU_ASSERT_EQUAL(got, 3 * L2_CNODE_SLOTS - 2);
    CU_ASSERT_EQUAL(retype_calls, 2);
    CU_ASSERT_EQUAL(retyped_into[0], ROOTCN_FREE_SLOTS);
    CU_ASSERT_EQUAL(retyped_into[1], ROOTCN_FREE_SLOTS + 1);
    CU_ASSERT_EQUAL(err_no(err), LIB_ERR_SLOT_ALLOC_NO_SPACE);
    CU_ASSERT_EQUAL(err_no(err_pop(err)), LIB_ERR_SLOT_REFILL);
    CU_ASSERT_EQUAL(err_no(err_pop(err_pop(err))), LIB_ERR_SLOT_ROOT_FULL);
    CU_ASSERT_EQUAL(slot_alloc_free_count(), 0);
    /* still usable after a free */
    CU_ASSERT_EQUAL(slot_free(CPTR(ROOTCN_FREE_SLOTS + 1, 7)), SYS_ERR_OK);
    CU_ASSERT_EQUAL(slot_alloc(&s), SYS_ERR_OK);
    CU_ASSERT_EQUAL(s, CPTR(ROOTCN_FREE_SLOTS + 1, 7));
    cslot_t r;
    CU_ASSERT_EQUAL(slot_alloc_root_slot(&r), LIB_ERR_SLOT_ROOT_FULL);
}

static void test_ram_failure_keeps_serving_then_errors(void)
{
    ram_result = SYS_ERR_RETYPE_INVALID_SIZE;
    size_t got = 0;
    errval_t err;
    capaddr_t s;
    while (err_is_ok(err = slot_alloc(&s))) {
        got++;
        CU_ASSERT_FATAL(got <= L2_CNODE_SLOTS);
    }
    CU_ASSERT_EQUAL(got, L2_CNODE_SLOTS);
    CU_ASSERT_EQUAL(retype_calls, 0);
    CU_ASSERT_EQUAL(ram_calls, SLOT_ALLOC_RESERVE);   /* retried at each of free = 63..0 */
    CU_ASSERT_EQUAL(err_no(err), LIB_ERR_SLOT_ALLOC_NO_SPACE);
    CU_ASSERT_EQUAL(err_no(err_pop(err)), LIB_ERR_SLOT_REFILL);
    CU_ASSERT_EQUAL(err_no(err_pop(err_pop(err))), LIB_ERR_SLOT_REFILL_RAM);
    CU_ASSERT_EQUAL(err_no(err_pop(err_pop(err_pop(err)))), SYS_ERR_RETYPE_INVALID_SIZE);
    /* RAM is back: the root slot was not lost */
    ram_result = SYS_ERR_OK;
    CU_ASSERT_EQUAL(slot_free(CPTR(ROOTCN_SLOT_SLOT_ALLOC0, 100)), SYS_ERR_OK);
    /* only one slot free: the fake mm cannot get its 40, the refill fails cleanly */
    CU_ASSERT_EQUAL(slot_alloc(&s), SYS_ERR_OK);
    CU_ASSERT_EQUAL(s, CPTR(ROOTCN_SLOT_SLOT_ALLOC0, 100));
    CU_ASSERT_EQUAL(retype_calls, 0);
    for (int i = 0; i < SLOT_ALLOC_RESERVE; i++) {
        CU_ASSERT_EQUAL(slot_free(CPTR(ROOTCN_SLOT_SLOT_ALLOC0, i)), SYS_ERR_OK);
    }
    CU_ASSERT_EQUAL(slot_alloc_refill(), SYS_ERR_OK);
    CU_ASSERT_EQUAL(retyped_into[0], ROOTCN_FREE_SLOTS);
}

static void test_retype_failure_frees_ram(void)
{
    retype_result = SYS_ERR_SLOT_IN_USE;
    size_t free_before = slot_alloc_free_count();
    errval_t err = slot_alloc_refill();
    CU_ASSERT_EQUAL(err_no(err), LIB_ERR_SLOT_REFILL_RETYPE);
    CU_ASSERT_EQUAL(err_no(err_pop(err)), SYS_ERR_SLOT_IN_USE);
    CU_ASSERT_EQUAL(ram_free_calls, 1);
    CU_ASSERT_EQUAL(slot_alloc_free_count(), free_before);
    retype_result = SYS_ERR_OK;
    CU_ASSERT_EQUAL(slot_alloc_refill(), SYS_ERR_OK);
    CU_ASSERT_EQUAL(retyped_into[0], ROOTCN_FREE_SLOTS);    /* root slot was released */
}

static void test_bad_frees_are_errors(void)
{
    capaddr_t s;
    CU_ASSERT_EQUAL(slot_alloc(&s), SYS_ERR_OK);
    CU_ASSERT_EQUAL(slot_free(CAP_DISPATCHER), LIB_ERR_SLOT_FREE_UNKNOWN);
    CU_ASSERT_EQUAL(slot_free(CPTR(ROOTCN_FREE_SLOTS, 0)), LIB_ERR_SLOT_FREE_UNKNOWN);
    CU_ASSERT_EQUAL(slot_free(CPTR_L1_SLOT | ROOTCN_SLOT_SLOT_ALLOC0),
                    LIB_ERR_SLOT_FREE_UNKNOWN);
    CU_ASSERT_EQUAL(slot_free(s | 0x10000000u), LIB_ERR_SLOT_FREE_UNKNOWN);
    CU_ASSERT_EQUAL(slot_free(CPTR(300, 1)), LIB_ERR_SLOT_FREE_UNKNOWN);
    CU_ASSERT_EQUAL(slot_free(CPTR(ROOTCN_SLOT_SLOT_ALLOC0, 200)), LIB_ERR_SLOT_DOUBLE_FREE);
    CU_ASSERT_EQUAL(slot_free(s), SYS_ERR_OK);
    CU_ASSERT_EQUAL(slot_free(s), LIB_ERR_SLOT_DOUBLE_FREE);
    CU_ASSERT_EQUAL(slot_alloc_free_count(), L2_CNODE_SLOTS);
}

static void test_init_arguments(void)
{
    CU_ASSERT_EQUAL(slot_alloc_init_ops(&fake_ops, ROOTCN, 2, 6, SLOT_ALLOC_MAX_ROOT_SLOTS + 1),
                    LIB_ERR_SLOT_INIT_ARGS);
    capaddr_t s;
    CU_ASSERT_EQUAL(slot_alloc(&s), LIB_ERR_SLOT_NOT_INITIALISED);
    CU_ASSERT_EQUAL(slot_free(CPTR(2, 0)), LIB_ERR_SLOT_NOT_INITIALISED);
    CU_ASSERT_EQUAL(slot_alloc_free_count(), 0);
    CU_ASSERT_EQUAL(slot_alloc_init_ops(&fake_ops, ROOTCN, 6, 6, 256), LIB_ERR_SLOT_INIT_ARGS);
    CU_ASSERT_EQUAL(slot_alloc_init_ops(&fake_ops, ROOTCN, 2, 257, 256), LIB_ERR_SLOT_INIT_ARGS);
    struct slot_alloc_ops half = { .ram_alloc_aligned = fake_ram_alloc_aligned };
    CU_ASSERT_EQUAL(slot_alloc_init_ops(&half, ROOTCN, 2, 6, 256), LIB_ERR_SLOT_INIT_ARGS);
    CU_ASSERT_EQUAL(slot_alloc_init_ops(&fake_ops, ROOTCN, 2, 6, 256), SYS_ERR_OK);
    cslot_t r;
    CU_ASSERT_EQUAL(slot_alloc_root_slot(&r), SYS_ERR_OK);
    CU_ASSERT_EQUAL(r, ROOTCN_FREE_SLOTS);
    CU_ASSERT_EQUAL(slot_alloc_refill(), SYS_ERR_OK);       /* skips the taken root slot */
    CU_ASSERT_EQUAL(retyped_into[0], ROOTCN_FREE_SLOTS + 1);
}

/* Slots come from the oldest CNode that has one, so after a burst the
 * grown CNodes empty out; slot_alloc_trim gives back each wholly free one
 * (CNode deleted, RAM freed, root slot reusable) but keeps the reserve,
 * and never the boot CNode. */
static void test_trim_gives_back_grown_cnodes(void)
{
    enum { N = 3 * L2_CNODE_SLOTS };
    static capaddr_t slots[N];

    for (int i = 0; i < N; i++) {
        CU_ASSERT_EQUAL_FATAL(slot_alloc(&slots[i]), SYS_ERR_OK);
    }
    CU_ASSERT(retype_calls >= 3);
    CU_ASSERT_EQUAL(slot_alloc_trim(), 0);              /* nothing wholly free */
    for (int i = 0; i < N; i++) {
        CU_ASSERT_EQUAL(slot_free(slots[i]), SYS_ERR_OK);
    }
    /* oldest first: the boot CNode's slots again */
    capaddr_t s;
    CU_ASSERT_EQUAL(slot_alloc(&s), SYS_ERR_OK);
    CU_ASSERT_EQUAL(CPTR_L1_INDEX(s), ROOTCN_SLOT_SLOT_ALLOC0);
    CU_ASSERT_EQUAL(slot_free(s), SYS_ERR_OK);
    size_t before = slot_alloc_free_count();
    unsigned n = slot_alloc_trim();
    CU_ASSERT_EQUAL(n, (unsigned)retype_calls);         /* every grown one */
    CU_ASSERT_EQUAL(delete_calls, (int)n);
    CU_ASSERT_EQUAL(ram_free_calls, (int)n);
    /* (each RAM cap's own slot comes back too) */
    CU_ASSERT_EQUAL(slot_alloc_free_count(), before - n * L2_CNODE_SLOTS + n);
    CU_ASSERT(slot_alloc_free_count() >= 2 * SLOT_ALLOC_RESERVE ||
              slot_alloc_free_count() == L2_CNODE_SLOTS);
    for (int i = 0; i < delete_calls && i < 16; i++) {
        CU_ASSERT(deleted[i] & CPTR_L1_SLOT);
        CU_ASSERT_NOT_EQUAL(deleted[i] & 0xffffu, ROOTCN_SLOT_SLOT_ALLOC0);
    }
    /* a slot of a given-back CNode is unknown now; the allocator still works */
    CU_ASSERT_EQUAL(slot_free(slots[N - 1]), LIB_ERR_SLOT_FREE_UNKNOWN);
    for (int i = 0; i < N; i++) {
        CU_ASSERT_EQUAL_FATAL(slot_alloc(&slots[i]), SYS_ERR_OK);
    }
    for (int i = 0; i < N; i++) {
        CU_ASSERT_EQUAL(slot_free(slots[i]), SYS_ERR_OK);
    }
}

HOST_SUITE(slot_alloc_suite, "slot allocator", NULL, NULL, setup,
           HOST_TEST(test_trim_gives_back_grown_cnodes),
           HOST_TEST(test_distinct_slots),
           HOST_TEST(test_free_and_reuse),
           HOST_TEST(test_grows_below_reserve_without_recursion),
           HOST_TEST(test_root_exhaustion_is_an_error),
           HOST_TEST(test_ram_failure_keeps_serving_then_errors),
           HOST_TEST(test_retype_failure_frees_ram),
           HOST_TEST(test_bad_frees_are_errors),
           HOST_TEST(test_init_arguments))
