/*
 * arch_init: the first C code of the CPU driver, called by boot.S on the
 * kernel stack once the MMU is on and the kernel runs at its linked
 * address. It reads the device tree (still intact at 0x40000000), finishes
 * the kernel address space, brings up the console, GIC and timer, and
 * hands a struct boot_memory to the portable kernel_main().
 */
#include <kernel/arch.h>
#include <kernel/dtb.h>
#include <kernel/printk.h>
#include <kernel/string.h>
#include <kernel/modules.h>
#include <arch/memory.h>
#include <arch/mmu.h>
#include <arch/gic.h>
#include <arch/cp15.h>
#include <kernel/core.h>

void arch_init(void) __attribute__((noreturn));
/* boot.S: continue on the guarded kernel stack and call fn(arg). */
void arch_run_on_kernel_stack(void (*fn)(const struct boot_memory *),
                              const struct boot_memory *arg) __attribute__((noreturn));

extern char _kernel_start[], _end[];

/* Boot facts that outlive arch_init (boot_memory points at cmdline). */
static struct dtb_info dtb;
static struct boot_memory boot_mem;

/*
 * Check the RAM region from the device tree against what this kernel can
 * use: it must hold the DTB and the kernel image, and the direct map ends
 * at DIRECT_MAP_PA_LIMIT (RAM above that is ignored, with a note).
 * Returns the end (exclusive) of usable RAM.
 */
static lpaddr_t usable_ram_end(const struct dtb_info *info)
{
    uint64_t base = info->mem_base;
    uint64_t end = info->mem_base + info->mem_size;
    lpaddr_t image_end = kva_to_pa(_end);

    if (base > DTB_PHYS_BASE || end < image_end) {
        panic("RAM 0x%llx + 0x%llx from the DTB does not hold the kernel (0x%08x..0x%08x)",
              (unsigned long long)base, (unsigned long long)info->mem_size,
              (unsigned)DTB_PHYS_BASE, (unsigned)image_end);
    }
    if (end > DIRECT_MAP_PA_LIMIT) {
        printk("autarky: RAM above 0x%08x not mapped (%llu MiB ignored)\n",
               (unsigned)DIRECT_MAP_PA_LIMIT,
               (unsigned long long)((end - DIRECT_MAP_PA_LIMIT) >> 20));
        end = DIRECT_MAP_PA_LIMIT;
    }
    return (lpaddr_t)end;
}

/*
 * What every core closes to user mode and starts its timer with. No
 * VFP/NEON for anyone: domains are built soft-float, and with CP10/CP11
 * closed a VFP instruction is an undefined-instruction fault the domain
 * handles, so there is no floating-point state the kernel would have to
 * switch between domains (docs/safety.md); nor the performance monitors.
 */
static void cpu_close_user_state(void)
{
    timer_init();
    cp15_write_cpacr(0);
    cp15_write_pmuserenr(0);
    isb();
}

void arch_init(void)
{
    /* The DTB must be read before anything can overwrite it; only the
     * first MiB of RAM (DTB and below the kernel) is mapped so far. */
    enum dtb_error err = dtb_parse(pa_to_kva(DTB_PHYS_BASE), DTB_MAX_SIZE, &dtb);
    if (err != DTB_OK) {
        panic("device tree at 0x%08x: %s", (unsigned)DTB_PHYS_BASE, dtb_strerror(err));
    }
    lpaddr_t ram_end = usable_ram_end(&dtb);

    mmu_finish_boot((lpaddr_t)dtb.mem_base, ram_end);
    gic_init();
    cpu_close_user_state();

    printk("Autarky CPU driver: RAM 0x%08x + %u MiB, %u cpu(s), timer %u Hz, cmdline \"%s\"\n",
           (unsigned)dtb.mem_base, (unsigned)(dtb.mem_size >> 20), (unsigned)dtb.num_cpus,
           (unsigned)timer_frequency(), dtb.bootargs);
    printk("autarky: kernel 0x%08x..0x%08x, modules at %p (%u bytes)\n",
           (unsigned)kva_to_pa(_kernel_start), (unsigned)kva_to_pa(_end),
           (const void *)&_modules_start,
           (unsigned)(_modules_end - (const char *)&_modules_start));

    boot_mem.ram_base = (lpaddr_t)dtb.mem_base;
    boot_mem.ram_size = ram_end - (lpaddr_t)dtb.mem_base;
    boot_mem.free_base = ROUND_UP(kva_to_pa(_end), BASE_PAGE_SIZE);
    boot_mem.free_end = ram_end;
    boot_mem.modules = &_modules_start;
    boot_mem.cmdline = dtb.bootargs;
    boot_mem.ncores = dtb.num_cpus;
    arch_run_on_kernel_stack(kernel_main, &boot_mem);
}

/*
 * Another core's first C code, on its own stack window, its MMU on with the
 * tables core 0 built (kernel/arch/armv7/smp.c): finish its address space,
 * its side of the GIC, its timer, and go on like core 0 with what core 0
 * told it (core_boot_params, written into this core's copy).
 */
void arch_init_secondary(lpaddr_t image_pa) __attribute__((noreturn));

void arch_init_secondary(lpaddr_t image_pa)
{
    const struct core_boot_params *p = &core_boot_params;

    arch_set_private_pa(image_pa);
    mmu_finish_secondary(image_pa);
    gic_cpu_init();
    cpu_close_user_state();
    boot_mem.ram_base = p->machine_ram_base;
    boot_mem.ram_size = p->machine_ram_end - p->machine_ram_base;
    boot_mem.free_base = p->ram_base;
    boot_mem.free_end = p->ram_base + p->ram_size;
    boot_mem.modules = &_modules_start;      /* core 0's, read through the direct map */
    boot_mem.cmdline = "";
    boot_mem.ncores = p->ncores;
    boot_mem.core = p;
    kernel_main(&boot_mem);
}
