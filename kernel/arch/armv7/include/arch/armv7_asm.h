/*
 * Constants shared by the ARMv7 assembly files and the C code of the
 * architecture layer: short-descriptor section bits, SCTLR/TTBR bits,
 * exception kinds passed from vectors.S to exn.c.
 * Plain #defines only: this header is included from .S files.
 */
#ifndef ARCH_ARMV7_ASM_H
#define ARCH_ARMV7_ASM_H

/* CPSR modes */
#define ARM_MODE_SVC_ASM 0x13
#define ARM_MODE_USR_ASM 0x10

/* Short-descriptor L1 section entry (ARM ARM B3.5.1). */
#define L1_SECTION          0x2
#define L1_SEC_B            (1 << 2)
#define L1_SEC_C            (1 << 3)
#define L1_SEC_XN           (1 << 4)
#define L1_SEC_DOMAIN0      (0 << 5)
#define L1_SEC_AP_PL1_RW    (1 << 10)      /* AP[2]=0 AP[1:0]=01: kernel RW, user none */
#define L1_SEC_TEX1         (1 << 12)
#define L1_SEC_S            (1 << 16)
/* Normal memory, inner/outer write-back write-allocate, shareable, global. */
#define L1_SEC_KERNEL_RAM   (L1_SECTION | L1_SEC_B | L1_SEC_C | L1_SEC_TEX1 | \
                             L1_SEC_S | L1_SEC_AP_PL1_RW | L1_SEC_DOMAIN0)
/* Shareable Device memory, never executable, kernel only, global. */
#define L1_SEC_KERNEL_DEV   (L1_SECTION | L1_SEC_B | L1_SEC_XN | \
                             L1_SEC_AP_PL1_RW | L1_SEC_DOMAIN0)

/* TTBRx walk attributes (multiprocessing extensions encoding):
 * IRGN = 01 (inner WB-WA: bit 6 set, bit 0 clear), RGN = 01 (outer WB-WA), S. */
#define TTBR_WALK_ATTRS     ((1 << 6) | (1 << 3) | (1 << 1))

/* SCTLR bits */
#define SCTLR_M             (1 << 0)
#define SCTLR_A             (1 << 1)
#define SCTLR_C             (1 << 2)
#define SCTLR_Z             (1 << 11)
#define SCTLR_I             (1 << 12)
#define SCTLR_V             (1 << 13)
#define SCTLR_TRE           (1 << 28)
#define SCTLR_AFE           (1 << 29)
#define SCTLR_TE            (1 << 30)

/* DACR: domain 0 = client (permissions checked), all others no access. */
#define DACR_DOMAIN0_CLIENT 0x1

/* Exception kinds, vectors.S -> exn.c */
#define EXC_UNDEF   1
#define EXC_SVC     2
#define EXC_PABT    3
#define EXC_DABT    4
#define EXC_IRQ     5
#define EXC_FIQ     6
#define EXC_RESET   7

#define KERNEL_STACK_SIZE 16384

/*
 * The kernel stack's own 1 MiB window, mapped through one L2 table
 * (kernel_stack_l2, mmu.c): page 0 is the guard and is never mapped, the
 * KERNEL_STACK_SIZE bytes of the stack follow, and nothing above them is
 * mapped. A kernel path that overflows its stack faults on the guard page
 * and the kernel panics with "kernel stack overflow" instead of writing
 * over .bss. Every exception entry starts at KERNEL_STACK_VTOP.
 */
#define KERNEL_STACK_WINDOW  0xffe00000
#define KERNEL_STACK_GUARD   KERNEL_STACK_WINDOW
#define KERNEL_STACK_VBOTTOM (KERNEL_STACK_WINDOW + 0x1000)
#define KERNEL_STACK_VTOP    (KERNEL_STACK_VBOTTOM + KERNEL_STACK_SIZE)

/* Short-descriptor L1 "page table" entry (domain 0) and an L2 small page
 * for kernel data: PL1 read/write, PL0 none, execute-never, global,
 * Normal write-back write-allocate shareable. */
#define L1_PAGE_TABLE       0x1
#define L2_PAGE_KERNEL_RW   (0x2 | 0x1 | (1 << 2) | (1 << 3) | (1 << 4) | (1 << 6) | (1 << 10))

#endif
