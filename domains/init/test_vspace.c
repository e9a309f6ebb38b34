/*
 * VSPACE_: mapping frames and page tables into init's own address space.
 */
#include "testing.h"

const struct test_case vspace_tests[] = {
    TEST_CASES_END
};
