/*
 * SYS_BOUNDED_: how long the kernel keeps interrupts masked (docs/safety.md,
 * rule 9). Each case builds something as big as a domain could, makes the
 * one call that used to hold the kernel for milliseconds, and reads the
 * kernel's own record of its longest masked stretch
 * (KERNELCMD_DEBUG_MASKED): it must stay under KERNEL_MASKED_GOAL_TICKS,
 * 100 us of virtual time. Run by `kernel-bounds` in the `bounds` suite,
 * under -icount shift=0, where one tick is exactly 16 instructions.
 */
#include "testing.h"

#include <stdio.h>
#include <aos/syscalls.h>

static uint32_t worst_of_group;         /* the largest stretch since the group began */

/* Start a measurement; what was measured since the last one (building
 * the case, the cleanup after the last) counts for the group. */
static void masked_reset(void)
{
    uint32_t ticks = 0, what;

    kernel_debug_masked(CAP_KERNEL, true, &ticks, &what);
    if (ticks >= KERNEL_MASKED_GOAL_TICKS) {
        printf("bounds: a stretch of %lu ticks outside the measured calls, by 0x%08lx\n",
               (unsigned long)ticks, (unsigned long)what);
    }
    worst_of_group = ticks > worst_of_group ? ticks : worst_of_group;
}

/* The longest masked stretch since masked_reset(), checked and reported. */
#define EXPECT_BOUNDED(what_) do {                                          \
        uint32_t t_, w_;                                                    \
        EXPECT_OK(kernel_debug_masked(CAP_KERNEL, false, &t_, &w_));        \
        printf("bounds: %s: longest masked %lu ticks (%lu instructions), by 0x%08lx\n", \
               (what_), (unsigned long)t_, (unsigned long)t_ * 16, (unsigned long)w_); \
        worst_of_group = t_ > worst_of_group ? t_ : worst_of_group;         \
        EXPECT(t_ < KERNEL_MASKED_GOAL_TICKS,                               \
               "%s held the kernel %lu ticks (goal < %lu)", (what_),        \
               (unsigned long)t_, (unsigned long)KERNEL_MASKED_GOAL_TICKS); \
    } while (0)

#define TREE_SLOT  ROOTCN_FREE_SLOTS
#define TREE_CHILD(i) CPTR(TREE_SLOT, (i))

/*
 * A tree of 65,536 copies of one frame: an L2 CNode in a root slot (its
 * only cap) holding the only caps of 256 L2 CNodes, each full of copies.
 */
static errval_t build_copy_tree(capaddr_t *frame)
{
    errval_t err = scratch_object(ObjType_Frame, BASE_PAGE_SIZE, frame);

    if (err_is_ok(err)) {
        err = cap_retype(SCRATCH_RAM, ObjType_L2CNode,
                         scratch_offset(OBJSIZE_L2CNODE, OBJSIZE_L2CNODE), OBJSIZE_L2CNODE, 1,
                         CAP_ROOTCN, TREE_SLOT);
    }
    if (err_is_ok(err)) {
        err = cap_retype(SCRATCH_RAM, ObjType_L2CNode,
                         scratch_offset(L2_CNODE_SLOTS * OBJSIZE_L2CNODE, OBJSIZE_L2CNODE),
                         OBJSIZE_L2CNODE, L2_CNODE_SLOTS, ROOT_SLOT(TREE_SLOT), 0);
    }
    for (cslot_t c = 0; c < L2_CNODE_SLOTS && err_is_ok(err); c++) {
        for (cslot_t i = 0; i < L2_CNODE_SLOTS && err_is_ok(err); i++) {
            err = cap_copy(TREE_CHILD(c), i, *frame);
        }
    }
    return err;
}

/* Deleting the one cap that heads 65,536 copies (41.7 ms in one system
 * call before: now a zombie reaped in bounded steps). */
static void delete_copy_tree(void)
{
    uint32_t before = capcount();
    capaddr_t frame;

    EXPECT_OK(build_copy_tree(&frame));
    EXPECT_EQ("caps in the tree", capcount(), before + 1 + 1 + 256 + 65536);
    masked_reset();
    EXPECT_OK(cap_delete(ROOT_SLOT(TREE_SLOT)));
    EXPECT_BOUNDED("delete of a tree of 65,536 copies");
    EXPECT_EQ("caps after", capcount(), before + 1);
}

