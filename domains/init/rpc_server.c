/*
 * init's RPC server: one message at a time from any process, answered
 * with exactly one reply (wire format: include/aos/aos_rpc_wire.h).
 *
 * The server never trusts a message: the sender is who the kernel-stamped
 * badge says, every op checks its word count, unexpected capabilities are
 * deleted, and a reply that cannot be delivered (the client's ring is
 * full or it armed no slot) is dropped rather than waited for — a client
 * can only hurt itself. Answers longer than half a client's ring go out in
 * windows the client pulls for (rpc/rpc_serve.c), so they never fill it.
 * Replies are sent with a directed yield so the client runs at once.
 */
#include "procs.h"
#include "bindings.h"
#include "rpc_server.h"
#include "mem_server.h"
#include "remote_procs.h"
#include "console.h"
#include <aos/rpc_serve.h>
#include <aos/dispatch.h>
#include <autarky/bootinfo.h>
#include <aos/lmp.h>
#include <aos/caps.h>
#include <aos/slot_alloc.h>
#include <aos/ram_alloc.h>
#include <aos/syscalls.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool slots_armed;     /* all LMP_RECV_CAP_SLOTS armed (the kernel only
                                disarms one when it delivers a cap) */

static uint32_t my_core(void)
{
    return get_bootinfo()->core_id;
}

static void handle_number(struct proc *p)
{
    p->numbers++;
    rpc_reply(&p->cl, RPC_OP_NUMBER, SYS_ERR_OK, NULL, 0, CPTR_NULL);
}

/* MONITOR_BIND: the caller's binding to this core's monitor (bindings.c). */
static void handle_monitor_bind(struct proc *p)
{
    rpc_reply(&p->cl, RPC_OP_MONITOR_BIND, binding_give(p), NULL, 0, CPTR_NULL);
}

static void handle_spawn(struct proc *p, errval_t err, char *cmdline, uint32_t len);

/*
 * A fragment of a string request (STRING or PROC_SPAWN): collect it; at
 * the last one answer according to the op the first fragment named.
 */
static void handle_string(struct proc *p, const struct lmp_msg *m)
{
    uint32_t len = 0, op = RPC_HDR_OP(m->words[0]);
    char *s;

    if (RPC_HDR_FLAGS(m->words[0]) & RPC_FLAG_FIRST) {
        p->rx_op = op;
        p->rx_arg = RPC_HDR_ARG(m->words[0]);
    } else if (p->rx.active && op != p->rx_op) {
        rpc_string_rx_reset(&p->rx);        /* a fragment of another op: drop both */
    } else if (p->rx.active) {
        op = p->rx_op;
    }
    if (rpc_string_rx_feed(&p->rx, m->words, m->nwords) == RPC_RX_MORE) {
        return;
    }
    errval_t err = p->rx.err;
    s = rpc_string_rx_take(&p->rx, &len);
    if (op == RPC_OP_PROC_SPAWN) {
        handle_spawn(p, err, s, len);
        return;
    }
    uint32_t sum[2] = { 0, 0 };
    if (s != NULL) {
        p->strings++;
        sum[0] = len;
        sum[1] = rpc_fnv1a(s, len);
        free(s);
    }
    rpc_reply(&p->cl, RPC_OP_STRING, err, sum, 2, CPTR_NULL);
}

/*
 * The last RAM_RESERVE bytes of the public pool go only to domains that
 * hold at most RAM_SMALL_DOMAIN: one domain that asks for everything
 * (a runaway malloc) then gets an error itself instead of leaving every
 * other domain unable to take a page fault, and spawning still works.
 */
#define RAM_RESERVE       (16u << 20)
#define RAM_SMALL_DOMAIN  (8u << 20)

/*
 * May p keep the block of `got` bytes just taken from the public pool
 * (not yet accounted to p)? Judged by what the grant does, never by what
 * was asked: mm hands out a power of two at least as large as the size
 * *and* the alignment (4 KiB aligned to 512 MiB is a 512 MiB block), so
 * only the block says how much p would hold and how much stays free.
 * Refused if p would then hold more than RAM_SMALL_DOMAIN and the pool
 * now has less than RAM_RESERVE free. (No sum can wrap: gensize_t is 32
 * bits, so compare by subtraction.)
 */
