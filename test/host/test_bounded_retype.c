/*
 * Retype in bounded steps (kernel/object/ram.c, docs/safety.md rule 9):
 * zeroing a big object pauses and resumes through a placeholder, at most
 * 256 objects a call, at most RAM_MAX_COPIES copies of a RAM cap, and the
 * overlap check bounded by the high-water mark.
 */
#include "host_suite.h"
#include "cap_fixture.h"
#include <string.h>

#define BIG (4u << 20)

static errval_t retype_big_frame(void)
{
    return caps_retype(fx.ram, ObjType_Frame, 0, BIG, 1, fx.cn[1], 0);
}

static void test_big_frame_pauses_and_resumes(void)
{
    struct cte *slot = fx_slot(1, 0);
    unsigned calls = 0;
    errval_t err;

    memset(pa_to_kva(FX_RAM_PA), 0xaa, BIG);
    fake.preempt_every = 1;
    while (err_no(err = retype_big_frame()) == SYS_ERR_RESTART && calls < 1000) {
        calls++;
        CU_ASSERT_EQUAL(slot->cap.type, ObjType_Retyping);
        CU_ASSERT_EQUAL(slot->cap.badge, calls * 64u * 1024);
        CU_ASSERT_PTR_NULL(mdb_check_invariants());
    }
    ASSERT_OK(err);
    CU_ASSERT_EQUAL(calls, BIG / (64u * 1024) - 1);   /* paused between every step */
    CU_ASSERT_EQUAL(slot->cap.type, ObjType_Frame);
    CU_ASSERT_EQUAL(slot->cap.size, BIG);
    for (uint32_t i = 0; i < BIG; i += 4096) {
        CU_ASSERT_EQUAL(((uint8_t *)pa_to_kva(FX_RAM_PA))[i + 17], 0);
    }
    ASSERT_LIVE(1);
    ASSERT_MDB();
}

/* While paused the range is held: no other retype gets it, the
 * placeholder cannot be copied; deleting it gives the retype up. */
static void test_paused_range_is_held(void)
{
    struct cte *slot = fx_slot(1, 0);

    fake.preempt_every = 3;
    ASSERT_ERR(retype_big_frame(), SYS_ERR_RESTART);
    fake.preempt_every = 0;
    ASSERT_ERR(caps_retype(fx.ram, ObjType_Frame, BIG - 0x1000, 0x1000, 1, fx.cn[1], 1),
               SYS_ERR_RETYPE_OVERLAP);
    ASSERT_ERR(caps_copy(fx_slot(1, 2), slot, CAP_RIGHTS_ALL, 0), SYS_ERR_NOT_COPYABLE);
    /* another retype into the slot: not the paused one, the slot is taken */
    ASSERT_ERR(caps_retype(fx.ram, ObjType_Frame, BIG, 0x1000, 1, fx.cn[1], 0),
               SYS_ERR_SLOT_IN_USE);
    ASSERT_OK(caps_delete(slot));
    ASSERT_LIVE(0);
    ASSERT_OK(caps_retype(fx.ram, ObjType_Frame, BIG - 0x1000, 0x1000, 1, fx.cn[1], 1));
    ASSERT_MDB();
}

/* A paused retype resumes for the same range and type even with another
 * split of it into objects (the memory work is the same). */
static void test_resume_with_other_split(void)
{
    fake.preempt_every = 2;
    ASSERT_ERR(retype_big_frame(), SYS_ERR_RESTART);
    fake.preempt_every = 0;
    ASSERT_OK(caps_retype(fx.ram, ObjType_Frame, 0, BIG / 4, 4, fx.cn[1], 0));
    for (int i = 0; i < 4; i++) {
        CU_ASSERT_EQUAL(fx_slot(1, i)->cap.size, BIG / 4);
    }
    ASSERT_LIVE(4);
    ASSERT_MDB();
}

static void test_at_most_256_objects(void)
{
    ASSERT_ERR(caps_retype(fx.ram, ObjType_Endpoint, 0, OBJSIZE_ENDPOINT, 257, fx.cn[1], 0),
               SYS_ERR_RETYPE_TOO_MANY);
    ASSERT_OK(caps_retype(fx.ram, ObjType_Endpoint, 0, OBJSIZE_ENDPOINT, 256, fx.cn[1], 0));
    ASSERT_LIVE(256);
}

