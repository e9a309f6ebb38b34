/*
 * Doorbells: how a domain on one core wakes a domain on another
 * (docs/multikernel.md, "Waking across cores").
 *
 * A dispatcher gets one doorbell on its own core (KERNELCMD_DOORBELL, so
 * only init hands them out): a number 1..DOORBELL_MAX-1 in this core's table. An IPI capability
 * (ObjType_IPI, made only with the Kernel capability: KERNELCMD_CREATE_IPI)
 * names a (core, doorbell) pair; invoking it rings that doorbell. Ringing
 * sets the doorbell's bit in the target core's pending bitmap (explicit
 * shared memory, struct kernel_shared) and, only if the owner is blocked
 * in SYS_WAIT (its armed bit, which the ringer takes), sends that core a
 * software-generated interrupt; the target's kernel takes every pending
 * bit and wakes each owner from SYS_WAIT. An owner that was running finds
 * the bit at its next SYS_WAIT, which returns at once. So a core takes at
 * most one doorbell interrupt per SYS_WAIT of its domains, however often
 * anyone rings (rule 8 of docs/safety.md). A doorbell carries no data: the woken domain
 * looks at its message channels (include/aos/ump.h).
 *
 * Lock order: none. The pending bitmaps are only touched with atomic
 * read-modify-writes; the table is this core's alone.
 */
#ifndef KERNEL_DOORBELL_H
#define KERNEL_DOORBELL_H

#include <autarky/types.h>
#include <autarky/errors.h>

#define DOORBELL_MAX    1024u                   /* per core; 0 is never used */
#define DOORBELL_WORDS  (DOORBELL_MAX / 32)

struct dcb;

/* Empty this core's table (at boot). */
void doorbell_init(void);
/* The doorbell of `dcb` on this core, made on first use. */
errval_t doorbell_create(struct dcb *dcb, uint32_t *id);
/* `dcb` is being destroyed: its doorbell (if any) rings nobody from now on. */
void doorbell_dispatcher_destroyed(struct dcb *dcb);
/* Ring doorbell `id` of core `core` (checked by the caller). */
void doorbell_ring(uint32_t core, uint32_t id);
/* This core's doorbell interrupt: wake the owner of every pending doorbell. */
void doorbell_handle_pending(void);
/* SYS_WAIT: did a doorbell of `dcb` ring since it last waited? (clears it) */
bool doorbell_take_notified(struct dcb *dcb);
/* SYS_WAIT is about to block `dcb`: arm its doorbell, so that the next ring
 * from another core interrupts this core (once). True if a ring from
 * another core came first: then it must not block. */
bool doorbell_arm(struct dcb *dcb);

#endif
