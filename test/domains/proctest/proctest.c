/*
 * proctest: the PROC_ cases, written against the process-management
 * interface of include/aos/aos_rpc.h as any program would use it.
 */
#include <aos/spawn.h>
#include <aos/aos_rpc.h>
#include <aos/aos_rpc_wire.h>
#include <aos/dispatch.h>
#include <aos/threads.h>
#include <aos/syscalls.h>
#include <aos/utest.h>
#include <aos/paging.h>
#include <aos/vmmap.h>
#include <aos/caps.h>
#include <aos/lmp.h>
#include <autarky/layout.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct aos_rpc *chan(void)
{
    return aos_rpc_get_process_channel();
}

static size_t server_free(void)
{
    size_t f = 0, t;
    aos_rpc_mem_stats(chan(), &f, &t);
    return f;
}

static size_t running_count(void)
{
    domainid_t *pids;
    size_t n = 0;
    if (err_is_ok(aos_rpc_process_get_all_pids(chan(), &pids, &n))) {
        free(pids);
    }
    return n;
}

static void spawn_name_wait(void)
{
    domainid_t pid;
    char *name;
    int status = -1;

    UEXPECT_OK(aos_rpc_process_spawn(chan(), "hello a \"b c\"", 0, &pid));
    UEXPECT(pid > spawn_my_pid() || pid > 0, "pid %lu", (unsigned long)pid);
    UEXPECT_OK(aos_rpc_process_get_name(chan(), pid, &name));
    UEXPECT(strcmp(name, "hello a \"b c\"") == 0, "name '%s'", name);
    free(name);
    UEXPECT_OK(aos_rpc_process_wait(chan(), pid, &status));
    UEXPECT_EQ("exit status", status, 0);
    UEXPECT_OK(aos_rpc_process_spawn(chan(), "hello --exit 7", 0, &pid));
    UEXPECT_OK(aos_rpc_process_wait(chan(), pid, &status));
    UEXPECT_EQ("exit status", status, 7);
    UEXPECT_OK(aos_rpc_process_wait(chan(), pid, &status));   /* again: still known */
    UEXPECT_EQ("exit status, asked twice", status, 7);
}

static void all_pids_and_info(void)
{
    domainid_t *pids, pid;
    size_t n;
    bool init_seen = false, busy_seen = false;
    struct aos_proc_info info;
    int status;

    UEXPECT_OK(aos_rpc_process_spawn(chan(), "busy 2", 0, &pid));
    UEXPECT_OK(aos_rpc_process_get_all_pids(chan(), &pids, &n));
    for (size_t i = 0; i < n; i++) {
        init_seen |= pids[i] == 0;
        busy_seen |= pids[i] == pid;
    }
    free(pids);
    UEXPECT(init_seen && busy_seen, "init or the new domain missing from %zu pids", n);
    UEXPECT_OK(aos_rpc_process_get_info(chan(), pid, &info));
    UEXPECT(strcmp(info.name, "busy 2") == 0, "name '%s'", info.name);
    free(info.name);
    UEXPECT_EQ("state", info.state, PROC_STATE_RUNNING);
    UEXPECT_EQ("core", info.core, 0);
    UEXPECT(info.ram_bytes > 0, "no RAM accounted");
    UEXPECT_OK(aos_rpc_process_kill(chan(), pid));
    UEXPECT_OK(aos_rpc_process_wait(chan(), pid, &status));
    UEXPECT_EQ("status of a killed domain", status, AOS_RPC_STATUS_KILLED);
    UEXPECT_OK(aos_rpc_process_get_all_pids(chan(), &pids, &n));
    for (size_t i = 0; i < n; i++) {
        UEXPECT(pids[i] != pid, "a killed domain is still listed");
    }
    free(pids);
    UEXPECT_OK(aos_rpc_process_get_info(chan(), pid, &info));
    free(info.name);
    UEXPECT_EQ("state after kill", info.state, PROC_STATE_KILLED);
}

/* A busy domain holding 8 MiB is killed: the memory server gets it all back. */
static void kill_gives_ram_back(void)
{
    size_t before, running_before = running_count();
    domainid_t pid;
    int status;

    before = server_free();
    UEXPECT_OK(aos_rpc_process_spawn(chan(), "busy 8", 0, &pid));
    for (int i = 0; i < 50; i++) {
        thread_yield();
        sys_yield();                        /* let it touch its 8 MiB */
    }
    UEXPECT(server_free() < before, "the busy domain holds no RAM");
    UEXPECT_OK(aos_rpc_process_kill(chan(), pid));
    UEXPECT_ERR(aos_rpc_process_kill(chan(), pid), INIT_ERR_ALREADY_ENDED);
    UEXPECT_OK(aos_rpc_process_wait(chan(), pid, &status));
    UEXPECT_EQ("free RAM after the kill", server_free(), before);
    UEXPECT_EQ("running domains", running_count(), running_before);
}

