/*
 * Spawning this core's monitor and linking to it (monitor_start.h).
 *
 *   init                                      monitor
 *   frame_alloc(monitor frame), fill it
 *   [core 0: RAM of each core, given away]
 *   proc_spawn_system(monitor, grants) ───▶  map the frame, its doorbell,
 *   serve our clients (it asks us for RAM)     IPI cap to ours, link side B;
 *                                              core 0: start the cores,
 *                                              others: join core 0's monitor
 *   up? ◀───────────────────────────────────  up = 1
 *   IPI cap to its doorbell, link side A
 */
#include "monitor_start.h"
#include "intercore.h"
#include "mem_server.h"
#include "procs.h"
#include "bindings.h"
#include "rpc_server.h"
#include <aos/caps.h>
#include <aos/core_channel.h>
#include <aos/dispatch.h>
#include <aos/paging.h>
#include <aos/ram_alloc.h>
#include <aos/slot_alloc.h>
#include <aos/syscalls.h>
#include <autarky/bootinfo.h>

/* How long the monitor may take to come up: each core it starts may take
 * CORE_UP_DEADLINE_TICKS, and a little for itself. */
#define MONITOR_UP_DEADLINE_TICKS(ncores) ((uint64_t)((ncores) + 1) * CORE_UP_DEADLINE_TICKS)

/* Free RAM below which the monitor gets no channel pool (a core started
 * with a few MiB by the kernel tests: the monitor's own heap comes first). */
#define MONITOR_CHAN_RAM_MIN_FREE (8u * MONITOR_CHAN_RAM_BYTES)

/* The frame we share with the monitor, mapped and filled in. */
static errval_t frame_make(capaddr_t *cap, struct monitor_frame **ret)
{
    const struct bootinfo *bi = get_bootinfo();
    struct monitor_frame *f;
    gensize_t bytes;
    uint32_t doorbell;
    errval_t err = frame_alloc(cap, MONITOR_FRAME_BYTES, &bytes);

    if (err_is_ok(err)) {
        err = paging_map_frame(get_current_paging_state(), (void **)&f, MONITOR_FRAME_BYTES,
                               *cap, VREGION_FLAGS_READ_WRITE);
    }
    if (err_is_ok(err)) {
        err = disp_doorbell(CAP_DISPATCHER, &doorbell);     /* also the kernel's notice
                                                               of dead cores */
    }
    if (err_is_fail(err)) {
        return err;
    }
    f->core = bi->core_id;
    f->ncores = bi->ncores;
    f->init_doorbell = doorbell;
    f->free_mib = (uint32_t)(mem_server_free() >> 20);
    f->up = 0;
    *ret = f;
    return SYS_ERR_OK;
}

/* What the monitor gets: the Kernel cap, the frame, the RAM of its
 * channels (given away: the monitor keeps it for good, domains/monitor/
 * channels.h; not on a core with less than MONITOR_CHAN_RAM_MIN_FREE, whose
 * monitor then needs what it has for itself), and core 0's RAM for
 * each other core (given away: the monitor's copy is the only one) or
 * another core's channel frame; *n = how many. Short of RAM for a core,
 * it gets none for that core and the ones after it: the monitor's start
 * of that core then fails (an empty slot) and stops there, and the
 * monitor still links the cores before it. */
static void grants_make(capaddr_t frame, struct proc_grant *g, uint32_t *n)
{
    const struct bootinfo *bi = get_bootinfo();
    errval_t err = SYS_ERR_OK;
    capaddr_t chan_ram;
    gensize_t got;

    g[0] = (struct proc_grant){ TASKCN_SLOT_KERNELCAP, CAP_KERNEL, false };
    g[1] = (struct proc_grant){ MONITOR_SLOT_FRAME, frame, false };
    *n = 2;
    if (mem_server_free() >= MONITOR_CHAN_RAM_MIN_FREE
        && err_is_ok(mem_server_alloc(&chan_ram, MONITOR_CHAN_RAM_BYTES,
                                      MONITOR_CHAN_FRAME_BYTES, &got))) {
        g[(*n)++] = (struct proc_grant){ MONITOR_SLOT_CHAN_RAM, chan_ram, true };
    }                               /* (without, the monitor brokers no channels) */
    if (bi->core_id != 0) {
        g[(*n)++] = (struct proc_grant){ TASKCN_SLOT_CORECHAN, CAP_CORECHAN, false };
        return;
    }
    for (uint32_t core = 1; core < bi->ncores && err_is_ok(err); core++) {
        capaddr_t ram;
        err = mem_server_give_to_core(CORE_RAM_SHARE, &ram);
        if (err_is_ok(err)) {
            g[(*n)++] = (struct proc_grant){ MONITOR_SLOT_CORE_RAM + core - 1, ram, true };
        }
    }
}

/* Serve our clients until the monitor says it is up (it may ask us for
 * RAM meanwhile), or it ends, or the deadline passes. */
static errval_t wait_up(struct monitor_frame *f, struct proc *mon)
{
    uint64_t deadline = counter_read() + MONITOR_UP_DEADLINE_TICKS(f->ncores);

    while (f->up == 0) {
        if (mon->state != PROC_STATE_RUNNING || counter_read() > deadline) {
            return INIT_ERR_CORE_NOT_UP;
        }
        while (rpc_server_step(false)) {
        }
        sys_yield();
    }
    __atomic_thread_fence(__ATOMIC_ACQUIRE);    /* what it wrote before `up` */
    return SYS_ERR_OK;
}

errval_t monitor_start(uint32_t *started)
{
    static const char *const argv[] = { "monitor", NULL };
    struct proc_grant grants[4 + BOOTINFO_MAX_CORES];
    struct monitor_frame *f = NULL;
    struct proc *mon;
    capaddr_t frame, ring;
    uint32_t n = 0;
    errval_t err = frame_make(&frame, &f);

    *started = 0;
    if (err_is_ok(err)) {
        grants_make(frame, grants, &n);
        err = proc_spawn_system(1, argv, aos_pid_monitor(f->core), grants, n, &mon);
    }
    for (uint32_t i = 0; i < n; i++) {
        if (grants[i].move) {           /* moved (the slot is empty), or lost */
            cap_delete(grants[i].cap);  /* with a failed spawn: given away anyway */
            slot_free(grants[i].cap);
        }
    }
    if (err_is_ok(err)) {
        err = wait_up(f, mon);
    }
    if (err_is_ok(err)) {
        bindings_init(mon, f);      /* every domain spawned from now on */
    }
    if (err_is_ok(err)) {
        err = kernel_new_ipi(CAP_KERNEL, f->core, f->monitor_doorbell, &ring);
    }
    if (err_is_ok(err)) {
        err = intercore_connect_monitor(f, ring);
    }
    if (err_is_ok(err)) {
        *started = f->started;
        err = (errval_t)f->start_err_hi << 32 | f->start_err_lo;
    }
    return err;
}
