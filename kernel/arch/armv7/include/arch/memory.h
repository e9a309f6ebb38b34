/*
 * ARMv7 kernel memory layout: physical <-> kernel virtual translation and
 * the fixed addresses of the boot image and the device windows.
 *
 * The kernel maps all RAM it can use ("direct map") at
 *     kva = pa + KERNEL_PHYS_OFFSET
 * with 1 MiB sections, global, Normal write-back cacheable, kernel-only.
 * The direct map ends below DEVICE_VBASE, so at most
 * DIRECT_MAP_PA_LIMIT - RAM base bytes of RAM are usable (1792 MiB from
 * 0x40000000 on QEMU virt). Device registers are mapped as Device memory in
 * 1 MiB windows from DEVICE_VBASE up.
 *
 *   physical                          kernel virtual
 *   0x0800_0000 GIC (dist + cpu)  ->  GIC_VBASE     0xf010_0000
 *   0x0900_0000 PL011             ->  PL011_VBASE   0xf000_0000
 *   0x4000_0000 DTB (QEMU puts it) -> 0x8000_0000
 *   0x4010_0000 kernel image      ->  0x8010_0000 (link address)
 *   ... rest of RAM               ->  pa + 0x4000_0000, below 0xf000_0000
 */
#ifndef ARCH_ARMV7_MEMORY_H
#define ARCH_ARMV7_MEMORY_H

#include <autarky/types.h>

#define KERNEL_PHYS_OFFSET   0x40000000u   /* kva = pa + this */
#define KERNEL_LOAD_PBASE    0x40100000u   /* where QEMU loads the ELF */
#define KERNEL_LINK_VBASE    0x80100000u   /* = KERNEL_LOAD_PBASE + offset */

/* Direct map of RAM: kernel virtual [DIRECT_MAP_VBASE, DIRECT_MAP_VLIMIT). */
#define DIRECT_MAP_VBASE     0x80000000u
#define DIRECT_MAP_VLIMIT    0xf0000000u
#define DIRECT_MAP_PA_BASE   (DIRECT_MAP_VBASE - KERNEL_PHYS_OFFSET)
#define DIRECT_MAP_PA_LIMIT  (DIRECT_MAP_VLIMIT - KERNEL_PHYS_OFFSET)

/* Where QEMU virt leaves the flattened device tree (base of RAM). */
#define DTB_PHYS_BASE        0x40000000u
#define DTB_MAX_SIZE         0x00100000u   /* we never look past 1 MiB */

/* Device windows (1 MiB sections, Device memory, kernel only). */
#define DEVICE_VBASE         0xf0000000u
#ifndef PL011_PHYS_BASE
#define PL011_PHYS_BASE      0x09000000u
#endif
#define PL011_VBASE          0xf0000000u
#define GIC_PHYS_BASE        0x08000000u   /* section holding GICD and GICC */
#define GIC_VBASE            0xf0100000u
#define GICD_VBASE           (GIC_VBASE + 0x00000u)  /* distributor  0x08000000 */
#define GICC_VBASE           (GIC_VBASE + 0x10000u)  /* cpu interface 0x08010000 */

/* Kernel virtual address of a physical address inside the direct map. */
static inline void *pa_to_kva(lpaddr_t pa)
{
    return (void *)(uintptr_t)(pa + KERNEL_PHYS_OFFSET);
}

/* Physical address of a kernel virtual address inside the direct map. */
static inline lpaddr_t kva_to_pa(const void *kva)
{
    return (lpaddr_t)((uintptr_t)kva - KERNEL_PHYS_OFFSET);
}

/* True if [pa, pa + size) lies inside the part of RAM the direct map can cover. */
static inline bool pa_in_direct_map(lpaddr_t pa, gensize_t size)
{
    return pa >= DIRECT_MAP_PA_BASE && pa < DIRECT_MAP_PA_LIMIT
        && size <= DIRECT_MAP_PA_LIMIT - pa;
}

#endif
