/*
 * Counters and records of the fakes in fake_kernel.c.
 */
#ifndef HOST_FAKE_KERNEL_H
#define HOST_FAKE_KERNEL_H

#include <kernel/cap.h>

#define FAKE_MAX_RECORDED        16
#define FAKE_DISPATCHER_RESULT   SYS_ERR_DISP_NOT_SETUP  /* recognisable */
#define FAKE_KERNELCAP_R1        0x4b45524eu

struct fake_counters {
    unsigned pte_syncs;
    size_t pte_synced_bytes;
    unsigned tlb_flush_all, tlb_flush_page;
    lvaddr_t tlb_last_page;
    unsigned vspace_destroyed;   /* arch_user_vspace_destroyed calls */
    size_t cache_cleaned_bytes;  /* arch_cache_clean_range */
    lpaddr_t vspace_destroyed_pa;
    unsigned dcbs_destroyed;     /* dispatcher_destroying calls */
    unsigned preempt_every;      /* preempt_due() is true every N calls (0: never) */
    unsigned preempt_calls;
    unsigned slot_deleted_calls;
    struct cte *slot_deleted[FAKE_MAX_RECORDED];
    unsigned disp_invokes, kernel_invokes;
    struct cte *last_invoked;
    uint32_t last_cmd;
    uint32_t last_args[5];
    /* the scheduler and LMP delivery as kernel/lmp_sendq.c sees them */
    unsigned unblocked;                          /* sched_unblock calls */
    struct dcb *unblocked_dcb[FAKE_MAX_RECORDED];
    errval_t unblocked_err[FAKE_MAX_RECORDED];
    unsigned delivered;                          /* lmp_deliver calls */
    uint32_t delivered_word0[FAKE_MAX_RECORDED];
    errval_t deliver_result;                     /* what lmp_deliver answers */
    uint32_t ring_used;                          /* what lmp_ring_used answers */
    bool ring_fills;                             /* each delivery takes a slot */
    /* cores, as kernel/doorbell.c and kernel/object/ipi.c see them */
    uint32_t core, ncores;                       /* core_id(), core_count() (4) */
    unsigned ipis_sent;                          /* arch_send_ipi calls */
    uint32_t ipi_last_core;
    struct dcb *root;                            /* core_is_root() says yes to it */
    uint32_t root_doorbell;                      /* core_root_doorbell's argument */
    unsigned kill_requests_taken;                /* core_take_kill_request calls */
};

extern struct fake_counters fake;
/* sched_run_next() jumps here (a blocking call never returns). */
#include <setjmp.h>
extern jmp_buf fake_run_next_jmp;
void fake_reset(void);

#endif
