/*
 * monitor: one per core, spawned by that core's init (docs/multikernel.md
 * "The monitor"). It owns everything between cores: core 0's monitor
 * starts the other cores, the monitors carry every inter-core
 * message between the inits (intercore.h) over a star of UMP links, and
 * each keeps its init's clients' calls to other cores pending until they
 * are answered (remote_calls.h), brokers the channels between domains of
 * different cores (channels.h), and answers the domains of its core
 * that call it over their binding (clients.h).
 *
 * What it gets, and only from its init's spawn of it (include/aos/icm.h,
 * domains/init/monitor_start.c): a copy of the Kernel capability, the
 * frame it shares with its init (the same-core link and start-up data),
 * the RAM of its channels (MONITOR_SLOT_CHAN_RAM), on core 0 the RAM for each core it starts, elsewhere the channel frame
 * core 0 shared with this core.
 *
 * Deadlock freedom: init waits for us only inside intercore_call, bounded
 * by its deadline, so we never wait for init once we are up: everything
 * the loop touches (the link pool, the stack) is touched during start-up,
 * nothing in the loop allocates, and we never call init's RPC from it.
 * MP_MONITOR_NO_RAM_AFTER_START checks that our RAM and page faults stay
 * where start-up left them.
 */
#include <stdio.h>
#include <aos/caps.h>
#include <aos/icm.h>
#include <aos/debug.h>
#include <aos/lmp.h>
#include <aos/paging.h>
#include <autarky/bootinfo.h>
#include "cores.h"
#include "intercore.h"
#include "remote_calls.h"
#include "clients.h"
#include "channels.h"

/* Stack the loop may use, touched once at start-up. */
#define MONITOR_STACK_TOUCH (32u << 10)

/* Fault in the top MONITOR_STACK_TOUCH bytes of our stack now. */
static void __attribute__((noinline)) touch_stack(void)
{
    volatile char pad[MONITOR_STACK_TOUCH];

    for (size_t i = 0; i < sizeof(pad); i += BASE_PAGE_SIZE / 2) {
        pad[i] = 0;
    }
}

/* Map the frame init shares with us and check what init wrote there. */
static errval_t map_frame(struct monitor_frame **ret)
{
    capaddr_t cap = CPTR(ROOTCN_SLOT_TASKCN, MONITOR_SLOT_FRAME);
    struct capability_info ci;
    struct monitor_frame *f;
    errval_t err = cap_identify(cap, &ci);

    if (err_is_ok(err) && (ci.type != ObjType_Frame || ci.size < MONITOR_FRAME_BYTES)) {
        err = LIB_ERR_RPC_NO_CHANNEL;       /* not spawned by init as a monitor */
    }
    if (err_is_ok(err)) {
        err = paging_map_frame(get_current_paging_state(), (void **)&f, MONITOR_FRAME_BYTES,
                               cap, VREGION_FLAGS_READ_WRITE);
    }
    if (err_is_ok(err) && (f->ncores == 0 || f->ncores > BOOTINFO_MAX_CORES
                           || f->core >= f->ncores)) {
        err = INIT_ERR_NO_SUCH_CORE;
    }
    if (err_is_ok(err)) {
        *ret = f;
    }
    return err;
}

/* Our doorbell, an IPI cap to init's, and the link to init. */
static errval_t link_init(struct monitor_frame *f)
{
    uint32_t doorbell;
    capaddr_t ring;
    errval_t err = disp_doorbell(CAP_DISPATCHER, &doorbell);

    if (err_is_ok(err)) {
        err = kernel_new_ipi(CAP_KERNEL, f->core, f->init_doorbell, &ring);
    }
    if (err_is_ok(err)) {
        err = intercore_add_init_link(f, ring);
    }
    if (err_is_ok(err)) {
        f->monitor_doorbell = doorbell;
    }
    return err;
}

/* Tell init how start-up went (after which init links to us). */
static void report(struct monitor_frame *f, errval_t err, uint32_t started)
{
    f->started = started;
    f->start_err_lo = (uint32_t)err;
    f->start_err_hi = (uint32_t)(err >> 32);
    __atomic_thread_fence(__ATOMIC_RELEASE);    /* everything above before `up` */
    f->up = 1;
}

int main(int argc, char *argv[])
{
    struct monitor_frame *f;
    struct core_channel *ch = NULL;
    capaddr_t ring_core0 = CPTR_NULL;
    uint32_t started = 0;
    errval_t err = map_frame(&f);

    (void)argc;
    (void)argv;
    if (err_is_fail(err)) {
        DEBUG_ERR(err, "monitor: no frame from init");
        return 1;
    }
    intercore_init(f->core, f->ncores);
    remote_calls_init(f->core, f->ncores);
    err = link_init(f);
    if (err_is_ok(err) && f->core == 0) {
        err = cores_start_all(f->ncores, &started);
    } else if (err_is_ok(err)) {
        err = cores_join(f->free_mib, &ch, &ring_core0);
    }
    if (err_is_ok(err)) {
        err = channels_init(f);     /* its slots and mappings: before the loop */
    }
    if (err_is_ok(err)) {
        err = clients_init(f);      /* after start-up's calls to init: its receive
                                       slot would take the RAM they ask for */
    }
    touch_stack();
    report(f, err, started);
    if (err_is_fail(err) && f->core != 0) {
        return 1;                   /* init reports it: core 0 cannot reach us */
    }
    for (;;) {
        while (intercore_serve() || clients_serve()) {
        }
        channels_sweep();           /* clients init no longer lists */
        if (ch != NULL) {
            cores_answer_ping(ch, ring_core0);
        }
        lmp_wait_fn();              /* a ring of our doorbell: a message, or room */
    }
}
