/*
 * Parsing and running boot command lines (see commands.h). Every program
 * is started and waited for through init's process RPC, like the shell
 * does, and judged by what init's memory server can account for.
 */
#include "commands.h"
#include <aos/aos_rpc.h>
#include <aos/aos_rpc_wire.h>
#include <aos/cmdline.h>
#include <aos/caps.h>
#include <aos/debug.h>
#include <aos/spawn.h>
#include <aos/syscalls.h>
#include <autarky/bootinfo.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Room for a failure's reason: a whole error chain, and the command's
 * words (a boot command line is at most BOOTINFO_CMDLINE_LEN). */
#define COMMAND_WHY_MAX (ERR_CHAIN_MAX + BOOTINFO_CMDLINE_LEN)

/* How a program ended, or is expected to end. */
struct ending {
    bool killed;
    int status;
};

static void describe_ending(struct ending e, char *buf, size_t len)
{
    if (e.killed) {
        snprintf(buf, len, "killed");
    } else {
        snprintf(buf, len, "exit status %d", e.status);
    }
}

/*
 * RAM this core's memory server accounts for apart from other domains:
 * free, given to other cores, and ours. A command that gave back all it
 * took leaves it as it was, whatever our own heap did meanwhile. 0 if the
 * server cannot say (then every check fails).
 */
static size_t ram_kept(void)
{
    struct aos_mem_account a;

    if (err_is_fail(aos_rpc_mem_account(aos_rpc_get_init_channel(), &a))) {
        return 0;
    }
    return a.free_bytes + a.given_to_cores + a.held_by_caller;
}

/* argv back into one command line for the spawn RPC: a word with a blank
 * in it (it was quoted) is quoted again. False if it does not fit. */
static bool join_words(int argc, char *argv[], char *line, size_t size)
{
    size_t len = 0;

    line[0] = '\0';
    for (int i = 0; i < argc; i++) {
        const char *q = strpbrk(argv[i], " \t") != NULL || argv[i][0] == '\0' ? "\"" : "";
        int n = snprintf(line + len, size - len, "%s%s%s%s", i ? " " : "", q, argv[i], q);
        if (n < 0 || (size_t)n >= size - len) {
            return false;
        }
        len += (size_t)n;
    }
    return true;
}

/* Start argv's program on our own core and wait for its end. */
static errval_t run_and_wait(int argc, char *argv[], struct ending *got)
{
    struct aos_rpc *chan = aos_rpc_get_process_channel();
    char line[RPC_NAME_MAX + 1];
    domainid_t pid;
    int status;
    errval_t err;

    if (!join_words(argc, argv, line, sizeof(line))) {
        return INIT_ERR_BAD_NAME;
    }
    err = aos_rpc_process_spawn(chan, line, aos_pid_core(spawn_my_pid()), &pid);
    if (err_is_ok(err)) {
        err = aos_rpc_process_wait(chan, pid, &status);
    }
    if (err_is_ok(err)) {
        *got = (struct ending){ status == AOS_RPC_STATUS_KILLED, status };
    }
    return err;
}

/*
 * Run one program to its end and check it ended as `expect` and gave all
 * its RAM back; *why explains every failure found.
 */
static bool run_program_expect(int argc, char *argv[], struct ending expect,
                               char *why, size_t whylen)
{
    size_t before = ram_kept(), after;
    struct ending got;
    errval_t err = run_and_wait(argc, argv, &got);
    size_t n = 0;

    if (err_is_fail(err)) {
        int n = snprintf(why, whylen, "cannot run '%s': ", argv[0]);
        if (n > 0 && (size_t)n < whylen) {
            err_format_chain(err, why + n, whylen - (size_t)n);
        }
        return false;
    }
    after = ram_kept();
    why[0] = '\0';
    if (got.killed != expect.killed || (!got.killed && got.status != expect.status)) {
        char g[32], w[32];
        describe_ending(got, g, sizeof(g));
        describe_ending(expect, w, sizeof(w));
        n = snprintf(why, whylen, "'%s' ended with %s, expected %s", argv[0], g, w);
    }
    if ((after != before || after == 0) && n < whylen) {
        snprintf(why + n, whylen - n, "%sfree RAM %llu bytes before, %llu after",
                 n ? "; " : "", (unsigned long long)before, (unsigned long long)after);
    }
    return why[0] == '\0';
}

static bool run_program(int argc, char *argv[], char *why, size_t whylen)
{
    return run_program_expect(argc, argv, (struct ending){ false, 0 }, why, whylen);
}

/* A whole decimal number (no sign for counts), or false. */
static bool parse_number(const char *s, bool allow_sign, long *ret)
{
    char *end;

    if (*s == '\0' || (!allow_sign && (*s == '-' || *s == '+'))) {
        return false;
    }
    *ret = strtol(s, &end, 10);
    return *end == '\0';
}

/* expect-status N|killed program [args] */
static bool run_expect_status(int argc, char *argv[], char *why, size_t whylen)
{
    struct ending want = { false, 0 };
    long status;

    if (argc < 3) {
        snprintf(why, whylen, "usage: expect-status N|killed program [args]");
        return false;
    }
    if (strcmp(argv[1], "killed") == 0) {
        want.killed = true;
    } else if (parse_number(argv[1], true, &status)) {
        want.status = (int)status;
    } else {
        snprintf(why, whylen, "expect-status: '%s' is not a number", argv[1]);
        return false;
    }
    return run_program_expect(argc - 2, argv + 2, want, why, whylen);
}

