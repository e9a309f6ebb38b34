/*
 * Starting another core (docs/multikernel.md): every core runs its own copy
 * of the CPU driver, in a 1 MiB section of its own mapped at the kernel's
 * link address, so what the C code sees as one set of variables is a
 * separate set on each core.
 *
 *   core 0 (arch_start_core)                  core N (boot.S secondary_entry)
 *   ------------------------                  -------------------------------
 *   copy text and rodata to image_pa,         MMU off, r0 = image_pa: turn the
 *     zero the rest of the section            MMU on with its own L1 table,
 *   its boot_l1_table = ours, but:            jump to the link address, set
 *     the kernel section -> image_pa,         VBAR and the stack window, and
 *     the stack window -> its stack,          call arch_init_secondary (init.c)
 *     an identity entry for the MMU switch
 *   its core_boot_params = *p
 *   clean the section to memory, CPU_ON  ──▶
 *
 * A core only ever writes its own section and the shared memory it is
 * told of; core 0 writes a new core's section only before starting it.
 */
#include <kernel/arch.h>
#include <kernel/core.h>
#include <kernel/string.h>
#include <arch/memory.h>
#include <arch/armv7_asm.h>

#define PSCI_CPU_ON 0x84000003u

extern char _kernel_start[], __bss_start[], _private_end[], kernel_stack_bottom[];
extern uint32_t boot_l1_table[4096], kernel_stack_l2[256];
extern struct core_boot_params core_boot_params;
void secondary_entry(void);                     /* boot.S, run at its physical address */

static lpaddr_t image_pa;                       /* this core's section; 0: core 0's */

lpaddr_t arch_private_pa(const void *kva)
{
    lpaddr_t base = image_pa != 0 ? image_pa : KERNEL_LOAD_PBASE;
    return base + ((uintptr_t)kva - KERNEL_LINK_VBASE);
}

void arch_set_private_pa(lpaddr_t pa)
{
    image_pa = pa;
}

/* Where core 0 sees the new core's copy of the private object at `kva`. */
static void *in_copy(lpaddr_t copy_pa, const void *kva)
{
    return pa_to_kva(copy_pa + ((uintptr_t)kva - KERNEL_LINK_VBASE));
}

static lpaddr_t copy_pa_of(lpaddr_t copy_pa, const void *kva)
{
    return copy_pa + ((uintptr_t)kva - KERNEL_LINK_VBASE);
}

/* PSCI CPU_ON: start core `mpidr` at physical `entry` with r0 = `context`. */
static int32_t psci_cpu_on(uint32_t mpidr, lpaddr_t entry, uint32_t context)
{
    register uint32_t r0 __asm__("r0") = PSCI_CPU_ON;
    register uint32_t r1 __asm__("r1") = mpidr;
    register uint32_t r2 __asm__("r2") = entry;
    register uint32_t r3 __asm__("r3") = context;

    __asm__ volatile(".arch_extension virt\n\thvc #0"
                     : "+r"(r0) : "r"(r1), "r"(r2), "r"(r3) : "memory");
    return (int32_t)r0;
}

/* The new core's L1 table: ours (direct map, devices), but its own
 * section, its own stack window, and the identity entry it needs while
 * it turns its MMU on (it removes that itself). */
static void build_tables(lpaddr_t copy_pa)
{
    uint32_t *l1 = in_copy(copy_pa, boot_l1_table);
    uint32_t *stack_l2 = in_copy(copy_pa, kernel_stack_l2);
    lpaddr_t stack_pa = copy_pa_of(copy_pa, kernel_stack_bottom);
    uint32_t first = (KERNEL_STACK_VBOTTOM - KERNEL_STACK_WINDOW) / BASE_PAGE_SIZE;

    memcpy(l1, boot_l1_table, sizeof(boot_l1_table));
    l1[KERNEL_LINK_VBASE >> SECTION_BITS] = copy_pa | L1_SEC_KERNEL_RAM;
    l1[copy_pa >> SECTION_BITS] = copy_pa | L1_SEC_KERNEL_RAM;
    l1[KERNEL_STACK_WINDOW >> SECTION_BITS] = copy_pa_of(copy_pa, kernel_stack_l2)
                                              | L1_PAGE_TABLE;
    for (uint32_t i = 0; i < KERNEL_STACK_SIZE / BASE_PAGE_SIZE; i++) {
        stack_l2[first + i] = (stack_pa + i * BASE_PAGE_SIZE) | L2_PAGE_KERNEL_RW;
    }
}

/*
 * Copy this CPU driver into the new core's section and start it there.
 * Bounded by the image (text, rodata and bss, about 100 KiB; the linker
 * keeps it under 1 MiB), not by anything a domain chooses (rule 9 of
 * docs/safety.md); the rest of the section is never read.
 */
errval_t arch_start_core(const struct core_boot_params *p)
{
    size_t text = (size_t)(__bss_start - _kernel_start);   /* text, rodata: no .data */
    size_t image = (size_t)(_private_end - _kernel_start);
    char *copy = pa_to_kva(p->image_pa);

    memcpy(copy, _kernel_start, text);
    memset(copy + text, 0, image - text);
    *(struct core_boot_params *)in_copy(p->image_pa, &core_boot_params) = *p;
    build_tables(p->image_pa);
    arch_cache_clean_range(copy, image);         /* it starts with caches off */
    if (psci_cpu_on(p->core_id, copy_pa_of(p->image_pa, (const void *)secondary_entry),
                    p->image_pa) != 0) {
        return SYS_ERR_CORE_START_FAILED;
    }
    return SYS_ERR_OK;
}
