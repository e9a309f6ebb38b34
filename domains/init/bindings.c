/*
 * The bindings of this core's domains to its monitor (bindings.h).
 *
 * The monitor never allocates or receives capabilities in its loop
 * (domains/monitor/main.c), so init places everything it needs to answer
 * a domain before the domain can call it: when the domain first asks for
 * its binding (RPC_OP_MONITOR_BIND; most domains never talk to the monitor
 * and so cost the spawn path nothing), a copy of its endpoint (bound
 * to the domain's dispatcher) in the monitor's TASKCN slot
 * MONITOR_SLOT_CLIENT + i, and then the domain's pid at client_pid[i] of
 * the frame they share. The monitor answers a message badged `pid` on the
 * slot whose client_pid is `pid`, and on nothing else.
 *
 * A slot is used again only when the monitor cannot be answering its old
 * client: the pid is cleared first, then, if the monitor was inside an
 * answer (its `serving` word odd), init yields until that answer is done
 * (the word changed); the monitor never waits inside an answer, so this
 * ends. The endpoint copy itself goes with the domain's RAM
 * (spawn_cleanup revokes it), which leaves the slot empty for the next.
 */
#include "bindings.h"
#include "intercore.h"
#include "procs.h"
#include <aos/caps.h>
#include <aos/syscalls.h>
#include <autarky/bootinfo.h>

_Static_assert(PROC_MAX_LIVE <= MONITOR_CLIENTS, "a live process without a binding");

static domainid_t monitor_pid;      /* 0: no monitor yet */
static struct monitor_frame *frame;

void bindings_init(struct proc *mon, struct monitor_frame *f)
{
    monitor_pid = mon->pid;
    frame = f;
}

/* The monitor, if it runs (looked up: an ended one may be forgotten). */
static struct proc *monitor_running(void)
{
    struct proc *m = monitor_pid != 0 ? proc_find(monitor_pid) : NULL;

    return m != NULL && m->state == PROC_STATE_RUNNING ? m : NULL;
}

/* A free place in the monitor's table, or -1. */
static int free_place(void)
{
    for (uint32_t i = 0; i < MONITOR_CLIENTS; i++) {
        if (frame->client_pid[i] == 0) {
            return (int)i;
        }
    }
    return -1;
}

/* p's endpoint into a free slot of the monitor's, its doorbell beside
 * (the monitor rings it for p's channels), then the pid that names them:
 * from then on the monitor may answer p. */
static errval_t place(struct proc *p, struct proc *monitor)
{
    int i = free_place();
    uint32_t doorbell;
    errval_t err;

    if (i < 0) {
        return INIT_ERR_TOO_MANY_PROCS;
    }
    err = disp_doorbell(p->si.dispatcher, &doorbell);
    if (err_is_ok(err)) {
        err = cap_copy(monitor->si.taskcn, MONITOR_SLOT_CLIENT + (uint32_t)i, p->si.child_ep);
    }
    if (err_is_fail(err)) {
        return err;
    }
    frame->client_doorbell[i] = doorbell;
    __atomic_thread_fence(__ATOMIC_RELEASE);        /* endpoint, doorbell before the pid */
    frame->client_pid[i] = p->pid;
    p->mon_place = i;
    return SYS_ERR_OK;
}

/* The monitor's side first (so it can answer p's first call), then the
 * endpoint p calls it through. A second call finds p placed and fails
 * only on the mint (SYS_ERR_SLOT_IN_USE: p has its endpoint already). */
errval_t binding_give(struct proc *p)
{
    struct proc *monitor = monitor_running();
    errval_t err = SYS_ERR_OK;

    if (monitor == NULL || p == monitor) {
        return INIT_ERR_NO_MONITOR;
    }
    if (p->mon_place < 0) {
        err = place(p, monitor);
    }
    if (err_is_ok(err)) {
        err = cap_mint(p->si.taskcn, TASKCN_SLOT_MONITOREP, monitor->si.child_ep,
                       CAP_RIGHTS_GIVEN, p->pid);
    }
    return err;
}

void binding_take(struct proc *p)
{
    uint32_t seen;

    if (p->mon_place < 0 || frame == NULL) {
        return;
    }
    frame->client_pid[p->mon_place] = 0;
    __atomic_thread_fence(__ATOMIC_SEQ_CST);        /* cleared before we look */
    seen = frame->serving;
    while ((seen & 1) != 0 && frame->serving == seen && monitor_running() != NULL) {
        sys_yield();                /* it may be answering p: let it finish */
    }
    if (frame->called[p->mon_place]) {              /* it has calls pending there, */
        struct icm ended = { .op = ICM_CLIENT_ENDED, .src = frame->core,
                             .dst = frame->core, .nwords = 1, .w = { p->pid } };
        frame->called[p->mon_place] = 0;            /* or had: the monitor forgets them */
        intercore_to_monitor(&ended);   /* a full queue: they stay until answered */
    }
    p->mon_place = -1;
}
