/*
 * xchanbench: an RPC round trip to a domain on another core
 * (aos_rpc_send_number over a channel, docs/multikernel.md "Channels
 * between domains"), in instructions under -icount shift=0 (counter ticks
 * x 16), beside Linux's pipe round trip between two processes pinned to
 * different CPUs (site_scons/bench.py pairs them). Its server is itself,
 * spawned on core 1: `xchanbench serve`.
 */
#include <aos/aos_rpc.h>
#include <aos/syscalls.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WARMUP 100
#define RUNS   2000

static struct aos_rpc *init_chan(void)
{
    return aos_rpc_get_process_channel();
}

static int serve(void)
{
    struct aos_rpc chan;
    struct aos_rpc_served st = { 0 };
    domainid_t peer;
    errval_t err = aos_rpc_chan_accept(init_chan(), &chan, &peer);

    while (err_is_ok(err)) {
        err = aos_rpc_serve_one(&chan, &st);
    }
    aos_rpc_chan_close(init_chan(), &chan);
    return err_no(err) == LIB_ERR_XCHAN_CLOSED ? 0 : 1;
}

int main(int argc, char **argv)
{
    struct aos_rpc chan;
    domainid_t pid;
    uint64_t t0, t1, best = UINT64_MAX;
    int runs = RUNS, status;
    errval_t err;

    if (argc == 2 && strcmp(argv[1], "serve") == 0) {
        return serve();
    }
    if (argc == 2) {
        runs = RUNS * atoi(argv[1]) / 100;      /* scale in percent */
    }
    err = aos_rpc_process_spawn(init_chan(), "xchanbench serve", 1, &pid);
    do {
        err = err_is_ok(err) ? aos_rpc_chan_connect(init_chan(), pid, &chan) : err;
        if (err_no(err) == INIT_ERR_CHAN_NOT_ACCEPTING) {
            sys_yield();
        }
    } while (err_no(err) == INIT_ERR_CHAN_NOT_ACCEPTING);
    for (int i = 0; i < WARMUP && err_is_ok(err); i++) {
        err = aos_rpc_send_number(&chan, i);
    }
    if (err_is_fail(err)) {
        printf("xchanbench: %s\n", err_getcode(err_no(err)));
        return 1;
    }
    t0 = counter_read();
    for (int i = 0; i < runs; i++) {
        uint64_t a = counter_read();
        aos_rpc_send_number(&chan, i);
        uint64_t b = counter_read();
        if (b - a < best) {
            best = b - a;
        }
    }
    t1 = counter_read();
    aos_rpc_chan_close(init_chan(), &chan);
    aos_rpc_process_wait(init_chan(), pid, &status);
    printf("BENCH rpc_roundtrip_cross_core %llu instr/op\n",
           (unsigned long long)((t1 - t0) * 16 / (uint64_t)runs));
    printf("BENCH rpc_roundtrip_cross_core_min %llu instr/op\n", (unsigned long long)(best * 16));
    return status == 0 ? 0 : 1;
}
