/*
 * faulter: faults on purpose, so tests can check that only this domain
 * ends, with a one-line report, and that init gets all its RAM back.
 *
 *   faulter null        NULL dereference on the main thread (no handler):
 *                       the runtime reports it and the domain exits with 1
 *   faulter thread      the same on a second thread
 *   faulter disabled    a fault while the dispatcher is disabled: the
 *                       kernel kills the domain and tells init
 *   faulter handled     a thread's own exception handler skips the faulting
 *                       instruction; exits 0 if it ran exactly once
 *   faulter overflow    a thread recurses until it hits the guard below its
 *                       stack: "stack overflow"
 *   faulter wild        an access where nothing is reserved
 *   faulter readonly    a write to read-only data (a FIXED mapping)
 *
 * Every fatal case must end this domain only, with a one-line report
 * naming the reason, and init must get all its RAM back.
 */
#include <aos/threads.h>
#include <aos/dispatch.h>
#include <stdio.h>
#include <string.h>

/* Through a volatile variable, so the compiler cannot see it is NULL. */
static volatile uintptr_t null_addr = 0x10;
#define null_ptr ((volatile uint32_t *)null_addr)

static int touch_null(void *arg)
{
    (void)arg;
    return (int)*null_ptr;
}

static volatile int handled;

static bool skip_instruction(enum fault_type type, lvaddr_t addr, uint32_t access,
                             struct arch_registers *regs)
{
    (void)access;
    if (type == FAULT_DATA_ABORT && addr == (lvaddr_t)null_ptr) {
        handled++;
        regs->pc += 4;          /* ARM state: the next instruction */
        return true;
    }
    return false;
}

static const uint32_t read_only_word = 0x600dcafe;

static volatile int depth_limit = 1 << 30;   /* far beyond any stack */

static __attribute__((noinline)) int recurse_deep(int depth)
{
    volatile char frame[512];
    frame[depth % sizeof(frame)] = (char)depth;
    if (depth >= depth_limit) {
        return 0;
    }
    return recurse_deep(depth + 1) + frame[depth % sizeof(frame)];
}

static int overflow_thread(void *arg)
{
    (void)arg;
    return recurse_deep(0);
}

int main(int argc, char **argv)
{
    const char *what = argc > 1 ? argv[1] : "";

    if (strcmp(what, "null") == 0) {
        return touch_null(NULL);
    }
    if (strcmp(what, "thread") == 0) {
        struct thread *t = thread_create(touch_null, NULL);
        int ret = 0;
        thread_join(t, &ret);
        return 0;               /* not reached: the domain ends in the fault */
    }
    if (strcmp(what, "disabled") == 0) {
        get_dispatcher()->disabled = 1;
        return (int)*null_ptr;
    }
    if (strcmp(what, "handled") == 0) {
        thread_set_exception_handler(skip_instruction, NULL, NULL, NULL, NULL, NULL);
        (void)touch_null(NULL);
        printf("faulter: handler ran %d time(s), thread resumed\n", handled);
        return handled == 1 ? 0 : 1;
    }
    if (strcmp(what, "overflow") == 0) {
        struct thread *t = thread_create(overflow_thread, NULL);
        thread_join(t, NULL);
        return 0;
    }
    if (strcmp(what, "wild") == 0) {
        null_addr = 0x6f000000u;         /* nothing is reserved up there */
        return (int)*null_ptr;
    }
    if (strcmp(what, "readonly") == 0) {
        *(volatile uint32_t *)(uintptr_t)&read_only_word = 0;
        return 0;
    }
    printf("usage: faulter null|thread|disabled|handled|overflow|wild|readonly\n");
    return 2;
}
