/*
 * Virtual address layout of a user domain and of the kernel (ARMv7,
 * TTBCR.N = 1: TTBR0 translates user addresses below 2 GiB, TTBR1 the
 * kernel above).
 *
 *  0x0000_0000 ┌──────────────────────────┐
 *              │ NULL guard (never mapped)│ USER_NULL_GUARD_SIZE
 *  0x0010_0000 ├──────────────────────────┤
 *              │ dispatcher frame         │ USER_DISP_VADDR
 *              │ boot info (init), or the │ USER_BOOTINFO_VADDR
 *              │ vmmap page (aos/vmmap.h: │ USER_VMMAP_VADDR
 *              │ the dispatcher frame's   │
 *              │ 2nd page, spawned ones)  │
 *              │ arguments page           │ USER_ARGS_VADDR (0x0011_0000)
 *  0x0040_0000 ├──────────────────────────┤
 *              │ ELF image (text, data)   │ USER_IMAGE_BASE
 *              │ ... free: managed by the │
 *              │ domain (vspace/, buddy)  │
 *              │ init's boot stack        │ below USER_STACK_TOP
 *  0x8000_0000 ├──────────────────────────┤ USER_TOP = KERNEL_VBASE
 *              │ kernel: all RAM mapped at│
 *              │ pa + KERNEL_PHYS_OFFSET  │
 *  0xf000_0000 │ kernel device windows    │
 *              └──────────────────────────┘
 */
#ifndef AUTARKY_LAYOUT_H
#define AUTARKY_LAYOUT_H

#define USER_NULL_GUARD_SIZE 0x00100000u
#define USER_DISP_VADDR      0x00100000u
#define USER_BOOTINFO_VADDR  0x00101000u
#define USER_ARGS_VADDR      0x00110000u   /* bootinfo may span up to 15 pages */
/* Spawned domains: their block list, the second page of their 8 KiB
 * dispatcher frame (init has its boot info there and no vmmap page). */
#define USER_VMMAP_VADDR     0x00101000u
#define USER_DISP_FRAME_SIZE 0x00002000u   /* spawned domains */
#define USER_IMAGE_BASE      0x00400000u
#define USER_STACK_TOP       0x7ff00000u
#define USER_INIT_STACK_SIZE 0x00010000u   /* 64 KiB, mapped by the kernel */
#define USER_TOP             0x80000000u

#define KERNEL_VBASE         0x80000000u

#endif
