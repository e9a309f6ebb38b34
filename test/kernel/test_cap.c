/*
 * CAP_: capability invocations on the real kernel: identify, retype into
 * every creatable type, every retype error, copy/mint/delete/revoke,
 * capability addressing errors and illegal invocations.
 * Exact kernel behaviour: kernel/cap/, kernel/object/{ram,cnode}.c,
 * kernel/syscall_invoke.c; rules: docs/capabilities.md.
 */
#include "testing.h"

#include <aos/syscalls.h>

/* The root CNode is the 16 KiB L1 CNode (256 slots) with all rights. */
static void identify_root_cnode(void)
{
    struct capability_info ci;

    EXPECT_OK(cap_identify(CAP_ROOTCN, &ci));
    EXPECT_EQ("type", ci.type, ObjType_L1CNode);
    EXPECT_EQ("size", ci.size, OBJSIZE_L1CNODE_MIN);
    EXPECT_EQ("rights", ci.rights, CAP_RIGHTS_ALL);
    EXPECT(ci.base % OBJSIZE_L2CNODE == 0, "root CNode base 0x%lx not 16 KiB aligned",
           (unsigned long)ci.base);
}

/* init's own dispatcher capability names a 1 KiB Dispatcher object. */
static void identify_dispatcher(void)
{
    struct capability_info ci;

    EXPECT_OK(cap_identify(CAP_DISPATCHER, &ci));
    EXPECT_EQ("type", ci.type, ObjType_Dispatcher);
    EXPECT_EQ("size", ci.size, OBJSIZE_DISPATCHER);
    EXPECT_EQ("rights", ci.rights, CAP_RIGHTS_ALL);
}

/* The well-known slots hold what bootinfo.h promises. */
static void identify_boot_caps(void)
{
    struct capability_info ci;

    EXPECT_OK(cap_identify(CAP_KERNEL, &ci));
    EXPECT_EQ("Kernel cap type", ci.type, ObjType_Kernel);
    EXPECT_OK(cap_identify(CAP_VNODE_L1, &ci));
    EXPECT_EQ("VNode L1 type", ci.type, ObjType_VNode_L1);
    EXPECT_EQ("VNode L1 size", ci.size, OBJSIZE_VNODE_L1);
    EXPECT_OK(cap_identify(CAP_DISPFRAME, &ci));
    EXPECT_EQ("dispatcher frame type", ci.type, ObjType_Frame);
    EXPECT_EQ("dispatcher frame size", ci.size, BASE_PAGE_SIZE);
    EXPECT_OK(cap_identify(CAP_TASKCN, &ci));
    EXPECT_EQ("TASKCN type", ci.type, ObjType_L2CNode);
    EXPECT_OK(cap_identify(ROOT_SLOT(ROOTCN_SLOT_SUPERCN), &ci));
    EXPECT_EQ("SUPERCN (root slot) type", ci.type, ObjType_L2CNode);
    EXPECT_EQ("SUPERCN size", ci.size, OBJSIZE_L2CNODE);
    EXPECT_OK(cap_identify(CAP_UART, &ci));
    EXPECT_EQ("UART type", ci.type, ObjType_DevFrame);
    EXPECT_EQ("UART rights (no EXECUTE)", ci.rights, CAP_RIGHTS_ALL & ~CAP_RIGHT_EXECUTE);
}

/* Every bootinfo region's cap is a RAM cap with exactly that base and size. */
static void identify_ram_regions(void)
{
    const struct bootinfo *bi = get_bootinfo();

    EXPECT(bi->n_regions > 0, "bootinfo lists no RAM regions");
    for (uint32_t i = 0; i < bi->n_regions; i++) {
        const struct mem_region *r = &bi->regions[i];
        EXPECT_CAP(r->cap, ObjType_RAM, CAP_RIGHTS_ALL, r->base, r->size);
        EXPECT(r->base % BASE_PAGE_SIZE == 0 && r->size % BASE_PAGE_SIZE == 0,
               "region %lu not page aligned", (unsigned long)i);
    }
}

/*
 * Retype `count` objects of `type` and check each one's identify: the
 * type, the source's rights, base = scratch base + offset + i * size.
 */
static void retype_and_check(enum objtype type, gensize_t objsize, uint32_t count,
                             gensize_t align)
{
    uint32_t before = capcount();
    gensize_t off = scratch_offset(objsize * count, align);
    cslot_t first = scratch_slot();

    for (uint32_t i = 1; i < count; i++) {
        scratch_slot();
    }
    EXPECT_OK(cap_retype(SCRATCH_RAM, type, off, objsize, count, SCRATCH_CNODE, first));
    for (uint32_t i = 0; i < count; i++) {
        EXPECT_CAP(SCRATCH(first + i), type, CAP_RIGHTS_ALL,
                   scratch_ram_base() + off + i * objsize, objsize);
    }
    EXPECT_EQ("live caps after retype", capcount(), before + count);
}

/* RAM retypes into a smaller RAM cap, which can itself be retyped. */
static void retype_ram(void)
{
    capaddr_t child, frame;
    struct capability_info ci;

    retype_and_check(ObjType_RAM, 64 * 1024, 2, BASE_PAGE_SIZE);
    EXPECT_OK(scratch_object(ObjType_RAM, 1u << 20, &child));
    cslot_t slot = scratch_slot();
    frame = SCRATCH(slot);
    EXPECT_OK(cap_retype(child, ObjType_Frame, 4096, 4096, 1, SCRATCH_CNODE, slot));
    EXPECT_OK(cap_identify(child, &ci));
    EXPECT_CAP(frame, ObjType_Frame, CAP_RIGHTS_ALL, ci.base + 4096, 4096);
}

