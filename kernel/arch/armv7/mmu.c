/*
 * Kernel address space after the boot stub (boot.S) turned the MMU on,
 * and the address-space operations of <kernel/arch.h>.
 *
 * The boot L1 table (boot_l1_table, 16 KiB, TTBR1) maps the kernel half:
 * all usable RAM at pa + KERNEL_PHYS_OFFSET with global 1 MiB sections,
 * and the device windows. TTBCR.N = 1, so user addresses below 2 GiB walk
 * TTBR0: either a domain's L1 table or empty_user_l1 (all faults).
 * No ASIDs: switching TTBR0 flushes the whole TLB.
 */
#include <kernel/arch.h>
#include <kernel/printk.h>
#include <arch/memory.h>
#include <arch/cp15.h>
#include <arch/armv7_asm.h>
#include <arch/mmu.h>

extern uint32_t boot_l1_table[4096];
extern uint32_t empty_user_l1[2048];
extern uint32_t kernel_stack_l2[256];
extern char kernel_stack_bottom[];

/* Physical address of the L1 table TTBR0 currently points at. */
static lpaddr_t current_user_l1;

/*
 * The kernel stack window (armv7_asm.h): its L2 table maps the stack's
 * pages (the .bss block kernel_stack_bottom..kernel_stack_top, which stays
 * reachable through the direct map too) after one unmapped guard page.
 */
static void map_kernel_stack_window(void)
{
    lpaddr_t stack_pa = arch_private_pa(kernel_stack_bottom);
    uint32_t first = (KERNEL_STACK_VBOTTOM - KERNEL_STACK_WINDOW) / BASE_PAGE_SIZE;

    for (uint32_t i = 0; i < KERNEL_STACK_SIZE / BASE_PAGE_SIZE; i++) {
        kernel_stack_l2[first + i] = (stack_pa + i * BASE_PAGE_SIZE) | L2_PAGE_KERNEL_RW;
    }
    boot_l1_table[KERNEL_STACK_WINDOW >> SECTION_BITS] =
        arch_private_pa(kernel_stack_l2) | L1_PAGE_TABLE;
}

/*
 * Complete the kernel address space: map RAM [ram_base, ram_end) into the
 * direct map (ram_end must already be capped at DIRECT_MAP_PA_LIMIT),
 * remove the boot identity map, and split the address space with
 * TTBCR.N = 1 (TTBR0 = empty table). Runs once, from arch_init().
 */
void mmu_finish_boot(lpaddr_t ram_base, lpaddr_t ram_end)
{
    for (lpaddr_t pa = ROUND_DOWN(ram_base, SECTION_SIZE); pa < ram_end;
         pa += SECTION_SIZE) {
        lvaddr_t va = pa + KERNEL_PHYS_OFFSET;
        boot_l1_table[va >> SECTION_BITS] = pa | L1_SEC_KERNEL_RAM;
    }
    map_kernel_stack_window();
    /* Everything below KERNEL_VBASE (the identity map) goes away. */
    for (uint32_t i = 0; i < (KERNEL_VBASE >> SECTION_BITS); i++) {
        boot_l1_table[i] = 0;
    }
    dsb();

    current_user_l1 = arch_private_pa(empty_user_l1);
    cp15_write_ttbr1(arch_private_pa(boot_l1_table) | TTBR_WALK_ATTRS);
    cp15_write_ttbr0(current_user_l1 | TTBR_WALK_ATTRS);
    cp15_write_ttbcr(1);        /* N = 1: VA < 2 GiB -> TTBR0, else TTBR1 */
    isb();
    arch_tlb_flush_all();
}

/*
 * Another core, at its linked address (core 0 built its tables, smp.c):
 * drop the identity entry it turned the MMU on with, split the address
 * space as core 0 did, and point TTBR0 at its own empty table.
 */
