/*
 * The commands on domains, each one or a few calls of the process RPCs
 * (include/aos/aos_rpc.h) on the channel to the spawning service:
 *
 *   ps          aos_rpc_process_get_all_pids, then get_info for each pid
 *   run         aos_rpc_process_spawn (core 0, or -c N), then process_wait unless '&'
 *   kill PID    aos_rpc_process_kill
 *   wait PID    aos_rpc_process_wait
 *   vmmap PID   aos_rpc_process_get_info, aos_rpc_process_get_vmmap (totals by
 *               tag), aos_rpc_process_get_vmblocks (every block, by address)
 *               yet, and the shell says so instead of inventing one
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <aos/aos_rpc.h>
#include "shell.h"

static const char *state_name(enum proc_state s)
{
    switch (s) {
    case PROC_STATE_RUNNING: return "running";
    case PROC_STATE_EXITED:  return "exited";
    case PROC_STATE_KILLED:  return "killed";
    case PROC_STATE_STOPPED: return "stopped";
    default:                 return "?";
    }
}

/* The channel, or NULL after printing why there is none. */
static struct aos_rpc *chan(const char *cmd)
{
    struct aos_rpc *c = aos_rpc_get_process_channel();
    if (c == NULL) {
        printf("%s: no channel to the spawning service\n", cmd);
    }
    return c;
}

/* argv[1] as a pid, the only argument; else print why not. */
static bool one_pid(int argc, char **argv, domainid_t *pid)
{
    if (argc != 2) {
        printf("%s: usage: %s PID\n", argv[0], argv[0]);
        return false;
    }
    if (!shell_parse_pid(argv[1], pid)) {
        printf("%s: '%s' is not a pid\n", argv[0], argv[1]);
        return false;
    }
    return true;
}

void shell_print_end(domainid_t pid, int status)
{
    if (status == AOS_RPC_STATUS_KILLED) {
        printf("[%lu] killed\n", (unsigned long)pid);
    } else {
        printf("[%lu] exited with status %d\n", (unsigned long)pid, status);
    }
}

void shell_cmd_ps(int argc, char **argv, const char *line)
{
    struct aos_rpc *c = chan("ps");
    domainid_t *pids = NULL;
    size_t n = 0;
    errval_t err;

    (void)argv;
    (void)line;
    if (argc != 1) {
        printf("ps: takes no arguments\n");
        return;
    }
    if (c == NULL) {
        return;
    }
    err = aos_rpc_process_get_all_pids(c, &pids, &n);
    if (err_is_fail(err)) {
        shell_print_err("ps", err, "cannot list the pids");
        return;
    }
    /* ascending pids (the service lists them in its own order) */
    for (size_t i = 1; i < n; i++) {
        domainid_t v = pids[i];
        size_t j = i;
        for (; j > 0 && pids[j - 1] > v; j--) {
            pids[j] = pids[j - 1];
        }
        pids[j] = v;
    }
    printf("%7s  %-8s %4s %9s %7s  %s\n", "PID", "STATE", "CORE", "RAM KiB",
           "FAULTS", "NAME");
    for (size_t i = 0; i < n; i++) {
        struct aos_proc_info info;
        memset(&info, 0, sizeof(info));
        err = aos_rpc_process_get_info(c, pids[i], &info);
        if (err_is_fail(err)) {
            /* it may have ended between the two calls */
            shell_print_err("ps", err, "pid %lu", (unsigned long)pids[i]);
            continue;
        }
        printf("%7lu  %-8s %4u %9lu %7lu  %s\n", (unsigned long)info.pid,
               state_name(info.state), (unsigned)info.core,
               (unsigned long)(info.ram_bytes >> 10),
               (unsigned long)info.page_faults,
               info.name != NULL ? info.name : "?");
        free(info.name);
    }
    free(pids);
}

/*
 * "-c N rest" at the start of `s`: the core N and the rest after it, or
 * false (with a message) if -c has no number; without -c, core 0.
 */
static bool run_core(const char *s, coreid_t *core, const char **rest)
{
    char *end;
    unsigned long n;

    *core = 0;
    *rest = s;
    if (strncmp(s, "-c", 2) != 0 || (s[2] != ' ' && s[2] != '\t' && s[2] != '\0')) {
        return true;
    }
    s += 2;
    while (*s == ' ' || *s == '\t') {
        s++;
    }
    n = strtoul(s, &end, 10);
    if (end == s || (*end != ' ' && *end != '\t' && *end != '\0') || n > 255) {
        printf("run: -c wants a core number: run -c N NAME [ARGS] [&]\n");
        return false;
    }
    *core = (coreid_t)n;
    for (s = end; *s == ' ' || *s == '\t'; s++) {
    }
    *rest = s;
    return true;
}

void shell_cmd_run(int argc, char **argv, const char *line)
{
    char cmdline[SHELL_LINE_MAX];
    const char *rest;
    struct aos_rpc *c;
    domainid_t pid;
    coreid_t core;
    bool background = false;
    size_t len;
    errval_t err;

    (void)argc;
    (void)argv;
    if (!run_core(shell_rest(line), &core, &rest)) {
        return;
    }
    len = strlen(rest);
    if (len >= sizeof(cmdline)) {
        len = sizeof(cmdline) - 1;      /* cannot happen: lines are shorter */
    }
    memcpy(cmdline, rest, len);
    while (len > 0 && (cmdline[len - 1] == ' ' || cmdline[len - 1] == '\t')) {
        len--;
    }
    if (len > 0 && cmdline[len - 1] == '&') {
        background = true;
        len--;
        while (len > 0 && (cmdline[len - 1] == ' ' || cmdline[len - 1] == '\t')) {
            len--;
        }
    }
    cmdline[len] = '\0';
    if (len == 0) {
        printf("run: usage: run [-c CORE] NAME [ARGS] [&]\n");
        return;
    }
    if ((c = chan("run")) == NULL) {
        return;
    }
    err = aos_rpc_process_spawn(c, cmdline, core, &pid);
    if (err_is_fail(err)) {
        shell_print_err("run", err, "cannot start '%s'", cmdline);
        return;
    }
    if (background) {
        shell_jobs_add(pid);
        printf("[%lu] started\n", (unsigned long)pid);
        return;
    }
    int status;
    err = aos_rpc_process_wait(c, pid, &status);
    if (err_is_fail(err)) {
        shell_print_err("run", err, "cannot wait for pid %lu", (unsigned long)pid);
        return;
    }
    shell_print_end(pid, status);
}