/* 1,000 domains in a row, ending by exit, fault and kill in turn. */
static void thousand_domains(void)
{
    size_t before = server_free(), running_before = running_count();
    int status;

    for (int i = 0; i < 1000; i++) {
        domainid_t pid;
        const char *cmd = i % 3 == 0 ? "hello" : i % 3 == 1 ? "faulter null" : "busy";
        UEXPECT_OK(aos_rpc_process_spawn(chan(), (char *)cmd, 0, &pid));
        if (i % 3 == 2) {
            UEXPECT_OK(aos_rpc_process_kill(chan(), pid));
        }
        UEXPECT_OK(aos_rpc_process_wait(chan(), pid, &status));
        UEXPECT_EQ("status", status, i % 3 == 0 ? 0 : i % 3 == 1 ? 1 : AOS_RPC_STATUS_KILLED);
    }
    UEXPECT_EQ("free RAM after 1,000 domains", server_free(), before);
    UEXPECT_EQ("running domains", running_count(), running_before);
}

static void bad_input(void)
{
    char long_name[400];
    domainid_t pid;
    char *name;
    int status;

    memset(long_name, 'a', sizeof(long_name) - 1);
    long_name[sizeof(long_name) - 1] = '\0';
    UEXPECT_ERR(aos_rpc_process_spawn(chan(), long_name, 0, &pid), INIT_ERR_BAD_NAME);
    UEXPECT_ERR(aos_rpc_process_spawn(chan(), "", 0, &pid), INIT_ERR_BAD_NAME);
    UEXPECT_ERR(aos_rpc_process_spawn(chan(), "   ", 0, &pid), INIT_ERR_BAD_NAME);
    UEXPECT_ERR(aos_rpc_process_spawn(chan(), "/bin/hello", 0, &pid), INIT_ERR_BAD_NAME);
    UEXPECT_ERR(aos_rpc_process_spawn(chan(), "nosuchmodule", 0, &pid), INIT_ERR_NO_SUCH_MODULE);
    UEXPECT_ERR(aos_rpc_process_spawn(chan(), "init", 0, &pid), INIT_ERR_NOT_SPAWNABLE);
    UEXPECT_ERR(aos_rpc_process_spawn(chan(), "hello", 8, &pid), INIT_ERR_NO_SUCH_CORE);
    UEXPECT_ERR(aos_rpc_process_spawn(chan(), "hello", 200, &pid), INIT_ERR_NO_SUCH_CORE);
    UEXPECT_ERR(aos_rpc_process_spawn(chan(), "hello \"unclosed", 0, &pid), INIT_ERR_BAD_NAME);
    UEXPECT_ERR(aos_rpc_process_get_name(chan(), 999998, &name), INIT_ERR_NO_SUCH_PID);
    UEXPECT_ERR(aos_rpc_process_kill(chan(), 0), INIT_ERR_KILL_INIT);
    UEXPECT_ERR(aos_rpc_process_kill(chan(), 999998), INIT_ERR_NO_SUCH_PID);
    UEXPECT_ERR(aos_rpc_process_wait(chan(), 999998, &status), INIT_ERR_NO_SUCH_PID);
    UEXPECT_ERR(aos_rpc_process_wait(chan(), 0, &status), INIT_ERR_KILL_INIT);
    /* raw malformed requests */
    uint32_t w[LMP_MSG_WORDS] = { RPC_HDR(RPC_OP_PROC_KILL, 0) };
    struct lmp_msg reply;
    UEXPECT_ERR(aos_rpc_call(chan(), w, 1, CPTR_NULL, CPTR_NULL, &reply), LIB_ERR_RPC_MALFORMED);
    w[0] = RPC_HDR(RPC_OP_PROC_SPAWN, RPC_FLAG_LAST);              /* no FIRST */
    UEXPECT_ERR(aos_rpc_call(chan(), w, 8, CPTR_NULL, CPTR_NULL, &reply), LIB_ERR_RPC_NO_FIRST);
    w[0] = RPC_HDR(RPC_OP_PROC_SPAWN, RPC_FLAG_FIRST | RPC_FLAG_LAST);
    w[1] = 100;                                                     /* truncated */
    UEXPECT_ERR(aos_rpc_call(chan(), w, 3, CPTR_NULL, CPTR_NULL, &reply),
                LIB_ERR_RPC_STRING_TRUNCATED);
    w[1] = 4096;                                                    /* oversized */
    memcpy(&w[2], "hello", 6);
    UEXPECT_ERR(aos_rpc_call(chan(), w, 8, CPTR_NULL, CPTR_NULL, &reply),
                LIB_ERR_RPC_STRING_TRUNCATED);
    /* still serving */
    UEXPECT_OK(aos_rpc_process_spawn(chan(), "hello", 0, &pid));
    UEXPECT_OK(aos_rpc_process_wait(chan(), pid, &status));
}

/* More spawns than the service runs at once: the extra ones get an error. */
#define PROC_FLOOD 100

static void flood(void)
{
    domainid_t pids[PROC_FLOOD];
    int n = 0, status;
    errval_t err = SYS_ERR_OK;

    while (n < PROC_FLOOD && err_is_ok(err = aos_rpc_process_spawn(chan(), "busy", 0, &pids[n]))) {
        n++;
    }
    UEXPECT_ERR(err, INIT_ERR_TOO_MANY_PROCS);
    UEXPECT(n > 10, "only %d domains ran at once", n);
    for (int i = 0; i < n; i++) {
        UEXPECT_OK(aos_rpc_process_kill(chan(), pids[i]));
        UEXPECT_OK(aos_rpc_process_wait(chan(), pids[i], &status));
    }
}

