/*
 * Printing errors with their whole cause chain.
 *
 * An element of a chain ("CODE (description)") is never cut: a buffer too
 * small for the chain ends after the last whole element, and ERR_CHAIN_MAX
 * holds any chain (test/host/lib/test_errors.c checks that bound against
 * the longest codes). Long chains are wrapped between elements, never
 * inside one.
 */
#include <aos/debug.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define CHAIN_SEP " <- "
#define WRAP_INDENT "    "

/*
 * Invariant: buf always holds a NUL-terminated sequence of whole elements
 * joined by " <- "; an element that does not fit is left out with all
 * after it. Returns the length the whole chain needs (without the NUL).
 */
size_t err_format_chain(errval_t err, char *buf, size_t len)
{
    size_t used = 0, need = 0;
    bool full = false;

    if (len > 0) {
        buf[0] = '\0';
    }
    do {
        enum errcode code = err_no(err);
        const char *sep = need > 0 ? CHAIN_SEP : "";
        size_t n = strlen(sep) + strlen(err_getcode(code)) + strlen(err_getstring(code)) + 3;

        if (!full && used + n < len) {
            snprintf(buf + used, len - used, "%s%s (%s)", sep, err_getcode(code),
                     err_getstring(code));
            used += n;
        } else {
            full = true;
        }
        need += n;
        err = err_pop(err);
    } while (err != 0);
    return need;
}

/*
 * How much of `text` to print on a line that already holds `column`
 * characters: up to the last " <- " that keeps the line within
 * ERR_WRAP_COLUMN, but at least up to the first one after its first
 * character (or all of it), so every call on a non-empty text makes
 * progress and no element is split.
 */
size_t err_wrap_length(const char *text, size_t column)
{
    const char *sep = text[0] != '\0' ? strstr(text + 1, CHAIN_SEP) : NULL;
    size_t take = sep != NULL ? (size_t)(sep - text) : strlen(text);

    while (sep != NULL) {
        const char *next = strstr(sep + strlen(CHAIN_SEP), CHAIN_SEP);
        size_t end = next != NULL ? (size_t)(next - text) : strlen(text);
        if (column + end > ERR_WRAP_COLUMN) {
            break;
        }
        take = end;
        sep = next;
    }
    return take;
}

void err_print_wrapped(size_t column, const char *text)
{
    size_t n = err_wrap_length(text, column);

    printf("%.*s", (int)n, text);
    text += n;
    while (*text != '\0') {             /* text starts with " <- " */
        text += strlen(" ");
        printf("\n" WRAP_INDENT);
        n = err_wrap_length(text, strlen(WRAP_INDENT));
        printf("%.*s", (int)n, text);
        text += n;
    }
    printf("\n");
}

void err_vprint_msg(size_t column, errval_t err, const char *fmt, va_list ap)
{
    char chain[ERR_CHAIN_MAX];
    int n = vprintf(fmt, ap);

    n += printf(": ");
    err_format_chain(err, chain, sizeof(chain));
    err_print_wrapped(n > 0 ? column + (size_t)n : column, chain);
}

void debug_err(const char *file, int line, errval_t err, const char *fmt, ...)
{
    va_list ap;
    int col = printf("%s:%d: ", file, line);

    va_start(ap, fmt);
    err_vprint_msg(col > 0 ? (size_t)col : 0, err, fmt, ap);
    va_end(ap);
}
