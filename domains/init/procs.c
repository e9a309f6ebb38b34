/*
 * Starting boot modules as processes, finding them by pid, tearing them
 * down. See procs.h. Building a child from its boot module, and reading
 * back what it publishes, is the spawn library's (include/aos/spawn.h).
 */
#include "procs.h"
#include "mem_server.h"
#include "bindings.h"
#include <aos/cmdline.h>
#include <aos/caps.h>
#include <aos/slot_alloc.h>
#include <aos/ram_alloc.h>
#include <aos/dispatch.h>
#include <autarky/bootinfo.h>
#include <stdlib.h>
#include <string.h>

static capaddr_t server_ep;
static const struct proc_hooks *hooks;
static struct proc *procs;
static domainid_t next_pid;       /* procs_init: this core's first */

domainid_t procs_my_init_pid(void)
{
    return get_bootinfo()->core_id * AOS_PID_CORE_STRIDE;
}

void procs_set_hooks(const struct proc_hooks *h)
{
    hooks = h;
}

errval_t procs_init(void)
{
    capaddr_t ram;
    errval_t err = ram_alloc(&ram, BASE_PAGE_SIZE);

    spawn_set_ram_source(mem_server_alloc, mem_server_free_block);
    next_pid = procs_my_init_pid() + 1;
    if (err_is_ok(err)) {
        err = slot_alloc(&server_ep);
    }
    if (err_is_ok(err)) {
        err = cap_retype_one(ram, ObjType_Endpoint, 0, OBJSIZE_ENDPOINT, server_ep);
    }
    if (err_is_ok(err)) {
        err = ep_bind(server_ep, CAP_DISPATCHER);
    }
    return err;
}

static uint32_t count_state(enum proc_state st)
{
    uint32_t n = 0;
    for (struct proc *p = procs; p != NULL; p = p->next) {
        n += p->state == st;
    }
    return n;
}

/* Copy each grant into the child's TASKCN (moving those marked so: ours
 * is deleted, the child's is then the only one). */
static errval_t place_grants(struct spawninfo *si, const struct proc_grant *grants,
                             uint32_t n)
{
    errval_t err = SYS_ERR_OK;

    for (uint32_t i = 0; i < n && err_is_ok(err); i++) {
        err = cap_copy(si->taskcn, grants[i].slot, grants[i].cap);
        if (err_is_ok(err) && grants[i].move) {
            err = cap_delete(grants[i].cap);
        }
    }
    return err;
}

/* Take p's domain down: its binding first (the monitor stops answering
 * it), then everything it held (spawn_cleanup revokes: it stops at once). */
static void proc_teardown(struct proc *p)
{
    binding_take(p);
    spawn_cleanup(&p->si);
}

/* Build process `pid` from boot module argv[0], give it `grants`, start it. */
static errval_t proc_create(int argc, const char *const argv[], const char *cmdline,
                            domainid_t pid, const struct proc_grant *grants, uint32_t ngrants,
                            struct proc **ret)
{
    struct proc *p;
    errval_t err;

    if (argc < 1) {
        return LIB_ERR_SPAWN_ARGS;
    }
    if (count_state(PROC_STATE_RUNNING) >= PROC_MAX_LIVE) {
        return INIT_ERR_TOO_MANY_PROCS;
    }
    p = calloc(1, sizeof(*p));
    if (p == NULL || (p->cmdline = strdup(cmdline)) == NULL) {
        free(p);
        return LIB_ERR_SPAWN_NO_MEMORY;
    }
    p->pid = pid;
    p->state = PROC_STATE_RUNNING;
    p->system = ngrants > 0;
    p->mon_place = -1;
    err = spawn_load_module(&p->si, argc, argv, server_ep, p->pid);
    if (err_is_ok(err)) {
        err = place_grants(&p->si, grants, ngrants);
        if (err_is_ok(err)) {
            err = spawn_start(&p->si);
        }
        if (err_is_fail(err)) {
            proc_teardown(p);
        }
    }
    if (err_is_fail(err)) {
        free(p->cmdline);
        free(p);
        return err;
    }
    p->cl.ep = p->si.child_ep;
    p->next = procs;
    procs = p;
    *ret = p;
    return SYS_ERR_OK;
}

/* proc_create as the next pid of this core's block (never reused; the
 * block's last pid is the monitor's). */
static errval_t create_next(int argc, const char *const argv[], const char *cmdline,
                            const struct proc_grant *grants, uint32_t ngrants,
                            struct proc **ret)
{
    errval_t err;