static void test_ram_copies_limited(void)
{
    uint32_t i;

    for (i = 1; i < RAM_MAX_COPIES; i++) {
        ASSERT_OK(caps_copy(fx_slot(1 + i / 256, i % 256), fx.ram, CAP_RIGHTS_ALL, 0));
    }
    ASSERT_ERR(caps_copy(fx_slot(3, 0), fx.ram, CAP_RIGHTS_ALL, 0), SYS_ERR_TOO_MANY_COPIES);
    ASSERT_ERR(caps_copy(fx_slot(3, 0), fx_slot(1, 5), CAP_RIGHTS_ALL, 0),
               SYS_ERR_TOO_MANY_COPIES);        /* through any copy */
    ASSERT_OK(caps_delete(fx_slot(1, 5)));
    ASSERT_OK(caps_copy(fx_slot(3, 0), fx.ram, CAP_RIGHTS_ALL, 0));
    ASSERT_MDB();
}

/* 768 endpoints: the run is longer than the walk; a range above the
 * high-water mark is free, one below it (even a free hole) is refused
 * until the run is empty again. */
static void test_long_run_uses_watermark(void)
{
    for (int i = 0; i < 3; i++) {
        ASSERT_OK(caps_retype(fx.ram, ObjType_Endpoint, i * 256 * OBJSIZE_ENDPOINT,
                              OBJSIZE_ENDPOINT, 256, fx.cn[1 + i], 0));
    }
    ASSERT_OK(caps_delete(fx_slot(1, 7)));             /* a hole below the mark */
    ASSERT_ERR(caps_retype(fx.ram, ObjType_Endpoint, 7 * OBJSIZE_ENDPOINT, OBJSIZE_ENDPOINT,
                           1, fx.cn[1], 7), SYS_ERR_RETYPE_RUN_TOO_LONG);
    ASSERT_OK(caps_retype(fx.ram, ObjType_Frame, 0x100000, 0x1000, 1, fx.cn[1], 7));
    ASSERT_ERR(caps_retype(fx.ram, ObjType_Frame, 0x100000, 0x1000, 1, fx.cn[0], 100),
               SYS_ERR_RETYPE_OVERLAP);             /* found in the first 512 */
    ASSERT_OK(caps_revoke(fx.ram));
    ASSERT_OK(caps_retype(fx.ram, ObjType_Endpoint, 7 * OBJSIZE_ENDPOINT, OBJSIZE_ENDPOINT,
                          1, fx.cn[1], 7));         /* empty run: exact again */
    ASSERT_MDB();
}

/* The mark of a deleted copy goes to a remaining one: objects made through
 * a copy still count after the copy is gone. */
static void test_watermark_survives_copy_delete(void)
{
    struct cte *copy = fx_slot(0, 200);

    ASSERT_OK(caps_copy(copy, fx.ram, CAP_RIGHTS_ALL, 0));
    for (int i = 0; i < 3; i++) {
        ASSERT_OK(caps_retype(copy, ObjType_Endpoint, 0x10000 + i * 256 * OBJSIZE_ENDPOINT,
                              OBJSIZE_ENDPOINT, 256, fx.cn[1 + i], 0));
    }
    ASSERT_OK(caps_delete(copy));
    CU_ASSERT_TRUE(fx.ram->ram_watermark >= 0x10000 + 768 * OBJSIZE_ENDPOINT);
    ASSERT_OK(caps_delete(fx_slot(1, 0)));
    ASSERT_ERR(caps_retype(fx.ram, ObjType_Endpoint, 0x10000, OBJSIZE_ENDPOINT, 1,
                           fx.cn[1], 0), SYS_ERR_RETYPE_RUN_TOO_LONG);
    ASSERT_MDB();
}

HOST_SUITE(bounded_retype_suite, "retype in bounded steps", NULL, NULL, fx_setup,
           HOST_TEST(test_big_frame_pauses_and_resumes),
           HOST_TEST(test_paused_range_is_held),
           HOST_TEST(test_resume_with_other_split),
           HOST_TEST(test_at_most_256_objects),
           HOST_TEST(test_ram_copies_limited),
           HOST_TEST(test_long_run_uses_watermark),
           HOST_TEST(test_watermark_survives_copy_delete))
