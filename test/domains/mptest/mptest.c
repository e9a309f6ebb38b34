/*
 * mptest: the MP_ cases for processes across cores (docs/multikernel.md,
 * "Processes across cores"), run on core 0 against the process interface
 * of include/aos/aos_rpc.h. Needs a machine of 4 cores (the `mp` suite).
 * `mptest dead N`: the cases for a core whose init died (`mp-dead`).
 * `mptest flood P1 P2 P3 K` and `mptest hammer N`: clients the
 * MP_MONITOR_PENDING_ cases start (flood_pending, hammer); `mptest
 * bindpeer N`: the one the MP_BINDING_ cases start (binding_cases.c).
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

struct aos_rpc *chan(void)
{
    return aos_rpc_get_process_channel();
}

/* Free RAM of every core's memory server. */
bool free_per_core(size_t out[CORES])
{
    for (coreid_t c = 0; c < CORES; c++) {
        size_t total;
        if (err_is_fail(aos_rpc_mem_stats_core(chan(), c, &out[c], &total))) {
            return false;
        }
    }
    return true;
}

void pause_ms(uint32_t ms)
{
    uint64_t until = counter_read() + (uint64_t)ms * (62500000 / 1000);

    while (counter_read() < until) {
        sys_yield();
    }
}

bool listed(const domainid_t *pids, size_t n, domainid_t pid)
{
    for (size_t i = 0; i < n; i++) {
        if (pids[i] == pid) {
            return true;
        }
    }
    return false;
}

/* hello on every core: its pid says its core, get_info and get_name
 * answer from there, wait gives its status, its RAM comes back there. */
static void spawn_each_core(void)
{
    size_t before[CORES], after[CORES];

    UEXPECT(free_per_core(before), "free RAM per core");
    for (coreid_t c = 0; c < CORES; c++) {
        struct aos_proc_info info;
        domainid_t pid;
        char line[32], *name;
        int status = -1;

        snprintf(line, sizeof(line), "hello --exit %u", 10 + c);
        UEXPECT_OK(aos_rpc_process_spawn(chan(), line, c, &pid));
        UEXPECT_EQ("core of the pid", aos_pid_core(pid), c);
        UEXPECT_OK(aos_rpc_process_get_name(chan(), pid, &name));
        UEXPECT(strcmp(name, line) == 0, "name '%s' of pid %lu", name, (unsigned long)pid);
        free(name);
        UEXPECT_OK(aos_rpc_process_wait(chan(), pid, &status));
        UEXPECT_EQ("exit status", status, 10 + c);
        UEXPECT_OK(aos_rpc_process_get_info(chan(), pid, &info));
        free(info.name);
        UEXPECT_EQ("state", info.state, PROC_STATE_EXITED);
        UEXPECT_EQ("core", info.core, c);
    }
    UEXPECT(free_per_core(after), "free RAM per core");
    for (coreid_t c = 0; c < CORES; c++) {
        UEXPECT_EQ("free RAM of the core, back", after[c], before[c]);
    }
}

/* A busy domain on every core: get_all_pids lists them and every init;
 * each is killed from here and its end seen by wait. */
static void list_kill_wait_across(void)
{
    domainid_t pids[CORES], *all;
    size_t n;

    for (coreid_t c = 0; c < CORES; c++) {
        UEXPECT_OK(aos_rpc_process_spawn(chan(), "busy", c, &pids[c]));
    }
    UEXPECT_OK(aos_rpc_process_get_all_pids(chan(), &all, &n));
    for (coreid_t c = 0; c < CORES; c++) {
        bool both = listed(all, n, pids[c]) && listed(all, n, c * AOS_PID_CORE_STRIDE);
        if (!both) {
            free(all);
        }
        UEXPECT(both, "pid %lu or core %u's init missing from %zu pids",
                (unsigned long)pids[c], c, n);
    }
    free(all);
    for (coreid_t c = 0; c < CORES; c++) {
        int status = 0;
        UEXPECT_OK(aos_rpc_process_kill(chan(), pids[c]));
        UEXPECT_ERR(aos_rpc_process_kill(chan(), pids[c]), INIT_ERR_ALREADY_ENDED);
        UEXPECT_OK(aos_rpc_process_wait(chan(), pids[c], &status));
        UEXPECT_EQ("status of a killed domain", status, (uint32_t)AOS_RPC_STATUS_KILLED);
    }
}