/* get_vmblocks, asked again while the domain is inside an update. */
static errval_t vmblocks(domainid_t pid, struct aos_vm_block **b, size_t *n, size_t *unlisted)
{
    errval_t err;
    int tries = 0;

    do {
        err = aos_rpc_process_get_vmblocks(chan(), pid, b, n, unlisted);
    } while (err == INIT_ERR_VMMAP_BUSY && ++tries < 10 && (thread_yield(), true));
    return err;
}

/* One list and one set of totals, taken by two calls: equal unless the
 * domain changed its address space in between (then try again). */
static bool vm_snapshot(domainid_t pid, struct aos_vm_block **b, size_t *n,
                        size_t *unlisted, struct aos_vm_summary *vm)
{
    size_t blocks[5], bytes[5];

    for (int tries = 0; tries < 10; tries++, sys_yield()) {
        if (err_is_fail(vmblocks(pid, b, n, unlisted))) {
            return false;
        }
        if (err_is_fail(aos_rpc_process_get_vmmap(chan(), pid, vm))) {
            free(*b);
            return false;
        }
        memset(blocks, 0, sizeof(blocks));
        memset(bytes, 0, sizeof(bytes));
        for (size_t i = 0; i < *n; i++) {
            blocks[(*b)[i].tag % 5]++;
            bytes[(*b)[i].tag % 5] += (*b)[i].size;
        }
        bool same = true;
        for (int t = 1; t < 5; t++) {
            same &= blocks[t] == vm->blocks[t] && bytes[t] == vm->bytes[t];
        }
        if (same) {
            return true;
        }
        free(*b);
    }
    return false;
}

/* The list agrees with the totals by tag, is sorted without overlap, every
 * block is aligned to its size, and the stack has its guard right below. */
static void check_vmblocks(domainid_t pid)
{
    struct aos_vm_summary vm;
    struct aos_vm_block *b = NULL;
    size_t n = 0, unlisted = 1;
    bool stack_guarded = false;

    UEXPECT(vm_snapshot(pid, &b, &n, &unlisted, &vm),
            "the block list of pid %lu never matched its totals by tag", (unsigned long)pid);
    UEXPECT_EQ("unlisted blocks", unlisted, 0);
    for (size_t i = 0; i < n; i++) {
        UEXPECT(b[i].tag >= 1 && b[i].tag <= 4, "block %zu tag %lu", i, (unsigned long)b[i].tag);
        UEXPECT(b[i].base % b[i].size == 0, "block 0x%lx not aligned", (unsigned long)b[i].base);
        UEXPECT(i == 0 || b[i - 1].base + b[i - 1].size <= b[i].base, "blocks overlap");
        stack_guarded |= i > 0 && b[i].tag == 2 && b[i - 1].tag == 3
                         && b[i - 1].base + b[i - 1].size == b[i].base;
    }
    UEXPECT(n > 0 && b[0].base == 0 && b[0].tag == 3, "no NULL guard at 0");
    if (!stack_guarded) {
        for (size_t i = 0; i < n; i++) {        /* what it was, for the report */
            printf("proctest: pid %lu block %zu: 0x%08lx + 0x%lx tag %lu\n", (unsigned long)pid,
                   i, (unsigned long)b[i].base, (unsigned long)b[i].size,
                   (unsigned long)b[i].tag);
        }
    }
    UEXPECT(stack_guarded, "no STACK block with a GUARD right below in pid %lu's %zu blocks",
            (unsigned long)pid, n);
    free(b);
}

static bool listed(domainid_t pid, lvaddr_t base, size_t size, uint32_t tag)
{
    struct aos_vm_block *b = NULL;
    size_t n = 0, unlisted = 0;
    bool found = false;

    if (err_is_ok(vmblocks(pid, &b, &n, &unlisted))) {
        for (size_t i = 0; i < n; i++) {
            found |= b[i].base == base && b[i].size == size && b[i].tag == tag;
        }
    }
    free(b);
    return found;
}

/* vmmap's block list: of another domain and of ourselves while we change
 * it; the errors for init, unknown and ended pids; and a list the domain
 * scribbled over is refused, not passed on. */
