/*
 * RPC to init (rpc/aos_rpc.c): numbers, strings of any length, RAM caps
 * and the serial console. Wire format: include/aos/aos_rpc_wire.h.
 *
 * Every call sends its request (with a directed yield, so init runs at
 * once) and waits for exactly one reply. Calls on one channel are
 * serialised (rpc->line->lock), so threads may share a channel; a waiting
 * thread lets the others run (lmp_wait_fn).
 */
#ifndef AOS_AOS_RPC_H
#define AOS_AOS_RPC_H

#include <autarky/types.h>
#include <autarky/errors.h>
#include <aos/lmp.h>
#include <aos/threads.h>

/*
 * How a channel carries messages (rpc/rpc_transport.h): LMP to a domain
 * of this core (init), or UMP to a domain on another core
 * (aos_rpc_chan_connect, include/aos/xchan.h). The calls below work the
 * same over both.
 */
struct rpc_transport;
struct aos_xchan;

/*
 * Lock order: rpc->line->lock is taken by every call for its whole duration
 * (all fragments of a string, the request and its reply) and nothing
 * else is locked inside it, except picolibc's malloc lock.
 */
struct aos_rpc {
    capaddr_t ep;              /* LMP: endpoint to the server (badged for us) */
    const struct rpc_transport *t;
    struct aos_xchan *x;       /* UMP: our end of the channel (NULL over LMP) */
    uint32_t calls;            /* completed calls (statistics) */
    uint8_t seq;               /* sequence number of the last call */
    struct thread_mutex lock;  /* one request outstanding at a time */
    struct aos_rpc *line;      /* the channel whose lock and seq serialise our
                                  calls: ourselves, except the monitor channel,
                                  which uses the init channel's (both answer
                                  into our one LMP ring) */
};

errval_t aos_rpc_init(struct aos_rpc *rpc, capaddr_t ep);
/* The channel to init, or NULL in init itself. */
struct aos_rpc *aos_rpc_get_init_channel(void);
/* The binding to this core's monitor (docs/multikernel.md "The binding"),
 * or NULL in a domain without one (init, the monitor). Its calls and the
 * init channel's are serialised by one lock: both answer into the
 * domain's one LMP ring. */
struct aos_rpc *aos_rpc_get_monitor_channel(void);

errval_t aos_rpc_send_number(struct aos_rpc *rpc, uintptr_t num);
errval_t aos_rpc_send_string(struct aos_rpc *rpc, const char *string);
errval_t aos_rpc_send_bytes(struct aos_rpc *rpc, const char *buf, uint32_t len);
/* RAM of at least `bytes` aligned to `alignment` into a fresh slot. */
errval_t aos_rpc_get_ram_cap(struct aos_rpc *rpc, size_t bytes, size_t alignment,
                             capaddr_t *ret_cap, size_t *ret_bytes);
/* Give a RAM cap from aos_rpc_get_ram_cap back (the cap and its slot
 * are gone afterwards, whatever the answer). */
errval_t aos_rpc_free_ram_cap(struct aos_rpc *rpc, capaddr_t ram);
/* The memory server's free and total RAM in bytes. */
errval_t aos_rpc_mem_stats(struct aos_rpc *rpc, size_t *free_bytes, size_t *total_bytes);
/* The same of core `core`'s memory server (AOS_RPC_MY_CORE: our own). */
#define AOS_RPC_MY_CORE 0xffu
errval_t aos_rpc_mem_stats_core(struct aos_rpc *rpc, coreid_t core, size_t *free_bytes,
                                size_t *total_bytes);
/*
 * Our own core's memory server as we see it: free and total RAM, RAM given
 * for good to other cores, and RAM we hold ourselves. free + given + held
 * comes back to the same value after anything that gives back all it took,
 * whatever our own heap did meanwhile: the boot command runner's leak check.
 */
