/*
 * Private interface of kernel/arch/armv7/mmu.c used by arch_init().
 */
#ifndef ARCH_ARMV7_MMU_H
#define ARCH_ARMV7_MMU_H

#include <autarky/types.h>
#include <autarky/layout.h>

#define USER_TOP_VA USER_TOP

void mmu_finish_boot(lpaddr_t ram_base, lpaddr_t ram_end);
void mmu_finish_secondary(lpaddr_t image_pa);
/* smp.c: this core's copy of the CPU driver starts at `pa` (not core 0's). */
void arch_set_private_pa(lpaddr_t pa);

#endif
