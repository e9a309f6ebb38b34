/*
 * What the capability layer needs from the rest of the kernel, faked for
 * the host: the physical arena behind <arch/memory.h>, the architecture's
 * page-table and TLB hooks (counted, so tests can assert on them), the
 * dispatcher and kernel-cap hooks (recorded), printk and panic.
 */
#include "fake_kernel.h"
#include <kernel/arch.h>
#include <kernel/printk.h>
#include <arch/memory.h>
#include <kernel/dispatcher.h>
#include <kernel/sched.h>
#include <kernel/core.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

unsigned char host_phys_arena[HOST_PHYS_SIZE] __attribute__((aligned(1 << 20)));

struct fake_counters fake;

static struct kernel_shared fake_shared;

void fake_reset(void)
{
    memset(&fake, 0, sizeof(fake));
    memset(&fake_shared, 0, sizeof(fake_shared));
    fake.ncores = 4;
}

/* ---- cores (kernel/core.c, the GIC's doorbell interrupt) ---- */

uint32_t core_id(void)
{
    return fake.core;
}

uint32_t core_count(void)
{
    return fake.ncores;
}

struct kernel_shared *kernel_shared(void)
{
    return &fake_shared;
}

bool core_is_root(const struct dcb *dcb)
{
    return dcb != NULL && dcb == fake.root;
}

void core_root_doorbell(uint32_t doorbell)
{
    fake.root_doorbell = doorbell;
    fake_shared.root_doorbell[fake.core] = doorbell;    /* as kernel/core.c does */
}

void core_take_kill_request(void)
{
    fake.kill_requests_taken++;
}

void arch_send_ipi(uint32_t core)
{
    fake.ipis_sent++;
    fake.ipi_last_core = core;
}

void arch_pte_sync(void *pte, size_t bytes)
{
    (void)pte;
    fake.pte_syncs++;
    fake.pte_synced_bytes += bytes;
}

void arch_cache_clean_range(void *kva, size_t bytes)
{
    (void)kva;
    fake.cache_cleaned_bytes += bytes;
}

void arch_tlb_flush_all(void)
{
    fake.tlb_flush_all++;
}

void arch_user_vspace_destroyed(lpaddr_t l1_pa)
{
    fake.vspace_destroyed++;
    fake.vspace_destroyed_pa = l1_pa;
}

void arch_tlb_flush_page(lvaddr_t va)
{
    fake.tlb_flush_page++;
    fake.tlb_last_page = va;
}

/* ---- the work budget (kernel/preempt.c): due every `preempt_every`
 * calls when that is set, so tests can pause an operation anywhere ---- */

bool preempt_due(void)
{
    fake.preempt_calls++;
    return fake.preempt_every != 0 && fake.preempt_calls % fake.preempt_every == 0;
}

/* ---- the scheduler and delivery, for kernel/lmp_sendq.c ---- */

jmp_buf fake_run_next_jmp;

void sched_save_current(const struct arch_registers *regs)
{
    (void)regs;
}

void sched_block(struct dcb *dcb, enum dcb_state why)
{
    dcb->state = why;
}

void sched_run_next(void)
{
    longjmp(fake_run_next_jmp, 1);
}

void sched_wake(struct dcb *dcb)
{
    if (dcb->state == DCB_WAITING) {
        sched_unblock(dcb, SYS_ERR_OK);
    }
}

void sched_unblock(struct dcb *dcb, errval_t result)
{
    if (fake.unblocked < FAKE_MAX_RECORDED) {
        fake.unblocked_dcb[fake.unblocked] = dcb;
        fake.unblocked_err[fake.unblocked] = result;
    }
    fake.unblocked++;
    dcb->state = DCB_RUNNABLE;
}

errval_t lmp_deliver(struct cte *root, const struct lmp_send_args *a, bool queued,
                     struct dcb **receiver)
{
    (void)root;
    (void)queued;
    *receiver = NULL;
    if (fake.delivered < FAKE_MAX_RECORDED) {
        fake.delivered_word0[fake.delivered] = a->words[0];
    }
    fake.delivered++;
    if (fake.ring_fills) {
        fake.ring_used++;
    }
    return fake.deliver_result;
}

uint32_t lmp_ring_used(struct dcb *dcb)
{
    (void)dcb;
    return fake.ring_used;
}

void dispatcher_destroying(struct dcb *dcb)
{
    fake.dcbs_destroyed++;
    (void)dcb;
}

void dispatcher_slot_deleted(struct cte *cte)
{
    if (fake.slot_deleted_calls < FAKE_MAX_RECORDED) {
        fake.slot_deleted[fake.slot_deleted_calls] = cte;
    }
    fake.slot_deleted_calls++;
}

errval_t dispatcher_invoke(struct cte *root, struct cte *disp, uint32_t cmd,
                           const uint32_t args[5], struct arch_registers *regs)
{
    (void)root;
    (void)regs;
    fake.disp_invokes++;
    fake.last_invoked = disp;
    fake.last_cmd = cmd;
    memcpy(fake.last_args, args, sizeof(fake.last_args));
    return FAKE_DISPATCHER_RESULT;
}

errval_t kernelcap_invoke(struct cte *root, struct cte *kcap, uint32_t cmd, const uint32_t args[5],
                          struct arch_registers *regs)
{
    (void)root;
    fake.kernel_invokes++;
    fake.last_invoked = kcap;
    fake.last_cmd = cmd;
    memcpy(fake.last_args, args, sizeof(fake.last_args));
    regs->r[1] = FAKE_KERNELCAP_R1;
    return SYS_ERR_OK;
}

void printk(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
}

void panic(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "kernel panic: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
    abort();
}
