/*
 * init: the first domain (the kernel's own tests run in a first domain of
 * their own instead, test/kernel). It becomes the system's memory server,
 * process manager and RPC server, starts its core's monitor (on core 0 the
 * monitor starts the other cores: domains/monitor), and then hands
 * the boot command line to the boot command runner (domains/runner), or
 * "shell" when there is none (`scons run`). It serves every domain until
 * the runner ends and powers off with the runner's verdict.
 */
#include <stdio.h>
#include <aos/dispatch.h>
#include <aos/debug.h>
#include <aos/syscalls.h>
#include <autarky/bootinfo.h>
#include "mem_server.h"
#include "procs.h"
#include "rpc_server.h"
#include "monitor_start.h"

/* Start the runner with the boot command line and serve until it ends;
 * its exit status, or 1 if it could not run to its end. */
static int run_boot_commands(const char *cmdline)
{
    const char *argv[] = { "runner", cmdline[0] != '\0' ? cmdline : "shell", NULL };
    const struct proc_grant kernel = { TASKCN_SLOT_KERNELCAP, CAP_KERNEL, false };
    struct proc *runner;
    errval_t err = proc_spawn_system(2, argv, PROC_NEXT_PID, &kernel, 1, &runner);

    if (err_is_fail(err)) {
        DEBUG_ERR(err, "init: cannot start the boot command runner");
        printf("0 passed, 1 failed\n");
        return 1;
    }
    runner->held = true;            /* ours to read and reap */
    while (runner->state == PROC_STATE_RUNNING) {
        rpc_server_step(true);
    }
    if (runner->state == PROC_STATE_KILLED) {
        printf("init: the boot command runner was killed\n0 passed, 1 failed\n");
        return 1;
    }
    return runner->status;
}

/*
 * Core 0: spawn our monitor, which starts every other core, and say how
 * many came up.
 */
static void start_monitor_and_cores(void)
{
    uint32_t started;
    errval_t err = monitor_start(&started);

    if (err_is_fail(err)) {
        DEBUG_ERR(err, "init: the monitor cannot start core %u", (unsigned)started + 1);
    }
    if (get_bootinfo()->ncores > 1) {
        printf("init: %u cores up, %llu MiB free on core 0\n", (unsigned)started + 1,
               (unsigned long long)(mem_server_free() >> 20));
    }
}

/*
 * Another core's init: spawn our monitor (which joins core 0's), then
 * serve this core's domains and, through the monitor, the other cores;
 * with nothing to do, wait in SYS_WAIT, which returns for a message or a
 * ring of our doorbell (so the core idles with WFI in between).
 */
static void __attribute__((noreturn)) serve_other_core(void)
{
    uint32_t started;
    errval_t err = monitor_start(&started);

    if (err_is_fail(err)) {
        DEBUG_ERR(err, "init: core %u has no monitor", (unsigned)get_bootinfo()->core_id);
        domain_exit(1);
    }
    for (;;) {
        while (rpc_server_step(false)) {
        }
        sys_wait();
    }
}

int main(int argc, char **argv)
{
    errval_t err;

    (void)argc;
    (void)argv;
    err = mem_server_init();
    if (err_is_ok(err)) {
        err = procs_init();
    }
    if (err_is_ok(err)) {
        rpc_server_init();
    }
    if (err_is_fail(err)) {
        DEBUG_ERR(err, "init: cannot start the memory server");
        printf("0 passed, 1 failed\n");
        domain_exit(1);
    }
    if (get_bootinfo()->core_id != 0) {
        printf("init: core %u up, %llu MiB free\n", (unsigned)get_bootinfo()->core_id,
               (unsigned long long)(mem_server_free() >> 20));
        serve_other_core();
    }
    printf("init: memory server up, %llu MiB free\n",
           (unsigned long long)(mem_server_free() >> 20));
    start_monitor_and_cores();
    domain_exit(run_boot_commands(get_bootinfo()->cmdline) != 0 ? 1 : 0);
}
