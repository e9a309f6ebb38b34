/*
 * Registration of host CUnit suites. Each test file declares its suite
 * with HOST_SUITE; a constructor adds it to a list before main() runs, so
 * test_main.c needs no list of files: any test/host file can add a suite.
 *
 *   static void test_something(void) { CU_ASSERT_EQUAL(1 + 1, 2); }
 *   HOST_SUITE(my_suite, "my suite", NULL, NULL,
 *              HOST_TEST(test_something))
 */
#ifndef HOST_SUITE_H
#define HOST_SUITE_H

#include <stdint.h>

#include <CUnit/CUnit.h>

struct host_test {
    const char *name;
    CU_TestFunc fn;
};

struct host_suite {
    const char *name;
    CU_InitializeFunc init;       /* run before the suite, may be NULL */
    CU_CleanupFunc cleanup;       /* run after the suite, may be NULL */
    CU_SetUpFunc setup;           /* run before each test, may be NULL */
    const struct host_test *tests;/* terminated by { NULL, NULL } */
    struct host_suite *next;
};

void host_suite_register(struct host_suite *suite);

#define HOST_TEST(fn) { #fn, fn }

/* xorshift32: the next number of the sequence `*state` (never 0) is in;
 * the same every run, so a failing random test repeats. */
static inline uint32_t host_xorshift32(uint32_t *state)
{
    *state ^= *state << 13;
    *state ^= *state >> 17;
    *state ^= *state << 5;
    return *state;
}

/* A suite whose tests each start with `setup()` (may be NULL). */
#define HOST_SUITE(var, name, init, cleanup, setup, ...)                     \
    static const struct host_test var##_tests[] = { __VA_ARGS__, { NULL, NULL } }; \
    static struct host_suite var = { name, init, cleanup, setup,             \
                                     var##_tests, NULL };                    \
    __attribute__((constructor)) static void var##_register(void)           \
    {                                                                        \
        host_suite_register(&var);                                           \
    }

#endif