static bool ram_grant_allowed(const struct proc *p, gensize_t got)
{
    bool small_after = got <= RAM_SMALL_DOMAIN && p->si.ram_bytes <= RAM_SMALL_DOMAIN - got;

    return small_after || mem_server_free() >= RAM_RESERVE;
}

/*
 * GET_RAM: the block is accounted to the client (so it returns when the
 * client ends) and a copy goes out; our cap stays with the accounting.
 * mm checks the arguments (size 0 or over 2 GiB, alignment not a power
 * of two) with its own errors; the reserve is checked on the block mm
 * chose, which goes straight back if it is refused.
 */
static void handle_get_ram(struct proc *p, const struct lmp_msg *m)
{
    capaddr_t ram;
    gensize_t got;
    errval_t err = mem_server_alloc(&ram, m->words[1], m->words[2], &got);
    if (err_is_ok(err) && !ram_grant_allowed(p, got)) {
        mem_server_free_block(ram);
        /* another core asks core 0 for more before it refuses */
        err = mem_server_refill(got + RAM_RESERVE);
        if (err_is_ok(err)) {
            err = mem_server_alloc(&ram, m->words[1], m->words[2], &got);
        }
        if (err_is_ok(err) && !ram_grant_allowed(p, got)) {
            mem_server_free_block(ram);
            err = INIT_ERR_RAM_RESERVED;
        } else if (err_is_fail(err)) {
            err = INIT_ERR_RAM_RESERVED;
        }
    }
    if (err_is_ok(err)) {
        err = spawn_account_ram(&p->si, ram, got);
        if (err_is_fail(err)) {
            mem_server_free_block(ram);
        }
    }
    if (err_is_fail(err)) {
        rpc_reply(&p->cl, RPC_OP_GET_RAM, err, NULL, 0, CPTR_NULL);
        return;
    }
    uint32_t size = (uint32_t)got;
    rpc_reply(&p->cl, RPC_OP_GET_RAM, SYS_ERR_OK, &size, 1, ram);
}

/* FREE_RAM: the client gives a block back; it must be one it was given. */
static void handle_free_ram(struct proc *p, const struct lmp_msg *m)
{
    struct capability_info ci;
    capaddr_t ours;
    errval_t err = m->nwords == 1 ? cap_identify(m->cap, &ci) : LIB_ERR_RPC_MALFORMED;

    if (err_is_ok(err) && ci.type != ObjType_RAM) {
        err = SYS_ERR_WRONG_CAP_TYPE;
    }
    if (err_is_ok(err)) {
        err = spawn_unaccount_ram(&p->si, ci.base, ci.size, &ours);
    }
    if (err_is_ok(err)) {
        err = mem_server_free_block(ours);   /* revokes the received copy too */
    } else {
        cap_delete(m->cap);
    }
    slot_free(m->cap);
    slots_armed = false;
    rpc_reply(&p->cl, RPC_OP_FREE_RAM, err, NULL, 0, CPTR_NULL);
}

/*
 * MEM_STATS of this core: free, total, given to other cores, held by the
 * caller. Answered after every inter-core message already here is
 * handled, so that the account is as of the moment of the request.
 */
static void handle_mem_stats(struct proc *p, const struct lmp_msg *m)
{
    gensize_t free_bytes, total;
    uint32_t words[4], core_plus_one = RPC_HDR_ARG(m->words[0]);

    if (core_plus_one != 0 && core_plus_one - 1 != my_core()) {   /* another core's */
        rpc_reply(&p->cl, RPC_OP_MEM_STATS, INIT_ERR_ASK_MONITOR, NULL, 0, CPTR_NULL);
        return;
    }
    remote_procs_serve();   /* first what other cores already sent us (it takes
                               all that is there): what they asked of us before
                               the caller asked is done when it is answered (a
                               channel's frame is no longer init's RAM: it is
                               the monitor's pool, domains/monitor/channels.c) */
    if (p->state != PROC_STATE_RUNNING) {
        return;                     /* (a kill from another core among them) */
    }
    mem_server_stats(&free_bytes, &total);
    words[0] = (uint32_t)free_bytes;
    words[1] = (uint32_t)total;
    words[2] = (uint32_t)(mem_server_kept() - free_bytes);   /* given to other cores */
    words[3] = (uint32_t)p->si.ram_bytes;
    rpc_reply(&p->cl, RPC_OP_MEM_STATS, SYS_ERR_OK, words, 4, CPTR_NULL);
}