static void retype_frame(void)      { retype_and_check(ObjType_Frame, 3 * BASE_PAGE_SIZE, 3, BASE_PAGE_SIZE); }
static void retype_l2_cnode(void)   { retype_and_check(ObjType_L2CNode, OBJSIZE_L2CNODE, 2, OBJSIZE_L2CNODE); }
static void retype_vnode_l1(void)   { retype_and_check(ObjType_VNode_L1, OBJSIZE_VNODE_L1, 2, OBJSIZE_VNODE_L1); }
static void retype_vnode_l2(void)   { retype_and_check(ObjType_VNode_L2, OBJSIZE_VNODE_L2, 4, OBJSIZE_VNODE_L2); }
static void retype_dispatcher(void) { retype_and_check(ObjType_Dispatcher, OBJSIZE_DISPATCHER, 3, OBJSIZE_DISPATCHER); }
static void retype_endpoint(void)   { retype_and_check(ObjType_Endpoint, OBJSIZE_ENDPOINT, 16, OBJSIZE_ENDPOINT); }

/* L1 CNodes come in power-of-two slot counts from 256 (up to 65536, which
 * would not fit the scratch RAM; the size rule is in CAP_RETYPE_INVALID_SIZE). */
static void retype_l1_cnode(void)
{
    retype_and_check(ObjType_L1CNode, OBJSIZE_L1CNODE_MIN, 1, OBJSIZE_L2CNODE);
    retype_and_check(ObjType_L1CNode, 512 * CTE_SIZE, 2, OBJSIZE_L2CNODE);
    retype_and_check(ObjType_L1CNode, 4096 * CTE_SIZE, 1, OBJSIZE_L2CNODE);
}

/* Many objects in one call land in consecutive slots and addresses. */
static void retype_many_at_once(void)
{
    retype_and_check(ObjType_Frame, BASE_PAGE_SIZE, 200, BASE_PAGE_SIZE);
}

/*
 * An L2 CNode retyped straight into a free root slot extends the cspace:
 * cptrs CPTR(slot, i) then address its slots, and deleting it deletes
 * everything inside (the CNode held the last copies).
 */
static void retype_l2_cnode_into_root(void)
{
    cslot_t root = ROOTCN_FREE_SLOTS;
    capaddr_t frame;
    uint32_t before = capcount();

    EXPECT_OK(cap_retype(SCRATCH_RAM, ObjType_L2CNode,
                         scratch_offset(OBJSIZE_L2CNODE, OBJSIZE_L2CNODE),
                         OBJSIZE_L2CNODE, 1, CAP_ROOTCN, root));
    EXPECT_OK(cap_retype(SCRATCH_RAM, ObjType_Frame,
                         scratch_offset(4 * BASE_PAGE_SIZE, BASE_PAGE_SIZE),
                         BASE_PAGE_SIZE, 4, ROOT_SLOT(root), 10));
    frame = CPTR(root, 13);
    struct capability_info ci;
    EXPECT_OK(cap_identify(frame, &ci));
    EXPECT_EQ("type of CPTR(root, 13)", ci.type, ObjType_Frame);
    EXPECT_OK(cap_copy(ROOT_SLOT(root), 200, CAP_DISPFRAME));
    EXPECT_EQ("live caps", capcount(), before + 6);
    EXPECT_OK(cap_delete(ROOT_SLOT(root)));
    EXPECT_EQ("live caps after deleting the CNode", capcount(), before);
    EXPECT_ERR(cap_identify(frame, &ci), SYS_ERR_L2_CNODE_NOT_FOUND);
}

/*
 * Only RAM can be retyped. Through SYS_INVOKE the retype command is a RAM
 * command, so on any other type it is SYS_ERR_ILLEGAL_INVOCATION (the cap
 * layer's own SYS_ERR_RETYPE_NOT_RAM is only reachable from kernel code;
 * test/host covers it). An empty source slot is SYS_ERR_SLOT_EMPTY.
 */
static void retype_not_ram(void)
{
    capaddr_t frame;

    EXPECT_OK(scratch_object(ObjType_Frame, 2 * BASE_PAGE_SIZE, &frame));
    EXPECT_ERR(cap_retype(frame, ObjType_Frame, 0, BASE_PAGE_SIZE, 1, SCRATCH_CNODE,
                          scratch_slot()), SYS_ERR_ILLEGAL_INVOCATION);
    EXPECT_ERR(cap_retype(CAP_ROOTCN, ObjType_Frame, 0, BASE_PAGE_SIZE, 1, SCRATCH_CNODE,
                          scratch_slot()), SYS_ERR_ILLEGAL_INVOCATION);
    EXPECT_ERR(cap_retype(CAP_DISPFRAME, ObjType_Frame, 0, BASE_PAGE_SIZE, 1,
                          SCRATCH_CNODE, scratch_slot()), SYS_ERR_ILLEGAL_INVOCATION);
    EXPECT_ERR(cap_retype(SCRATCH(250), ObjType_Frame, 0, BASE_PAGE_SIZE, 1,
                          SCRATCH_CNODE, scratch_slot()), SYS_ERR_SLOT_EMPTY);
}

