/*
 * PROC_FUZZ_LIFE: child domains that misuse their own dispatcher and end
 * in every way, judged through init's process calls (issue 9, item 3 and
 * its class; docs/safety.md rules 6-7: whoever starts a domain learns of
 * its end; a stopped domain is still a domain).
 *
 * What a domain does to itself would end the fuzzer, so children do it:
 * `busy life SEED END [STATUS]` (test/domains/busy) first tries a few random
 * things on its own dispatcher capability, drawn from SEED (remove its
 * exit endpoint, point it at an endpoint of its own, mint copies with
 * fewer rights and act through them, revoke it), then ends as END says:
 *
 *   exit S   returns S from main             init: EXITED, status S
 *   null     a NULL dereference              EXITED, status 1 (the runtime)
 *   fault    a fault while disabled          KILLED (the kernel kills it)
 *   stop     stops its own dispatcher        STOPPED, until killed
 *   wait     waits for a message nobody sends   RUNNING, until killed
 *   spin     computes for ever               RUNNING, until killed
 *
 * The sequence keeps up to three children at a time and, at random, starts
 * one, asks init about one (get_info, and whether get_all_pids lists it),
 * kills one, or settles one (waits, boundedly, until init shows its end,
 * then kills it if it still lives and waits for it). A state its END does
 * not allow is a finding, and so is a child init still shows running
 * DEADLINE_S seconds after it started although it must have ended or
 * stopped by then: init never learned. The fuzzer itself never blocks on
 * a child that might not end (no `wait` before the end is visible), so a
 * finding is a line, never a hang. At the end every byte is back: free RAM
 * plus what the fuzzer holds is what it was.
 */
#include "fuzz.h"
#include <aos/spawn.h>
#include <aos/aos_rpc.h>
#include <aos/syscalls.h>
#include <aos/dispatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHILDREN    (6 * fz_rounds)
#define LIVE_MAX    3
#define COUNTER_HZ  62500000u       /* QEMU virt's generic timer (CNTFRQ) */
#define DEADLINE_S  10u             /* far beyond any end, even on a loaded host */

enum end { END_EXIT, END_NULL, END_FAULT, END_STOP, END_WAIT, END_SPIN, END_COUNT };
static const char *const end_names[] = { "exit", "null", "fault", "stop", "wait", "spin" };

struct child {
    domainid_t pid;
    enum end end;
    int status;                     /* END_EXIT: the status it returns */
    uint64_t started;
    bool killed;                    /* our kill succeeded */
    char cmd[48];
};

static struct child kids[LIVE_MAX];
static uint32_t live, spawned, polls;

static struct aos_rpc *chan(void)
{
    return aos_rpc_get_process_channel();
}

/* init's view of `pid`: its state (0 if get_info fails) and exit status. */
static enum proc_state state_of(domainid_t pid, int *status, size_t *ram)
{
    struct aos_proc_info info;

    memset(&info, 0, sizeof(info));
    polls++;
    if (err_is_fail(fz_call(aos_rpc_process_get_info(chan(), pid, &info), "get_info"))) {
        return 0;
    }
    free(info.name);
    *status = info.exit_status;
    if (ram != NULL) {
        *ram = info.ram_bytes;
    }
    return info.state;
}

static bool listed(domainid_t pid)
{
    domainid_t *pids;
    size_t n;
    bool found = false;

    if (err_is_ok(fz_call(aos_rpc_process_get_all_pids(chan(), &pids, &n), "get_all_pids"))) {
        for (size_t i = 0; i < n; i++) {
            found |= pids[i] == pid;
        }
        free(pids);
    }
    return found;
}

/* Free RAM of the memory server plus what the fuzzer holds: constant while
 * no child lives. */
static size_t ram_total(void)
{
    size_t free_bytes = 0, total, mine = 0;
    int status;

    fz_call(aos_rpc_mem_stats(chan(), &free_bytes, &total), "mem_stats");
    state_of(spawn_my_pid(), &status, &mine);
    return free_bytes + mine;
}

static const char *state_name(enum proc_state s)
{
    static const char *const names[] = { "unknown", "running", "exited", "killed", "stopped" };
    return (unsigned)s < 5 ? names[s] : "?";
}

/*
 * May `k` be in `state` (with `status`) now? Returns true when the state
 * is its end (nothing more will change but a kill); a state the child's
 * END does not allow, or one it should have left by the deadline, is a
 * finding.
 */