    if (next_pid % AOS_PID_CORE_STRIDE == AOS_PID_MONITOR_OFFSET) {
        return INIT_ERR_PIDS_EXHAUSTED;     /* this core's block is used up */
    }
    err = proc_create(argc, argv, cmdline, next_pid, grants, ngrants, ret);
    if (err_is_ok(err)) {
        next_pid++;
    }
    return err;
}

errval_t proc_spawn(int argc, const char *const argv[], const char *cmdline,
                    struct proc **ret)
{
    return create_next(argc, argv, cmdline, NULL, 0, ret);
}

/* The services init starts itself: its authority goes to these only. */
static bool is_system_service(const char *name)
{
    return strcmp(name, "monitor") == 0 || strcmp(name, "runner") == 0;
}

errval_t proc_spawn_system(int argc, const char *const argv[], domainid_t pid,
                           const struct proc_grant *grants, uint32_t ngrants,
                           struct proc **ret)
{
    if (argc < 1 || !is_system_service(argv[0]) || ngrants == 0
        || (pid != PROC_NEXT_PID && proc_find(pid) != NULL)) {
        return INIT_ERR_NOT_SPAWNABLE;
    }
    if (pid == PROC_NEXT_PID) {
        return create_next(argc, argv, argv[0], grants, ngrants, ret);
    }
    return proc_create(argc, argv, argv[0], pid, grants, ngrants, ret);
}

/*
 * A command line from a request: at most RPC_NAME_MAX bytes, a module name
 * without a path, a boot module that may be started (not init or the
 * monitor: there is one of each per core), this core (remote_procs.c sends
 * the others on). A request for the runner gets an ordinary domain.
 */
errval_t proc_spawn_cmdline(const char *cmdline, coreid_t core, struct proc **ret)
{
    char *buf, *argv[COMMAND_MAX_ARGS + 1];
    int argc;
    errval_t err;

    if (core != get_bootinfo()->core_id) {
        return INIT_ERR_NO_SUCH_CORE;
    }
    if (strlen(cmdline) > RPC_NAME_MAX) {
        return INIT_ERR_BAD_NAME;
    }
    buf = strdup(cmdline);
    if (buf == NULL) {
        return LIB_ERR_SPAWN_NO_MEMORY;
    }
    argc = cmdline_split(buf, argv, COMMAND_MAX_ARGS);
    if (argc <= 0 || strchr(argv[0], '/') != NULL) {
        err = INIT_ERR_BAD_NAME;
    } else if (strcmp(argv[0], "init") == 0 || strcmp(argv[0], "monitor") == 0) {
        err = INIT_ERR_NOT_SPAWNABLE;       /* one of each per core, started by init */
    } else {
        err = proc_spawn(argc, (const char *const *)argv, cmdline, ret);
    }
    free(buf);
    return err;
}

struct proc *proc_find(domainid_t pid)
{
    for (struct proc *p = procs; p != NULL; p = p->next) {
        if (p->pid == pid) {
            return p;
        }
    }
    return NULL;
}

/* Ended entries that may be dropped: not held by a boot command. */
static uint32_t count_droppable(void)
{
    uint32_t n = 0;
    for (struct proc *p = procs; p != NULL; p = p->next) {
        n += p->state != PROC_STATE_RUNNING && !p->held;
    }
    return n;
}

/*
 * Drop the oldest ended entries beyond PROC_MAX_ENDED. Never one a boot
 * command holds: the command runner reads its end and reaps it itself (a
 * command whose children outnumbered the limit was dropped here the
 * moment it ended, and then read and freed again: init's heap broke).
 */
static void prune_ended(void)
{
    while (count_droppable() > PROC_MAX_ENDED) {
        struct proc *oldest = NULL;
        for (struct proc *p = procs; p != NULL; p = p->next) {
            if (p->state != PROC_STATE_RUNNING && !p->held) {
                oldest = p;            /* newest first: the last one is the oldest */
            }
        }
        proc_reap(oldest);
    }
}

void proc_end(struct proc *p, bool killed, int status)
{
    if (p->state != PROC_STATE_RUNNING) {
        return;
    }
    p->state = killed ? PROC_STATE_KILLED : PROC_STATE_EXITED;
    p->status = killed ? AOS_RPC_STATUS_KILLED : status;
    p->getchar_pending = false;
    proc_teardown(p);
    if (hooks != NULL) {
        hooks->ended(p);            /* the server: its state, p's waiters */
    }
    p->nwaiters = 0;
    proc_drop_waiter(get_bootinfo()->core_id, p->pid);     /* its own WAIT, if any */
    prune_ended();
}

