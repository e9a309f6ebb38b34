/*
 * kerneltest: the kernel's own tests, as the first domain (sel4test's
 * driver is the model). The kernel starts this boot module instead of init
 * when the command line says `root=kerneltest` (site_scons/boot.py adds
 * that to every `kernel-*` boot command list), so it holds exactly the
 * authority init would: every RAM capability, the Kernel capability, the
 * boot modules. No memory server, no processes: the tests work on the bare
 * capabilities (docs/testing.md).
 *
 *   kernel-tests        every category in order, then the leak check
 *   kernel-bounds       how long the kernel keeps interrupts masked
 *                       (the `bounds` suite, under -icount)
 *   kernel-cores        starting other cores (the `mp` suite, 2+ cores)
 *   kernel-stack-guard  a deliberate kernel stack overflow, which must end
 *                       in a clean panic (the `stack-guard` suite)
 *
 * Each powers the machine off with its verdict (0: all passed).
 */
#include <stdio.h>
#include <string.h>
#include <aos/dispatch.h>
#include <autarky/bootinfo.h>
#include "testing.h"

static int run_kernel_tests(void)
{
    printf("kerneltest: boot-time kernel tests\n");
    if (!testing_init()) {
        printf("0 passed, 1 failed\n");
        return 1;
    }
    testing_run(cap_tests);
    testing_run(vspace_tests);
    testing_run(fault_tests);
    testing_run(sys_tests);
    testing_run(disp_tests);
    testing_run(lmp_tests);
    testing_finish();
    return testing_failed() ? 1 : 0;
}

#define BOUNDS_SCRATCH_SIZE (96u << 20)

static int run_kernel_bounds(void)
{
    uint32_t ticks, what;

    printf("kerneltest: kernel bounds\n");
    kernel_debug_masked(CAP_KERNEL, true, &ticks, &what);
    if (!testing_init_size(BOUNDS_SCRATCH_SIZE)) {
        printf("0 passed, 1 failed\n");
        return 1;
    }
    testing_run(bounds_tests);
    testing_finish();
    return testing_failed() ? 1 : 0;
}

/* Starting other cores: on a machine of 2 or more (the `mp` suite). */
static int run_kernel_cores(void)
{
    printf("kerneltest: starting other cores\n");
    if (!testing_init_size(8 * SCRATCH_RAM_SIZE)) {
        printf("0 passed, 1 failed\n");
        return 1;
    }
    testing_run(core_tests);
    testing_finish();
    return testing_failed() ? 1 : 0;
}

int main(int argc, char **argv)
{
    const char *cmdline = get_bootinfo()->cmdline;

    (void)argc;
    (void)argv;
    if (strcmp(cmdline, "kernel-tests") == 0) {
        return run_kernel_tests();
    }
    if (strcmp(cmdline, "kernel-bounds") == 0) {
        return run_kernel_bounds();
    }
    if (strcmp(cmdline, "kernel-cores") == 0) {
        return run_kernel_cores();
    }
    if (strcmp(cmdline, "kernel-stack-guard") == 0) {
        kernel_debug_stack_overflow(CAP_KERNEL);
        printf("kerneltest: the kernel survived its stack overflow?\n");
    } else {
        printf("kerneltest: unknown command line '%s'\n", cmdline);
    }
    printf("0 passed, 1 failed\n");
    return 1;
}
