/*
 * Mapping frames into L2 tables and L2 tables into L1 tables: the entries
 * written, the records kept, TLB maintenance, and every error (which must
 * leave the tables and records unchanged).
 */
#include "host_suite.h"
#include "cap_fixture.h"
#include <arch/pte.h>

/* Objects from fx.ram into cn[1]: */
#define L1      fx_slot(1, 0)   /* VNode L1 at RAM offset 0 */
#define L2      fx_slot(1, 1)   /* VNode L2 at 0x4000 */
#define FRAME   fx_slot(1, 2)   /* 4-page Frame at 0x10000 */
#define L2B     fx_slot(1, 3)   /* second VNode L2 at 0x4400 */
#define DEV     fx_slot(1, 4)   /* DevFrame (boot original, outside RAM) */
#define FRAME_PA (FX_RAM_PA + 0x10000)

static void vnode_setup(void)
{
    fx_setup();
    ASSERT_OK(fx_retype(ObjType_VNode_L1, 0, OBJSIZE_VNODE_L1, 1, 1, 0));
    ASSERT_OK(fx_retype(ObjType_VNode_L2, 0x4000, OBJSIZE_VNODE_L2, 1, 1, 1));
    ASSERT_OK(fx_retype(ObjType_Frame, 0x10000, 0x4000, 1, 1, 2));
    ASSERT_OK(fx_retype(ObjType_VNode_L2, 0x4400, OBJSIZE_VNODE_L2, 1, 1, 3));
    ASSERT_OK(caps_create_boot(DEV, ObjType_DevFrame, FX_DEV_PA, 0x1000,
                               CAP_RIGHT_READ | CAP_RIGHT_WRITE | CAP_RIGHT_GRANT));
    fx.baseline = caps_count_live();
    fake_reset();
}

static pte_t *entries(struct cte *table)
{
    return pa_to_kva(table->cap.base);
}

static void test_map_frame_pages(void)
{
    ASSERT_OK(vnode_map(L2, FRAME, 5, VREGION_FLAGS_READ_WRITE, 1, 2));
    CU_ASSERT_EQUAL(entries(L2)[4], 0u);
    CU_ASSERT_EQUAL(entries(L2)[5], pte_l2_user_page(FRAME_PA + 0x1000,
                                                     VREGION_FLAGS_READ_WRITE, false));
    CU_ASSERT_EQUAL(entries(L2)[6], pte_l2_user_page(FRAME_PA + 0x2000,
                                                     VREGION_FLAGS_READ_WRITE, false));
    CU_ASSERT_EQUAL(entries(L2)[7], 0u);
    CU_ASSERT_EQUAL(FRAME->map_vnode, cte_to_ref(L2));
    CU_ASSERT_EQUAL(FRAME->map_entry, 5);
    CU_ASSERT_EQUAL(FRAME->map_count, 2);
    CU_ASSERT_EQUAL(FRAME->map_offset, 1u);
    CU_ASSERT_EQUAL(L2->mapped_head, cte_to_ref(FRAME));
    CU_ASSERT_TRUE(fake.pte_syncs >= 1 && fake.pte_synced_bytes >= 8);
    /* L2 not mapped into any L1: no virtual address known */
    CU_ASSERT_EQUAL(fake.tlb_flush_all, 1u);
}

