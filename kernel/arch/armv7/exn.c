/*
 * C side of exception entry (vectors.S): decode the cause and hand the
 * saved user state to the portable trap handlers, or report a kernel bug.
 *
 * All user state of the trapping domain is in arch_trap_regs when these
 * functions run; they run on an empty kernel stack with IRQs masked.
 */
#include <kernel/arch.h>
#include <kernel/printk.h>
#include <arch/cp15.h>
#include <arch/armv7_asm.h>
#include <arch/exn.h>

/* The single save area written by every exception entry. */
struct arch_registers arch_trap_regs;

_Static_assert(__builtin_offsetof(struct arch_registers, sp) == REG_OFFSET_SP, "sp");
_Static_assert(__builtin_offsetof(struct arch_registers, lr) == REG_OFFSET_LR, "lr");
_Static_assert(__builtin_offsetof(struct arch_registers, pc) == REG_OFFSET_PC, "pc");
_Static_assert(__builtin_offsetof(struct arch_registers, cpsr) == REG_OFFSET_CPSR, "cpsr");
_Static_assert(sizeof(struct arch_registers) == ARCH_NUM_REGS * 4, "size");
_Static_assert(ARM_CPSR_USER_MASK == 0xfe0ffc20u, "vectors.S hard-codes the mask");

/* DFSR/IFSR fault status: FS[4] is bit 10, FS[3:0] bits 3:0. */
#define FSR_FS(fsr)       ((((fsr) >> 6) & 0x10u) | ((fsr) & 0xfu))
#define FSR_WNR           (1u << 11)
#define FS_ALIGNMENT      0x01u

/* Decode a data abort from user mode (DFSR, DFAR) and report it. */
static void __attribute__((noreturn)) user_data_abort(struct arch_registers *regs)
{
    uint32_t dfsr = cp15_read_dfsr();
    uint32_t dfar = cp15_read_dfar();
    enum fault_type type = FSR_FS(dfsr) == FS_ALIGNMENT ? FAULT_ALIGNMENT
                                                        : FAULT_DATA_ABORT;
    uint32_t access = (dfsr & FSR_WNR) ? FAULT_ACCESS_WRITE : FAULT_ACCESS_READ;
    trap_user_fault(regs, type, dfar, access, dfsr);
}

/* Entry from user mode; `kind` is one of EXC_*. Never returns. */
void arch_user_exception(uint32_t kind)
{
    struct arch_registers *regs = &arch_trap_regs;

    switch (kind) {
    case EXC_SVC:
        trap_syscall(regs);
    case EXC_IRQ:
        trap_irq(regs);
    case EXC_DABT:
        user_data_abort(regs);
    case EXC_PABT:
        trap_user_fault(regs, FAULT_PREFETCH_ABORT, cp15_read_ifar(),
                        FAULT_ACCESS_EXEC, cp15_read_ifsr());
    case EXC_UNDEF:
        trap_user_fault(regs, FAULT_UNDEFINED, regs->pc, FAULT_ACCESS_EXEC, 0);
    default:
        arch_kernel_exception(kind, 0, 0);
    }
}

static const char *exception_name(uint32_t kind)
{
    switch (kind) {
    case EXC_UNDEF: return "undefined instruction";
    case EXC_SVC:   return "svc";
    case EXC_PABT:  return "prefetch abort";
    case EXC_DABT:  return "data abort";
    case EXC_IRQ:   return "irq";
    case EXC_FIQ:   return "fiq";
    case EXC_RESET: return "reset vector";
    default:        return "unknown exception";
    }
}

/*
 * An exception the kernel cannot handle: taken in a privileged mode (a
 * kernel bug), or an FIQ. Print every register, the fault address and
 * status, and power off. sp_svc/lr_svc are SVC-mode sp and lr at entry.
 */
void arch_kernel_exception(uint32_t kind, uint32_t sp_svc, uint32_t lr_svc)
{
    const struct arch_registers *r = &arch_trap_regs;

    uint32_t dfar = cp15_read_dfar();

    /* uint32_t is unsigned long on arm-none-eabi: print with %lx. */
    if (kind == EXC_DABT && dfar >= KERNEL_STACK_GUARD && dfar < KERNEL_STACK_VBOTTOM) {
        printk("\nkernel panic: kernel stack overflow at pc 0x%08lx (sp 0x%08lx, guard page 0x%08lx)\n",
               r->pc, sp_svc, (uint32_t)KERNEL_STACK_GUARD);
    } else {
        printk("\nkernel panic: %s at pc 0x%08lx\n", exception_name(kind), r->pc);
    }
    printk("  cpsr 0x%08lx (mode 0x%02lx)  svc sp 0x%08lx lr 0x%08lx\n",
           r->cpsr, r->cpsr & ARM_MODE_MASK, sp_svc, lr_svc);
    printk("  dfsr 0x%08lx dfar 0x%08lx  ifsr 0x%08lx ifar 0x%08lx\n",
           cp15_read_dfsr(), dfar, cp15_read_ifsr(), cp15_read_ifar());
    for (int i = 0; i < 13; i += 4) {
        for (int j = i; j < i + 4 && j < 13; j++) {
            printk("  r%-2d 0x%08lx", j, r->r[j]);
        }
        printk("\n");
    }
    printk("  usr sp 0x%08lx usr lr 0x%08lx\n", r->sp, r->lr);
    arch_poweroff();
}
