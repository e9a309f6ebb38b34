/*
 * The Dispatcher object: a domain's DCB, its invocations, and killing a
 * domain that faulted where it must not.
 *
 * A DCB holds copies of the domain's cspace root, vspace root and
 * dispatcher frame in its own slots (struct dcb.ctes), made by
 * DISPCMD_SETUP. When any of those slots is emptied (delete, revoke of an
 * ancestor, destruction of the DCB) the domain can no longer run: the cap
 * layer calls dispatcher_slot_deleted() first and we take it off the CPU.
 */
#include <kernel/dispatcher.h>
#include <kernel/doorbell.h>
#include <kernel/core.h>
#include <kernel/sched.h>
#include <kernel/cap.h>
#include <kernel/printk.h>
#include <kernel/lmp.h>
#include <autarky/invocations.h>
#include <autarky/layout.h>
#include <arch/memory.h>

static uint32_t last_domain_id;     /* ids start at 1 (0 is the first domain) */

static struct dcb *dcb_of_slot(struct cte *cte)
{
    return (struct dcb *)(cte - (cte->owner - CTE_OWNER_DCB_FIRST));
}

static struct dcb *dcb_of_cap(struct cte *disp_cap)
{
    return pa_to_kva(disp_cap->cap.base);
}

/* Called by the cap layer before a slot inside a DCB is emptied. */
void dispatcher_slot_deleted(struct cte *cte)
{
    struct dcb *dcb = dcb_of_slot(cte);

    if (cte == &dcb->ctes[DCB_CTE_EXIT_EP]) {
        return;                 /* optional: the domain runs on without it */
    }
    lmp_sendq_detach(dcb);
    sched_remove(dcb);
    if (dcb->state != DCB_KILLED) {
        dcb->state = DCB_EMPTY;
    }
    sched_forget_current(dcb);
}

/* The DCB's last capability is going (kernel/cap/delete.c): it never runs,
 * sends or receives again. Its slots and endpoints are undone next, a step
 * at a time. */
void dispatcher_destroying(struct dcb *dcb)
{
    doorbell_dispatcher_destroyed(dcb);
    kill_notice_drop(dcb);
    lmp_sendq_detach(dcb);
    sched_remove(dcb);
    dcb->state = DCB_EMPTY;
    sched_forget_current(dcb);
}

/*
 * Copy the caps naming a domain's cspace, vspace and dispatcher frame into
 * the DCB. Everything is validated before any slot changes.
 */
static errval_t dispatcher_setup(struct cte *root, struct dcb *dcb,
                                 const uint32_t args[5])
{
    struct cte *cspace, *vspace, *frame;
    struct cte *src[DCB_NUM_SETUP_CTES];
    lvaddr_t uva = args[3];
    errval_t err;

    if (dcb->state == DCB_RUNNABLE) {
        return SYS_ERR_DISP_ALREADY_RUNNABLE;
    }
    err = caps_lookup_cap(root, args[0], ObjType_L1CNode, &cspace);
    if (err_is_fail(err)) {
        return err;
    }
    err = caps_lookup_cap(root, args[1], ObjType_VNode_L1, &vspace);
    if (err_is_fail(err)) {
        return err;
    }
    err = caps_lookup_cap(root, args[2], ObjType_Frame, &frame);
    if (err_is_fail(err)) {
        return err;
    }
    if (frame->cap.size < sizeof(struct dispatcher_shared)
        || frame->cap.size < BASE_PAGE_SIZE) {
        return SYS_ERR_DISP_FRAME_SIZE;
    }
    if (uva % BASE_PAGE_SIZE != 0 || uva >= USER_TOP
        || uva < USER_NULL_GUARD_SIZE) {
        return SYS_ERR_INVALID_ARGS;
    }
    src[DCB_CTE_CSPACE] = cspace;
    src[DCB_CTE_VSPACE] = vspace;
    src[DCB_CTE_DISPFRAME] = frame;
    for (int i = 0; i < DCB_NUM_SETUP_CTES; i++) {
        if (!(src[i]->cap.rights & CAP_RIGHT_GRANT)) {
            return SYS_ERR_NO_RIGHTS;   /* the DCB keeps a copy: needs GRANT */
        }
    }
    for (int i = 0; i < DCB_NUM_SETUP_CTES; i++) {
        if (dcb->ctes[i].cap.type != ObjType_Null) {
            err = caps_delete(&dcb->ctes[i]);
            if (err_is_fail(err)) {
                return err;
            }
        }
    }
    for (int i = 0; i < DCB_NUM_SETUP_CTES; i++) {
        err = caps_copy(&dcb->ctes[i], src[i], CAP_RIGHTS_ALL, 0);
        if (err_is_fail(err)) {
            return err;   /* only on a kernel bug: all were checked above */
        }
        dcb->ctes[i].owner = CTE_OWNER_DCB_FIRST + i;
    }
    dcb->disp_uva = uva;
    dcb->state = DCB_STOPPED;
    dcb->started = 0;
    if (dcb->domain_id == 0) {
        dcb->domain_id = ++last_domain_id;
    }
    dcb_shared(dcb)->domain_id = dcb->domain_id;
    return SYS_ERR_OK;
}

