/*
 * The Kernel capability: operations only init may perform.
 */
#include <kernel/cap.h>
#include <kernel/arch.h>
#include <kernel/printk.h>
#include <kernel/preempt.h>
#include <kernel/core.h>
#include <kernel/ipi.h>
#include <kernel/loan.h>
#include <autarky/invocations.h>

/* Deliberately deep recursion, for KERNELCMD_DEBUG_STACK_OVERFLOW: each
 * level keeps 256 bytes live, so the guard page is hit after about 60 of
 * the `levels` asked for. */
static uint32_t __attribute__((noinline)) recurse_deep(uint32_t depth, uint32_t levels)
{
    volatile uint32_t frame[64];

    frame[depth % 64] = depth;
    if (depth >= levels) {
        return frame[depth % 64];
    }
    return recurse_deep(depth + 1, levels) + frame[(depth + 1) % 64];
}

errval_t kernelcap_invoke(struct cte *root, struct cte *kcap, uint32_t cmd, const uint32_t args[5],
                          struct arch_registers *regs)
{
    (void)kcap;
    switch (cmd) {
    case KERNELCMD_POWEROFF:
        /* The boot script reads this line to learn the verdict. */
        printk("autarky: power off, status %d\n", (int)args[0]);
        arch_poweroff();
    case KERNELCMD_DEBUG_CAPCOUNT:
        regs->r[1] = caps_count_live();
        return SYS_ERR_OK;
    case KERNELCMD_START_CORE: {
        struct cte *ram, *channel;
        errval_t err = caps_lookup_cap(root, args[1], ObjType_Null, &ram);
        if (err_is_ok(err)) {
            err = caps_lookup_cap(root, args[2], ObjType_Null, &channel);
        }
        return err_is_ok(err) ? core_start(args[0], ram, channel) : err;
    }
    case KERNELCMD_GIVE_RAM: {
        struct cte *ram;
        errval_t err = caps_lookup_cap(root, args[0], ObjType_Null, &ram);
        return err_is_ok(err) ? core_give_ram(ram, args[1], &regs->r[1]) : err;
    }
    case KERNELCMD_CLAIM_RAM: {
        struct cte *dest;
        errval_t err = caps_lookup_dest(root, args[1], ObjType_RAM, &dest);
        return err_is_ok(err) ? core_claim_ram(args[0], dest) : err;
    }
    case KERNELCMD_DEBUG_KILL_CORE_ROOT:
        return core_kill_root(args[0]);
    case KERNELCMD_LEND_FRAME: {
        struct cte *frame;
        errval_t err = caps_lookup_cap(root, args[0], ObjType_Frame, &frame);
        return err_is_ok(err) ? loan_lend(frame, args[1], &regs->r[1]) : err;
    }
    case KERNELCMD_CLAIM_LOAN: {
        struct cte *dest;
        errval_t err = caps_lookup_dest(root, args[1], ObjType_Frame, &dest);
        return err_is_ok(err) ? loan_claim(args[0], dest) : err;
    }
    case KERNELCMD_RETURN_LOAN: {
        struct cte *frame;
        errval_t err = caps_lookup_cap(root, args[1], ObjType_Frame, &frame);
        return err_is_ok(err) ? loan_return(args[0], frame) : err;
    }
    case KERNELCMD_RECLAIM_LOAN:
        return loan_reclaim(args[0]);
    case KERNELCMD_DOORBELL: {
        struct cte *disp;
        errval_t err = caps_lookup_cap(root, args[0], ObjType_Dispatcher, &disp);
        return err_is_ok(err) ? dispatcher_doorbell(disp, &regs->r[1]) : err;
    }
    case KERNELCMD_CREATE_IPI:
        return ipi_create(root, args[0], args[1], args[2]);
    case KERNELCMD_DEBUG_MASKED:
        preempt_worst(&regs->r[1], &regs->r[2]);
        if (args[0] == 1) {
            preempt_reset_worst();
        }
        return SYS_ERR_OK;
    case KERNELCMD_DEBUG_STACK_OVERFLOW:
        printk("autarky: overflowing the kernel stack on purpose\n");
        regs->r[1] = recurse_deep(0, args[0]);
        return SYS_ERR_OK;   /* never reached: the guard page stops it */
    default:
        return SYS_ERR_ILLEGAL_INVOCATION;
    }
}