static bool judge(struct child *k, enum proc_state state, int status)
{
    bool late = counter_read() - k->started > (uint64_t)DEADLINE_S * COUNTER_HZ;
    bool ok, final;

    switch (state) {
    case PROC_STATE_RUNNING:
        ok = k->end == END_WAIT || k->end == END_SPIN || !late;
        ok &= !k->killed;
        final = k->end == END_WAIT || k->end == END_SPIN;
        break;
    case PROC_STATE_STOPPED:
        /* a domain that exits sends EXIT and then stops: until init has
         * read the EXIT it shows the domain stopped (init may be preempted
         * between the two), so an exiting child may be seen stopped for a
         * moment, never for good */
        ok = !k->killed && (k->end == END_STOP
                            || ((k->end == END_EXIT || k->end == END_NULL) && !late));
        final = k->end == END_STOP;
        break;
    case PROC_STATE_EXITED:
        ok = (k->end == END_EXIT && status == k->status) || (k->end == END_NULL && status == 1);
        final = true;
        break;
    case PROC_STATE_KILLED:
        ok = k->killed || k->end == END_FAULT;
        final = true;
        break;
    default:
        ok = final = false;
        break;
    }
    if (!ok) {
        const char *why = "";
        if (state == PROC_STATE_RUNNING && !k->killed) {
            why = k->end == END_STOP ? ", though it stopped itself: init cannot tell"
                                     : ", though it must have ended: init never learned";
        }
        fz_fail("pid %lu (`%s`%s) is %s%s %lu ms after it started%s", (unsigned long)k->pid,
                k->cmd, k->killed ? ", killed" : "", state_name(state),
                state == PROC_STATE_EXITED ? " with that status" : "",
                (unsigned long)((counter_read() - k->started) / (COUNTER_HZ / 1000)), why);
    }
    return final;
}

static void spawn_one(void)
{
    struct child *k = &kids[live];

    k->end = (enum end)(rnd() % END_COUNT);
    k->status = (int)(rnd() % 100);
    k->killed = false;
    snprintf(k->cmd, sizeof(k->cmd), "busy life %lu %s %d", (unsigned long)(rnd() % 100000),
             end_names[k->end], k->status);
    k->started = counter_read();
    if (err_is_ok(fz_call(aos_rpc_process_spawn(chan(), k->cmd, 0, &k->pid), "spawn"))) {
        live++;
    }
    spawned++;
}

static void poll_one(struct child *k)
{
    int status;
    enum proc_state s = state_of(k->pid, &status, NULL);

    judge(k, s, status);
    if (!fz_failed && chance(30) && listed(k->pid) != proc_state_alive(s)) {
        /* it may have ended between the two calls: ask again */
        enum proc_state again = state_of(k->pid, &status, NULL);
        if (proc_state_alive(again) == proc_state_alive(s)) {
            fz_fail("pid %lu (`%s`) is %s, but get_all_pids %s it", (unsigned long)k->pid,
                    k->cmd, state_name(s), proc_state_alive(s) ? "does not list" : "lists");
        }
    }
}

static void kill_one(struct child *k)
{
    errval_t err = fz_call(aos_rpc_process_kill(chan(), k->pid), "kill");

    if (err_is_ok(err)) {
        k->killed = true;
    } else if (err_no(err) != INIT_ERR_ALREADY_ENDED) {
        fz_fail("kill of pid %lu (`%s`) answered %s", (unsigned long)k->pid, k->cmd,
                err_getcode(err_no(err)));
    }
}

/* Wait (boundedly) until init shows `k`'s end, kill it if it still lives,
 * wait for it, and check the status; it leaves the table. */
static void settle(uint32_t i)
{
    struct child *k = &kids[i];
    enum proc_state s;
    int status, waited = 0, yields = 0;

    do {
        uint64_t next = counter_read() + COUNTER_HZ / 1000;
        while (counter_read() < next) {
            sys_yield();            /* ask about once a millisecond */
        }
        s = state_of(k->pid, &status, NULL);
    } while (!judge(k, s, status) && !fz_failed);
    while (!fz_failed && s == PROC_STATE_RUNNING && yields++ < 20) {
        sys_yield();                /* a waiting or spinning child: give it time */
        judge(k, s = state_of(k->pid, &status, NULL), status);
    }
    if (fz_failed) {
        kill_one(k);                /* clean up after a finding */
    } else if (proc_state_alive(s)) {
        kill_one(k);
    }
    if (!fz_failed || k->killed) {
        fz_call(aos_rpc_process_wait(chan(), k->pid, &waited), "wait");
        s = state_of(k->pid, &status, NULL);
        if (!fz_failed && (s == PROC_STATE_KILLED) != (waited == AOS_RPC_STATUS_KILLED)) {
            fz_fail("pid %lu (`%s`): wait says %d, get_info %s", (unsigned long)k->pid,
                    k->cmd, waited, state_name(s));
        }
        judge(k, s, status);
    }
    kids[i] = kids[--live];
}

void fuzz_life_seq(void)
{
    size_t before;

    live = spawned = polls = 0;
    before = ram_total();
    before = ram_total();           /* the first call may grow our heap */
    while ((spawned < CHILDREN || live > 0) && !fz_failed) {
        uint32_t r = rnd() % 100;
        if (live < LIVE_MAX && spawned < CHILDREN && (r < 35 || live == 0)) {
            spawn_one();
        } else if (r < 60) {
            poll_one(&kids[rnd() % live]);
        } else if (r < 75) {
            kill_one(&kids[rnd() % live]);
        } else {
            settle(rnd() % live);
        }
    }
    while (live > 0) {
        settle(live - 1);           /* after a finding: end them all */
    }
    size_t after = ram_total();
    if (!fz_failed && after != before) {
        fz_fail("free RAM plus ours: %lu bytes before %lu children, %lu after",
                (unsigned long)before, (unsigned long)spawned, (unsigned long)after);
    }
    printf("fuzzer: life sequence: %lu children, %lu calls (%lu state queries)\n",
           (unsigned long)spawned, (unsigned long)fz_calls, (unsigned long)polls);
}
