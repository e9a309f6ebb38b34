/*
 * cptr decoding (captypes.h) and the lookup errors.
 */
#include "host_suite.h"
#include "cap_fixture.h"

static void test_lookup_finds_slot(void)
{
    struct cte *ret = NULL;

    ASSERT_OK(caps_lookup_slot(fx.root, CPTR(2, 17), &ret));
    CU_ASSERT_PTR_EQUAL(ret, fx_slot(2, 17));
    ASSERT_OK(caps_lookup_cap(fx.root, FX_RAM_CPTR, ObjType_RAM, &ret));
    CU_ASSERT_PTR_EQUAL(ret, fx.ram);
    ASSERT_OK(caps_lookup_cap(fx.root, FX_RAM_CPTR, ObjType_Null, &ret));
    CU_ASSERT_PTR_EQUAL(ret, fx.ram);
}

static void test_lookup_empty_slot(void)
{
    struct cte *ret = NULL;

    ASSERT_OK(caps_lookup_slot(fx.root, CPTR(1, 5), &ret));   /* slots may be empty */
    CU_ASSERT_PTR_EQUAL(ret, fx_slot(1, 5));
    ret = NULL;
    ASSERT_ERR(caps_lookup_cap(fx.root, CPTR(1, 5), ObjType_Null, &ret), SYS_ERR_SLOT_EMPTY);
    CU_ASSERT_PTR_NULL(ret);
}

static void test_lookup_wrong_type(void)
{
    struct cte *ret = NULL;

    ASSERT_ERR(caps_lookup_cap(fx.root, FX_RAM_CPTR, ObjType_Frame, &ret),
               SYS_ERR_WRONG_CAP_TYPE);
    CU_ASSERT_PTR_NULL(ret);
}

static void test_lookup_l1_out_of_range(void)
{
    struct cte *ret;

    ASSERT_ERR(caps_lookup_slot(fx.root, CPTR(256, 0), &ret), SYS_ERR_L1_INDEX_OUT_OF_RANGE);
    ASSERT_ERR(caps_lookup_slot(fx.root, CPTR(0xffff, 0), &ret), SYS_ERR_L1_INDEX_OUT_OF_RANGE);
    /* bits above the 24 address bits (other than CPTR_L1_SLOT) */
    ASSERT_ERR(caps_lookup_slot(fx.root, 0x01000000u | CPTR(0, 1), &ret),
               SYS_ERR_L1_INDEX_OUT_OF_RANGE);
    ASSERT_ERR(caps_lookup_slot(fx.root, CPTR_L1_SLOT | 256, &ret),
               SYS_ERR_L1_INDEX_OUT_OF_RANGE);
    ASSERT_ERR(caps_lookup_slot(fx.root, CPTR_L1_SLOT | 0x10000u, &ret),
               SYS_ERR_L1_INDEX_OUT_OF_RANGE);
}

static void test_lookup_l2_cnode_not_found(void)
{
    struct cte *ret;

    ASSERT_ERR(caps_lookup_slot(fx.root, CPTR(FX_NUM_CN, 0), &ret),
               SYS_ERR_L2_CNODE_NOT_FOUND);
    ASSERT_ERR(caps_lookup_slot(fx.root, CPTR(255, 255), &ret), SYS_ERR_L2_CNODE_NOT_FOUND);
}

static void test_lookup_l1_slot_addressing(void)
{
    struct cte *ret = NULL;

    ASSERT_OK(caps_lookup_cap(fx.root, CPTR_L1_SLOT | 3, ObjType_L2CNode, &ret));
    CU_ASSERT_PTR_EQUAL(ret, fx.cn[3]);
    ASSERT_OK(caps_lookup_slot(fx.root, CPTR_L1_SLOT | 255, &ret));
    CU_ASSERT_PTR_EQUAL(ret, cnode_slot(fx.root, 255));
    ASSERT_ERR(caps_lookup_cap(fx.root, CPTR_L1_SLOT | 200, ObjType_Null, &ret),
               SYS_ERR_SLOT_EMPTY);
}

