/*
 * Parsing and running init's command lines (see commands.h).
 */
#include "commands.h"
#include "procs.h"
#include "mem_server.h"
#include <aos/debug.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * Split one command into words in place (`buf` is modified); quotes group
 * words. Returns the number of words, or -1 if there are too many or a
 * quote is not closed.
 */
static int split_words(char *buf, char *argv[], int max)
{
    int argc = 0;
    char *p = buf;

    for (;;) {
        while (*p == ' ' || *p == '\t') {
            p++;
        }
        if (*p == '\0') {
            break;
        }
        if (argc == max) {
            return -1;
        }
        if (*p == '"') {
            argv[argc++] = ++p;
            p = strchr(p, '"');
            if (p == NULL) {
                return -1;
            }
        } else {
            argv[argc++] = p;
            p += strcspn(p, " \t");
        }
        if (*p != '\0') {
            *p++ = '\0';
        }
    }
    argv[argc] = NULL;
    return argc;
}

static void describe_status(int status, char *buf, size_t len)
{
    if (status == PROC_STATUS_KILLED) {
        snprintf(buf, len, "was killed");
    } else {
        snprintf(buf, len, "exited with status %d", status);
    }
}

/*
 * Run one program to its end and check it ended with `expect`; *why
 * explains a failure.
 */
static bool run_program_expect(int argc, char *argv[], int expect, char *why,
                               size_t whylen)
{
    gensize_t before = mem_server_free(), after;
    struct proc *p;
    errval_t err;
    int status;

    err = proc_spawn(argc, (const char *const *)argv, &p);
    if (err_is_fail(err)) {
        char chain[120];
        err_format_chain(err, chain, sizeof(chain));
        snprintf(why, whylen, "cannot start '%s': %s", argv[0], chain);
        return false;
    }
    while (!p->exited) {
        rpc_server_step(true);
    }
    status = p->status;
    proc_reap(p);
    after = mem_server_free();
    if (status != expect) {
        char got[40], want[40];
        describe_status(status, got, sizeof(got));
        describe_status(expect, want, sizeof(want));
        snprintf(why, whylen, "'%s' %s, expected: %s", argv[0], got, want);
        return false;
    }
    if (after != before) {
        snprintf(why, whylen, "free RAM %llu bytes before, %llu after",
                 (unsigned long long)before, (unsigned long long)after);
        return false;
    }
    return true;
}

static bool run_program(int argc, char *argv[], char *why, size_t whylen)
{
    return run_program_expect(argc, argv, 0, why, whylen);
}

/* expect-status N|killed program [args] */
static bool run_expect_status(int argc, char *argv[], char *why, size_t whylen)
{
    char *end;
    long want;

    if (argc < 3) {
        snprintf(why, whylen, "usage: expect-status N|killed program [args]");
        return false;
    }
    want = strcmp(argv[1], "killed") == 0 ? PROC_STATUS_KILLED : strtol(argv[1], &end, 10);
    if (want != PROC_STATUS_KILLED && (*end != '\0' || end == argv[1])) {
        snprintf(why, whylen, "expect-status: '%s' is not a number", argv[1]);
        return false;
    }
    return run_program_expect(argc - 2, argv + 2, (int)want, why, whylen);
}

static bool run_repeat(int argc, char *argv[], char *why, size_t whylen)
{
    long n = argc >= 3 ? strtol(argv[1], NULL, 10) : 0;
    gensize_t before = mem_server_free();

    if (n <= 0) {
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
    if (mem_server_free() != before) {
        snprintf(why, whylen, "free RAM changed over %ld runs", n);
        return false;
    }
    printf("init: %ld runs, free RAM %llu bytes before and after\n", n,
           (unsigned long long)before);
    return true;
}

static bool run_command(int argc, char *argv[], char *why, size_t whylen)
{
    if (strcmp(argv[0], "repeat") == 0) {
        return run_repeat(argc, argv, why, whylen);
    }
    if (strcmp(argv[0], "expect-status") == 0) {
        return run_expect_status(argc, argv, why, whylen);
    }
    if (strcmp(argv[0], "free") == 0) {
        gensize_t free_bytes, total;
        mem_server_stats(&free_bytes, &total);
        printf("init: %llu of %llu bytes free\n", (unsigned long long)free_bytes,
               (unsigned long long)total);
        return true;
    }
    return run_program(argc, argv, why, whylen);
}

unsigned commands_run_line(const char *line, unsigned *passed)
{
    unsigned failed = 0;
    char *copy = strdup(line), *next = copy;

    while (next != NULL) {
        char *cmd = next, *argv[COMMAND_MAX_ARGS + 1], why[200] = "";
        char text[96];
        int argc;

        next = strchr(cmd, ';');
        if (next != NULL) {
            *next++ = '\0';
        }
        snprintf(text, sizeof(text), "%s", cmd + strspn(cmd, " \t"));
        argc = split_words(cmd, argv, COMMAND_MAX_ARGS);
        if (argc == 0) {
            continue;
        }
        if (argc > 0 && run_command(argc, argv, why, sizeof(why))) {
            printf("TEST CMD %s ... PASS\n", text);
            (*passed)++;
        } else {
            printf("TEST CMD %s ... FAIL: %s\n", text,
                   argc < 0 ? "cannot parse (unclosed quote or too many words)" : why);
            failed++;
        }
    }
    free(copy);
    return failed;
}
