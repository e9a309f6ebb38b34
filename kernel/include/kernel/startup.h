/*
 * Creating init from the boot image (kernel/startup.c).
 */
#ifndef KERNEL_STARTUP_H
#define KERNEL_STARTUP_H

#include <kernel/arch.h>

/* Build init's cspace, vspace and dispatcher and make it runnable (on
 * this core, from mem: the free RAM, the modules, mem->core's channel). */
void startup_init(const struct boot_memory *mem);
/* The physical addresses of the boot modules' frames (core 0), for the
 * other cores' inits: how many were written to pa[max]. */
uint32_t startup_module_frames(lpaddr_t *pa, uint32_t max);

#endif