static void vm_blocks(void)
{
    domainid_t self = spawn_my_pid(), pid;
    struct vmmap_page *page = (struct vmmap_page *)USER_VMMAP_VADDR, saved;
    struct aos_vm_block *b;
    size_t n, unlisted;
    void *buf;
    int status;

    UEXPECT_OK(aos_rpc_process_spawn(chan(), "busy 2", 0, &pid));
    /* until it has listed its blocks and its runtime has moved main onto
     * a STACK block (it lists its first blocks before that) */
    for (int i = 0; i < 1000; i++) {
        errval_t err = aos_rpc_process_get_vmblocks(chan(), pid, &b, &n, &unlisted);
        bool has_stack = false;
        for (size_t j = 0; err_is_ok(err) && j < n; j++) {
            has_stack |= b[j].tag == 2;
        }
        if (err_is_ok(err)) {
            free(b);
        }
        if (has_stack || (err_is_fail(err) && err != INIT_ERR_VMMAP_NOT_YET
                          && err != INIT_ERR_VMMAP_BUSY)) {
            break;
        }
        sys_yield();
    }
    check_vmblocks(pid);
    check_vmblocks(self);
    UEXPECT_OK(paging_alloc(get_current_paging_state(), &buf, 4u << 20, 4u << 20));
    UEXPECT(listed(self, (lvaddr_t)buf, 4u << 20, 1), "a new 4 MiB HEAP block is not listed");
    check_vmblocks(self);
    UEXPECT_OK(paging_free(get_current_paging_state(), buf));
    UEXPECT(!listed(self, (lvaddr_t)buf, 4u << 20, 1), "a freed block is still listed");
    UEXPECT_ERR(aos_rpc_process_get_vmblocks(chan(), 0, &b, &n, &unlisted), INIT_ERR_KILL_INIT);
    UEXPECT_ERR(aos_rpc_process_get_vmblocks(chan(), 100000, &b, &n, &unlisted),
                INIT_ERR_NO_SUCH_PID);
    UEXPECT_ERR(aos_rpc_process_get_vmblocks(chan(), pid, NULL, &n, &unlisted),
                LIB_ERR_RPC_NULL_ARG);
    UEXPECT_OK(aos_rpc_process_kill(chan(), pid));
    UEXPECT_OK(aos_rpc_process_wait(chan(), pid, &status));
    UEXPECT_ERR(aos_rpc_process_get_vmblocks(chan(), pid, &b, &n, &unlisted),
                INIT_ERR_ALREADY_ENDED);
    /* scribbled over (single-threaded here: nothing updates it meanwhile) */
    memcpy(&saved, page, sizeof(saved));
    page->count = VMMAP_MAX_ENTRIES + 1;
    UEXPECT_ERR(vmblocks(self, &b, &n, &unlisted), INIT_ERR_VMMAP_GARBLED);
    page->count = saved.count;
    page->entry[0].tag = 9;
    UEXPECT_ERR(vmblocks(self, &b, &n, &unlisted), INIT_ERR_VMMAP_GARBLED);
    page->entry[0] = saved.entry[0];
    page->entry[0].base |= 0x1000;          /* not aligned to its size */
    UEXPECT_ERR(vmblocks(self, &b, &n, &unlisted), INIT_ERR_VMMAP_GARBLED);
    page->entry[0] = saved.entry[0];
    page->seq |= 1;
    UEXPECT_ERR(aos_rpc_process_get_vmblocks(chan(), self, &b, &n, &unlisted),
                INIT_ERR_VMMAP_BUSY);
    page->seq = saved.seq;
    page->magic = 0;
    UEXPECT_ERR(vmblocks(self, &b, &n, &unlisted), INIT_ERR_VMMAP_NOT_YET);
    page->magic = saved.magic;
    check_vmblocks(self);
}

/* ---- answers longer than a client's ring (issue 9, item 7) ---- */

#define MANY_BLOCKS (VMMAP_MAX_ENTRIES + 100)

/* `extra` more one-page HEAP blocks of our own, then our whole block list
 * (a few hundred blocks: about 90 fragments; at the most, 505 listed: 145
 * fragments), every one of the new blocks in it when it has room. Before
 * the answer came in windows, init sent 16 fragments into our ring and
 * dropped the rest, and this call never returned. */
static void vmblocks_many(int extra)
{
    static void *buf[MANY_BLOCKS];
    struct aos_vm_block *b = NULL;
    size_t n = 0, unlisted = 0;
    int made = 0, found = 0;
    errval_t err = SYS_ERR_OK;

    while (made < extra && err_is_ok(err = paging_alloc(get_current_paging_state(),
                                                        &buf[made], BASE_PAGE_SIZE,
                                                        BASE_PAGE_SIZE))) {
        made++;
    }
    errval_t listed = vmblocks(spawn_my_pid(), &b, &n, &unlisted);
    for (int i = 0; i < made && err_is_ok(listed); i++) {
        for (size_t k = 0; k < n; k++) {
            found += b[k].base == (lvaddr_t)buf[i] && b[k].size == BASE_PAGE_SIZE;
        }
    }
    free(b);
    for (int i = 0; i < made; i++) {
        paging_free(get_current_paging_state(), buf[i]);
    }
    UEXPECT_OK(err);
    UEXPECT_OK(listed);
    if (extra + 20 < (int)VMMAP_MAX_ENTRIES) {
        UEXPECT_EQ("unlisted blocks", unlisted, 0);
        UEXPECT_EQ("new blocks in the list", found, extra);
    } else {
        UEXPECT_EQ("blocks listed", n, VMMAP_MAX_ENTRIES);
        UEXPECT(unlisted >= MANY_BLOCKS - VMMAP_MAX_ENTRIES, "only %zu unlisted", unlisted);
        UEXPECT(found > 400, "only %d of the new blocks listed", found);
    }
}

static void vmblocks_300(void)
{
    vmblocks_many(300);
}

static void vmblocks_max(void)
{
    vmblocks_many(MANY_BLOCKS);
}

