/*
 * VSPACE_: mapping frames and page tables into init's own address space
 * (VNODECMD_MAP / UNMAP / MODIFY), what the mappings do when accessed, and
 * every mapping error. Kernel side: kernel/object/vnode.c; rules and the
 * error checking order: docs/capabilities.md, "Mapping records".
 *
 * Windows: TEST_VA(i) is the 1 MiB covered by L1 entry TEST_L1_ENTRY(i)
 * of init's VNode L1 (CAP_VNODE_L1); scratch_l2_table(i) maps a new L2
 * table there.
 */
#include "testing.h"

/*
 * A fresh frame mapped through a new L2 table reads as zero everywhere;
 * what is written can be read back, also through a second mapping of a
 * copy of the same frame elsewhere.
 */
static void map_write_read(void)
{
    capaddr_t table, frame;
    cslot_t alias = scratch_slot();
    volatile uint32_t *p = (volatile uint32_t *)(TEST_VA(0) + BASE_PAGE_SIZE);
    volatile uint32_t *q = (volatile uint32_t *)(TEST_VA(0) + 16 * BASE_PAGE_SIZE);
    const uint32_t words = 2 * BASE_PAGE_SIZE / 4;

    EXPECT_OK(scratch_l2_table(0, &table));
    EXPECT_OK(scratch_mapped_frame(table, 1, 2, VREGION_FLAGS_READ_WRITE, &frame));
    for (uint32_t i = 0; i < words; i++) {
        EXPECT(p[i] == 0, "new frame word %lu reads 0x%lx, expected 0",
               (unsigned long)i, (unsigned long)p[i]);
    }
    for (uint32_t i = 0; i < words; i++) {
        p[i] = i * 2654435761u;
    }
    for (uint32_t i = 0; i < words; i++) {
        EXPECT(p[i] == i * 2654435761u, "word %lu reads back 0x%lx", (unsigned long)i,
               (unsigned long)p[i]);
    }
    EXPECT_OK(cap_copy(SCRATCH_CNODE, alias, frame));
    EXPECT_OK(vnode_map(table, SCRATCH(alias), 16, VREGION_FLAGS_READ, 0, 2));
    EXPECT_EQ("alias word 1000", q[1000], 1000 * 2654435761u);
    p[5] = 0x600dcafe;
    EXPECT_EQ("alias sees a new write", q[5], 0x600dcafe);
}

/* A partial mapping (offset/count) shows exactly the chosen pages. */
static void map_offset_pages(void)
{
    capaddr_t table, frame;
    cslot_t part = scratch_slot();
    volatile uint32_t *whole = (volatile uint32_t *)TEST_VA(0);
    volatile uint32_t *window = (volatile uint32_t *)(TEST_VA(0) + 100 * BASE_PAGE_SIZE);

    EXPECT_OK(scratch_l2_table(0, &table));
    EXPECT_OK(scratch_mapped_frame(table, 0, 4, VREGION_FLAGS_READ_WRITE, &frame));
    for (uint32_t page = 0; page < 4; page++) {
        whole[page * BASE_PAGE_SIZE / 4] = 0xa0 + page;
    }
    EXPECT_OK(cap_copy(SCRATCH_CNODE, part, frame));
    EXPECT_OK(vnode_map(table, SCRATCH(part), 100, VREGION_FLAGS_READ, 2, 2));
    EXPECT_EQ("window page 0 = frame page 2", window[0], 0xa2);
    EXPECT_EQ("window page 1 = frame page 3", window[BASE_PAGE_SIZE / 4], 0xa3);
    faults_arm();
    probe_read32(TEST_VA(0) + 102 * BASE_PAGE_SIZE);
    EXPECT_FAULT(FAULT_DATA_ABORT, TEST_VA(0) + 102 * BASE_PAGE_SIZE, FAULT_ACCESS_READ);
}

