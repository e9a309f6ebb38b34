/*
 * ARMv7-A short-descriptor page-table entries for user mappings
 * (ARM ARM B3.5). Pure functions: no memory access, host-tested
 * (test/host/test_pte.c). The kernel's own section entries are built by
 * kernel/arch/armv7 (boot page tables), not here.
 *
 * Assumptions, shared with the MMU set-up:
 *   SCTLR.AFE = 0  AP[2:0] is a full access-permission field;
 *   SCTLR.TRE = 0  TEX/C/B encode the memory type directly;
 *   user tables use domain PTE_USER_DOMAIN, configured as a client domain.
 *
 * An L1 entry pointing to an L2 table ("page table" descriptor):
 *   [31:10] L2 table base  [8:5] domain  [3] NS  [2] PXN  [1:0] = 0b01
 * An L2 small-page entry (4 KiB):
 *   [31:12] page base  [11] nG  [10] S  [9] AP[2]  [8:6] TEX  [5:4] AP[1:0]
 *   [3] C  [2] B  [1] = 1  [0] XN
 *
 * User page permissions (AP[2:0], PL1 = kernel, PL0 = user):
 *   0b011  PL1 read/write, PL0 read/write   <- READ|WRITE
 *   0b111  PL1 read-only,  PL0 read-only    <- READ only
 * A user page that cannot be read cannot be expressed, so WRITE or EXECUTE
 * without READ, and no READ at all, are refused (pte_user_flags_valid).
 *
 * Memory types (TEX:C:B with TRE = 0):
 *   Normal, write-back write-allocate  TEX=001 C=1 B=1, S=1 (default)
 *   Normal, non-cacheable              TEX=001 C=0 B=0, S=1 (NOCACHE)
 *   Shareable Device                   TEX=000 C=0 B=1      (DevFrame)
 * Every user page is non-global (nG = 1) and execute-never unless EXECUTE.
 */
#ifndef ARCH_ARMV7_PTE_H
#define ARCH_ARMV7_PTE_H

#include <autarky/types.h>
#include <autarky/captypes.h>

typedef uint32_t pte_t;

/* Indices of a virtual address in the two levels. */
#define ARM_L1_INDEX(va)   ((uint32_t)(va) >> SECTION_BITS)
#define ARM_L2_INDEX(va)   (((uint32_t)(va) >> BASE_PAGE_BITS) & (VNODE_L2_ENTRIES - 1))
/* The virtual address an (L1, L2) index pair translates. */
#define ARM_VA(l1, l2)     (((uint32_t)(l1) << SECTION_BITS) | ((uint32_t)(l2) << BASE_PAGE_BITS))

/* L1 "page table" descriptor */
#define PTE_L1_TYPE_MASK      0x3u
#define PTE_L1_TYPE_TABLE     0x1u
#define PTE_L1_PXN            (1u << 2)
#define PTE_L1_NS             (1u << 3)
#define PTE_L1_DOMAIN_SHIFT   5
#define PTE_L1_DOMAIN_MASK    (0xfu << PTE_L1_DOMAIN_SHIFT)
#define PTE_L1_TABLE_ADDR_MASK 0xfffffc00u
#define PTE_USER_DOMAIN       0u

/* L2 small-page descriptor */
#define PTE_L2_XN             (1u << 0)
#define PTE_L2_SMALL_PAGE     (1u << 1)
#define PTE_L2_B              (1u << 2)
#define PTE_L2_C              (1u << 3)
#define PTE_L2_AP_SHIFT       4
#define PTE_L2_AP_MASK        (0x3u << PTE_L2_AP_SHIFT)
#define PTE_L2_TEX_SHIFT      6
#define PTE_L2_TEX_MASK       (0x7u << PTE_L2_TEX_SHIFT)
#define PTE_L2_APX            (1u << 9)
#define PTE_L2_S              (1u << 10)
#define PTE_L2_NG             (1u << 11)
#define PTE_L2_PAGE_ADDR_MASK 0xfffff000u

