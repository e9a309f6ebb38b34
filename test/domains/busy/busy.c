/*
 * busy: computes until it is killed (process-management tests). With an
 * argument N it allocates and touches N MiB first, so a kill has RAM to
 * give back. `busy hog` instead asks init for 1 MiB blocks until it is
 * refused, says how far it got, and keeps them all (PROC_HOG_SPARES_OTHERS).
 * `busy rpc` talks to init without pause: long strings (many fragments),
 * RAM asked for and given back, process queries, so that a kill lands in
 * the middle of one (PROC_KILL_MID_RPC).
 *
 * Ways to end (or not) that a domain could use against its parent
 * (test/domains/endtest, docs/safety.md rules 6 and 7):
 *   `busy stop`      stops its own dispatcher;
 *   `busy unnotice`  tries to remove the exit endpoint init installed,
 *                    then faults while disabled (the kernel kills it);
 *   `busy wait`      waits for a message nobody will send;
 *   `busy life SEED END [STATUS]`  first a few random things on its own
 *                    dispatcher capability, drawn from SEED (remove the exit
 *                    endpoint, point it at an endpoint of its own, mint
 *                    copies with fewer rights and act through them, revoke
 *                    it), then ends as END says: `exit` (returns STATUS),
 *                    `null` (a NULL dereference), `fault` (a fault while
 *                    disabled), `stop`, `wait`, `spin` (the fuzzer's
 *                    PROC_FUZZ_LIFE judges what init then shows).
 *
 * For the scheduler's tests (test/domains/schedtest, docs/safety.md rule 8):
 *   `busy calls`     calls init without pause, one small RPC after the other
 *                    (a ping-pong of directed yields with init);
 *   `busy share T`   computes for T counter ticks, measuring how much of
 *                    that time it had the CPU, and exits with that share
 *                    in per mille.
 *
 * For the multikernel's (test/domains/xchantest, docs/multikernel.md):
 *   `busy alone S T` waits S counter ticks (its core settles after the
 *                    spawn), then computes for T ticks and exits 0 if it had
 *                    its core to itself all along: every dispatch on its
 *                    core was its own (alone, it may never be dispatched
 *                    anew: the timer just extends its slice) and its core
 *                    took no doorbell interrupt (the kernel's counts in its
 *                    dispatcher frame); else 1, with the counts printed.
 */
#include <aos/aos_rpc.h>
#include <aos/ram_alloc.h>
#include <aos/slot_alloc.h>
#include <aos/caps.h>
#include <aos/dispatch.h>
#include <aos/syscalls.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void hog(void)
{
    capaddr_t ram;
    size_t got, mib = 0;
    errval_t err;

    while (err_is_ok(err = aos_rpc_get_ram_cap(aos_rpc_get_init_channel(), 1u << 20,
                                               BASE_PAGE_SIZE, &ram, &got))) {
        mib++;
    }
    printf("busy: hogging %lu MiB, then %s\n", (unsigned long)mib, err_getcode(err_no(err)));
}

static void rpc_forever(void)
{
    static char text[3000];
    struct aos_rpc *chan = aos_rpc_get_init_channel();
    domainid_t *pids;
    size_t n, got;
    capaddr_t ram;

    memset(text, 'r', sizeof(text) - 1);
    for (;;) {
        aos_rpc_send_string(chan, text);
        if (err_is_ok(aos_rpc_get_ram_cap(chan, 64u << 10, BASE_PAGE_SIZE, &ram, &got))) {
            ram_free(ram);
        }
        if (err_is_ok(aos_rpc_process_get_all_pids(aos_rpc_get_process_channel(), &pids, &n))) {
            free(pids);
        }
    }
}

/* Calls to init, back to back, for ever. */
static void calls_forever(void)
{
    struct aos_rpc *chan = aos_rpc_get_init_channel();

    for (uint32_t i = 0;; i++) {
        aos_rpc_send_number(chan, i);
    }
}

/*
 * Our share of the CPU over `window` ticks, per mille: time runs on while
 * we are off the CPU, so a step of the counter longer than GAP_TICKS
 * (8,000 instructions; one loop round is a few dozen) is time another
 * domain had.
 */
#define GAP_TICKS 500u

static int cpu_share(uint64_t window)
{
    uint64_t start = counter_read(), last = start, now = start, on = 0;

    while (now - start < window) {
        now = counter_read();
        if (now - last < GAP_TICKS) {
            on += now - last;
        }
        last = now;
    }
    return (int)(on * 1000 / (now - start));
}

/* `busy alone`: did we have our core to itself for `window` ticks? */
static int alone_on_core(uint64_t settle, uint64_t window)
{
    /* volatile: the kernel writes these while we loop (counter_read has
     * no memory clobber, so the compiler would keep the first values) */
    volatile struct dispatcher_shared *disp = get_dispatcher();
    uint64_t start = counter_read();

    while (counter_read() - start < settle) {
    }
    uint32_t slices = disp->timeslices, dispatches = disp->core_dispatches;
    uint32_t irqs = disp->core_doorbell_irqs;
    start = counter_read();
    while (counter_read() - start < window) {
    }
    slices = disp->timeslices - slices;
    dispatches = disp->core_dispatches - dispatches;
    irqs = disp->core_doorbell_irqs - irqs;
    printf("busy: alone: %lu slices of mine, %lu dispatches on my core, "
           "%lu doorbell interrupts\n", (unsigned long)slices, (unsigned long)dispatches,
           (unsigned long)irqs);
    return dispatches == slices && irqs == 0 ? 0 : 1;
}

