/*
 * Masked-time accounting and the work budget of one kernel entry (see
 * kernel/include/kernel/preempt.h). Interrupts are masked whenever the
 * kernel runs, so an entry's masked time is simply the counter at its
 * exit minus the counter at its entry.
 */
#include <kernel/preempt.h>

uint32_t preempt_entered_at, preempt_entered_what;
uint32_t preempt_worst_ticks, preempt_worst_what;

bool preempt_due(void)
{
    return arch_counter_low() - preempt_entered_at >= PREEMPT_BUDGET_TICKS;
}

void preempt_worst(uint32_t *ticks, uint32_t *what)
{
    *ticks = preempt_worst_ticks;
    *what = preempt_worst_what;
}

void preempt_reset_worst(void)
{
    preempt_worst_ticks = 0;
    preempt_worst_what = 0;
}