void shell_cmd_kill(int argc, char **argv, const char *line)
{
    struct aos_rpc *c;
    domainid_t pid;
    errval_t err;

    (void)line;
    if (!one_pid(argc, argv, &pid) || (c = chan("kill")) == NULL) {
        return;
    }
    err = aos_rpc_process_kill(c, pid);
    if (err_is_fail(err)) {
        shell_print_err("kill", err, "cannot kill pid %lu", (unsigned long)pid);
        return;
    }
    shell_jobs_forget(pid);
    printf("[%lu] killed\n", (unsigned long)pid);
}

void shell_cmd_wait(int argc, char **argv, const char *line)
{
    struct aos_rpc *c;
    domainid_t pid;
    int status;
    errval_t err;

    (void)line;
    if (!one_pid(argc, argv, &pid) || (c = chan("wait")) == NULL) {
        return;
    }
    err = aos_rpc_process_wait(c, pid, &status);
    if (err_is_fail(err)) {
        shell_print_err("wait", err, "cannot wait for pid %lu", (unsigned long)pid);
        return;
    }
    shell_jobs_forget(pid);
    shell_print_end(pid, status);
}

static const char *const vm_tags[5] = { "-", "HEAP", "STACK", "GUARD", "FIXED" };

/* The totals by tag, as the domain's buddy allocator keeps them. A domain
 * preempted while changing them answers INIT_ERR_VMMAP_BUSY: ask again. */
static void vmmap_summary(struct aos_rpc *c, domainid_t pid)
{
    struct aos_vm_summary vm;
    errval_t err;
    int tries = 0;

    do {
        err = aos_rpc_process_get_vmmap(c, pid, &vm);
    } while (err == INIT_ERR_VMMAP_BUSY && ++tries < 4 && (thread_yield(), true));

    if (err_is_fail(err)) {
        shell_print_err("vmmap", err, "no address-space summary for pid %lu",
                        (unsigned long)pid);
        return;
    }
    printf("  address space by buddy tag:\n");
    for (int t = 1; t < 5; t++) {
        printf("    %-6s %6lu blocks %10lu KiB\n", vm_tags[t], (unsigned long)vm.blocks[t],
               (unsigned long)(vm.bytes[t] >> 10));
    }
}

/* Every block, by address. A domain preempted while changing its list
 * answers INIT_ERR_VMMAP_BUSY: ask a few times. */
static void vmmap_blocks(struct aos_rpc *c, domainid_t pid)
{
    struct aos_vm_block *b = NULL;
    size_t n = 0, unlisted = 0;
    errval_t err;
    int tries = 0;

    do {
        err = aos_rpc_process_get_vmblocks(c, pid, &b, &n, &unlisted);
    } while (err == INIT_ERR_VMMAP_BUSY && ++tries < 4 && (thread_yield(), true));
    if (err_is_fail(err)) {
        shell_print_err("vmmap", err, "no block list for pid %lu", (unsigned long)pid);
        return;
    }
    printf("  blocks (start-end, size, tag):\n");
    for (size_t i = 0; i < n; i++) {
        printf("    0x%08lx-0x%08lx %10lu KiB  %s\n", (unsigned long)b[i].base,
               (unsigned long)(b[i].base + (b[i].size - 1)), (unsigned long)(b[i].size >> 10),
               b[i].tag < 5 ? vm_tags[b[i].tag] : "?");
    }
    if (unlisted > 0) {
        printf("    ... and %lu more blocks its list had no room for\n",
               (unsigned long)unlisted);
    }
    free(b);
}

void shell_cmd_vmmap(int argc, char **argv, const char *line)
{
    struct aos_rpc *c;
    struct aos_proc_info info;
    domainid_t pid;
    errval_t err;

    (void)line;
    if (!one_pid(argc, argv, &pid) || (c = chan("vmmap")) == NULL) {
        return;
    }
    memset(&info, 0, sizeof(info));
    err = aos_rpc_process_get_info(c, pid, &info);
    if (err_is_fail(err)) {
        shell_print_err("vmmap", err, "no information on pid %lu", (unsigned long)pid);
        return;
    }
    printf("vmmap %lu: %s\n", (unsigned long)info.pid,
           info.name != NULL ? info.name : "?");
    printf("  state   %s", state_name(info.state));
    if (info.state == PROC_STATE_EXITED) {
        printf(" (status %d)", info.exit_status);
    }
    printf("\n");
    printf("  core    %u\n", (unsigned)info.core);
    printf("  RAM     %lu KiB from the memory server\n",
           (unsigned long)(info.ram_bytes >> 10));
    printf("  faults  %lu page faults resolved by its handler\n",
           (unsigned long)info.page_faults);
    if (!proc_state_alive(info.state)) {
        shell_print_err("vmmap", INIT_ERR_ALREADY_ENDED, "no address space for pid %lu",
                        (unsigned long)pid);
    } else {
        vmmap_summary(c, pid);
        vmmap_blocks(c, pid);
    }
    free(info.name);
}
