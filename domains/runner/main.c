/*
 * runner: the boot command runner. Core 0's init starts it once the
 * memory server, the process manager and the other cores are up, with the
 * boot command line as its one argument ("shell" when the kernel command
 * line is empty: `scons run`), and powers off with its exit status when it
 * ends. It is a client of init like any other domain: it starts and waits
 * for each program through the process RPC and judges leaks by the memory
 * server's account (commands.h). init gives it the Kernel capability for
 * one test command (kill-core-init) and never lets a domain kill it.
 */
#include <stdio.h>
#include <aos/caps.h>
#include <autarky/bootinfo.h>
#include "commands.h"

/* Started by init (proc_spawn_system), not by a request: only then do we
 * hold the Kernel capability. */
static bool started_by_init(void)
{
    struct capability_info ci;

    return err_is_ok(cap_identify(CAP_KERNEL, &ci)) && ci.type == ObjType_Kernel;
}

int main(int argc, char **argv)
{
    unsigned passed = 0, failed;

    if (!started_by_init()) {
        printf("runner: only init starts the boot command runner\n");
        return 2;
    }
    if (argc != 2) {
        printf("runner: usage: runner \"command; command ...\"\n");
        printf("0 passed, 1 failed\n");
        return 1;
    }
    failed = commands_run_line(argv[1], &passed);
    printf("%u passed, %u failed\n", passed, failed);
    fflush(stdout);
    return failed ? 1 : 0;
}
