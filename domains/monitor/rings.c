/*
 * The rings of channel entries (rings.h).
 *
 * A domain holds a ring of its channel peer only while both ends are
 * open: ring_drop revokes entry i's ring, which takes every copy the
 * domain got by CHAN_IPI and every copy it made of that, so no domain
 * keeps a capability that rings a peer it has no channel to (whose
 * doorbell that core hands to another domain once the peer has ended).
 *
 * Each ring is an object of its own, though two channels to one domain
 * make two rings of one doorbell: the kernel gives every IPI cap it
 * creates an identity that cap_is_copy compares (kernel/object/ipi.c), so
 * ring_drop's revoke takes entry i's copies only (MP_XCHAN_RING_PER_CHANNEL).
 */
#include "rings.h"
#include <aos/caps.h>
#include <aos/slot_alloc.h>
#include <aos/icm.h>

static capaddr_t ring[MONITOR_CHANS];   /* empty until entry i rings its peer */

errval_t rings_init(uint32_t n)
{
    errval_t err = n <= MONITOR_CHANS ? SYS_ERR_OK : LIB_ERR_RPC_MALFORMED;

    for (uint32_t i = 0; i < n && err_is_ok(err); i++) {
        err = slot_alloc(&ring[i]);
    }
    return err;
}

errval_t ring_make(uint32_t i, uint32_t core, uint32_t doorbell)
{
    return kernel_create_ipi(CAP_KERNEL, ring[i], core, doorbell);
}

capaddr_t ring_of(uint32_t i)
{
    return ring[i];
}

void ring_drop(uint32_t i)
{
    cap_revoke(ring[i]);
    cap_delete(ring[i]);
}
