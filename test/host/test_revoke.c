/*
 * Revoke: every other copy and every descendant goes, the revoked cap
 * stays; mappings of revoked frames disappear; a revoke that destroys the
 * CNode holding the revoked cap stops with SYS_ERR_REVOKE_DELETED_SELF.
 */
#include "host_suite.h"
#include "cap_fixture.h"
#include <kernel/dispatcher.h>
#include <arch/pte.h>

static void test_revoke_copies_and_descendants(void)
{
    struct cte *child = fx_slot(1, 0);

    ASSERT_OK(caps_copy(fx_slot(2, 0), fx.ram, CAP_RIGHTS_ALL, 0));
    ASSERT_OK(caps_copy(fx_slot(2, 1), fx.ram, CAP_RIGHTS_ALL, 0));
    ASSERT_OK(fx_retype(ObjType_RAM, 0, 0x100000, 1, 1, 0));
    ASSERT_OK(caps_retype(child, ObjType_Frame, 0, 0x1000, 8, fx.cn[1], 1));
    ASSERT_OK(caps_copy(fx_slot(3, 0), fx_slot(1, 3), CAP_RIGHTS_ALL, 0));
    ASSERT_OK(fx_retype(ObjType_VNode_L2, 0x100000, OBJSIZE_VNODE_L2, 1, 1, 20));
    /* an unrelated original after them must survive */
    ASSERT_OK(caps_create_boot(fx_slot(3, 9), ObjType_DevFrame, FX_DEV_PA, 0x1000,
                               CAP_RIGHTS_ALL));
    ASSERT_LIVE(2 + 1 + 8 + 1 + 1 + 1);
    /* revoke the middle copy: copies on both sides go */
    ASSERT_OK(caps_revoke(fx_slot(2, 0)));
    ASSERT_LIVE(1);     /* fx.ram replaced by the copy in cn[2] slot 0, + DevFrame */
    CU_ASSERT_TRUE(cte_is_empty(fx.ram));
    CU_ASSERT_FALSE(cte_is_empty(fx_slot(2, 0)));
    CU_ASSERT_FALSE(cte_is_empty(fx_slot(3, 9)));
    CU_ASSERT_TRUE(cte_is_empty(fx_slot(3, 0)));
    CU_ASSERT_PTR_NULL(mdb_first_descendant(fx_slot(2, 0)));
    ASSERT_MDB();
    /* the memory can be retyped again */
    ASSERT_OK(caps_retype(fx_slot(2, 0), ObjType_Frame, 0, 0x1000, 1, fx.cn[1], 0));
}

static void test_revoke_child_only_touches_its_subtree(void)
{
    struct cte *a = fx_slot(1, 0), *b = fx_slot(1, 1);

    ASSERT_OK(fx_retype(ObjType_RAM, 0, 0x10000, 2, 1, 0));
    ASSERT_OK(caps_retype(a, ObjType_Frame, 0, 0x1000, 2, fx.cn[2], 0));
    ASSERT_OK(caps_retype(b, ObjType_Frame, 0, 0x1000, 2, fx.cn[2], 2));
    ASSERT_OK(caps_revoke(a));
    CU_ASSERT_TRUE(cte_is_empty(fx_slot(2, 0)) && cte_is_empty(fx_slot(2, 1)));
    CU_ASSERT_FALSE(cte_is_empty(fx_slot(2, 2)) || cte_is_empty(fx_slot(2, 3)));
    ASSERT_LIVE(4);
    ASSERT_OK(caps_revoke(a));            /* nothing left to do */
    ASSERT_ERR(caps_revoke(fx_slot(2, 0)), SYS_ERR_SLOT_EMPTY);
    ASSERT_MDB();
}

