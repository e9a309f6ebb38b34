/*
 * Commands for SYS_INVOKE (see syscall.h for registers).
 *
 * a1..a5 below are r3..r7. Results come back in r1..r3.
 * Commands below CAPCMD_TYPE_BASE work on a capability of any type;
 * the others are defined per type and fail with SYS_ERR_ILLEGAL_INVOCATION
 * on any other type.
 */
#ifndef AUTARKY_INVOCATIONS_H
#define AUTARKY_INVOCATIONS_H

enum cap_cmd {
    /* any type */
    CAPCMD_IDENTIFY = 1, /* -> r1 = type | rights << 8, r2 = base, r3 = size */
    CAPCMD_COPY,         /* a1 = dest CNode cptr, a2 = dest slot; needs GRANT */
    CAPCMD_MINT,         /* a1 = dest CNode cptr, a2 = dest slot, a3 = rights mask
                            (result = source rights & mask), a4 = badge (Endpoint) */
    CAPCMD_DELETE,       /* empty the slot; destroys the object with its last copy */
    CAPCMD_REVOKE,       /* delete every other copy and every descendant */
    CAPCMD_TYPE_BASE = 16,

    /* RAM */
    RAMCMD_RETYPE = CAPCMD_TYPE_BASE,
        /* a1 = objtype | count << 16, a2 = offset (bytes from RAM base),
           a3 = object size (bytes; must be the type's fixed size where it
           has one), a4 = dest CNode cptr (L1 or L2 CNode cap), a5 = first
           dest slot. Creates count objects in consecutive slots. */

    /* VNode L1 / L2 */
    VNODECMD_MAP = CAPCMD_TYPE_BASE,
        /* a1 = cptr of the cap to map (Frame/DevFrame into L2,
           VNode L2 into L1), a2 = first entry index, a3 = flags
           (VREGION_FLAGS_*), a4 = offset into the frame in pages,
           a5 = number of entries (pages). */
    VNODECMD_UNMAP,
        /* a1 = cptr of the mapped cap: removes its mapping from this table */
    VNODECMD_MODIFY,
        /* a1 = cptr of the mapped frame cap, a2 = new flags:
           changes the rights of all its entries in this table */

    /* Dispatcher */
    DISPCMD_SETUP = CAPCMD_TYPE_BASE,
        /* a1 = cspace root (L1 CNode cptr), a2 = vspace (VNode L1 cptr),
           a3 = dispatcher frame cptr, a4 = user address where that frame is
           mapped in the new vspace. Copies the three caps into the DCB. */
    DISPCMD_START,       /* make runnable: first upcall to entry_run, disabled */
    DISPCMD_STOP,        /* make unrunnable (it stays set up) */
    DISPCMD_SET_EXIT_EP, /* a1 = Endpoint cptr (needs WRITE and GRANT) or 0: when
                            the kernel kills the domain it sends
                            { LMP_KERNEL_MSG_KILLED, domain id, pc } through a
                            copy kept in the DCB (include/autarky/lmp.h). Once
                            installed, it is replaced or removed only through a
                            Dispatcher cap with REVOKE (the creator's): a domain
                            cannot silence the notice of its own end. */
    DISPCMD_GET_STATE,   /* -> r1 = DISP_STATE_* (include/autarky/dispatcher.h),
                            r2 = domain id; needs no rights */

    /* IPI */
    IPICMD_NOTIFY = CAPCMD_TYPE_BASE,
        /* ring the doorbell the cap names (needs WRITE) */

    /* Endpoint */
    EPCMD_BIND = CAPCMD_TYPE_BASE,
        /* a1 = Dispatcher cptr: messages sent through this endpoint (and
           every copy of it) go to that dispatcher's ring. Once per endpoint;
           needs WRITE on both caps. */

