/*
 * What the portable kernel expects from an architecture (kernel/arch/<arch>/).
 * Plan 9 style: every architecture implements this same list; the portable
 * code never includes architecture-private headers other than the ones
 * named <arch/...> here, which each architecture provides under
 * kernel/arch/<arch>/include/arch/:
 *
 *   <arch/memory.h>  pa_to_kva(), kva_to_pa(), KERNEL_PHYS_OFFSET, limits
 *   <arch/pte.h>     page-table entry encoding (pure functions, host-tested)
 *   <arch/cpu.h>     inline: the counter's low word, the user thread
 *                    registers (arch_set_user_tls, arch_get/set_user_rw_tls)
 *   <arch/registers.h> (in include/arch/<arch>/): struct arch_registers
 */
#ifndef KERNEL_ARCH_H
#define KERNEL_ARCH_H

#include <autarky/types.h>
#include <autarky/errors.h>
#include <autarky/dispatcher.h>
#include <arch/registers.h>
#include <arch/cpu.h>

/* ---- console ---- */
void serial_putchar(char c);
int  serial_getchar_nonblock(void);    /* -1 when no byte waits */

/* ---- power ---- */
void arch_poweroff(void) __attribute__((noreturn));   /* PSCI SYSTEM_OFF */

/* ---- interrupts and timer ---- */
/* Program the one-shot preemption timer to fire after `ticks` counter ticks. */
void timer_set_timeslice(uint32_t ticks);
/* ... or when the counter reaches `when` (at once if it has already). */
void timer_set_deadline(uint64_t when);
uint64_t timer_now(void);              /* virtual counter */
uint32_t timer_frequency(void);        /* CNTFRQ */
/* Acknowledge pending interrupts (a doorbell interrupt runs
 * doorbell_handle_pending); returns true if the timer was among them. */
bool arch_irq_handle(void);
/* Interrupt core `core`: its doorbell interrupt (kernel/doorbell.c). */
void arch_send_ipi(uint32_t core);
/* Wait, with interrupts masked, until an interrupt is pending. */
void arch_wait_for_interrupt(void);

/* ---- address spaces ---- */
/* Switch the user half (TTBR0) to the L1 table at `l1_pa`; 0 = empty table. */
void arch_set_user_vspace(lpaddr_t l1_pa);
/* The user thread registers: <arch/cpu.h> (inline, on every switch). */
/* The L1 table at `l1_pa` is being destroyed: if TTBR0 still points at
 * it, point TTBR0 at the empty table (and flush), so no walk or cached
 * translation ever reads that memory again once it is retyped. */
void arch_user_vspace_destroyed(lpaddr_t l1_pa);
void arch_tlb_flush_all(void);
void arch_tlb_flush_page(lvaddr_t va);
/* Make a page-table update visible to the table walker. */
void arch_pte_sync(void *pte, size_t bytes);
/* Write back and drop the cached lines of a range of the kernel's direct
 * map, before user mode maps it uncached. */
void arch_cache_clean_range(void *kva, size_t bytes);
/* Translate a user virtual address as an unprivileged read (ATS1CUR).
 * Returns true and sets *pa when user mode may read `va`. */
bool arch_user_readable(lvaddr_t va, lpaddr_t *pa);

/* ---- returning to user space ---- */
/*
 * Load `regs` into the user-mode registers and drop to user mode.
 * The CPSR is sanitized (ARM_CPSR_USER_MASK): the result is always USR mode
 * with interrupts enabled. Never returns.
 */
void arch_resume_user(const struct arch_registers *regs) __attribute__((noreturn));

/*
 * ---- entry points the architecture calls (implemented in kernel/trap.c) ----
 * Each is entered on the kernel stack with interrupts masked, with `regs`
 * the saved user state (a kernel-owned buffer), and never returns.
 */
void trap_syscall(struct arch_registers *regs) __attribute__((noreturn));
void trap_user_fault(struct arch_registers *regs, enum fault_type type,
                     lvaddr_t addr, uint32_t access, uint32_t fsr)
    __attribute__((noreturn));
void trap_irq(struct arch_registers *regs) __attribute__((noreturn));

/* ---- cores (kernel/arch/<arch>/smp.c, docs/multikernel.md) ---- */
struct core_boot_params;
/* Start core p->core_id from its copy of the CPU driver at p->image_pa,
 * which this builds from our own (zeroed bss, its tables, *p). */
errval_t arch_start_core(const struct core_boot_params *p);
/* Physical address of something in this core's private section of the
 * CPU driver (its text, rodata, bss): not pa + offset on other cores. */
lpaddr_t arch_private_pa(const void *kva);

/* ---- boot ---- */
struct core_boot_params;
struct boot_memory {
    lpaddr_t ram_base;      /* from the device tree (all of RAM) */
    gensize_t ram_size;
    uint32_t ncores;        /* from the device tree */
    const struct core_boot_params *core;   /* NULL on core 0; else how core 0
                                              started this one (kernel/core.h) */
    lpaddr_t free_base;     /* first byte after kernel image, modules, boot tables */
    lpaddr_t free_end;      /* end of RAM the kernel can map */
    const void *modules;    /* kernel address of the boot module table (modules.h) */
    const char *cmdline;    /* DTB /chosen/bootargs, "" if none (kernel address) */
};
/* Portable kernel entry, called by the architecture once the MMU, vectors,
 * console, interrupt controller and timer are ready. */
void kernel_main(const struct boot_memory *mem) __attribute__((noreturn));

#endif