/* Frames are zeroed when retyped: reuse of written memory reads zero. */
static void new_frames_read_zero(void)
{
    capaddr_t table;
    cslot_t slot = scratch_slot();
    gensize_t off = scratch_offset(BASE_PAGE_SIZE, BASE_PAGE_SIZE);
    volatile uint32_t *p = (volatile uint32_t *)TEST_VA(0);

    EXPECT_OK(scratch_l2_table(0, &table));
    EXPECT_OK(cap_retype(SCRATCH_RAM, ObjType_Frame, off, BASE_PAGE_SIZE, 1,
                         SCRATCH_CNODE, slot));
    EXPECT_OK(vnode_map(table, SCRATCH(slot), 0, VREGION_FLAGS_READ_WRITE, 0, 1));
    for (uint32_t i = 0; i < BASE_PAGE_SIZE / 4; i++) {
        p[i] = 0xffffffff;
    }
    EXPECT_OK(cap_delete(SCRATCH(slot)));
    EXPECT_OK(cap_retype(SCRATCH_RAM, ObjType_Frame, off, BASE_PAGE_SIZE, 1,
                         SCRATCH_CNODE, slot));
    EXPECT_OK(vnode_map(table, SCRATCH(slot), 0, VREGION_FLAGS_READ_WRITE, 0, 1));
    for (uint32_t i = 0; i < BASE_PAGE_SIZE / 4; i++) {
        EXPECT(p[i] == 0, "re-retyped frame word %lu reads 0x%lx", (unsigned long)i,
               (unsigned long)p[i]);
    }
}

/* Entry indices: past the L2 table, past the L1 table, the kernel half. */
static void map_entry_out_of_range(void)
{
    capaddr_t table, frame, l2;

    EXPECT_OK(scratch_l2_table(0, &table));
    EXPECT_OK(scratch_object(ObjType_Frame, 2 * BASE_PAGE_SIZE, &frame));
    EXPECT_OK(scratch_object(ObjType_VNode_L2, OBJSIZE_VNODE_L2, &l2));
    EXPECT_ERR(vnode_map(table, frame, VNODE_L2_ENTRIES, VREGION_FLAGS_READ, 0, 1),
               SYS_ERR_VNODE_INDEX);
    EXPECT_ERR(vnode_map(table, frame, VNODE_L2_ENTRIES - 1, VREGION_FLAGS_READ, 0, 2),
               SYS_ERR_VNODE_INDEX);
    EXPECT_ERR(vnode_map(table, frame, 0xffffffffu, VREGION_FLAGS_READ, 0, 2),
               SYS_ERR_VNODE_INDEX);
    EXPECT_ERR(vnode_map(CAP_VNODE_L1, l2, VNODE_L1_ENTRIES, VREGION_FLAGS_READ, 0, 1),
               SYS_ERR_VNODE_INDEX);
    EXPECT_ERR(vnode_map(CAP_VNODE_L1, l2, VNODE_L1_USER_ENTRIES, VREGION_FLAGS_READ, 0, 1),
               SYS_ERR_VNODE_KERNEL_RANGE);
    EXPECT_ERR(vnode_map(CAP_VNODE_L1, l2, VNODE_L1_ENTRIES - 1, VREGION_FLAGS_READ, 0, 1),
               SYS_ERR_VNODE_KERNEL_RANGE);
    /* the last L2 entries and high user L1 entries are usable */
    EXPECT_OK(vnode_map(table, frame, VNODE_L2_ENTRIES - 2, VREGION_FLAGS_READ, 0, 2));
    EXPECT_OK(vnode_map(CAP_VNODE_L1, l2, VNODE_L1_USER_ENTRIES - 32, VREGION_FLAGS_READ,
                        0, 1));
}

/* An entry that already holds a mapping is refused, in L2 and in L1
 * (init's own image lives at L1 entry 4). */
