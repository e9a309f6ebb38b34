/*
 * spinner: a busy loop, for tests of kill and of the scheduler.
 *
 *   spinner            computes for ever (until killed)
 *   spinner SECONDS    computes for SECONDS (whole, >= 0) of the virtual
 *                      counter's time, prints "spinner: done after N s"
 *                      and exits 0
 *
 * It never blocks or yields: only the kernel's time slice takes the CPU
 * from it, so a kill has to stop a domain that is running, not waiting.
 * Bad arguments: a usage line and status 2.
 */
#include <stdio.h>
#include <stdlib.h>
#include <aos/syscalls.h>

#define DEFAULT_HZ 62500000u    /* QEMU virt's generic timer (CNTFRQ) */

static uint32_t counter_hz(void)
{
    uint32_t f;
    __asm__ volatile("mrc p15, 0, %0, c14, c0, 0" : "=r"(f));
    return f != 0 ? f : DEFAULT_HZ;
}

static volatile uint32_t sink;

int main(int argc, char **argv)
{
    unsigned long seconds = 0;
    uint64_t end = 0;
    uint32_t x = 1;

    if (argc > 2) {
        printf("spinner: usage: spinner [SECONDS]\n");
        return 2;
    }
    if (argc == 2) {
        char *rest;
        seconds = strtoul(argv[1], &rest, 10);
        if (argv[1][0] < '0' || argv[1][0] > '9' || *rest != '\0'
            || seconds > 3600) {
            printf("spinner: '%s' is not a number of seconds (0..3600)\n", argv[1]);
            return 2;
        }
        end = counter_read() + (uint64_t)seconds * counter_hz();
    }
    for (;;) {
        for (uint32_t i = 0; i < 65536; i++) {   /* some arithmetic */
            x = x * 1103515245u + 12345u;
        }
        sink = x;
        if (argc == 2 && counter_read() >= end) {
            break;
        }
    }
    printf("spinner: done after %lu s\n", seconds);
    return 0;
}
