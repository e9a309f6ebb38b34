/*
 * Starting the other cores (cores.h).
 */
#include "cores.h"
#include "mem_server.h"
#include "rpc_server.h"
#include <stdio.h>
#include <aos/caps.h>
#include <aos/ram_alloc.h>
#include <aos/slot_alloc.h>
#include <aos/dispatch.h>
#include <aos/debug.h>
#include <aos/paging.h>
#include <aos/syscalls.h>
#include <autarky/bootinfo.h>

/* Wait until the init of the core behind `ch` says it is up. */
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

/* Start core `core`: its RAM and its channel frame, then the kernel. */
static errval_t core_start_one(uint32_t core)
{
    capaddr_t ram, channel;
    gensize_t channel_bytes;
    errval_t err = mem_server_give_to_core(CORE_RAM_SHARE, &ram);

    if (err_is_fail(err)) {
        return err;
    }
    struct core_channel *ch = NULL;
    err = frame_alloc(&channel, CORE_CHANNEL_BYTES, &channel_bytes);
    if (err_is_ok(err)) {
        err = paging_map_frame(get_current_paging_state(), (void **)&ch, channel_bytes,
                               channel, VREGION_FLAGS_READ_WRITE);
    }
    if (err_is_ok(err)) {
        ch->up = 0;
        err = kernel_start_core(CAP_KERNEL, core, ram, channel);
    }
    /* on success the kernel took the RAM cap (its slot is empty) and keeps
     * a copy of the channel; on failure the RAM stays out of the pool: it
     * was given away and nothing can take it back */
    if (err_is_ok(err)) {
        slot_free(ram);
        err = core_wait_up(ch);
    }
    return err;
}

errval_t cores_start_all(uint32_t *started)
{
    const struct bootinfo *bi = get_bootinfo();
    errval_t err = SYS_ERR_OK;

    *started = 0;
    for (uint32_t core = 1; core < bi->ncores && err_is_ok(err); core++) {
        err = core_start_one(core);
        if (err_is_ok(err)) {
            (*started)++;
        }
    }
    return err;
}

void cores_serve(void)
{
    struct core_channel *ch;
    errval_t err = paging_map_frame(get_current_paging_state(), (void **)&ch,
                                    sizeof(*ch), CAP_CORECHAN, VREGION_FLAGS_READ_WRITE);

    if (err_is_fail(err)) {
        DEBUG_ERR(err, "init: core %u cannot map its channel", (unsigned)get_bootinfo()->core_id);
        domain_exit(1);
    }
    ch->free_mib = (uint32_t)(mem_server_free() >> 20);
    __atomic_thread_fence(__ATOMIC_RELEASE);    /* everything above before `up` */
    ch->up = 1;
    for (;;) {
        rpc_server_step(true);
    }
}
