/*
 * Starting the other cores, and joining core 0 from another (cores.h).
 */
#include "cores.h"
#include "intercore.h"
#include <aos/caps.h>
#include <aos/icm.h>
#include <aos/debug.h>
#include <aos/ram_alloc.h>
#include <aos/dispatch.h>
#include <aos/paging.h>
#include <aos/syscalls.h>
#include <autarky/bootinfo.h>

/* Wait until the monitor of the core behind `ch` says it is up. */
static errval_t core_wait_up(const struct core_channel *ch)
{
    uint64_t deadline = counter_read() + CORE_UP_DEADLINE_TICKS;

    while (ch->up == 0) {
        if (counter_read() > deadline) {
            return INIT_ERR_CORE_NOT_UP;
        }
        sys_yield();
    }
    __atomic_thread_fence(__ATOMIC_ACQUIRE);    /* what it wrote before `up` */
    return SYS_ERR_OK;
}

/* The link from core 0 to core `core`'s monitor over the channel `ch`
 * (side A), ringing its doorbell `doorbell`. */
static errval_t core_link(uint32_t core, struct core_channel *ch, uint32_t doorbell)
{
    capaddr_t ring;
    errval_t err = kernel_new_ipi(CAP_KERNEL, core, doorbell, &ring);

    if (err_is_ok(err)) {
        err = intercore_add_link(core, (char *)ch + CORE_CHANNEL_UMP_OFFSET, UMP_CHAN_BYTES,
                                 UMP_SIDE_A, ring, &ch->waiting_core0, &ch->waiting_other);
    }
    return err;
}

/* Start core `core`: the RAM init gave us for it, a channel frame, then
 * the kernel. */
static errval_t core_start_one(uint32_t core, uint32_t my_doorbell)
{
    capaddr_t ram = CPTR(ROOTCN_SLOT_TASKCN, MONITOR_SLOT_CORE_RAM + core - 1);
    capaddr_t channel;
    gensize_t channel_bytes;
    struct core_channel *ch = NULL;
    errval_t err = frame_alloc(&channel, CORE_CHANNEL_BYTES, &channel_bytes);

    if (err_is_ok(err)) {
        err = paging_map_frame(get_current_paging_state(), (void **)&ch, channel_bytes,
                               channel, VREGION_FLAGS_READ_WRITE);
    }
    if (err_is_ok(err)) {
        ch->up = 0;
        ch->doorbell_core0 = my_doorbell;
        err = kernel_start_core(CAP_KERNEL, core, ram, channel);
    }
    /* on success the kernel took the RAM cap (its slot is empty) and keeps
     * a copy of the channel; on failure the RAM stays here: init gave it
     * away and nothing can take it back */
    if (err_is_ok(err)) {
        err = core_wait_up(ch);
    }
    if (err_is_ok(err)) {
        err = core_link(core, ch, ch->doorbell);
    }
    return err;
}

errval_t cores_start_all(uint32_t ncores, uint32_t *started)
{
    uint32_t doorbell;
    errval_t err = disp_doorbell(CAP_DISPATCHER, &doorbell);

    *started = 0;
    for (uint32_t core = 1; core < ncores && err_is_ok(err); core++) {
        err = core_start_one(core, doorbell);
        if (err_is_ok(err)) {
            (*started)++;
        }
    }
    return err;
}

void cores_answer_ping(struct core_channel *ch, capaddr_t ring_core0)
{
    uint32_t ping = ch->ping;

    if (ping == ch->pong) {
        return;
    }
    __atomic_thread_fence(__ATOMIC_ACQUIRE);
    ch->pong = ping;
    __atomic_thread_fence(__ATOMIC_RELEASE);
    ipi_notify(ring_core0);
}

/* Map the channel, make our doorbell, the IPI cap to core 0's monitor
 * and the link to it, and tell core 0 we are up. */
errval_t cores_join(uint32_t free_mib, struct core_channel **ret, capaddr_t *ring_core0)
{
    struct core_channel *ch;
    struct capability_info ci;
    uint32_t doorbell;
    errval_t err = cap_identify(CAP_CORECHAN, &ci);

    if (err_is_ok(err) && ci.size < CORE_CHANNEL_BYTES) {
        err = INIT_ERR_BAD_ANSWER;          /* core 0 gave too small a frame */
    }
    if (err_is_ok(err)) {
        err = paging_map_frame(get_current_paging_state(), (void **)&ch, CORE_CHANNEL_BYTES,
                               CAP_CORECHAN, VREGION_FLAGS_READ_WRITE);
    }
    if (err_is_ok(err)) {
        err = disp_doorbell(CAP_DISPATCHER, &doorbell);
    }
    if (err_is_ok(err)) {
        err = kernel_new_ipi(CAP_KERNEL, 0, ch->doorbell_core0, ring_core0);
    }
    if (err_is_ok(err)) {
        err = intercore_add_link(0, (char *)ch + CORE_CHANNEL_UMP_OFFSET, UMP_CHAN_BYTES,
                                 UMP_SIDE_B, *ring_core0, &ch->waiting_other,
                                 &ch->waiting_core0);
    }
    if (err_is_fail(err)) {
        return err;
    }
    ch->free_mib = free_mib;
    ch->doorbell = doorbell;
    ch->pong = ch->ping;
    __atomic_thread_fence(__ATOMIC_RELEASE);    /* everything above before `up` */
    ch->up = 1;
    *ret = ch;
    return SYS_ERR_OK;
}
