/*
 * Boot stub of the ARMv7 CPU driver.
 *
 * QEMU loads the ELF at its physical load addresses (p_paddr, 0x40100000)
 * and jumps to the physical entry point _start_phys (kernel.ld) in SVC mode
 * with the MMU off and IRQs masked. Everything until `high_entry` therefore
 * runs at physical addresses although the code is linked at 0x80100000:
 * it only uses pc-relative branches and converts every linked address it
 * loads with `sub rX, rX, #KERNEL_PHYS_OFFSET`.
 *
 * The stub
 *   1. zeroes .bss (which holds the boot page tables and the kernel stack),
 *   2. builds the boot L1 table with 1 MiB sections:
 *        identity  [0x40000000, phys(_end))  (only to survive the MMU switch)
 *        high      [0x80000000, kva(_end))  -> 0x40000000..  kernel RAM
 *        PL011 window, GIC window            device memory
 *   3. turns the MMU and caches on and jumps to the linked address,
 *   4. sets VBAR and the kernel stack and calls arch_init() (init.c), which
 *      maps the rest of RAM (now that the DTB is readable), drops the
 *      identity map and splits the address space (TTBCR.N = 1).
 *
 * The caches are not invalidated here: the Cortex-A15 invalidates its
 * caches and TLBs itself on reset, and QEMU models none of them.
 */
#include <arch/armv7_asm.h>

#define PHYS_OFFSET 0x40000000
#define KERNEL_LINK_VBASE 0x80100000  /* kernel.ld */
#define RAM_PBASE   0x40000000       /* QEMU virt: RAM and the DTB start here */
#define PL011_PBASE 0x09000000
#define PL011_VBASE 0xf0000000
#define GIC_PBASE   0x08000000
#define GIC_VBASE   0xf0100000

    .syntax unified
    .arm
    .section .text.boot, "ax"

    .global _start
_start:
    cpsid   aif

    /* 1. zero .bss: r0 = phys(__bss_start), r1 = phys(__bss_end) */
    ldr     r0, =__bss_start
    sub     r0, r0, #PHYS_OFFSET
    ldr     r1, =__bss_end
    sub     r1, r1, #PHYS_OFFSET
    mov     r2, #0
1:  cmp     r0, r1
    strlo   r2, [r0], #4
    blo     1b

    /* 2. boot L1 table: r4 = phys(boot_l1_table) */
    ldr     r4, =boot_l1_table
    sub     r4, r4, #PHYS_OFFSET

    /* r7 = number of 1 MiB sections from RAM base to the end of the image */
    ldr     r7, =_end
    sub     r7, r7, #PHYS_OFFSET
    sub     r7, r7, #RAM_PBASE
    add     r7, r7, #0x100000
    sub     r7, r7, #1
    lsr     r7, r7, #20

    ldr     r5, =L1_SEC_KERNEL_RAM
    mov     r0, r4                      /* identity map */
    ldr     r1, =RAM_PBASE
    ldr     r2, =RAM_PBASE
    mov     r3, r7
    bl      map_sections
    mov     r0, r4                      /* high map: kva = pa + offset */
    ldr     r1, =RAM_PBASE + PHYS_OFFSET
    ldr     r2, =RAM_PBASE
    mov     r3, r7
    bl      map_sections

    ldr     r5, =L1_SEC_KERNEL_DEV
    mov     r0, r4
    ldr     r1, =PL011_VBASE
    ldr     r2, =PL011_PBASE
    mov     r3, #1
    bl      map_sections
    mov     r0, r4
    ldr     r1, =GIC_VBASE
    ldr     r2, =GIC_PBASE
    mov     r3, #1
    bl      map_sections

    /* 3. MMU on, then on at the linked address */
    bl      mmu_on
    ldr     pc, =high_entry             /* absolute: continue at 0x801..... */

/*
 * Turn the MMU and caches on with r4 = physical address of an L1 table
 * that maps this code one to one (and the kernel at its link address).
 * TTBCR = 0: TTBR0 walks everything for now. Clobbers r0, r1.
 */