/* Make a set-up, stopped DCB runnable. */
static errval_t dispatcher_start(struct dcb *dcb)
{
    switch (dcb->state) {
    case DCB_EMPTY:
        return SYS_ERR_DISP_NOT_SETUP;
    case DCB_RUNNABLE:
    case DCB_WAITING:
        return SYS_ERR_DISP_ALREADY_RUNNABLE;
    case DCB_KILLED:
        return SYS_ERR_DISP_NOT_RUNNABLE;
    default:
        sched_make_runnable(dcb);
        return SYS_ERR_OK;
    }
}

/*
 * DISPCMD_SET_EXIT_EP: a1 = Endpoint the kernel tells when it kills the
 * domain (a copy is kept in the DCB; 0 removes it). Safety rule 7
 * (docs/safety.md): once one is installed, only a Dispatcher capability
 * with REVOKE may replace or remove it. Every capability a domain is given
 * lacks REVOKE, so a domain cannot silence the notice of its own end; its
 * creator, who made the Dispatcher by retype, can.
 */
static errval_t dispatcher_set_exit_ep(struct cte *root, struct cte *disp,
                                       struct dcb *dcb, capaddr_t ep_cptr)
{
    struct cte *ep, *slot = &dcb->ctes[DCB_CTE_EXIT_EP];
    errval_t err;

    if (slot->cap.type != ObjType_Null && !(disp->cap.rights & CAP_RIGHT_REVOKE)) {
        return SYS_ERR_DISP_EXIT_EP_LOCKED;
    }
    if (ep_cptr == CPTR_NULL) {
        return slot->cap.type == ObjType_Null ? SYS_ERR_OK : caps_delete(slot);
    }
    err = caps_lookup_cap(root, ep_cptr, ObjType_Endpoint, &ep);
    if (err_is_fail(err)) {
        return err;
    }
    if (!(ep->cap.rights & CAP_RIGHT_GRANT) || !(ep->cap.rights & CAP_RIGHT_WRITE)) {
        return SYS_ERR_NO_RIGHTS;
    }
    if (slot->cap.type != ObjType_Null) {
        err = caps_delete(slot);
        if (err_is_fail(err)) {
            return err;
        }
    }
    err = caps_copy(slot, ep, CAP_RIGHTS_ALL, 0);   /* keeps the badge */
    if (err_is_ok(err)) {
        slot->owner = CTE_OWNER_DCB_FIRST + DCB_CTE_EXIT_EP;
    }
    return err;
}

static errval_t dispatcher_stop(struct dcb *dcb)
{
    if (dcb->state == DCB_WAITING) {
        sched_wake(dcb);     /* leaves SYS_WAIT state consistent, then stop */
    }
    lmp_sendq_cancel(dcb);   /* the same for a queued send (BUF_FULL) */
    if (dcb->state != DCB_RUNNABLE) {
        return SYS_ERR_DISP_NOT_RUNNABLE;
    }
    sched_remove(dcb);
    sched_forget_current(dcb);
    return SYS_ERR_OK;
}