static void map_entry_in_use(void)
{
    capaddr_t table, frame, other, l2;

    EXPECT_OK(scratch_l2_table(0, &table));
    EXPECT_OK(scratch_mapped_frame(table, 10, 2, VREGION_FLAGS_READ, &frame));
    EXPECT_OK(scratch_object(ObjType_Frame, 4 * BASE_PAGE_SIZE, &other));
    EXPECT_OK(scratch_object(ObjType_VNode_L2, OBJSIZE_VNODE_L2, &l2));
    EXPECT_ERR(vnode_map(table, other, 10, VREGION_FLAGS_READ, 0, 1),
               SYS_ERR_VNODE_SLOT_INUSE);
    EXPECT_ERR(vnode_map(table, other, 8, VREGION_FLAGS_READ, 0, 4),  /* overlaps 10, 11 */
               SYS_ERR_VNODE_SLOT_INUSE);
    EXPECT_ERR(vnode_map(CAP_VNODE_L1, l2, TEST_L1_ENTRY(0), VREGION_FLAGS_READ, 0, 1),
               SYS_ERR_VNODE_SLOT_INUSE);
    EXPECT_ERR(vnode_map(CAP_VNODE_L1, l2, 0x00400000u >> SECTION_BITS, VREGION_FLAGS_READ,
                         0, 1), SYS_ERR_VNODE_SLOT_INUSE);
    EXPECT_OK(vnode_map(table, other, 12, VREGION_FLAGS_READ, 0, 4));
}

/* A capability maps once (map a copy to map the object again), for
 * frames and for tables. */
static void map_twice(void)
{
    capaddr_t table, frame;
    cslot_t copy = scratch_slot();

    EXPECT_OK(scratch_l2_table(0, &table));
    EXPECT_OK(scratch_mapped_frame(table, 0, 1, VREGION_FLAGS_READ, &frame));
    EXPECT_ERR(vnode_map(table, frame, 1, VREGION_FLAGS_READ, 0, 1), SYS_ERR_ALREADY_MAPPED);
    EXPECT_ERR(vnode_map(CAP_VNODE_L1, table, TEST_L1_ENTRY(1), VREGION_FLAGS_READ, 0, 1),
               SYS_ERR_ALREADY_MAPPED);
    EXPECT_OK(cap_copy(SCRATCH_CNODE, copy, frame));
    EXPECT_OK(vnode_map(table, SCRATCH(copy), 1, VREGION_FLAGS_READ, 0, 1));
}

/* Only frames go into L2 tables and only L2 tables into L1 tables. */
static void map_type_mismatch(void)
{
    capaddr_t table, frame, l2, ram, cnode, l1;

    EXPECT_OK(scratch_l2_table(0, &table));
    EXPECT_OK(scratch_object(ObjType_Frame, BASE_PAGE_SIZE, &frame));
    EXPECT_OK(scratch_object(ObjType_VNode_L2, OBJSIZE_VNODE_L2, &l2));
    EXPECT_OK(scratch_object(ObjType_RAM, BASE_PAGE_SIZE, &ram));
    EXPECT_OK(scratch_object(ObjType_L2CNode, OBJSIZE_L2CNODE, &cnode));
    EXPECT_OK(scratch_object(ObjType_VNode_L1, OBJSIZE_VNODE_L1, &l1));
    EXPECT_ERR(vnode_map(CAP_VNODE_L1, frame, TEST_L1_ENTRY(1), VREGION_FLAGS_READ, 0, 1),
               SYS_ERR_VNODE_TYPE_MISMATCH);
    EXPECT_ERR(vnode_map(table, l2, 0, VREGION_FLAGS_READ, 0, 1), SYS_ERR_VNODE_TYPE_MISMATCH);
    EXPECT_ERR(vnode_map(table, ram, 0, VREGION_FLAGS_READ, 0, 1), SYS_ERR_VNODE_TYPE_MISMATCH);
    EXPECT_ERR(vnode_map(table, cnode, 0, VREGION_FLAGS_READ, 0, 1),
               SYS_ERR_VNODE_TYPE_MISMATCH);
    EXPECT_ERR(vnode_map(CAP_VNODE_L1, l1, TEST_L1_ENTRY(1), VREGION_FLAGS_READ, 0, 1),
               SYS_ERR_VNODE_TYPE_MISMATCH);
    EXPECT_ERR(vnode_map(l1, CAP_VNODE_L1, 0, VREGION_FLAGS_READ, 0, 1),
               SYS_ERR_VNODE_TYPE_MISMATCH);
    /* the "table" must be a VNode: a Frame has no map command */
    EXPECT_ERR(vnode_map(frame, frame, 0, VREGION_FLAGS_READ, 0, 1),
               SYS_ERR_ILLEGAL_INVOCATION);
    EXPECT_ERR(vnode_map(table, SCRATCH(240), 0, VREGION_FLAGS_READ, 0, 1),
               SYS_ERR_SLOT_EMPTY);
}

