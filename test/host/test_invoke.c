/*
 * SYS_INVOKE decoding: registers to arguments, generic and per-type
 * commands, forwarding to the dispatcher and kernel-cap handlers, results.
 */
#include "host_suite.h"
#include "cap_fixture.h"
#include <arch/pte.h>

static void test_identify(void)
{
    struct arch_registers regs;

    ASSERT_OK(fx_invoke(FX_RAM_CPTR, CAPCMD_IDENTIFY, 0, 0, 0, 0, 0, &regs));
    CU_ASSERT_EQUAL(IDENTIFY_TYPE(regs.r[1]), ObjType_RAM);
    CU_ASSERT_EQUAL(IDENTIFY_RIGHTS(regs.r[1]), CAP_RIGHTS_ALL);
    CU_ASSERT_EQUAL(regs.r[1], ObjType_RAM | (CAP_RIGHTS_ALL << 8));
    CU_ASSERT_EQUAL(regs.r[2], FX_RAM_PA);
    CU_ASSERT_EQUAL(regs.r[3], FX_RAM_SIZE);
    ASSERT_OK(fx_invoke(CPTR_L1_SLOT | 2, CAPCMD_IDENTIFY, 0, 0, 0, 0, 0, &regs));
    CU_ASSERT_EQUAL(IDENTIFY_TYPE(regs.r[1]), ObjType_L2CNode);
    CU_ASSERT_EQUAL(regs.r[2], FX_CN_PA(2));
}

static void test_lookup_errors_propagate(void)
{
    ASSERT_ERR(fx_invoke(CPTR(1, 1), CAPCMD_IDENTIFY, 0, 0, 0, 0, 0, NULL), SYS_ERR_SLOT_EMPTY);
    ASSERT_ERR(fx_invoke(CPTR(9, 1), CAPCMD_IDENTIFY, 0, 0, 0, 0, 0, NULL),
               SYS_ERR_L2_CNODE_NOT_FOUND);
    ASSERT_ERR(fx_invoke(CPTR(300, 1), CAPCMD_DELETE, 0, 0, 0, 0, 0, NULL),
               SYS_ERR_L1_INDEX_OUT_OF_RANGE);
}

static void test_retype_copy_delete_revoke(void)
{
    struct arch_registers regs;

    ASSERT_OK(fx_invoke(FX_RAM_CPTR, RAMCMD_RETYPE, RETYPE_ARG_TYPE_COUNT(ObjType_Frame, 3),
                        0x2000, 0x1000, CPTR_L1_SLOT | 1, 40, NULL));
    ASSERT_OK(fx_invoke(CPTR(1, 41), CAPCMD_IDENTIFY, 0, 0, 0, 0, 0, &regs));
    CU_ASSERT_EQUAL(IDENTIFY_TYPE(regs.r[1]), ObjType_Frame);
    CU_ASSERT_EQUAL(regs.r[2], FX_RAM_PA + 0x3000);
    ASSERT_LIVE(3);
    ASSERT_ERR(fx_invoke(FX_RAM_CPTR, RAMCMD_RETYPE, RETYPE_ARG_TYPE_COUNT(ObjType_Frame, 1),
                         0x2000, 0x1000, CPTR_L1_SLOT | 1, 50, NULL), SYS_ERR_RETYPE_OVERLAP);
    ASSERT_ERR(fx_invoke(FX_RAM_CPTR, RAMCMD_RETYPE, RETYPE_ARG_TYPE_COUNT(ObjType_Frame, 1),
                         0x8000, 0x1000, CPTR(1, 40), 50, NULL), SYS_ERR_DEST_NOT_CNODE);
    ASSERT_OK(fx_invoke(CPTR(1, 40), CAPCMD_COPY, CPTR_L1_SLOT | 2, 0, 0, 0, 0, NULL));
    ASSERT_OK(fx_invoke(CPTR(2, 0), CAPCMD_DELETE, 0, 0, 0, 0, 0, NULL));
    CU_ASSERT_TRUE(cte_is_empty(fx_slot(2, 0)));
    ASSERT_OK(fx_invoke(FX_RAM_CPTR, CAPCMD_REVOKE, 0, 0, 0, 0, 0, NULL));
    ASSERT_LIVE(0);
    /* delete an L2 CNode cap out of the root */
    ASSERT_OK(fx_invoke(CPTR_L1_SLOT | 3, CAPCMD_DELETE, 0, 0, 0, 0, 0, NULL));
    ASSERT_ERR(fx_invoke(CPTR(3, 0), CAPCMD_IDENTIFY, 0, 0, 0, 0, 0, NULL),
               SYS_ERR_L2_CNODE_NOT_FOUND);
    ASSERT_MDB();
}