static void handle_putchar(struct proc *p, const struct lmp_msg *m)
{
    char c = (char)m->words[1];

    console_out(p, &c, 1);
    rpc_reply(&p->cl, RPC_OP_PUTCHAR, SYS_ERR_OK, NULL, 0, CPTR_NULL);
}

static void handle_puts(struct proc *p, const struct lmp_msg *m)
{
    uint32_t len = m->nwords >= 2 ? m->words[1] & ~RPC_PUTS_FLUSH : 0;

    if (m->nwords < 2 || len > RPC_PUTS_MAX || m->nwords != 2 + (len + 3) / 4) {
        rpc_reply(&p->cl, RPC_OP_PUTS, LIB_ERR_RPC_MALFORMED, NULL, 0, CPTR_NULL);
        return;
    }
    console_out(p, (const char *)&m->words[2], len);
    if (m->words[1] & RPC_PUTS_FLUSH) {
        console_flush(p);           /* it goes on to ask its monitor */
    }
    rpc_reply(&p->cl, RPC_OP_PUTS, SYS_ERR_OK, NULL, 0, CPTR_NULL);
}

/* GETCHAR: answer now if a byte waits, else when one arrives. */
static void handle_getchar(struct proc *p)
{
    errval_t err = console_getchar(p);

    if (err_is_fail(err)) {
        rpc_reply(&p->cl, RPC_OP_GETCHAR, err, NULL, 0, CPTR_NULL);
    }
}

static void handle_exit(struct proc *p, const struct lmp_msg *m)
{
    proc_end(p, false, m->nwords >= 2 ? (int)m->words[1] : -1);
}

/* ---- process management ---- */

static void handle_spawn(struct proc *p, errval_t err, char *cmdline, uint32_t len)
{
    struct proc *child = NULL;
    uint32_t pid = 0;

    err = rpc_spawn_line_check(err, cmdline, len);
    if (err_is_ok(err) && p->rx_arg != my_core()) {
        err = INIT_ERR_ASK_MONITOR;         /* the library sends those to the monitor */
    }
    if (err_is_ok(err)) {
        err = proc_spawn_cmdline(cmdline, (coreid_t)p->rx_arg, &child);
    }
    if (err_is_ok(err)) {
        pid = child->pid;
    }
    free(cmdline);
    rpc_reply(&p->cl, RPC_OP_PROC_SPAWN, err, &pid, 1, CPTR_NULL);
}

/*
 * The process that pid call `m` (word 1) names, NULL for this core's init;
 * false if the call was answered here instead: a pid of another core is
 * its monitor's (the library sends those there: INIT_ERR_ASK_MONITOR), a
 * pid of no core or one never issued names nothing (INIT_ERR_NO_SUCH_PID,
 * as does another core's pid for VMMAP and VMBLOCKS, which no monitor serves).
 */
static bool pid_call_target(struct proc *p, const struct lmp_msg *m, struct proc **t)
{
    uint32_t op = RPC_HDR_OP(m->words[0]), core = aos_pid_core(m->words[1]);
    bool routed = op != RPC_OP_PROC_VMMAP && op != RPC_OP_PROC_VMBLOCKS;
    errval_t err = SYS_ERR_OK;

    *t = proc_find(m->words[1]);
    if (core != my_core()) {
        err = routed && core < get_bootinfo()->ncores ? INIT_ERR_ASK_MONITOR
                                                      : INIT_ERR_NO_SUCH_PID;
    } else if (*t == NULL && m->words[1] != procs_my_init_pid()) {
        err = INIT_ERR_NO_SUCH_PID;
    }
    if (err_is_fail(err)) {
        rpc_reply(&p->cl, op, err, NULL, 0, CPTR_NULL);
    }
    return err_is_ok(err);
}

