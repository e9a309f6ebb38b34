/*
 * Typed capability invocations (lib/invocations.c): one function per
 * kernel command of include/autarky/invocations.h. Each returns the
 * kernel's error code as an errval_t, unchanged.
 *
 * Capabilities are named by capaddr_t in the caller's cspace (CPTR(l1, l2));
 * a destination is a CNode cap plus a slot index in it.
 */
#ifndef AOS_CAPS_H
#define AOS_CAPS_H

#include <autarky/types.h>
#include <autarky/errors.h>
#include <autarky/captypes.h>
#include <autarky/invocations.h>
#include <autarky/bootinfo.h>
#include <autarky/dispatcher.h>

errval_t cap_identify(capaddr_t cap, struct capability_info *info);
errval_t cap_copy(capaddr_t dest_cnode, cslot_t dest_slot, capaddr_t src);
errval_t cap_mint(capaddr_t dest_cnode, cslot_t dest_slot, capaddr_t src,
                  uint32_t rights_mask, uint32_t badge);
errval_t cap_delete(capaddr_t cap);
errval_t cap_revoke(capaddr_t cap);

/* Retype `count` objects of `type`, each `objsize` bytes, starting `offset`
 * bytes into RAM cap `ram`, into dest_cnode slots dest_slot.. */
errval_t cap_retype(capaddr_t ram, enum objtype type, gensize_t offset,
                    gensize_t objsize, uint32_t count, capaddr_t dest_cnode,
                    cslot_t dest_slot);

/* The CNode cap and slot index that together name slot `slot`
 * (for calls that take a destination as CNode + index). */
static inline capaddr_t cptr_cnode(capaddr_t slot)
{
    return CPTR_L1_SLOT | CPTR_L1_INDEX(slot);
}
static inline cslot_t cptr_slot(capaddr_t slot)
{
    return CPTR_L2_INDEX(slot);
}
/* Retype one object into the empty slot `dest`. */
static inline errval_t cap_retype_one(capaddr_t ram, enum objtype type,
                                      gensize_t offset, gensize_t objsize,
                                      capaddr_t dest)
{
    return cap_retype(ram, type, offset, objsize, 1, cptr_cnode(dest), cptr_slot(dest));
}
/* Copy `src` into the empty slot `dest` (same rights and badge). */
static inline errval_t cap_copy_to(capaddr_t dest, capaddr_t src)
{
    return cap_copy(cptr_cnode(dest), cptr_slot(dest), src);
}

/* Map `count` pages of `src` starting `offset` pages in, at entry `entry`
 * of table `vnode` (a VNode L2 into a VNode L1: count 1, offset 0). */
errval_t vnode_map(capaddr_t vnode, capaddr_t src, uint32_t entry,
                   uint32_t flags, uint32_t offset, uint32_t count);
errval_t vnode_unmap(capaddr_t vnode, capaddr_t src);
errval_t vnode_modify(capaddr_t vnode, capaddr_t src, uint32_t flags);

errval_t disp_setup(capaddr_t disp, capaddr_t cspace_l1, capaddr_t vspace_l1,
                    capaddr_t disp_frame, lvaddr_t disp_uva);
errval_t disp_start(capaddr_t disp);
errval_t disp_stop(capaddr_t disp);
/* The kernel tells `ep` when it kills this dispatcher's domain (0: nobody). */
errval_t disp_set_exit_ep(capaddr_t disp, capaddr_t ep);
/* The dispatcher's state (DISP_STATE_*: stopped, runnable, waiting, ...). */
errval_t disp_get_state(capaddr_t disp, enum disp_state *state);
/* The doorbell of dispatcher `disp` on its core (made on first use): an
 * IPI cap naming it wakes the dispatcher from SYS_WAIT. */
errval_t disp_doorbell(capaddr_t disp, uint32_t *doorbell);
/* Ring the doorbell IPI cap `ipi` names. */
errval_t ipi_notify(capaddr_t ipi);
/* RAM cap `ram` leaves this core for good towards core `core` (Kernel
 * cap): *gift names it for kernel_claim_ram there. */
errval_t kernel_give_ram(capaddr_t kernel_cap, capaddr_t ram, uint32_t core, uint32_t *gift);
/* Gift `gift` for this core becomes a RAM cap in slot `dest` (once). */
errval_t kernel_claim_ram(capaddr_t kernel_cap, uint32_t gift, capaddr_t dest);
/* Frames lent to another core (Kernel cap; kernel/include/kernel/loan.h):
 * lend Frame `frame` to core `core` (*loan names it there); claim loan
 * `loan` into slot `dest` on the borrower (once); give it back from the
 * borrower (`frame`: the claimed cap, its core's last to the memory);
 * end it on the lender once returned (or never claimed). */
errval_t kernel_lend_frame(capaddr_t kernel_cap, capaddr_t frame, uint32_t core, uint32_t *loan);
errval_t kernel_claim_loan(capaddr_t kernel_cap, uint32_t loan, capaddr_t dest);
errval_t kernel_return_loan(capaddr_t kernel_cap, uint32_t loan, capaddr_t frame);
errval_t kernel_reclaim_loan(capaddr_t kernel_cap, uint32_t loan);
/* Have core `core`'s kernel kill its first domain (Kernel cap; tests). */
errval_t kernel_debug_kill_core_root(capaddr_t kernel_cap, uint32_t core);
/* A new IPI cap in slot `dest` ringing doorbell `doorbell` of core `core`
 * (Kernel cap). */
errval_t kernel_create_ipi(capaddr_t kernel_cap, capaddr_t dest, uint32_t core,
                           uint32_t doorbell);
/* The same in a fresh slot, *ret (on failure the slot is freed again). */
errval_t kernel_new_ipi(capaddr_t kernel_cap, uint32_t core, uint32_t doorbell, capaddr_t *ret);

/* Bind Endpoint `ep` to Dispatcher `disp`: messages through any copy of
 * `ep` go to that dispatcher's ring (include/autarky/lmp.h). */
errval_t ep_bind(capaddr_t ep, capaddr_t disp);

/* Power the machine off (Kernel cap); returns only on error. */
errval_t kernel_poweroff(capaddr_t kernel_cap, int status);
/* The longest time the kernel ran with interrupts masked since the last
 * reset (counter ticks) and what it did then (kernel/include/kernel/preempt.h);
 * `reset`: start a new measurement. */
errval_t kernel_debug_masked(capaddr_t kernel_cap, bool reset, uint32_t *ticks,
                             uint32_t *what);
/* Test of the kernel stack's guard page: the kernel panics. */
errval_t kernel_debug_stack_overflow(capaddr_t kernel_cap);
/* Start core `core` (core 0's Kernel cap): RAM cap `ram` is given to it
 * for good (1 MiB aligned, >= 4 MiB, no other copy, nothing retyped from
 * it), frame `channel` is shared with its init for good. */
errval_t kernel_start_core(capaddr_t kernel_cap, uint32_t core, capaddr_t ram,
                           capaddr_t channel);
/* Live capability slots in the whole system (Kernel cap; leak checks). */
errval_t kernel_capcount(capaddr_t kernel_cap, uint32_t *count);

#endif
