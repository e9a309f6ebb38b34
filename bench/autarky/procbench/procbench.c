/*
 * procbench: spawn-to-exit of a minimal module through the process
 * service (aos_rpc_process_spawn + aos_rpc_process_wait of `nop`), in
 * instructions under -icount shift=0 (counter ticks x 16), beside Linux's
 * fork + exec + wait of a static program (site_scons/bench.py pairs them).
 */
#include <aos/aos_rpc.h>
#include <aos/syscalls.h>
#include <stdio.h>

#define WARMUP 5
#define RUNS   50

static errval_t spawn_and_wait(void)
{
    domainid_t pid;
    int status;
    errval_t err = aos_rpc_process_spawn(aos_rpc_get_process_channel(), "nop", 0, &pid);

    if (err_is_ok(err)) {
        err = aos_rpc_process_wait(aos_rpc_get_process_channel(), pid, &status);
    }
    return err_is_ok(err) && status != 0 ? LIB_ERR_RPC_BAD_REPLY : err;
}

int main(void)
{
    uint64_t t0, t1, best = UINT64_MAX;

    for (int i = 0; i < WARMUP; i++) {
        if (err_is_fail(spawn_and_wait())) {
            printf("procbench: spawn failed\n");
            return 1;
        }
    }
    t0 = counter_read();
    for (int i = 0; i < RUNS; i++) {
        uint64_t a = counter_read();
        spawn_and_wait();
        uint64_t b = counter_read();
        if (b - a < best) {
            best = b - a;
        }
    }
    t1 = counter_read();
    printf("BENCH spawn_exit %llu instr/op\n", (unsigned long long)((t1 - t0) * 16 / RUNS));
    printf("BENCH spawn_exit_min %llu instr/op\n", (unsigned long long)(best * 16));
    return 0;
}
