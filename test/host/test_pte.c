/*
 * ARMv7 short-descriptor encodings of user mappings (arch/pte.h), checked
 * against values worked out by hand from the ARM ARM (B3.5.1, B3.7.1,
 * B3.8.2 with SCTLR.TRE = 0, AFE = 0).
 */
#include "host_suite.h"
#include <arch/pte.h>

static void test_indices(void)
{
    CU_ASSERT_EQUAL(ARM_L1_INDEX(0x12345678u), 0x123u);
    CU_ASSERT_EQUAL(ARM_L2_INDEX(0x12345678u), 0x45u);
    CU_ASSERT_EQUAL(ARM_L1_INDEX(0xffffffffu), 0xfffu);
    CU_ASSERT_EQUAL(ARM_L2_INDEX(0x000ff000u), 0xffu);
    CU_ASSERT_EQUAL(ARM_VA(0x123, 0x45), 0x12345000u);
    CU_ASSERT_EQUAL(ARM_VA(ARM_L1_INDEX(0x7ff00000u), ARM_L2_INDEX(0x7ff00000u)),
                    0x7ff00000u);
}

static void test_l1_table_entry(void)
{
    pte_t e = pte_l1_table(0x40001400u);

    /* base | PXN (bit 2) | domain 0 | type 0b01 */
    CU_ASSERT_EQUAL(e, 0x40001405u);
    CU_ASSERT_TRUE(pte_l1_is_table(e));
    CU_ASSERT_TRUE(pte_l1_is_valid(e));
    CU_ASSERT_EQUAL(pte_l1_table_pa(e), 0x40001400u);
    CU_ASSERT_EQUAL(e & PTE_L1_DOMAIN_MASK, 0u);
    CU_ASSERT_FALSE(pte_l1_is_valid(0));
    /* a 1 KiB-aligned table: low address bits never leak into the flags */
    CU_ASSERT_EQUAL(pte_l1_table(0x400017ffu), 0x40001405u);
}

static void test_l2_read_write_cached(void)
{
    pte_t e = pte_l2_user_page(0x40123000u, VREGION_FLAGS_READ_WRITE, false);

    /* nG S | TEX=001 | AP=11 APX=0 | C B | small | XN */
    CU_ASSERT_EQUAL(e, 0x40123c7fu);
    CU_ASSERT_TRUE(pte_l2_is_valid(e));
    CU_ASSERT_EQUAL(pte_l2_page_pa(e), 0x40123000u);
    CU_ASSERT_TRUE(pte_l2_user_readable(e));
    CU_ASSERT_TRUE(pte_l2_user_writable(e));
    CU_ASSERT_FALSE(pte_l2_user_executable(e));
}

static void test_l2_read_only_and_exec(void)
{
    pte_t ro = pte_l2_user_page(0x40123000u, VREGION_FLAGS_READ, false);
    pte_t rx = pte_l2_user_page(0x40123000u, VREGION_FLAGS_READ | VREGION_FLAGS_EXECUTE,
                                false);
    pte_t rwx = pte_l2_user_page(0x40123000u, VREGION_FLAGS_MASK & ~VREGION_FLAGS_NOCACHE,
                                 false);

    CU_ASSERT_EQUAL(ro, 0x40123e7fu);     /* APX=1 AP=11: read-only at PL0 and PL1 */
    CU_ASSERT_TRUE(pte_l2_user_readable(ro));
    CU_ASSERT_FALSE(pte_l2_user_writable(ro));
    CU_ASSERT_EQUAL(rx, 0x40123e7eu);     /* as RO without XN */
    CU_ASSERT_TRUE(pte_l2_user_executable(rx));
    CU_ASSERT_EQUAL(rwx, 0x40123c7eu);
    CU_ASSERT_TRUE(pte_l2_user_writable(rwx));
    CU_ASSERT_TRUE(pte_l2_user_executable(rwx));
}

static void test_l2_memory_types(void)
{
    pte_t nc = pte_l2_user_page(0x40200000u, VREGION_FLAGS_READ_WRITE
                                | VREGION_FLAGS_NOCACHE, false);
    pte_t dev = pte_l2_user_page(0x09000000u, VREGION_FLAGS_READ_WRITE, true);
    pte_t dev_nc = pte_l2_user_page(0x09000000u, VREGION_FLAGS_READ_WRITE
                                    | VREGION_FLAGS_NOCACHE, true);

    CU_ASSERT_EQUAL(nc, 0x40200c73u);     /* TEX=001 C=0 B=0 S=1: Normal non-cacheable */
    CU_ASSERT_EQUAL(nc & PTE_L2_MEM_MASK, PTE_L2_MEM_NORMAL_NC);
    CU_ASSERT_EQUAL(dev, 0x09000837u);    /* TEX=000 C=0 B=1: shareable Device */
    CU_ASSERT_EQUAL(dev & PTE_L2_MEM_MASK, PTE_L2_MEM_DEVICE);
    CU_ASSERT_EQUAL(dev_nc, dev);
    CU_ASSERT_TRUE(dev & PTE_L2_NG);
}

static void test_l2_invalid_flags(void)
{
    static const uint32_t bad[] = {
        0, VREGION_FLAGS_WRITE, VREGION_FLAGS_EXECUTE,
        VREGION_FLAGS_WRITE | VREGION_FLAGS_EXECUTE, VREGION_FLAGS_NOCACHE,
        VREGION_FLAGS_READ | 0x10u, 0x80000001u,
    };
    for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        CU_ASSERT_FALSE(pte_user_flags_valid(bad[i]));
        CU_ASSERT_EQUAL(pte_l2_user_page(0x40000000u, bad[i], false), 0u);
    }
    CU_ASSERT_TRUE(pte_user_flags_valid(VREGION_FLAGS_READ));
    CU_ASSERT_FALSE(pte_l2_is_valid(0));
    CU_ASSERT_FALSE(pte_l2_user_readable(0));
}

static void test_l2_address_masking(void)
{
    pte_t e = pte_l2_user_page(0x40123fffu, VREGION_FLAGS_READ, false);

    CU_ASSERT_EQUAL(pte_l2_page_pa(e), 0x40123000u);
    CU_ASSERT_EQUAL(e, 0x40123e7fu);
}

HOST_SUITE(pte_suite, "pte: ARMv7 user page-table entries", NULL, NULL, NULL,
           HOST_TEST(test_indices),
           HOST_TEST(test_l1_table_entry),
           HOST_TEST(test_l2_read_write_cached),
           HOST_TEST(test_l2_read_only_and_exec),
           HOST_TEST(test_l2_memory_types),
           HOST_TEST(test_l2_invalid_flags),
           HOST_TEST(test_l2_address_masking))