/* Flags: unknown bits, no READ at all, WRITE or EXECUTE without READ. */
static void map_bad_flags(void)
{
    capaddr_t table, frame;
    static const uint32_t bad[] = { 0, 0x10, 0x80000000u, VREGION_FLAGS_WRITE,
                                    VREGION_FLAGS_EXECUTE, VREGION_FLAGS_NOCACHE,
                                    VREGION_FLAGS_READ | 0x100 };

    EXPECT_OK(scratch_l2_table(0, &table));
    EXPECT_OK(scratch_object(ObjType_Frame, BASE_PAGE_SIZE, &frame));
    for (unsigned i = 0; i < ARRAY_LENGTH(bad); i++) {
        errval_t err = vnode_map(table, frame, 0, bad[i], 0, 1);
        EXPECT(err_no(err) == SYS_ERR_MAP_FLAGS,
               "flags 0x%lx: expected SYS_ERR_MAP_FLAGS, got %s", (unsigned long)bad[i],
               errname(err));
    }
    EXPECT_OK(vnode_map(table, frame, 0, VREGION_FLAGS_READ | VREGION_FLAGS_NOCACHE, 0, 1));
}

/* Mapping rights must be covered by the capability's rights. */
static void map_rights(void)
{
    capaddr_t table, frame;
    cslot_t ro = scratch_slot(), rw = scratch_slot(), ro_table = scratch_slot();

    EXPECT_OK(scratch_l2_table(0, &table));
    EXPECT_OK(scratch_object(ObjType_Frame, BASE_PAGE_SIZE, &frame));
    EXPECT_OK(cap_mint(SCRATCH_CNODE, ro, frame, CAP_RIGHT_READ, 0));
    EXPECT_OK(cap_mint(SCRATCH_CNODE, rw, frame, CAP_RIGHT_READ | CAP_RIGHT_WRITE, 0));
    EXPECT_ERR(vnode_map(table, SCRATCH(ro), 0, VREGION_FLAGS_READ_WRITE, 0, 1),
               SYS_ERR_MAP_RIGHTS);
    EXPECT_ERR(vnode_map(table, SCRATCH(ro), 0, VREGION_FLAGS_READ | VREGION_FLAGS_EXECUTE,
                         0, 1), SYS_ERR_MAP_RIGHTS);
    EXPECT_ERR(vnode_map(table, SCRATCH(rw), 0, VREGION_FLAGS_READ | VREGION_FLAGS_EXECUTE,
                         0, 1), SYS_ERR_MAP_RIGHTS);
    EXPECT_ERR(vnode_map(table, CAP_UART, 0, VREGION_FLAGS_READ | VREGION_FLAGS_EXECUTE,
                         0, 1), SYS_ERR_MAP_RIGHTS);
    /* a table without WRITE cannot be changed */
    EXPECT_OK(cap_mint(SCRATCH_CNODE, ro_table, table, CAP_RIGHT_READ | CAP_RIGHT_GRANT, 0));
    EXPECT_ERR(vnode_map(SCRATCH(ro_table), SCRATCH(ro), 0, VREGION_FLAGS_READ, 0, 1),
               SYS_ERR_NO_RIGHTS);
    /* read-only mapping of the read-only cap: reads work, writes fault */
    EXPECT_OK(vnode_map(table, SCRATCH(ro), 0, VREGION_FLAGS_READ, 0, 1));
    EXPECT_ERR(vnode_unmap(SCRATCH(ro_table), SCRATCH(ro)), SYS_ERR_NO_RIGHTS);
    faults_arm();
    EXPECT_EQ("read of the read-only mapping", probe_read32(TEST_VA(0)), 0);
    probe_write32(TEST_VA(0), 1);
    EXPECT_FAULT(FAULT_DATA_ABORT, TEST_VA(0), FAULT_ACCESS_WRITE);
}

