/*
 * What the fuzzer's parts share (test/domains/fuzzer, docs/testing.md).
 *
 * The fuzzer has two kinds of cases: single random calls (fuzzer.c: any
 * invocation, system call or RPC, each answer a defined error code) and
 * *sequences* of valid calls that build state and judge it with an oracle
 * (vseq.c: page tables, frames and retyped memory against a model of every
 * translation; lmpseq.c: capabilities sent into every kind of receive
 * slot; lifeseq.c: child domains that misuse their own dispatcher). Each
 * case draws from its own random stream, derived from the seed and the
 * case, so one case runs the same whatever others ran before it.
 *
 * A sequence stops at its first finding: one "FAIL:" line that says what
 * broke, at which step and after how many calls, so `fuzzer SEED ROUNDS
 * CASE` repeats it.
 */
#ifndef FUZZ_H
#define FUZZ_H

#include <stdbool.h>
#include <stdint.h>
#include <autarky/errors.h>
#include <autarky/types.h>

/* ---- random numbers and sizes ---------------------------------------- */

/* `fuzzer SEED ROUNDS`: every count is ROUNDS times the short one. */
extern uint32_t fz_seed, fz_rounds;
/* Restart the random stream for the case numbered `case_no`. */
void fz_reseed(uint32_t case_no);
uint32_t rnd(void);
/* true with probability percent/100 */
static inline bool chance(uint32_t percent)
{
    return rnd() % 100 < percent;
}

/* ---- calls and findings ------------------------------------------------ */

/* System calls, invocations and RPCs the running case has made, and the
 * cases before it (fz_reseed adds one to the other). */
extern uint32_t fz_calls;
extern uint64_t fz_total_calls;
/* Whether the running case has failed (its first finding stands). */
extern bool fz_failed;

/*
 * Count one call and judge its answer: every answer must be an error code
 * the system defines, and SYS_ERR_RESTART (the kernel's own "run the svc
 * again") must never reach a domain. Returns `err`; a bad answer is a
 * finding (`what` names the call).
 */
errval_t fz_call(errval_t err, const char *what);
/* Record the case's first finding (a printf format), with the number of
 * calls so far; later ones are ignored. */
void fz_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* "Frame", "L2CNode", ... for a capability type. */
const char *fz_type_name(uint32_t type);
/* The root CNode oracle: every root slot holds an L2 CNode or nothing
 * (identifies each); false, and a finding naming `when`, otherwise. */
bool fz_root_scan(const char *when);

/* ---- probes of the fuzzer's own address space (probe.c) ----------------- */

/*
 * While a window is installed, a data abort inside [base, base + bytes)
 * taken by one of the probes below is counted and skipped; a fault there
 * anywhere else, and every other fault, goes to the handler that was
 * installed before (the runtime's page-fault handler).
 */
void probe_install(lvaddr_t base, size_t bytes);
void probe_uninstall(void);
/* One load or store at `va`: true if it happened, false if it faulted. */
bool probe_read(lvaddr_t va, uint32_t *value);
bool probe_write(lvaddr_t va, uint32_t value);
/* Probes made and probes that faulted since probe_install. */
extern uint32_t probe_count, probe_faults;

/* ---- the sequences ------------------------------------------------------ */

void fuzz_vspace_seq(void);     /* vseq.c */
void fuzz_lmp_seq(void);        /* lmpseq.c */
void fuzz_life_seq(void);       /* lifeseq.c */

#endif
