/*
 * Processes on other cores (remote_procs.h).
 *
 *   client (core a)      init a                      init c             domain (core c)
 *   kill(pid on c) ───▶ pending[tag] = (client, seq)
 *                       ICM_KILL{pid} tag ─────────▶ proc_end(pid) ────▶ (gone)
 *                       answer(client, seq) ◀────── ICM_KILL|REPLY{err} tag
 *   ◀── reply ─────────┘
 *
 * Payloads (words): SPAWN {len, bytes...} -> {err, pid}; KILL {pid} ->
 * {err}; WAIT {pid} -> {err, status, killed} (when it has ended); INFO
 * {pid} -> {err, state, ram, faults, status, len, bytes...}; ALL_PIDS {}
 * -> {err, n, pids...}; MEM_STATS {} -> {err, free, total}.
 */
#include "remote_procs.h"
#include "intercore.h"
#include "procs.h"
#include "mem_server.h"
#include "channels.h"
#include <aos/aos_rpc_wire.h>
#include <aos/dispatch.h>
#include <autarky/bootinfo.h>
#include <stdlib.h>
#include <string.h>


struct pending {
    uint32_t tag;                /* 0: free */
    domainid_t client;
    uint32_t seq, rpc_op;
    uint32_t due;                /* cores yet to answer, a bit each */
    domainid_t *pids;            /* ALL_PIDS: collected so far (malloc'ed) */
    uint32_t npids;
};

static const struct remote_answer_ops *answer;
static struct { uint32_t core, tag; } getchars[REMOTE_GETCHAR_MAX];
static uint32_t getchar_first, getchar_count;
static struct pending pending[REMOTE_PENDING_MAX];
static uint32_t next_tag;

void remote_procs_init(const struct remote_answer_ops *ops)
{
    answer = ops;
}

static uint32_t my_core(void)
{
    return get_bootinfo()->core_id;
}

static uint32_t ncores(void)
{
    return get_bootinfo()->ncores;
}

static struct pending *pending_new(domainid_t client, uint32_t seq, uint32_t rpc_op)
{
    for (uint32_t i = 0; i < REMOTE_PENDING_MAX; i++) {
        if (pending[i].tag == 0) {
            next_tag = (next_tag + 1) & ~ICM_CALL_TAG;     /* 1.. below the calls' */
            if (next_tag == 0) {
                next_tag = 1;
            }
            pending[i] = (struct pending){ .tag = next_tag, .client = client, .seq = seq,
                                           .rpc_op = rpc_op };
            return &pending[i];
        }
    }
    return NULL;
}

static void pending_free(struct pending *pd)
{
    free(pd->pids);
    memset(pd, 0, sizeof(*pd));
}

static struct pending *pending_find(uint32_t tag)
{
    for (uint32_t i = 0; tag != 0 && i < REMOTE_PENDING_MAX; i++) {
        if (pending[i].tag == tag) {
            return &pending[i];
        }
    }
    return NULL;
}

/* Send request `op` with `words` to `core` for a new pending call. */
static errval_t request(domainid_t client, uint32_t seq, uint32_t rpc_op, uint32_t core,
                        uint32_t op, const uint32_t *words, uint32_t nwords)
{
    struct pending *pd = pending_new(client, seq, rpc_op);
    struct icm m = { .op = op, .src = my_core(), .dst = core, .nwords = nwords };
    errval_t err;

    if (pd == NULL) {
        return INIT_ERR_TOO_MANY_REMOTE;
    }
    m.tag = pd->tag;
    pd->due = 1u << core;
    memcpy(m.w, words, nwords * sizeof(uint32_t));
    err = intercore_send(&m);
    if (err_is_fail(err)) {
        pending_free(pd);
    }
    return err;
}

/* ---- client side ---- */

errval_t remote_spawn(domainid_t client, uint32_t seq, coreid_t core, const char *cmdline)
{
    uint32_t words[ICM_PAYLOAD_MAX];
    size_t len = strlen(cmdline);

    if (core >= ncores()) {
        return INIT_ERR_NO_SUCH_CORE;
    }
    if (intercore_is_dead(core)) {
        return INIT_ERR_CORE_DEAD;
    }
    if (len > RPC_NAME_MAX) {
        return INIT_ERR_BAD_NAME;
    }
    memset(words, 0, sizeof(words));
    words[0] = (uint32_t)len;
    memcpy(&words[1], cmdline, len);
    return request(client, seq, RPC_OP_PROC_SPAWN, core, ICM_SPAWN, words,
                   1 + (uint32_t)(len + 3) / 4);
}