/* As many domains as init runs: get_all_pids lists every one of them. */
static void all_pids_many(void)
{
    domainid_t pids[PROC_FLOOD], *all = NULL;
    size_t n = 0, before = running_count();
    int spawned = 0, listed = 0, status;
    errval_t err;

    while (spawned < PROC_FLOOD
           && err_is_ok(aos_rpc_process_spawn(chan(), "busy", 0, &pids[spawned]))) {
        spawned++;
    }
    err = aos_rpc_process_get_all_pids(chan(), &all, &n);
    for (int i = 0; i < spawned && err_is_ok(err); i++) {
        for (size_t k = 0; k < n; k++) {
            listed += all[k] == pids[i];
        }
    }
    free(all);
    for (int i = 0; i < spawned; i++) {
        aos_rpc_process_kill(chan(), pids[i]);
        aos_rpc_process_wait(chan(), pids[i], &status);
    }
    UEXPECT(spawned > 50, "only %d domains ran at once", spawned);
    UEXPECT_OK(err);
    UEXPECT_EQ("pids listed", n, before + spawned);
    UEXPECT_EQ("new domains listed", listed, spawned);
}

/* The longest command line init takes comes back whole from get_name and
 * get_info (10 fragments and the reply: more than one window). */
static void long_names(void)
{
    char line[RPC_NAME_MAX + 1], *name = NULL;
    struct aos_proc_info info = { 0 };
    domainid_t pid;
    int status;

    memcpy(line, "hello ", 6);
    for (unsigned i = 6; i < RPC_NAME_MAX; i++) {
        line[i] = (char)('a' + i % 26);
    }
    line[RPC_NAME_MAX] = '\0';
    UEXPECT_OK(aos_rpc_process_spawn(chan(), line, 0, &pid));
    UEXPECT_OK(aos_rpc_process_get_name(chan(), pid, &name));
    bool same = strcmp(name, line) == 0;
    free(name);
    UEXPECT(same, "get_name: another name came back");
    UEXPECT_OK(aos_rpc_process_wait(chan(), pid, &status));
    UEXPECT_OK(aos_rpc_process_get_info(chan(), pid, &info));
    same = strcmp(info.name, line) == 0;
    free(info.name);
    UEXPECT(same, "get_info: another name came back");
    UEXPECT_EQ("state", info.state, PROC_STATE_EXITED);
}

/* One domain asks init for all the RAM it can get: it is refused with
 * INIT_ERR_RAM_RESERVED while init still holds a reserve, so a small
 * domain still starts, runs and ends; killing the hog gives it all back. */
static void hog_spares_others(void)
{
    size_t before = server_free(), last = 0;
    struct aos_proc_info info;
    domainid_t hog, pid;
    int status = -1;

    UEXPECT_OK(aos_rpc_process_spawn(chan(), "busy hog", 0, &hog));
    for (int i = 0; i < 100000 && server_free() != last; i++) {
        last = server_free();
        for (int k = 0; k < 20; k++) {
            sys_yield();                        /* until its requests stop */
        }
    }
    UEXPECT(server_free() < before / 8, "the hog got only %zu of %zu bytes",
            before - server_free(), before);
    UEXPECT(server_free() >= (16u << 20) - (1u << 20), "the reserve is gone: %zu bytes free",
            server_free());
    UEXPECT_OK(aos_rpc_process_spawn(chan(), "hello beside a hog", 0, &pid));
    UEXPECT_OK(aos_rpc_process_wait(chan(), pid, &status));
    UEXPECT_EQ("status of a small domain beside the hog", status, 0);
    UEXPECT_OK(aos_rpc_process_get_info(chan(), hog, &info));
    free(info.name);
    UEXPECT_EQ("the hog still runs", info.state, PROC_STATE_RUNNING);
    UEXPECT_OK(aos_rpc_process_kill(chan(), hog));
    UEXPECT_OK(aos_rpc_process_wait(chan(), hog, &status));
    UEXPECT_EQ("free RAM after the hog", server_free(), before);
}

/* ---- the reserve is judged by the block handed out ---- */

#define MIB            (1u << 20)
#define RESERVE        (16u * MIB)      /* init's RAM_RESERVE (rpc_server.c) */
#define HUGE_ALIGN     (512u * MIB)
#define MAX_HELD       512

/* `proctest reserve-probe LIMIT`: a small domain that waits until the
 * server has less than LIMIT bytes free, then asks for 4 KiB aligned to
 * 512 MiB. Exit status: 0 refused with INIT_ERR_RAM_RESERVED (and a plain
 * 4 KiB still granted), 3 granted, 4 another error, 5 never saw LIMIT. */
static int reserve_probe(size_t limit)
{
    struct aos_rpc *rpc = aos_rpc_get_init_channel();
    capaddr_t ram;
    size_t got;
    errval_t err;

    for (int i = 0; server_free() >= limit; i++) {
        if (i == 1000000) {
            return 5;
        }
        sys_yield();
    }
    err = aos_rpc_get_ram_cap(rpc, BASE_PAGE_SIZE, HUGE_ALIGN, &ram, &got);
    if (err_is_ok(err)) {
        printf("proctest: a small domain was given %zu MiB near the reserve\n", got / MIB);
        return 3;
    }
    if (err != INIT_ERR_RAM_RESERVED) {
        return 4;
    }
    err = aos_rpc_get_ram_cap(rpc, BASE_PAGE_SIZE, BASE_PAGE_SIZE, &ram, &got);
    return err_is_ok(err) && err_is_ok(aos_rpc_free_ram_cap(rpc, ram)) ? 0 : 4;
}

/* Take RAM blocks, largest first and none inside [avoid, avoid + HUGE_ALIGN),
 * until the server has less than `target` + 4 KiB free; *n blocks in held[]. */
