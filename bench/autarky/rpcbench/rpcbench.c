/*
 * rpcbench: RPC costs in instructions (`scons bench`, site_scons/bench.py;
 * docs/benchmarks.md). init spawns it (BOOT="rpcbench").
 *
 * Under `qemu-system-arm -icount shift=0` one instruction takes one
 * virtual nanosecond and the virtual counter (CNTVCT) ticks at 62.5 MHz,
 * so one counter tick is exactly 16 instructions, and every figure here is
 * the same on every run and every host. The counter is read from user
 * space (counter_read: isb + mrrc), so no system call sits inside a
 * measured interval besides the ones being measured.
 *
 * Output: one line per figure, `BENCH <name> <instructions> <unit>`, and
 * nothing is judged: a benchmark, not a test. Exits 0 unless an RPC fails
 * (then the figure would be meaningless and the run must not look good).
 *
 * Optional argument: a scale factor in percent for the iteration counts
 * (`rpcbench 10` for a quick run); default 100.
 */
#include <aos/aos_rpc.h>
#include <aos/caps.h>
#include <aos/slot_alloc.h>
#include <aos/syscalls.h>
#include <aos/debug.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define INSTR_PER_TICK 16u      /* 1 GHz of instructions / 62.5 MHz counter */

#define ROUNDTRIP_WARMUP 100
#define ROUNDTRIP_N      1000
#define RAMCAP_WARMUP    20
#define RAMCAP_N         500    /* x 4 KiB: held by init for us until we exit */
#define STRING_BYTES     (64 * 1024)
#define STRING_WARMUP    1
#define STRING_N         8

static unsigned scale = 100;

static unsigned scaled(unsigned n)
{
    unsigned s = n * scale / 100;
    return s > 0 ? s : 1;
}

/* Instructions per operation from `ticks` over `n` operations, rounded. */
static unsigned long per_op(uint64_t ticks, uint64_t n)
{
    return (unsigned long)((ticks * INSTR_PER_TICK + n / 2) / n);
}

static void report(const char *name, unsigned long instr, const char *unit)
{
    printf("BENCH %s %lu %s\n", name, instr, unit);
}

static bool check(errval_t err, const char *what)
{
    if (err_is_fail(err)) {
        DEBUG_ERR(err, "rpcbench: %s", what);
        return false;
    }
    return true;
}

/* The cost of reading the counter twice, in ticks (normally 0 or 1):
 * reported so that the minimum below can be read against it. */
static bool bench_counter(void)
{
    uint64_t best = ~0ull, t0, t1;

    for (unsigned i = 0; i < 100; i++) {
        t0 = counter_read();
        t1 = counter_read();
        if (t1 - t0 < best) {
            best = t1 - t0;
        }
    }
    report("counter_read_pair_min", (unsigned long)(best * INSTR_PER_TICK), "instr");
    return true;
}

/*
 * (a) aos_rpc_send_number: request with a directed yield to init, init's
 * server loop, reply with a directed yield back, our wait. The mean is
 * over the whole loop (so it includes the rare timer tick or reschedule);
 * the minimum is the best single call, timed on its own.
 */
static bool bench_roundtrip(struct aos_rpc *rpc)
{
    unsigned n = scaled(ROUNDTRIP_N);
    uint64_t start, end, t0, t1, best = ~0ull;

    for (unsigned i = 0; i < ROUNDTRIP_WARMUP; i++) {
        if (!check(aos_rpc_send_number(rpc, i), "send_number (warm-up)")) {
            return false;
        }
    }
    start = counter_read();
    for (unsigned i = 0; i < n; i++) {
        errval_t err = aos_rpc_send_number(rpc, i);
        if (err_is_fail(err)) {
            return check(err, "send_number");
        }
    }
    end = counter_read();
    for (unsigned i = 0; i < n; i++) {
        t0 = counter_read();
        errval_t err = aos_rpc_send_number(rpc, i);
        t1 = counter_read();
        if (!check(err, "send_number (timed singly)")) {
            return false;
        }
        if (t1 - t0 < best) {
            best = t1 - t0;
        }
    }
    report("rpc_roundtrip", per_op(end - start, n), "instr/op");
    report("rpc_roundtrip_min", (unsigned long)(best * INSTR_PER_TICK), "instr/op");
    return true;
}

