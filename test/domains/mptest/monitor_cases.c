/*
 * mptest's MP_MONITOR_ cases (docs/multikernel.md "The monitor"): every
 * core has a monitor no domain can kill, which never asks init for RAM
 * once up, and whose table of init's clients' pending calls to other
 * cores is freed when a client ends and drains under load. The clients
 * these cases start are mptest itself (`mptest flood`, `mptest hammer`).
 */
#include <aos/aos_rpc.h>
#include <aos/aos_rpc_wire.h>
#include <aos/dispatch.h>
#include <aos/syscalls.h>
#include <aos/caps.h>
#include <aos/lmp.h>
#include <aos/spawn.h>
#include <autarky/invocations.h>
#include <aos/utest.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "mptest.h"

/* Each monitor's RAM and page faults when MP_MONITOR_PER_CORE ran (first),
 * for MP_MONITOR_NO_RAM_AFTER_START (last): everything between is traffic
 * across cores that went through the monitors. */
static struct aos_proc_info monitor_then[CORES];
static bool monitor_then_taken;

/* Every core has its monitor (docs/multikernel.md "The monitor"): it is
 * listed, named, running on its core, and holds RAM. */
void monitor_per_core(void)
{
    domainid_t *all;
    size_t n;

    UEXPECT_OK(aos_rpc_process_get_all_pids(chan(), &all, &n));
    for (coreid_t c = 0; c < CORES; c++) {
        bool found = listed(all, n, aos_pid_monitor(c));
        if (!found) {
            free(all);
        }
        UEXPECT(found, "core %u's monitor (pid %lu) missing from %zu pids", c,
                (unsigned long)aos_pid_monitor(c), n);
    }
    free(all);
    for (coreid_t c = 0; c < CORES; c++) {
        struct aos_proc_info *info = &monitor_then[c];
        UEXPECT_OK(aos_rpc_process_get_info(chan(), aos_pid_monitor(c), info));
        bool named = strcmp(info->name, "monitor") == 0;
        free(info->name);
        info->name = NULL;
        UEXPECT(named, "core %u's monitor is not called monitor", c);
        UEXPECT_EQ("state", info->state, PROC_STATE_RUNNING);
        UEXPECT_EQ("core", info->core, c);
        UEXPECT(info->ram_bytes > 0, "core %u's monitor holds no RAM", c);
    }
    monitor_then_taken = true;
}

/* No domain ends or starts a monitor: a kill from here (a local one for
 * core 0, a forwarded one for the others) is refused like a kill of init,
 * a spawn of the module like one of init; every monitor still runs. */
void monitor_not_killable(void)
{
    struct aos_proc_info info;
    domainid_t pid;

    for (coreid_t c = 0; c < CORES; c++) {
        UEXPECT_ERR(aos_rpc_process_kill(chan(), aos_pid_monitor(c)), INIT_ERR_KILL_INIT);
        UEXPECT_ERR(aos_rpc_process_spawn(chan(), "monitor", c, &pid), INIT_ERR_NOT_SPAWNABLE);
        UEXPECT_OK(aos_rpc_process_get_info(chan(), aos_pid_monitor(c), &info));
        free(info.name);
        UEXPECT_EQ("state after the kill", info.state, PROC_STATE_RUNNING);
    }
}

/* The monitors never ask their init for RAM once up (the deadlock rule of
 * docs/multikernel.md): after all the traffic of the cases before, and a
 * burst of calls across cores now, each holds exactly the RAM and has
 * taken exactly the page faults it had at MP_MONITOR_PER_CORE. */
void monitor_no_ram_after_start(void)
{
    domainid_t pids[3 * 16], *all;
    size_t n, f, t;
    int status;

    UEXPECT(monitor_then_taken, "MP_MONITOR_PER_CORE took no snapshot");
    for (uint32_t i = 0; i < 3 * 16; i++) {
        UEXPECT_OK(aos_rpc_process_spawn(chan(), "hello --exit 0", 1 + i % 3, &pids[i]));
        UEXPECT_OK(aos_rpc_mem_stats_core(chan(), 1 + (i + 1) % 3, &f, &t));
    }
    UEXPECT_OK(aos_rpc_process_get_all_pids(chan(), &all, &n));
    free(all);
    for (uint32_t i = 0; i < 3 * 16; i++) {
        UEXPECT_OK(aos_rpc_process_wait(chan(), pids[i], &status));
    }
    for (coreid_t c = 0; c < CORES; c++) {
        struct aos_proc_info now;
        UEXPECT_OK(aos_rpc_process_get_info(chan(), aos_pid_monitor(c), &now));
        free(now.name);
        UEXPECT_EQ("a monitor's RAM", now.ram_bytes, monitor_then[c].ram_bytes);
        UEXPECT_EQ("a monitor's page faults", now.page_faults, monitor_then[c].page_faults);
    }
}

/* The monitor's table of pending calls (domains/monitor/remote_calls.h). */
#define PENDING_MAX    64
#define PER_CLIENT     8                /* REMOTE_PER_CLIENT */
#define FLOODERS       (PENDING_MAX / PER_CLIENT)
#define FLOOD_TARGETS  8                /* per core 1..3, each waited for <= 3 times */