/* Page offset and count must lie inside the frame; tables map one entry. */
static void map_frame_offset(void)
{
    capaddr_t table, frame, l2;

    EXPECT_OK(scratch_l2_table(0, &table));
    EXPECT_OK(scratch_object(ObjType_Frame, 2 * BASE_PAGE_SIZE, &frame));
    EXPECT_OK(scratch_object(ObjType_VNode_L2, OBJSIZE_VNODE_L2, &l2));
    EXPECT_ERR(vnode_map(table, frame, 0, VREGION_FLAGS_READ, 2, 1), SYS_ERR_FRAME_OFFSET);
    EXPECT_ERR(vnode_map(table, frame, 0, VREGION_FLAGS_READ, 0, 3), SYS_ERR_FRAME_OFFSET);
    EXPECT_ERR(vnode_map(table, frame, 0, VREGION_FLAGS_READ, 1, 2), SYS_ERR_FRAME_OFFSET);
    EXPECT_ERR(vnode_map(table, frame, 0, VREGION_FLAGS_READ, 0, 0), SYS_ERR_FRAME_OFFSET);
    EXPECT_ERR(vnode_map(table, frame, 0, VREGION_FLAGS_READ, 0xffffffffu, 2),
               SYS_ERR_FRAME_OFFSET);
    EXPECT_ERR(vnode_map(CAP_VNODE_L1, l2, TEST_L1_ENTRY(1), VREGION_FLAGS_READ, 0, 2),
               SYS_ERR_VNODE_TABLE_ARGS);
    EXPECT_ERR(vnode_map(CAP_VNODE_L1, l2, TEST_L1_ENTRY(1), VREGION_FLAGS_READ, 1, 1),
               SYS_ERR_VNODE_TABLE_ARGS);
    EXPECT_OK(vnode_map(table, frame, 0, VREGION_FLAGS_READ, 1, 1));
}

/* After unmap the page faults; unmapping again says NOT_MAPPED; the
 * capability can then be mapped again. */
static void unmap_then_fault(void)
{
    capaddr_t table, frame;
    volatile uint32_t *p = (volatile uint32_t *)(TEST_VA(0) + 3 * BASE_PAGE_SIZE);

    EXPECT_OK(scratch_l2_table(0, &table));
    EXPECT_OK(scratch_mapped_frame(table, 3, 1, VREGION_FLAGS_READ_WRITE, &frame));
    p[0] = 77;
    EXPECT_OK(vnode_unmap(table, frame));
    faults_arm();
    EXPECT_EQ("read after unmap", probe_read32((lvaddr_t)p), PROBE_SENTINEL);
    EXPECT_FAULT(FAULT_DATA_ABORT, (lvaddr_t)p, FAULT_ACCESS_READ);
    EXPECT_ERR(vnode_unmap(table, frame), SYS_ERR_NOT_MAPPED);
    EXPECT_OK(vnode_map(table, frame, 3, VREGION_FLAGS_READ, 0, 1));
    EXPECT_EQ("value after remapping", p[0], 77);
}

/* Unmap must name the table the mapping lives in; the source must be
 * mapped at all; the table must be a VNode. */
static void unmap_errors(void)
{
    capaddr_t table, other_table, frame, unmapped;

    EXPECT_OK(scratch_l2_table(0, &table));
    EXPECT_OK(scratch_l2_table(1, &other_table));
    EXPECT_OK(scratch_mapped_frame(table, 0, 1, VREGION_FLAGS_READ, &frame));
    EXPECT_OK(scratch_object(ObjType_Frame, BASE_PAGE_SIZE, &unmapped));
    EXPECT_ERR(vnode_unmap(other_table, frame), SYS_ERR_MAPPED_ELSEWHERE);
    EXPECT_ERR(vnode_unmap(CAP_VNODE_L1, frame), SYS_ERR_MAPPED_ELSEWHERE);
    EXPECT_ERR(vnode_unmap(table, unmapped), SYS_ERR_NOT_MAPPED);
    EXPECT_ERR(vnode_unmap(table, SCRATCH(241)), SYS_ERR_SLOT_EMPTY);
    EXPECT_ERR(vnode_unmap(frame, frame), SYS_ERR_ILLEGAL_INVOCATION);
    /* an L2 table unmaps from the L1 it was mapped into */
    EXPECT_ERR(vnode_unmap(table, other_table), SYS_ERR_MAPPED_ELSEWHERE);
    EXPECT_OK(vnode_unmap(CAP_VNODE_L1, other_table));
    EXPECT_OK(vnode_unmap(table, frame));
}