/* Kernel-made types and out-of-range type numbers are refused. */
static void retype_invalid_type(void)
{
    static const struct { uint32_t type; gensize_t size; } bad[] = {
        { ObjType_Null, BASE_PAGE_SIZE },
        { ObjType_DevFrame, BASE_PAGE_SIZE },
        { ObjType_Kernel, 0 },
        { ObjType_Kernel, BASE_PAGE_SIZE },
        { ObjType_IRQ, BASE_PAGE_SIZE },
        { ObjType_Num, BASE_PAGE_SIZE },
        { 0xffff, BASE_PAGE_SIZE },
    };
    cslot_t slot = scratch_slot();

    for (unsigned i = 0; i < ARRAY_LENGTH(bad); i++) {
        errval_t err = cap_retype(SCRATCH_RAM, (enum objtype)bad[i].type, 0,
                                  bad[i].size, 1, SCRATCH_CNODE, slot);
        EXPECT(err_no(err) == SYS_ERR_RETYPE_INVALID_TYPE,
               "retype to type %lu: expected SYS_ERR_RETYPE_INVALID_TYPE, got %s",
               (unsigned long)bad[i].type, errname(err));
    }
}

/* Each type's size rule: page multiples, fixed sizes, power-of-two L1s,
 * and a RAM child strictly smaller than its parent. */
static void retype_invalid_size(void)
{
    static const struct { enum objtype type; gensize_t size; } bad[] = {
        { ObjType_RAM, 0 }, { ObjType_RAM, 1000 }, { ObjType_RAM, SCRATCH_RAM_SIZE },
        { ObjType_Frame, 0 }, { ObjType_Frame, 4097 },
        { ObjType_L1CNode, 8192 }, { ObjType_L1CNode, 16384 + 64 },
        { ObjType_L1CNode, 3 * 16384 }, { ObjType_L1CNode, 2 * L1_CNODE_MAX_SLOTS * 64 },
        { ObjType_L2CNode, 8192 }, { ObjType_L2CNode, 32768 },
        { ObjType_VNode_L1, 8192 }, { ObjType_VNode_L2, 2048 }, { ObjType_VNode_L2, 4096 },
        { ObjType_Dispatcher, 512 }, { ObjType_Dispatcher, 4096 },
        { ObjType_Endpoint, 0 }, { ObjType_Endpoint, 128 },
    };
    cslot_t slot = scratch_slot();

    for (unsigned i = 0; i < ARRAY_LENGTH(bad); i++) {
        errval_t err = cap_retype(SCRATCH_RAM, bad[i].type, 0, bad[i].size, 1,
                                  SCRATCH_CNODE, slot);
        EXPECT(err_no(err) == SYS_ERR_RETYPE_INVALID_SIZE,
               "type %d size %lu: expected SYS_ERR_RETYPE_INVALID_SIZE, got %s",
               (int)bad[i].type, (unsigned long)bad[i].size, errname(err));
    }
}

/* Offsets must be aligned for the type and inside the source. */
static void retype_invalid_offset(void)
{
    static const struct { enum objtype type; gensize_t size, offset; } bad[] = {
        { ObjType_Frame, BASE_PAGE_SIZE, 100 },
        { ObjType_Frame, BASE_PAGE_SIZE, SCRATCH_RAM_SIZE },
        { ObjType_Frame, BASE_PAGE_SIZE, 0xfffff000u },
        { ObjType_RAM, BASE_PAGE_SIZE, 2048 },
        { ObjType_L2CNode, OBJSIZE_L2CNODE, BASE_PAGE_SIZE },
        { ObjType_L1CNode, OBJSIZE_L1CNODE_MIN, 8192 },
        { ObjType_VNode_L1, OBJSIZE_VNODE_L1, 4096 },
        { ObjType_VNode_L2, OBJSIZE_VNODE_L2, 512 },
        { ObjType_Dispatcher, OBJSIZE_DISPATCHER, 64 },
        { ObjType_Endpoint, OBJSIZE_ENDPOINT, 32 },
    };
    cslot_t slot = scratch_slot();

    for (unsigned i = 0; i < ARRAY_LENGTH(bad); i++) {
        errval_t err = cap_retype(SCRATCH_RAM, bad[i].type, bad[i].offset, bad[i].size,
                                  1, SCRATCH_CNODE, slot);
        EXPECT(err_no(err) == SYS_ERR_RETYPE_INVALID_OFFSET,
               "type %d offset 0x%lx: expected SYS_ERR_RETYPE_INVALID_OFFSET, got %s",
               (int)bad[i].type, (unsigned long)bad[i].offset, errname(err));
    }
}

/* Count 0, more objects than fit, and counts whose size overflows. */
static void retype_invalid_count(void)
{
    cslot_t slot = scratch_slot();

    EXPECT_ERR(cap_retype(SCRATCH_RAM, ObjType_Frame, 0, BASE_PAGE_SIZE, 0,
                          SCRATCH_CNODE, slot), SYS_ERR_RETYPE_INVALID_COUNT);
    /* 1025 pages do not fit into 4 MiB (checked before the slots) */
    EXPECT_ERR(cap_retype(SCRATCH_RAM, ObjType_Frame, 0, BASE_PAGE_SIZE, 1025,
                          SCRATCH_CNODE, slot), SYS_ERR_RETYPE_INVALID_COUNT);
    EXPECT_ERR(cap_retype(SCRATCH_RAM, ObjType_Frame, SCRATCH_RAM_SIZE - BASE_PAGE_SIZE,
                          BASE_PAGE_SIZE, 2, SCRATCH_CNODE, slot),
               SYS_ERR_RETYPE_INVALID_COUNT);
    EXPECT_ERR(cap_retype(SCRATCH_RAM, ObjType_Frame, 0, 0x80000000u, 0xffff,
                          SCRATCH_CNODE, slot), SYS_ERR_RETYPE_INVALID_COUNT);
    EXPECT_ERR(cap_identify(SCRATCH(slot), &(struct capability_info){0}),
               SYS_ERR_SLOT_EMPTY);
}