mmu_on:
    mrc     p15, 0, r0, c1, c0, 1       /* ACTLR.SMP: this core takes part in */
    orr     r0, r0, #(1 << 6)           /* coherency (the firmware may own the */
    mcr     p15, 0, r0, c1, c0, 1       /* bit: then the write is ignored) */
    mov     r0, #0
    mcr     p15, 0, r0, c2, c0, 2       /* TTBCR */
    orr     r0, r4, #TTBR_WALK_ATTRS
    mcr     p15, 0, r0, c2, c0, 0       /* TTBR0 */
    mcr     p15, 0, r0, c2, c0, 1       /* TTBR1 */
    mov     r0, #DACR_DOMAIN0_CLIENT
    mcr     p15, 0, r0, c3, c0, 0       /* DACR */
    mov     r0, #0
    mcr     p15, 0, r0, c13, c0, 1      /* CONTEXTIDR: ASID 0 */
    mcr     p15, 0, r0, c8, c7, 0       /* TLBIALL */
    mcr     p15, 0, r0, c7, c5, 0       /* ICIALLU */
    mcr     p15, 0, r0, c7, c5, 6       /* BPIALL */
    dsb
    isb
    mrc     p15, 0, r0, c1, c0, 0       /* SCTLR */
    ldr     r1, =(SCTLR_A | SCTLR_V | SCTLR_TRE | SCTLR_AFE | SCTLR_TE)
    bic     r0, r0, r1
    ldr     r1, =(SCTLR_M | SCTLR_C | SCTLR_Z | SCTLR_I)
    orr     r0, r0, r1
    mcr     p15, 0, r0, c1, c0, 0
    isb
    bx      lr

/*
 * Another core starts here (PSCI CPU_ON from core 0, kernel/arch/armv7/
 * smp.c): SVC mode, MMU and caches off, r0 = physical address of its own
 * copy of this CPU driver, whose boot_l1_table core 0 has prepared. Like
 * _start, position independent until the jump to the linked address.
 */
    .global secondary_entry
secondary_entry:
    cpsid   aif
    mov     r11, r0                     /* kept for arch_init_secondary */
    ldr     r4, =boot_l1_table
    ldr     r1, =KERNEL_LINK_VBASE
    sub     r4, r4, r1
    add     r4, r4, r11                 /* physical address of our L1 table */
    bl      mmu_on
    ldr     pc, =secondary_high

/*
 * Fill r3 (>= 1) consecutive L1 section entries.
 * r0 = L1 table (physical), r1 = first virtual address, r2 = first physical
 * address (both 1 MiB aligned), r5 = attribute bits. Clobbers r0-r3, r12.
 */
map_sections:
    add     r0, r0, r1, lsr #18         /* &table[va >> 20] */
2:  orr     r12, r2, r5
    str     r12, [r0], #4
    add     r2, r2, #0x100000
    subs    r3, r3, #1
    bne     2b
    bx      lr

    .ltorg

/* 4. Running at the linked (high) address from here on. */
    .text
high_entry:
    ldr     r0, =exception_vectors
    mcr     p15, 0, r0, c12, c0, 0      /* VBAR */
    isb
    ldr     sp, =kernel_stack_top       /* the direct-map alias until the
                                           guarded window is mapped */
    mov     fp, #0
    bl      arch_init                   /* never returns */
3:  wfi
    b       3b

/*
 * void arch_run_on_kernel_stack(void (*fn)(const void *), const void *arg)
 * Continue on the guarded kernel stack window (empty) and call fn(arg),
 * which must not return. arch_init's last step, once mmu.c mapped it.
 */
/* Another core, now at its linked address: vectors, the guarded stack
 * window (its own, core 0 mapped it), then C. */
secondary_high:
    ldr     r0, =exception_vectors
    mcr     p15, 0, r0, c12, c0, 0      /* VBAR */
    isb
    ldr     sp, =KERNEL_STACK_VTOP
    mov     r0, r11                     /* before fp (r11) is cleared */
    mov     fp, #0
    bl      arch_init_secondary         /* (image_pa), never returns */
5:  wfi
    b       5b

    .global arch_run_on_kernel_stack
    .type   arch_run_on_kernel_stack, %function
arch_run_on_kernel_stack:
    ldr     sp, =KERNEL_STACK_VTOP
    mov     fp, #0
    mov     r2, r0
    mov     r0, r1
    blx     r2
4:  wfi
    b       4b
    .size   arch_run_on_kernel_stack, . - arch_run_on_kernel_stack

/*
 * Boot page tables and the kernel stack, in .bss (zeroed above).
 * boot_l1_table: the kernel's L1 table for its whole life (TTBR1).
 * empty_user_l1: all-fault TTBR0 table used when no domain runs (8 KiB is
 * the TTBR0 table size with TTBCR.N = 1).
 */
    .section .bss.boot_tables, "aw", %nobits
    .balign 16384
    .global boot_l1_table
boot_l1_table:
    .space  16384
    .global empty_user_l1
empty_user_l1:
    .space  8192
    .global kernel_stack_l2             /* the stack window's L2 table */
kernel_stack_l2:
    .space  1024

    .section .bss.kernel_stack, "aw", %nobits
    .balign 8
    .global kernel_stack_bottom
kernel_stack_bottom:
    .space  KERNEL_STACK_SIZE
    .global kernel_stack_top
kernel_stack_top:
