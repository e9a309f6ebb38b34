/*
 * ARM generic timer, virtual view: the virtual counter CNTVCT is the
 * kernel's clock (user mode may read it too, CNTKCTL.PL0VCTEN), and the
 * virtual timer CNTV_* (PPI 27) is the one-shot preemption timer.
 */
#include <kernel/arch.h>
#include <arch/cp15.h>
#include <arch/gic.h>

#define CNTV_CTL_ENABLE  (1u << 0)
#define CNTV_CTL_IMASK   (1u << 1)
#define CNTKCTL_PL0VCTEN (1u << 1)

/* Disarm the timer and let user mode read the virtual counter. */
void timer_init(void)
{
    cp15_write_cntv_ctl(0);
    cp15_write_cntkctl(cp15_read_cntkctl() | CNTKCTL_PL0VCTEN);
    isb();
}

/* Arm the one-shot timer: the line rises `ticks` counter ticks from now. */
void timer_set_timeslice(uint32_t ticks)
{
    cp15_write_cntv_tval(ticks);
    cp15_write_cntv_ctl(CNTV_CTL_ENABLE);
    isb();
}

/* Arm the one-shot timer: the line rises when the counter reaches `when`
 * (at once if it already has). */
void timer_set_deadline(uint64_t when)
{
    __asm__ volatile("mcrr p15, 3, %0, %1, c14" : : "r"((uint32_t)when),
                     "r"((uint32_t)(when >> 32)) : "memory");   /* CNTV_CVAL */
    cp15_write_cntv_ctl(CNTV_CTL_ENABLE);
    isb();
}

/* Stop the timer; its interrupt line drops until the next timeslice. */
void timer_disarm(void)
{
    cp15_write_cntv_ctl(0);
    isb();
}

uint64_t timer_now(void)
{
    return cp15_read_cntvct();
}

uint32_t timer_frequency(void)
{
    return cp15_read_cntfrq();
}