static bool fill_to(size_t target, lpaddr_t avoid, capaddr_t *held, int *n)
{
    struct aos_rpc *rpc = aos_rpc_get_init_channel();
    struct capability_info ci;

    for (int order = 27; order >= 12; order--) {
        size_t size = (size_t)1 << order, got;
        while (server_free() >= target + size) {
            if (*n == MAX_HELD
                || err_is_fail(aos_rpc_get_ram_cap(rpc, size, size, &held[*n], &got))
                || err_is_fail(cap_identify(held[*n], &ci))) {
                return false;
            }
            if (ci.base - avoid < HUGE_ALIGN) {     /* only the big block is left */
                aos_rpc_free_ram_cap(rpc, held[*n]);
                break;
            }
            (*n)++;
        }
    }
    return true;
}

/* 4 KiB aligned to 512 MiB is a 512 MiB block: init must judge that block
 * against the reserve, not the 4 KiB asked for. With one free 512 MiB
 * block and less than 16 MiB besides it, neither we (holding much) nor a
 * fresh small domain may get it; a small domain still gets a page. */
static void reserve_judges_the_block(void)
{
    struct aos_rpc *rpc = aos_rpc_get_init_channel();
    static capaddr_t held[MAX_HELD];
    size_t before = server_free(), got;
    size_t target = HUGE_ALIGN + RESERVE - 4 * MIB;
    struct capability_info ci;
    capaddr_t big;
    domainid_t pid;
    int n = 0, status = -1;
    char cmd[48];

    /* far from the reserve the big block is ours: learn where it is */
    UEXPECT_OK(aos_rpc_get_ram_cap(rpc, BASE_PAGE_SIZE, HUGE_ALIGN, &big, &got));
    UEXPECT_OK(cap_identify(big, &ci));
    UEXPECT_EQ("block size for 4 KiB aligned to 512 MiB", ci.size, HUGE_ALIGN);
    UEXPECT_OK(aos_rpc_free_ram_cap(rpc, big));
    snprintf(cmd, sizeof(cmd), "proctest reserve-probe %zu", HUGE_ALIGN + RESERVE);
    UEXPECT_OK(aos_rpc_process_spawn(chan(), cmd, 0, &pid));
    /* near the reserve (every check waits until all is given back) */
    bool filled = fill_to(target, ci.base, held, &n);
    size_t near = server_free();
    errval_t ours = LIB_ERR_RPC_SEND;
    if (filled) {
        ours = aos_rpc_get_ram_cap(rpc, BASE_PAGE_SIZE, HUGE_ALIGN, &big, &got);
        if (err_is_ok(ours)) {
            aos_rpc_free_ram_cap(rpc, big);
        }
    } else {
        aos_rpc_process_kill(chan(), pid);
    }
    errval_t waited = aos_rpc_process_wait(chan(), pid, &status);
    for (int i = 0; i < n; i++) {
        aos_rpc_free_ram_cap(rpc, held[i]);
    }
    UEXPECT(filled, "could not take RAM down to %zu bytes free (%d blocks)", target, n);
    UEXPECT(near >= HUGE_ALIGN && near < HUGE_ALIGN + RESERVE,
            "%zu bytes free: not next to the reserve", near);
    UEXPECT_ERR(ours, INIT_ERR_RAM_RESERVED);
    UEXPECT_OK(waited);
    UEXPECT_EQ("exit status of the small domain asking (3: it was given the block)",
               status, 0);
    UEXPECT_EQ("free RAM after", server_free(), before);
}

/* Domains killed at varying points of a stream of RPCs (long strings in
 * fragments, RAM asked for and given back, pid lists): whatever init had
 * half-received or was about to answer, it forgets cleanly; free RAM is
 * exactly back, and init answers everyone else throughout. */
static void kill_mid_rpc(void)
{
    size_t before = server_free(), running_before = running_count();
    int status;

    for (int i = 0; i < 40; i++) {
        domainid_t pid;
        UEXPECT_OK(aos_rpc_process_spawn(chan(), "busy rpc", 0, &pid));
        for (int k = 0; k < 3 + (i * 7) % 23; k++) {
            sys_yield();                        /* let it get somewhere */
        }
        UEXPECT_OK(aos_rpc_process_kill(chan(), pid));
        UEXPECT_OK(aos_rpc_process_wait(chan(), pid, &status));
        UEXPECT_EQ("status", status, AOS_RPC_STATUS_KILLED);
        UEXPECT_OK(aos_rpc_send_number(aos_rpc_get_init_channel(), (uint32_t)i));
    }
    UEXPECT_EQ("free RAM after 40 kills mid-RPC", server_free(), before);
    UEXPECT_EQ("running domains", running_count(), running_before);
}


/* The pid of the boot command runner init started, or 0. */
static domainid_t runner_pid(void)
{
    domainid_t *pids, found = 0;
    size_t n = 0;

    if (err_is_fail(aos_rpc_process_get_all_pids(chan(), &pids, &n))) {
        return 0;
    }
    for (size_t i = 0; i < n && found == 0; i++) {
        char *name;
        if (err_is_ok(aos_rpc_process_get_name(chan(), pids[i], &name))) {
            found = strcmp(name, "runner") == 0 ? pids[i] : 0;
            free(name);
        }
    }
    free(pids);
    return found;
}

