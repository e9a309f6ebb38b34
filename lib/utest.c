/*
 * The test framework of include/aos/utest.h. Single-threaded: cases run
 * one after the other on the main thread.
 */
#include <aos/utest.h>
#include <stdarg.h>
#include <stdio.h>

static unsigned passed, failed;
static bool case_failed;
static char why[256];

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
            printf("TEST %s ... FAIL: %s\n", c->id, why);
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