static void test_vnode_commands(void)
{
    pte_t *e;

    ASSERT_OK(fx_invoke(FX_RAM_CPTR, RAMCMD_RETYPE,
                        RETYPE_ARG_TYPE_COUNT(ObjType_VNode_L2, 1), 0, OBJSIZE_VNODE_L2,
                        CPTR_L1_SLOT | 1, 0, NULL));
    ASSERT_OK(fx_invoke(FX_RAM_CPTR, RAMCMD_RETYPE, RETYPE_ARG_TYPE_COUNT(ObjType_Frame, 1),
                        0x1000, 0x2000, CPTR_L1_SLOT | 1, 1, NULL));
    e = pa_to_kva(fx_slot(1, 0)->cap.base);
    /* a1 = frame, a2 = entry, a3 = flags, a4 = offset, a5 = count */
    ASSERT_OK(fx_invoke(CPTR(1, 0), VNODECMD_MAP, CPTR(1, 1), 9, VREGION_FLAGS_READ_WRITE,
                        1, 1, NULL));
    CU_ASSERT_EQUAL(e[9], pte_l2_user_page(FX_RAM_PA + 0x2000, VREGION_FLAGS_READ_WRITE,
                                          false));
    ASSERT_OK(fx_invoke(CPTR(1, 0), VNODECMD_MODIFY, CPTR(1, 1), VREGION_FLAGS_READ,
                        0, 0, 0, NULL));
    CU_ASSERT_FALSE(pte_l2_user_writable(e[9]));
    CU_ASSERT_TRUE(pte_l2_user_readable(e[9]));
    ASSERT_ERR(fx_invoke(CPTR(1, 0), VNODECMD_MAP, CPTR(1, 7), 9, VREGION_FLAGS_READ, 0, 1,
                         NULL), SYS_ERR_SLOT_EMPTY);
    ASSERT_OK(fx_invoke(CPTR(1, 0), VNODECMD_UNMAP, CPTR(1, 1), 0, 0, 0, 0, NULL));
    CU_ASSERT_EQUAL(e[9], 0u);
    ASSERT_ERR(fx_invoke(CPTR(1, 0), VNODECMD_UNMAP, CPTR(1, 1), 0, 0, 0, 0, NULL),
               SYS_ERR_NOT_MAPPED);
}