/* One RAM-cap cycle: the RPC (with its slot_alloc) and giving the slot
 * back; `mid` (if not NULL) gets the counter between the two. */
static errval_t ram_cycle(struct aos_rpc *rpc, uint64_t *mid)
{
    capaddr_t ram;
    size_t got;
    errval_t err = aos_rpc_get_ram_cap(rpc, 4096, 4096, &ram, &got);

    if (mid != NULL) {
        *mid = counter_read();
    }
    if (err_is_fail(err)) {
        return err;
    }
    err = cap_delete(ram);
    if (err_is_ok(err)) {
        err = slot_free(ram);
    }
    return err;
}

/*
 * (b) aos_rpc_get_ram_cap(4096, 4096) + cap_delete + slot_free. init
 * accounts each block to us and takes it back only when we exit, so the
 * count stays moderate (RAMCAP_N x 4 KiB). Reported for the whole cycle
 * and for the RPC alone (up to its return).
 */
static bool bench_ram_cap(struct aos_rpc *rpc)
{
    unsigned n = scaled(RAMCAP_N);
    uint64_t start, end, mid, rpc_ticks = 0;

    for (unsigned i = 0; i < RAMCAP_WARMUP; i++) {
        if (!check(ram_cycle(rpc, NULL), "get_ram_cap (warm-up)")) {
            return false;
        }
    }
    start = counter_read();
    for (unsigned i = 0; i < n; i++) {
        uint64_t t0 = counter_read();
        if (!check(ram_cycle(rpc, &mid), "get_ram_cap")) {
            return false;
        }
        rpc_ticks += mid - t0;
    }
    end = counter_read();
    report("ram_cap_request", per_op(end - start, n), "instr/op");
    report("ram_cap_rpc_only", per_op(rpc_ticks, n), "instr/op");
    return true;
}

/*
 * (c) aos_rpc_send_string of 64 KiB: 2,341 LMP messages (24 bytes in the
 * first, 28 in each following one), sent back to back until init's ring
 * is full (then the client yields to init), one reply with length and
 * FNV-1a checksum after the last, which init computes over the string.
 */
static bool bench_string(struct aos_rpc *rpc)
{
    unsigned n = scaled(STRING_N);
    char *s = malloc(STRING_BYTES + 1);
    uint64_t start, end;

    if (s == NULL) {
        printf("rpcbench: malloc(%u) failed\n", STRING_BYTES + 1);
        return false;
    }
    for (uint32_t i = 0; i < STRING_BYTES; i++) {
        s[i] = (char)(' ' + (i * 7) % 95);
    }
    s[STRING_BYTES] = '\0';
    for (unsigned i = 0; i < STRING_WARMUP; i++) {
        if (!check(aos_rpc_send_string(rpc, s), "send_string (warm-up)")) {
            free(s);
            return false;
        }
    }
    start = counter_read();
    for (unsigned i = 0; i < n; i++) {
        if (!check(aos_rpc_send_string(rpc, s), "send_string")) {
            free(s);
            return false;
        }
    }
    end = counter_read();
    free(s);
    report("string_64k_per_kib", per_op(end - start, (uint64_t)n * (STRING_BYTES / 1024)),
           "instr/KiB");
    report("string_64k", per_op(end - start, n), "instr/op");
    return true;
}

int main(int argc, char **argv)
{
    struct aos_rpc *rpc = aos_rpc_get_init_channel();

    if (argc > 1) {
        scale = (unsigned)strtoul(argv[1], NULL, 10);
        if (scale == 0) {
            scale = 100;
        }
    }
    if (rpc == NULL) {
        printf("rpcbench: no channel to init\n");
        return EXIT_FAILURE;
    }
    printf("rpcbench: %u instructions per counter tick (valid under -icount shift=0)\n",
           INSTR_PER_TICK);
    if (!bench_counter() || !bench_roundtrip(rpc) || !bench_ram_cap(rpc)
        || !bench_string(rpc)) {
        return EXIT_FAILURE;
    }
    return EXIT_SUCCESS;
}