/* KERNELCMD_DOORBELL: the doorbell of the dispatcher `disp` names (WRITE). */
errval_t dispatcher_doorbell(struct cte *disp, uint32_t *id)
{
    if (!(disp->cap.rights & CAP_RIGHT_WRITE)) {
        return SYS_ERR_NO_RIGHTS;
    }
    return doorbell_create(dcb_of_cap(disp), id);
}

errval_t dispatcher_invoke(struct cte *root, struct cte *disp, uint32_t cmd,
                           const uint32_t args[5], struct arch_registers *regs)
{
    struct dcb *dcb = dcb_of_cap(disp);

    if (cmd == DISPCMD_GET_STATE) {          /* observing needs no rights */
        regs->r[1] = dcb->state;
        regs->r[2] = dcb->domain_id;
        return SYS_ERR_OK;
    }
    if (!(disp->cap.rights & CAP_RIGHT_WRITE)) {
        return SYS_ERR_NO_RIGHTS;
    }
    switch (cmd) {
    case DISPCMD_SETUP:
        return dispatcher_setup(root, dcb, args);
    case DISPCMD_START:
        return dispatcher_start(dcb);
    case DISPCMD_STOP:
        return dispatcher_stop(dcb);
    case DISPCMD_SET_EXIT_EP:
        return dispatcher_set_exit_ep(root, disp, dcb, args[0]);
    default:
        return SYS_ERR_ILLEGAL_INVOCATION;
    }
}

/* Copy the domain's self-chosen name for a report: printable, bounded. */
static void dispatcher_name(struct dcb *dcb, char out[DISP_NAME_LEN])
{
    const char *name = dcb_shared(dcb)->name;
    int i;

    for (i = 0; i < DISP_NAME_LEN - 1 && name[i] != '\0'; i++) {
        out[i] = (name[i] >= 0x20 && name[i] < 0x7f) ? name[i] : '?';
    }
    out[i] = '\0';
}

/*
 * Stop `dcb` for good and print one line naming it. Its capabilities stay
 * where they are: whoever created it (init's process manager) revokes them.
 */
void dispatcher_kill(struct dcb *dcb, const char *why, uint32_t pc,
                     uint32_t addr)
{
    char name[DISP_NAME_LEN];

    dispatcher_name(dcb, name);
    printk("autarky: killed domain '%s' (id %u, thread %u): %s at pc 0x%08x addr 0x%08x\n",
           name, (unsigned)dcb->domain_id, (unsigned)dcb_shared(dcb)->current_thread,
           why, (unsigned)pc, (unsigned)addr);
    lmp_sendq_detach(dcb);
    sched_remove(dcb);
    dcb->state = DCB_KILLED;
    sched_forget_current(dcb);
    if (core_is_root(dcb)) {
        core_root_died();               /* the other cores must know */
    }
    if (dcb->ctes[DCB_CTE_EXIT_EP].cap.type == ObjType_Endpoint) {
        const uint32_t words[3] = { LMP_KERNEL_MSG_KILLED, dcb->domain_id, pc };
        if (err_no(lmp_deliver_kernel(&dcb->ctes[DCB_CTE_EXIT_EP], words, 3))
            == SYS_ERR_LMP_BUF_FULL) {
            kill_notice_defer(dcb, pc);     /* never lost: sent again later */
        }
    }
}

/* Notices tried per call: bounded work whatever the list's length (rule 9). */
#define KILL_NOTICE_TRIES 4

void dispatcher_retry_kill_notices(void)
{
    for (int i = 0; i < KILL_NOTICE_TRIES; i++) {
        struct dcb *dcb = kill_notice_first();
        if (dcb == NULL) {
            return;
        }
        const uint32_t words[3] = { LMP_KERNEL_MSG_KILLED, dcb->domain_id, dcb->notice_pc };
        uint32_t pc = dcb->notice_pc;
        kill_notice_drop(dcb);
        if (dcb->ctes[DCB_CTE_EXIT_EP].cap.type == ObjType_Endpoint
            && err_no(lmp_deliver_kernel(&dcb->ctes[DCB_CTE_EXIT_EP], words, 3))
               == SYS_ERR_LMP_BUF_FULL) {
            kill_notice_defer(dcb, pc);     /* still full: to the back of the line */
        }
    }
}
