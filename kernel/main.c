/*
 * The portable start of the CPU driver: called by the architecture once
 * the MMU, vectors, console, interrupt controller and timer are up.
 *
 *   arch boot stub -> arch_init() -> kernel_main() -> startup_init()
 *                                                   -> sched_run_next()
 */
#include <kernel/arch.h>
#include <kernel/startup.h>
#include <kernel/sched.h>
#include <kernel/syscall.h>
#include <kernel/printk.h>

/* Time slice of every domain, in microseconds of virtual time. */
#define TIMESLICE_US 1000

void kernel_main(const struct boot_memory *mem)
{
    syscall_set_ram_range(mem->ram_base, mem->free_end);
    sched_init(TIMESLICE_US);
    startup_init(mem);
    sched_run_next();
}