/*
 * Memory is given out once: a range overlapping an existing descendant
 * (also one made through a copy of the source) is refused, and becomes
 * free again when that descendant is deleted.
 */
static void retype_overlap(void)
{
    cslot_t a = scratch_slot(), b = scratch_slot(), copy = scratch_slot();

    EXPECT_OK(cap_retype(SCRATCH_RAM, ObjType_Frame, 8192, 8192, 1, SCRATCH_CNODE, a));
    EXPECT_ERR(cap_retype(SCRATCH_RAM, ObjType_Frame, 12288, 4096, 1, SCRATCH_CNODE, b),
               SYS_ERR_RETYPE_OVERLAP);
    EXPECT_ERR(cap_retype(SCRATCH_RAM, ObjType_Frame, 0, 16384, 1, SCRATCH_CNODE, b),
               SYS_ERR_RETYPE_OVERLAP);
    EXPECT_ERR(cap_retype(SCRATCH_RAM, ObjType_RAM, 0, 1u << 20, 1, SCRATCH_CNODE, b),
               SYS_ERR_RETYPE_OVERLAP);
    EXPECT_ERR(cap_retype(SCRATCH_RAM, ObjType_Endpoint, 8192 + 64, 64, 1,
                          SCRATCH_CNODE, b), SYS_ERR_RETYPE_OVERLAP);
    /* through a copy of the source */
    EXPECT_OK(cap_copy(SCRATCH_CNODE, copy, SCRATCH_RAM));
    EXPECT_ERR(cap_retype(SCRATCH(copy), ObjType_Frame, 8192, 4096, 1, SCRATCH_CNODE, b),
               SYS_ERR_RETYPE_OVERLAP);
    /* adjacent ranges are fine */
    EXPECT_OK(cap_retype(SCRATCH(copy), ObjType_Frame, 16384, 4096, 1, SCRATCH_CNODE, b));
    EXPECT_OK(cap_delete(SCRATCH(a)));
    EXPECT_OK(cap_retype(SCRATCH_RAM, ObjType_Frame, 8192, 8192, 1, SCRATCH_CNODE, a));
}

/* Destination errors: slot in use (even the last of several), out of range,
 * not a CNode, empty, L1 slots for non-CNodes; nothing is created. */
static void retype_bad_destination(void)
{
    cslot_t used = scratch_slot(), free_slot = scratch_slot(), frame_slot = scratch_slot();
    uint32_t before;
    struct capability_info ci;

    EXPECT_OK(cap_retype(SCRATCH_RAM, ObjType_Endpoint, 0, 64, 1, SCRATCH_CNODE, used));
    EXPECT_OK(cap_retype(SCRATCH_RAM, ObjType_Frame, 4096, 4096, 1, SCRATCH_CNODE,
                         frame_slot));
    before = capcount();
    EXPECT_ERR(cap_retype(SCRATCH_RAM, ObjType_Frame, 65536, 4096, 1, SCRATCH_CNODE, used),
               SYS_ERR_SLOT_IN_USE);
    /* free_slot is followed by frame_slot: the second object's slot is taken */
    EXPECT_ERR(cap_retype(SCRATCH_RAM, ObjType_Frame, 65536, 4096, 2, SCRATCH_CNODE,
                          free_slot), SYS_ERR_SLOT_IN_USE);
    EXPECT_ERR(cap_identify(SCRATCH(free_slot), &ci), SYS_ERR_SLOT_EMPTY);
    EXPECT_ERR(cap_retype(SCRATCH_RAM, ObjType_Frame, 65536, 4096, 1, SCRATCH_CNODE, 256),
               SYS_ERR_SLOT_OUT_OF_RANGE);
    EXPECT_ERR(cap_retype(SCRATCH_RAM, ObjType_Frame, 65536, 4096, 2, SCRATCH_CNODE, 255),
               SYS_ERR_SLOT_OUT_OF_RANGE);
    EXPECT_ERR(cap_retype(SCRATCH_RAM, ObjType_Frame, 65536, 4096, 1, SCRATCH(frame_slot),
                          0), SYS_ERR_DEST_NOT_CNODE);
    EXPECT_ERR(cap_retype(SCRATCH_RAM, ObjType_Frame, 65536, 4096, 1, SCRATCH(200), 0),
               SYS_ERR_SLOT_EMPTY);
    EXPECT_ERR(cap_retype(SCRATCH_RAM, ObjType_Frame, 65536, 4096, 1, CAP_ROOTCN,
                          ROOTCN_FREE_SLOTS), SYS_ERR_L1_SLOT_TYPE);
    EXPECT_ERR(cap_retype(SCRATCH_RAM, ObjType_L2CNode, 65536, OBJSIZE_L2CNODE, 1,
                          CAP_ROOTCN, ROOTCN_SLOT_SUPERCN), SYS_ERR_SLOT_IN_USE);
    EXPECT_EQ("live caps after failed retypes", capcount(), before);
}

