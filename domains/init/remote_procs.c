/*
 * Requests from other cores (remote_procs.h).
 *
 *   client (core a)   monitor a (remote_calls.c)          init c
 *   kill(pid on c) ─▶ ICM_KILL{pid} tag ────────────────▶ serve_kill
 *                     ◀──────────────────────────────── ICM_KILL|REPLY{err} tag
 *   ◀── reply ─────── (over the client's binding)
 *
 * The calling half (pending calls, matching answers, dead cores, merging
 * get_all_pids) is the monitor's, which lists the payloads between cores;
 * here each request is answered from our own tables.
 */
#include "remote_procs.h"
#include "intercore.h"
#include "procs.h"
#include "mem_server.h"
#include <aos/aos_rpc_wire.h>
#include <aos/rpc_serve.h>
#include <aos/dispatch.h>
#include <autarky/bootinfo.h>
#include <string.h>

static struct { uint32_t core, tag; domainid_t client; } getchars[REMOTE_GETCHAR_MAX];
static uint32_t getchar_first, getchar_count;

static uint32_t my_core(void)
{
    return get_bootinfo()->core_id;
}

static uint32_t ncores(void)
{
    return get_bootinfo()->ncores;
}

static errval_t answer_core(const struct icm *req, errval_t err, const uint32_t *w, uint32_t n)
{
    struct icm m = { .op = req->op | ICM_REPLY, .src = my_core(), .dst = req->src,
                     .tag = req->tag, .nwords = 1 + n };

    m.w[0] = (uint32_t)err;
    memcpy(&m.w[1], w, n * sizeof(uint32_t));
    return intercore_send(&m);  /* a full queue drops it: that core is swamped */
}

static void serve_spawn(const struct icm *m)
{
    char line[RPC_NAME_MAX + 1];
    struct proc *child;
    uint32_t pid = 0;
    errval_t err = INIT_ERR_BAD_NAME;

    if (m->nwords >= 1 && m->w[0] <= RPC_NAME_MAX && m->nwords == 1 + (m->w[0] + 3) / 4) {
        err = rpc_spawn_line_check(SYS_ERR_OK, (const char *)&m->w[1], m->w[0]);
    }
    if (err_is_ok(err)) {
        memcpy(line, &m->w[1], m->w[0]);
        line[m->w[0]] = '\0';
        err = proc_spawn_cmdline(line, my_core(), &child);
    }
    if (err_is_ok(err)) {
        pid = child->pid;
    }
    answer_core(m, err, &pid, 1);
}

/* The process a request of `nwords` names (word 0), with the errors a
 * local request gets. */
