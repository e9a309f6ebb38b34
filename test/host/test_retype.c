/*
 * Retype of RAM: every creatable type, placement and zeroing, the MDB
 * position of the children, and every error, each of which must leave the
 * whole system unchanged.
 */
#include "host_suite.h"
#include "cap_fixture.h"
#include <kernel/dispatcher.h>
#include <string.h>

static void fill_ram(uint32_t offset, uint32_t size, int byte)
{
    memset(pa_to_kva(FX_RAM_PA + offset), byte, size);
}

static bool ram_is(uint32_t offset, uint32_t size, unsigned char byte)
{
    const unsigned char *p = pa_to_kva(FX_RAM_PA + offset);
    for (uint32_t i = 0; i < size; i++) {
        if (p[i] != byte) {
            return false;
        }
    }
    return true;
}

static void test_retype_frames(void)
{
    fill_ram(0, 0x10000, 0xa5);
    ASSERT_OK(fx_retype(ObjType_Frame, 0x4000, BASE_PAGE_SIZE, 4, 1, 10));
    for (unsigned i = 0; i < 4; i++) {
        struct cte *f = fx_slot(1, 10 + i);
        CU_ASSERT_EQUAL(f->cap.type, ObjType_Frame);
        CU_ASSERT_EQUAL(f->cap.base, FX_RAM_PA + 0x4000 + i * BASE_PAGE_SIZE);
        CU_ASSERT_EQUAL(f->cap.size, BASE_PAGE_SIZE);
        CU_ASSERT_EQUAL(f->cap.rights, CAP_RIGHTS_ALL);
    }
    CU_ASSERT_TRUE(ram_is(0x4000, 0x4000, 0));      /* frames zeroed */
    CU_ASSERT_TRUE(ram_is(0, 0x4000, 0xa5));        /* nothing else touched */
    CU_ASSERT_TRUE(ram_is(0x8000, 0x8000, 0xa5));
    CU_ASSERT_TRUE(cte_is_empty(fx_slot(1, 14)));
    ASSERT_LIVE(4);
    ASSERT_MDB();
    /* children follow their source in the MDB, in slot order */
    CU_ASSERT_PTR_EQUAL(mdb_next(fx.ram), fx_slot(1, 10));
    CU_ASSERT_PTR_EQUAL(mdb_next(fx_slot(1, 12)), fx_slot(1, 13));
}

static void test_retype_every_type(void)
{
    static const struct { enum objtype type; gensize_t offset, size; } objs[] = {
        { ObjType_RAM,        0x100000, 0x100000 },
        { ObjType_Frame,      0x200000, 0x3000 },
        { ObjType_L1CNode,    0x210000, 1024 * CTE_SIZE },
        { ObjType_L2CNode,    0x220000, OBJSIZE_L2CNODE },
        { ObjType_VNode_L1,   0x224000, OBJSIZE_VNODE_L1 },
        { ObjType_VNode_L2,   0x228400, OBJSIZE_VNODE_L2 },
        { ObjType_Dispatcher, 0x228800, OBJSIZE_DISPATCHER },
        { ObjType_Endpoint,   0x228c40, OBJSIZE_ENDPOINT },
    };
    fill_ram(0, 0x300000, 0x5a);
    for (unsigned i = 0; i < sizeof(objs) / sizeof(objs[0]); i++) {
        ASSERT_OK(fx_retype(objs[i].type, objs[i].offset, objs[i].size, 1, 2, i));
        struct cte *c = fx_slot(2, i);
        CU_ASSERT_EQUAL(c->cap.type, objs[i].type);
        CU_ASSERT_EQUAL(c->cap.base, FX_RAM_PA + objs[i].offset);
        CU_ASSERT_EQUAL(c->cap.size, objs[i].size);
        /* RAM is never zeroed; every other object here is (a DCB's slots
         * are marked with their owner: test_retype_dispatcher_slot_owners) */
        gensize_t skip = objs[i].type == ObjType_Dispatcher ? DCB_NUM_CTES * CTE_SIZE : 0;
        CU_ASSERT_TRUE(ram_is(objs[i].offset + skip, objs[i].size - skip,
                              objs[i].type == ObjType_RAM ? 0x5a : 0));
    }
    ASSERT_LIVE(8);
    ASSERT_MDB();
}

