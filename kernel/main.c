/*
 * The portable start of the CPU driver: called by the architecture once
 * the MMU, vectors, console, interrupt controller and timer are up.
 *
 *   arch boot stub -> arch_init() -> kernel_main() -> startup_init()
 *                                                   -> sched_run_next()
 * Every other core comes here too, from arch_init_secondary(), once core
 * 0 has started it (docs/multikernel.md).
 */
#include <kernel/arch.h>
#include <kernel/startup.h>
#include <kernel/sched.h>
#include <kernel/syscall.h>
#include <kernel/printk.h>
#include <kernel/core.h>

/* Time slice of every domain, in microseconds of virtual time. */
#define TIMESLICE_US 1000

void kernel_main(const struct boot_memory *mem)
{
    if (mem->core != NULL) {
        core_init_secondary(mem->core);     /* core 0 does this in startup */
        printk("autarky: core %u up: CPU driver at 0x%08x, %u MiB of RAM\n",
               (unsigned)core_id(), (unsigned)mem->core->image_pa,
               (unsigned)(mem->core->ram_size >> 20));
    }
    syscall_set_ram_range(mem->ram_base, mem->ram_base + mem->ram_size);
    sched_init(TIMESLICE_US);
    startup_init(mem);
    sched_run_next();
}
