/*
 * init: the first domain. For now it runs the boot-time kernel tests
 * (docs/testing.md) and powers the machine off with their verdict:
 * status 0 if every case passed, 1 otherwise.
 */
#include <stdio.h>
#include <aos/dispatch.h>
#include "testing.h"

int main(int argc, char **argv)
{
    (void)argc;
    (void)argv;

    printf("init: boot-time kernel tests\n");
    if (!testing_init()) {
        printf("0 passed, 1 failed\n");
        domain_exit(1);
    }
    testing_run(cap_tests);
    testing_run(vspace_tests);
    testing_run(fault_tests);
    testing_run(sys_tests);
    testing_run(disp_tests);
    testing_run(lmp_tests);
    testing_run(thread_tests);
    testing_finish();
    domain_exit(testing_failed() ? 1 : 0);
}
