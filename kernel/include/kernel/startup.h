/*
 * Creating init from the boot image (kernel/startup.c).
 */
#ifndef KERNEL_STARTUP_H
#define KERNEL_STARTUP_H

#include <kernel/arch.h>

/* Build init's cspace, vspace and dispatcher and make it runnable. */
void startup_init(const struct boot_memory *mem);

#endif
