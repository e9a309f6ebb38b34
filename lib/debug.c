/*
 * Printing errors with their whole cause chain.
 */
#include <aos/debug.h>
#include <stdarg.h>
#include <stdio.h>

void err_format_chain(errval_t err, char *buf, size_t len)
{
    size_t used = 0;

    if (len == 0) {
        return;
    }
    buf[0] = '\0';
    do {
        enum errcode code = err_no(err);
        int n = snprintf(buf + used, len - used, "%s%s (%s)",
                         used ? " <- " : "", err_getcode(code), err_getstring(code));
        if (n < 0 || (size_t)n >= len - used) {
            return;   /* truncated */
        }
        used += (size_t)n;
        err = err_pop(err);
    } while (err != 0);
}

void debug_err(const char *file, int line, errval_t err, const char *fmt, ...)
{
    char chain[256];
    va_list ap;

    err_format_chain(err, chain, sizeof(chain));
    printf("%s:%d: ", file, line);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf(": %s\n", chain);
}