static void test_map_l2_into_l1_then_page_flush(void)
{
    ASSERT_OK(vnode_map(L1, L2, 3, VREGION_FLAGS_READ_WRITE, 0, 1));
    CU_ASSERT_EQUAL(entries(L1)[3], pte_l1_table(L2->cap.base));
    CU_ASSERT_EQUAL(L2->map_vnode, cte_to_ref(L1));
    fake_reset();
    ASSERT_OK(vnode_map(L2, FRAME, 0x45, VREGION_FLAGS_READ, 0, 1));
    CU_ASSERT_EQUAL(fake.tlb_flush_all, 0u);
    CU_ASSERT_EQUAL(fake.tlb_flush_page, 1u);
    CU_ASSERT_EQUAL(fake.tlb_last_page, 0x00345000u);
    /* through a copy of the L2 cap, the address is still known */
    ASSERT_OK(caps_copy(fx_slot(2, 0), L2, CAP_RIGHTS_ALL, 0));
    ASSERT_OK(caps_copy(fx_slot(2, 1), FRAME, CAP_RIGHTS_ALL, 0));
    ASSERT_OK(vnode_map(fx_slot(2, 0), fx_slot(2, 1), 0x46, VREGION_FLAGS_READ, 0, 1));
    CU_ASSERT_EQUAL(fake.tlb_last_page, 0x00346000u);
}

static void test_map_devframe_and_nocache(void)
{
    ASSERT_OK(vnode_map(L2, DEV, 0, VREGION_FLAGS_READ_WRITE, 0, 1));
    CU_ASSERT_EQUAL(entries(L2)[0], pte_l2_user_page(FX_DEV_PA, VREGION_FLAGS_READ_WRITE,
                                                     true));
    CU_ASSERT_EQUAL(entries(L2)[0] & PTE_L2_MEM_MASK, PTE_L2_MEM_DEVICE);
    CU_ASSERT_EQUAL(fake.cache_cleaned_bytes, 0u);          /* device memory: never */
    ASSERT_OK(vnode_map(L2, FRAME, 1, VREGION_FLAGS_READ_WRITE | VREGION_FLAGS_NOCACHE,
                        1, 2));
    CU_ASSERT_EQUAL(entries(L2)[1] & PTE_L2_MEM_MASK, PTE_L2_MEM_NORMAL_NC);
    /* the two uncached pages were cleaned from the cache first */
    CU_ASSERT_EQUAL(fake.cache_cleaned_bytes, 2u * 4096);
}

static void test_unmap_and_modify(void)
{
    ASSERT_OK(vnode_map(L2, FRAME, 8, VREGION_FLAGS_READ_WRITE, 0, 4));
    ASSERT_OK(vnode_modify(L2, FRAME, VREGION_FLAGS_READ | VREGION_FLAGS_EXECUTE));
    for (int i = 0; i < 4; i++) {
        CU_ASSERT_FALSE(pte_l2_user_writable(entries(L2)[8 + i]));
        CU_ASSERT_TRUE(pte_l2_user_executable(entries(L2)[8 + i]));
        CU_ASSERT_EQUAL(pte_l2_page_pa(entries(L2)[8 + i]), FRAME_PA + i * 0x1000u);
    }
    fake_reset();
    ASSERT_OK(vnode_unmap(L2, FRAME));
    for (int i = 0; i < 4; i++) {
        CU_ASSERT_EQUAL(entries(L2)[8 + i], 0u);
    }
    CU_ASSERT_EQUAL(FRAME->map_vnode, 0u);
    CU_ASSERT_EQUAL(L2->mapped_head, 0u);
    CU_ASSERT_EQUAL(fake.tlb_flush_all, 1u);
    /* and it can be mapped again */
    ASSERT_OK(vnode_map(L2, FRAME, 8, VREGION_FLAGS_READ, 0, 4));
}

