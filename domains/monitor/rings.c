/*
 * The rings of channel entries (rings.h).
 *
 * A domain holds a ring of its channel peer only while both ends are
 * open: ring_drop revokes entry i's ring, which takes every copy the
 * domain got by CHAN_IPI and every copy it made of that, so no domain
 * keeps a capability that rings a peer it has no channel to (whose
 * doorbell that core hands to another domain once the peer has ended).
 *
 * The kernel counts every IPI capability of one doorbell as a copy of
 * the others, and a revoke deletes the copies next to it in the mapping
 * database (docs/capabilities.md), where a new capability goes in at the
 * head (caps_create_boot) and a copy right after its source's run. So two
 * channels to one domain, made one after the other, would be one run, and
 * the revoke of one would take the other's rings from its domain. Each
 * ring therefore gets a fence, made at the head right after it (a ring of
 * our own doorbell, never used) and deleted after it: the fence stands
 * between ring i's run and every ring made later, as the fences of the
 * earlier ones stand after it (MP_XCHAN_RING_PER_CHANNEL).
 */
#include "rings.h"
#include <aos/caps.h>
#include <aos/slot_alloc.h>
#include <aos/icm.h>

static capaddr_t ring[MONITOR_CHANS];   /* empty until entry i rings its peer */
static capaddr_t fence[MONITOR_CHANS];  /* beside ring[i] while it is there */
static uint32_t my_core, my_doorbell;

errval_t rings_init(uint32_t n, uint32_t own_core, uint32_t own_doorbell)
{
    errval_t err = n <= MONITOR_CHANS ? SYS_ERR_OK : LIB_ERR_RPC_MALFORMED;

    for (uint32_t i = 0; i < n && err_is_ok(err); i++) {
        err = slot_alloc(&ring[i]);
        if (err_is_ok(err)) {
            err = slot_alloc(&fence[i]);
        }
    }
    my_core = own_core;
    my_doorbell = own_doorbell;
    return err;
}

errval_t ring_make(uint32_t i, uint32_t core, uint32_t doorbell)
{
    errval_t err = kernel_create_ipi(CAP_KERNEL, ring[i], core, doorbell);

    if (err_is_ok(err)) {
        err = kernel_create_ipi(CAP_KERNEL, fence[i], my_core, my_doorbell);
        if (err_is_fail(err)) {
            cap_delete(ring[i]);
        }
    }
    return err;
}

capaddr_t ring_of(uint32_t i)
{
    return ring[i];
}

void ring_drop(uint32_t i)
{
    cap_revoke(ring[i]);
    cap_delete(ring[i]);
    cap_delete(fence[i]);
}
