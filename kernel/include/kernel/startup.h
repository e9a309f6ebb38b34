/*
 * Creating init from the boot image (kernel/startup.c).
 */
#ifndef KERNEL_STARTUP_H
#define KERNEL_STARTUP_H

#include <kernel/arch.h>

/* QEMU virt: the PL011 UART handed to init as a DevFrame. */
#ifndef PL011_PHYS_BASE
#define PL011_PHYS_BASE 0x09000000u
#endif

/* Build init's cspace, vspace and dispatcher and make it runnable. */
void startup_init(const struct boot_memory *mem);

#endif
