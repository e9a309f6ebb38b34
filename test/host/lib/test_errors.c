/*
 * Error values: pushing causes and printing the whole chain (lib/debug.c).
 */
#include "host_suite.h"
#include <aos/debug.h>
#include <string.h>

static void test_push_pop_keeps_order(void)
{
    errval_t e = err_push(err_push(SYS_ERR_SLOT_EMPTY, SYS_ERR_RETYPE_OVERLAP),
                          LIB_ERR_NOT_IMPLEMENTED);
    CU_ASSERT_EQUAL(err_no(e), LIB_ERR_NOT_IMPLEMENTED);
    CU_ASSERT_EQUAL(err_no(err_pop(e)), SYS_ERR_RETYPE_OVERLAP);
    CU_ASSERT_EQUAL(err_no(err_pop(err_pop(e))), SYS_ERR_SLOT_EMPTY);
    CU_ASSERT_EQUAL(err_pop(err_pop(err_pop(e))), 0);
    CU_ASSERT_TRUE(err_is_fail(e));
    CU_ASSERT_TRUE(err_is_ok(SYS_ERR_OK));
}

static void test_chain_is_printed_newest_first(void)
{
    char buf[256];
    errval_t e = err_push(SYS_ERR_SLOT_EMPTY, SYS_ERR_RETYPE_OVERLAP);
    err_format_chain(e, buf, sizeof(buf));
    CU_ASSERT_PTR_NOT_NULL(strstr(buf, "SYS_ERR_RETYPE_OVERLAP"));
    CU_ASSERT_PTR_NOT_NULL(strstr(buf, "SYS_ERR_SLOT_EMPTY"));
    CU_ASSERT_TRUE(strstr(buf, "SYS_ERR_RETYPE_OVERLAP") < strstr(buf, "SYS_ERR_SLOT_EMPTY"));
    CU_ASSERT_PTR_NOT_NULL(strstr(buf, " <- "));
}

static void test_chain_truncates_safely(void)
{
    char buf[8];
    err_format_chain(err_push(SYS_ERR_SLOT_EMPTY, SYS_ERR_RETYPE_OVERLAP), buf, sizeof(buf));
    CU_ASSERT_TRUE(strlen(buf) < sizeof(buf));
}

static void test_every_code_has_a_name(void)
{
    for (int c = 0; c < ERRCODE_COUNT; c++) {
        CU_ASSERT_PTR_NOT_NULL(err_getcode((enum errcode)c));
        CU_ASSERT_NOT_EQUAL(strcmp(err_getcode((enum errcode)c), "UNKNOWN_ERROR"), 0);
    }
    CU_ASSERT_STRING_EQUAL(err_getcode((enum errcode)ERRCODE_COUNT), "UNKNOWN_ERROR");
}

HOST_SUITE(errors_suite, "errors", NULL, NULL, NULL,
           HOST_TEST(test_push_pop_keeps_order),
           HOST_TEST(test_chain_is_printed_newest_first),
           HOST_TEST(test_chain_truncates_safely),
           HOST_TEST(test_every_code_has_a_name))