/*
 * Modify changes the rights of a mapping in place: to read-only, a write
 * faults while reads still work; back to read-write, writes work again.
 */
static void modify_read_only(void)
{
    capaddr_t table, frame;
    lvaddr_t va = TEST_VA(0) + 5 * BASE_PAGE_SIZE;

    EXPECT_OK(scratch_l2_table(0, &table));
    EXPECT_OK(scratch_mapped_frame(table, 4, 2, VREGION_FLAGS_READ_WRITE, &frame));
    probe_write32(va, 1234);
    EXPECT_OK(vnode_modify(table, frame, VREGION_FLAGS_READ));
    faults_arm();
    EXPECT_EQ("read after modify", probe_read32(va), 1234);
    probe_write32(va, 5678);
    EXPECT_FAULT(FAULT_DATA_ABORT, va, FAULT_ACCESS_WRITE);
    EXPECT_OK(vnode_modify(table, frame, VREGION_FLAGS_READ_WRITE));
    faults_arm();
    probe_write32(va, 5678);
    EXPECT_EQ("faults after modify back to RW", fault_log.count, 0);
    EXPECT_EQ("value after write", probe_read32(va), 5678);
}

/* Modify errors: not mapped, mapped elsewhere, a table (no rights to
 * change), flags beyond rights, bad flags. */
static void modify_errors(void)
{
    capaddr_t table, other_table, frame, unmapped;
    cslot_t ro = scratch_slot();

    EXPECT_OK(scratch_l2_table(0, &table));
    EXPECT_OK(scratch_l2_table(1, &other_table));
    EXPECT_OK(scratch_mapped_frame(table, 0, 1, VREGION_FLAGS_READ, &frame));
    EXPECT_OK(scratch_object(ObjType_Frame, BASE_PAGE_SIZE, &unmapped));
    EXPECT_ERR(vnode_modify(table, unmapped, VREGION_FLAGS_READ), SYS_ERR_NOT_MAPPED);
    EXPECT_ERR(vnode_modify(other_table, frame, VREGION_FLAGS_READ), SYS_ERR_MAPPED_ELSEWHERE);
    EXPECT_ERR(vnode_modify(CAP_VNODE_L1, table, VREGION_FLAGS_READ),
               SYS_ERR_VNODE_TABLE_ARGS);
    EXPECT_ERR(vnode_modify(table, frame, 0x20), SYS_ERR_MAP_FLAGS);
    EXPECT_ERR(vnode_modify(table, frame, 0), SYS_ERR_MAP_FLAGS);
    EXPECT_OK(cap_mint(SCRATCH_CNODE, ro, frame, CAP_RIGHT_READ, 0));
    EXPECT_OK(vnode_map(table, SCRATCH(ro), 1, VREGION_FLAGS_READ, 0, 1));
    EXPECT_ERR(vnode_modify(table, SCRATCH(ro), VREGION_FLAGS_READ_WRITE), SYS_ERR_MAP_RIGHTS);
}

/* Deleting a mapped frame capability removes its mapping (even while
 * another copy of the frame stays); deleting an L2 table removes
 * everything mapped through it. */
static void delete_removes_mapping(void)
{
    capaddr_t table, frame;
    cslot_t copy = scratch_slot();
    lvaddr_t va = TEST_VA(0) + 7 * BASE_PAGE_SIZE;

    EXPECT_OK(scratch_l2_table(0, &table));
    EXPECT_OK(scratch_mapped_frame(table, 7, 1, VREGION_FLAGS_READ_WRITE, &frame));
    EXPECT_OK(cap_copy(SCRATCH_CNODE, copy, frame));
    probe_write32(va, 9);
    EXPECT_OK(cap_delete(frame));
    faults_arm();
    probe_read32(va);
    EXPECT_FAULT(FAULT_DATA_ABORT, va, FAULT_ACCESS_READ);
    /* the copy maps the same entry again, then the table goes */
    EXPECT_OK(vnode_map(table, SCRATCH(copy), 7, VREGION_FLAGS_READ, 0, 1));
    EXPECT_EQ("value through the copy", probe_read32(va), 9);
    EXPECT_OK(cap_delete(table));
    faults_arm();
    probe_read32(va);
    EXPECT_FAULT(FAULT_DATA_ABORT, va, FAULT_ACCESS_READ);
    EXPECT_ERR(vnode_unmap(CAP_VNODE_L1, SCRATCH(copy)), SYS_ERR_NOT_MAPPED);
    /* the L1 entry is free again */
    EXPECT_OK(scratch_l2_table(0, &table));
}