/* Revoking a frame with 65,536 copies. */
static void revoke_copies(void)
{
    uint32_t before = capcount();
    capaddr_t frame;

    EXPECT_OK(build_copy_tree(&frame));
    masked_reset();
    EXPECT_OK(cap_revoke(frame));
    EXPECT_BOUNDED("revoke of 65,536 copies");
    EXPECT_EQ("caps after", capcount(), before + 1 + 1 + 256);
}

/* Retyping a 64 MiB frame and a 65,536-slot L1 CNode (4 MiB): zeroing in
 * paused steps (11.6 ms for 256 MiB in one call before). */
static void retype_big_objects(void)
{
    capaddr_t frame, cnode;
    struct capability_info ci;

    masked_reset();
    EXPECT_OK(scratch_object(ObjType_Frame, 64u << 20, &frame));
    EXPECT_OK(scratch_object(ObjType_L1CNode, L1_CNODE_MAX_SLOTS * CTE_SIZE, &cnode));
    EXPECT_BOUNDED("retype of a 64 MiB frame and a 4 MiB CNode");
    EXPECT_OK(cap_identify(frame, &ci));
    EXPECT_EQ("frame type", ci.type, ObjType_Frame);
    EXPECT_EQ("frame size", ci.size, 64u << 20);
}

/* 16,384 endpoints from one RAM cap: every further retype from it is
 * bounded by the walk limit and the high-water mark. */
static void retype_beside_long_run(void)
{
    capaddr_t ram;
    gensize_t off = scratch_offset(2u << 20, 2u << 20);
    cslot_t ram_slot = scratch_slot(), above = scratch_slot(), below = scratch_slot();

    EXPECT_OK(cap_retype(SCRATCH_RAM, ObjType_RAM, off, 2u << 20, 1, SCRATCH_CNODE, ram_slot));
    ram = SCRATCH(ram_slot);
    for (int n = 0; n < 64; n++) {
        EXPECT_OK(cap_retype(SCRATCH_RAM, ObjType_L2CNode,
                             scratch_offset(OBJSIZE_L2CNODE, OBJSIZE_L2CNODE), OBJSIZE_L2CNODE,
                             1, CAP_ROOTCN, TREE_SLOT + n));
    }
    masked_reset();
    for (int n = 0; n < 64; n++) {
        EXPECT_OK(cap_retype(ram, ObjType_Endpoint, n * L2_CNODE_SLOTS * OBJSIZE_ENDPOINT,
                             OBJSIZE_ENDPOINT, L2_CNODE_SLOTS, ROOT_SLOT(TREE_SLOT + n), 0));
    }
    EXPECT_OK(cap_retype(ram, ObjType_Endpoint, 1u << 20, OBJSIZE_ENDPOINT, 1,
                         SCRATCH_CNODE, above));
    EXPECT_OK(cap_delete(CPTR(TREE_SLOT, 5)));     /* a hole below the mark */
    EXPECT_ERR(cap_retype(ram, ObjType_Endpoint, 5 * OBJSIZE_ENDPOINT, OBJSIZE_ENDPOINT, 1,
                          SCRATCH_CNODE, below), SYS_ERR_RETYPE_RUN_TOO_LONG);
    EXPECT_BOUNDED("retypes beside 16,384 descendants");
    masked_reset();
    EXPECT_OK(cap_revoke(ram));
    EXPECT_BOUNDED("revoke of 16,384 endpoints");
}

/* A dispatcher with 16,384 endpoints bound to it, destroyed: the
 * endpoints are unbound a step at a time. */