/*
 * The runner holds the Kernel capability and runs our boot command: no
 * domain may end it (it would cut the boot list short), from this core
 * or another.
 */
static void system_not_killable(void)
{
    domainid_t runner = runner_pid();

    UEXPECT(runner != 0, "no domain named 'runner' among the running ones");
    UEXPECT_ERR(aos_rpc_process_kill(chan(), runner), INIT_ERR_KILL_INIT);
    UEXPECT(runner_pid() == runner, "the runner is gone after a refused kill");
}

/*
 * A domain that asks init to spawn the runner gets an ordinary domain:
 * the Kernel capability goes only to the one init starts itself. Seen
 * from outside: that runner refuses to run any command (status 2, and the
 * command's program never starts).
 */
static void runner_only_from_init(void)
{
    size_t before = running_count();
    domainid_t pid;
    int status = -1;

    UEXPECT_OK(aos_rpc_process_spawn(chan(), "runner \"kill-core-init 1\"", 0, &pid));
    UEXPECT_OK(aos_rpc_process_wait(chan(), pid, &status));
    UEXPECT_EQ("status of a runner started by a request", status, 2);
    UEXPECT_EQ("running domains", running_count(), before);
}

/*
 * MEM_STATS' account: RAM we take moves from free to held by us and back,
 * and free + given to other cores + held stays the same throughout.
 */
static void mem_account(void)
{
    struct aos_mem_account a0, a1, a2;
    capaddr_t ram;
    size_t got = 0;

    UEXPECT_OK(aos_rpc_mem_account(chan(), &a0));
    UEXPECT_OK(aos_rpc_get_ram_cap(chan(), 1u << 20, BASE_PAGE_SIZE, &ram, &got));
    UEXPECT_OK(aos_rpc_mem_account(chan(), &a1));
    /* (our own page faults may take RAM meanwhile: it counts as held too) */
    UEXPECT(a1.held_by_caller >= a0.held_by_caller + got, "held %zu, was %zu, took %zu",
            a1.held_by_caller, a0.held_by_caller, got);
    UEXPECT(a1.free_bytes + got <= a0.free_bytes, "free %zu, was %zu, took %zu",
            a1.free_bytes, a0.free_bytes, got);
    UEXPECT_EQ("free + given + held, holding the block",
               a1.free_bytes + a1.given_to_cores + a1.held_by_caller,
               a0.free_bytes + a0.given_to_cores + a0.held_by_caller);
    UEXPECT_OK(aos_rpc_free_ram_cap(chan(), ram));
    UEXPECT_OK(aos_rpc_mem_account(chan(), &a2));
    UEXPECT(a2.held_by_caller + got <= a1.held_by_caller, "held %zu after giving back %zu",
            a2.held_by_caller, got);
    UEXPECT_EQ("free + given + held, after giving it back",
               a2.free_bytes + a2.given_to_cores + a2.held_by_caller,
               a0.free_bytes + a0.given_to_cores + a0.held_by_caller);
    UEXPECT(a0.total_bytes >= a0.free_bytes, "total %zu below free %zu", a0.total_bytes,
            a0.free_bytes);
}

/* `proctest waitfor PID`: 0 if our wait for PID is answered (it ended),
 * 2 if it is refused INIT_ERR_TOO_MANY_WAITERS, 1 for anything else. */
static int wait_for(domainid_t pid)
{
    int status;
    errval_t err = aos_rpc_process_wait(chan(), pid, &status);

    return err_is_ok(err) ? 0 : err_no(err) == INIT_ERR_TOO_MANY_WAITERS ? 2 : 1;
}

/* Spawn `proctest waitfor target` and give its WAIT 50 ms to reach init;
 * 0 if it cannot be spawned. */
static domainid_t spawn_waiter(domainid_t target)
{
    char line[40];
    domainid_t pid = 0;
    uint64_t until;

    snprintf(line, sizeof(line), "proctest waitfor %lu", (unsigned long)target);
    if (err_is_fail(aos_rpc_process_spawn(chan(), line, 0, &pid))) {
        return 0;
    }
    until = counter_read() + 62500000 / 20;
    while (counter_read() < until) {
        sys_yield();
    }
    return pid;
}

/*
 * A process keeps at most 8 waiters. 12 domains wait for one busy domain
 * in turn, each killed while it waits; then one more waits, and must be
 * answered when the busy one ends (it was refused INIT_ERR_TOO_MANY_WAITERS:
 * the ended waiters kept their places, so a few domains that wait and die
 * could deny every other domain a WAIT for that process).
 */
static void ended_waiters_free_their_place(void)
{
    domainid_t target, waiter;
    int status = -1;

    UEXPECT_OK(aos_rpc_process_spawn(chan(), "busy wait", 0, &target));
    for (int i = 0; i < 12; i++) {
        waiter = spawn_waiter(target);
        UEXPECT(waiter != 0, "waiter %d not spawned", i);
        UEXPECT_OK(aos_rpc_process_kill(chan(), waiter));
        UEXPECT_OK(aos_rpc_process_wait(chan(), waiter, &status));
        UEXPECT_EQ("a waiter killed while it waits", status, AOS_RPC_STATUS_KILLED);
    }
    waiter = spawn_waiter(target);
    UEXPECT(waiter != 0, "the last waiter not spawned");
    UEXPECT_OK(aos_rpc_process_kill(chan(), target));
    UEXPECT_OK(aos_rpc_process_wait(chan(), waiter, &status));
    UEXPECT_EQ("the last waiter's status (2: its WAIT was refused)", status, 0);
}