/* GET_NAME and INFO: the name as fragments, then the reply. */
static void handle_name_or_info(struct proc *p, const struct lmp_msg *m)
{
    uint32_t op = RPC_HDR_OP(m->words[0]), w[PROC_INFO_WORDS];
    struct proc *t;
    const char *name;

    if (!pid_call_target(p, m, &t)) {
        return;
    }
    name = proc_info(t, w);
    if (op == RPC_OP_PROC_GET_NAME) {
        w[0] = (uint32_t)strlen(name);
    }
    rpc_answer_long(&p->cl, op, name, (uint32_t)strlen(name), w,
                    op == RPC_OP_PROC_INFO ? PROC_INFO_WORDS : 1);
}

/* ALL_PIDS: this core's running pids, and (word 4) how many cores there
 * are: the client library asks its monitor for the other cores' pids. */
static void handle_all_pids(struct proc *p)
{
    domainid_t pids[PROC_MAX_LIVE + 1];
    uint32_t w[2] = { 0, get_bootinfo()->ncores };

    w[0] = proc_running_pids(pids, PROC_MAX_LIVE + 1);
    rpc_answer_long(&p->cl, RPC_OP_PROC_ALL_PIDS, pids, w[0] * sizeof(domainid_t), w, 2);
}

static void handle_kill(struct proc *p, const struct lmp_msg *m)
{
    struct proc *t;
    errval_t err;

    if (!pid_call_target(p, m, &t)) {
        return;
    }
    err = t != NULL ? proc_kill(t) : INIT_ERR_KILL_INIT;
    if (t != p || err_is_fail(err)) {     /* a domain that killed itself is gone */
        rpc_reply(&p->cl, RPC_OP_PROC_KILL, err, NULL, 0, CPTR_NULL);
    }
}

static void handle_vmmap(struct proc *p, const struct lmp_msg *m)
{
    struct aos_vm_summary vm;
    struct proc *t;
    errval_t err;

    if (!pid_call_target(p, m, &t)) {
        return;
    }
    err = t != NULL ? proc_vm_summary(t, &vm) : INIT_ERR_KILL_INIT;  /* init publishes nothing */
    if (err_is_fail(err)) {
        rpc_reply(&p->cl, RPC_OP_PROC_VMMAP, err, NULL, 0, CPTR_NULL);
    } else {
        rpc_answer_long(&p->cl, RPC_OP_PROC_VMMAP, &vm, sizeof(vm), NULL, 0);
    }
}

/* The block list of one domain, as it publishes it (proc_vm_blocks checks
 * it). The buffer is static: init serves one request at a time, and an
 * answer longer than a window keeps a copy (answer_long). */
static void handle_vmblocks(struct proc *p, const struct lmp_msg *m)
{
    static struct vmmap_entry blocks[VMMAP_MAX_ENTRIES];
    uint32_t w[2] = { 0, 0 };
    struct proc *t;
    errval_t err;

    if (!pid_call_target(p, m, &t)) {
        return;
    }
    err = t != NULL ? proc_vm_blocks(t, blocks, &w[0], &w[1]) : INIT_ERR_KILL_INIT;
    if (err_is_fail(err)) {
        rpc_reply(&p->cl, RPC_OP_PROC_VMBLOCKS, err, NULL, 0, CPTR_NULL);
    } else {
        rpc_answer_long(&p->cl, RPC_OP_PROC_VMBLOCKS, blocks, w[0] * (uint32_t)sizeof(blocks[0]), w, 2);
    }
}

static void rpc_reply_wait(struct proc *waiter, uint32_t seq, const struct proc *ended)
{
    uint32_t w[2] = { (uint32_t)ended->status, ended->state == PROC_STATE_KILLED };
    rpc_reply_seq(&waiter->cl, seq, RPC_OP_PROC_WAIT, SYS_ERR_OK, w, 2, CPTR_NULL);
}

/* WAIT: answer now if it ended, else when it does (proc_end). */
static void handle_wait(struct proc *p, const struct lmp_msg *m)
{
    struct proc *t;
    errval_t err;

    if (!pid_call_target(p, m, &t)) {
        return;
    }
    if (t == NULL || t == p) {
        err = INIT_ERR_KILL_INIT;           /* init and oneself never end for us */
    } else if (t->state != PROC_STATE_RUNNING) {
        rpc_reply_wait(p, p->cl.req_seq, t);
        return;
    } else {
        err = proc_add_waiter(t, (struct proc_waiter){ .core = my_core(), .who = p->pid,
                                                       .seq = p->cl.req_seq,
                                                       .client = p->pid });
    }
    if (err_is_fail(err)) {
        rpc_reply(&p->cl, RPC_OP_PROC_WAIT, err, NULL, 0, CPTR_NULL);
    }
}