/*
 * A page table capability's copies share its mappings: deleting the copy
 * through which a frame was mapped hands the mapping to a remaining copy
 * (the entries stay), which can then unmap it.
 */
static void table_copy_keeps_mappings(void)
{
    capaddr_t table, frame;
    cslot_t table_copy = scratch_slot();
    lvaddr_t va = TEST_VA(0);

    EXPECT_OK(scratch_l2_table(0, &table));
    EXPECT_OK(cap_copy(SCRATCH_CNODE, table_copy, table));
    EXPECT_OK(scratch_object(ObjType_Frame, BASE_PAGE_SIZE, &frame));
    EXPECT_OK(vnode_map(SCRATCH(table_copy), frame, 0, VREGION_FLAGS_READ_WRITE, 0, 1));
    probe_write32(va, 31);
    EXPECT_OK(cap_delete(SCRATCH(table_copy)));
    faults_arm();
    EXPECT_EQ("read after deleting the mapping table copy", probe_read32(va), 31);
    EXPECT_EQ("faults", fault_log.count, 0);
    EXPECT_OK(vnode_unmap(table, frame));
    faults_arm();
    probe_read32(va);
    EXPECT_FAULT(FAULT_DATA_ABORT, va, FAULT_ACCESS_READ);
}

/* Revoking the RAM a table and frames came from removes all their
 * mappings from init's L1 (the per-case cleanup relies on this). */
static void revoke_removes_mappings(void)
{
    capaddr_t table, frame;

    EXPECT_OK(scratch_l2_table(2, &table));
    EXPECT_OK(scratch_mapped_frame(table, 0, 8, VREGION_FLAGS_READ_WRITE, &frame));
    probe_write32(TEST_VA(2), 1);
    EXPECT_OK(cap_revoke(SCRATCH_RAM));
    faults_arm();
    probe_read32(TEST_VA(2));
    EXPECT_FAULT(FAULT_DATA_ABORT, TEST_VA(2), FAULT_ACCESS_READ);
    EXPECT_OK(scratch_l2_table(2, &table));
}

#define TABLE_FLAGS (VREGION_FLAGS_READ_WRITE | VREGION_FLAGS_EXECUTE)

/*
 * Safety rule "one table, one mapping" (docs/safety.md). The attack it
 * stops: map table T at L1 entry A and a copy of T at entry B, map a frame
 * through T, touch it through both windows, unmap it: the kernel flushed
 * only A's page, so the frame (retyped into a CNode next) stayed writable
 * through B. A table with other copies cannot be mapped at all; its last
 * capability can; copies made after mapping (as spawn gives them) cannot.
 */
