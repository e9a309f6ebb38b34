/*
 * The dispatcher frame: the page shared between the kernel and a domain.
 *
 * Barrelfish's model: a domain is either *enabled* (running its own
 * threads; the kernel may preempt it and will later upcall it) or
 * *disabled* (inside its user-level scheduler or fault handler; the kernel
 * resumes it exactly where it stopped). The kernel reads `disabled` and
 * the critical-section range, and writes the save areas and fault info.
 *
 *   event                  | enabled                        | disabled
 *   -----------------------+--------------------------------+---------------------
 *   preemption / yield     | regs -> enabled_area,          | regs -> disabled_area,
 *                          | later: upcall entry_run        | later: resume them
 *   exception (fault)      | regs -> trap_area, upcall      | domain killed with a
 *                          | entry_fault(udisp, type, addr, | one-line report
 *                          | info), disabled = 1            |
 *
 * A pc in [crit_pc_low, crit_pc_high) counts as disabled (the user-level
 * resume sequence between clearing `disabled` and the final register load);
 * a domain preempted there is resumed at crit_pc_low, so the sequence runs
 * again from the start and clears `disabled` again (restartable).
 * Upcalls enter with disabled = 1, sp = upcall_sp, r0 = udisp.
 */
#ifndef AUTARKY_DISPATCHER_H
#define AUTARKY_DISPATCHER_H

#include <autarky/types.h>
#include <arch/registers.h>
#include <autarky/lmp.h>

#define DISP_NAME_LEN 32

/* A dispatcher's state, as DISPCMD_GET_STATE reports it. */
enum disp_state {
    DISP_STATE_EMPTY = 0,   /* created, not set up */
    DISP_STATE_STOPPED,     /* set up, not runnable (never started, or stopped) */
    DISP_STATE_RUNNABLE,    /* in the run queue */
    DISP_STATE_KILLED,      /* killed by the kernel: never runs again */
    DISP_STATE_WAITING,     /* blocked in SYS_WAIT until a message arrives */
    DISP_STATE_SENDING,     /* blocked in a queued send until the receiver has room */
};

enum fault_type {
    FAULT_NONE = 0,
    FAULT_DATA_ABORT,       /* addr = faulting data address */
    FAULT_PREFETCH_ABORT,   /* addr = faulting instruction address */
    FAULT_UNDEFINED,        /* addr = pc of the undefined instruction */
    FAULT_ALIGNMENT,        /* addr = misaligned data address */
};

/* Human-readable name of a fault type, for reports (never NULL). */
static inline const char *fault_type_name(uint32_t type)
{
    static const char *const names[] = {
        [FAULT_NONE] = "no fault",
        [FAULT_DATA_ABORT] = "data abort",
        [FAULT_PREFETCH_ABORT] = "prefetch abort",
        [FAULT_UNDEFINED] = "undefined instruction",
        [FAULT_ALIGNMENT] = "alignment fault",
    };
    return type < sizeof(names) / sizeof(names[0]) ? names[type] : "fault";
}

/* fault_info.access */
#define FAULT_ACCESS_READ   0u
#define FAULT_ACCESS_WRITE  1u
#define FAULT_ACCESS_EXEC   2u

struct fault_info {
    uint32_t type;      /* enum fault_type */
    uint32_t addr;
    uint32_t access;    /* FAULT_ACCESS_* */
    uint32_t fsr;       /* raw DFSR/IFSR (architecture-specific detail) */
    uint32_t pc;
};

struct dispatcher_shared {
    /* Written by the domain, read by the kernel. */
    volatile uint32_t disabled;
    uint32_t haswork;
    lvaddr_t udisp;            /* user address of this frame */
    lvaddr_t entry_run;        /* upcall: (re)start the domain's scheduler */
    lvaddr_t entry_fault;      /* upcall: an exception while enabled */
    lvaddr_t upcall_sp;        /* stack for both upcalls */
    lvaddr_t crit_pc_low;
    lvaddr_t crit_pc_high;
    uint32_t current_thread;   /* id of the running thread, for kill reports */
    char name[DISP_NAME_LEN];  /* domain name, for reports */

    /* Written by the kernel, read by the domain. */
    struct fault_info fault;
    uint32_t domain_id;
    lvaddr_t bootinfo;         /* init only: user address of struct bootinfo */
    uint32_t timeslices;       /* how often this domain was scheduled */
    uint32_t cores_down;       /* a core's first domain only: cores whose first
                                  domain died, a bit each, as of its last wake */

    struct arch_registers enabled_area;
    struct arch_registers disabled_area;
    struct arch_registers trap_area;

    /* Messages to this domain (include/autarky/lmp.h). */
    struct lmp_recv_area lmp;

    /* Written by the domain: page faults its handler resolved (read by the
     * process manager for ps/get_info). */
    uint32_t page_faults;

    /* Written by the kernel: how many dispatches (of any domain) its core
     * had, as of this domain's last dispatch, and how many doorbell
     * interrupts, as of its last dispatch or the last one taken while it
     * ran (whichever came later). A domain that compares them with its own
     * timeslices sees whether it had its core to itself
     * (MP_XCHAN_PINGPONG_BESIDE_WHOLE_CORE): another domain run on its
     * core shows as a dispatch; and how many interrupts its core took
     * between two dispatches of its own (MP_XCHAN_RING_STORM_ONE_INTERRUPT). */
    uint32_t core_dispatches;
    uint32_t core_doorbell_irqs;
};

#endif