/* Every bad core and pid gets its own error, and nothing hangs. */
static void bad_cores_and_pids(void)
{
    domainid_t pid;
    char *name;
    int status;
    size_t f, t;

    UEXPECT_ERR(aos_rpc_process_spawn(chan(), "hello", CORES, &pid), INIT_ERR_NO_SUCH_CORE);
    UEXPECT_ERR(aos_rpc_process_spawn(chan(), "nosuchmodule", 2, &pid),
                INIT_ERR_NO_SUCH_MODULE);
    UEXPECT_ERR(aos_rpc_process_spawn(chan(), "init", 3, &pid), INIT_ERR_NOT_SPAWNABLE);
    UEXPECT_ERR(aos_rpc_process_get_name(chan(), 2999998, &name), INIT_ERR_NO_SUCH_PID);
    UEXPECT_ERR(aos_rpc_process_kill(chan(), 1 * AOS_PID_CORE_STRIDE), INIT_ERR_KILL_INIT);
    UEXPECT_ERR(aos_rpc_process_kill(chan(), 7 * AOS_PID_CORE_STRIDE + 1), INIT_ERR_NO_SUCH_PID);
    UEXPECT_ERR(aos_rpc_process_wait(chan(), 3 * AOS_PID_CORE_STRIDE, &status),
                INIT_ERR_KILL_INIT);
    UEXPECT_ERR(aos_rpc_process_wait(chan(), 0xffffffffu, &status), INIT_ERR_NO_SUCH_PID);
    UEXPECT_ERR(aos_rpc_mem_stats_core(chan(), CORES, &f, &t), INIT_ERR_NO_SUCH_CORE);
    UEXPECT_OK(aos_rpc_process_get_name(chan(), 2 * AOS_PID_CORE_STRIDE, &name));
    UEXPECT(strcmp(name, "init") == 0, "core 2's init is called '%s'", name);
    free(name);
}

/* A core's doorbells are a fixed table, not RAM: a domain that could take
 * them itself (1,023 dispatchers it made, a doorbell each) would leave no
 * other domain on its core a way to be woken. So only init hands them out
 * (KERNELCMD_DOORBELL, docs/safety.md rule 11); the old dispatcher command
 * is gone. */
static void doorbell_only_from_init(void)
{
    uint32_t db = 0;

    UEXPECT_ERR(disp_doorbell(CAP_DISPATCHER, &db), SYS_ERR_SLOT_EMPTY);
    UEXPECT_ERR(sys_invoke(CAP_DISPATCHER, DISPCMD_GET_STATE + 1, 0, 0, 0, 0, 0).err,
                SYS_ERR_ILLEGAL_INVOCATION);
    UEXPECT_EQ("doorbell", db, 0);
}

/* xorshift32: the same sequence every run. */
static uint32_t next_random(uint32_t *state)
{
    uint32_t x = *state;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return *state = x;
}

#define ROUNDS 1000
#define ALIVE_MAX 8

/*
 * 1,000 spawns round robin over the four cores, each a `hello` that exits
 * or a `busy` that is killed at a random point (up to 8 alive at once,
 * the oldest killed or waited for as the window slides); afterwards every
 * core's free RAM is exactly where it started.
 */