errval_t remote_pid_call(domainid_t client, uint32_t seq, uint32_t rpc_op, domainid_t pid)
{
    uint32_t op = rpc_op == RPC_OP_PROC_KILL ? ICM_KILL
                : rpc_op == RPC_OP_PROC_WAIT ? ICM_WAIT : ICM_INFO;

    if (aos_pid_core(pid) >= ncores()) {
        return INIT_ERR_NO_SUCH_PID;
    }
    return request(client, seq, rpc_op, aos_pid_core(pid), op, &pid, 1);
}

errval_t remote_all_pids(domainid_t client, uint32_t seq, const domainid_t *pids, uint32_t n)
{
    struct pending *pd = pending_new(client, seq, RPC_OP_PROC_ALL_PIDS);
    struct icm m = { .op = ICM_ALL_PIDS, .src = my_core(), .nwords = 0 };

    if (pd == NULL) {
        return INIT_ERR_TOO_MANY_REMOTE;
    }
    pd->pids = malloc(((size_t)n + (ncores() - 1) * (PROC_MAX_LIVE + 1)) * sizeof(domainid_t));
    if (pd->pids == NULL) {
        pending_free(pd);
        return LIB_ERR_RPC_NO_MEMORY;
    }
    memcpy(pd->pids, pids, n * sizeof(domainid_t));
    pd->npids = n;
    m.tag = pd->tag;
    for (uint32_t c = 0; c < ncores(); c++) {
        m.dst = c;
        if (c != my_core() && err_is_ok(intercore_send(&m))) {
            pd->due |= 1u << c;         /* a dead or unreachable core: not asked */
        }
    }
    if (pd->due == 0) {
        answer->reply_long(client, seq, RPC_OP_PROC_ALL_PIDS, pd->pids,
                           pd->npids * (uint32_t)sizeof(domainid_t), &pd->npids, 1);
        pending_free(pd);
    }
    return SYS_ERR_OK;
}

errval_t remote_mem_stats(domainid_t client, uint32_t seq, coreid_t core)
{
    if (core >= ncores()) {
        return INIT_ERR_NO_SUCH_CORE;
    }
    return request(client, seq, RPC_OP_MEM_STATS, core, ICM_MEM_STATS, NULL, 0);
}

errval_t remote_getchar(domainid_t client, uint32_t seq)
{
    return request(client, seq, RPC_OP_GETCHAR, 0, ICM_GETCHAR, NULL, 0);
}

/* An answer to pending call `pd`: answer its client (or collect). */
static void take_answer(struct pending *pd, const struct icm *m)
{
    errval_t err = m->nwords >= 1 ? (errval_t)m->w[0] : INIT_ERR_BAD_ANSWER;
    const uint32_t *w = &m->w[1];
    uint32_t n = m->nwords >= 1 ? m->nwords - 1 : 0;

    switch (pd->rpc_op) {
    case RPC_OP_PROC_ALL_PIDS:
        if (err_is_ok(err) && n >= 1 && w[0] <= PROC_MAX_LIVE + 1 && n == 1 + w[0]
            && (pd->due & (1u << m->src))) {
            memcpy(pd->pids + pd->npids, &w[1], w[0] * sizeof(domainid_t));
            pd->npids += w[0];
        }
        pd->due &= ~(1u << m->src);
        if (pd->due != 0) {
            return;
        }
        answer->reply_long(pd->client, pd->seq, pd->rpc_op, pd->pids,
                           pd->npids * (uint32_t)sizeof(domainid_t), &pd->npids, 1);
        break;
    case RPC_OP_PROC_INFO:
    case RPC_OP_PROC_GET_NAME:
        if (err_is_ok(err) && (n < 5 || w[4] > RPC_NAME_MAX || n != 5 + (w[4] + 3) / 4)) {
            err = INIT_ERR_BAD_ANSWER;
        }
        if (err_is_fail(err)) {
            answer->reply(pd->client, pd->seq, pd->rpc_op, err, NULL, 0);
        } else if (pd->rpc_op == RPC_OP_PROC_INFO) {
            uint32_t info[5] = { w[0], m->src, w[1], w[2], w[3] };
            answer->reply_long(pd->client, pd->seq, pd->rpc_op, &w[5], w[4], info, 5);
        } else {
            answer->reply_long(pd->client, pd->seq, pd->rpc_op, &w[5], w[4], &w[4], 1);
        }
        break;
    default:            /* SPAWN {pid}, KILL {}, WAIT {status, killed}, MEM_STATS {free, total},
                           GETCHAR {char} */
        answer->reply(pd->client, pd->seq, pd->rpc_op, err, w, n > 2 ? 2 : n);
        break;
    }
    pending_free(pd);
}

/* ---- target side ---- */

