/*
 * Words and numbers of a command line, and error messages.
 *
 * The shell's own commands take plain words separated by blanks (space
 * and tab). `run` does not split its arguments: the rest of its line
 * goes to the spawning service as typed, which splits it the way boot
 * command lines are split (quotes group words, lib/cmdline.c).
 */
#include <stdarg.h>
#include <stdio.h>
#include <aos/debug.h>
#include "shell.h"

static bool is_blank(char c)
{
    return c == ' ' || c == '\t';
}

size_t shell_split(char *line, char **words, size_t max, bool *overflow)
{
    size_t n = 0;
    char *p = line;

    *overflow = false;
    for (;;) {
        while (is_blank(*p)) {
            p++;
        }
        if (*p == '\0') {
            return n;
        }
        if (n == max) {
            *overflow = true;
            return n;
        }
        words[n++] = p;
        while (*p != '\0' && !is_blank(*p)) {
            p++;
        }
        if (*p != '\0') {
            *p++ = '\0';
        }
    }
}

const char *shell_rest(const char *line)
{
    while (is_blank(*line)) {
        line++;
    }
    while (*line != '\0' && !is_blank(*line)) {
        line++;
    }
    while (is_blank(*line)) {
        line++;
    }
    return line;
}

bool shell_parse_pid(const char *word, domainid_t *pid)
{
    domainid_t v = 0;

    if (*word == '\0') {
        return false;
    }
    for (const char *p = word; *p != '\0'; p++) {
        if (*p < '0' || *p > '9') {
            return false;
        }
        unsigned d = (unsigned)(*p - '0');
        if (v > (((domainid_t)-1) - d) / 10) {
            return false;   /* does not fit */
        }
        v = v * 10 + d;
    }
    *pid = v;
    return true;
}

void shell_print_err(const char *cmd, errval_t err, const char *fmt, ...)
{
    va_list ap;
    int col = printf("%s: ", cmd);

    va_start(ap, fmt);
    err_vprint_msg(col > 0 ? (size_t)col : 0, err, fmt, ap);
    va_end(ap);
}
