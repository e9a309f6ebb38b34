/*
 * Starting boot modules as processes, finding them by pid, tearing them
 * down. See procs.h.
 *
 * Boot modules are mapped read-only into init once, at first use, and
 * stay mapped: building a child reads its ELF from there.
 */
#include "procs.h"
#include "mem_server.h"
#include "cmdline.h"
#include <aos/caps.h>
#include <aos/slot_alloc.h>
#include <aos/paging.h>
#include <aos/ram_alloc.h>
#include <aos/dispatch.h>
#include <autarky/bootinfo.h>
#include <autarky/layout.h>
#include <aos/buddy.h>
#include <stdlib.h>
#include <string.h>

static capaddr_t server_ep;
static const struct proc_hooks *hooks;
static struct proc *procs;
static domainid_t next_pid;       /* procs_init: this core's first */
static const void *module_image[BOOTINFO_MAX_MODULES];

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

/* The ELF of boot module `name`, mapped into init. */
static errval_t find_module(const char *name, const void **image, size_t *size,
                           capaddr_t *frame)
{
    const struct bootinfo *bi = get_bootinfo();

    for (uint32_t i = 0; i < bi->n_modules; i++) {
        const struct boot_module_info *m = &bi->modules[i];
        if (strncmp(m->name, name, BOOTINFO_NAME_LEN) != 0) {
            continue;
        }
        if (module_image[i] == NULL) {
            void *buf;
            size_t bytes = (m->size + BASE_PAGE_SIZE - 1) & ~(size_t)(BASE_PAGE_SIZE - 1);
            errval_t err = paging_map_frame(get_current_paging_state(), &buf, bytes,
                                            m->cap, VREGION_FLAGS_READ);
            if (err_is_fail(err)) {
                return err;
            }
            module_image[i] = buf;
        }
        *image = module_image[i];
        *size = m->size;
        *frame = m->cap;
        return SYS_ERR_OK;
    }
    return INIT_ERR_NO_SUCH_MODULE;
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

/* Build process `pid` from boot module argv[0], give it `grants`, start it. */
static errval_t proc_create(int argc, const char *const argv[], const char *cmdline,
                            domainid_t pid, const struct proc_grant *grants, uint32_t ngrants,
                            struct proc **ret)
{
    const void *image;
    size_t size;
    capaddr_t frame;
    struct proc *p;
    errval_t err;

    if (argc < 1) {
        return LIB_ERR_SPAWN_ARGS;
    }
    if (count_state(PROC_STATE_RUNNING) >= PROC_MAX_LIVE) {
        return INIT_ERR_TOO_MANY_PROCS;
    }
    err = find_module(argv[0], &image, &size, &frame);
    if (err_is_fail(err)) {
        return err;
    }
    p = calloc(1, sizeof(*p));
    if (p == NULL || (p->cmdline = strdup(cmdline)) == NULL) {
        free(p);
        return LIB_ERR_SPAWN_NO_MEMORY;
    }
    p->pid = pid;
    p->state = PROC_STATE_RUNNING;
    p->system = ngrants > 0;
    err = spawn_load(&p->si, image, size, frame, argc, argv, server_ep, p->pid);
    if (err_is_ok(err)) {
        err = place_grants(&p->si, grants, ngrants);
        if (err_is_ok(err)) {
            err = spawn_start(&p->si);
        }
        if (err_is_fail(err)) {
            spawn_cleanup(&p->si);
        }
    }
    if (err_is_fail(err)) {
        free(p->cmdline);
        free(p);
        return err;
    }
    p->next = procs;
    procs = p;
    *ret = p;
    return SYS_ERR_OK;
}

errval_t proc_spawn(int argc, const char *const argv[], const char *cmdline,
                    struct proc **ret)
{
    errval_t err;

    if (next_pid % AOS_PID_CORE_STRIDE == AOS_PID_MONITOR_OFFSET) {
        return INIT_ERR_PIDS_EXHAUSTED;     /* never reused: this core's block is used up */
    }
    err = proc_create(argc, argv, cmdline, next_pid, NULL, 0, ret);
    if (err_is_ok(err)) {
        next_pid++;
    }
    return err;
}

/*
 * The one place a capability of init's own authority (the Kernel cap, a
 * core's RAM, a frame shared with init) reaches another domain: the
 * system service `name` (only "monitor") is spawned with `grants` in its
 * TASKCN before it first runs (docs/capabilities.md "Who holds the Kernel
 * capability"). Nothing a domain asks for leads here.
 */
errval_t proc_spawn_system(const char *name, domainid_t pid, const struct proc_grant *grants,
                           uint32_t ngrants, struct proc **ret)
{
    const char *argv[] = { name, NULL };

    if (strcmp(name, "monitor") != 0 || ngrants == 0 || proc_find(pid) != NULL) {
        return INIT_ERR_NOT_SPAWNABLE;
    }
    return proc_create(1, argv, name, pid, grants, ngrants, ret);
}

/*
 * A command line from a request: at most RPC_NAME_MAX bytes, a module name
 * without a path, a boot module that may be started (init may not: there
 * and the monitor may not: there is one of each per core), this core (remote_procs.c sends the others on).
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
    spawn_cleanup(&p->si);          /* revokes: the domain stops at once */
    if (hooks != NULL) {
        hooks->ended(p);            /* the server: its state, p's waiters */
    }
    p->nwaiters = 0;
    prune_ended();
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
        spawn_cleanup(&p->si);
    }
    if (hooks != NULL) {
        hooks->forgotten(p);
    }
    free(p->cmdline);
    free(p);
}