static void spawn_1000_round_robin(void)
{
    size_t before[CORES], after[CORES];
    domainid_t alive[ALIVE_MAX];
    bool busy[ALIVE_MAX];
    uint32_t nalive = 0, rnd = 12345, kills = 0;

    UEXPECT(free_per_core(before), "free RAM per core");
    for (uint32_t i = 0; i < ROUNDS; i++) {
        coreid_t core = (coreid_t)(i % CORES);
        bool spin = next_random(&rnd) % 3 == 0;
        domainid_t pid;
        int status;

        if (nalive == ALIVE_MAX || (nalive > 0 && next_random(&rnd) % 4 == 0)) {
            uint32_t k = next_random(&rnd) % nalive;    /* end one of them */
            if (busy[k]) {
                UEXPECT_OK(aos_rpc_process_kill(chan(), alive[k]));
                kills++;
            }
            UEXPECT_OK(aos_rpc_process_wait(chan(), alive[k], &status));
            UEXPECT_EQ("status", status, busy[k] ? (uint32_t)AOS_RPC_STATUS_KILLED : 0);
            alive[k] = alive[--nalive];
            busy[k] = busy[nalive];
        }
        UEXPECT_OK(aos_rpc_process_spawn(chan(), spin ? "busy" : "nop", core, &pid));
        UEXPECT_EQ("core of the pid", aos_pid_core(pid), core);
        alive[nalive] = pid;
        busy[nalive++] = spin;
    }
    while (nalive > 0) {
        int status;
        nalive--;
        if (busy[nalive]) {
            UEXPECT_OK(aos_rpc_process_kill(chan(), alive[nalive]));
        }
        UEXPECT_OK(aos_rpc_process_wait(chan(), alive[nalive], &status));
    }
    UEXPECT(free_per_core(after), "free RAM per core");
    for (coreid_t c = 0; c < CORES; c++) {
        UEXPECT_EQ("free RAM of the core after 1,000 spawns", after[c], before[c]);
    }
    printf("mptest: 1,000 spawns on 4 cores, %lu killed\n", (unsigned long)kills);
}

/* Free and total RAM of core `core`'s memory server. */
static bool stats_of(coreid_t core, size_t *free_bytes, size_t *total_bytes)
{
    return err_is_ok(aos_rpc_mem_stats_core(chan(), core, free_bytes, total_bytes));
}

/*
 * A domain on core 1 touches 160 MiB, far more than the core started
 * with: core 1's memory server asks core 0 for more (KERNELCMD_GIVE_RAM,
 * KERNELCMD_CLAIM_RAM), the domain gets all of it, and after its kill
 * every byte is free on core 1, which keeps what it was given: core 1's
 * total grew by exactly what core 0's shrank.
 */
static void ram_moves_to_core_running_short(void)
{
    size_t f0, t0, f1, t1, f0b, t0b, f1b, t1b;
    struct aos_proc_info info;
    domainid_t pid;
    int status;
    uint64_t deadline = counter_read() + 30ull * 62500000;

    UEXPECT(stats_of(0, &f0, &t0) && stats_of(1, &f1, &t1), "RAM of cores 0 and 1");
    UEXPECT(f1 < (160u << 20), "core 1 already has %zu bytes free", f1);
    UEXPECT_OK(aos_rpc_process_spawn(chan(), "busy 160", 1, &pid));
    do {
        memset(&info, 0, sizeof(info));
        UEXPECT_OK(aos_rpc_process_get_info(chan(), pid, &info));
        free(info.name);
        UEXPECT(info.state == PROC_STATE_RUNNING, "busy 160 on core 1 ended (state %u)",
                info.state);
        UEXPECT(counter_read() < deadline, "busy 160 holds only %zu bytes after 30 s",
                info.ram_bytes);
        sys_yield();
    } while (info.ram_bytes < (160u << 20));
    UEXPECT_OK(aos_rpc_process_kill(chan(), pid));
    UEXPECT_OK(aos_rpc_process_wait(chan(), pid, &status));
    UEXPECT(stats_of(0, &f0b, &t0b) && stats_of(1, &f1b, &t1b), "RAM of cores 0 and 1");
    UEXPECT(t1b > t1, "core 1's total did not grow (%zu -> %zu)", t1, t1b);
    UEXPECT_EQ("core 0's total shrank by what core 1's grew", t0 - t0b, t1b - t1);
    UEXPECT_EQ("core 0's free RAM, less what it gave", f0 - f0b, t1b - t1);
    UEXPECT_EQ("core 1's free RAM, all back plus what it got", f1b - f1, t1b - t1);
}