static void test_retype_dispatcher_slot_owners(void)
{
    ASSERT_OK(fx_retype(ObjType_Dispatcher, 0, OBJSIZE_DISPATCHER, 2, 1, 0));
    for (unsigned d = 0; d < 2; d++) {
        struct dcb *dcb = pa_to_kva(fx_slot(1, d)->cap.base);
        for (int i = 0; i < DCB_NUM_CTES; i++) {
            CU_ASSERT_EQUAL(dcb->ctes[i].owner, CTE_OWNER_DCB_FIRST + i);
            CU_ASSERT_TRUE(cte_is_empty(&dcb->ctes[i]));
        }
    }
}

static void test_retype_nested_ram(void)
{
    struct cte *child = fx_slot(1, 0), *frame = fx_slot(1, 1);

    ASSERT_OK(fx_retype(ObjType_RAM, 0x10000, 0x10000, 1, 1, 0));
    ASSERT_OK(caps_retype(child, ObjType_Frame, 0x1000, 0x2000, 1, fx.cn[1], 1));
    CU_ASSERT_EQUAL(frame->cap.base, FX_RAM_PA + 0x11000);
    CU_ASSERT_TRUE(cap_is_descendant(&fx.ram->cap, &frame->cap));
    CU_ASSERT_TRUE(cap_is_descendant(&child->cap, &frame->cap));
    CU_ASSERT_PTR_EQUAL(mdb_first_descendant(child), frame);
    ASSERT_MDB();
    /* the parent sees the grandchild through the child: overlap refused */
    ASSERT_ERR(fx_retype(ObjType_Frame, 0x11000, 0x1000, 1, 1, 2), SYS_ERR_RETYPE_OVERLAP);
    /* the child refuses an overlap with its own child */
    ASSERT_ERR(caps_retype(child, ObjType_Frame, 0x2000, 0x1000, 1, fx.cn[1], 2),
               SYS_ERR_RETYPE_OVERLAP);
    ASSERT_OK(caps_retype(child, ObjType_Frame, 0x3000, 0x1000, 1, fx.cn[1], 2));
    ASSERT_MDB();
}

static void test_retype_into_l1_cnode(void)
{
    struct cte *slot = NULL;

    /* root slots (L1) only take L2 CNodes */
    ASSERT_OK(caps_retype(fx.ram, ObjType_L2CNode, 0, OBJSIZE_L2CNODE, 2, fx.root, 10));
    ASSERT_OK(caps_lookup_slot(fx.root, CPTR(11, 3), &slot));
    CU_ASSERT_PTR_EQUAL(slot, cnode_slot(cnode_slot(fx.root, 11), 3));
    fx_snapshot();
    ASSERT_ERR(caps_retype(fx.ram, ObjType_Frame, 0x8000, BASE_PAGE_SIZE, 1, fx.root, 20),
               SYS_ERR_L1_SLOT_TYPE);
    ASSERT_ERR(caps_retype(fx.ram, ObjType_L1CNode, 0x8000, OBJSIZE_L2CNODE, 1, fx.root, 20),
               SYS_ERR_L1_SLOT_TYPE);
    CU_ASSERT_TRUE(fx_unchanged());
}

/* Each case: the retype must fail with `code` and change nothing at all. */
struct bad_retype {
    const char *what;
    enum objtype type;
    gensize_t offset, size;
    uint32_t count;
    unsigned cn;
    cslot_t slot;
    enum errcode code;
};

