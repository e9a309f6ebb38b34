/*
 * Capabilities inside the kernel: slots (struct cte), the mapping database
 * and the operations on them. Implemented in kernel/cap/ and kernel/object/.
 *
 * Every slot is exactly CTE_SIZE (64) bytes on every build, target and host,
 * so CNode objects are arrays of 256 slots in 16 KiB. Links between slots
 * are stored as physical addresses (cte_ref_t), not pointers, for that reason.
 *
 * Lock order: none; the kernel is single-threaded and non-preemptible.
 */
#ifndef KERNEL_CAP_H
#define KERNEL_CAP_H

#include <autarky/types.h>
#include <autarky/errors.h>
#include <autarky/captypes.h>
#include <arch/registers.h>

typedef lpaddr_t cte_ref_t;   /* physical address of a struct cte, 0 = none */

struct capability {
    uint8_t  type;     /* enum objtype */
    uint8_t  rights;   /* CAP_RIGHT_* */
    uint16_t flags;
    lpaddr_t base;     /* physical base of the object */
    gensize_t size;    /* bytes */
    uint32_t badge;    /* Endpoint badge; 0 otherwise */
};

/* Where a slot lives: in a CNode, among the kernel's slots of RAM given to
 * another core (kernel/cap/given.c), among its pins of frames lent to
 * another core (kernel/cap/loan.c), or inside a DCB (index = owner -
 * CTE_OWNER_DCB_FIRST). */
#define CTE_OWNER_CNODE 0
#define CTE_OWNER_GIVEN 1
#define CTE_OWNER_LENT 2
#define CTE_OWNER_DCB_FIRST 3

struct cte {
    struct capability cap;       /* 16 bytes */
    cte_ref_t mdb_prev, mdb_next;/* mapping database (see kernel/cap/mdb.c) */
    /* Mapping of this cap (Frame/DevFrame/VNode_L2) into a table: */
    cte_ref_t map_vnode;         /* table cap it is mapped through, 0 = unmapped */
    uint16_t map_entry, map_count;
    uint32_t map_offset;         /* pages into the frame */
    cte_ref_t map_prev, map_next;/* list of caps mapped through map_vnode */
    /* For VNode caps: head of the list of caps mapped through this one. */
    cte_ref_t mapped_head;
    cte_ref_t delete_next;       /* zombies: the zombie whose slot holds this one */
    uint8_t owner;               /* CTE_OWNER_* */
    uint8_t pad8[3];
    union {
        /* Zombies (kernel/cap/delete.c): the top zombie of the reaping
         * that last went through this one, and, in a top zombie, where
         * that reaping paused. */
        struct { cte_ref_t reap_top, reap_cursor; };
        /* RAM (kernel/object/ram.c): bytes from cap.base to the end of the
         * highest object retyped through this copy; the group's maximum
         * bounds every descendant. */
        struct { uint32_t ram_watermark, ram_unused; };
    };
};

/* ---- addressing ---- */
struct cte *cte_from_ref(cte_ref_t ref);
cte_ref_t   cte_to_ref(const struct cte *cte);
/* Slot `slot` of an L1 or L2 CNode cap (no bounds check: callers check). */
struct cte *cnode_slot(const struct cte *cnode, cslot_t slot);
cslot_t     cnode_num_slots(const struct cte *cnode);
/* Resolve a cptr in the cspace rooted at the L1 CNode cap `root`.
 * lookup_slot may return an empty slot; lookup_cap requires a non-empty one
 * of type `type` (ObjType_Null accepts any). */
errval_t caps_lookup_slot(struct cte *root, capaddr_t cptr, struct cte **ret);
errval_t caps_lookup_cap(struct cte *root, capaddr_t cptr, enum objtype type,
                         struct cte **ret);
/* The empty slot `cptr` names, checked to receive a new capability of
 * `type` by cnode_check_dest (WRITE on its CNode, the L1 rule, empty). */
errval_t caps_lookup_dest(struct cte *root, capaddr_t cptr, enum objtype type,
                          struct cte **ret);

/* ---- creation, copy, delete ---- */
/* An original capability (no parent in the MDB), made at boot. Zeroes the
 * memory for types a domain can read or the kernel interprets. */
errval_t caps_create_boot(struct cte *dest, enum objtype type, lpaddr_t base,
                          gensize_t size, uint32_t rights);
/* An original Frame capability to memory that already holds what it
 * should (a boot module, a frame another core's init shares): nothing is
 * zeroed. Boot only. */
errval_t caps_create_existing(struct cte *dest, enum objtype type, lpaddr_t base,
                              gensize_t size, uint32_t rights);
errval_t caps_retype(struct cte *src, enum objtype type, gensize_t offset,
                     gensize_t objsize, uint32_t count, struct cte *dest_cnode,
                     cslot_t dest_slot);
/* Copy src into the empty slot dest with rights (src rights & mask). */
errval_t caps_copy(struct cte *dest, struct cte *src, uint32_t rights_mask,
                   uint32_t badge);
errval_t caps_delete(struct cte *cte);
errval_t caps_revoke(struct cte *cte);

/* ---- RAM given to another core for good (kernel/cap/given.c) ---- */
void caps_given_init(struct cte *slots, uint32_t max);
errval_t caps_give_away_check(const struct cte *ram);
errval_t caps_give_away(struct cte *ram);
errval_t caps_share_for_good(struct cte *frame);
uint32_t caps_given_free(void);
uint32_t caps_count_live(void);     /* live slots in the MDB (tests, leaks) */

/* ---- mapping (kernel/object/vnode.c) ---- */
errval_t vnode_map(struct cte *vnode, struct cte *src, uint32_t entry,
                   uint32_t flags, uint32_t offset, uint32_t count);
errval_t vnode_unmap(struct cte *vnode, struct cte *src);
errval_t vnode_modify(struct cte *vnode, struct cte *src, uint32_t flags);

/* ---- invocations (kernel/syscall_invoke.c) ---- */
/* Decode and run SYS_INVOKE for a caller whose cspace root is `root`.
 * Results go to regs->r[1..3]; returns the error code for r0. */
errval_t sys_invoke(struct cte *root, struct arch_registers *regs);

/* ---- hooks the cap layer calls into other kernel modules ---- */
struct dcb;
/* A slot inside a DCB is about to be emptied (dispatcher.c). */
void dispatcher_slot_deleted(struct cte *cte);
/* The last capability to this DCB is going (dispatcher.c). */
void dispatcher_destroying(struct dcb *dcb);
/* Type-specific invocations implemented outside the cap layer. */
errval_t dispatcher_invoke(struct cte *root, struct cte *disp, uint32_t cmd,
                           const uint32_t args[5], struct arch_registers *regs);
/* The doorbell of the dispatcher `disp` names, made on first use (needs
 * WRITE; reached only through the Kernel cap, KERNELCMD_DOORBELL). */
errval_t dispatcher_doorbell(struct cte *disp, uint32_t *id);
errval_t kernelcap_invoke(struct cte *root, struct cte *kcap, uint32_t cmd, const uint32_t args[5],
                          struct arch_registers *regs);

#endif