/*
 * `mptest flood P1 P2 P3 K` (the K-th client of a round of
 * MP_MONITOR_PENDING_FREED_ON_CLIENT_END): by hand, to our monitor (its
 * binding, where such calls go), without waiting, PER_CLIENT WAITs for
 * the pids Pc + k (k < FLOOD_TARGETS, spread over the round's clients) on
 * cores 1..3, which all stay pending, then one more, which must be
 * refused with INIT_ERR_REMOTE_QUOTA before any WAIT is answered (the
 * monitor takes our calls in order). Then we stop our dispatcher
 * (get_info says STOPPED) and wait for the kill; any other outcome exits
 * with a status saying which. Prints nothing: the replies are ours to read.
 */
int flood_pending(char **argv)
{
    struct aos_rpc *rpc = aos_rpc_get_monitor_channel();  /* calls for other cores */
    uint32_t seq = 0, w[2], k = (uint32_t)atoi(argv[5]);
    struct lmp_msg m;

    if (rpc == NULL) {
        return 6;                       /* no binding to our monitor */
    }
    for (uint32_t i = 0; i <= PER_CLIENT; i++) {
        domainid_t first = (domainid_t)strtoul(argv[2 + i % 3], NULL, 10);
        w[0] = RPC_HDR(RPC_OP_PROC_WAIT, 0) | RPC_SEQ(++seq);
        w[1] = first + ((k * PER_CLIENT + i) / 3) % FLOOD_TARGETS;
        if (err_is_fail(lmp_send(rpc->ep, CPTR_NULL, 0, w, 2))) {
            return 2;
        }
    }
    do {
        lmp_recv(&m);
    } while (m.nwords == 0 || !(m.words[0] & RPC_FLAG_REPLY));
    if (RPC_HDR_SEQ(m.words[0]) != seq) {
        return 3;                       /* a WAIT was answered: not kept pending */
    }
    if (m.nwords < 3 || err_no(rpc_get_err(&m.words[1])) != INIT_ERR_REMOTE_QUOTA) {
        return 4;                       /* one more than our quota was taken */
    }
    disp_stop(CAP_DISPATCHER);
    return 5;
}

/* Wait (at most 10 s) until client `pid` stopped itself: true; false if it
 * ended (its status in *status). */
static bool flooder_stopped(domainid_t pid, int *status)
{
    uint64_t deadline = counter_read() + 10ull * 62500000;
    struct aos_proc_info info;

    for (;;) {
        memset(&info, 0, sizeof(info));
        if (err_is_fail(aos_rpc_process_get_info(chan(), pid, &info))) {
            return false;
        }
        free(info.name);
        *status = info.exit_status;
        if (info.state == PROC_STATE_STOPPED) {
            return true;
        }
        if (info.state != PROC_STATE_RUNNING || counter_read() > deadline) {
            return false;
        }
        sys_yield();
    }
}

/* FLOOD_TARGETS `busy wait` domains on each of cores 1..3 into targets[]. */
static void spawn_targets(domainid_t targets[3 * FLOOD_TARGETS])
{
    for (uint32_t i = 0; i < 3 * FLOOD_TARGETS; i++) {
        UEXPECT_OK(aos_rpc_process_spawn(chan(), "busy wait", 1 + i / FLOOD_TARGETS,
                                         &targets[i]));
    }
}

/*
 * FLOODERS clients each fill their quota with WAITs for `targets`
 * (flood_pending): after the first our own call to another core still
 * goes (one domain cannot take the table), after the last the table is
 * full and our call is refused; the clients are killed, and our call is
 * answered again. The targets must outlive this: their WAITs are then
 * never answered, so only the kills can free the slots.
 */
static void fill_table_and_kill(const domainid_t targets[3 * FLOOD_TARGETS], uint32_t round)
{
    domainid_t flooders[FLOODERS];
    char line[80];
    int status;
    size_t f, t;

    for (uint32_t k = 0; k < FLOODERS; k++) {
        snprintf(line, sizeof(line), "mptest flood %lu %lu %lu %lu", (unsigned long)targets[0],
                 (unsigned long)targets[FLOOD_TARGETS],
                 (unsigned long)targets[2 * FLOOD_TARGETS], (unsigned long)k);
        UEXPECT_OK(aos_rpc_process_spawn(chan(), line, 0, &flooders[k]));
        bool stopped = flooder_stopped(flooders[k], &status);
        UEXPECT(stopped, "round %lu: client %lu did not fill its quota (status %d)",
                (unsigned long)round, (unsigned long)k, status);
        if (k == 0) {
            UEXPECT_OK(aos_rpc_mem_stats_core(chan(), 1, &f, &t));
        }
    }
    UEXPECT_ERR(aos_rpc_mem_stats_core(chan(), 1, &f, &t), INIT_ERR_TOO_MANY_REMOTE);
    for (uint32_t k = 0; k < FLOODERS; k++) {
        UEXPECT_OK(aos_rpc_process_kill(chan(), flooders[k]));
        UEXPECT_OK(aos_rpc_process_wait(chan(), flooders[k], &status));
    }
    UEXPECT_OK(aos_rpc_mem_stats_core(chan(), 1, &f, &t));
}

