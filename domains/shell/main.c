/*
 * shell: the interactive shell (docs/shell.md). A domain like any other:
 * it reads the console with getchar() (a GETCHAR RPC to init, one byte at
 * a time) and starts, lists and ends domains through the process RPCs of
 * include/aos/aos_rpc.h.
 *
 * Loop: report ended background jobs, print the prompt, read a line, run
 * its command. Ends with status 0 on `exit` or when stdin ends, after
 * killing the background jobs still running.
 */
#include <stdio.h>
#include <string.h>
#include "shell.h"

static shell_cmd_fn cmd_help;

struct command {
    const char *name;
    shell_cmd_fn *fn;
    const char *usage;
    const char *what;
};

static const struct command commands[] = {
    { "help",  cmd_help,        "help",                  "this list" },
    { "ps",    shell_cmd_ps,    "ps",
      "running domains: pid, state, core, RAM, page faults, command line" },
    { "run",   shell_cmd_run,   "run [-c CORE] NAME [ARGS] [&]",
      "start boot module NAME (on CORE); wait for its end unless '&'" },
    { "kill",  shell_cmd_kill,  "kill PID",              "end domain PID at once" },
    { "wait",  shell_cmd_wait,  "wait PID",              "wait for PID to end, print its status" },
    { "free",  shell_cmd_free,  "free",                  "free and total RAM of each core's memory server" },
    { "vmmap", shell_cmd_vmmap, "vmmap PID",             "what is known of PID's memory" },
    { "exit",  NULL,            "exit",                  "leave the shell (status 0)" },
};
#define N_COMMANDS (sizeof(commands) / sizeof(commands[0]))

static void cmd_help(int argc, char **argv, const char *line)
{
    (void)argc;
    (void)argv;
    (void)line;
    printf("commands:\n");
    for (size_t i = 0; i < N_COMMANDS; i++) {
        printf("  %-20s %s\n", commands[i].usage, commands[i].what);
    }
    printf("line editing: backspace erases, Ctrl-C drops the line, "
           "Ctrl-D on an empty line ends the shell\n");
}

static const struct command *find(const char *name)
{
    for (size_t i = 0; i < N_COMMANDS; i++) {
        if (strcmp(commands[i].name, name) == 0) {
            return &commands[i];
        }
    }
    return NULL;
}

/* Run one line; returns false if it was `exit`. */
static bool run_line(const char *line)
{
    char copy[SHELL_LINE_MAX];
    char *argv[SHELL_WORDS_MAX + 1];
    bool overflow;
    size_t argc;
    const struct command *cmd;

    strncpy(copy, line, sizeof(copy) - 1);
    copy[sizeof(copy) - 1] = '\0';
    argc = shell_split(copy, argv, SHELL_WORDS_MAX, &overflow);
    if (argc == 0) {
        return true;
    }
    argv[argc] = NULL;
    cmd = find(argv[0]);
    if (cmd == NULL) {
        printf("unknown command '%s' (try help)\n", argv[0]);
        return true;
    }
    if (overflow && cmd->fn != shell_cmd_run) {
        printf("%s: more than %d words\n", argv[0], SHELL_WORDS_MAX);
        return true;
    }
    if (cmd->fn == NULL) {          /* exit */
        if (argc != 1) {
            printf("exit: takes no arguments\n");
            return true;
        }
        return false;
    }
    cmd->fn((int)argc, argv, line);
    return true;
}

int main(int argc, char **argv)
{
    char line[SHELL_LINE_MAX];

    (void)argc;
    (void)argv;
    printf("shell: type 'help' for the commands\n");
    for (;;) {
        shell_jobs_report();
        printf(SHELL_PROMPT);
        fflush(stdout);
        if (!shell_read_line(line, sizeof(line))) {
            printf("shell: end of input\n");
            break;
        }
        if (!run_line(line)) {
            break;
        }
    }
    shell_jobs_end_all();
    printf("shell: bye\n");
    return 0;
}
