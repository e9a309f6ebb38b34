/*
 * Doorbells: how a domain on one core wakes a domain on another
 * (docs/multikernel.md, "Waking across cores").
 *
 * A dispatcher gets one doorbell on its own core (KERNELCMD_DOORBELL, so
 * only init hands them out): a number 1..DOORBELL_MAX-1 in this core's table. An IPI capability
 * (ObjType_IPI, made only with the Kernel capability: KERNELCMD_CREATE_IPI)
 * names a (core, doorbell) pair; invoking it rings that doorbell. Ringing
 * sets the doorbell's bit in the target core's pending bitmap (explicit
 * shared memory, struct kernel_shared) and, if the bit was clear, sends
 * that core a software-generated interrupt; the target's kernel takes
 * every pending bit and wakes each owner from SYS_WAIT (or makes its next
 * SYS_WAIT return at once). A doorbell carries no data: the woken domain
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
/* SYS_WAIT: did a doorbell of `dcb` ring since it last waited (its pending
 * bit, left set by the interrupt that found it running)? Clears it. */
bool doorbell_take_notified(struct dcb *dcb);

#endif
