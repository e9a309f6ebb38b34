/*
 * The system-call ABI of the CPU driver (ARMv7, `svc #0`).
 *
 * Registers in:  r0 = syscall number (SYS_* below)
 *                r1..r7 = arguments (meaning per call below)
 * Registers out: r0 = error code (enum errcode, never a pushed chain)
 *                r1..r3 = results (per call); r4..r12, sp, lr preserved.
 *
 * SYS_INVOKE     r1 = cptr of the invoked capability (caller's cspace)
 *                r2 = command (enum cap_cmd / type-specific, see invocations.h)
 *                r3..r7 = command arguments
 * SYS_YIELD      give up the rest of the time slice
 * SYS_PRINT      r1 = user buffer, r2 = length (<= SYS_PRINT_MAX): debug console output
 * SYS_GETCHAR    r1 = 0: returns r1 = next console byte, or -1 if none waits
 * SYS_COUNTER    returns r1 = low, r2 = high 32 bits of the virtual counter
 * SYS_RESUME     resume the caller's enabled_area with disabled = 0 and its
 *                full CPSR (user mode cannot restore the Thumb IT state);
 *                returns only on error
 * SYS_LMP_SEND   send a message through an Endpoint (include/autarky/lmp.h)
 * SYS_WAIT       block until a message waits in this domain's ring
 * SYS_SET_TLS    r1 = value of the user thread-pointer register (TPIDRURO),
 *                kept per domain and restored whenever it is dispatched
 */
#ifndef AUTARKY_SYSCALL_H
#define AUTARKY_SYSCALL_H

/* Numbers as macros: assembly stubs include this header. */
#define SYS_INVOKE   1
#define SYS_YIELD    2
#define SYS_PRINT    3
#define SYS_GETCHAR  4
#define SYS_COUNTER  5
#define SYS_RESUME   6
#define SYS_LMP_SEND 7   /* see include/autarky/lmp.h */
#define SYS_WAIT     8   /* see include/autarky/lmp.h */
#define SYS_SET_TLS  9   /* r1 = thread pointer the domain reads from TPIDRURO */
#define SYS_COUNT    10  /* one past the last number */

#define SYS_PRINT_MAX 4096u

#endif