static void answer_core(const struct icm *req, errval_t err, const uint32_t *w, uint32_t n)
{
    struct icm m = { .op = req->op | ICM_REPLY, .src = my_core(), .dst = req->src,
                     .tag = req->tag, .nwords = 1 + n };

    m.w[0] = (uint32_t)err;
    memcpy(&m.w[1], w, n * sizeof(uint32_t));
    intercore_send(&m);         /* a full queue drops it: that core is swamped */
}

static void serve_spawn(const struct icm *m)
{
    char line[RPC_NAME_MAX + 1];
    struct proc *child;
    uint32_t pid = 0;
    errval_t err = INIT_ERR_BAD_NAME;

    if (m->nwords >= 1 && m->w[0] <= RPC_NAME_MAX && m->nwords == 1 + (m->w[0] + 3) / 4) {
        memcpy(line, &m->w[1], m->w[0]);
        line[m->w[0]] = '\0';
        err = strlen(line) == m->w[0] ? proc_spawn_cmdline(line, my_core(), &child)
                                      : INIT_ERR_BAD_NAME;
    }
    if (err_is_ok(err)) {
        pid = child->pid;
    }
    answer_core(m, err, &pid, 1);
}

/* The process a request names, with the errors a local request gets. */
static errval_t target(const struct icm *m, struct proc **ret)
{
    if (m->nwords != 1) {
        return LIB_ERR_RPC_MALFORMED;
    }
    *ret = proc_find(m->w[0]);
    if (*ret == NULL) {
        return aos_pid_is_init(m->w[0]) && aos_pid_core(m->w[0]) == my_core()
               ? INIT_ERR_KILL_INIT : INIT_ERR_NO_SUCH_PID;
    }
    return SYS_ERR_OK;
}

static void serve_kill(const struct icm *m)
{
    struct proc *t;
    errval_t err = target(m, &t);

    if (err_is_ok(err) && t->system) {
        err = INIT_ERR_KILL_INIT;           /* the monitor */
    } else if (err_is_ok(err) && t->state != PROC_STATE_RUNNING) {
        err = INIT_ERR_ALREADY_ENDED;
    }
    if (err_is_ok(err)) {
        proc_end(t, true, 0);
    }
    answer_core(m, err, NULL, 0);
}

static void answer_wait(uint32_t core, uint32_t tag, const struct proc *t)
{
    struct icm req = { .op = ICM_WAIT, .src = core, .tag = tag };
    uint32_t w[2] = { (uint32_t)t->status, t->state == PROC_STATE_KILLED };

    answer_core(&req, SYS_ERR_OK, w, 2);
}

static void serve_wait(const struct icm *m)
{
    struct proc *t;
    errval_t err = target(m, &t);

    if (err_is_ok(err) && t->state != PROC_STATE_RUNNING) {
        answer_wait(m->src, m->tag, t);
        return;
    }
    if (err_is_ok(err) && t->nwaiters + t->nrwaiters >= PROC_MAX_WAITERS) {
        err = INIT_ERR_TOO_MANY_WAITERS;
    }
    if (err_is_fail(err)) {
        answer_core(m, err, NULL, 0);
        return;
    }
    t->rwaiters[t->nrwaiters].core = m->src;
    t->rwaiters[t->nrwaiters].tag = m->tag;
    t->nrwaiters++;
}

static void serve_info(const struct icm *m)
{
    uint32_t w[4 + 1 + (RPC_NAME_MAX + 4) / 4] = { 0 };
    struct proc *t = NULL;
    errval_t err = target(m, &t);
    const char *name = t != NULL ? t->cmdline : "init";
    size_t ram = 0;
    uint32_t faults = 0;

    if (err_no(err) == INIT_ERR_KILL_INIT) {
        err = SYS_ERR_OK;               /* this core's init: info, but no kill */
    }
    if (err_is_fail(err)) {
        answer_core(m, err, NULL, 0);
        return;
    }
    if (t != NULL) {
        proc_usage(t, &ram, &faults);
    }
    w[0] = t != NULL ? proc_visible_state(t) : PROC_STATE_RUNNING;
    w[1] = (uint32_t)ram;
    w[2] = faults;
    w[3] = t != NULL ? (uint32_t)t->status : 0;
    w[4] = (uint32_t)strlen(name);
    memcpy(&w[5], name, w[4]);
    answer_core(m, SYS_ERR_OK, w, 5 + (w[4] + 3) / 4);
}

static void serve_all_pids(const struct icm *m)
{
    uint32_t w[1 + PROC_MAX_LIVE + 1];

    w[0] = proc_running_pids(&w[1], PROC_MAX_LIVE + 1);
    answer_core(m, SYS_ERR_OK, w, 1 + w[0]);
}

static void serve_mem_stats(const struct icm *m)
{
    gensize_t free_bytes, total;
    uint32_t w[2];

    mem_server_stats(&free_bytes, &total);
    w[0] = (uint32_t)free_bytes;
    w[1] = (uint32_t)total;
    answer_core(m, SYS_ERR_OK, w, 2);
}