static bool run_repeat(int argc, char *argv[], char *why, size_t whylen)
{
    long n = 0;
    size_t before = ram_kept();

    if (argc < 3 || !parse_number(argv[1], false, &n) || n <= 0) {
        snprintf(why, whylen, "usage: repeat N program [args]");
        return false;
    }
    for (long i = 0; i < n; i++) {
        if (!run_program(argc - 2, argv + 2, why, whylen)) {
            size_t len = strlen(why);
            snprintf(why + len, whylen - len, " (run %ld of %ld)", i + 1, n);
            return false;
        }
    }
    if (ram_kept() != before || before == 0) {
        snprintf(why, whylen, "free RAM changed over %ld runs", n);
        return false;
    }
    printf("runner: %ld runs, free RAM %llu bytes before and after\n", n,
           (unsigned long long)before);
    return true;
}

/*
 * `kill-core-init N`: have core N's kernel kill its init (a test of a
 * dead core: KERNELCMD_DEBUG_KILL_CORE_ROOT, which needs the Kernel cap
 * init gives us) and wait until our init has seen core N down: from then
 * on calls for core N fail with INIT_ERR_CORE_DEAD, so we ask it for
 * core N's free RAM until that is the answer.
 */
static bool run_kill_core_init(int argc, char *argv[], char *why, size_t whylen)
{
    long core = 0;
    uint64_t deadline = counter_read() + 5ull * 62500000;
    size_t free_bytes, total;
    errval_t err;

    if (argc != 2 || !parse_number(argv[1], false, &core)) {
        snprintf(why, whylen, "usage: kill-core-init CORE");
        return false;
    }
    err = kernel_debug_kill_core_root(CAP_KERNEL, (uint32_t)core);
    if (err_is_fail(err)) {
        snprintf(why, whylen, "%s", err_getcode(err_no(err)));
        return false;
    }
    for (;;) {
        err = aos_rpc_mem_stats_core(aos_rpc_get_init_channel(), (coreid_t)core, &free_bytes,
                                     &total);
        if (err_no(err) == INIT_ERR_CORE_DEAD) {
            return true;
        }
        if (counter_read() > deadline) {
            snprintf(why, whylen, "core %ld not seen down within 5 s", core);
            return false;
        }
        sys_yield();
    }
}

static bool run_command(int argc, char *argv[], char *why, size_t whylen)
{
    if (strcmp(argv[0], "repeat") == 0) {
        return run_repeat(argc, argv, why, whylen);
    }
    if (strcmp(argv[0], "expect-status") == 0) {
        return run_expect_status(argc, argv, why, whylen);
    }
    if (strcmp(argv[0], "kill-core-init") == 0) {
        return run_kill_core_init(argc, argv, why, whylen);
    }
    if (strcmp(argv[0], "free") == 0) {
        struct aos_mem_account a;
        errval_t err = aos_rpc_mem_account(aos_rpc_get_init_channel(), &a);
        if (err_is_fail(err)) {
            snprintf(why, whylen, "%s", err_getcode(err_no(err)));
            return false;
        }
        printf("runner: %zu of %zu bytes free\n", a.free_bytes, a.total_bytes);
        return true;
    }
    return run_program(argc, argv, why, whylen);
}

/* The ';' ending the command at `cmd` (outside quotes), or its final NUL. */
static char *end_of_command(char *cmd)
{
    bool quoted = false;

    for (; *cmd != '\0'; cmd++) {
        if (*cmd == '"') {
            quoted = !quoted;
        } else if (*cmd == ';' && !quoted) {
            break;
        }
    }
    return cmd;
}

/*
 * The verdict line of one command; a failure's reason may be long (a whole
 * error chain): it is wrapped between the chain's elements, never cut.
 */
static void print_verdict(const char *text, bool passed, const char *why)
{
    int col;

    if (passed) {
        printf("TEST CMD %s ... PASS\n", text);
        return;
    }
    col = printf("TEST CMD %s ... FAIL: ", text);
    err_print_wrapped(col > 0 ? (size_t)col : 0, why);
}

unsigned commands_run_line(const char *line, unsigned *passed)
{
    unsigned failed = 0;
    char *copy = strdup(line), *next = copy;
    char *why = malloc(COMMAND_WHY_MAX);

    if (copy == NULL || why == NULL) {
        printf("runner: no memory to run the command line\n");
        free(copy);
        free(why);
        return 1;
    }
    while (next != NULL) {
        char *cmd = next, *argv[COMMAND_MAX_ARGS + 1], *text;
        size_t len;
        bool ok;
        int argc;

        next = end_of_command(cmd);
        if (*next == ';') {
            *next++ = '\0';
        } else {
            next = NULL;
        }
        cmd += strspn(cmd, " \t");
        for (len = strlen(cmd); len > 0 && (cmd[len - 1] == ' ' || cmd[len - 1] == '\t'); ) {
            cmd[--len] = '\0';
        }
        text = strdup(cmd);             /* the command as typed, for its verdict */
        argc = cmdline_split(cmd, argv, COMMAND_MAX_ARGS);
        if (argc == 0 || text == NULL) {
            failed += text == NULL;
            free(text);
            continue;
        }
        why[0] = '\0';
        if (argc < 0) {
            snprintf(why, COMMAND_WHY_MAX, "%s", err_getstring(INIT_ERR_BAD_COMMAND));
            ok = false;
        } else {
            ok = run_command(argc, argv, why, COMMAND_WHY_MAX);
        }
        print_verdict(text, ok, why);
        *passed += ok;
        failed += !ok;
        free(text);
    }
    free(why);
    free(copy);
    return failed;
}
