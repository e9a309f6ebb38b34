/*
 * Deleting and revoking in bounded steps (kernel/cap/delete.c, rule 9):
 * the fake budget (fake.preempt_every) pauses the operation after every
 * step, or every few; the caller makes the same call again until it is
 * done, as trap_syscall does. After every pause the MDB must be sound, the
 * unfinished object must be a zombie nothing else can use, and in the end
 * everything must be exactly as after an uninterrupted delete.
 */
#include "host_suite.h"
#include "cap_fixture.h"
#include <kernel/dispatcher.h>
#include <kernel/cnode.h>

/* Call `op` on `cte` until it is not paused; returns the calls made. */
static unsigned until_done(errval_t (*op)(struct cte *), struct cte *cte, errval_t *last)
{
    unsigned calls = 0;
    errval_t err;

    do {
        err = op(cte);
        calls++;
        if (calls % 16 == 1) {
            CU_ASSERT_PTR_NULL(mdb_check_invariants());   /* quadratic: now and then */
        }
    } while (err_no(err) == SYS_ERR_RESTART && calls < 100000);
    *last = err;
    return calls;
}

/*
 * A tree whose only root cap is fx_slot(1, 0): the root CNode holds the
 * only caps of 8 child CNodes, each child 12 copies of a frame (whose
 * original stays in fx_slot(2, 0)), and the last child also a grandchild
 * CNode holding the only cap of a frame. Returns the caps the tree holds,
 * its root cap included.
 */
#define CHILDREN 8
#define COPIES   12

static uint32_t build_tree(struct cte **root_out)
{
    struct cte *root, *frame = fx_slot(2, 0);
    uint32_t caps = 1;

    ASSERT_OK(fx_retype(ObjType_Frame, 0, 0x1000, 1, 2, 0));
    ASSERT_OK(fx_retype(ObjType_L2CNode, 0x10000, OBJSIZE_L2CNODE, 1, 1, 0));
    root = fx_slot(1, 0);
    ASSERT_OK(caps_retype(fx.ram, ObjType_L2CNode, 0x20000, OBJSIZE_L2CNODE, CHILDREN,
                          root, 0));
    caps += CHILDREN;
    for (int c = 0; c < CHILDREN; c++) {
        struct cte *child = cnode_slot(root, c);
        for (int i = 0; i < COPIES; i++) {
            ASSERT_OK(caps_copy(cnode_slot(child, i), frame, CAP_RIGHTS_ALL, 0));
        }
        caps += COPIES;
    }
    /* a grandchild CNode in the last child, and a frame only it holds */
    ASSERT_OK(caps_retype(fx.ram, ObjType_L2CNode, 0x200000, OBJSIZE_L2CNODE, 1,
                          cnode_slot(root, CHILDREN - 1), 100));
    ASSERT_OK(caps_retype(fx.ram, ObjType_Frame, 0x300000, 0x1000, 1,
                          cnode_slot(cnode_slot(root, CHILDREN - 1), 100), 7));
    caps += 2;
    *root_out = root;
    return caps;
}

static void delete_tree_pausing_every(unsigned every)
{
    struct cte *root;
    uint32_t caps = build_tree(&root);
    uint32_t live = caps_count_live();
    errval_t err;
    unsigned calls;

    fake.preempt_every = every;
    calls = until_done(caps_delete, root, &err);
    ASSERT_OK(err);
    CU_ASSERT_TRUE(cte_is_empty(root));
    CU_ASSERT_EQUAL(caps_count_live(), live - caps);
    if (every == 1) {
        CU_ASSERT_TRUE(calls >= caps);   /* one step per call */
    }
    /* the memory is free again: the whole range retypes */
    fake.preempt_every = 0;
    ASSERT_OK(caps_retype(fx.ram, ObjType_Frame, 0x10000, 0x300000 - 0x10000 + 0x10000, 1,
                          fx.cn[3], 0));
}

static void test_delete_tree_pausing_every_step(void) { delete_tree_pausing_every(1); }
static void test_delete_tree_pausing_every_3(void) { delete_tree_pausing_every(3); }
static void test_delete_tree_pausing_every_17(void) { delete_tree_pausing_every(17); }

/* While paused, the zombie is no CNode: no copy, no lookup through it, no
 * retype over it or over anything it still holds. */