void proc_drop_waiter(uint32_t core, uint32_t who)
{
    for (struct proc *p = procs; p != NULL; p = p->next) {
        uint32_t kept = 0;
        for (uint32_t i = 0; i < p->nwaiters; i++) {
            if (p->waiters[i].core != core || p->waiters[i].who != who) {
                p->waiters[kept++] = p->waiters[i];
            }
        }
        p->nwaiters = kept;
    }
}

errval_t proc_add_waiter(struct proc *t, struct proc_waiter w)
{
    for (uint32_t i = 0; i < t->nwaiters; i++) {
        if (t->waiters[i].client == w.client) {
            return INIT_ERR_ALREADY_WAITING;
        }
    }
    if (t->nwaiters >= PROC_MAX_WAITERS) {
        return INIT_ERR_TOO_MANY_WAITERS;
    }
    t->waiters[t->nwaiters++] = w;
    return SYS_ERR_OK;
}

errval_t proc_kill(struct proc *t)
{
    if (t->system) {
        return INIT_ERR_KILL_INIT;
    }
    if (t->state != PROC_STATE_RUNNING) {
        return INIT_ERR_ALREADY_ENDED;
    }
    proc_end(t, true, 0);
    return SYS_ERR_OK;
}

void proc_reap(struct proc *p)
{
    struct proc **pp = &procs;

    while (*pp != NULL && *pp != p) {
        pp = &(*pp)->next;
    }
    if (*pp == p) {
        *pp = p->next;
    }
    if (p->state == PROC_STATE_RUNNING) {
        proc_teardown(p);
    }
    if (hooks != NULL) {
        hooks->forgotten(p);
    }
    free(p->cmdline);
    free(p);
}

const char *proc_info(struct proc *t, uint32_t w[PROC_INFO_WORDS])
{
    bool running = t != NULL && t->state == PROC_STATE_RUNNING;
    enum disp_state ds;

    w[0] = t != NULL ? t->state : PROC_STATE_RUNNING;
    if (running && err_is_ok(disp_get_state(t->si.dispatcher, &ds))
        && ds == DISP_STATE_STOPPED) {
        w[0] = PROC_STATE_STOPPED;
    }
    w[1] = get_bootinfo()->core_id;
    w[2] = running ? (uint32_t)t->si.ram_bytes : 0;
    w[3] = running ? spawn_page_faults(&t->si) : 0;
    w[4] = t != NULL ? (uint32_t)t->status : 0;
    return t != NULL ? t->cmdline : "init";
}

uint32_t proc_running_pids(domainid_t *pids, uint32_t max)
{
    uint32_t n = 0;

    if (max > 0) {
        pids[n++] = procs_my_init_pid();
    }
    for (struct proc *p = procs; p != NULL && n < max; p = p->next) {
        if (p->state == PROC_STATE_RUNNING) {
            pids[n++] = p->pid;
        }
    }
    return n;
}

/* The child's vmmap page, checked (spawn_read_vmmap). */
static errval_t proc_vm_read(struct proc *p, struct vmmap_copy *copy)
{
    return p->state == PROC_STATE_RUNNING ? spawn_read_vmmap(&p->si, copy)
                                          : INIT_ERR_ALREADY_ENDED;
}

errval_t proc_vm_summary(struct proc *p, struct aos_vm_summary *vm)
{
    struct vmmap_copy c = { .entries = NULL };
    errval_t err = proc_vm_read(p, &c);

    _Static_assert(sizeof(vm->bytes) == sizeof(c.tag_bytes), "a total per tag");
    memset(vm, 0, sizeof(*vm));
    if (err_is_ok(err)) {
        memcpy(vm->bytes, c.tag_bytes, sizeof(vm->bytes));
        memcpy(vm->blocks, c.tag_blocks, sizeof(vm->blocks));
    }
    return err;
}

errval_t proc_vm_blocks(struct proc *p, struct vmmap_entry *out, uint32_t *count,
                        uint32_t *unlisted)
{
    struct vmmap_copy c = { .entries = out };
    errval_t err = proc_vm_read(p, &c);

    *count = err_is_ok(err) ? c.count : 0;
    *unlisted = err_is_ok(err) ? c.unlisted : 0;
    return err;
}

struct proc *proc_getchar_waiter(void)
{
    struct proc *found = NULL;

    for (struct proc *p = procs; p != NULL; p = p->next) {
        if (p->getchar_pending && p->state == PROC_STATE_RUNNING) {
            found = p;          /* the list is newest first: keep the last */
        }
    }
    return found;
}
