/*
 * GICv2 interrupt controller (QEMU virt: distributor 0x08000000, CPU
 * interface 0x08010000) and the interrupt entry points of <kernel/arch.h>.
 *
 * Two interrupts are used: the virtual generic timer, PPI 27, one per
 * core, and SGI 1, the doorbell interrupt one core sends another
 * (kernel/doorbell.c). All shared interrupts stay disabled until drivers
 * exist.
 */
#include <kernel/arch.h>
#include <kernel/printk.h>
#include <arch/memory.h>
#include <arch/cp15.h>
#include <arch/gic.h>
#include <kernel/doorbell.h>
#include <kernel/sched.h>

#define GIC_SGI_DOORBELL 1u

/* Distributor registers */
#define GICD_CTLR        0x000u
#define GICD_TYPER       0x004u
#define GICD_ISENABLER   0x100u
#define GICD_ICENABLER   0x180u
#define GICD_ICPENDR     0x280u
#define GICD_IPRIORITYR  0x400u
#define GICD_SGIR        0xf00u
/* CPU interface registers */
#define GICC_CTLR        0x00u
#define GICC_PMR         0x04u
#define GICC_BPR         0x08u
#define GICC_IAR         0x0cu
#define GICC_EOIR        0x10u

#define GIC_SPURIOUS     1023u
#define GIC_IRQ_PRIORITY 0x80u   /* any value below the PMR passes */
#define GIC_PMR_ALL      0xf0u

static inline volatile uint32_t *gicd(uint32_t offset)
{
    return (volatile uint32_t *)(uintptr_t)(GICD_VBASE + offset);
}

static inline volatile uint32_t *gicc(uint32_t offset)
{
    return (volatile uint32_t *)(uintptr_t)(GICC_VBASE + offset);
}

/* Enable interrupt `irq` in the distributor at the kernel's priority. */
static void gic_enable_irq(uint32_t irq)
{
    volatile uint8_t *prio = (volatile uint8_t *)(uintptr_t)(GICD_VBASE + GICD_IPRIORITYR);
    prio[irq] = GIC_IRQ_PRIORITY;
    *gicd(GICD_ISENABLER + 4 * (irq / 32)) = 1u << (irq % 32);
}

/*
 * Reset the distributor to "everything disabled and not pending", enable
 * the timer PPI, and open the CPU interface to all priorities.
 */
void gic_init(void)
{
    uint32_t lines = 32 * ((*gicd(GICD_TYPER) & 0x1fu) + 1);

    *gicd(GICD_CTLR) = 0;
    for (uint32_t i = 0; i < lines / 32; i++) {
        *gicd(GICD_ICENABLER + 4 * i) = 0xffffffffu;
        *gicd(GICD_ICPENDR + 4 * i) = 0xffffffffu;
    }
    *gicd(GICD_CTLR) = 1;
    gic_cpu_init();
}

/*
 * This core's side (every core, core 0 from gic_init): its banked
 * interrupts (the timer PPI is one per core), its CPU interface open to
 * all priorities.
 */
void gic_cpu_init(void)
{
    gic_enable_irq(GIC_IRQ_VTIMER);
    gic_enable_irq(GIC_SGI_DOORBELL);
    *gicc(GICC_PMR) = GIC_PMR_ALL;
    *gicc(GICC_BPR) = 0;
    *gicc(GICC_CTLR) = 1;
    dsb();
}

/*
 * Acknowledge and end every pending interrupt. The timer is silenced
 * (CNTV_CTL disabled) before its EOI, so its level-triggered line stays
 * low until timer_set_timeslice() arms it again. Returns true if the
 * timer was among them. Spurious acknowledges (1023) end the loop.
 */
bool arch_irq_handle(void)
{
    bool timer = false;

    for (int rounds = 0; rounds < 16; rounds++) {
        uint32_t iar = *gicc(GICC_IAR);
        uint32_t irq = iar & 0x3ffu;
        if (irq == GIC_SPURIOUS) {
            break;
        }
        if (irq == GIC_IRQ_VTIMER) {
            timer_disarm();
            timer = true;
        } else if (irq == GIC_SGI_DOORBELL) {
            *gicc(GICC_EOIR) = iar;     /* first: a ring after this interrupts again */
            doorbell_handle_pending();
            sched_doorbell_irq_taken();
            continue;
        } else {
            printk("autarky: unexpected interrupt %lu ignored\n", irq);
        }
        *gicc(GICC_EOIR) = iar;
    }
    return timer;
}

/*
 * The doorbell interrupt to core `core` (its GIC CPU interface number is
 * its core number on QEMU virt). The DSB makes every store before it (the
 * message rung about, the pending bit) visible before the interrupt.
 */
void arch_send_ipi(uint32_t core)
{
    dsb();
    *gicd(GICD_SGIR) = (1u << (16 + core)) | GIC_SGI_DOORBELL;
}

/* Sleep until an interrupt is pending. IRQs stay masked in the CPSR; WFI
 * still wakes up on a pending IRQ, and the caller then handles it. */
void arch_wait_for_interrupt(void)
{
    dsb();
    __asm__ volatile("wfi" : : : "memory");
}
