/*
 * Masked-time accounting and the work budget of one kernel entry (see
 * kernel/include/kernel/preempt.h). Interrupts are masked whenever the
 * kernel runs, so an entry's masked time is simply the counter at its
 * exit minus the counter at its entry.
 */
#include <kernel/preempt.h>
#include <kernel/arch.h>

static uint64_t entered_at;     /* counter when this entry began */
static uint32_t entered_what;
static uint32_t worst_ticks, worst_what;

void preempt_entered(uint32_t what)
{
    entered_at = timer_now();
    entered_what = what;
}

void preempt_note(uint32_t what)
{
    entered_what = what;
}

void preempt_leaving(void)
{
    uint64_t took = timer_now() - entered_at;

    if (took > worst_ticks) {
        worst_ticks = took > 0xffffffffu ? 0xffffffffu : (uint32_t)took;
        worst_what = entered_what;
    }
}

bool preempt_due(void)
{
    return timer_now() - entered_at >= PREEMPT_BUDGET_TICKS;
}

void preempt_worst(uint32_t *ticks, uint32_t *what)
{
    *ticks = worst_ticks;
    *what = worst_what;
}

void preempt_reset_worst(void)
{
    worst_ticks = 0;
    worst_what = 0;
}
