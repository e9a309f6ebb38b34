/*
 * The Endpoint object: binding to a receiving dispatcher and unbinding
 * when either side is destroyed. Sending is in kernel/lmp.c.
 *
 * Invariant: ep->dcb != NULL  <=>  ep is on ep->dcb->ep_list.
 * Both objects live in memory that stays mapped in the kernel window, and
 * each unlinks itself from the other when its last capability goes, so
 * neither ever points at memory that was retyped into something else.
 */
#include <kernel/endpoint.h>
#include <kernel/dispatcher.h>
#include <autarky/invocations.h>
#include <arch/memory.h>

struct endpoint *endpoint_of_cap(const struct capability *cap)
{
    return pa_to_kva(cap->base);
}

static void endpoint_link(struct endpoint *ep, struct dcb *dcb)
{
    ep->dcb = dcb;
    ep->prev = NULL;
    ep->next = dcb->ep_list;
    if (dcb->ep_list != NULL) {
        dcb->ep_list->prev = ep;
    }
    dcb->ep_list = ep;
}

static void endpoint_unlink(struct endpoint *ep)
{
    if (ep->dcb == NULL) {
        return;
    }
    if (ep->prev != NULL) {
        ep->prev->next = ep->next;
    } else {
        ep->dcb->ep_list = ep->next;
    }
    if (ep->next != NULL) {
        ep->next->prev = ep->prev;
    }
    ep->dcb = NULL;
    ep->next = ep->prev = NULL;
}

/* EPCMD_BIND: a1 = Dispatcher cptr in the caller's cspace. */
static errval_t endpoint_bind(struct cte *root, struct cte *ep_cte, capaddr_t disp)
{
    struct endpoint *ep = endpoint_of_cap(&ep_cte->cap);
    struct cte *disp_cte;
    errval_t err;

    err = caps_lookup_cap(root, disp, ObjType_Dispatcher, &disp_cte);
    if (err_is_fail(err)) {
        return err;
    }
    if (!(disp_cte->cap.rights & CAP_RIGHT_WRITE)) {
        return SYS_ERR_NO_RIGHTS;
    }
    if (ep->dcb != NULL) {
        return SYS_ERR_EP_ALREADY_BOUND;
    }
    endpoint_link(ep, pa_to_kva(disp_cte->cap.base));
    return SYS_ERR_OK;
}

errval_t endpoint_invoke(struct cte *root, struct cte *ep, uint32_t cmd,
                         const uint32_t args[5])
{
    if (!(ep->cap.rights & CAP_RIGHT_WRITE)) {
        return SYS_ERR_NO_RIGHTS;
    }
    switch (cmd) {
    case EPCMD_BIND:
        return endpoint_bind(root, ep, args[0]);
    default:
        return SYS_ERR_ILLEGAL_INVOCATION;
    }
}

void endpoint_destroyed(lpaddr_t base)
{
    endpoint_unlink(pa_to_kva(base));
}

/* ---- undelivered KILLED notices (see kernel/include/kernel/dispatcher.h) ----
 * A FIFO of killed DCBs, doubly linked so a DCB leaves it in O(1) however
 * many a domain got killed at once. */

static struct dcb *notices, *notices_tail;

void kill_notice_defer(struct dcb *dcb, uint32_t pc)
{
    if (!dcb->notice_pending) {
        dcb->notice_pending = 1;
        dcb->notice_pc = pc;
        dcb->notice_next = NULL;
        dcb->notice_prev = notices_tail;
        if (notices_tail != NULL) {
            notices_tail->notice_next = dcb;
        } else {
            notices = dcb;
        }
        notices_tail = dcb;
    }
}

void kill_notice_drop(struct dcb *dcb)
{
    if (!dcb->notice_pending) {
        return;
    }
    if (dcb->notice_prev != NULL) {
        dcb->notice_prev->notice_next = dcb->notice_next;
    } else {
        notices = dcb->notice_next;
    }
    if (dcb->notice_next != NULL) {
        dcb->notice_next->notice_prev = dcb->notice_prev;
    } else {
        notices_tail = dcb->notice_prev;
    }
    dcb->notice_pending = 0;
    dcb->notice_next = dcb->notice_prev = NULL;
}

struct dcb *kill_notice_first(void)
{
    return notices;
}

bool dispatcher_unbind_one_endpoint(struct dcb *dcb)
{
    if (dcb->ep_list == NULL) {
        return false;
    }
    endpoint_unlink(dcb->ep_list);
    return true;
}