enum proc_state proc_visible_state(struct proc *p)
{
    enum disp_state ds;

    if (p->state == PROC_STATE_RUNNING
        && err_is_ok(disp_get_state(p->si.dispatcher, &ds)) && ds == DISP_STATE_STOPPED) {
        return PROC_STATE_STOPPED;
    }
    return p->state;
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

static void read_faults(void *buf, size_t bytes, void *ctx)
{
    (void)bytes;
    *(uint32_t *)ctx = ((struct dispatcher_shared *)buf)->page_faults;
}

/* A copy of the child's vmmap page, checked: the child writes it, so
 * nothing in it is trusted (include/aos/vmmap.h). `out` NULL: the totals
 * only. */
struct vm_read {
    struct vmmap_entry *out;
    struct aos_vm_summary *sum;
    uint32_t count, unlisted;
    errval_t err;
};

static bool vmmap_entry_valid(const struct vmmap_entry *e)
{
    return e->tag > BUDDY_TAG_NONE && e->tag < BUDDY_TAG_COUNT
           && e->order >= BUDDY_MIN_ORDER && e->order <= BUDDY_MAX_ORDER
           && (e->base & (((uint32_t)1 << e->order) - 1)) == 0
           && (uint64_t)e->base + ((uint64_t)1 << e->order) <= USER_TOP;
}

static errval_t vm_copy(const struct vmmap_page *pg, struct vm_read *r)
{
    uint32_t seq = pg->seq;

    __atomic_signal_fence(__ATOMIC_SEQ_CST);
    if (pg->magic != VMMAP_MAGIC) {
        return INIT_ERR_VMMAP_NOT_YET;
    }
    r->count = pg->count;
    r->unlisted = pg->unlisted;
    if (r->count > VMMAP_MAX_ENTRIES) {
        return INIT_ERR_VMMAP_GARBLED;
    }
    memcpy(r->sum->bytes, pg->tag_bytes, sizeof(r->sum->bytes));
    memcpy(r->sum->blocks, pg->tag_blocks, sizeof(r->sum->blocks));
    if (r->out != NULL) {
        memcpy(r->out, pg->entry, r->count * sizeof(struct vmmap_entry));
    }
    __atomic_signal_fence(__ATOMIC_SEQ_CST);
    if (seq % 2 != 0 || pg->seq != seq) {
        return INIT_ERR_VMMAP_BUSY;         /* preempted inside an update */
    }
    for (uint32_t i = 0; r->out != NULL && i < r->count; i++) {
        if (!vmmap_entry_valid(&r->out[i])) {
            return INIT_ERR_VMMAP_GARBLED;
        }
    }
    return SYS_ERR_OK;
}

static void read_vm(void *buf, size_t bytes, void *ctx)
{
    struct vm_read *r = ctx;

    (void)bytes;
    r->err = vm_copy((const struct vmmap_page *)((char *)buf + (USER_VMMAP_VADDR
                                                                - USER_DISP_VADDR)), r);
}

static errval_t proc_vm_read(struct proc *p, struct vm_read *r)
{
    errval_t err;

    if (p->state != PROC_STATE_RUNNING) {
        return INIT_ERR_ALREADY_ENDED;
    }
    err = spawn_read_frame(p->si.dispframe, USER_DISP_FRAME_SIZE, read_vm, r);
    return err_is_fail(err) ? err : r->err;
}

errval_t proc_vm_summary(struct proc *p, struct aos_vm_summary *vm)
{
    struct vm_read r = { NULL, vm, 0, 0, SYS_ERR_OK };

    memset(vm, 0, sizeof(*vm));
    return proc_vm_read(p, &r);
}

errval_t proc_vm_blocks(struct proc *p, struct vmmap_entry *out, uint32_t *count,
                        uint32_t *unlisted)
{
    struct aos_vm_summary sum;
    struct vm_read r = { out, &sum, 0, 0, SYS_ERR_OK };
    errval_t err = proc_vm_read(p, &r);

    *count = err_is_ok(err) ? r.count : 0;
    *unlisted = err_is_ok(err) ? r.unlisted : 0;
    return err;
}

void proc_usage(struct proc *p, size_t *ram_bytes, uint32_t *faults)
{
    *ram_bytes = p->state == PROC_STATE_RUNNING ? p->si.ram_bytes : 0;
    *faults = 0;
    if (p->state == PROC_STATE_RUNNING) {
        spawn_read_frame(p->si.dispframe, BASE_PAGE_SIZE, read_faults, faults);
    }
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