static void test_map_errors(void)
{
    struct cte *ro_frame = fx_slot(2, 0), *ro_table = fx_slot(2, 1), *ram = fx.ram;

    ASSERT_OK(caps_copy(ro_frame, FRAME, CAP_RIGHT_READ | CAP_RIGHT_GRANT, 0));
    ASSERT_OK(caps_copy(ro_table, L2, CAP_RIGHT_READ, 0));
    ASSERT_OK(vnode_map(L2, FRAME, 100, VREGION_FLAGS_READ, 0, 2));   /* entries 100,101 */
    fx_snapshot();
    ASSERT_ERR(vnode_map(FRAME, ro_frame, 0, VREGION_FLAGS_READ, 0, 1), SYS_ERR_WRONG_CAP_TYPE);
    ASSERT_ERR(vnode_map(L2, fx_slot(2, 50), 0, VREGION_FLAGS_READ, 0, 1), SYS_ERR_SLOT_EMPTY);
    ASSERT_ERR(vnode_map(ro_table, ro_frame, 0, VREGION_FLAGS_READ, 0, 1), SYS_ERR_NO_RIGHTS);
    ASSERT_ERR(vnode_map(L1, ro_frame, 0, VREGION_FLAGS_READ, 0, 1),
               SYS_ERR_VNODE_TYPE_MISMATCH);
    ASSERT_ERR(vnode_map(L2, L2B, 0, VREGION_FLAGS_READ, 0, 1), SYS_ERR_VNODE_TYPE_MISMATCH);
    ASSERT_ERR(vnode_map(L2, ram, 0, VREGION_FLAGS_READ, 0, 1), SYS_ERR_VNODE_TYPE_MISMATCH);
    ASSERT_ERR(vnode_map(L1, L1, 0, VREGION_FLAGS_READ, 0, 1), SYS_ERR_VNODE_TYPE_MISMATCH);
    ASSERT_ERR(vnode_map(L2, ro_frame, 0, 0x10 | VREGION_FLAGS_READ, 0, 1), SYS_ERR_MAP_FLAGS);
    ASSERT_ERR(vnode_map(L2, ro_frame, 0, 0, 0, 1), SYS_ERR_MAP_FLAGS);
    ASSERT_ERR(vnode_map(L2, ro_frame, 0, VREGION_FLAGS_NOCACHE, 0, 1), SYS_ERR_MAP_FLAGS);
    ASSERT_ERR(vnode_map(L2, ro_frame, 0, VREGION_FLAGS_READ_WRITE, 0, 1), SYS_ERR_MAP_RIGHTS);
    ASSERT_ERR(vnode_map(L2, ro_frame, 0, VREGION_FLAGS_READ | VREGION_FLAGS_EXECUTE, 0, 1),
               SYS_ERR_MAP_RIGHTS);
    ASSERT_ERR(vnode_map(L2, DEV, 0, VREGION_FLAGS_READ | VREGION_FLAGS_EXECUTE, 0, 1),
               SYS_ERR_MAP_RIGHTS);
    ASSERT_ERR(vnode_map(L2, FRAME, 0, VREGION_FLAGS_READ, 0, 1), SYS_ERR_ALREADY_MAPPED);
    ASSERT_ERR(vnode_map(L2, ro_frame, 250, VREGION_FLAGS_READ, 0, 7), SYS_ERR_VNODE_INDEX);
    ASSERT_ERR(vnode_map(L2, ro_frame, 256, VREGION_FLAGS_READ, 0, 1), SYS_ERR_VNODE_INDEX);
    ASSERT_ERR(vnode_map(L2, ro_frame, 0xffffffffu, VREGION_FLAGS_READ, 0, 2),
               SYS_ERR_VNODE_INDEX);
    ASSERT_ERR(vnode_map(L2, ro_frame, 0, VREGION_FLAGS_READ, 3, 2), SYS_ERR_FRAME_OFFSET);
    ASSERT_ERR(vnode_map(L2, ro_frame, 0, VREGION_FLAGS_READ, 4, 1), SYS_ERR_FRAME_OFFSET);
    ASSERT_ERR(vnode_map(L2, ro_frame, 0, VREGION_FLAGS_READ, 0, 0), SYS_ERR_FRAME_OFFSET);
    ASSERT_ERR(vnode_map(L2, ro_frame, 0, VREGION_FLAGS_READ, 0xffffffffu, 2),
               SYS_ERR_FRAME_OFFSET);
    ASSERT_ERR(vnode_map(L2, ro_frame, 99, VREGION_FLAGS_READ, 0, 2), SYS_ERR_VNODE_SLOT_INUSE);
    ASSERT_ERR(vnode_map(L2, ro_frame, 101, VREGION_FLAGS_READ, 0, 1), SYS_ERR_VNODE_SLOT_INUSE);
    ASSERT_ERR(vnode_map(L1, L2B, VNODE_L1_USER_ENTRIES, VREGION_FLAGS_READ, 0, 1),
               SYS_ERR_VNODE_KERNEL_RANGE);
    ASSERT_ERR(vnode_map(L1, L2B, 4095, VREGION_FLAGS_READ, 0, 1), SYS_ERR_VNODE_KERNEL_RANGE);
    ASSERT_ERR(vnode_map(L1, L2B, 4096, VREGION_FLAGS_READ, 0, 1), SYS_ERR_VNODE_INDEX);
    ASSERT_ERR(vnode_map(L1, L2B, 0, VREGION_FLAGS_READ, 0, 2), SYS_ERR_VNODE_TABLE_ARGS);
    ASSERT_ERR(vnode_map(L1, L2B, 0, VREGION_FLAGS_READ, 1, 1), SYS_ERR_VNODE_TABLE_ARGS);
    CU_ASSERT_TRUE(fx_unchanged());
}