static const struct utest_case cases[] = {
    { "MP_MONITOR_PER_CORE", monitor_per_core },
    { "MP_MONITOR_NOT_KILLABLE", monitor_not_killable },
    { "MP_BINDING_PING_OWN_PID", binding_ping_own_pid },
    { "MP_BINDING_ANSWERS_OWN_ENDPOINT", binding_answers_own_endpoint },
    { "MP_BINDING_BADGE_IS_SENDER", binding_badge_is_sender },
    { "MP_BINDING_BAD_MESSAGES", binding_bad_messages },
    { "MP_BINDING_PLACES_COME_BACK", binding_places_come_back },
    { "MP_BINDING_UNREAD_REPLIES_DROPPED", binding_unread_replies_dropped },
    { "MP_BINDING_MADE_ON_FIRST_USE", binding_made_on_first_use },
    { "MP_BINDING_PROMPT_BEFORE_ROUTED_CALL", binding_prompt_before_routed_call },
    { "MP_BINDING_CALLS_GO_TO_ONE_SERVER", binding_calls_go_to_one_server },
    { "MP_BINDING_SPAWN_CHECKED_BY_MONITOR", binding_spawn_checked_by_monitor },
    { "MP_BINDING_PID_CALLS_GO_TO_ONE_SERVER", binding_pid_calls_go_to_one_server },
    { "MP_BINDING_LONG_ANSWER_STAYS_WITH_CLIENT", binding_long_answer_stays_with_client },
    { "MP_BINDING_PULL_NEVER_CROSSES_ANSWERS", binding_pull_never_crosses_answers },
    { "MP_SPAWN_EACH_CORE", spawn_each_core },
    { "MP_LIST_KILL_WAIT_ACROSS_CORES", list_kill_wait_across },
    { "MP_BAD_CORES_AND_PIDS", bad_cores_and_pids },
    { "MP_DOORBELL_ONLY_FROM_INIT", doorbell_only_from_init },
    { "MP_SPAWN_1000_ROUND_ROBIN", spawn_1000_round_robin },
    { "MP_RAM_MOVES_TO_CORE_RUNNING_SHORT", ram_moves_to_core_running_short },
    { "MP_MONITOR_PENDING_FREED_ON_CLIENT_END", monitor_pending_freed_on_client_end },
    { "MP_MONITOR_PENDING_DRAINS_UNDER_LOAD", monitor_pending_drains_under_load },
    { "MP_MONITOR_NO_RAM_AFTER_START", monitor_no_ram_after_start },
    { "MP_ENDED_REMOTE_WAITERS_FREE_THEIR_PLACE", ended_remote_waiters_free_their_place },
    { "MP_ONE_REMOTE_WAIT_PER_WAITER", one_remote_wait_per_waiter },
    { "MP_ONE_REMOTE_GETCHAR_PER_CLIENT", one_remote_getchar_per_client },
    UTEST_END
};

/* `mptest dead N` runs after init killed core N's init (boot command
 * kill-core-init N): the other cores carry on, core N refuses. */
static coreid_t dead_core;

