/*
 * The runtime's decoding of ARMv7 fault status registers
 * (lib/arch/armv7/fault_status.c): which aborts a pager may resolve by
 * mapping (translation faults only) and which it must never "resolve"
 * (permission faults and everything else), in both FSR formats. The values
 * are DFSR/IFSR encodings from the ARMv7-A manual, with the write bit
 * (WnR, bit 11) and the LPAE bit (9) set where they matter.
 */
#include "host_suite.h"
#include <aos/dispatch.h>

static enum fault_cause cause_of(uint32_t type, uint32_t fsr)
{
    struct fault_info f = { .type = type, .addr = 0x1000, .access = 0, .fsr = fsr };
    return fault_cause(&f);
}

static void test_short_format(void)
{
    static const struct { uint32_t fsr; enum fault_cause cause; } cases[] = {
        { 0x007, FAULT_CAUSE_TRANSLATION },   /* page, read */
        { 0x807, FAULT_CAUSE_TRANSLATION },   /* page, write */
        { 0x005, FAULT_CAUSE_TRANSLATION },   /* section */
        { 0x00f, FAULT_CAUSE_PERMISSION },    /* page */
        { 0x80d, FAULT_CAUSE_PERMISSION },    /* section, write */
        { 0x003, FAULT_CAUSE_ACCESS_FLAG },
        { 0x006, FAULT_CAUSE_ACCESS_FLAG },
        { 0x009, FAULT_CAUSE_DOMAIN },
        { 0x00b, FAULT_CAUSE_DOMAIN },
        { 0x008, FAULT_CAUSE_EXTERNAL },      /* synchronous external abort */
        { 0x00c, FAULT_CAUSE_EXTERNAL },      /* on the first-level walk */
        { 0x406, FAULT_CAUSE_EXTERNAL },      /* FS = 0x16: asynchronous */
        { 0x002, FAULT_CAUSE_OTHER },         /* debug event */
        { 0x001, FAULT_CAUSE_OTHER },         /* alignment */
        { 0x400, FAULT_CAUSE_OTHER },         /* FS = 0x10: TLB conflict */
        { 0x000, FAULT_CAUSE_OTHER },
    };

    for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        CU_ASSERT_EQUAL(cause_of(FAULT_DATA_ABORT, cases[i].fsr), cases[i].cause);
        CU_ASSERT_EQUAL(cause_of(FAULT_PREFETCH_ABORT, cases[i].fsr & ~0x800u),
                        cases[i].cause);
    }
}

static void test_long_format(void)
{
    static const struct { uint32_t status; enum fault_cause cause; } cases[] = {
        { 0x05, FAULT_CAUSE_TRANSLATION },    /* level 1 */
        { 0x07, FAULT_CAUSE_TRANSLATION },    /* level 3 */
        { 0x0b, FAULT_CAUSE_ACCESS_FLAG },
        { 0x0f, FAULT_CAUSE_PERMISSION },
        { 0x0d, FAULT_CAUSE_PERMISSION },
        { 0x10, FAULT_CAUSE_EXTERNAL },
        { 0x15, FAULT_CAUSE_EXTERNAL },       /* on a walk */
        { 0x21, FAULT_CAUSE_OTHER },          /* alignment */
        { 0x22, FAULT_CAUSE_OTHER },          /* debug */
        { 0x30, FAULT_CAUSE_OTHER },          /* TLB conflict */
    };

    for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        CU_ASSERT_EQUAL(cause_of(FAULT_DATA_ABORT, 0x200u | cases[i].status), cases[i].cause);
        CU_ASSERT_EQUAL(cause_of(FAULT_DATA_ABORT, 0xa00u | cases[i].status), cases[i].cause);
    }
}

/* Faults that are not aborts have no status to decode: never resolvable. */
static void test_not_an_abort(void)
{
    CU_ASSERT_EQUAL(cause_of(FAULT_UNDEFINED, 0x007), FAULT_CAUSE_OTHER);
    CU_ASSERT_EQUAL(cause_of(FAULT_ALIGNMENT, 0x007), FAULT_CAUSE_OTHER);
    CU_ASSERT_EQUAL(cause_of(FAULT_NONE, 0x007), FAULT_CAUSE_OTHER);
    CU_ASSERT_EQUAL(cause_of(99, 0x007), FAULT_CAUSE_OTHER);
    for (int c = FAULT_CAUSE_TRANSLATION; c <= FAULT_CAUSE_OTHER + 1; c++) {
        CU_ASSERT_PTR_NOT_NULL(fault_cause_name((enum fault_cause)c));
    }
}

HOST_SUITE(fault_status_suite, "fault status decoding", NULL, NULL, NULL,
           HOST_TEST(test_short_format),
           HOST_TEST(test_long_format),
           HOST_TEST(test_not_an_abort))
