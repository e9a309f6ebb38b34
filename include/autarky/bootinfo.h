/*
 * What the kernel hands init at boot: the well-known layout of init's cspace
 * and a bootinfo page describing free RAM and boot modules.
 *
 * init's cspace (root L1 CNode, 256 slots; each used L1 slot holds an L2 CNode):
 *
 *   L1 slot  CNode            contents
 *   0        ROOTCN_SLOT_TASKCN  TASKCN_SLOT_* below
 *   1        ROOTCN_SLOT_PAGECN  init's VNode L1 at slot 0, its L2 tables after
 *   2        ROOTCN_SLOT_SLOT_ALLOC0 empty: first slots for the slot allocator
 *   3        ROOTCN_SLOT_SUPERCN RAM caps of all free memory (bootinfo regions)
 *   4        ROOTCN_SLOT_MODULECN Frame caps of boot modules (bootinfo modules)
 *   5        ROOTCN_SLOT_SEGCN   Frames backing init's ELF segments and stack
 *   6..255   free
 */
#ifndef AUTARKY_BOOTINFO_H
#define AUTARKY_BOOTINFO_H

#include <autarky/types.h>
#include <autarky/captypes.h>

#define ROOTCN_SLOT_TASKCN       0
#define ROOTCN_SLOT_PAGECN       1
#define ROOTCN_SLOT_SLOT_ALLOC0  2
#define ROOTCN_SLOT_SUPERCN      3
#define ROOTCN_SLOT_MODULECN     4
#define ROOTCN_SLOT_SEGCN        5
#define ROOTCN_FREE_SLOTS        6

#define TASKCN_SLOT_TASKCN       1   /* copy of the TASKCN L2 CNode cap */
#define TASKCN_SLOT_DISPATCHER   2
#define TASKCN_SLOT_ROOTCN       3   /* copy of the root L1 CNode cap */
#define TASKCN_SLOT_DISPFRAME    4
#define TASKCN_SLOT_KERNELCAP    5   /* init only */
#define TASKCN_SLOT_BOOTINFO     6   /* init only: frame holding struct bootinfo */
#define TASKCN_SLOT_UART         7   /* init only: DevFrame of the PL011 */
#define TASKCN_SLOT_ARGSPAGE     8
#define TASKCN_SLOT_INITEP       9   /* endpoint to init (issue 3) */
#define TASKCN_SLOT_CORECHAN     10  /* init of a core other than 0: the frame it
                                        shares with core 0's init */
#define TASKCN_SLOT_MONITOREP    12  /* every domain but the monitor: endpoint to
                                        its core's monitor, badged with its pid
                                        (docs/multikernel.md "The binding") */
#define TASKCN_SLOTS_FREE        16

#define CAP_TASKCN      CPTR(ROOTCN_SLOT_TASKCN, TASKCN_SLOT_TASKCN)
#define CAP_DISPATCHER  CPTR(ROOTCN_SLOT_TASKCN, TASKCN_SLOT_DISPATCHER)
#define CAP_ROOTCN      CPTR(ROOTCN_SLOT_TASKCN, TASKCN_SLOT_ROOTCN)
#define CAP_DISPFRAME   CPTR(ROOTCN_SLOT_TASKCN, TASKCN_SLOT_DISPFRAME)
#define CAP_KERNEL      CPTR(ROOTCN_SLOT_TASKCN, TASKCN_SLOT_KERNELCAP)
#define CAP_BOOTINFO    CPTR(ROOTCN_SLOT_TASKCN, TASKCN_SLOT_BOOTINFO)
#define CAP_UART        CPTR(ROOTCN_SLOT_TASKCN, TASKCN_SLOT_UART)
#define CAP_VNODE_L1    CPTR(ROOTCN_SLOT_PAGECN, 0)
#define CAP_CORECHAN    CPTR(ROOTCN_SLOT_TASKCN, TASKCN_SLOT_CORECHAN)

#define BOOTINFO_MAX_CORES    8     /* the kernel's MAX_CORES */
#define BOOTINFO_MAX_REGIONS  128
#define BOOTINFO_MAX_MODULES  64
#define BOOTINFO_NAME_LEN     32
#define BOOTINFO_CMDLINE_LEN  2048

struct mem_region {
    lpaddr_t base;
    gensize_t size;
    capaddr_t cap;        /* RAM cap in SUPERCN */
};

struct boot_module_info {
    char name[BOOTINFO_NAME_LEN];
    gensize_t size;       /* exact ELF size in bytes */
    capaddr_t cap;        /* Frame cap in MODULECN (page-rounded) */
};

struct bootinfo {
    lpaddr_t ram_base;            /* all physical RAM, from the device tree */
    gensize_t ram_size;
    uint32_t core_id;             /* the core this init runs on (0: the boot core) */
    uint32_t ncores;              /* cores in the machine */
    uint32_t n_regions;           /* free RAM handed to init */
    struct mem_region regions[BOOTINFO_MAX_REGIONS];
    uint32_t n_modules;
    struct boot_module_info modules[BOOTINFO_MAX_MODULES];
    uint32_t n_l2_vnodes;         /* init's L2 tables: PAGECN slots 1..n */
    uint32_t n_segment_frames;    /* SEGCN slots 0..n-1 */
    /* QEMU -append text (DTB /chosen/bootargs): the boot command list. */
    char cmdline[BOOTINFO_CMDLINE_LEN];
};

#endif
