/*
 * Frames lent to another core (kernel/cap/loan.c, docs/multikernel.md
 * "Channels between domains", rule 12 of docs/safety.md).
 *
 * A channel between two domains on different cores lives in a frame of
 * one core's RAM, the lender's. The other core, the borrower, gets a
 * Frame capability over it, and when the channel closes the RAM must come
 * back to the lender with nothing of it left on the borrower. The loan
 * table (struct core_loan, in struct kernel_shared) is how: each entry
 * goes
 *
 *   FREE --lend (lender, CAS)--> FILLING --(release)--> LENT
 *   LENT --claim (borrower, CAS)--> CLAIMED --return (borrower)--> RETURNED
 *   RETURNED or LENT --reclaim (lender, CAS)--> FREE
 *
 * The lender's kernel pins a copy of the frame capability in a slot of its
 * own (owner CTE_OWNER_LENT, one per entry) from lend to reclaim, so the
 * RAM cannot be retyped, and a revoke stops there, while the borrower may
 * use it. The borrower's kernel creates a Frame over exactly the lent range
 * once (claim), only on the named core; it marks the loan returned only
 * when that Frame is its core's last capability to the range (no copy, no
 * descendant: every mapping went with them), and deletes it then. Only
 * then does the lender's kernel drop its pin (reclaim), and only then can
 * the lender's init free the RAM.
 */
#ifndef KERNEL_LOAN_H
#define KERNEL_LOAN_H

#include <autarky/types.h>
#include <autarky/errors.h>

struct cte;

#define CORE_LOANS       64             /* entries in the table, all cores */
#define LOAN_MAX_BYTES   (1u << 20)     /* largest frame one loan lends */

enum core_loan_state { LOAN_FREE, LOAN_FILLING, LOAN_LENT, LOAN_CLAIMED, LOAN_RETURNED };

/* One loan. state is changed only with atomics (above); the other fields
 * are written by the lender while FILLING and read-only afterwards. */
struct core_loan {
    volatile uint32_t state;            /* enum core_loan_state */
    uint32_t lender, borrower;          /* cores */
    uint32_t rights;                    /* of the borrower's Frame */
    lpaddr_t base;
    gensize_t size;
};

/* This core (`core` of `ncores`) uses `table` (CORE_LOANS entries, shared
 * by every core) and pins its loans in `pins` (CORE_LOANS kernel slots,
 * allocated at boot; pins[i] holds entry i's pin when this core lent it). */
void loans_init(struct core_loan *table, struct cte *pins, uint32_t core, uint32_t ncores);
/* The same without emptying `pins`: host tests play several cores. */
void loans_use(struct core_loan *table, struct cte *pins, uint32_t core, uint32_t ncores);

/* KERNELCMD_LEND_FRAME: lend Frame `frame` (READ and WRITE, at most
 * LOAN_MAX_BYTES) to core `borrower`; *id names the loan there. */
errval_t loan_lend(struct cte *frame, uint32_t borrower, uint32_t *id);
/* KERNELCMD_CLAIM_LOAN: loan `id`, lent to this core and not yet claimed,
 * becomes a Frame capability in the empty slot `dest` (checked by the
 * caller). Once per loan. */
errval_t loan_claim(uint32_t id, struct cte *dest);
/* The one check before a loan goes back (rule 12): `frame` is the claimed
 * Frame of loan `id` (claimed by this core) and this core's last
 * capability to the range. */
errval_t loan_return_check(uint32_t id, const struct cte *frame);
/* KERNELCMD_RETURN_LOAN: after loan_return_check, delete `frame` and mark
 * the loan RETURNED. */
errval_t loan_return(uint32_t id, struct cte *frame);
/* KERNELCMD_RECLAIM_LOAN: loan `id` of this core, RETURNED or never
 * claimed, ends: the pin is deleted and the entry is FREE again. */
errval_t loan_reclaim(uint32_t id);
/* The table alone, as this core sees it (loan.c composes these with the
 * capabilities; the host suite checks them against a model):
 * take a FREE entry (-1: none), publish it LENT to `borrower`, or drop it
 * FREE again; claim it (LENT for us -> CLAIMED); is it CLAIMED by us;
 * mark it RETURNED; end it (ours, RETURNED or LENT -> FREE,
 * SYS_ERR_LOAN_CLAIMED while claimed). */
int loan_table_take(void);
void loan_table_publish(uint32_t id, uint32_t borrower, uint32_t rights, lpaddr_t base,
                        gensize_t size);
void loan_table_drop(uint32_t id);
errval_t loan_table_claim(uint32_t id);
errval_t loan_table_claimed_here(uint32_t id);
void loan_table_returned(uint32_t id);
errval_t loan_table_end(uint32_t id);
/* The state of entry `id` (tests, statistics); LOAN_FREE past the end. */
enum core_loan_state loan_state(uint32_t id);

#endif
