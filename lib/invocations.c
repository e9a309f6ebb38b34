/*
 * Typed wrappers around SYS_INVOKE: one per command of
 * include/autarky/invocations.h. They add no policy: the kernel checks
 * everything and its error code comes back as is.
 */
#include <aos/caps.h>
#include <aos/syscalls.h>
#include <aos/slot_alloc.h>

static errval_t invoke(capaddr_t cap, uint32_t cmd, uint32_t a1, uint32_t a2,
                       uint32_t a3, uint32_t a4, uint32_t a5)
{
    return sys_invoke(cap, cmd, a1, a2, a3, a4, a5).err;
}

/* A command that answers one word (r1), stored in *ret only on success. */
static errval_t invoke_r1(capaddr_t cap, uint32_t cmd, uint32_t a1, uint32_t a2,
                          uint32_t *ret)
{
    struct sysret r = sys_invoke(cap, cmd, a1, a2, 0, 0, 0);

    if (r.err == SYS_ERR_OK) {
        *ret = r.r1;
    }
    return r.err;
}

errval_t cap_identify(capaddr_t cap, struct capability_info *info)
{
    struct sysret r = sys_invoke(cap, CAPCMD_IDENTIFY, 0, 0, 0, 0, 0);
    if (r.err == SYS_ERR_OK) {
        info->type = (enum objtype)IDENTIFY_TYPE(r.r1);
        info->rights = IDENTIFY_RIGHTS(r.r1);
        info->base = r.r2;
        info->size = r.r3;
    }
    return r.err;
}

errval_t cap_copy(capaddr_t dest_cnode, cslot_t dest_slot, capaddr_t src)
{
    return invoke(src, CAPCMD_COPY, dest_cnode, dest_slot, 0, 0, 0);
}

errval_t cap_mint(capaddr_t dest_cnode, cslot_t dest_slot, capaddr_t src,
                  uint32_t rights_mask, uint32_t badge)
{
    return invoke(src, CAPCMD_MINT, dest_cnode, dest_slot, rights_mask, badge, 0);
}

errval_t cap_delete(capaddr_t cap)
{
    return invoke(cap, CAPCMD_DELETE, 0, 0, 0, 0, 0);
}

errval_t cap_revoke(capaddr_t cap)
{
    return invoke(cap, CAPCMD_REVOKE, 0, 0, 0, 0, 0);
}

errval_t cap_retype(capaddr_t ram, enum objtype type, gensize_t offset,
                    gensize_t objsize, uint32_t count, capaddr_t dest_cnode,
                    cslot_t dest_slot)
{
    return invoke(ram, RAMCMD_RETYPE, RETYPE_ARG_TYPE_COUNT(type, count), offset,
                  objsize, dest_cnode, dest_slot);
}

errval_t vnode_map(capaddr_t vnode, capaddr_t src, uint32_t entry,
                   uint32_t flags, uint32_t offset, uint32_t count)
{
    return invoke(vnode, VNODECMD_MAP, src, entry, flags, offset, count);
}

errval_t vnode_unmap(capaddr_t vnode, capaddr_t src)
{
    return invoke(vnode, VNODECMD_UNMAP, src, 0, 0, 0, 0);
}

errval_t vnode_modify(capaddr_t vnode, capaddr_t src, uint32_t flags)
{
    return invoke(vnode, VNODECMD_MODIFY, src, flags, 0, 0, 0);
}

errval_t disp_setup(capaddr_t disp, capaddr_t cspace_l1, capaddr_t vspace_l1,
                    capaddr_t disp_frame, lvaddr_t disp_uva)
{
    return invoke(disp, DISPCMD_SETUP, cspace_l1, vspace_l1, disp_frame, disp_uva, 0);
}

errval_t disp_start(capaddr_t disp)
{
    return invoke(disp, DISPCMD_START, 0, 0, 0, 0, 0);
}

errval_t disp_stop(capaddr_t disp)
{
    return invoke(disp, DISPCMD_STOP, 0, 0, 0, 0, 0);
}

errval_t kernel_poweroff(capaddr_t kernel_cap, int status)
{
    return invoke(kernel_cap, KERNELCMD_POWEROFF, (uint32_t)status, 0, 0, 0, 0);
}

errval_t kernel_capcount(capaddr_t kernel_cap, uint32_t *count)
{
    return invoke_r1(kernel_cap, KERNELCMD_DEBUG_CAPCOUNT, 0, 0, count);
}