static void test_lookup_bigger_root(void)
{
    struct cte *ret = NULL;

    /* an L1 CNode of 512 slots (32 KiB) accepts L1 indices up to 511 */
    ASSERT_OK(fx_retype(ObjType_L1CNode, 0, 512 * CTE_SIZE, 1, 0, 1));
    ASSERT_OK(fx_retype(ObjType_L2CNode, 0x8000, OBJSIZE_L2CNODE, 1, 0, 2));
    ASSERT_OK(caps_copy(cnode_slot(fx_slot(0, 1), 511), fx_slot(0, 2), CAP_RIGHTS_ALL, 0));
    ASSERT_OK(caps_lookup_slot(fx_slot(0, 1), CPTR(511, 7), &ret));
    CU_ASSERT_PTR_EQUAL(ret, cnode_slot(fx_slot(0, 2), 7));
    ASSERT_ERR(caps_lookup_slot(fx_slot(0, 1), CPTR(512, 7), &ret),
               SYS_ERR_L1_INDEX_OUT_OF_RANGE);
}

static void test_lookup_root_not_l1(void)
{
    struct cte *ret;

    ASSERT_ERR(caps_lookup_slot(fx.cn[0], CPTR(0, 0), &ret), SYS_ERR_WRONG_CAP_TYPE);
    ASSERT_ERR(caps_lookup_slot(fx_slot(1, 1), CPTR(0, 0), &ret), SYS_ERR_WRONG_CAP_TYPE);
}

/* caps_lookup_dest: the slot a new capability would go to, by the same
 * rules as copy and retype (cnode_check_dest). */
static void test_lookup_dest_rules(void)
{
    struct cte *ret = NULL;

    ASSERT_OK(caps_lookup_dest(fx.root, CPTR(1, 5), ObjType_Frame, &ret));
    CU_ASSERT_PTR_EQUAL(ret, fx_slot(1, 5));
    ASSERT_ERR(caps_lookup_dest(fx.root, FX_RAM_CPTR, ObjType_Frame, &ret),
               SYS_ERR_SLOT_IN_USE);
    /* a root slot takes an L2 CNode and nothing else */
    ASSERT_ERR(caps_lookup_dest(fx.root, CPTR_L1_SLOT | 200, ObjType_Frame, &ret),
               SYS_ERR_L1_SLOT_TYPE);
    ASSERT_OK(caps_lookup_dest(fx.root, CPTR_L1_SLOT | 200, ObjType_L2CNode, &ret));
    CU_ASSERT_PTR_EQUAL(ret, cnode_slot(fx.root, 200));
    ASSERT_ERR(caps_lookup_dest(fx.root, CPTR(255, 0), ObjType_Frame, &ret),
               SYS_ERR_L2_CNODE_NOT_FOUND);
    /* a CNode without WRITE takes nothing */
    cnode_slot(fx.root, 1)->cap.rights &= ~CAP_RIGHT_WRITE;
    ASSERT_ERR(caps_lookup_dest(fx.root, CPTR(1, 5), ObjType_Frame, &ret), SYS_ERR_NO_RIGHTS);
}

HOST_SUITE(lookup_suite, "cap lookup: cptr decoding", NULL, NULL, fx_setup,
           HOST_TEST(test_lookup_finds_slot),
           HOST_TEST(test_lookup_empty_slot),
           HOST_TEST(test_lookup_wrong_type),
           HOST_TEST(test_lookup_l1_out_of_range),
           HOST_TEST(test_lookup_l2_cnode_not_found),
           HOST_TEST(test_lookup_l1_slot_addressing),
           HOST_TEST(test_lookup_bigger_root),
           HOST_TEST(test_lookup_root_not_l1),
           HOST_TEST(test_lookup_dest_rules))