/* Retype needs WRITE on the RAM cap and on the destination CNode. */
static void retype_needs_write(void)
{
    cslot_t ro_ram = scratch_slot(), ro_cn = scratch_slot(), dest = scratch_slot();
    cslot_t rw_only = scratch_slot();

    EXPECT_OK(cap_mint(SCRATCH_CNODE, ro_ram, SCRATCH_RAM,
                       CAP_RIGHT_READ | CAP_RIGHT_GRANT, 0));
    EXPECT_CAP(SCRATCH(ro_ram), ObjType_RAM, CAP_RIGHT_READ | CAP_RIGHT_GRANT,
               scratch_ram_base(), SCRATCH_RAM_SIZE);
    EXPECT_ERR(cap_retype(SCRATCH(ro_ram), ObjType_Frame, 0, 4096, 1, SCRATCH_CNODE, dest),
               SYS_ERR_NO_RIGHTS);
    EXPECT_OK(cap_mint(SCRATCH_CNODE, ro_cn, SCRATCH_CNODE,
                       CAP_RIGHTS_ALL & ~CAP_RIGHT_WRITE, 0));
    EXPECT_ERR(cap_retype(SCRATCH_RAM, ObjType_Frame, 0, 4096, 1, SCRATCH(ro_cn), dest),
               SYS_ERR_NO_RIGHTS);
    /* new objects carry the source's rights, plus REVOKE (they are the
     * retyper's own; kernel/object/ram.c, retype_rights) */
    EXPECT_OK(cap_mint(SCRATCH_CNODE, rw_only, SCRATCH_RAM,
                       CAP_RIGHT_WRITE | CAP_RIGHT_READ, 0));
    EXPECT_OK(cap_retype(SCRATCH(rw_only), ObjType_Frame, 0, 4096, 1, SCRATCH_CNODE,
                         dest));
    EXPECT_CAP(SCRATCH(dest), ObjType_Frame,
               CAP_RIGHT_WRITE | CAP_RIGHT_READ | CAP_RIGHT_REVOKE, scratch_ram_base(), 4096);
}

/* A copy is the same capability with the same rights, and one more live cap. */
static void copy_identical(void)
{
    capaddr_t frame;
    cslot_t copy = scratch_slot();
    struct capability_info ci;
    uint32_t before;

    EXPECT_OK(scratch_object(ObjType_Frame, 2 * BASE_PAGE_SIZE, &frame));
    EXPECT_OK(cap_identify(frame, &ci));
    before = capcount();
    EXPECT_OK(cap_copy(SCRATCH_CNODE, copy, frame));
    EXPECT_CAP(SCRATCH(copy), ObjType_Frame, CAP_RIGHTS_ALL, ci.base, ci.size);
    EXPECT_EQ("live caps after copy", capcount(), before + 1);
    /* copies of boot caps work too */
    EXPECT_OK(cap_copy(SCRATCH_CNODE, scratch_slot(), CAP_KERNEL));
}

/* Mint shrinks rights (identify shows them); rights never grow back. */
static void mint_reduces_rights(void)
{
    capaddr_t frame;
    cslot_t ro = scratch_slot(), again = scratch_slot(), rx = scratch_slot();
    struct capability_info ci;

    EXPECT_OK(scratch_object(ObjType_Frame, BASE_PAGE_SIZE, &frame));
    EXPECT_OK(cap_identify(frame, &ci));
    EXPECT_OK(cap_mint(SCRATCH_CNODE, ro, frame, CAP_RIGHT_READ | CAP_RIGHT_GRANT, 0));
    EXPECT_CAP(SCRATCH(ro), ObjType_Frame, CAP_RIGHT_READ | CAP_RIGHT_GRANT, ci.base, ci.size);
    EXPECT_OK(cap_mint(SCRATCH_CNODE, again, SCRATCH(ro), CAP_RIGHTS_ALL, 0));
    EXPECT_CAP(SCRATCH(again), ObjType_Frame, CAP_RIGHT_READ | CAP_RIGHT_GRANT,
               ci.base, ci.size);
    EXPECT_OK(cap_mint(SCRATCH_CNODE, rx, frame, 0xffffffe5u, 0));  /* unknown bits ignored */
    EXPECT_CAP(SCRATCH(rx), ObjType_Frame, CAP_RIGHT_READ | CAP_RIGHT_EXECUTE,
               ci.base, ci.size);
}

/* Without GRANT a capability can be neither copied nor minted. */
static void copy_without_grant(void)
{
    capaddr_t frame;
    cslot_t nogrant = scratch_slot(), dest = scratch_slot();

    EXPECT_OK(scratch_object(ObjType_Frame, BASE_PAGE_SIZE, &frame));
    EXPECT_OK(cap_mint(SCRATCH_CNODE, nogrant, frame, CAP_RIGHTS_ALL & ~CAP_RIGHT_GRANT, 0));
    EXPECT_ERR(cap_copy(SCRATCH_CNODE, dest, SCRATCH(nogrant)), SYS_ERR_NO_RIGHTS);
    EXPECT_ERR(cap_mint(SCRATCH_CNODE, dest, SCRATCH(nogrant), CAP_RIGHT_READ, 0),
               SYS_ERR_NO_RIGHTS);
    EXPECT_ERR(cap_identify(SCRATCH(dest), &(struct capability_info){0}), SYS_ERR_SLOT_EMPTY);
    /* but it can still be identified and deleted: those need no rights */
    EXPECT_CAP(SCRATCH(nogrant), ObjType_Frame, CAP_RIGHTS_ALL & ~CAP_RIGHT_GRANT,
               scratch_ram_base(), BASE_PAGE_SIZE);
    EXPECT_OK(cap_delete(SCRATCH(nogrant)));
}

