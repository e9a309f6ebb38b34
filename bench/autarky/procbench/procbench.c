/*
 * procbench: spawn-to-exit of a minimal module through the process
 * service (aos_rpc_process_spawn + aos_rpc_process_wait of `nop`), in
 * instructions under -icount shift=0 (counter ticks x 16), beside Linux's
 * fork + exec + wait of a static program (site_scons/bench.py pairs them);
 * then the same on core 1 (spawn_remote_core), beside Linux's with the
 * child pinned to another CPU.
 */
#include <aos/aos_rpc.h>
#include <aos/syscalls.h>
#include <stdio.h>

#define WARMUP 5
#define RUNS   50

static errval_t spawn_and_wait(coreid_t core)
{
    domainid_t pid;
    int status;
    errval_t err = aos_rpc_process_spawn(aos_rpc_get_process_channel(), "nop", core, &pid);

    if (err_is_ok(err)) {
        err = aos_rpc_process_wait(aos_rpc_get_process_channel(), pid, &status);
    }
    return err_is_ok(err) && status != 0 ? LIB_ERR_RPC_BAD_REPLY : err;
}

/* Spawn-to-exit on `core`, RUNS times after WARMUP: BENCH `name` (the
 * mean) and `name`_min (the best single one). */
static int measure(coreid_t core, const char *name)
{
    uint64_t t0, t1, best = UINT64_MAX;

    for (int i = 0; i < WARMUP; i++) {
        if (err_is_fail(spawn_and_wait(core))) {
            printf("procbench: spawn on core %u failed\n", (unsigned)core);
            return 1;
        }
    }
    t0 = counter_read();
    for (int i = 0; i < RUNS; i++) {
        uint64_t a = counter_read();
        spawn_and_wait(core);
        uint64_t b = counter_read();
        if (b - a < best) {
            best = b - a;
        }
    }
    t1 = counter_read();
    printf("BENCH %s %llu instr/op\n", name, (unsigned long long)((t1 - t0) * 16 / RUNS));
    printf("BENCH %s_min %llu instr/op\n", name, (unsigned long long)(best * 16));
    return 0;
}

/* Then the same spawn on core 1, through its init (remote_procs.c), on a
 * machine of two cores or more. */
int main(void)
{
    int failed = measure(0, "spawn_exit");

    if (err_no(spawn_and_wait(1)) != INIT_ERR_NO_SUCH_CORE) {
        failed |= measure(1, "spawn_remote_core");
    }
    return failed;
}