static const struct bad_retype bad_retypes[] = {
    { "DevFrame",         ObjType_DevFrame, 0, 0x1000, 1, 1, 0, SYS_ERR_RETYPE_INVALID_TYPE },
    { "Kernel",           ObjType_Kernel, 0, 0, 1, 1, 0, SYS_ERR_RETYPE_INVALID_TYPE },
    { "IRQ",              ObjType_IRQ, 0, 0, 1, 1, 0, SYS_ERR_RETYPE_INVALID_TYPE },
    { "Null",             ObjType_Null, 0, 0x1000, 1, 1, 0, SYS_ERR_RETYPE_INVALID_TYPE },
    { "type 99",          (enum objtype)99, 0, 0x1000, 1, 1, 0, SYS_ERR_RETYPE_INVALID_TYPE },
    { "frame 1000 B",     ObjType_Frame, 0, 1000, 1, 1, 0, SYS_ERR_RETYPE_INVALID_SIZE },
    { "frame 0 B",        ObjType_Frame, 0, 0, 1, 1, 0, SYS_ERR_RETYPE_INVALID_SIZE },
    { "L2 CNode 8K",      ObjType_L2CNode, 0, 8192, 1, 1, 0, SYS_ERR_RETYPE_INVALID_SIZE },
    { "L1 CNode 128 sl",  ObjType_L1CNode, 0, 128 * CTE_SIZE, 1, 1, 0, SYS_ERR_RETYPE_INVALID_SIZE },
    { "L1 CNode 384 sl",  ObjType_L1CNode, 0, 384 * CTE_SIZE, 1, 1, 0, SYS_ERR_RETYPE_INVALID_SIZE },
    { "L1 CNode 128K sl", ObjType_L1CNode, 0, 131072 * CTE_SIZE, 1, 1, 0, SYS_ERR_RETYPE_INVALID_SIZE },
    { "VNode L1 1K",      ObjType_VNode_L1, 0, 1024, 1, 1, 0, SYS_ERR_RETYPE_INVALID_SIZE },
    { "VNode L2 4K",      ObjType_VNode_L2, 0, 4096, 1, 1, 0, SYS_ERR_RETYPE_INVALID_SIZE },
    { "Dispatcher 4K",    ObjType_Dispatcher, 0, 4096, 1, 1, 0, SYS_ERR_RETYPE_INVALID_SIZE },
    { "Endpoint 128",     ObjType_Endpoint, 0, 128, 1, 1, 0, SYS_ERR_RETYPE_INVALID_SIZE },
    { "RAM as big",       ObjType_RAM, 0, FX_RAM_SIZE, 1, 1, 0, SYS_ERR_RETYPE_INVALID_SIZE },
    { "count 0",          ObjType_Frame, 0, 0x1000, 0, 1, 0, SYS_ERR_RETYPE_INVALID_COUNT },
    { "frame misaligned", ObjType_Frame, 0x800, 0x1000, 1, 1, 0, SYS_ERR_RETYPE_INVALID_OFFSET },
    { "VNode L1 at 4K",   ObjType_VNode_L1, 0x1000, OBJSIZE_VNODE_L1, 1, 1, 0, SYS_ERR_RETYPE_INVALID_OFFSET },
    { "CNode at 8K",      ObjType_L2CNode, 0x2000, OBJSIZE_L2CNODE, 1, 1, 0, SYS_ERR_RETYPE_INVALID_OFFSET },
    { "VNode L2 at 512",  ObjType_VNode_L2, 0x200, OBJSIZE_VNODE_L2, 1, 1, 0, SYS_ERR_RETYPE_INVALID_OFFSET },
    { "Endpoint at 32",   ObjType_Endpoint, 0x20, OBJSIZE_ENDPOINT, 1, 1, 0, SYS_ERR_RETYPE_INVALID_OFFSET },
    { "offset past end",  ObjType_Frame, FX_RAM_SIZE, 0x1000, 1, 1, 0, SYS_ERR_RETYPE_INVALID_OFFSET },
    { "does not fit",     ObjType_Frame, FX_RAM_SIZE - 0x1000, 0x1000, 2, 1, 0, SYS_ERR_RETYPE_INVALID_COUNT },
    { "count overflow",   ObjType_Frame, 0, 0x10000000, 0xffff, 1, 0, SYS_ERR_RETYPE_INVALID_COUNT },
    { "size*count wraps", ObjType_Frame, 0x1000, 0x80000000, 2, 1, 0, SYS_ERR_RETYPE_INVALID_COUNT },
    { "slots past end",   ObjType_Frame, 0, 0x1000, 2, 1, 255, SYS_ERR_SLOT_OUT_OF_RANGE },
    { "slot 256",         ObjType_Frame, 0, 0x1000, 1, 1, 256, SYS_ERR_SLOT_OUT_OF_RANGE },
    { "dest slot in use", ObjType_Frame, 0, 0x1000, 3, 0, 0, SYS_ERR_SLOT_IN_USE },
};

static void test_retype_errors_change_nothing(void)
{
    fill_ram(0, 0x10000, 0x77);
    for (unsigned i = 0; i < sizeof(bad_retypes) / sizeof(bad_retypes[0]); i++) {
        const struct bad_retype *b = &bad_retypes[i];
        fx_snapshot();
        errval_t err = fx_retype(b->type, b->offset, b->size, b->count, b->cn, b->slot);
        if (err_no(err) != b->code) {
            fprintf(stderr, "\n  retype case '%s': got code %u, want %u\n", b->what,
                    (unsigned)err_no(err), (unsigned)b->code);
        }
        ASSERT_ERR(err, b->code);
        CU_ASSERT_TRUE(fx_unchanged());
    }
    ASSERT_LIVE(0);
}

