/*
 * init: the first domain (the kernel's own tests run in a first domain of
 * their own instead, test/kernel). It becomes the system's memory server
 * and process manager: it runs the boot command list, if any, and
 * powers off with its verdict; without one it runs the shell (`scons run`)
 * and powers off when the shell exits, or, in an image without a shell,
 * reads commands from the console itself (see commands.h).
 */
#include <stdio.h>
#include <string.h>
#include <aos/dispatch.h>
#include <aos/debug.h>
#include <aos/syscalls.h>
#include <autarky/bootinfo.h>
#include "mem_server.h"
#include "procs.h"
#include "commands.h"
#include "rpc_server.h"
#include "monitor_start.h"

/*
 * One line from the console with echo and backspace; Enter (CR or LF)
 * ends it. Waits by polling the console and yielding the CPU.
 */
static void read_line(char *line, size_t size)
{
    size_t len = 0;

    for (;;) {
        int c = sys_getchar();
        if (c < 0) {
            sys_yield();
            continue;
        }
        if (c == '\r' || c == '\n') {
            printf("\n");
            break;
        }
        if ((c == 0x7f || c == '\b') && len > 0) {
            len--;
            printf("\b \b");
        } else if (c >= 0x20 && c < 0x7f && len + 1 < size) {
            line[len++] = (char)c;
            printf("%c", c);
        }
        fflush(stdout);
    }
    line[len] = '\0';
}

/* Read command lines from the console, forever. */
static void console_loop(void)
{
    char line[256];
    unsigned passed = 0;

    printf("init: type a program name and arguments (boot modules:");
    for (uint32_t i = 0; i < get_bootinfo()->n_modules; i++) {
        printf(" %s", get_bootinfo()->modules[i].name);
    }
    printf(")\n");
    for (;;) {
        printf("init> ");
        fflush(stdout);
        read_line(line, sizeof(line));
        commands_run_line(line, &passed);
    }
}

static bool has_module(const char *name)
{
    const struct bootinfo *bi = get_bootinfo();

    for (uint32_t i = 0; i < bi->n_modules; i++) {
        if (strcmp(bi->modules[i].name, name) == 0) {
            return true;
        }
    }
    return false;
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
    const char *cmdline = get_bootinfo()->cmdline;
    unsigned passed = 0, failed;
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
    if (cmdline[0] == '\0') {
        if (has_module("shell")) {
            failed = commands_run_line("shell", &passed);   /* `scons run` */
            domain_exit(failed ? 1 : 0);
        }
        console_loop();
        domain_exit(0);
    }
    failed = commands_run_line(cmdline, &passed);
    printf("%u passed, %u failed\n", passed, failed);
    domain_exit(failed ? 1 : 0);
}
