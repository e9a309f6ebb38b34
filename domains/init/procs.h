/*
 * init's process manager (procs.c): the table of the domains it started,
 * spawning them and taking them down. It owns struct proc; the fields the
 * RPC server keeps per client (rx, tx, the sequence numbers, waiters) live
 * in it too but only the server touches them, through the hooks it
 * installs (procs_set_hooks): procs.c never calls the server, so the two
 * do not call each other in a circle (rpc_server.c uses procs.h, not the
 * other way round).
 *
 * A process is identified by its pid, which is also the badge on the
 * endpoint it uses to reach init: the kernel stamps every message with
 * it, so a process cannot speak for another.
 */
#ifndef INIT_PROCS_H
#define INIT_PROCS_H

#include <aos/spawn.h>
#include <aos/aos_rpc_wire.h>
#include <aos/rpc_serve.h>

#include <aos/aos_rpc.h>
#include <aos/vmmap.h>
#include <aos/cmdline.h>

#define PROC_MAX_LIVE    64      /* running domains the service accepts */
#define PROC_MAX_ENDED   64      /* ended ones kept for wait (oldest dropped) */
#define PROC_MAX_WAITERS 8
#define PROC_OUT_MAX     160     /* a line of output kept until its newline */

/* Whom to tell when a process ends: a domain of this core (core: ours,
 * who: its pid, seq: its WAIT call's) or another core's monitor, for a
 * client there (core: that core, who: the request's tag); client: the
 * waiting domain's pid, whichever core it is on. */
struct proc_waiter {
    uint32_t core, who, seq;
    domainid_t client;
};

/*
 * A domain started by init. Every way it ends (exit, fault, kernel kill,
 * kill RPC) goes through proc_end: its RAM and capabilities go back at
 * once, its state and status stay for `wait` until the entry is dropped.
 */
struct proc {
    domainid_t pid;              /* also the badge of its endpoint to init */
    enum proc_state state;
    int status;                  /* exit status (state EXITED) */
    char *cmdline;               /* as spawned (malloc'ed) */
    struct spawninfo si;         /* valid while RUNNING */
    struct rpc_string_rx rx;     /* a string being received */
    uint32_t rx_op, rx_arg;      /* the op (and its header argument) rx is for */
    struct rpc_client cl;        /* how the server answers it (its endpoint,
                                    the request's seq, a long answer going out) */
    bool getchar_pending;        /* a GETCHAR waits for console input */
    uint32_t getchar_seq;        /* that GETCHAR call's sequence number */
    struct proc_waiter waiters[PROC_MAX_WAITERS];   /* WAITs for our end */
    uint32_t nwaiters;
    uint32_t strings, numbers;   /* what it sent (tests, statistics) */
    char out[PROC_OUT_MAX];      /* its console output since its last newline */
    uint32_t outlen;
    bool held;                   /* init waits for it and reaps it itself (the
                                    boot command runner): never dropped by prune_ended */
    bool system;                 /* a system service init starts itself with grants
                                    (proc_spawn_system): no request may kill it */
    int mon_place;               /* its place in the monitor's table (bindings.c), or -1 */
    struct proc *next;
};

/* What the RPC server does when a process ends or is forgotten: reset its
 * own state in the proc, answer the process's waiters (`ended`); free
 * what it keeps there (`forgotten`, just before the proc is freed). */
struct proc_hooks {
    void (*ended)(struct proc *p);
    void (*forgotten)(struct proc *p);
};
void procs_set_hooks(const struct proc_hooks *hooks);

/* This init's own pid: its core * AOS_PID_CORE_STRIDE. */
domainid_t procs_my_init_pid(void);
/* init's receiving endpoint; children get copies minted with their pid. */
errval_t procs_init(void);
/* Spawn boot module argv[0] with argv (cmdline: the line, for get_name);
 * it runs when this returns OK. */
errval_t proc_spawn(int argc, const char *const argv[], const char *cmdline,
                    struct proc **ret);