/* Copy/mint destination and source errors, and badges. */
static void copy_errors(void)
{
    capaddr_t frame, ep;
    cslot_t used = scratch_slot(), badged = scratch_slot(), dest = scratch_slot();
    cslot_t ro_cn = scratch_slot();

    EXPECT_OK(scratch_object(ObjType_Frame, BASE_PAGE_SIZE, &frame));
    EXPECT_OK(scratch_object(ObjType_Endpoint, OBJSIZE_ENDPOINT, &ep));
    EXPECT_OK(cap_copy(SCRATCH_CNODE, used, frame));
    EXPECT_ERR(cap_copy(SCRATCH_CNODE, used, frame), SYS_ERR_SLOT_IN_USE);
    EXPECT_ERR(cap_copy(SCRATCH_CNODE, dest, SCRATCH(199)), SYS_ERR_SLOT_EMPTY);
    EXPECT_ERR(cap_copy(SCRATCH_CNODE, 256, frame), SYS_ERR_SLOT_OUT_OF_RANGE);
    EXPECT_ERR(cap_copy(frame, 0, frame), SYS_ERR_DEST_NOT_CNODE);
    EXPECT_ERR(cap_copy(SCRATCH(198), 0, frame), SYS_ERR_SLOT_EMPTY);
    EXPECT_ERR(cap_copy(CAP_ROOTCN, ROOTCN_FREE_SLOTS, frame), SYS_ERR_L1_SLOT_TYPE);
    EXPECT_ERR(cap_copy(CAP_ROOTCN, 256, ROOT_SLOT(ROOTCN_SLOT_SUPERCN)),
               SYS_ERR_SLOT_OUT_OF_RANGE);
    EXPECT_OK(cap_mint(SCRATCH_CNODE, ro_cn, SCRATCH_CNODE, CAP_RIGHT_READ | CAP_RIGHT_GRANT, 0));
    EXPECT_ERR(cap_copy(SCRATCH(ro_cn), dest, frame), SYS_ERR_NO_RIGHTS);
    /* badges: only on an unbadged Endpoint */
    EXPECT_ERR(cap_mint(SCRATCH_CNODE, dest, frame, CAP_RIGHTS_ALL, 42),
               SYS_ERR_BADGE_INVALID);
    EXPECT_OK(cap_mint(SCRATCH_CNODE, badged, ep, CAP_RIGHTS_ALL, 42));
    EXPECT_ERR(cap_mint(SCRATCH_CNODE, dest, SCRATCH(badged), CAP_RIGHTS_ALL, 43),
               SYS_ERR_BADGE_INVALID);
    EXPECT_OK(cap_copy(SCRATCH_CNODE, dest, SCRATCH(badged)));
}

/* Delete empties the slot (identify and delete then say SLOT_EMPTY) and
 * frees the memory once the last copy is gone. */
static void delete_slot(void)
{
    capaddr_t frame;
    cslot_t copy = scratch_slot();
    struct capability_info ci;
    uint32_t before;
    gensize_t off;

    EXPECT_OK(scratch_object(ObjType_Frame, BASE_PAGE_SIZE, &frame));
    EXPECT_OK(cap_identify(frame, &ci));
    off = ci.base - scratch_ram_base();
    EXPECT_OK(cap_copy(SCRATCH_CNODE, copy, frame));
    before = capcount();
    EXPECT_OK(cap_delete(frame));
    EXPECT_EQ("live caps after delete", capcount(), before - 1);
    EXPECT_ERR(cap_identify(frame, &ci), SYS_ERR_SLOT_EMPTY);
    EXPECT_ERR(cap_delete(frame), SYS_ERR_SLOT_EMPTY);
    /* the copy still holds the range */
    EXPECT_ERR(cap_retype(SCRATCH_RAM, ObjType_Frame, off, 4096, 1, SCRATCH_CNODE,
                          scratch_slot()), SYS_ERR_RETYPE_OVERLAP);
    EXPECT_OK(cap_delete(SCRATCH(copy)));
    EXPECT_OK(cap_retype(SCRATCH_RAM, ObjType_Frame, off, 4096, 1, SCRATCH_CNODE,
                         scratch_slot()));
}

/*
 * Revoke deletes every copy and every descendant, at any depth, and keeps
 * the revoked capability itself; unrelated capabilities stay.
 */
/* Revoke needs the REVOKE right: a copy minted without it (what a child
 * is given, or receives in a message) cannot delete the other copies. */
static void revoke_needs_right(void)
{
    capaddr_t ram;
    cslot_t given = scratch_slot(), copy = scratch_slot(), f = scratch_slot();
    struct capability_info ci;
    uint32_t before;

    before = capcount();
    EXPECT_OK(scratch_object(ObjType_RAM, 1u << 16, &ram));
    EXPECT_OK(cap_identify(ram, &ci));
    EXPECT_OK(cap_mint(SCRATCH_CNODE, given, ram, CAP_RIGHTS_GIVEN, 0));
    EXPECT_CAP(SCRATCH(given), ObjType_RAM, CAP_RIGHTS_GIVEN, ci.base, ci.size);
    EXPECT_OK(cap_copy(SCRATCH_CNODE, copy, SCRATCH(given)));   /* copies keep the lack */
    EXPECT_OK(cap_retype(SCRATCH(given), ObjType_Frame, 0, 4096, 1, SCRATCH_CNODE, f));
    EXPECT_ERR(cap_revoke(SCRATCH(given)), SYS_ERR_REVOKE_NO_RIGHT);
    EXPECT_ERR(cap_revoke(SCRATCH(copy)), SYS_ERR_REVOKE_NO_RIGHT);
    EXPECT_EQ("live caps after refused revokes", capcount(), before + 4);
    EXPECT_OK(cap_identify(SCRATCH(f), &ci));                /* the child object too */
    EXPECT_OK(cap_revoke(ram));                              /* the giver's can */
    EXPECT_EQ("live caps after the revoke", capcount(), before + 1);
    EXPECT_ERR(cap_identify(SCRATCH(given), &ci), SYS_ERR_SLOT_EMPTY);
    EXPECT_OK(cap_delete(ram));
}

