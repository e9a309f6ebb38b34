/*
 * Dispatcher control blocks (DCBs): the kernel half of a domain.
 * A DCB object is OBJSIZE_DISPATCHER bytes of RAM retyped to Dispatcher;
 * its first DCB_NUM_CTES bytes*64 are slots (owner CTE_OWNER_DCB_FIRST + i)
 * holding copies of the domain's cspace root, vspace root and dispatcher
 * frame, so the domain stays consistent however its own slots change, and
 * optionally an endpoint the kernel notifies when it kills the domain.
 * The shared half is struct dispatcher_shared in the dispatcher frame.
 */
#ifndef KERNEL_DISPATCHER_H
#define KERNEL_DISPATCHER_H

#include <kernel/cap.h>
#include <kernel/lmp.h>
#include <arch/memory.h>
#include <autarky/dispatcher.h>

#define DCB_CTE_CSPACE    0
#define DCB_CTE_VSPACE    1
#define DCB_CTE_DISPFRAME 2
#define DCB_NUM_SETUP_CTES 3   /* the three above: the domain cannot run without them */
#define DCB_CTE_EXIT_EP   3    /* optional: told when the domain is killed */
#define DCB_NUM_CTES      4

/* The ABI's enum disp_state (include/autarky/dispatcher.h), kernel names. */
enum dcb_state {
    DCB_EMPTY = DISP_STATE_EMPTY,       /* created, not set up */
    DCB_STOPPED = DISP_STATE_STOPPED,   /* set up, not runnable */
    DCB_RUNNABLE = DISP_STATE_RUNNABLE, /* in the run queue */
    DCB_KILLED = DISP_STATE_KILLED,     /* faulted while disabled or lost a cap */
    DCB_WAITING = DISP_STATE_WAITING,   /* blocked in SYS_WAIT until a message arrives */
    DCB_SENDING = DISP_STATE_SENDING,   /* blocked in a queued send (kernel/lmp_sendq.c) */
};

struct dcb {
    struct cte ctes[DCB_NUM_CTES];   /* must stay first (see cap layer) */
    uint32_t state;                  /* enum dcb_state */
    uint32_t started;                /* 0 until the first upcall */
    lvaddr_t disp_uva;               /* user address of the dispatcher frame */
    uint32_t domain_id;
    struct dcb *rq_next, *rq_prev;   /* run queue (sched.c) */
    struct endpoint *ep_list;        /* endpoints bound to this DCB (endpoint.c) */
    uint32_t resume_enabled;         /* next dispatch returns from SYS_WAIT directly */
    uint32_t user_tls;               /* thread pointer (SYS_SET_TLS), loaded on dispatch */
    uint32_t user_rw_tls;            /* user-writable thread register, saved/loaded on switch */
    struct dcb *notice_next, *notice_prev;  /* on the list of undelivered KILLED notices */
    uint32_t notice_pending, notice_pc;
    /* Queued sends (kernel/lmp_sendq.c): as a receiver, the FIFO of senders
     * waiting for room in this DCB's ring; as a sender in DCB_SENDING, its
     * place in its receiver's FIFO and the message it waits to send. */
    struct dcb *sendq_head, *sendq_tail;
    uint32_t sendq_len;              /* at most LMP_LINE_MAX */
    struct dcb *sendq_next, *sendq_prev, *sendq_receiver;
    struct lmp_send_args send;
    uint32_t doorbell;               /* its doorbell on this core, 0 = none (doorbell.c) */
    volatile uint32_t *doorbell_word;/* the shared word holding its pending bit, so
                                        that SYS_WAIT looks at it with one load */
};

/* The shared half, through the kernel's direct map (on every hot path). */
static inline struct dispatcher_shared *dcb_shared(struct dcb *dcb)
{
    return pa_to_kva(dcb->ctes[DCB_CTE_DISPFRAME].cap.base);
}
/* The DCB whose user state is in the trap frame, or NULL (kernel/sched.c;
 * read on every system call, hence inline). */
extern struct dcb *sched_current;
static inline struct dcb *dcb_current(void)
{
    return sched_current;
}

/* Scheduler (sched.c) */
void sched_make_runnable(struct dcb *dcb);
void sched_remove(struct dcb *dcb);
void sched_run_next(void) __attribute__((noreturn));
/* Take the current DCB (state saved) off the CPU until sched_unblock():
 * `why` is DCB_WAITING (SYS_WAIT) or DCB_SENDING (a queued send). */
void sched_block(struct dcb *dcb, enum dcb_state why);
/* End a blocked DCB's system call with `result` and make it runnable. */
void sched_unblock(struct dcb *dcb, errval_t result);
/* A message arrived: make a DCB blocked in SYS_WAIT runnable again. */
void sched_wake(struct dcb *dcb);
/* Run `dcb` now (directed yield); the caller saved the current state. */
void sched_switch_to(struct dcb *dcb) __attribute__((noreturn));

/* KILLED notices that found the receiver's ring full (endpoint.c keeps
 * the list, so that destroying a DCB takes it off): deliver them again,
 * a few at a time in arrival order, whenever a domain waits or yields,
 * until they fit. */
void kill_notice_defer(struct dcb *dcb, uint32_t pc);
void kill_notice_drop(struct dcb *dcb);
struct dcb *kill_notice_first(void);
void dispatcher_retry_kill_notices(void);

/* Kill a domain with a one-line report (why, pc, addr). */
void dispatcher_kill(struct dcb *dcb, const char *why, uint32_t pc, uint32_t addr);

#endif