static void test_illegal_commands(void)
{
    static const uint32_t generic_gaps[] = { 0, CAPCMD_REVOKE + 1, CAPCMD_TYPE_BASE - 1 };

    ASSERT_OK(fx_retype(ObjType_Frame, 0, 0x1000, 1, 1, 0));
    ASSERT_OK(fx_retype(ObjType_VNode_L2, 0x1000, OBJSIZE_VNODE_L2, 1, 1, 1));
    ASSERT_OK(fx_retype(ObjType_Endpoint, 0x1400, OBJSIZE_ENDPOINT, 1, 1, 2));
    fx_snapshot();
    for (unsigned i = 0; i < 3; i++) {
        ASSERT_ERR(fx_invoke(FX_RAM_CPTR, generic_gaps[i], 0, 0, 0, 0, 0, NULL),
                   SYS_ERR_ILLEGAL_INVOCATION);
    }
    ASSERT_ERR(fx_invoke(CPTR(1, 0), CAPCMD_TYPE_BASE, 0, 0, 0, 0, 0, NULL),
               SYS_ERR_ILLEGAL_INVOCATION);     /* Frame: no commands */
    ASSERT_ERR(fx_invoke(CPTR(1, 2), EPCMD_BIND + 1, 0, 0, 0, 0, 0, NULL),
               SYS_ERR_ILLEGAL_INVOCATION);     /* Endpoint: only BIND */
    ASSERT_ERR(fx_invoke(CPTR_L1_SLOT | 1, CAPCMD_TYPE_BASE, 0, 0, 0, 0, 0, NULL),
               SYS_ERR_ILLEGAL_INVOCATION);     /* CNode */
    ASSERT_ERR(fx_invoke(FX_RAM_CPTR, RAMCMD_RETYPE + 1, 0, 0, 0, 0, 0, NULL),
               SYS_ERR_ILLEGAL_INVOCATION);
    ASSERT_ERR(fx_invoke(CPTR(1, 1), VNODECMD_MODIFY + 1, CPTR(1, 0), 0, 0, 0, 0, NULL),
               SYS_ERR_ILLEGAL_INVOCATION);
    ASSERT_ERR(fx_invoke(CPTR(1, 1), 0xffffffffu, CPTR(1, 0), 0, 0, 0, 0, NULL),
               SYS_ERR_ILLEGAL_INVOCATION);
    CU_ASSERT_TRUE(fx_unchanged());
}

static void test_dispatcher_and_kernel_forwarding(void)
{
    struct arch_registers regs;

    ASSERT_OK(fx_retype(ObjType_Dispatcher, 0, OBJSIZE_DISPATCHER, 1, 1, 0));
    ASSERT_OK(caps_create_boot(fx_slot(1, 1), ObjType_Kernel, 0, 0, CAP_RIGHTS_ALL));
    ASSERT_ERR(fx_invoke(CPTR(1, 0), DISPCMD_START, 11, 22, 33, 44, 55, NULL),
               FAKE_DISPATCHER_RESULT);
    CU_ASSERT_EQUAL(fake.disp_invokes, 1u);
    CU_ASSERT_PTR_EQUAL(fake.last_invoked, fx_slot(1, 0));
    CU_ASSERT_EQUAL(fake.last_cmd, DISPCMD_START);
    CU_ASSERT_EQUAL(fake.last_args[0], 11u);
    CU_ASSERT_EQUAL(fake.last_args[4], 55u);
    ASSERT_OK(fx_invoke(CPTR(1, 1), KERNELCMD_DEBUG_CAPCOUNT, 5, 0, 0, 0, 0, &regs));
    CU_ASSERT_EQUAL(fake.kernel_invokes, 1u);
    CU_ASSERT_EQUAL(fake.last_args[0], 5u);
    CU_ASSERT_EQUAL(regs.r[1], FAKE_KERNELCAP_R1);
    /* generic commands on them stay in the cap layer */
    ASSERT_OK(fx_invoke(CPTR(1, 0), CAPCMD_IDENTIFY, 0, 0, 0, 0, 0, &regs));
    CU_ASSERT_EQUAL(IDENTIFY_TYPE(regs.r[1]), ObjType_Dispatcher);
    CU_ASSERT_EQUAL(fake.disp_invokes, 1u);
}

static void test_count_live(void)
{
    uint32_t before = caps_count_live();

    CU_ASSERT_EQUAL(before, 1u + FX_NUM_CN + 1u);   /* root, L2 CNodes, RAM */
    ASSERT_OK(fx_retype(ObjType_Frame, 0, 0x1000, 10, 1, 0));
    CU_ASSERT_EQUAL(caps_count_live(), before + 10);
    ASSERT_OK(caps_revoke(fx.ram));
    CU_ASSERT_EQUAL(caps_count_live(), before);
}

HOST_SUITE(invoke_suite, "sys_invoke decoding", NULL, NULL, fx_setup,
           HOST_TEST(test_identify),
           HOST_TEST(test_lookup_errors_propagate),
           HOST_TEST(test_retype_copy_delete_revoke),
           HOST_TEST(test_vnode_commands),
           HOST_TEST(test_illegal_commands),
           HOST_TEST(test_dispatcher_and_kernel_forwarding),
           HOST_TEST(test_count_live))
