/*
 * Capability types, rights and object sizes: the user-visible capability
 * model. See docs/capabilities.md for the type tree:
 *
 *   RAM ──retype──> RAM (smaller), Frame, CNode L1/L2, VNode L1/L2,
 *                   Dispatcher, Endpoint
 *   (kernel-made only: DevFrame, Kernel, IRQ, IPI)
 */
#ifndef AUTARKY_CAPTYPES_H
#define AUTARKY_CAPTYPES_H

#include <autarky/types.h>

enum objtype {
    ObjType_Null = 0,
    ObjType_RAM,          /* untyped physical memory, retypable */
    ObjType_Frame,        /* mappable RAM, zeroed on creation */
    ObjType_DevFrame,     /* mappable device registers (kernel-made) */
    ObjType_L1CNode,      /* root of a cspace: slots hold L2 CNode caps */
    ObjType_L2CNode,      /* 256 slots of capabilities */
    ObjType_VNode_L1,     /* ARMv7 first-level page table, 16 KiB */
    ObjType_VNode_L2,     /* ARMv7 second-level page table, 1 KiB */
    ObjType_Dispatcher,   /* a domain's dispatcher control block */
    ObjType_Endpoint,     /* message endpoint (message passing: issue 3) */
    ObjType_Kernel,       /* privileged kernel operations (power off) */
    ObjType_IRQ,          /* interrupt delivery (reserved) */
    ObjType_IPI,          /* rings a doorbell of a core (kernel-made:
                             KERNELCMD_CREATE_IPI); base = IPI_BASE(core,
                             doorbell), size 0 */
    ObjType_Zombie,       /* the last cap of a CNode or Dispatcher whose contents
                             are being deleted: delete it again to finish
                             (docs/capabilities.md, "Delete and revoke") */
    ObjType_Retyping,     /* memory being prepared for a retype that paused:
                             make the same retype call again to finish, or
                             delete it to give up (docs/capabilities.md) */
    ObjType_Num
};

#define IPI_BASE(core, doorbell)  (((lpaddr_t)(core) << 16) | (doorbell))
#define IPI_CORE(base)            ((uint32_t)(base) >> 16)
#define IPI_DOORBELL(base)        ((uint32_t)(base) & 0xffffu)

/* Rights. A copy may carry fewer rights than its source, never more. */
#define CAP_RIGHT_READ     0x1u  /* map readable */
#define CAP_RIGHT_WRITE    0x2u  /* map writable; retype RAM; store into CNode; map into VNode */
#define CAP_RIGHT_EXECUTE  0x4u  /* map executable */
#define CAP_RIGHT_GRANT    0x8u  /* may be copied or minted */
#define CAP_RIGHT_REVOKE   0x10u /* may be revoked: delete every other copy and
                                    every descendant. Never carried by a cap
                                    received in a message or handed to a child
                                    by its spawner, so a domain can delete what
                                    it was given but not its giver's copies */
#define CAP_RIGHTS_ALL     0x1fu
/* A RAM capability has at most this many copies (itself included): retype
 * must find the end of its group of copies in bounded time. */
#define RAM_MAX_COPIES     64u
#define CAP_RIGHTS_GIVEN   (CAP_RIGHTS_ALL & ~CAP_RIGHT_REVOKE)

/* CNodes: a slot (struct cte in the kernel) is 64 bytes. */
#define CTE_SIZE_BITS        6
#define CTE_SIZE             (1u << CTE_SIZE_BITS)
#define L2_CNODE_BITS        8
#define L2_CNODE_SLOTS       (1u << L2_CNODE_BITS)            /* 256 */
#define OBJSIZE_L2CNODE      (L2_CNODE_SLOTS * CTE_SIZE)      /* 16 KiB */
#define OBJSIZE_L1CNODE_MIN  OBJSIZE_L2CNODE                  /* 256 L1 slots */
#define L1_CNODE_MAX_SLOTS   (1u << 16)
/* Page tables */
#define OBJSIZE_VNODE_L1     16384u
#define OBJSIZE_VNODE_L2     1024u
#define VNODE_L1_ENTRIES     4096u
#define VNODE_L1_USER_ENTRIES 2048u   /* TTBCR.N = 1: user below 2 GiB */
#define VNODE_L2_ENTRIES     256u
/* Other fixed-size objects */
#define OBJSIZE_DISPATCHER   1024u
#define OBJSIZE_ENDPOINT     64u

/*
 * Capability addresses (capaddr_t) name a slot in the caller's own cspace:
 *   bits [23:8]  index into the root (L1) CNode, selecting an L2 CNode
 *   bits [7:0]   slot in that L2 CNode
 * With CPTR_L1_SLOT set, bits [15:0] name a slot of the root CNode itself
 * (the slot holding an L2 CNode capability).
 */
#define CPTR_L1_SLOT            0x80000000u
#define CPTR(l1, l2)            ((capaddr_t)(((l1) << L2_CNODE_BITS) | (l2)))
#define CPTR_L1_INDEX(c)        (((c) >> L2_CNODE_BITS) & 0xffffu)
#define CPTR_L2_INDEX(c)        ((c) & (L2_CNODE_SLOTS - 1))
#define CPTR_NULL               ((capaddr_t)0)  /* L1 0, slot 0: TASKCN's own slot, never invoked */

/* Mapping flags (VNode map). Rights must be covered by the source cap. */
#define VREGION_FLAGS_READ      0x01u
#define VREGION_FLAGS_WRITE     0x02u
#define VREGION_FLAGS_EXECUTE   0x04u
#define VREGION_FLAGS_NOCACHE   0x08u  /* device / uncached */
#define VREGION_FLAGS_MASK      0x0fu
#define VREGION_FLAGS_READ_WRITE (VREGION_FLAGS_READ | VREGION_FLAGS_WRITE)

/* What identify returns. */
struct capability_info {
    enum objtype type;
    uint32_t rights;
    lpaddr_t base;
    gensize_t size;
};

#endif