static void test_revoke_removes_mappings(void)
{
    struct cte *table, *frame;
    pte_t *entries;

    /* the table from a separate RAM so only the frame is revoked */
    ASSERT_OK(fx_retype(ObjType_RAM, 0, 0x100000, 2, 1, 0));
    ASSERT_OK(caps_retype(fx_slot(1, 0), ObjType_VNode_L2, 0, OBJSIZE_VNODE_L2, 1,
                          fx.cn[2], 0));
    ASSERT_OK(caps_retype(fx_slot(1, 1), ObjType_Frame, 0, 0x2000, 1, fx.cn[2], 1));
    table = fx_slot(2, 0);
    frame = fx_slot(2, 1);
    ASSERT_OK(caps_copy(fx_slot(2, 2), frame, CAP_RIGHTS_ALL, 0));
    ASSERT_OK(vnode_map(table, frame, 10, VREGION_FLAGS_READ_WRITE, 0, 2));
    ASSERT_OK(vnode_map(table, fx_slot(2, 2), 20, VREGION_FLAGS_READ, 1, 1));
    entries = pa_to_kva(table->cap.base);
    CU_ASSERT_TRUE(pte_l2_is_valid(entries[10]) && pte_l2_is_valid(entries[20]));
    ASSERT_OK(caps_revoke(fx_slot(1, 1)));
    CU_ASSERT_EQUAL(entries[10], 0u);
    CU_ASSERT_EQUAL(entries[11], 0u);
    CU_ASSERT_EQUAL(entries[20], 0u);
    CU_ASSERT_EQUAL(table->mapped_head, 0u);
    CU_ASSERT_TRUE(fake.tlb_flush_all + fake.tlb_flush_page > 0);
    ASSERT_MDB();
}

static void test_revoke_deleting_itself(void)
{
    struct cte *cn, *inner_copy;

    /* a CNode made from fx.ram holds a copy of fx.ram: revoking that copy
     * deletes the original and then the CNode, and with it the copy itself */
    ASSERT_OK(fx_retype(ObjType_L2CNode, 0, OBJSIZE_L2CNODE, 1, 1, 0));
    cn = fx_slot(1, 0);
    inner_copy = cnode_slot(cn, 0);
    ASSERT_OK(caps_copy(inner_copy, fx.ram, CAP_RIGHTS_ALL, 0));
    ASSERT_OK(fx_retype(ObjType_Frame, 0x10000, 0x1000, 1, 1, 1));
    ASSERT_ERR(caps_revoke(inner_copy), SYS_ERR_REVOKE_DELETED_SELF);
    CU_ASSERT_TRUE(cte_is_empty(inner_copy));
    CU_ASSERT_TRUE(cte_is_empty(fx.ram));
    CU_ASSERT_TRUE(cte_is_empty(cn));
    ASSERT_MDB();
}

static void test_revoke_ram_under_dispatcher_calls_hook(void)
{
    struct dcb *dcb;

    ASSERT_OK(fx_retype(ObjType_RAM, 0, 0x100000, 1, 1, 0));
    ASSERT_OK(caps_retype(fx_slot(1, 0), ObjType_Dispatcher, 0, OBJSIZE_DISPATCHER, 1,
                          fx.cn[1], 1));
    ASSERT_OK(caps_retype(fx_slot(1, 0), ObjType_Frame, 0x1000, 0x1000, 1, fx.cn[1], 2));
    dcb = pa_to_kva(fx_slot(1, 1)->cap.base);
    ASSERT_OK(caps_copy(&dcb->ctes[DCB_CTE_DISPFRAME], fx_slot(1, 2), CAP_RIGHTS_ALL, 0));
    ASSERT_OK(caps_copy(&dcb->ctes[DCB_CTE_CSPACE], fx.root, CAP_RIGHTS_ALL, 0));
    ASSERT_OK(caps_revoke(fx_slot(1, 0)));
    CU_ASSERT_EQUAL(fake.slot_deleted_calls, 2u);
    CU_ASSERT_TRUE(cte_is_empty(&dcb->ctes[DCB_CTE_CSPACE]));
    ASSERT_LIVE(1);
    ASSERT_MDB();
}

HOST_SUITE(revoke_suite, "cap revoke", NULL, NULL, fx_setup,
           HOST_TEST(test_revoke_copies_and_descendants),
           HOST_TEST(test_revoke_child_only_touches_its_subtree),
           HOST_TEST(test_revoke_removes_mappings),
           HOST_TEST(test_revoke_deleting_itself),
           HOST_TEST(test_revoke_ram_under_dispatcher_calls_hook))
