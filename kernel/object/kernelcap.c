/*
 * The Kernel capability: operations only init may perform.
 */
#include <kernel/cap.h>
#include <kernel/arch.h>
#include <kernel/printk.h>
#include <autarky/invocations.h>

errval_t kernelcap_invoke(struct cte *kcap, uint32_t cmd, const uint32_t args[5],
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
    default:
        return SYS_ERR_ILLEGAL_INVOCATION;
    }
}