/* Remove the notice of our own end, then die where nobody can help. */
static void unnotice(void)
{
    errval_t err = disp_set_exit_ep(CAP_DISPATCHER, CPTR_NULL);

    printf("busy: removing my exit endpoint: %s\n", err_getcode(err_no(err)));
    get_dispatcher()->disabled = 1;
    *(volatile uint32_t *)0 = 1;        /* a fault while disabled: killed */
}

/* An endpoint of our own, bound to us: a place for our own exit notice. */
static capaddr_t own_endpoint(void)
{
    capaddr_t ram, ep;

    if (err_is_fail(ram_alloc(&ram, BASE_PAGE_SIZE)) || err_is_fail(slot_alloc(&ep))
        || err_is_fail(cap_retype_one(ram, ObjType_Endpoint, 0, OBJSIZE_ENDPOINT, ep))
        || err_is_fail(ep_bind(ep, CAP_DISPATCHER))) {
        return CPTR_NULL;
    }
    return ep;
}

/*
 * `busy life SEED END STATUS`: what a domain may try against the notice
 * of its own end, then an end. Results are ignored: the parent judges
 * what init shows. Acts through the newest copy of the dispatcher
 * capability (which may lack rights); stops through the original if the
 * copy cannot.
 */
static int life(uint32_t seed, const char *end, int status)
{
    capaddr_t disp = CAP_DISPATCHER, slot;

    for (uint32_t i = 0, n = seed % 6; i < n; i++) {
        seed = seed * 1103515245u + 12345u;
        switch ((seed >> 16) % 4) {
        case 0:
            disp_set_exit_ep(disp, CPTR_NULL);
            break;
        case 1:
            disp_set_exit_ep(disp, own_endpoint());
            break;
        case 2:
            if (err_is_ok(slot_alloc(&slot))
                && err_is_ok(cap_mint(cptr_cnode(slot), cptr_slot(slot), disp,
                                      (seed >> 8) & CAP_RIGHTS_ALL, 0))) {
                disp = slot;
            }
            break;
        default:
            cap_revoke(disp);
            break;
        }
    }
    if (strcmp(end, "exit") == 0) {
        return status;
    } else if (strcmp(end, "null") == 0) {
        *(volatile uint32_t *)(uintptr_t)(seed & 0xffcu) = 1;
    } else if (strcmp(end, "fault") == 0) {
        get_dispatcher()->disabled = 1;
        *(volatile uint32_t *)0 = 1;
    } else if (strcmp(end, "stop") == 0) {
        if (err_is_fail(disp_stop(disp))) {
            disp_stop(CAP_DISPATCHER);
        }
    } else if (strcmp(end, "wait") == 0) {
        for (;;) {
            sys_wait();
        }
    }
    for (;;) {
    }
}

int main(int argc, char **argv)
{
    volatile unsigned long spins = 0;

    if (argc > 3 && strcmp(argv[1], "alone") == 0) {
        return alone_on_core(strtoull(argv[2], NULL, 0), strtoull(argv[3], NULL, 0));
    } else if (argc > 2 && strcmp(argv[1], "share") == 0) {
        int share = cpu_share(strtoull(argv[2], NULL, 0));
        printf("busy: had %d per mille of the CPU\n", share);
        return share;
    } else if (argc > 1 && strcmp(argv[1], "calls") == 0) {
        calls_forever();
    } else if (argc > 1 && strcmp(argv[1], "stop") == 0) {
        printf("busy: stopping my own dispatcher\n");
        disp_stop(CAP_DISPATCHER);      /* returns only once started again */
    } else if (argc > 1 && strcmp(argv[1], "unnotice") == 0) {
        unnotice();
    } else if (argc > 1 && strcmp(argv[1], "wait") == 0) {
        for (;;) {
            sys_wait();                 /* nobody will send anything */
        }
    } else if (argc > 3 && strcmp(argv[1], "life") == 0) {
        return life((uint32_t)strtoul(argv[2], NULL, 0), argv[3],
                    argc > 4 ? atoi(argv[4]) : 0);
    } else if (argc > 1 && strcmp(argv[1], "hog") == 0) {
        hog();
    } else if (argc > 1 && strcmp(argv[1], "rpc") == 0) {
        rpc_forever();
    } else if (argc > 1) {
        size_t bytes = (size_t)atoi(argv[1]) << 20;
        volatile char *p = malloc(bytes);
        for (size_t i = 0; p != NULL && i < bytes; i += 4096) {
            p[i] = 0x5a;                /* volatile: every page is really touched */
        }
    }
    for (;;) {
        spins++;
    }
}