static void test_retype_source_and_dest_errors(void)
{
    struct cte *frame = fx_slot(1, 0), *weak = fx_slot(1, 1), *ro_cn = fx_slot(1, 2);

    ASSERT_OK(fx_retype(ObjType_Frame, 0, 0x1000, 1, 1, 0));
    ASSERT_OK(caps_copy(weak, fx.ram, CAP_RIGHT_READ | CAP_RIGHT_GRANT, 0));
    ASSERT_OK(caps_copy(ro_cn, fx.cn[3], CAP_RIGHT_READ, 0));
    fx_snapshot();
    ASSERT_ERR(caps_retype(frame, ObjType_Frame, 0, 0x1000, 1, fx.cn[1], 9),
               SYS_ERR_RETYPE_NOT_RAM);
    ASSERT_ERR(caps_retype(fx_slot(1, 100), ObjType_Frame, 0, 0x1000, 1, fx.cn[1], 9),
               SYS_ERR_SLOT_EMPTY);
    ASSERT_ERR(caps_retype(weak, ObjType_Frame, 0x1000, 0x1000, 1, fx.cn[1], 9),
               SYS_ERR_NO_RIGHTS);
    ASSERT_ERR(caps_retype(fx.ram, ObjType_Frame, 0x1000, 0x1000, 1, frame, 0),
               SYS_ERR_DEST_NOT_CNODE);
    ASSERT_ERR(caps_retype(fx.ram, ObjType_Frame, 0x1000, 0x1000, 1, fx_slot(1, 100), 0),
               SYS_ERR_DEST_NOT_CNODE);
    ASSERT_ERR(caps_retype(fx.ram, ObjType_Frame, 0x1000, 0x1000, 1, ro_cn, 0),
               SYS_ERR_NO_RIGHTS);
    CU_ASSERT_TRUE(fx_unchanged());
}

static void test_retype_overlap(void)
{
    ASSERT_OK(fx_retype(ObjType_Frame, 0x4000, 0x4000, 1, 1, 0));
    fx_snapshot();
    ASSERT_ERR(fx_retype(ObjType_Frame, 0x4000, 0x1000, 1, 1, 1), SYS_ERR_RETYPE_OVERLAP);
    ASSERT_ERR(fx_retype(ObjType_Frame, 0x7000, 0x1000, 1, 1, 1), SYS_ERR_RETYPE_OVERLAP);
    ASSERT_ERR(fx_retype(ObjType_Frame, 0x0000, 0x1000, 5, 1, 1), SYS_ERR_RETYPE_OVERLAP);
    ASSERT_ERR(fx_retype(ObjType_RAM, 0, 0x10000, 1, 1, 1), SYS_ERR_RETYPE_OVERLAP);
    CU_ASSERT_TRUE(fx_unchanged());
    /* right next to it is fine */
    ASSERT_OK(fx_retype(ObjType_Frame, 0x0000, 0x1000, 4, 1, 1));
    ASSERT_OK(fx_retype(ObjType_Frame, 0x8000, 0x1000, 1, 1, 5));
    ASSERT_MDB();
}

static void test_retype_overlap_through_copy(void)
{
    struct cte *copy = fx_slot(2, 0);

    ASSERT_OK(caps_copy(copy, fx.ram, CAP_RIGHTS_ALL, 0));
    ASSERT_OK(fx_retype(ObjType_VNode_L2, 0x400, OBJSIZE_VNODE_L2, 1, 1, 0));
    /* the copy names the same memory: its retype sees the original's child */
    ASSERT_ERR(caps_retype(copy, ObjType_Frame, 0, 0x1000, 1, fx.cn[1], 1),
               SYS_ERR_RETYPE_OVERLAP);
    ASSERT_OK(caps_retype(copy, ObjType_Frame, 0x1000, 0x1000, 1, fx.cn[1], 1));
    /* and the original sees the copy's child */
    ASSERT_ERR(fx_retype(ObjType_Frame, 0x1000, 0x1000, 1, 1, 2), SYS_ERR_RETYPE_OVERLAP);
    ASSERT_MDB();
}

HOST_SUITE(retype_suite, "cap retype", NULL, NULL, fx_setup,
           HOST_TEST(test_retype_frames),
           HOST_TEST(test_retype_every_type),
           HOST_TEST(test_retype_dispatcher_slot_owners),
           HOST_TEST(test_retype_nested_ram),
           HOST_TEST(test_retype_into_l1_cnode),
           HOST_TEST(test_retype_errors_change_nothing),
           HOST_TEST(test_retype_source_and_dest_errors),
           HOST_TEST(test_retype_overlap),
           HOST_TEST(test_retype_overlap_through_copy))