struct aos_mem_account {
    size_t free_bytes, total_bytes, given_to_cores, held_by_caller;
};
errval_t aos_rpc_mem_account(struct aos_rpc *rpc, struct aos_mem_account *acct);
errval_t aos_rpc_serial_putchar(struct aos_rpc *rpc, char c);
errval_t aos_rpc_serial_write(struct aos_rpc *rpc, const char *buf, size_t len);
errval_t aos_rpc_serial_getchar(struct aos_rpc *rpc, char *retc);
/* Tell init this domain ends with `status`; there is no reply (init
 * tears the domain down). */
errval_t aos_rpc_exit(struct aos_rpc *rpc, int status);

/* aos_rpc_call for callers that hold rpc->line->lock already (multi-message
 * requests); `words` is a whole message buffer. */
errval_t aos_rpc_call_locked(struct aos_rpc *rpc, const uint32_t words[LMP_MSG_WORDS],
                             uint32_t nwords, struct lmp_msg *reply);

/* ---- channels to a domain on another core (docs/multikernel.md) ---- */

/* Connect `chan` to domain `pid` on another core, which waits in
 * aos_rpc_chan_accept; `init` is our channel to our init, only checked:
 * the calls go to our core's monitor, the broker (binding us at the
 * first). Errors:
 * INIT_ERR_CHAN_SAME_CORE, INIT_ERR_NO_SUCH_PID (no such domain, or a core
 * past the last), INIT_ERR_CORE_DEAD, INIT_ERR_CHAN_NOT_ACCEPTING, ... */
errval_t aos_rpc_chan_connect(struct aos_rpc *init, domainid_t pid, struct aos_rpc *chan);
/* Wait until a domain on another core connects to us; *peer = its pid. */
errval_t aos_rpc_chan_accept(struct aos_rpc *init, struct aos_rpc *chan, domainid_t *peer);
/* Our end goes: the frame is unmapped and our monitor takes it back; the peer's
 * calls then fail with LIB_ERR_XCHAN_CLOSED. */
errval_t aos_rpc_chan_close(struct aos_rpc *init, struct aos_rpc *chan);

/* The server's side of a channel: take one request and answer it (NUMBER
 * and STRING, as init does; other ops get LIB_ERR_RPC_BAD_OP). Blocks
 * until a request comes; LIB_ERR_XCHAN_CLOSED once the peer is gone. */
struct aos_rpc_served {
    uint32_t numbers, strings;  /* requests answered OK */
    uintptr_t last_number;
    uint32_t last_len;          /* of the last string */
};
errval_t aos_rpc_serve_one(struct aos_rpc *chan, struct aos_rpc_served *st);

/* ---- process management (the spawning service in init, docs/init.md) ---- */

enum proc_state {
    PROC_STATE_RUNNING = 1,
    PROC_STATE_EXITED,
    PROC_STATE_KILLED,
    PROC_STATE_STOPPED,        /* alive, but its dispatcher is stopped (it did
                                  that itself): `kill` still ends it */
};
/* Alive: running or stopped (not yet ended). */
static inline bool proc_state_alive(enum proc_state s)
{
    return s == PROC_STATE_RUNNING || s == PROC_STATE_STOPPED;
}

struct aos_proc_info {
    domainid_t pid;
    char *name;                /* command line; malloc'ed, the caller frees */
    enum proc_state state;
    coreid_t core;
    size_t ram_bytes;          /* RAM the memory server gave it, now */
    uint32_t page_faults;      /* page faults its handler resolved */
    int exit_status;           /* valid in state EXITED */
};

/*
 * Pids are unique in a boot and never reused: each core's init hands out
 * its own block, core * AOS_PID_CORE_STRIDE + 1, + 2, ..., and is itself
 * core * AOS_PID_CORE_STRIDE (core 0's init is pid 0). So a pid says its
 * core, and "2000003" reads "core 2, its third domain".
 */
#define AOS_PID_CORE_STRIDE 1000000u
static inline coreid_t aos_pid_core(domainid_t pid)
{
    return (coreid_t)(pid / AOS_PID_CORE_STRIDE);
}
/* Each core's monitor (docs/multikernel.md) has the last pid of its
 * core's block, outside the sequence init hands out. */