static void table_mapped_once(void)
{
    capaddr_t table, frame;
    cslot_t copy = scratch_slot(), later = scratch_slot();
    lvaddr_t va = TEST_VA(1) + 3 * BASE_PAGE_SIZE;

    EXPECT_OK(scratch_l2_table(0, &table));
    EXPECT_OK(cap_copy(SCRATCH_CNODE, copy, table));
    EXPECT_ERR(vnode_map(CAP_VNODE_L1, SCRATCH(copy), TEST_L1_ENTRY(1), TABLE_FLAGS, 0, 1),
               SYS_ERR_VNODE_TABLE_SHARED);
    EXPECT_OK(vnode_unmap(CAP_VNODE_L1, table));
    EXPECT_ERR(vnode_map(CAP_VNODE_L1, table, TEST_L1_ENTRY(1), TABLE_FLAGS, 0, 1),
               SYS_ERR_VNODE_TABLE_SHARED);
    EXPECT_OK(cap_delete(table));
    EXPECT_OK(vnode_map(CAP_VNODE_L1, SCRATCH(copy), TEST_L1_ENTRY(1), TABLE_FLAGS, 0, 1));
    EXPECT_OK(cap_copy(SCRATCH_CNODE, later, SCRATCH(copy)));
    EXPECT_ERR(vnode_map(CAP_VNODE_L1, SCRATCH(later), TEST_L1_ENTRY(0), TABLE_FLAGS, 0, 1),
               SYS_ERR_VNODE_TABLE_SHARED);
    EXPECT_OK(scratch_mapped_frame(SCRATCH(later), 3, 1, VREGION_FLAGS_READ_WRITE, &frame));
    probe_write32(va, 77);
    EXPECT_EQ("through the one window", probe_read32(va), 77);
    EXPECT_OK(vnode_unmap(SCRATCH(later), frame));
    faults_arm();
    probe_read32(va);
    EXPECT_FAULT(FAULT_DATA_ABORT, va, FAULT_ACCESS_READ);
}

/*
 * Unmapping through a copy of a table far (in the MDB) from the copy that
 * mapped it: the kernel does not search that far and flushes the whole
 * TLB instead, so no translation survives either way.
 */
static void table_far_copy_flushes(void)
{
    capaddr_t table, frame;
    cslot_t far = 0;
    lvaddr_t va = TEST_VA(0) + 9 * BASE_PAGE_SIZE;

    EXPECT_OK(scratch_l2_table(0, &table));
    for (int i = 0; i < 20; i++) {
        far = scratch_slot();
        EXPECT_OK(cap_copy(SCRATCH_CNODE, far, table));   /* each lands right after `table` */
    }
    far -= 19;                                            /* the first copy: now the furthest */
    EXPECT_OK(scratch_object(ObjType_Frame, BASE_PAGE_SIZE, &frame));
    EXPECT_OK(vnode_map(SCRATCH(far), frame, 9, VREGION_FLAGS_READ_WRITE, 0, 1));
    probe_write32(va, 5);
    EXPECT_EQ("mapped through a far copy", probe_read32(va), 5);
    EXPECT_OK(vnode_unmap(SCRATCH(far), frame));
    faults_arm();
    probe_read32(va);
    EXPECT_FAULT(FAULT_DATA_ABORT, va, FAULT_ACCESS_READ);
}

const struct test_case vspace_tests[] = {
    { "VSPACE_MAP_WRITE_READ", map_write_read },
    { "VSPACE_MAP_OFFSET_PAGES", map_offset_pages },
    { "VSPACE_NEW_FRAMES_READ_ZERO", new_frames_read_zero },
    { "VSPACE_MAP_ENTRY_OUT_OF_RANGE", map_entry_out_of_range },
    { "VSPACE_MAP_ENTRY_IN_USE", map_entry_in_use },
    { "VSPACE_MAP_TWICE", map_twice },
    { "VSPACE_MAP_TYPE_MISMATCH", map_type_mismatch },
    { "VSPACE_MAP_BAD_FLAGS", map_bad_flags },
    { "VSPACE_MAP_RIGHTS", map_rights },
    { "VSPACE_MAP_FRAME_OFFSET", map_frame_offset },
    { "VSPACE_UNMAP_THEN_FAULT", unmap_then_fault },
    { "VSPACE_UNMAP_ERRORS", unmap_errors },
    { "VSPACE_MODIFY_READ_ONLY", modify_read_only },
    { "VSPACE_MODIFY_ERRORS", modify_errors },
    { "VSPACE_DELETE_REMOVES_MAPPING", delete_removes_mapping },
    { "VSPACE_TABLE_COPY_KEEPS_MAPPINGS", table_copy_keeps_mappings },
    { "VSPACE_REVOKE_REMOVES_MAPPINGS", revoke_removes_mappings },
    { "VSPACE_TABLE_MAPPED_ONCE", table_mapped_once },
    { "VSPACE_TABLE_FAR_COPY_FLUSHES", table_far_copy_flushes },
    TEST_CASES_END
};
