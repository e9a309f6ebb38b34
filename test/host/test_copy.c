/*
 * Copy and mint: rights only shrink, GRANT is needed, the destination must
 * be empty, L1 slots take only L2 CNodes, badges go only on Endpoints.
 */
#include "host_suite.h"
#include "cap_fixture.h"

static void test_copy_same_object_adjacent(void)
{
    struct cte *dest = fx_slot(3, 7);

    ASSERT_OK(caps_copy(dest, fx.ram, CAP_RIGHTS_ALL, 0));
    CU_ASSERT_TRUE(cap_is_copy(&dest->cap, &fx.ram->cap));
    CU_ASSERT_EQUAL(dest->cap.rights, CAP_RIGHTS_ALL);
    CU_ASSERT_PTR_EQUAL(mdb_next(fx.ram), dest);
    CU_ASSERT_PTR_EQUAL(mdb_any_other_copy(dest), fx.ram);
    ASSERT_LIVE(1);
    ASSERT_MDB();
}

static void test_copy_after_retype_keeps_order(void)
{
    ASSERT_OK(fx_retype(ObjType_Frame, 0, 0x1000, 2, 1, 0));
    ASSERT_OK(caps_copy(fx_slot(3, 0), fx.ram, CAP_RIGHTS_ALL, 0));
    ASSERT_OK(caps_copy(fx_slot(3, 1), fx_slot(1, 1), CAP_RIGHTS_ALL, 0));
    ASSERT_MDB();
    /* the RAM copy sits with the original, before the children */
    CU_ASSERT_PTR_EQUAL(mdb_first_descendant(fx_slot(3, 0)), fx_slot(1, 0));
    ASSERT_OK(fx_retype(ObjType_Frame, 0x2000, 0x1000, 1, 1, 2));
    ASSERT_MDB();
}

static void test_mint_reduces_rights(void)
{
    struct cte *a = fx_slot(1, 0), *b = fx_slot(1, 1), *c = fx_slot(1, 2);

    ASSERT_OK(caps_copy(a, fx.ram, CAP_RIGHT_READ | CAP_RIGHT_GRANT, 0));
    CU_ASSERT_EQUAL(a->cap.rights, CAP_RIGHT_READ | CAP_RIGHT_GRANT);
    /* asking for more gives nothing more */
    ASSERT_OK(caps_copy(b, a, CAP_RIGHTS_ALL, 0));
    CU_ASSERT_EQUAL(b->cap.rights, CAP_RIGHT_READ | CAP_RIGHT_GRANT);
    ASSERT_OK(caps_copy(c, b, CAP_RIGHT_WRITE | CAP_RIGHT_READ, 0));
    CU_ASSERT_EQUAL(c->cap.rights, CAP_RIGHT_READ);
    /* unknown rights bits are dropped */
    ASSERT_OK(caps_copy(fx_slot(1, 3), fx.ram, 0xffffffffu, 0));
    CU_ASSERT_EQUAL(fx_slot(1, 3)->cap.rights, CAP_RIGHTS_ALL);
    ASSERT_MDB();
}

static void test_copy_errors(void)
{
    struct cte *nogrant = fx_slot(1, 0);

    ASSERT_OK(caps_copy(nogrant, fx.ram, CAP_RIGHT_READ | CAP_RIGHT_WRITE, 0));
    fx_snapshot();
    ASSERT_ERR(caps_copy(fx_slot(1, 1), nogrant, CAP_RIGHTS_ALL, 0), SYS_ERR_NO_RIGHTS);
    ASSERT_ERR(caps_copy(fx_slot(1, 1), fx_slot(1, 50), CAP_RIGHTS_ALL, 0),
               SYS_ERR_SLOT_EMPTY);
    ASSERT_ERR(caps_copy(nogrant, fx.ram, CAP_RIGHTS_ALL, 0), SYS_ERR_SLOT_IN_USE);
    ASSERT_ERR(caps_copy(fx.ram, fx.ram, CAP_RIGHTS_ALL, 0), SYS_ERR_SLOT_IN_USE);
    CU_ASSERT_TRUE(fx_unchanged());
}

#define ROOT_COPY_CPTR CPTR(0, 1)     /* a copy of the root L1 CNode cap */
#define FRAME_CPTR     CPTR(1, 0)
#define RO_CNODE_CPTR  CPTR(1, 1)     /* read-only copy of cn[2] */

static void setup_dest_rules(void)
{
    ASSERT_OK(caps_copy(fx_slot(0, 1), fx.root, CAP_RIGHTS_ALL, 0));
    ASSERT_OK(fx_retype(ObjType_Frame, 0, 0x1000, 1, 1, 0));
    ASSERT_OK(caps_copy(fx_slot(1, 1), fx.cn[2], CAP_RIGHT_READ | CAP_RIGHT_GRANT, 0));
}