void mmu_finish_secondary(lpaddr_t image_pa)
{
    boot_l1_table[image_pa >> SECTION_BITS] = 0;
    dsb();
    current_user_l1 = arch_private_pa(empty_user_l1);
    cp15_write_ttbr1(arch_private_pa(boot_l1_table) | TTBR_WALK_ATTRS);
    cp15_write_ttbr0(current_user_l1 | TTBR_WALK_ATTRS);
    cp15_write_ttbcr(1);
    isb();
    arch_tlb_flush_all();
}

/* Point TTBR0 at the L1 table at l1_pa (0: the empty table); flush the
 * TLB if the table changes, since user entries are not tagged by ASID. */
void arch_set_user_vspace(lpaddr_t l1_pa)
{
    if (l1_pa == 0) {
        l1_pa = arch_private_pa(empty_user_l1);
    }
    if (l1_pa == current_user_l1) {
        return;
    }
    current_user_l1 = l1_pa;
    cp15_write_ttbr0(l1_pa | TTBR_WALK_ATTRS);
    isb();
    arch_tlb_flush_all();
}

void arch_user_vspace_destroyed(lpaddr_t l1_pa)
{
    if (l1_pa == current_user_l1) {
        arch_set_user_vspace(0);
    }
}

void arch_tlb_flush_all(void)
{
    dsb();
    cp15_write_tlbiall(0);
    cp15_write_bpiall(0);
    dsb();
    isb();
}

/* Invalidate the TLB entries of one page, for all ASIDs (TLBIMVAA). */
void arch_tlb_flush_page(lvaddr_t va)
{
    dsb();
    cp15_write_tlbimvaa(va & ~(BASE_PAGE_SIZE - 1));
    cp15_write_bpiall(0);
    dsb();
    isb();
}

/*
 * Make page-table entries written at [pte, pte + bytes) visible to the
 * table walker: clean the lines to the point of unification (needed only
 * on cores whose walks do not snoop the L1 data cache; harmless on the
 * A15), then DSB so the writes complete before any later walk, ISB so the
 * following instructions see them.
 */
void arch_pte_sync(void *pte, size_t bytes)
{
    uint32_t line = 4u << ((cp15_read_ctr() >> 16) & 0xf);   /* DminLine */
    uintptr_t start = (uintptr_t)pte & ~(uintptr_t)(line - 1);
    uintptr_t end = (uintptr_t)pte + bytes;

    dsb();
    for (uintptr_t a = start; a < end; a += line) {
        cp15_write_dccmvau(a);
    }
    dsb();
    isb();
}

/*
 * Clean and invalidate the data cache lines of [kva, kva + bytes) to the
 * point of coherency, so that an uncached mapping of the same memory reads
 * what the kernel last wrote (the zeroes of a new frame), not an older
 * owner's data still in RAM behind dirty lines.
 */
void arch_cache_clean_range(void *kva, size_t bytes)
{
    uint32_t line = 4u << ((cp15_read_ctr() >> 16) & 0xf);   /* DminLine */
    uintptr_t start = (uintptr_t)kva & ~(uintptr_t)(line - 1);
    uintptr_t end = (uintptr_t)kva + bytes;

    dsb();
    for (uintptr_t a = start; a < end; a += line) {
        cp15_write_dccimvac(a);
    }
    dsb();
}

/*
 * Ask the MMU whether user mode could read `va` in the current user
 * address space (ATS1CUR). On success *pa is the physical address.
 * Interrupts are masked in the kernel, so nothing clobbers PAR in between.
 */
bool arch_user_readable(lvaddr_t va, lpaddr_t *pa)
{
    if (va >= USER_TOP_VA) {
        return false;
    }
    cp15_write_ats1cur(va);
    isb();
    uint32_t par = cp15_read_par();
    if (par & 1u) {             /* PAR.F: the translation faulted */
        return false;
    }
    *pa = (par & ~(BASE_PAGE_SIZE - 1)) | (va & (BASE_PAGE_SIZE - 1));
    return true;
}