/* A capability placed into a system service's TASKCN slot `slot` at its
 * spawn; `move`: ours is deleted (the service's is the only one left). */
struct proc_grant {
    cslot_t slot;
    capaddr_t cap;
    bool move;
};
/*
 * Spawn the system service argv[0] with argv as pid `pid` (PROC_NEXT_PID:
 * the next one), with `grants` (at least one) placed before it runs, and
 * mark it `system` (proc_kill refuses it). The one function that gives
 * init's authority away (docs/safety.md rule 13): init calls it only for
 * the services it starts itself, the monitor (monitor_start.c) and the
 * boot command runner (main.c); INIT_ERR_NOT_SPAWNABLE for any other name
 * or a pid in use. Nothing a domain asks for leads here (PROC_SPAWN goes
 * through proc_spawn_cmdline, which refuses "monitor").
 */
#define PROC_NEXT_PID 0u
errval_t proc_spawn_system(int argc, const char *const argv[], domainid_t pid,
                           const struct proc_grant *grants, uint32_t ngrants,
                           struct proc **ret);
/* Spawn from a command line ("name args..."), checking it like a request. */
errval_t proc_spawn_cmdline(const char *cmdline, coreid_t core, struct proc **ret);
struct proc *proc_find(domainid_t pid);
/* The domain ended (killed: by the kernel or a kill): give everything back,
 * answer its waiters. */
void proc_end(struct proc *p, bool killed, int status);
/* A kill request's end of `t`: INIT_ERR_KILL_INIT for a system domain,
 * INIT_ERR_ALREADY_ENDED if it has ended. The one place that says which
 * domains a kill may end, for requests from this core and from others. */
errval_t proc_kill(struct proc *t);
/* `w` waits for running `t` to end (the RPC server answers it then, from
 * the hook): INIT_ERR_TOO_MANY_WAITERS if PROC_MAX_WAITERS do already,
 * from this core and others together; INIT_ERR_ALREADY_WAITING if
 * w.client does (a domain holds one place per process, so one domain
 * sending WAITs by hand cannot take them all). */
errval_t proc_add_waiter(struct proc *t, struct proc_waiter w);
/* Waiter `who` of `core` is gone (a domain of ours that ended, or another
 * core's client: ICM_CANCEL): its place on the process it waited for is
 * free again, so waiters that ended never use up PROC_MAX_WAITERS. */
void proc_drop_waiter(uint32_t core, uint32_t who);
/* Forget an ended process (its status is no longer waited for). */
void proc_reap(struct proc *p);
/* Running pids (this init's first) into pids[max]; returns how many. */
uint32_t proc_running_pids(domainid_t *pids, uint32_t max);
/* What get_info tells of `t` (NULL: this core's init), for a request
 * from this core or another: w = {state, core, RAM bytes, page faults,
 * exit status}, the reply's words (include/aos/aos_rpc_wire.h); returns
 * its name. The state is the table's, except that a running process whose
 * dispatcher is stopped (it stopped itself) shows STOPPED; RAM and faults
 * are 0 once it ended. */
#define PROC_INFO_WORDS 5
const char *proc_info(struct proc *t, uint32_t w[PROC_INFO_WORDS]);
/* Its address space by tag, from its vmmap page (same errors as below). */
errval_t proc_vm_summary(struct proc *p, struct aos_vm_summary *vm);
/* The blocks p lists in its vmmap page (include/aos/vmmap.h), checked:
 * out holds VMMAP_MAX_ENTRIES; *unlisted: blocks the list had no room for.
 * INIT_ERR_VMMAP_NOT_YET, _BUSY (p was preempted inside an update: ask
 * again) or _GARBLED (p wrote nonsense there), INIT_ERR_ALREADY_ENDED. */
errval_t proc_vm_blocks(struct proc *p, struct vmmap_entry *out, uint32_t *count,
                        uint32_t *unlisted);

/* The oldest process waiting in GETCHAR, or NULL. */
struct proc *proc_getchar_waiter(void);

#endif