static void test_copy_via_invoke_dest_errors(void)
{
    setup_dest_rules();
    fx_snapshot();
    ASSERT_ERR(fx_invoke(FRAME_CPTR, CAPCMD_COPY, ROOT_COPY_CPTR, 10, 0, 0, 0, NULL),
               SYS_ERR_L1_SLOT_TYPE);
    ASSERT_ERR(fx_invoke(CPTR(0, 1), CAPCMD_COPY, ROOT_COPY_CPTR, 10, 0, 0, 0, NULL),
               SYS_ERR_L1_SLOT_TYPE);   /* an L1 CNode cap is not an L2 CNode cap */
    ASSERT_ERR(fx_invoke(FRAME_CPTR, CAPCMD_COPY, RO_CNODE_CPTR, 10, 0, 0, 0, NULL),
               SYS_ERR_NO_RIGHTS);
    ASSERT_ERR(fx_invoke(FRAME_CPTR, CAPCMD_COPY, FRAME_CPTR, 10, 0, 0, 0, NULL),
               SYS_ERR_DEST_NOT_CNODE);
    ASSERT_ERR(fx_invoke(FRAME_CPTR, CAPCMD_COPY, CPTR(0, 2), 10, 0, 0, 0, NULL),
               SYS_ERR_SLOT_EMPTY);     /* the dest CNode cptr names an empty slot */
    ASSERT_ERR(fx_invoke(FRAME_CPTR, CAPCMD_COPY, CPTR_L1_SLOT | 2, 256, 0, 0, 0, NULL),
               SYS_ERR_SLOT_OUT_OF_RANGE);
    ASSERT_ERR(fx_invoke(FRAME_CPTR, CAPCMD_COPY, CPTR_L1_SLOT | 1, 0, 0, 0, 0, NULL),
               SYS_ERR_SLOT_IN_USE);
    CU_ASSERT_TRUE(fx_unchanged());
}

static void test_copy_l2_cnode_into_l1_slot(void)
{
    struct cte *found = NULL;

    setup_dest_rules();
    /* cn[2]'s cap (via root slot 2) goes into root slot 10: CPTR(10, x) == CPTR(2, x) */
    ASSERT_OK(fx_invoke(CPTR_L1_SLOT | 2, CAPCMD_COPY, ROOT_COPY_CPTR, 10, 0, 0, 0, NULL));
    ASSERT_OK(caps_lookup_slot(fx.root, CPTR(10, 33), &found));
    CU_ASSERT_PTR_EQUAL(found, fx_slot(2, 33));
    ASSERT_MDB();
}

static void test_mint_via_invoke(void)
{
    struct arch_registers regs;

    setup_dest_rules();
    ASSERT_OK(fx_invoke(FRAME_CPTR, CAPCMD_MINT, CPTR_L1_SLOT | 3, 4,
                        CAP_RIGHT_READ | CAP_RIGHT_EXECUTE, 0, 0, NULL));
    ASSERT_OK(fx_invoke(CPTR(3, 4), CAPCMD_IDENTIFY, 0, 0, 0, 0, 0, &regs));
    CU_ASSERT_EQUAL(IDENTIFY_TYPE(regs.r[1]), ObjType_Frame);
    CU_ASSERT_EQUAL(IDENTIFY_RIGHTS(regs.r[1]), CAP_RIGHT_READ | CAP_RIGHT_EXECUTE);
    /* no GRANT left: the minted cap cannot be copied on */
    ASSERT_ERR(fx_invoke(CPTR(3, 4), CAPCMD_COPY, CPTR_L1_SLOT | 3, 5, 0, 0, 0, NULL),
               SYS_ERR_NO_RIGHTS);
}

static void test_badges(void)
{
    struct cte *ep = fx_slot(1, 0), *badged = fx_slot(1, 1), *again = fx_slot(1, 2);

    ASSERT_OK(fx_retype(ObjType_Endpoint, 0, OBJSIZE_ENDPOINT, 1, 1, 0));
    ASSERT_OK(fx_retype(ObjType_Frame, 0x1000, 0x1000, 1, 1, 9));
    ASSERT_OK(caps_copy(badged, ep, CAP_RIGHTS_ALL, 42));
    CU_ASSERT_EQUAL(badged->cap.badge, 42u);
    CU_ASSERT_TRUE(cap_is_copy(&badged->cap, &ep->cap));   /* same object */
    /* a plain copy keeps the badge */
    ASSERT_OK(caps_copy(again, badged, CAP_RIGHTS_ALL, 0));
    CU_ASSERT_EQUAL(again->cap.badge, 42u);
    fx_snapshot();
    ASSERT_ERR(caps_copy(fx_slot(1, 3), badged, CAP_RIGHTS_ALL, 7), SYS_ERR_BADGE_INVALID);
    ASSERT_ERR(caps_copy(fx_slot(1, 3), fx_slot(1, 9), CAP_RIGHTS_ALL, 7),
               SYS_ERR_BADGE_INVALID);
    CU_ASSERT_TRUE(fx_unchanged());
    ASSERT_MDB();
}

static void test_kernel_cap_copyable(void)
{
    struct cte *k = fx_slot(1, 0), *k2 = fx_slot(1, 1);

    ASSERT_OK(caps_create_boot(k, ObjType_Kernel, 0, 0, CAP_RIGHTS_ALL));
    ASSERT_OK(caps_copy(k2, k, CAP_RIGHTS_ALL, 0));
    CU_ASSERT_EQUAL(k2->cap.type, ObjType_Kernel);
    /* a zero-sized cap is nobody's descendant, even at base 0 */
    CU_ASSERT_FALSE(cap_is_descendant(&fx.ram->cap, &k->cap));
    ASSERT_OK(caps_delete(k));
    ASSERT_OK(caps_delete(k2));
    ASSERT_LIVE(0);
    ASSERT_MDB();
}

HOST_SUITE(copy_suite, "cap copy and mint", NULL, NULL, fx_setup,
           HOST_TEST(test_copy_same_object_adjacent),
           HOST_TEST(test_copy_after_retype_keeps_order),
           HOST_TEST(test_mint_reduces_rights),
           HOST_TEST(test_copy_errors),
           HOST_TEST(test_copy_via_invoke_dest_errors),
           HOST_TEST(test_copy_l2_cnode_into_l1_slot),
           HOST_TEST(test_mint_via_invoke),
           HOST_TEST(test_badges),
           HOST_TEST(test_kernel_cap_copyable))
