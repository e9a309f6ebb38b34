/*
 * Error reporting (lib/debug.c).
 */
#ifndef AOS_DEBUG_H
#define AOS_DEBUG_H

#include <stddef.h>
#include <autarky/errors.h>

/* Print "file:line: msg: CODE (desc) <- CAUSE (desc) <- ..." for err's chain. */
void debug_err(const char *file, int line, errval_t err, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
#define DEBUG_ERR(err, ...) debug_err(__FILE__, __LINE__, (err), __VA_ARGS__)

/* Format err's whole chain into buf ("CODE <- CAUSE <- ..."). */
void err_format_chain(errval_t err, char *buf, size_t len);

#endif
