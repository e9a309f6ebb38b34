/*
 * init: the first domain (the kernel's own tests run in a first domain of
 * their own instead, test/kernel). It becomes the system's memory server,
 * process manager and RPC server, starts the other cores, and then hands
 * the boot command line to the boot command runner (domains/runner), or
 * "shell" when there is none (`scons run`). It serves every domain until
 * the runner ends and powers off with the runner's verdict.
 */
#include <stdio.h>
#include <aos/dispatch.h>
#include <aos/debug.h>
#include <autarky/bootinfo.h>
#include "mem_server.h"
#include "procs.h"
#include "rpc_server.h"
#include "cores.h"

/* Start the runner with the boot command line and serve until it ends;
 * its exit status, or 1 if it could not run to its end. */
static int run_boot_commands(const char *cmdline)
{
    const char *argv[] = { "runner", cmdline[0] != '\0' ? cmdline : "shell", NULL };
    struct proc *runner;
    errval_t err = proc_spawn_system(2, argv, "runner", &runner);

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
        cores_serve();
    }
    printf("init: memory server up, %llu MiB free\n",
           (unsigned long long)(mem_server_free() >> 20));
    if (get_bootinfo()->ncores > 1) {
        uint32_t started;
        err = cores_start_all(&started);
        if (err_is_fail(err)) {
            DEBUG_ERR(err, "init: cannot start core %u", (unsigned)started + 1);
        }
        printf("init: %u cores up, %llu MiB free on core 0\n", (unsigned)started + 1,
               (unsigned long long)(mem_server_free() >> 20));
    }
    domain_exit(run_boot_commands(get_bootinfo()->cmdline) != 0 ? 1 : 0);
}