/* Core 0: a GETCHAR of another core's domain waits for console input. */
static void serve_getchar(const struct icm *m)
{
    if (getchar_count == REMOTE_GETCHAR_MAX) {
        answer_core(m, INIT_ERR_TOO_MANY_WAITERS, NULL, 0);
        return;
    }
    getchars[(getchar_first + getchar_count) % REMOTE_GETCHAR_MAX].core = m->src;
    getchars[(getchar_first + getchar_count) % REMOTE_GETCHAR_MAX].tag = m->tag;
    getchar_count++;
}

bool remote_procs_console_waiting(void)
{
    return getchar_count > 0;
}

void remote_procs_console_give(char c)
{
    struct icm req = { .op = ICM_GETCHAR, .src = getchars[getchar_first].core,
                       .tag = getchars[getchar_first].tag };
    uint32_t ch = (uint8_t)c;

    getchar_first = (getchar_first + 1) % REMOTE_GETCHAR_MAX;
    getchar_count--;
    answer_core(&req, SYS_ERR_OK, &ch, 1);
}

/* Core 0: RAM for a core running short (it claims the gift itself). */
static void serve_more_ram(const struct icm *m)
{
    uint32_t w[2] = { 0, 0 };
    errval_t err = m->nwords == 1 ? mem_server_give_ram(m->src, m->w[0], &w[0], &w[1])
                                  : LIB_ERR_RPC_MALFORMED;

    answer_core(m, err, w, 2);
}

static void serve_request(const struct icm *m)
{
    switch (m->op) {
    case ICM_SPAWN:     serve_spawn(m); break;
    case ICM_KILL:      serve_kill(m); break;
    case ICM_WAIT:      serve_wait(m); break;
    case ICM_INFO:      serve_info(m); break;
    case ICM_ALL_PIDS:  serve_all_pids(m); break;
    case ICM_MEM_STATS: serve_mem_stats(m); break;
    case ICM_MORE_RAM:  serve_more_ram(m); break;
    case ICM_GETCHAR:   serve_getchar(m); break;
    default:            answer_core(m, LIB_ERR_RPC_BAD_OP, NULL, 0); break;
    }
}

/*
 * Core `core`'s init died: calls waiting for it fail with
 * INIT_ERR_CORE_DEAD; a get_all_pids answers without its list.
 */
static void core_died(uint32_t core)
{
    intercore_core_dead(core);
    channels_core_dead(core);
    for (uint32_t i = 0; i < REMOTE_PENDING_MAX; i++) {
        struct pending *pd = &pending[i];
        if (pd->tag == 0 || !(pd->due & (1u << core))) {
            continue;
        }
        pd->due &= ~(1u << core);
        if (pd->rpc_op == RPC_OP_PROC_ALL_PIDS) {
            if (pd->due == 0) {
                answer->reply_long(pd->client, pd->seq, pd->rpc_op, pd->pids,
                                   pd->npids * (uint32_t)sizeof(domainid_t), &pd->npids, 1);
                pending_free(pd);
            }
        } else {
            answer->reply(pd->client, pd->seq, pd->rpc_op, INIT_ERR_CORE_DEAD, NULL, 0);
            pending_free(pd);
        }
    }
}

/* The kernel copies the cores found dead into our dispatcher frame on
 * every ring of our doorbell (the dying core's kernel rings it). */
static void check_dead_cores(void)
{
    static uint32_t seen;
    uint32_t down = get_dispatcher()->cores_down;

    for (uint32_t c = 0; c < ncores(); c++) {
        if ((down & ~seen) & (1u << c)) {
            core_died(c);
        }
    }
    seen = down;
}

bool remote_procs_serve(void)
{
    struct icm m;
    bool any = false;

    check_dead_cores();
    while (intercore_poll(&m)) {
        any = true;
        if (channels_icm(&m)) {
            continue;
        }
        if (m.op & ICM_REPLY) {
            struct pending *pd = pending_find(m.tag);
            if (pd != NULL) {
                take_answer(pd, &m);
            }                           /* else: its client ended */
        } else {
            serve_request(&m);
        }
    }
    return any;
}

void remote_procs_proc_ended(struct proc *p)
{
    for (uint32_t i = 0; i < p->nrwaiters; i++) {
        answer_wait(p->rwaiters[i].core, p->rwaiters[i].tag, p);
    }
    p->nrwaiters = 0;
}

void remote_procs_client_ended(domainid_t pid)
{
    for (uint32_t i = 0; i < REMOTE_PENDING_MAX; i++) {
        if (pending[i].tag != 0 && pending[i].client == pid) {
            pending_free(&pending[i]);
        }
    }
}
