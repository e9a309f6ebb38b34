/*
 * SYS_INVOKE: decode an invocation and run it on the invoked capability.
 *
 *   r1 = cptr of the invoked capability, r2 = command, r3..r7 = a1..a5
 *   results in r1..r3, error code returned (the caller puts it in r0)
 *
 * Commands below CAPCMD_TYPE_BASE work on any capability; the others are
 * defined per type (include/autarky/invocations.h). Dispatcher and Kernel
 * commands are handed to dispatcher_invoke() and kernelcap_invoke().
 */
#include <kernel/cap.h>
#include <kernel/endpoint.h>
#include <kernel/cnode.h>
#include <kernel/objtype.h>
#include <kernel/ipi.h>
#include <autarky/invocations.h>

/* The empty slot `slot` of the CNode at `cnode_cptr`, checked to receive a
 * capability of type `type` (rights, range, L1 rule: cnode.h). */
static errval_t lookup_dest_slot(struct cte *root, capaddr_t cnode_cptr,
                                 cslot_t slot, enum objtype type,
                                 struct cte **ret)
{
    struct cte *cnode;
    errval_t err = caps_lookup_cap(root, cnode_cptr, ObjType_Null, &cnode);

    if (err_is_fail(err)) {
        return err;
    }
    err = cnode_check_dest(cnode, slot, 1, type);
    if (err_is_fail(err)) {
        return err;
    }
    *ret = cnode_slot(cnode, slot);
    return SYS_ERR_OK;
}

/* COPY (mask all, keep badge) and MINT (mask a3, badge a4). */
static errval_t invoke_copy(struct cte *root, struct cte *src, uint32_t cmd,
                            const uint32_t a[5])
{
    struct cte *dest;
    uint32_t mask = cmd == CAPCMD_MINT ? a[2] : CAP_RIGHTS_ALL;
    uint32_t badge = cmd == CAPCMD_MINT ? a[3] : 0;
    errval_t err = lookup_dest_slot(root, a[0], a[1], src->cap.type, &dest);

    if (err_is_fail(err)) {
        return err;
    }
    return caps_copy(dest, src, mask, badge);
}

static errval_t invoke_generic(struct cte *root, struct cte *cap, uint32_t cmd,
                               const uint32_t a[5], struct arch_registers *regs)
{
    switch (cmd) {
    case CAPCMD_IDENTIFY:
        regs->r[1] = cap->cap.type | ((uint32_t)cap->cap.rights << 8);
        regs->r[2] = cap->cap.base;
        regs->r[3] = cap->cap.size;
        return SYS_ERR_OK;
    case CAPCMD_COPY:
    case CAPCMD_MINT:
        return invoke_copy(root, cap, cmd, a);
    case CAPCMD_DELETE:
        return caps_delete(cap);
    case CAPCMD_REVOKE:
        if (!(cap->cap.rights & CAP_RIGHT_REVOKE)) {
            return SYS_ERR_REVOKE_NO_RIGHT;     /* else a holder could delete its giver's copies */
        }
        return caps_revoke(cap);
    default:
        return SYS_ERR_ILLEGAL_INVOCATION;
    }
}

/* RAMCMD_RETYPE: a1 = type | count << 16, a2 = offset, a3 = objsize,
 * a4 = dest CNode cptr, a5 = first dest slot. */
static errval_t invoke_ram(struct cte *root, struct cte *ram, uint32_t cmd,
                           const uint32_t a[5])
{
    struct cte *dest_cnode;
    errval_t err;

    if (cmd != RAMCMD_RETYPE) {
        return SYS_ERR_ILLEGAL_INVOCATION;
    }
    err = caps_lookup_cap(root, a[3], ObjType_Null, &dest_cnode);
    if (err_is_fail(err)) {
        return err;
    }
    return caps_retype(ram, (enum objtype)RETYPE_ARG_TYPE(a[0]), a[1], a[2],
                       RETYPE_ARG_COUNT(a[0]), dest_cnode, a[4]);
}

/* VNODECMD_*: a1 = cptr of the mapped (or to-be-mapped) capability. */
static errval_t invoke_vnode(struct cte *root, struct cte *vnode, uint32_t cmd,
                             const uint32_t a[5])
{
    struct cte *src;
    errval_t err;

    if (cmd != VNODECMD_MAP && cmd != VNODECMD_UNMAP && cmd != VNODECMD_MODIFY) {
        return SYS_ERR_ILLEGAL_INVOCATION;
    }
    err = caps_lookup_cap(root, a[0], ObjType_Null, &src);
    if (err_is_fail(err)) {
        return err;
    }
    switch (cmd) {
    case VNODECMD_MAP:
        return vnode_map(vnode, src, a[1], a[2], a[3], a[4]);
    case VNODECMD_UNMAP:
        return vnode_unmap(vnode, src);
    default:
        return vnode_modify(vnode, src, a[1]);
    }
}

errval_t sys_invoke(struct cte *root, struct arch_registers *regs)
{
    const uint32_t a[5] = { regs->r[3], regs->r[4], regs->r[5], regs->r[6],
                            regs->r[7] };
    uint32_t cmd = regs->r[2];
    struct cte *cap;
    errval_t err = caps_lookup_cap(root, regs->r[1], ObjType_Null, &cap);

    if (err_is_fail(err)) {
        return err;
    }
    if (cmd < CAPCMD_TYPE_BASE) {
        return invoke_generic(root, cap, cmd, a, regs);
    }
    switch (cap->cap.type) {
    case ObjType_RAM:
        return invoke_ram(root, cap, cmd, a);
    case ObjType_VNode_L1:
    case ObjType_VNode_L2:
        return invoke_vnode(root, cap, cmd, a);
    case ObjType_Dispatcher:
        return dispatcher_invoke(root, cap, cmd, a, regs);
    case ObjType_Kernel:
        return kernelcap_invoke(root, cap, cmd, a, regs);
    case ObjType_Endpoint:
        return endpoint_invoke(root, cap, cmd, a);
    case ObjType_IPI:
        return ipi_invoke(cap, cmd);
    default:
        return SYS_ERR_ILLEGAL_INVOCATION;
    }
}
