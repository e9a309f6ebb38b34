/*
 * Host stand-in for kernel/arch/armv7/include/arch/memory.h: "physical"
 * addresses [HOST_PHYS_BASE, HOST_PHYS_BASE + HOST_PHYS_SIZE) are backed by
 * a static arena (test/host/fake_kernel.c), so the real capability code
 * runs unchanged on the host. Translating an address outside the arena
 * aborts the test run: the cap layer must never touch memory it does not
 * own (device frames, for example, are outside the arena).
 */
#ifndef HOST_ARCH_MEMORY_H
#define HOST_ARCH_MEMORY_H

#include <autarky/types.h>
#include <stdio.h>
#include <stdlib.h>

#define HOST_PHYS_BASE   0x40000000u
#define HOST_PHYS_SIZE   (64u << 20)
#define KERNEL_PHYS_OFFSET 0u   /* meaningless on the host */

extern unsigned char host_phys_arena[HOST_PHYS_SIZE];

static inline void *pa_to_kva(lpaddr_t pa)
{
    if (pa < HOST_PHYS_BASE || pa - HOST_PHYS_BASE >= HOST_PHYS_SIZE) {
        fprintf(stderr, "pa_to_kva: 0x%08x outside the host arena\n", pa);
        abort();
    }
    return host_phys_arena + (pa - HOST_PHYS_BASE);
}

static inline lpaddr_t kva_to_pa(const void *kva)
{
    const unsigned char *p = kva;

    if (p < host_phys_arena || p >= host_phys_arena + HOST_PHYS_SIZE) {
        fprintf(stderr, "kva_to_pa: %p outside the host arena\n", kva);
        abort();
    }
    return HOST_PHYS_BASE + (lpaddr_t)(p - host_phys_arena);
}

#endif
