/*
 * DISP_: building a second domain by hand and the dispatcher invocations.
 */
#include "testing.h"

const struct test_case disp_tests[] = {
    TEST_CASES_END
};