/*
 * A message with header flags (or none at all): a pull is served
 * (rpc_serve_pull); string fragments (STRING, PROC_SPAWN) go on; anything else
 * is malformed. Returns true if dispatch_message should go on.
 */
static bool check_flags(struct proc *p, const struct lmp_msg *m, uint32_t op, uint32_t flags)
{
    if (m->nwords > 0 && flags == RPC_FLAG_MORE) {
        rpc_serve_pull(&p->cl, op, m->nwords);
        return false;
    }
    if (m->nwords == 0 || (flags & (RPC_FLAG_REPLY | RPC_FLAG_MORE))
        || (op != RPC_OP_STRING && op != RPC_OP_PROC_SPAWN)) {
        rpc_reply(&p->cl, op, LIB_ERR_RPC_MALFORMED, NULL, 0, CPTR_NULL);
        return false;
    }
    return true;
}

/*
 * How many words each request carries, its header included: the one check
 * of a request's size (docs/safety.md, rule 14), made before any handler
 * runs, so a handler may read every word its op has. 0: the handler checks
 * (string fragments and PUTS carry a length; EXIT ends the sender however
 * it is sent); the CHAN_* calls are refused whatever they carry.
 */
static const uint8_t request_words[RPC_OP_COUNT] = {
    [RPC_OP_NUMBER] = 2,        [RPC_OP_GET_RAM] = 3,        [RPC_OP_PUTCHAR] = 2,
    [RPC_OP_GETCHAR] = 1,       [RPC_OP_MEM_STATS] = 1,      [RPC_OP_PROC_GET_NAME] = 2,
    [RPC_OP_PROC_ALL_PIDS] = 1, [RPC_OP_PROC_KILL] = 2,      [RPC_OP_PROC_WAIT] = 2,
    [RPC_OP_PROC_INFO] = 2,     [RPC_OP_PROC_VMMAP] = 2,     [RPC_OP_PROC_VMBLOCKS] = 2,
    [RPC_OP_MONITOR_BIND] = 1,
};

/* One request of p, carrying no capability. The common case, no flags,
 * costs one test before the size check and the switch. */
static void dispatch_message(struct proc *p, const struct lmp_msg *m)
{
    uint32_t op = RPC_HDR_OP(m->words[0]), flags = RPC_HDR_FLAGS(m->words[0]);

    if ((flags != 0 || m->nwords == 0) && !check_flags(p, m, op, flags)) {
        return;
    }
    if (op < RPC_OP_COUNT && request_words[op] != 0 && m->nwords != request_words[op]) {
        rpc_reply(&p->cl, op, LIB_ERR_RPC_MALFORMED, NULL, 0, CPTR_NULL);
        return;
    }
    if (p->outlen > 0 && op != RPC_OP_PUTS && op != RPC_OP_PUTCHAR) {
        console_flush(p);           /* what it printed comes before what it asks */
    }
    switch (op) {
    case RPC_OP_NUMBER:  handle_number(p); break;
    case RPC_OP_STRING:
    case RPC_OP_PROC_SPAWN: handle_string(p, m); break;
    case RPC_OP_PROC_GET_NAME:
    case RPC_OP_PROC_INFO: handle_name_or_info(p, m); break;
    case RPC_OP_PROC_ALL_PIDS: handle_all_pids(p); break;
    case RPC_OP_PROC_KILL: handle_kill(p, m); break;
    case RPC_OP_PROC_WAIT: handle_wait(p, m); break;
    case RPC_OP_PROC_VMMAP: handle_vmmap(p, m); break;
    case RPC_OP_PROC_VMBLOCKS: handle_vmblocks(p, m); break;
    case RPC_OP_GET_RAM: handle_get_ram(p, m); break;
    case RPC_OP_PUTCHAR: handle_putchar(p, m); break;
    case RPC_OP_PUTS:    handle_puts(p, m); break;
    case RPC_OP_GETCHAR: handle_getchar(p); break;
    case RPC_OP_EXIT:    handle_exit(p, m); break;
    case RPC_OP_MEM_STATS: handle_mem_stats(p, m); break;
    case RPC_OP_CHAN_CONNECT:
    case RPC_OP_CHAN_ACCEPT:
    case RPC_OP_CHAN_IPI:
    case RPC_OP_CHAN_CLOSE:     /* the monitor brokers channels (its binding) */
        rpc_reply(&p->cl, op, INIT_ERR_ASK_MONITOR, NULL, 0, CPTR_NULL);
        break;
    case RPC_OP_MONITOR_BIND: handle_monitor_bind(p); break;
    default:
        rpc_reply(&p->cl, op, LIB_ERR_RPC_BAD_OP, NULL, 0, CPTR_NULL);
        break;
    }
}