static void dead_core_refuses(void)
{
    domainid_t pid, *all, its_pid = dead_core * AOS_PID_CORE_STRIDE + 1;
    struct aos_proc_info info;
    char *name;
    int status;
    size_t n, f, t;

    UEXPECT_ERR(aos_rpc_process_spawn(chan(), "hello", dead_core, &pid), INIT_ERR_CORE_DEAD);
    UEXPECT_ERR(aos_rpc_process_kill(chan(), its_pid), INIT_ERR_CORE_DEAD);
    UEXPECT_ERR(aos_rpc_process_wait(chan(), its_pid, &status), INIT_ERR_CORE_DEAD);
    UEXPECT_ERR(aos_rpc_process_get_info(chan(), its_pid, &info), INIT_ERR_CORE_DEAD);
    UEXPECT_ERR(aos_rpc_process_get_name(chan(), dead_core * AOS_PID_CORE_STRIDE, &name),
                INIT_ERR_CORE_DEAD);
    UEXPECT_ERR(aos_rpc_mem_stats_core(chan(), dead_core, &f, &t), INIT_ERR_CORE_DEAD);
    UEXPECT_OK(aos_rpc_process_get_all_pids(chan(), &all, &n));
    bool dead_listed = listed(all, n, dead_core * AOS_PID_CORE_STRIDE);
    bool others = true;
    for (coreid_t c = 0; c < CORES; c++) {
        others &= c == dead_core || listed(all, n, c * AOS_PID_CORE_STRIDE);
    }
    free(all);
    UEXPECT(!dead_listed, "the dead core's init is still listed");
    UEXPECT(others, "an init of a live core is missing");
}

/* Every other core still spawns, and gives all its RAM back. */
static void other_cores_live_on(void)
{
    for (coreid_t c = 0; c < CORES; c++) {
        size_t before, after, total;
        domainid_t pid;
        int status = -1;
        if (c == dead_core) {
            continue;
        }
        UEXPECT_OK(aos_rpc_mem_stats_core(chan(), c, &before, &total));
        UEXPECT_OK(aos_rpc_process_spawn(chan(), "hello --exit 4", c, &pid));
        UEXPECT_OK(aos_rpc_process_wait(chan(), pid, &status));
        UEXPECT_EQ("exit status", status, 4);
        UEXPECT_OK(aos_rpc_mem_stats_core(chan(), c, &after, &total));
        UEXPECT_EQ("free RAM back", after, before);
    }
}

/* Core 1's pids that `mptest deadwait` may have started its waiter as. */
#define DEADWAIT_SEARCH 32

/*
 * `mptest deadwait N` (before kill-core-init N): a `busy wait` on core N
 * and, on core 1, `mptest waitfor PID`, whose wait for it is pending in
 * core 1's monitor when core N's init dies (we give it 100 ms to get
 * there). Both stay; MP_DEAD_CORE_ANSWERS_PENDING looks for the waiter.
 */
static int deadwait_setup(coreid_t core)
{
    domainid_t target, waiter;
    char line[48];

    if (err_is_fail(aos_rpc_process_spawn(chan(), "busy wait", core, &target))) {
        return 1;
    }
    snprintf(line, sizeof(line), "mptest waitfor %lu", (unsigned long)target);
    if (err_is_fail(aos_rpc_process_spawn(chan(), line, 1, &waiter))) {
        return 1;
    }
    pause_ms(100);
    return 0;
}

/* `mptest waitfor PID`: 0 if the wait for PID fails with INIT_ERR_CORE_DEAD. */
static int waitfor(domainid_t pid)
{
    int status;

    return err_no(aos_rpc_process_wait(chan(), pid, &status)) == INIT_ERR_CORE_DEAD ? 0 : 1;
}

/* The wait that was pending on the dead core when it died was answered
 * with INIT_ERR_CORE_DEAD: its client ended with status 0. */
static void dead_core_answers_pending(void)
{
    domainid_t waiter = 0;

    for (domainid_t pid = AOS_PID_CORE_STRIDE + 1;
         pid <= AOS_PID_CORE_STRIDE + DEADWAIT_SEARCH && waiter == 0; pid++) {
        char *name;
        if (err_is_ok(aos_rpc_process_get_name(chan(), pid, &name))) {
            if (strncmp(name, "mptest waitfor ", 15) == 0) {
                waiter = pid;
            }
            free(name);
        }
    }
    UEXPECT(waiter != 0, "no `mptest waitfor` among core 1's first %u pids", DEADWAIT_SEARCH);
    int status = -1;
    UEXPECT_OK(aos_rpc_process_wait(chan(), waiter, &status));
    UEXPECT_EQ("the waiter's status (0: its wait got INIT_ERR_CORE_DEAD)", status, 0);
}