errval_t kernel_start_core(capaddr_t kernel_cap, uint32_t core, capaddr_t ram,
                           capaddr_t channel)
{
    return invoke(kernel_cap, KERNELCMD_START_CORE, core, ram, channel, 0, 0);
}

errval_t kernel_debug_masked(capaddr_t kernel_cap, bool reset, uint32_t *ticks,
                             uint32_t *what)
{
    struct sysret r = sys_invoke(kernel_cap, KERNELCMD_DEBUG_MASKED, reset ? 1 : 0,
                                 0, 0, 0, 0);
    if (r.err == SYS_ERR_OK) {
        *ticks = r.r1;
        *what = r.r2;
    }
    return r.err;
}

errval_t kernel_debug_stack_overflow(capaddr_t kernel_cap)
{
    return invoke(kernel_cap, KERNELCMD_DEBUG_STACK_OVERFLOW, 1u << 20, 0, 0, 0, 0);
}

errval_t ep_bind(capaddr_t ep, capaddr_t disp)
{
    return sys_invoke(ep, EPCMD_BIND, disp, 0, 0, 0, 0).err;
}

errval_t disp_get_state(capaddr_t disp, enum disp_state *state)
{
    struct sysret r = sys_invoke(disp, DISPCMD_GET_STATE, 0, 0, 0, 0, 0);
    if (r.err == SYS_ERR_OK) {
        *state = (enum disp_state)r.r1;
    }
    return r.err;
}

errval_t disp_doorbell(capaddr_t disp, uint32_t *doorbell)
{
    return invoke_r1(CAP_KERNEL, KERNELCMD_DOORBELL, disp, 0, doorbell);
}

errval_t ipi_notify(capaddr_t ipi)
{
    return sys_invoke(ipi, IPICMD_NOTIFY, 0, 0, 0, 0, 0).err;
}

errval_t kernel_give_ram(capaddr_t kernel_cap, capaddr_t ram, uint32_t core, uint32_t *gift)
{
    return invoke_r1(kernel_cap, KERNELCMD_GIVE_RAM, ram, core, gift);
}

errval_t kernel_claim_ram(capaddr_t kernel_cap, uint32_t gift, capaddr_t dest)
{
    return invoke(kernel_cap, KERNELCMD_CLAIM_RAM, gift, dest, 0, 0, 0);
}

errval_t kernel_lend_frame(capaddr_t kernel_cap, capaddr_t frame, uint32_t core, uint32_t *loan)
{
    return invoke_r1(kernel_cap, KERNELCMD_LEND_FRAME, frame, core, loan);
}

errval_t kernel_claim_loan(capaddr_t kernel_cap, uint32_t loan, capaddr_t dest)
{
    return invoke(kernel_cap, KERNELCMD_CLAIM_LOAN, loan, dest, 0, 0, 0);
}

errval_t kernel_return_loan(capaddr_t kernel_cap, uint32_t loan, capaddr_t frame)
{
    return invoke(kernel_cap, KERNELCMD_RETURN_LOAN, loan, frame, 0, 0, 0);
}

errval_t kernel_reclaim_loan(capaddr_t kernel_cap, uint32_t loan)
{
    return invoke(kernel_cap, KERNELCMD_RECLAIM_LOAN, loan, 0, 0, 0, 0);
}

errval_t kernel_debug_kill_core_root(capaddr_t kernel_cap, uint32_t core)
{
    return invoke(kernel_cap, KERNELCMD_DEBUG_KILL_CORE_ROOT, core, 0, 0, 0, 0);
}

errval_t kernel_create_ipi(capaddr_t kernel_cap, capaddr_t dest, uint32_t core,
                           uint32_t doorbell)
{
    return invoke(kernel_cap, KERNELCMD_CREATE_IPI, dest, core, doorbell, 0, 0);
}

errval_t kernel_new_ipi(capaddr_t kernel_cap, uint32_t core, uint32_t doorbell, capaddr_t *ret)
{
    errval_t err = slot_alloc(ret);

    if (err_is_ok(err)) {
        err = kernel_create_ipi(kernel_cap, *ret, core, doorbell);
        if (err_is_fail(err)) {
            slot_free(*ret);
            *ret = CPTR_NULL;
        }
    }
    return err;
}

errval_t disp_set_exit_ep(capaddr_t disp, capaddr_t ep)
{
    return sys_invoke(disp, DISPCMD_SET_EXIT_EP, ep, 0, 0, 0, 0).err;
}
