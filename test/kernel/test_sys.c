/*
 * SYS_: the system calls other than SYS_INVOKE: the debug console's user
 * buffer checks, the counter, preemption by the timer, yield, and unknown
 * syscall numbers. Kernel side: kernel/trap.c, kernel/syscall.c,
 * kernel/sched.c.
 */
#include "testing.h"

#include <aos/syscalls.h>
#include <autarky/syscall.h>
#include <autarky/layout.h>

/* Counter frequency (CNTFRQ, readable at PL0 because the kernel lets
 * user mode read the virtual counter). */
static uint32_t counter_frequency(void)
{
    uint32_t f;

    __asm__ volatile("mrc p15, 0, %0, c14, c0, 0" : "=r"(f));
    return f;
}

/* Valid buffers print; length 0 prints nothing and succeeds. */
static void print_ok(void)
{
    static const char empty[] = "";

    EXPECT_OK(sys_print(empty, 0));
    EXPECT_OK(sys_print("", 0));
}

/* A kernel address is never a user buffer, not even one byte of it. */
static void print_kernel_address(void)
{
    EXPECT_ERR(sys_print((const char *)KERNEL_VBASE, 4), SYS_ERR_INVALID_USER_BUFFER);
    EXPECT_ERR(sys_print((const char *)0x80100000u, 1), SYS_ERR_INVALID_USER_BUFFER);
    /* a buffer that starts in user space and runs into the kernel */
    EXPECT_ERR(sys_print((const char *)(USER_TOP - 2), 4), SYS_ERR_INVALID_USER_BUFFER);
    /* one that wraps around the address space */
    EXPECT_ERR(sys_print((const char *)0xfffffff0u, 0x20), SYS_ERR_INVALID_USER_BUFFER);
}

/* Unmapped user memory: NULL, an unused window, and a buffer whose tail
 * runs off the end of a mapped page into an unmapped one. */
static void print_unmapped(void)
{
    capaddr_t table, frame;
    char *page = (char *)TEST_VA(0);

    EXPECT_ERR(sys_print(NULL, 1), SYS_ERR_INVALID_USER_BUFFER);
    EXPECT_ERR(sys_print((const char *)TEST_VA(5), 8), SYS_ERR_INVALID_USER_BUFFER);
    EXPECT_OK(scratch_l2_table(0, &table));
    EXPECT_OK(scratch_mapped_frame(table, 0, 1, VREGION_FLAGS_READ_WRITE, &frame));
    page[BASE_PAGE_SIZE - 2] = ' ';
    page[BASE_PAGE_SIZE - 1] = ' ';
    EXPECT_ERR(sys_print(page + BASE_PAGE_SIZE - 2, 4), SYS_ERR_INVALID_USER_BUFFER);
    EXPECT_OK(sys_print(page + BASE_PAGE_SIZE - 2, 0));
}

/* At most SYS_PRINT_MAX bytes per call. */
static void print_too_long(void)
{
    capaddr_t table, frame;
    char *buf = (char *)TEST_VA(0);

    EXPECT_OK(scratch_l2_table(0, &table));
    EXPECT_OK(scratch_mapped_frame(table, 0, 2, VREGION_FLAGS_READ_WRITE, &frame));
    EXPECT_ERR(sys_print(buf, SYS_PRINT_MAX + 1), SYS_ERR_INVALID_USER_BUFFER);
    EXPECT_ERR(sys_print(buf, 0xffffffffu), SYS_ERR_INVALID_USER_BUFFER);
}

/* Device memory mapped into user space is not a print buffer. */
static void print_device_memory(void)
{
    capaddr_t table;
    cslot_t uart = scratch_slot();

    EXPECT_OK(scratch_l2_table(0, &table));
    EXPECT_OK(cap_copy(SCRATCH_CNODE, uart, CAP_UART));
    EXPECT_OK(vnode_map(table, SCRATCH(uart), 0, VREGION_FLAGS_READ | VREGION_FLAGS_NOCACHE,
                        0, 1));
    EXPECT_ERR(sys_print((const char *)TEST_VA(0), 1), SYS_ERR_INVALID_USER_BUFFER);
}