/*
 * `mptest alone` (two cores, after kill-core-init 1): no other core is
 * left to ask, so our monitor's part of get_all_pids is empty, and the
 * list is our own core's: our init and us, nothing of core 1.
 */
static void last_core_lists_itself(void)
{
    domainid_t *all;
    size_t n;
    bool other_core = false;

    UEXPECT_OK(aos_rpc_process_get_all_pids(chan(), &all, &n));
    for (size_t i = 0; i < n; i++) {
        other_core |= aos_pid_core(all[i]) != 0;
    }
    bool init_listed = listed(all, n, 0), me_listed = listed(all, n, spawn_my_pid());
    free(all);
    UEXPECT(init_listed && me_listed && !other_core,
            "listed: init %d, us %d, a pid of another core %d", init_listed, me_listed,
            other_core);
}

static const struct utest_case alone_cases[] = {
    { "MP_LAST_CORE_LISTS_ITSELF", last_core_lists_itself },
    { "MP_INPUT_NOT_LOST_TO_DEAD_CORE", input_not_lost_to_dead_core },
    UTEST_END
};

static const struct utest_case killed_reader_cases[] = {
    { "MP_KILLED_READER_TAKES_NO_INPUT", killed_reader_takes_no_input },
    UTEST_END
};

static const struct utest_case dead_cases[] = {
    { "MP_DEAD_CORE_REFUSES", dead_core_refuses },
    { "MP_DEAD_CORE_ANSWERS_PENDING", dead_core_answers_pending },
    { "MP_OTHER_CORES_LIVE_ON", other_cores_live_on },
    UTEST_END
};

int main(int argc, char **argv)
{
    if (argc == 6 && strcmp(argv[1], "flood") == 0) {
        return flood_pending(argv);
    }
    if (argc == 3 && strcmp(argv[1], "deadwait") == 0) {
        return deadwait_setup((coreid_t)atoi(argv[2]));
    }
    if (argc == 3 && strcmp(argv[1], "readon") == 0) {
        return readon_setup((coreid_t)atoi(argv[2]));
    }
    if (argc == 2 && strcmp(argv[1], "readchar") == 0) {
        return read_char();
    }
    if (argc == 2 && strcmp(argv[1], "getchars") == 0) {
        return getchars_by_hand();
    }
    if (argc == 3 && strcmp(argv[1], "waitok") == 0) {
        return wait_ok((domainid_t)strtoul(argv[2], NULL, 10));
    }
    if (argc == 3 && strcmp(argv[1], "waitfor") == 0) {
        return waitfor((domainid_t)strtoul(argv[2], NULL, 10));
    }
    if (argc == 3 && strcmp(argv[1], "bindpeer") == 0) {
        return bind_peer((uint32_t)atoi(argv[2]));
    }
    if (argc == 3 && strcmp(argv[1], "halfname") == 0) {
        return half_name((domainid_t)strtoul(argv[2], NULL, 10));
    }
    if (argc == 2 && strcmp(argv[1], "pullonly") == 0) {
        return pull_only();
    }
    if (argc == 2 && strcmp(argv[1], "bindlazy") == 0) {
        return bind_lazy_peer();
    }
    if (argc == 3 && strcmp(argv[1], "hammer") == 0) {
        return hammer((uint32_t)atoi(argv[2]));
    }
    if (argc == 2 && strcmp(argv[1], "alone") == 0) {
        utest_run(alone_cases);
    } else if (argc == 2 && strcmp(argv[1], "readkilled") == 0) {
        utest_run(killed_reader_cases);
    } else if (argc == 3 && strcmp(argv[1], "dead") == 0) {
        dead_core = (coreid_t)atoi(argv[2]);
        utest_run(dead_cases);
    } else {
        utest_run(cases);
    }
    return utest_finish();
}