static void destroy_dispatcher_with_endpoints(void)
{
    capaddr_t disp;

    EXPECT_OK(scratch_object(ObjType_Dispatcher, OBJSIZE_DISPATCHER, &disp));
    for (int n = 0; n < 64; n++) {
        EXPECT_OK(cap_retype(SCRATCH_RAM, ObjType_L2CNode,
                             scratch_offset(OBJSIZE_L2CNODE, OBJSIZE_L2CNODE), OBJSIZE_L2CNODE,
                             1, CAP_ROOTCN, TREE_SLOT + n));
        EXPECT_OK(cap_retype(SCRATCH_RAM, ObjType_Endpoint,
                             scratch_offset(L2_CNODE_SLOTS * OBJSIZE_ENDPOINT, OBJSIZE_ENDPOINT),
                             OBJSIZE_ENDPOINT, L2_CNODE_SLOTS, ROOT_SLOT(TREE_SLOT + n), 0));
        for (cslot_t i = 0; i < L2_CNODE_SLOTS; i++) {
            EXPECT_OK(ep_bind(CPTR(TREE_SLOT + n, i), disp));
        }
    }
    masked_reset();
    EXPECT_OK(cap_delete(disp));
    EXPECT_BOUNDED("destroying a dispatcher with 16,384 endpoints bound");
}

/* An L1 page table with 2,048 L2 tables mapped, deleted: the entries are
 * cleared and the TLB flushed once, not 2,048 times. */
static void delete_l1_with_tables(void)
{
    capaddr_t l1;

    EXPECT_OK(scratch_object(ObjType_VNode_L1, OBJSIZE_VNODE_L1, &l1));
    for (int n = 0; n < 8; n++) {
        EXPECT_OK(cap_retype(SCRATCH_RAM, ObjType_L2CNode,
                             scratch_offset(OBJSIZE_L2CNODE, OBJSIZE_L2CNODE), OBJSIZE_L2CNODE,
                             1, CAP_ROOTCN, TREE_SLOT + n));
        EXPECT_OK(cap_retype(SCRATCH_RAM, ObjType_VNode_L2,
                             scratch_offset(L2_CNODE_SLOTS * OBJSIZE_VNODE_L2, OBJSIZE_VNODE_L2),
                             OBJSIZE_VNODE_L2, L2_CNODE_SLOTS, ROOT_SLOT(TREE_SLOT + n), 0));
        for (cslot_t i = 0; i < L2_CNODE_SLOTS; i++) {
            EXPECT_OK(vnode_map(l1, CPTR(TREE_SLOT + n, i), n * L2_CNODE_SLOTS + i,
                                VREGION_FLAGS_READ_WRITE, 0, 1));
        }
    }
    masked_reset();
    EXPECT_OK(cap_delete(l1));
    EXPECT_BOUNDED("deleting an L1 table with 2,048 tables mapped");
}

/* 2,048 dispatchers that cannot run, killed back to back. */
static void kill_many(void)
{
    masked_reset();
    many_unrunnable_dispatchers();
    EXPECT_BOUNDED("killing 2,048 dispatchers");
}

/* Over the whole group, building included: no stretch past the goal. */
static void worst_overall(void)
{
    masked_reset();
    EXPECT(worst_of_group < KERNEL_MASKED_GOAL_TICKS, "worst stretch %lu ticks",
           (unsigned long)worst_of_group);
    printf("bounds: worst stretch of the group: %lu ticks (%lu instructions)\n",
           (unsigned long)worst_of_group, (unsigned long)worst_of_group * 16);
}

const struct test_case bounds_tests[] = {
    { "SYS_BOUNDED_DELETE_COPY_TREE", delete_copy_tree },
    { "SYS_BOUNDED_REVOKE_COPIES", revoke_copies },
    { "SYS_BOUNDED_RETYPE_BIG_OBJECTS", retype_big_objects },
    { "SYS_BOUNDED_RETYPE_BESIDE_LONG_RUN", retype_beside_long_run },
    { "SYS_BOUNDED_DESTROY_DISPATCHER_ENDPOINTS", destroy_dispatcher_with_endpoints },
    { "SYS_BOUNDED_DELETE_L1_WITH_TABLES", delete_l1_with_tables },
    { "SYS_BOUNDED_KILL_MANY", kill_many },
    { "SYS_BOUNDED_WORST_OVERALL", worst_overall },
    TEST_CASES_END
};