static errval_t target(const struct icm *m, uint32_t nwords, struct proc **ret)
{
    if (m->nwords != nwords) {
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
    errval_t err = target(m, 1, &t);

    if (err_is_ok(err)) {
        err = proc_kill(t);
    }
    answer_core(m, err, NULL, 0);
}

void remote_procs_answer_wait(uint32_t core, uint32_t tag, const struct proc *t)
{
    struct icm req = { .op = ICM_WAIT, .src = core, .tag = tag };
    uint32_t w[2] = { (uint32_t)t->status, t->state == PROC_STATE_KILLED };

    answer_core(&req, SYS_ERR_OK, w, 2);
}

/* WAIT {pid, the waiting client's pid}: answered now if it ended, else
 * when it does. */
static void serve_wait(const struct icm *m)
{
    struct proc *t;
    errval_t err = target(m, 2, &t);

    if (err_is_ok(err) && t->state != PROC_STATE_RUNNING) {
        remote_procs_answer_wait(m->src, m->tag, t);
        return;
    }
    if (err_is_ok(err)) {
        err = proc_add_waiter(t, (struct proc_waiter){ .core = m->src, .who = m->tag,
                                                       .client = m->w[1] });
    }
    if (err_is_fail(err)) {
        answer_core(m, err, NULL, 0);
    }
}

static void serve_info(const struct icm *m)
{
    uint32_t w[PROC_INFO_WORDS + 1 + (RPC_NAME_MAX + 4) / 4] = { 0 };
    struct proc *t = NULL;
    errval_t err = target(m, 1, &t);
    const char *name;

    if (err_no(err) == INIT_ERR_KILL_INIT) {
        err = SYS_ERR_OK;               /* this core's init: info, but no kill */
    }
    if (err_is_fail(err)) {
        answer_core(m, err, NULL, 0);
        return;
    }
    name = proc_info(t, w);
    w[PROC_INFO_WORDS] = (uint32_t)strlen(name);
    memcpy(&w[PROC_INFO_WORDS + 1], name, w[PROC_INFO_WORDS]);
    answer_core(m, SYS_ERR_OK, w, PROC_INFO_WORDS + 1 + (w[PROC_INFO_WORDS] + 3) / 4);
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

/* A channel to a pid our monitor has no binding for (it never called
 * CHAN_ACCEPT): our monitor passed the request {.., acceptor pid} on, for
 * only we know whether that pid runs (domains/monitor/channels.c). */
static void serve_chan_connect(const struct icm *m)
{
    struct proc *p = m->nwords == 5 ? proc_find(m->w[4]) : NULL;

    answer_core(m, p != NULL && p->state == PROC_STATE_RUNNING ? INIT_ERR_CHAN_NOT_ACCEPTING
                                                               : INIT_ERR_NO_SUCH_PID, NULL, 0);
}

/* Core 0: GETCHAR {client} of another core's domain waits for console
 * input, one per client (as for WAIT, proc_add_waiter): a client sending
 * GETCHARs by hand cannot fill the queue for every other core. */
static void serve_getchar(const struct icm *m)
{
    errval_t err = m->nwords == 1 ? SYS_ERR_OK : LIB_ERR_RPC_MALFORMED;
    uint32_t at;

    for (uint32_t i = 0; i < getchar_count && err_is_ok(err); i++) {
        at = (getchar_first + i) % REMOTE_GETCHAR_MAX;
        if (getchars[at].client == m->w[0]) {
            err = INIT_ERR_ALREADY_WAITING;
        }
    }
    if (err_is_ok(err) && getchar_count == REMOTE_GETCHAR_MAX) {
        err = INIT_ERR_TOO_MANY_WAITERS;
    }
    if (err_is_fail(err)) {
        answer_core(m, err, NULL, 0);
        return;
    }
    at = (getchar_first + getchar_count++) % REMOTE_GETCHAR_MAX;
    getchars[at].core = m->src;
    getchars[at].tag = m->tag;
    getchars[at].client = m->w[0];
}

/* A monitor's client that waited here ended (ICM_CANCEL): forget its
 * WAIT, or its GETCHAR (which would take the next byte typed). */
static void serve_cancel(const struct icm *m)
{
    uint32_t kept = 0;

    proc_drop_waiter(m->src, m->tag);
    for (uint32_t i = 0; i < getchar_count; i++) {
        uint32_t at = (getchar_first + i) % REMOTE_GETCHAR_MAX;
        if (getchars[at].core != m->src || getchars[at].tag != m->tag) {
            getchars[(getchar_first + kept++) % REMOTE_GETCHAR_MAX] = getchars[at];
        }
    }
    getchar_count = kept;
}

bool remote_procs_console_waiting(void)
{
    return getchar_count > 0;
}

bool remote_procs_console_give(char c)
{
    uint32_t ch = (uint8_t)c;

    while (getchar_count > 0) {
        struct icm req = { .op = ICM_GETCHAR, .src = getchars[getchar_first].core,
                           .tag = getchars[getchar_first].tag };
        getchar_first = (getchar_first + 1) % REMOTE_GETCHAR_MAX;
        getchar_count--;
        if (err_is_ok(answer_core(&req, SYS_ERR_OK, &ch, 1))) {
            return true;
        }                           /* its core died, or is swamped: the next */
    }
    return false;
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
    case ICM_CHAN_CONNECT: serve_chan_connect(m); break;
    case ICM_CANCEL:    serve_cancel(m); break;
    default:            answer_core(m, LIB_ERR_RPC_BAD_OP, NULL, 0); break;
    }
}

/* The kernel copies the cores found dead into our dispatcher frame on
 * every ring of our doorbell (the dying core's kernel rings it); our
 * monitor learns of each (and answers the calls due from there, and
 * closes the channels that go there). */
static void check_dead_cores(void)
{
    static uint32_t seen;
    uint32_t down = get_dispatcher()->cores_down;

    for (uint32_t c = 0; c < ncores(); c++) {
        if ((down & ~seen) & (1u << c)) {
            intercore_core_dead(c);
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
        if (!(m.op & ICM_REPLY)) {
            serve_request(&m);
        }                               /* (an answer nobody waits for) */
    }
    return any;
}