/* SYS_COUNTER advances and agrees with the user-readable counter. */
static void counter_advances(void)
{
    uint64_t a = sys_counter();
    uint64_t direct = counter_read();
    uint64_t b = sys_counter();

    EXPECT(a != 0, "sys_counter returned 0");
    EXPECT(a <= direct && direct <= b,
           "counter not monotonic: sys %llu, direct %llu, sys %llu",
           (unsigned long long)a, (unsigned long long)direct, (unsigned long long)b);
    EXPECT(b > a, "sys_counter did not advance: %llu then %llu",
           (unsigned long long)a, (unsigned long long)b);
}

/*
 * The timer preempts a domain that never yields: while init spins for
 * ~20 ms of counter time, its dispatcher frame's `timeslices` grows
 * (each time slice is 1 ms, so expect well over one).
 */
static void preemption(void)
{
    struct dispatcher_shared *disp = get_dispatcher();
    uint32_t freq = counter_frequency();
    uint32_t before = disp->timeslices;
    uint64_t start = counter_read(), end = start + 2ull * freq;   /* 2 s at most */

    EXPECT(freq != 0, "CNTFRQ reads 0");
    /* Five 1 ms slices must end while we spin, never yielding. The deadline
     * is generous because the counter follows host time: a host too busy to
     * run QEMU for 20 ms moves the counter past a short deadline before the
     * guest has run a slice (a flake seen with the suite beside other runs). */
    while (disp->timeslices - before < 5 && counter_read() < end) {
        __asm__ volatile("" ::: "memory");
    }
    uint32_t grew = disp->timeslices - before;
    EXPECT(grew >= 5, "timeslices grew by %lu while spinning %llu ms, expected >= 5",
           (unsigned long)grew, (unsigned long long)((counter_read() - start) * 1000 / freq));
}

/* Yield returns OK and counts as a new time slice. */
static void yield(void)
{
    struct dispatcher_shared *disp = get_dispatcher();
    uint32_t before = disp->timeslices;

    EXPECT_OK(sys_yield());
    EXPECT_OK(sys_yield());
    EXPECT(disp->timeslices - before >= 2, "timeslices grew by %lu over two yields",
           (unsigned long)(disp->timeslices - before));
}

/* Unknown syscall numbers fail with SYS_ERR_ILLEGAL_SYSCALL. */
static void illegal_syscall(void)
{
    static const uint32_t bad[] = { 0, SYS_COUNT, 100, 0x80000001u, 0xffffffffu };

    for (unsigned i = 0; i < ARRAY_LENGTH(bad); i++) {
        struct sysret r = sys_raw(bad[i], 1, 2, 3, 4, 5, 6, 7);
        EXPECT(r.err == SYS_ERR_ILLEGAL_SYSCALL,
               "syscall %lu: expected SYS_ERR_ILLEGAL_SYSCALL, got %s",
               (unsigned long)bad[i], err_getcode(r.err));
    }
}

/* SYS_GETCHAR never blocks: a byte or -1. */
static void getchar_nonblocking(void)
{
    int c = sys_getchar();

    EXPECT(c >= -1 && c <= 255, "sys_getchar returned %d", c);
}

const struct test_case sys_tests[] = {
    { "SYS_PRINT_OK", print_ok },
    { "SYS_PRINT_KERNEL_ADDRESS", print_kernel_address },
    { "SYS_PRINT_UNMAPPED", print_unmapped },
    { "SYS_PRINT_TOO_LONG", print_too_long },
    { "SYS_PRINT_DEVICE_MEMORY", print_device_memory },
    { "SYS_COUNTER_ADVANCES", counter_advances },
    { "SYS_PREEMPTION", preemption },
    { "SYS_YIELD", yield },
    { "SYS_ILLEGAL_SYSCALL", illegal_syscall },
    { "SYS_GETCHAR_NONBLOCKING", getchar_nonblocking },
    TEST_CASES_END
};
