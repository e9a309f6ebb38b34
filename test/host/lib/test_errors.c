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

/* The codes with the longest "CODE (desc)" texts, longest first. */
static void longest_codes(enum errcode *out, int n)
{
    for (int k = 0; k < n; k++) {
        size_t best = 0;
        out[k] = SYS_ERR_OK;
        for (int c = 0; c < ERRCODE_COUNT; c++) {
            size_t len = strlen(err_getcode((enum errcode)c))
                         + strlen(err_getstring((enum errcode)c));
            bool taken = false;
            for (int j = 0; j < k; j++) {
                taken = taken || out[j] == (enum errcode)c;
            }
            if (!taken && len > best) {
                best = len;
                out[k] = (enum errcode)c;
            }
        }
    }
}

/* The deepest chain an errval_t holds, of the longest codes. */
static errval_t worst_chain(void)
{
    enum errcode codes[6];
    errval_t e = 0;

    longest_codes(codes, 6);
    for (int i = 0; i < 6; i++) {
        e = err_push(e, codes[i]);
    }
    return e;
}

static void test_chain_bound_holds_the_longest_chain(void)
{
    char buf[ERR_CHAIN_MAX];
    errval_t e = worst_chain();
    enum errcode longest[7];
    size_t need = err_format_chain(e, buf, sizeof(buf)), seven = 6 * strlen(" <- ");

    CU_ASSERT_EQUAL(need, strlen(buf));
    CU_ASSERT_TRUE(need < ERR_CHAIN_MAX);
    /* a seventh push leaves four bits of a code: bound that one too */
    longest_codes(longest, 7);
    for (int i = 0; i < 7; i++) {
        seven += strlen(err_getcode(longest[i])) + strlen(err_getstring(longest[i])) + 3;
    }
    CU_ASSERT_TRUE(seven < ERR_CHAIN_MAX);
}

/* Every buffer size gives a prefix of the whole text made of whole
 * elements: it ends where the full text has " <- " or its end. */
static void test_chain_never_cuts_an_element(void)
{
    char full[ERR_CHAIN_MAX], part[ERR_CHAIN_MAX];
    errval_t e = worst_chain();
    size_t need = err_format_chain(e, full, sizeof(full));

    for (size_t len = 0; len <= need + 1; len++) {
        memset(part, 'x', sizeof(part));
        CU_ASSERT_EQUAL(err_format_chain(e, part, len), need);
        if (len == 0) {
            CU_ASSERT_EQUAL(part[0], 'x');     /* nothing written */
            continue;
        }
        size_t got = strlen(part);
        CU_ASSERT_TRUE(got < len);
        CU_ASSERT_EQUAL(memcmp(part, full, got), 0);
        CU_ASSERT_TRUE(got == 0 || full[got] == '\0' || strncmp(full + got, " <- ", 4) == 0);
        if (len > need) {
            CU_ASSERT_STRING_EQUAL(part, full);
        }
    }
}

/* Wrapping takes whole elements, as many as fit the column, at least one,
 * and the pieces put back together are the text. */
static void test_wrap_splits_between_elements(void)
{
    char full[ERR_CHAIN_MAX], joined[ERR_CHAIN_MAX] = "";
    const char *t = full;
    size_t column = 40, lines = 0;

    err_format_chain(worst_chain(), full, sizeof(full));
    while (*t != '\0') {
        size_t n = err_wrap_length(t, column);
        CU_ASSERT_TRUE(n > 0);
        CU_ASSERT_TRUE(t[n] == '\0' || strncmp(t + n, " <- ", 4) == 0);
        /* more than one element on a line only if the line fits */
        const char *sep = strstr(t + 1, " <- ");
        if (n == 0) {
            break;                          /* no progress: fail, do not loop */
        }
        if (sep != NULL && (size_t)(sep - t) < n) {
            CU_ASSERT_TRUE(column + n <= ERR_WRAP_COLUMN);
        }
        strncat(joined, t, n);
        t += n;
        lines++;
        column = 4;
    }
    CU_ASSERT_STRING_EQUAL(joined, full);
    CU_ASSERT_TRUE(lines > 1);
    CU_ASSERT_EQUAL(err_wrap_length("A (a) <- B (b)", 0), strlen("A (a) <- B (b)"));
    CU_ASSERT_EQUAL(err_wrap_length("A (a) <- B (b)", ERR_WRAP_COLUMN), strlen("A (a)"));
    CU_ASSERT_EQUAL(err_wrap_length("", 0), 0);
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
           HOST_TEST(test_chain_bound_holds_the_longest_chain),
           HOST_TEST(test_chain_never_cuts_an_element),
           HOST_TEST(test_wrap_splits_between_elements),
           HOST_TEST(test_every_code_has_a_name))
