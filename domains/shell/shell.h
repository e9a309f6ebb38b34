/*
 * The interactive shell (docs/shell.md): declarations shared by its files.
 *
 *   main.c     the loop: prompt, read a line, find the command, run it
 *   line.c     reading one line from stdin with echo and backspace
 *   args.c     splitting a line into words, reading a pid
 *   procs.c    ps, run, kill, wait, vmmap (the process RPCs)
 *   jobs.c     background jobs: reporting their end at the next prompt
 *   mem.c      free (the memory server's totals)
 */
#ifndef SHELL_H
#define SHELL_H

#include <stdbool.h>
#include <stddef.h>
#include <autarky/types.h>
#include <autarky/errors.h>

#define SHELL_PROMPT    "autarky> "
#define SHELL_LINE_MAX  256     /* bytes of one line, with its '\0' */
#define SHELL_WORDS_MAX 32

/* line.c: read one line into buf (at most size - 1 characters, echoed).
 * Returns false when stdin has ended (EOF, or Ctrl-D on an empty line). */
bool shell_read_line(char *buf, size_t size);

/* args.c */
/* Split `line` in place at blanks; returns the number of words (at most
 * `max`; the rest of the line is ignored and *overflow set). */
size_t shell_split(char *line, char **words, size_t max, bool *overflow);
/* The text after the first word of `line`, blanks skipped ("" if none). */
const char *shell_rest(const char *line);
/* A pid: decimal digits only, fits domainid_t (0 is init's). */
bool shell_parse_pid(const char *word, domainid_t *pid);
/* Print "<cmd>: <what>: CODE (desc) <- CAUSE (desc) ..." for err. */
void shell_print_err(const char *cmd, errval_t err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* One command: argv[0] is its name. `line` is the whole line as typed
 * (run passes its arguments on unchanged). */
typedef void shell_cmd_fn(int argc, char **argv, const char *line);

/* procs.c */
shell_cmd_fn shell_cmd_ps, shell_cmd_run, shell_cmd_kill, shell_cmd_wait,
             shell_cmd_vmmap;
/* mem.c */
shell_cmd_fn shell_cmd_free;

/* jobs.c: pids started with '&' that have not been reported yet. */
void shell_jobs_add(domainid_t pid);
void shell_jobs_forget(domainid_t pid);
/* Print "[pid] exited with status N" / "[pid] killed" for every job
 * that has ended since the last call, and forget it. */
void shell_jobs_report(void);
/* Kill every job still running (the shell is ending). */
void shell_jobs_end_all(void);
/* The line a finished domain gets, from its wait status. */
void shell_print_end(domainid_t pid, int status);

#endif