static void revoke_copies_and_descendants(void)
{
    capaddr_t child, other;
    cslot_t c1 = scratch_slot(), c2 = scratch_slot(), f = scratch_slot();
    cslot_t grandchild = scratch_slot(), ff = scratch_slot(), fcopy = scratch_slot();
    struct capability_info ci;
    uint32_t before;

    EXPECT_OK(scratch_object(ObjType_Endpoint, OBJSIZE_ENDPOINT, &other));
    before = capcount();
    EXPECT_OK(scratch_object(ObjType_RAM, 1u << 20, &child));
    EXPECT_OK(cap_copy(SCRATCH_CNODE, c1, child));
    EXPECT_OK(cap_mint(SCRATCH_CNODE, c2, SCRATCH(c1), CAP_RIGHTS_ALL, 0));
    EXPECT_OK(cap_retype(child, ObjType_Frame, 0, 8192, 1, SCRATCH_CNODE, f));
    EXPECT_OK(cap_retype(SCRATCH(c2), ObjType_RAM, 65536, 65536, 1, SCRATCH_CNODE,
                         grandchild));
    EXPECT_OK(cap_retype(SCRATCH(grandchild), ObjType_Frame, 0, 4096, 1, SCRATCH_CNODE, ff));
    EXPECT_OK(cap_copy(SCRATCH_CNODE, fcopy, SCRATCH(ff)));
    EXPECT_EQ("live caps", capcount(), before + 7);
    EXPECT_OK(cap_revoke(SCRATCH(c1)));   /* revoke through one of the copies */
    EXPECT_EQ("live caps after revoke", capcount(), before + 1);
    EXPECT_OK(cap_identify(SCRATCH(c1), &ci));
    EXPECT_EQ("revoked cap's type", ci.type, ObjType_RAM);
    const cslot_t gone[] = { c2, f, grandchild, ff, fcopy };
    for (unsigned i = 0; i < ARRAY_LENGTH(gone); i++) {
        EXPECT_ERR(cap_identify(SCRATCH(gone[i]), &ci), SYS_ERR_SLOT_EMPTY);
    }
    EXPECT_ERR(cap_identify(child, &ci), SYS_ERR_SLOT_EMPTY);
    EXPECT_OK(cap_identify(other, &ci));
    /* the whole range is free again */
    EXPECT_OK(cap_retype(SCRATCH(c1), ObjType_RAM, 0, 512 * 1024, 2, SCRATCH_CNODE, f));
    /* revoking something without copies or descendants is fine */
    EXPECT_OK(cap_revoke(other));
    EXPECT_ERR(cap_revoke(SCRATCH(197)), SYS_ERR_SLOT_EMPTY);
}

/* Bad cptrs: L1 index beyond the root, stray high bits, an empty L1 slot
 * or a non-CNode there, an empty slot. */
static void bad_cptrs(void)
{
    struct capability_info ci;

    EXPECT_ERR(cap_identify(CPTR(256, 0), &ci), SYS_ERR_L1_INDEX_OUT_OF_RANGE);
    EXPECT_ERR(cap_identify(CPTR(0xffff, 1), &ci), SYS_ERR_L1_INDEX_OUT_OF_RANGE);
    EXPECT_ERR(cap_identify(0x01000000u | CAP_KERNEL, &ci), SYS_ERR_L1_INDEX_OUT_OF_RANGE);
    EXPECT_ERR(cap_identify(CPTR_L1_SLOT | 256, &ci), SYS_ERR_L1_INDEX_OUT_OF_RANGE);
    EXPECT_ERR(cap_identify(CPTR_L1_SLOT | 0x10000, &ci), SYS_ERR_L1_INDEX_OUT_OF_RANGE);
    EXPECT_ERR(cap_identify(CPTR(200, 0), &ci), SYS_ERR_L2_CNODE_NOT_FOUND);
    EXPECT_ERR(cap_identify(CPTR_L1_SLOT | 200, &ci), SYS_ERR_SLOT_EMPTY);
    EXPECT_ERR(cap_identify(SCRATCH(250), &ci), SYS_ERR_SLOT_EMPTY);
    EXPECT_ERR(cap_delete(CPTR(255, 7)), SYS_ERR_L2_CNODE_NOT_FOUND);
    EXPECT_ERR(cap_copy(CPTR(300, 0), 0, CAP_KERNEL), SYS_ERR_L1_INDEX_OUT_OF_RANGE);
    EXPECT_ERR(cap_copy(CAP_DISPATCHER, 0, CAP_KERNEL), SYS_ERR_DEST_NOT_CNODE);
}

