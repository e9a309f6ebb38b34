/*
 * Host test runner: runs every suite registered with HOST_SUITE
 * (host_suite.h), prints CUnit's summary, and exits non-zero if any test
 * or suite set-up failed.
 */
#include "host_suite.h"
#include <CUnit/Basic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct host_suite *suites;

void host_suite_register(struct host_suite *suite)
{
    /* keep registration order: append */
    struct host_suite **p = &suites;
    while (*p != NULL) {
        p = &(*p)->next;
    }
    suite->next = NULL;
    *p = suite;
}

static int add_suite(const struct host_suite *s)
{
    CU_pSuite suite = CU_add_suite_with_setup_and_teardown(
        s->name, s->init, s->cleanup, s->setup, NULL);

    if (suite == NULL) {
        return -1;
    }
    for (const struct host_test *t = s->tests; t->name != NULL; t++) {
        if (CU_add_test(suite, t->name, t->fn) == NULL) {
            return -1;
        }
    }
    return 0;
}

int main(int argc, char **argv)
{
    unsigned failed;

    if (CU_initialize_registry() != CUE_SUCCESS) {
        fprintf(stderr, "CUnit: %s\n", CU_get_error_msg());
        return 2;
    }
    for (struct host_suite *s = suites; s != NULL; s = s->next) {
        if (argc > 1 && strstr(s->name, argv[1]) == NULL) {
            continue;   /* optional filter: run suites whose name contains argv[1] */
        }
        if (add_suite(s) != 0) {
            fprintf(stderr, "CUnit: %s\n", CU_get_error_msg());
            CU_cleanup_registry();
            return 2;
        }
    }
    CU_basic_set_mode(CU_BRM_VERBOSE);
    CU_basic_run_tests();
    failed = CU_get_number_of_failures() + CU_get_number_of_suites_failed()
        + CU_get_number_of_tests_failed();
    CU_cleanup_registry();
    return failed == 0 ? 0 : 1;
}