#define PTE_L2_AP_USER_RW     (0x3u << PTE_L2_AP_SHIFT)               /* APX=0 AP=11 */
#define PTE_L2_AP_USER_RO     (PTE_L2_APX | (0x3u << PTE_L2_AP_SHIFT)) /* APX=1 AP=11 */
#define PTE_L2_MEM_NORMAL_WB  ((0x1u << PTE_L2_TEX_SHIFT) | PTE_L2_C | PTE_L2_B | PTE_L2_S)
#define PTE_L2_MEM_NORMAL_NC  ((0x1u << PTE_L2_TEX_SHIFT) | PTE_L2_S)
#define PTE_L2_MEM_DEVICE     (PTE_L2_B)
#define PTE_L2_MEM_MASK       (PTE_L2_TEX_MASK | PTE_L2_C | PTE_L2_B | PTE_L2_S)

/* Can these VREGION_FLAGS_* be encoded as a user page? */
static inline bool pte_user_flags_valid(uint32_t flags)
{
    if (flags & ~VREGION_FLAGS_MASK) {
        return false;
    }
    return (flags & VREGION_FLAGS_READ) != 0;   /* W or X need R; 0 means nothing */
}

/* L1 entry pointing at the 1 KiB-aligned L2 table at `l2_pa`. User tables
 * are privileged-execute-never: the kernel never runs user code. */
static inline pte_t pte_l1_table(lpaddr_t l2_pa)
{
    return (l2_pa & PTE_L1_TABLE_ADDR_MASK)
        | (PTE_USER_DOMAIN << PTE_L1_DOMAIN_SHIFT)
        | PTE_L1_PXN | PTE_L1_TYPE_TABLE;
}

/*
 * L2 small-page entry mapping the page at `pa` for user mode with
 * VREGION_FLAGS_* `flags`; `device` selects Device memory (DevFrame).
 * Returns 0 (an invalid entry) if the flags cannot be expressed.
 */
static inline pte_t pte_l2_user_page(lpaddr_t pa, uint32_t flags, bool device)
{
    pte_t e = (pa & PTE_L2_PAGE_ADDR_MASK) | PTE_L2_SMALL_PAGE | PTE_L2_NG;

    if (!pte_user_flags_valid(flags)) {
        return 0;
    }
    e |= (flags & VREGION_FLAGS_WRITE) ? PTE_L2_AP_USER_RW : PTE_L2_AP_USER_RO;
    if (!(flags & VREGION_FLAGS_EXECUTE)) {
        e |= PTE_L2_XN;
    }
    if (device) {
        e |= PTE_L2_MEM_DEVICE;
    } else if (flags & VREGION_FLAGS_NOCACHE) {
        e |= PTE_L2_MEM_NORMAL_NC;
    } else {
        e |= PTE_L2_MEM_NORMAL_WB;
    }
    return e;
}

/* ---- decoders ---- */
static inline bool pte_l1_is_table(pte_t e)
{
    return (e & PTE_L1_TYPE_MASK) == PTE_L1_TYPE_TABLE;
}

/* Any valid L1 descriptor (table, section, supersection). */
static inline bool pte_l1_is_valid(pte_t e)
{
    return (e & PTE_L1_TYPE_MASK) != 0;
}

static inline lpaddr_t pte_l1_table_pa(pte_t e)
{
    return e & PTE_L1_TABLE_ADDR_MASK;
}

/* Any valid L2 descriptor (small or large page). */
static inline bool pte_l2_is_valid(pte_t e)
{
    return (e & 0x3u) != 0;
}

static inline lpaddr_t pte_l2_page_pa(pte_t e)
{
    return e & PTE_L2_PAGE_ADDR_MASK;
}

/* PL0 may read: AP[1] set (AP[2:0] = x1x), whatever AP[2] says. */
static inline bool pte_l2_user_readable(pte_t e)
{
    return pte_l2_is_valid(e) && (e & (0x2u << PTE_L2_AP_SHIFT)) != 0;
}

static inline bool pte_l2_user_writable(pte_t e)
{
    return pte_l2_is_valid(e)
        && (e & (PTE_L2_APX | PTE_L2_AP_MASK)) == PTE_L2_AP_USER_RW;
}

/* Executable by user mode (small pages: XN is bit 0). */
static inline bool pte_l2_user_executable(pte_t e)
{
    return pte_l2_is_valid(e) && (e & PTE_L2_SMALL_PAGE) && !(e & PTE_L2_XN)
        && pte_l2_user_readable(e);
}

#endif