/* Kill and reap `n` targets. */
static void end_targets(const domainid_t *targets, uint32_t n)
{
    int status;

    for (uint32_t i = 0; i < n; i++) {
        UEXPECT_OK(aos_rpc_process_kill(chan(), targets[i]));
        UEXPECT_OK(aos_rpc_process_wait(chan(), targets[i], &status));
    }
}

/*
 * The monitor keeps at most PENDING_MAX calls of core 0's clients, at most
 * PER_CLIENT of one client; a client killed while its calls wait must
 * give all of them back. Three
 * rounds of fill_table_and_kill, each with targets of its own kept until
 * the end: a slot kept for a killed client makes the next round's client
 * fail. Then get_all_pids lists all the 3 * 3 * FLOOD_TARGETS targets (an
 * answer longer than one inter-core message) and every core's RAM is back.
 */
void monitor_pending_freed_on_client_end(void)
{
    domainid_t targets[3][3 * FLOOD_TARGETS], *all;
    size_t before[CORES], after[CORES], n;

    UEXPECT(free_per_core(before), "free RAM per core");
    for (uint32_t round = 0; round < 3; round++) {
        spawn_targets(targets[round]);
        fill_table_and_kill(targets[round], round);
    }
    UEXPECT_OK(aos_rpc_process_get_all_pids(chan(), &all, &n));
    bool every = true;
    for (uint32_t r = 0; r < 3; r++) {
        for (uint32_t i = 0; i < 3 * FLOOD_TARGETS; i++) {
            every &= listed(all, n, targets[r][i]);
        }
    }
    free(all);
    UEXPECT(every, "a target is missing from the %zu pids", n);
    end_targets(&targets[0][0], 3 * 3 * FLOOD_TARGETS);
    UEXPECT(free_per_core(after), "free RAM per core");
    for (coreid_t c = 0; c < CORES; c++) {
        UEXPECT_EQ("free RAM of the core, back", after[c], before[c]);
    }
}

#define HAMMERS        6
#define HAMMER_ROUNDS  40

/*
 * `mptest hammer N` (a client of MP_MONITOR_PENDING_DRAINS_UNDER_LOAD): N
 * rounds of calls across cores, each answered: a spawn of nop on core
 * 1..3, its name, another core's mem stats, its wait, and every tenth
 * round get_all_pids. Exits 0, or the round (+1) whose call failed.
 */
int hammer(uint32_t rounds)
{
    for (uint32_t i = 0; i < rounds; i++) {
        coreid_t core = (coreid_t)(1 + (i + spawn_my_pid()) % 3);
        domainid_t pid, *all;
        size_t f, t, n;
        char *name;
        int status;
        if (err_is_fail(aos_rpc_process_spawn(chan(), "nop", core, &pid))
            || err_is_fail(aos_rpc_process_get_name(chan(), pid, &name))) {
            return 1 + (int)i;
        }
        free(name);
        if (err_is_fail(aos_rpc_mem_stats_core(chan(), 1 + core % 3, &f, &t))
            || err_is_fail(aos_rpc_process_wait(chan(), pid, &status)) || status != 0) {
            return 1 + (int)i;
        }
        if (i % 10 == 0 && err_is_fail(aos_rpc_process_get_all_pids(chan(), &all, &n))) {
            return 1 + (int)i;
        }
        if (i % 10 == 0) {
            free(all);
        }
    }
    return 0;
}

/*
 * HAMMERS clients on core 0 call across cores at once, HAMMER_ROUNDS
 * rounds each; every call is answered (a client that got an error exits
 * with its round). Afterwards the table is empty again: a client can
 * still fill all of it (fill_table_and_kill), and every core's RAM is back.
 */
void monitor_pending_drains_under_load(void)
{
    domainid_t clients[HAMMERS], targets[3 * FLOOD_TARGETS];
    size_t before[CORES], after[CORES];
    char line[32];

    UEXPECT(free_per_core(before), "free RAM per core");
    snprintf(line, sizeof(line), "mptest hammer %u", HAMMER_ROUNDS);
    for (uint32_t i = 0; i < HAMMERS; i++) {
        UEXPECT_OK(aos_rpc_process_spawn(chan(), line, 0, &clients[i]));
    }
    for (uint32_t i = 0; i < HAMMERS; i++) {
        int status = -1;
        UEXPECT_OK(aos_rpc_process_wait(chan(), clients[i], &status));
        UEXPECT_EQ("a client's exit status (0, or its failed round + 1)", status, 0);
    }
    spawn_targets(targets);
    fill_table_and_kill(targets, 0);
    end_targets(targets, 3 * FLOOD_TARGETS);
    UEXPECT(free_per_core(after), "free RAM per core");
    for (coreid_t c = 0; c < CORES; c++) {
        UEXPECT_EQ("free RAM of the core, back", after[c], before[c]);
    }
}