/*
 * Keep every receive slot armed, so that a capability sent to init (even
 * one it will refuse) never makes the sender wait.
 */

static void arm_recv_slots(void)
{
    slots_armed = true;
    while (lmp_armed_slots() < LMP_RECV_CAP_SLOTS) {
        capaddr_t slot;
        if (err_is_fail(slot_alloc(&slot))) {
            return;
        }
        if (err_is_fail(lmp_arm_recv_slot(slot))) {
            slot_free(slot);
            return;
        }
    }
}

bool rpc_server_step(bool block)
{
    struct lmp_msg m;
    struct proc *p;

    if (!slots_armed) {
        arm_recv_slots();
    }
    while (!lmp_poll(&m)) {
        if (remote_procs_serve()) {
            return true;        /* messages from other cores */
        }
        if (console_serve()) {
            sys_yield();        /* someone waits for input: poll, don't sleep */
            return false;
        }
        if (!block) {
            return false;
        }
        lmp_wait_fn();          /* a message, or another core's ring */
    }
    p = proc_find(m.badge);
    if (p != NULL && m.nwords > 0) {
        p->cl.req_seq = RPC_HDR_SEQ(m.words[0]);
    }
    if (m.cap != CPTR_NULL && p != NULL && p->state == PROC_STATE_RUNNING
        && (m.words[0] & 0xffffu) == RPC_HDR(RPC_OP_FREE_RAM, 0)) {
        handle_free_ram(p, &m);
        return true;
    }
    if (m.cap != CPTR_NULL) {
        cap_delete(m.cap);      /* no request carries a cap */
        slot_free(m.cap);
        slots_armed = false;
        if (p != NULL) {
            rpc_reply(&p->cl, RPC_HDR_OP(m.words[0]), LIB_ERR_RPC_UNEXPECTED_CAP, NULL, 0, CPTR_NULL);
        }
        return true;
    }
    if (p == NULL || p->state != PROC_STATE_RUNNING) {
        return true;            /* unknown or finished sender: nobody to answer */
    }
    if (m.nwords == 3 && m.words[0] == LMP_KERNEL_MSG_KILLED) {
        proc_end(p, true, 0);   /* from the kernel (or the domain itself: then
                                   it only ends itself) */
        return true;
    }
    dispatch_message(p, &m);
    return true;
}

/* ---- what the server does when procs.c ends or forgets a process ---- */

/* `p` ended: drop what was half received or going out, tell its waiters. */
static void proc_ended(struct proc *p)
{
    console_flush(p);
    rpc_string_rx_reset(&p->rx);
    rpc_client_reset(&p->cl);
    for (uint32_t i = 0; i < p->nwaiters; i++) {
        const struct proc_waiter *pw = &p->waiters[i];
        struct proc *w = pw->core == my_core() ? proc_find(pw->who) : NULL;
        if (pw->core != my_core()) {
            remote_procs_answer_wait(pw->core, pw->who, p);
        } else if (w != NULL && w->state == PROC_STATE_RUNNING) {
            rpc_reply_wait(w, pw->seq, p);
        }
    }
}

static void proc_forgotten(struct proc *p)
{
    rpc_string_rx_reset(&p->rx);
    rpc_client_reset(&p->cl);
}

void rpc_server_init(void)
{
    static const struct proc_hooks hooks = { proc_ended, proc_forgotten };
    procs_set_hooks(&hooks);
}
