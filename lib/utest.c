/*
 * The test framework of include/aos/utest.h. Single-threaded: cases run
 * one after the other on the main thread.
 */
#include <aos/utest.h>
#include <aos/debug.h>
#include <stdarg.h>
#include <stdio.h>

static unsigned passed, failed;
static bool case_failed;
static char why[ERR_CHAIN_MAX + 512];  /* room for a message with a whole error chain */

void utest_fail(const char *fmt, ...)
{
    va_list ap;

    if (case_failed) {
        return;
    }
    case_failed = true;
    va_start(ap, fmt);
    vsnprintf(why, sizeof(why), fmt, ap);
    va_end(ap);
}

void utest_run(const struct utest_case *cases)
{
    for (const struct utest_case *c = cases; c->id != NULL; c++) {
        case_failed = false;
        c->run();
        if (case_failed) {
            int col = printf("TEST %s ... FAIL: ", c->id);
            err_print_wrapped(col > 0 ? (size_t)col : 0, why);   /* never cut */
            failed++;
        } else {
            printf("TEST %s ... PASS\n", c->id);
            passed++;
        }
    }
}

int utest_finish(void)
{
    printf("%u passed, %u failed\n", passed, failed);
    return failed ? 1 : 0;
}