static void test_l1_slot_in_use(void)
{
    ASSERT_OK(vnode_map(L1, L2, 2047, VREGION_FLAGS_READ_WRITE, 0, 1));
    ASSERT_ERR(vnode_map(L1, L2B, 2047, VREGION_FLAGS_READ_WRITE, 0, 1),
               SYS_ERR_VNODE_SLOT_INUSE);
}

static void test_unmap_modify_errors(void)
{
    struct cte *copy = fx_slot(2, 0);

    ASSERT_OK(caps_copy(copy, FRAME, CAP_RIGHTS_ALL, 0));
    ASSERT_OK(vnode_map(L2, FRAME, 0, VREGION_FLAGS_READ, 0, 1));
    ASSERT_OK(vnode_map(L1, L2B, 1, VREGION_FLAGS_READ, 0, 1));
    fx_snapshot();
    ASSERT_ERR(vnode_unmap(L2, copy), SYS_ERR_NOT_MAPPED);       /* the copy made no mapping */
    ASSERT_ERR(vnode_unmap(L2B, FRAME), SYS_ERR_MAPPED_ELSEWHERE);
    ASSERT_ERR(vnode_unmap(L2, fx_slot(2, 9)), SYS_ERR_SLOT_EMPTY);
    ASSERT_ERR(vnode_unmap(FRAME, FRAME), SYS_ERR_WRONG_CAP_TYPE);
    ASSERT_ERR(vnode_modify(L2, copy, VREGION_FLAGS_READ), SYS_ERR_NOT_MAPPED);
    ASSERT_ERR(vnode_modify(L2B, FRAME, VREGION_FLAGS_READ), SYS_ERR_MAPPED_ELSEWHERE);
    ASSERT_ERR(vnode_modify(L2, FRAME, VREGION_FLAGS_WRITE), SYS_ERR_MAP_FLAGS);
    ASSERT_ERR(vnode_modify(L2, FRAME, 0x20 | VREGION_FLAGS_READ), SYS_ERR_MAP_FLAGS);
    ASSERT_ERR(vnode_modify(L1, L2B, VREGION_FLAGS_READ), SYS_ERR_VNODE_TABLE_ARGS);
    CU_ASSERT_TRUE(fx_unchanged());
    /* rights: a read-only copy of the frame, mapped, cannot be made writable */
    ASSERT_OK(caps_copy(fx_slot(2, 1), FRAME, CAP_RIGHT_READ, 0));
    ASSERT_OK(vnode_map(L2, fx_slot(2, 1), 1, VREGION_FLAGS_READ, 0, 1));
    ASSERT_ERR(vnode_modify(L2, fx_slot(2, 1), VREGION_FLAGS_READ_WRITE), SYS_ERR_MAP_RIGHTS);
    /* unmap through a copy of the table cap is the same table */
    ASSERT_OK(caps_copy(fx_slot(2, 2), L2, CAP_RIGHTS_ALL, 0));
    ASSERT_OK(vnode_unmap(fx_slot(2, 2), FRAME));
}

