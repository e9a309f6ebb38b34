/*
 * Delete: a copy goes alone; the last copy destroys its object, which for
 * CNodes and Dispatchers deletes the slots inside, without C recursion.
 */
#include "host_suite.h"
#include "cap_fixture.h"
#include <kernel/dispatcher.h>
#include <ucontext.h>
#include <stdlib.h>

static void test_delete_copy_then_last(void)
{
    struct cte *copy = fx_slot(1, 0);

    ASSERT_OK(caps_copy(copy, fx.ram, CAP_RIGHTS_ALL, 0));
    ASSERT_OK(caps_delete(copy));
    CU_ASSERT_TRUE(cte_is_empty(copy));
    CU_ASSERT_EQUAL(copy->mdb_next, 0u);
    ASSERT_LIVE(0);
    ASSERT_OK(caps_delete(fx.ram));
    ASSERT_LIVE(-1);
    ASSERT_ERR(caps_delete(fx.ram), SYS_ERR_SLOT_EMPTY);
    ASSERT_MDB();
}

static void test_delete_parent_keeps_children(void)
{
    struct cte *child = fx_slot(1, 0);

    ASSERT_OK(fx_retype(ObjType_RAM, 0, 0x10000, 1, 1, 0));
    ASSERT_OK(caps_retype(child, ObjType_Frame, 0, 0x1000, 1, fx.cn[1], 1));
    ASSERT_OK(caps_delete(child));           /* its Frame stays, now under fx.ram */
    CU_ASSERT_FALSE(cte_is_empty(fx_slot(1, 1)));
    CU_ASSERT_PTR_EQUAL(mdb_first_descendant(fx.ram), fx_slot(1, 1));
    ASSERT_MDB();
}

/* An L2 CNode retyped from fx.ram into cn[1] slot `slot`. */
static struct cte *new_cnode(gensize_t offset, cslot_t slot)
{
    ASSERT_OK(fx_retype(ObjType_L2CNode, offset, OBJSIZE_L2CNODE, 1, 1, slot));
    return fx_slot(1, slot);
}

static void test_delete_cnode_deletes_contents(void)
{
    struct cte *cn = new_cnode(0, 0);
    struct cte *inside = cnode_slot(cn, 0);   /* still valid after the cap is gone */

    ASSERT_OK(fx_retype(ObjType_Frame, 0x10000, 0x1000, 3, 1, 1));
    ASSERT_OK(caps_copy(cnode_slot(cn, 0), fx_slot(1, 1), CAP_RIGHTS_ALL, 0));
    /* the only cap of two frames lives inside the CNode */
    ASSERT_OK(caps_retype(fx.ram, ObjType_Frame, 0x20000, 0x1000, 2, cn, 200));
    ASSERT_OK(caps_copy(cnode_slot(cn, 255), fx.ram, CAP_RIGHTS_ALL, 0));
    ASSERT_LIVE(1 + 3 + 1 + 2 + 1);
    ASSERT_OK(caps_delete(cn));
    ASSERT_LIVE(3);                            /* the frames in cn[1] slots 1..3 */
    for (cslot_t i = 0; i < L2_CNODE_SLOTS; i++) {
        CU_ASSERT_TRUE(cte_is_empty(&inside[i]));
    }
    CU_ASSERT_FALSE(cte_is_empty(fx.ram));
    ASSERT_MDB();
}

static void test_delete_cnode_holding_its_own_cap(void)
{
    struct cte *cn = new_cnode(0, 0);
    struct cte *self = cnode_slot(cn, 0);

    ASSERT_OK(caps_copy(self, cn, CAP_RIGHTS_ALL, 0));
    ASSERT_OK(fx_retype(ObjType_Frame, 0x10000, 0x1000, 1, 1, 1));
    ASSERT_OK(caps_copy(cnode_slot(cn, 1), fx_slot(1, 1), CAP_RIGHTS_ALL, 0));
    ASSERT_OK(caps_delete(cn));                /* not the last copy: nothing else goes */
    ASSERT_LIVE(3);
    ASSERT_OK(caps_delete(self));              /* the last copy sits inside itself */
    ASSERT_LIVE(1);
    CU_ASSERT_TRUE(cte_is_empty(self + 1));
    ASSERT_MDB();
}

static void test_delete_cnode_holding_other_cnode(void)
{
    struct cte *outer = new_cnode(0, 0);
    struct cte *inner = cnode_slot(outer, 7);    /* slot holding the inner CNode cap */

    ASSERT_OK(caps_retype(fx.ram, ObjType_L2CNode, 0x4000, OBJSIZE_L2CNODE, 1, outer, 7));
    ASSERT_OK(caps_retype(fx.ram, ObjType_Frame, 0x10000, 0x1000, 4, inner, 0));
    ASSERT_OK(caps_copy(cnode_slot(inner, 9), outer, CAP_RIGHTS_ALL, 0));  /* a cycle */
    ASSERT_LIVE(1 + 1 + 4 + 1);
    ASSERT_OK(caps_delete(cnode_slot(inner, 9)));
    ASSERT_OK(caps_delete(outer));
    ASSERT_LIVE(0);
    ASSERT_MDB();
}

/* ---- deep nesting on a small stack: the cascade must not recurse ---- */
#define CHAIN_LEN   1800            /* 1800 CNodes of 16 KiB = 28.1 MiB of fx.ram */
#define SMALL_STACK (32 * 1024)     /* a recursive delete would need far more */

static ucontext_t main_ctx, small_ctx;
static errval_t chain_result;

static void delete_chain_head(void)
{
    chain_result = caps_delete(fx_slot(1, 0));
}

