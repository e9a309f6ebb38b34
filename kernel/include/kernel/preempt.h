/*
 * Bounded kernel work (kernel/preempt.c, docs/safety.md rule 9).
 *
 * The kernel runs with interrupts masked from a trap's entry until it
 * returns to user mode (or idles). That stretch is the "masked time" of
 * the entry, and no system call may make it longer than
 * KERNEL_MASKED_GOAL_TICKS (100 us of virtual time). Work whose size a
 * domain chooses (deleting a CNode tree, revoking, zeroing a big object)
 * therefore checks preempt_due() at safe points, records how far it got in
 * the objects themselves, and returns SYS_ERR_RESTART: trap_syscall then
 * rewinds the caller's pc to its svc instruction and returns to user mode,
 * where any pending interrupt is taken; the call is simply made again and
 * carries on where it stopped.
 *
 * The entry and exit hooks also keep the longest masked stretch seen, by
 * what caused it, for KERNELCMD_DEBUG_MASKED (the `bounds` suite).
 */
#ifndef KERNEL_PREEMPT_H
#define KERNEL_PREEMPT_H

#include <autarky/types.h>
#include <autarky/invocations.h>      /* KERNEL_MASKED_GOAL_TICKS */
#include <arch/cpu.h>

/* At most this much work per kernel entry before a restartable operation
 * stops (50 us = 50,000 instructions under -icount shift=0). */
#define PREEMPT_BUDGET_TICKS      3125u

/* On every kernel entry and exit, so inline and 32-bit. */
extern uint32_t preempt_entered_at, preempt_entered_what;
extern uint32_t preempt_worst_ticks, preempt_worst_what;

/* A trap from user mode begins; `what` says which (see preempt_note). */
static inline __attribute__((always_inline)) void preempt_entered(uint32_t what)
{
    preempt_entered_at = arch_counter_low();
    preempt_entered_what = what;
}

/* Refine what this entry is doing (a system call and its command). */
static inline void preempt_note(uint32_t what)
{
    preempt_entered_what = what;
}

/* The entry ends: back to user mode, or into idle. */
static inline __attribute__((always_inline)) void preempt_leaving(void)
{
    uint32_t took = arch_counter_low() - preempt_entered_at;

    if (__builtin_expect(took > preempt_worst_ticks, 0)) {
        preempt_worst_ticks = took;
        preempt_worst_what = preempt_entered_what;
    }
}

/* Has this entry used its budget? Restartable work stops when it has. */
bool preempt_due(void);

/* What the kernel tells KERNELCMD_DEBUG_MASKED: the longest masked
 * stretch since the last reset, in counter ticks, and its `what`. */
void preempt_worst(uint32_t *ticks, uint32_t *what);
void preempt_reset_worst(void);

/* `what` values: the trap kind in the top byte, details below (for a
 * system call its number and r2, which is the command of an invocation). */
#define PREEMPT_WHAT_SYSCALL(nr, r2)   (0x01000000u | (((uint32_t)(nr) & 0xffu) << 16) | ((r2) & 0xffffu))
#define PREEMPT_WHAT_FAULT             0x02000000u
#define PREEMPT_WHAT_IRQ               0x03000000u
#define PREEMPT_WHAT_IDLE_WAKE         0x04000000u

#endif