static void test_delete_mapped_frame_copy(void)
{
    struct cte *copy = fx_slot(2, 0);

    ASSERT_OK(caps_copy(copy, FRAME, CAP_RIGHTS_ALL, 0));
    ASSERT_OK(vnode_map(L2, FRAME, 0, VREGION_FLAGS_READ, 0, 1));
    ASSERT_OK(vnode_map(L2, copy, 1, VREGION_FLAGS_READ, 0, 1));
    ASSERT_OK(caps_delete(copy));        /* not the last copy, but its mapping goes */
    CU_ASSERT_EQUAL(entries(L2)[1], 0u);
    CU_ASSERT_NOT_EQUAL(entries(L2)[0], 0u);
    CU_ASSERT_EQUAL(L2->mapped_head, cte_to_ref(FRAME));
    CU_ASSERT_EQUAL(FRAME->map_next, 0u);
}

static void test_delete_table_unmaps_through_it(void)
{
    ASSERT_OK(vnode_map(L1, L2, 0, VREGION_FLAGS_READ, 0, 1));
    ASSERT_OK(vnode_map(L2, FRAME, 0, VREGION_FLAGS_READ, 0, 1));
    ASSERT_OK(vnode_map(L2, DEV, 1, VREGION_FLAGS_READ, 0, 1));
    ASSERT_OK(caps_delete(L2));          /* last copy: everything through it goes */
    CU_ASSERT_EQUAL(FRAME->map_vnode, 0u);
    CU_ASSERT_EQUAL(DEV->map_vnode, 0u);
    CU_ASSERT_EQUAL(entries(L1)[0], 0u);
    CU_ASSERT_EQUAL(L1->mapped_head, 0u);
    ASSERT_OK(vnode_map(L2B, FRAME, 0, VREGION_FLAGS_READ, 0, 1));   /* free again */
    ASSERT_MDB();
}

static void test_delete_table_copy_hands_over(void)
{
    struct cte *copy = fx_slot(2, 0);

    ASSERT_OK(caps_copy(copy, L2, CAP_RIGHTS_ALL, 0));
    ASSERT_OK(vnode_map(copy, FRAME, 3, VREGION_FLAGS_READ, 0, 1));
    ASSERT_OK(caps_delete(copy));        /* L2 remains: the mapping stays, now via L2 */
    CU_ASSERT_NOT_EQUAL(entries(L2)[3], 0u);
    CU_ASSERT_EQUAL(FRAME->map_vnode, cte_to_ref(L2));
    CU_ASSERT_EQUAL(L2->mapped_head, cte_to_ref(FRAME));
    ASSERT_OK(vnode_unmap(L2, FRAME));
    CU_ASSERT_EQUAL(entries(L2)[3], 0u);
}

static void test_delete_l1_unmaps_l2(void)
{
    ASSERT_OK(vnode_map(L1, L2, 7, VREGION_FLAGS_READ, 0, 1));
    ASSERT_OK(vnode_map(L1, L2B, 8, VREGION_FLAGS_READ, 0, 1));
    fake_reset();
    ASSERT_OK(caps_delete(L1));
    CU_ASSERT_EQUAL(L2->map_vnode, 0u);
    CU_ASSERT_EQUAL(L2B->map_vnode, 0u);
    /* the architecture is told, so TTBR0 never points at a dead table */
    CU_ASSERT_EQUAL(fake.vspace_destroyed, 1u);
    CU_ASSERT_EQUAL(fake.vspace_destroyed_pa, FX_RAM_PA);
    ASSERT_LIVE(-1);
    ASSERT_MDB();
}

/* One table, one mapping: a table with other copies cannot be mapped; the
 * last copy can; and the refused call changes nothing. */