static void test_delete_deep_cnode_chain_small_stack(void)
{
    struct cte *holder = fx.cn[1];
    cslot_t slot = 0;
    void *stack = malloc(SMALL_STACK);

    for (unsigned i = 0; i < CHAIN_LEN; i++) {
        ASSERT_OK(caps_retype(fx.ram, ObjType_L2CNode, i * OBJSIZE_L2CNODE,
                              OBJSIZE_L2CNODE, 1, holder, slot));
        holder = cnode_slot(holder, slot);       /* the new CNode's cap */
        slot = 0;
    }
    ASSERT_LIVE(CHAIN_LEN);
    CU_ASSERT_PTR_NOT_NULL_FATAL(stack);
    getcontext(&small_ctx);
    small_ctx.uc_stack.ss_sp = stack;
    small_ctx.uc_stack.ss_size = SMALL_STACK;
    small_ctx.uc_link = &main_ctx;
    makecontext(&small_ctx, delete_chain_head, 0);
    chain_result = SYS_ERR_ILLEGAL_SYSCALL;
    swapcontext(&main_ctx, &small_ctx);
    free(stack);
    ASSERT_OK(chain_result);
    ASSERT_LIVE(0);
    ASSERT_MDB();
}

/* ---- dispatchers ---- */
static struct dcb *new_dispatcher(cslot_t slot)
{
    ASSERT_OK(fx_retype(ObjType_Dispatcher, 0x100000, OBJSIZE_DISPATCHER, 1, 1, slot));
    return pa_to_kva(fx_slot(1, slot)->cap.base);
}

static void test_delete_dispatcher_deletes_its_slots(void)
{
    struct dcb *dcb = new_dispatcher(0);

    ASSERT_OK(caps_copy(&dcb->ctes[DCB_CTE_CSPACE], fx.root, CAP_RIGHTS_ALL, 0));
    ASSERT_OK(fx_retype(ObjType_Frame, 0, 0x1000, 1, 1, 1));
    ASSERT_OK(caps_copy(&dcb->ctes[DCB_CTE_DISPFRAME], fx_slot(1, 1), CAP_RIGHTS_ALL, 0));
    ASSERT_LIVE(4);
    ASSERT_OK(caps_delete(fx_slot(1, 0)));
    CU_ASSERT_EQUAL(fake.slot_deleted_calls, 2u);   /* the two non-empty DCB slots */
    CU_ASSERT_TRUE(cte_is_empty(&dcb->ctes[DCB_CTE_CSPACE]));
    CU_ASSERT_TRUE(cte_is_empty(&dcb->ctes[DCB_CTE_DISPFRAME]));
    CU_ASSERT_EQUAL(dcb->ctes[DCB_CTE_DISPFRAME].owner,
                    CTE_OWNER_DCB_FIRST + DCB_CTE_DISPFRAME);   /* owner survives */
    ASSERT_LIVE(1);
    ASSERT_MDB();
}

static void test_delete_dcb_slot_calls_hook_first(void)
{
    struct dcb *dcb = new_dispatcher(0);

    ASSERT_OK(caps_copy(&dcb->ctes[DCB_CTE_VSPACE], fx.cn[2], CAP_RIGHTS_ALL, 0));
    ASSERT_OK(caps_delete(&dcb->ctes[DCB_CTE_VSPACE]));
    CU_ASSERT_EQUAL(fake.slot_deleted_calls, 1u);
    CU_ASSERT_PTR_EQUAL(fake.slot_deleted[0], &dcb->ctes[DCB_CTE_VSPACE]);
    /* an ordinary slot does not call the hook */
    ASSERT_OK(caps_copy(fx_slot(1, 5), fx.cn[2], CAP_RIGHTS_ALL, 0));
    ASSERT_OK(caps_delete(fx_slot(1, 5)));
    CU_ASSERT_EQUAL(fake.slot_deleted_calls, 1u);
}

static void test_delete_cnode_inside_dispatcher(void)
{
    struct dcb *dcb = new_dispatcher(0);
    struct cte *cn = new_cnode(0, 1);

    /* the DCB holds the only cap of a CNode which holds the only DCB cap */
    ASSERT_OK(caps_copy(&dcb->ctes[DCB_CTE_CSPACE], cn, CAP_RIGHTS_ALL, 0));
    ASSERT_OK(caps_copy(cnode_slot(cn, 3), fx_slot(1, 0), CAP_RIGHTS_ALL, 0));
    ASSERT_OK(caps_delete(fx_slot(1, 0)));
    struct cte *dcb_cap_inside = cnode_slot(cn, 3);
    ASSERT_OK(caps_delete(cn));
    ASSERT_LIVE(2);     /* leaked cycle: each keeps the other alive, as designed */
    ASSERT_OK(caps_delete(dcb_cap_inside));   /* the kernel can still break it */
    ASSERT_LIVE(0);
    CU_ASSERT_TRUE(fake.slot_deleted_calls >= 1u);
    ASSERT_MDB();
}

HOST_SUITE(delete_suite, "cap delete", NULL, NULL, fx_setup,
           HOST_TEST(test_delete_copy_then_last),
           HOST_TEST(test_delete_parent_keeps_children),
           HOST_TEST(test_delete_cnode_deletes_contents),
           HOST_TEST(test_delete_cnode_holding_its_own_cap),
           HOST_TEST(test_delete_cnode_holding_other_cnode),
           HOST_TEST(test_delete_deep_cnode_chain_small_stack),
           HOST_TEST(test_delete_dispatcher_deletes_its_slots),
           HOST_TEST(test_delete_dcb_slot_calls_hook_first),
           HOST_TEST(test_delete_cnode_inside_dispatcher))