#define AOS_PID_MONITOR_OFFSET (AOS_PID_CORE_STRIDE - 1)
static inline domainid_t aos_pid_monitor(coreid_t core)
{
    return (domainid_t)core * AOS_PID_CORE_STRIDE + AOS_PID_MONITOR_OFFSET;
}
static inline bool aos_pid_is_init(domainid_t pid)
{
    return pid % AOS_PID_CORE_STRIDE == 0;
}

/* The channel to the spawning service (init's; every domain has one). */
struct aos_rpc *aos_rpc_get_process_channel(void);

/* Start `name` (a boot module's name and its arguments) on `core`. */
errval_t aos_rpc_process_spawn(struct aos_rpc *chan, char *name, coreid_t core,
                               domainid_t *newpid);
/* The command line of `pid`; *name is malloc'ed, the caller frees it. */
errval_t aos_rpc_process_get_name(struct aos_rpc *chan, domainid_t pid, char **name);
/* Every running domain's pid, on every core: our core's from init, the
 * others' from our monitor (INIT_ERR_NO_MONITOR if we cannot bind to it);
 * *pids is malloc'ed, the caller frees it. */
errval_t aos_rpc_process_get_all_pids(struct aos_rpc *chan, domainid_t **pids,
                                      size_t *pid_count);
/* End `pid` at once (not init). */
errval_t aos_rpc_process_kill(struct aos_rpc *chan, domainid_t pid);
/* Wait until `pid` has ended; *status = its exit status (killed: *status =
 * AOS_RPC_STATUS_KILLED). */
#define AOS_RPC_STATUS_KILLED (-9)
errval_t aos_rpc_process_wait(struct aos_rpc *chan, domainid_t pid, int *status);
/* Everything about one pid; info->name is malloc'ed, the caller frees it. */
errval_t aos_rpc_process_get_info(struct aos_rpc *chan, domainid_t pid,
                                  struct aos_proc_info *info);

/* The address space of `pid` by buddy tag (index: enum buddy_tag of
 * include/aos/buddy.h: none, HEAP, STACK, GUARD, FIXED): bytes reserved and
 * blocks, read from the domain's vmmap page (include/aos/vmmap.h), where
 * its buddy allocator keeps them up to date. Errors as get_vmblocks. */
struct aos_vm_summary {
    uint32_t bytes[5];
    uint32_t blocks[5];
};
errval_t aos_rpc_process_get_vmmap(struct aos_rpc *chan, domainid_t pid,
                                   struct aos_vm_summary *vm);

/* The buddy blocks of `pid` one by one, sorted by address, as the domain
 * lists them in its vmmap page (include/aos/vmmap.h) and init checked them.
 * *blocks is malloc'ed (NULL if *count is 0): the caller frees it.
 * *unlisted: blocks the domain's list had no room for (it holds 510).
 * Errors: those of get_vmmap, and INIT_ERR_VMMAP_BUSY when the domain was
 * preempted while changing its list (ask again), INIT_ERR_VMMAP_NOT_YET,
 * INIT_ERR_VMMAP_GARBLED. */
struct aos_vm_block {
    uint32_t base;
    uint32_t size;
    uint32_t tag;           /* enum buddy_tag */
};
errval_t aos_rpc_process_get_vmblocks(struct aos_rpc *chan, domainid_t pid,
                                      struct aos_vm_block **blocks, size_t *count,
                                      size_t *unlisted);

/*
 * One raw request and its reply, for the calls above and for tests that
 * send malformed requests: `req` (nwords words, with `send_cap` or
 * CPTR_NULL), `recv_slot` armed for a cap in the reply (or CPTR_NULL).
 * Returns the transport error, or the server's error from the reply.
 */
errval_t aos_rpc_call(struct aos_rpc *rpc, const uint32_t *req, uint32_t nwords,
                      capaddr_t send_cap, capaddr_t recv_slot,
                      struct lmp_msg *reply);

#endif