static void test_zombie_while_paused(void)
{
    struct cte *root, *dest;
    errval_t err;

    build_tree(&root);
    fake.preempt_every = 5;
    err = caps_delete(root);
    CU_ASSERT_EQUAL(err_no(err), SYS_ERR_RESTART);
    CU_ASSERT_EQUAL(root->cap.type, ObjType_Zombie);
    CU_ASSERT_EQUAL(root->cap.flags, ObjType_L2CNode);
    fake.preempt_every = 0;
    ASSERT_ERR(caps_copy(fx_slot(3, 0), root, CAP_RIGHTS_ALL, 0), SYS_ERR_NOT_COPYABLE);
    ASSERT_ERR(caps_retype(fx.ram, ObjType_Frame, 0x10000, 0x1000, 1, fx.cn[3], 0),
               SYS_ERR_RETYPE_OVERLAP);             /* the root CNode's memory */
    ASSERT_ERR(caps_retype(fx.ram, ObjType_Frame, 0x20000 + OBJSIZE_L2CNODE * (CHILDREN - 1),
                           0x1000, 1, fx.cn[3], 0), SYS_ERR_RETYPE_OVERLAP);  /* a child's */
    ASSERT_ERR(cnode_check_dest(root, 0, 1, ObjType_Frame), SYS_ERR_DEST_NOT_CNODE);
    ASSERT_OK(caps_lookup_slot(fx.root, CPTR(1, 0), &dest));
    CU_ASSERT_PTR_EQUAL(dest, root);
    /* finishing it: the same call */
    ASSERT_OK(caps_delete(root));
    CU_ASSERT_TRUE(cte_is_empty(root));
    ASSERT_MDB();
}

/* A paused delete is finished by revoking the RAM the tree came from: the
 * zombie is a descendant like any other. */
static void test_paused_delete_finished_by_revoke(void)
{
    struct cte *root;
    errval_t err;

    build_tree(&root);
    fake.preempt_every = 4;
    CU_ASSERT_EQUAL(err_no(caps_delete(root)), SYS_ERR_RESTART);
    until_done(caps_revoke, fx.ram, &err);
    ASSERT_OK(err);
    CU_ASSERT_TRUE(cte_is_empty(root));
    CU_ASSERT_PTR_NULL(mdb_first_descendant(fx.ram));
    ASSERT_MDB();
}

/* Revoking 1,200 copies (and the CNodes' RAM), pausing every 7 steps. */
static void test_revoke_pausing(void)
{
    struct cte *frame = fx_slot(2, 0);
    errval_t err;

    ASSERT_OK(fx_retype(ObjType_Frame, 0, 0x1000, 1, 2, 0));
    ASSERT_OK(caps_retype(fx.ram, ObjType_L2CNode, 0x10000, OBJSIZE_L2CNODE, 12,
                          fx.cn[1], 0));
    for (int c = 0; c < 12; c++) {
        for (cslot_t i = 0; i < 100; i++) {
            ASSERT_OK(caps_copy(cnode_slot(fx_slot(1, c), i), frame, CAP_RIGHTS_ALL, 0));
        }
    }
    fake.preempt_every = 7;
    CU_ASSERT_TRUE(until_done(caps_revoke, frame, &err) > 1200 / 7);
    ASSERT_OK(err);
    for (int c = 0; c < 12; c++) {
        CU_ASSERT_TRUE(cte_is_empty(cnode_slot(fx_slot(1, c), 0)));
    }
    until_done(caps_revoke, fx.ram, &err);
    ASSERT_OK(err);
    ASSERT_LIVE(0);
}

/* The cycle of test_delete_cnode_inside_dispatcher, paused at every step:
 * the DCB holds the CNode's only cap and the CNode the DCB's. */
static void test_cycle_pausing(void)
{
    struct cte *dcb_cap = fx_slot(1, 10), *cn = fx_slot(1, 1);
    struct dcb *dcb;
    errval_t err;

    ASSERT_OK(fx_retype(ObjType_Dispatcher, 0x8000, OBJSIZE_DISPATCHER, 1, 1, 10));
    dcb = pa_to_kva(dcb_cap->cap.base);
    ASSERT_OK(fx_retype(ObjType_L2CNode, 0x10000, OBJSIZE_L2CNODE, 1, 1, 1));
    ASSERT_OK(caps_copy(&dcb->ctes[DCB_CTE_CSPACE], cn, CAP_RIGHTS_ALL, 0));
    ASSERT_OK(caps_copy(cnode_slot(cn, 3), dcb_cap, CAP_RIGHTS_ALL, 0));
    ASSERT_OK(caps_delete(dcb_cap));
    ASSERT_OK(caps_delete(cn));
    ASSERT_LIVE(2);
    fake.preempt_every = 1;
    until_done(caps_delete, cnode_slot(&dcb->ctes[DCB_CTE_CSPACE], 3), &err);
    ASSERT_OK(err);
    ASSERT_LIVE(0);
    CU_ASSERT_EQUAL(fake.dcbs_destroyed, 1u);
}

HOST_SUITE(bounded_delete_suite, "cap delete and revoke in bounded steps", NULL, NULL,
           fx_setup,
           HOST_TEST(test_delete_tree_pausing_every_step),
           HOST_TEST(test_delete_tree_pausing_every_3),
           HOST_TEST(test_delete_tree_pausing_every_17),
           HOST_TEST(test_zombie_while_paused),
           HOST_TEST(test_paused_delete_finished_by_revoke),
           HOST_TEST(test_revoke_pausing),
           HOST_TEST(test_cycle_pausing))