    /* Kernel */
    KERNELCMD_POWEROFF = CAPCMD_TYPE_BASE,
        /* a1 = exit status printed by the kernel; PSCI SYSTEM_OFF */
    KERNELCMD_DEBUG_CAPCOUNT,
        /* -> r1 = number of live capability slots in the whole system */
    KERNELCMD_START_CORE,
        /* core 0 only. a1 = core id, a2 = RAM cap (REVOKE, no other copy,
           nothing retyped from it, 1 MiB aligned, >= 4 MiB): given away for
           good, the memory becomes the core's (its first MiB its CPU
           driver, the rest its init's RAM); a3 = a Frame (GRANT) its init
           shares with ours for good: a revoke that reaches the kernel's
           copy stops (docs/multikernel.md) */
    KERNELCMD_CREATE_IPI,
        /* a1 = destination slot cptr, a2 = core, a3 = doorbell (1..1023):
           a new IPI cap ringing that doorbell of that core */
    KERNELCMD_DOORBELL,
        /* a1 = Dispatcher cptr (on this core) -> r1 = its doorbell (made on
           first use, 1..1023): an IPI cap naming it wakes the dispatcher
           from SYS_WAIT. Doorbells are a fixed table per core, not backed
           by RAM, so only the Kernel cap's holder (init) hands them out,
           one per domain it runs (docs/safety.md rule 11) */
    KERNELCMD_GIVE_RAM,
        /* a1 = RAM cap (REVOKE, no other copy, nothing retyped from it),
           a2 = core: the RAM leaves this core for good and waits for that
           core's claim -> r1 = the gift's number (docs/multikernel.md) */
    KERNELCMD_CLAIM_RAM,
        /* a1 = gift number, a2 = destination slot cptr: the RAM given to
           this core becomes a RAM cap there (once) */
    KERNELCMD_DEBUG_KILL_CORE_ROOT,
        /* a1 = another core: its kernel kills its first domain (init), as a
           fault would; every core's first domain then sees it in
           cores_down (the `mp-dead` suite's test of a dead core) */
    KERNELCMD_DEBUG_MASKED,
        /* -> r1 = the longest stretch the kernel ran with interrupts masked
           since the last reset (counter ticks), r2 = what it was doing
           (kernel/include/kernel/preempt.h); a1 = 1: reset afterwards.
           The goal for any stretch: KERNEL_MASKED_GOAL_TICKS. */
    KERNELCMD_LEND_FRAME,
        /* a1 = Frame cap (READ, WRITE, GRANT, at most 1 MiB), a2 = core:
           the kernel pins a copy until the loan ends -> r1 = the loan's
           number (docs/multikernel.md "Channels between domains") */
    KERNELCMD_CLAIM_LOAN,
        /* a1 = loan number, a2 = destination slot cptr: the frame lent to
           this core becomes a Frame cap there (once) */
    KERNELCMD_RETURN_LOAN,
        /* a1 = loan number, a2 = the claimed Frame cap, this core's last
           capability to it (no copy, descendant or mapping): deleted, and
           the loan is returned (rule 12 of docs/safety.md) */
    KERNELCMD_RECLAIM_LOAN,
        /* a1 = loan number of this core, returned or never claimed: the
           kernel drops its pin, the lender may free the RAM */
    KERNELCMD_LAST_NORMAL = KERNELCMD_RECLAIM_LOAN,
    KERNELCMD_DEBUG_STACK_OVERFLOW = CAPCMD_TYPE_BASE + 0x100,
        /* a1 = levels: recurse in the kernel that deep (256 bytes a level:
           far past the stack for 1 << 20) until it hits its guard page: the
           kernel panics with "kernel stack overflow" (the guard's test;
           numbered apart so no "next command" probe can hit it) */
};

/* No kernel entry may keep interrupts masked longer than this: 100 us of
 * virtual time, 100,000 instructions under -icount shift=0 (rule 9 of
 * docs/safety.md; the `bounds` suite checks it). */
#define KERNEL_MASKED_GOAL_TICKS  6250u

/* Pack/unpack RAMCMD_RETYPE's a1. */
#define RETYPE_ARG_TYPE_COUNT(type, count) ((uint32_t)(type) | ((uint32_t)(count) << 16))
#define RETYPE_ARG_TYPE(a)   ((a) & 0xffffu)
#define RETYPE_ARG_COUNT(a)  ((a) >> 16)

/* Pack/unpack CAPCMD_IDENTIFY's r1. */
#define IDENTIFY_TYPE(r1)    ((r1) & 0xffu)
#define IDENTIFY_RIGHTS(r1)  (((r1) >> 8) & 0xffu)

#endif