/* Commands a type does not define are illegal, on every type. */
static void illegal_invocations(void)
{
    capaddr_t frame, ep, cn;
    struct sysret r;
    static const uint32_t generic_unused[] = { 0, CAPCMD_REVOKE + 1, CAPCMD_TYPE_BASE - 1,
                                               0xffffffffu };

    EXPECT_OK(scratch_object(ObjType_Frame, BASE_PAGE_SIZE, &frame));
    EXPECT_OK(scratch_object(ObjType_Endpoint, OBJSIZE_ENDPOINT, &ep));
    EXPECT_OK(scratch_object(ObjType_L2CNode, OBJSIZE_L2CNODE, &cn));
    for (unsigned i = 0; i < ARRAY_LENGTH(generic_unused); i++) {
        r = sys_invoke(frame, generic_unused[i], 0, 0, 0, 0, 0);
        EXPECT(r.err == SYS_ERR_ILLEGAL_INVOCATION,
               "command %lu on a Frame: expected SYS_ERR_ILLEGAL_INVOCATION, got %s",
               (unsigned long)generic_unused[i], err_getcode(r.err));
    }
    const struct { capaddr_t cap; uint32_t cmd; const char *what; } bad[] = {
        { frame, CAPCMD_TYPE_BASE, "Frame" },
        { ep, EPCMD_BIND + 1, "Endpoint" },
        { cn, CAPCMD_TYPE_BASE, "L2 CNode" },
        { CAP_ROOTCN, CAPCMD_TYPE_BASE, "L1 CNode" },
        { CAP_UART, CAPCMD_TYPE_BASE, "DevFrame" },
        { SCRATCH_RAM, RAMCMD_RETYPE + 1, "RAM" },
        { CAP_VNODE_L1, VNODECMD_MODIFY + 1, "VNode L1" },
        { CAP_DISPATCHER, DISPCMD_GET_STATE + 1, "Dispatcher" },
        { CAP_KERNEL, KERNELCMD_LAST_NORMAL + 1, "Kernel" },
    };
    for (unsigned i = 0; i < ARRAY_LENGTH(bad); i++) {
        r = sys_invoke(bad[i].cap, bad[i].cmd, 0, 0, 0, 0, 0);
        EXPECT(r.err == SYS_ERR_ILLEGAL_INVOCATION,
               "command %lu on the %s: expected SYS_ERR_ILLEGAL_INVOCATION, got %s",
               (unsigned long)bad[i].cmd, bad[i].what, err_getcode(r.err));
    }
}

/* The Kernel cap's capcount follows every create and delete exactly. */
static void capcount_tracks(void)
{
    uint32_t n0 = capcount(), n;
    capaddr_t first;

    EXPECT_OK(scratch_objects(ObjType_Endpoint, OBJSIZE_ENDPOINT, 5, &first));
    EXPECT_EQ("after 5 endpoints", capcount(), n0 + 5);
    EXPECT_OK(cap_copy(SCRATCH_CNODE, scratch_slot(), first));
    EXPECT_EQ("after a copy", capcount(), n0 + 6);
    EXPECT_OK(cap_revoke(SCRATCH_RAM));
    EXPECT_EQ("after revoking the scratch RAM", capcount(), n0);
    EXPECT_OK(kernel_capcount(CAP_KERNEL, &n));
    EXPECT_EQ("kernel_capcount", n, n0);
    EXPECT_ERR(kernel_capcount(SCRATCH_RAM, &n), SYS_ERR_ILLEGAL_INVOCATION);
}

const struct test_case cap_tests[] = {
    { "CAP_IDENTIFY_ROOT_CNODE", identify_root_cnode },
    { "CAP_IDENTIFY_DISPATCHER", identify_dispatcher },
    { "CAP_IDENTIFY_BOOT_CAPS", identify_boot_caps },
    { "CAP_IDENTIFY_RAM_REGIONS", identify_ram_regions },
    { "CAP_RETYPE_RAM", retype_ram },
    { "CAP_RETYPE_FRAME", retype_frame },
    { "CAP_RETYPE_L1_CNODE", retype_l1_cnode },
    { "CAP_RETYPE_L2_CNODE", retype_l2_cnode },
    { "CAP_RETYPE_VNODE_L1", retype_vnode_l1 },
    { "CAP_RETYPE_VNODE_L2", retype_vnode_l2 },
    { "CAP_RETYPE_DISPATCHER", retype_dispatcher },
    { "CAP_RETYPE_ENDPOINT", retype_endpoint },
    { "CAP_RETYPE_MANY_AT_ONCE", retype_many_at_once },
    { "CAP_RETYPE_L2_CNODE_INTO_ROOT", retype_l2_cnode_into_root },
    { "CAP_RETYPE_NOT_RAM", retype_not_ram },
    { "CAP_RETYPE_INVALID_TYPE", retype_invalid_type },
    { "CAP_RETYPE_INVALID_SIZE", retype_invalid_size },
    { "CAP_RETYPE_INVALID_OFFSET", retype_invalid_offset },
    { "CAP_RETYPE_INVALID_COUNT", retype_invalid_count },
    { "CAP_RETYPE_OVERLAP", retype_overlap },
    { "CAP_RETYPE_BAD_DESTINATION", retype_bad_destination },
    { "CAP_RETYPE_NEEDS_WRITE", retype_needs_write },
    { "CAP_COPY_IDENTICAL", copy_identical },
    { "CAP_MINT_REDUCES_RIGHTS", mint_reduces_rights },
    { "CAP_COPY_WITHOUT_GRANT", copy_without_grant },
    { "CAP_COPY_ERRORS", copy_errors },
    { "CAP_DELETE", delete_slot },
    { "CAP_REVOKE_COPIES_AND_DESCENDANTS", revoke_copies_and_descendants },
    { "CAP_REVOKE_NEEDS_RIGHT", revoke_needs_right },
    { "CAP_BAD_CPTRS", bad_cptrs },
    { "CAP_ILLEGAL_INVOCATION", illegal_invocations },
    { "CAP_CAPCOUNT_TRACKS", capcount_tracks },
    TEST_CASES_END
};