static void test_table_with_copies_not_mappable(void)
{
    struct cte *copy = fx_slot(2, 0);

    ASSERT_OK(caps_copy(copy, L2, CAP_RIGHTS_ALL, 0));
    CU_ASSERT_EQUAL(err_no(vnode_map(L1, copy, 7, VREGION_FLAGS_READ_WRITE, 0, 1)),
                    SYS_ERR_VNODE_TABLE_SHARED);
    CU_ASSERT_EQUAL(err_no(vnode_map(L1, L2, 7, VREGION_FLAGS_READ_WRITE, 0, 1)),
                    SYS_ERR_VNODE_TABLE_SHARED);
    CU_ASSERT_EQUAL(entries(L1)[7], 0u);
    CU_ASSERT_EQUAL(copy->map_vnode, 0u);
    ASSERT_OK(caps_delete(L2));
    ASSERT_OK(vnode_map(L1, copy, 7, VREGION_FLAGS_READ_WRITE, 0, 1));
    CU_ASSERT_EQUAL(entries(L1)[7], pte_l1_table(copy->cap.base));
    /* a copy made after mapping cannot map the table a second time */
    ASSERT_OK(caps_copy(fx_slot(2, 1), copy, CAP_RIGHTS_ALL, 0));
    CU_ASSERT_EQUAL(err_no(vnode_map(L1, fx_slot(2, 1), 8, VREGION_FLAGS_READ_WRITE, 0, 1)),
                    SYS_ERR_VNODE_TABLE_SHARED);
    CU_ASSERT_EQUAL(entries(L1)[8], 0u);
    CU_ASSERT_PTR_NULL(mdb_check_invariants());
}

/* A frame unmapped through a copy of a mapped table more than
 * L2_MAPPER_SEARCH copies away from the mapping copy: whole-TLB flush. */
static void test_far_table_copy_flushes_all(void)
{
    ASSERT_OK(vnode_map(L1, L2, 3, VREGION_FLAGS_READ_WRITE, 0, 1));
    for (int i = 0; i < 12; i++) {
        ASSERT_OK(caps_copy(fx_slot(2, i), L2, CAP_RIGHTS_ALL, 0));
    }
    /* copies land right after L2: fx_slot(2, 0) is now the furthest */
    fake_reset();
    ASSERT_OK(vnode_map(fx_slot(2, 0), FRAME, 0x10, VREGION_FLAGS_READ, 0, 1));
    CU_ASSERT_EQUAL(fake.tlb_flush_page, 0u);
    CU_ASSERT_EQUAL(fake.tlb_flush_all, 1u);
    /* through a near copy the address is still known */
    ASSERT_OK(vnode_unmap(fx_slot(2, 11), FRAME));
    fake_reset();
    ASSERT_OK(vnode_map(fx_slot(2, 11), FRAME, 0x10, VREGION_FLAGS_READ, 0, 1));
    CU_ASSERT_EQUAL(fake.tlb_flush_all, 0u);
    CU_ASSERT_EQUAL(fake.tlb_flush_page, 1u);
    CU_ASSERT_EQUAL(fake.tlb_last_page, 0x00310000u);
}

HOST_SUITE(vnode_suite, "vnode: map, unmap, modify", NULL, NULL, vnode_setup,
           HOST_TEST(test_map_frame_pages),
           HOST_TEST(test_map_l2_into_l1_then_page_flush),
           HOST_TEST(test_map_devframe_and_nocache),
           HOST_TEST(test_unmap_and_modify),
           HOST_TEST(test_map_errors),
           HOST_TEST(test_l1_slot_in_use),
           HOST_TEST(test_unmap_modify_errors),
           HOST_TEST(test_delete_mapped_frame_copy),
           HOST_TEST(test_delete_table_unmaps_through_it),
           HOST_TEST(test_delete_table_copy_hands_over),
           HOST_TEST(test_delete_l1_unmaps_l2),
           HOST_TEST(test_table_with_copies_not_mappable),
           HOST_TEST(test_far_table_copy_flushes_all))
