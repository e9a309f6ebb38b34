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
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

unsigned char host_phys_arena[HOST_PHYS_SIZE] __attribute__((aligned(1 << 20)));

struct fake_counters fake;

void fake_reset(void)
{
    memset(&fake, 0, sizeof(fake));
}

void arch_pte_sync(void *pte, size_t bytes)
{
    (void)pte;
    fake.pte_syncs++;
    fake.pte_synced_bytes += bytes;
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

errval_t kernelcap_invoke(struct cte *kcap, uint32_t cmd, const uint32_t args[5],
                          struct arch_registers *regs)
{
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