/* Replies read by hand, by sequence number (one_wait_per_waiter). */
static struct { bool got; errval_t err; uint32_t w3, w4; } by_hand[256];

/* Send request {op, arg} to init by hand with our channel's next sequence
 * number, without waiting for its reply; returns that number. */
static uint32_t send_by_hand(uint32_t op, uint32_t arg)
{
    struct aos_rpc *r = aos_rpc_get_init_channel();
    uint32_t seq = (uint8_t)++r->seq;
    uint32_t w[2] = { RPC_HDR(op, 0) | RPC_SEQ(seq), arg };

    by_hand[seq].got = false;
    if (err_is_fail(lmp_send(r->ep, CPTR_NULL, LMP_FLAG_YIELD, w, 2))) {
        utest_fail("sending op %u by hand failed", (unsigned)op);
    }
    return seq;
}

/* Read our ring, noting every reply, until the one to call `seq`. */
static void read_by_hand_until(uint32_t seq)
{
    struct lmp_msg m;

    do {
        lmp_recv(&m);
        if (m.nwords >= 3 && (m.words[0] & RPC_FLAG_REPLY)) {
            uint32_t s = RPC_HDR_SEQ(m.words[0]);
            by_hand[s].got = true;
            by_hand[s].err = rpc_get_err(&m.words[1]);
            by_hand[s].w3 = m.nwords >= 4 ? m.words[3] : 0;
            by_hand[s].w4 = m.nwords >= 5 ? m.words[4] : 0;
        }
    } while (!by_hand[seq].got);
}

/*
 * A domain holds one waiter place per process. We send a WAIT for a busy
 * domain by hand and, while it waits, nine more: each is refused
 * INIT_ERR_ALREADY_WAITING (they took all 8 places, so one domain could
 * deny every other a WAIT for it), and the first is answered when the
 * busy one is killed. A NUMBER after them tells when all were answered.
 */
static void one_wait_per_waiter(void)
{
    uint32_t first, dups[9], mark, kill;
    domainid_t target;

    UEXPECT_OK(aos_rpc_process_spawn(chan(), "busy wait", 0, &target));
    first = send_by_hand(RPC_OP_PROC_WAIT, target);
    for (int i = 0; i < 9; i++) {
        dups[i] = send_by_hand(RPC_OP_PROC_WAIT, target);
    }
    mark = send_by_hand(RPC_OP_NUMBER, 1);
    read_by_hand_until(mark);
    for (int i = 0; i < 9; i++) {
        UEXPECT(by_hand[dups[i]].got, "WAIT %d again: no answer (it took a place)", i + 2);
        UEXPECT_ERR(by_hand[dups[i]].err, INIT_ERR_ALREADY_WAITING);
    }
    UEXPECT(!by_hand[first].got, "the first WAIT answered before its domain ended");
    kill = send_by_hand(RPC_OP_PROC_KILL, target);
    read_by_hand_until(kill);
    UEXPECT_OK(by_hand[kill].err);
    UEXPECT(by_hand[first].got, "the first WAIT not answered when its domain was killed");
    UEXPECT_OK(by_hand[first].err);
    UEXPECT_EQ("the first WAIT: killed", by_hand[first].w4, 1);
}

static const struct utest_case cases[] = {
    { "PROC_SPAWN_NAME_WAIT", spawn_name_wait },
    { "PROC_ALL_PIDS_INFO_KILL", all_pids_and_info },
    { "PROC_KILL_GIVES_RAM_BACK", kill_gives_ram_back },
    { "PROC_BAD_INPUT", bad_input },
    { "PROC_FLOOD", flood },
    { "PROC_VMBLOCKS", vm_blocks },
    { "PROC_VMBLOCKS_300", vmblocks_300 },
    { "PROC_VMBLOCKS_MAX", vmblocks_max },
    { "PROC_ALL_PIDS_MANY", all_pids_many },
    { "PROC_LONG_NAMES", long_names },
    { "PROC_HOG_SPARES_OTHERS", hog_spares_others },
    { "PROC_RESERVE_JUDGES_THE_BLOCK", reserve_judges_the_block },
    { "PROC_KILL_MID_RPC", kill_mid_rpc },
    { "PROC_1000_DOMAINS", thousand_domains },
    { "PROC_SYSTEM_NOT_KILLABLE", system_not_killable },
    { "PROC_RUNNER_ONLY_FROM_INIT", runner_only_from_init },
    { "PROC_MEM_ACCOUNT", mem_account },
    { "PROC_ENDED_WAITERS_FREE_THEIR_PLACE", ended_waiters_free_their_place },
    { "PROC_ONE_WAIT_PER_WAITER", one_wait_per_waiter },
    UTEST_END
};

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "reserve-probe") == 0) {
        return reserve_probe(strtoul(argv[2], NULL, 10));   /* a helper, not the tests */
    }
    if (argc == 3 && strcmp(argv[1], "waitfor") == 0) {
        return wait_for((domainid_t)strtoul(argv[2], NULL, 10));
    }
    utest_run(cases);
    return utest_finish();
}
