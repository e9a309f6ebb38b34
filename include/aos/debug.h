/*
 * Error reporting (lib/debug.c).
 *
 * A chain is printed whole, newest code first: "CODE (desc) <- CAUSE (desc)
 * <- ...". No element is ever cut; a line that would pass ERR_WRAP_COLUMN
 * continues on the next, indented, before a " <- ".
 */
#ifndef AOS_DEBUG_H
#define AOS_DEBUG_H

#include <stdarg.h>
#include <stddef.h>
#include <autarky/errors.h>

/* Room for any chain's text and its NUL: an errval_t holds at most seven
 * codes (six whole ones and four bits of a seventh), and the seven longest
 * "CODE (desc)" elements with their separators take about 800 bytes
 * (checked by the host tests). */
#define ERR_CHAIN_MAX 1024
/* Lines of a printed chain are wrapped before this column where they can be. */
#define ERR_WRAP_COLUMN 120

/* Print "file:line: msg: CODE (desc) <- CAUSE (desc) <- ..." for err's chain. */
void debug_err(const char *file, int line, errval_t err, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
#define DEBUG_ERR(err, ...) debug_err(__FILE__, __LINE__, (err), __VA_ARGS__)

/* Print "msg: chain" and a newline, on a line that already holds `column`
 * characters (wrapped like err_print_wrapped). */
void err_vprint_msg(size_t column, errval_t err, const char *fmt, va_list ap);

/* Format err's whole chain into buf ("CODE (desc) <- CAUSE (desc) ...").
 * Only whole elements are written: if buf is too small the text ends after
 * the last one that fits. Returns the length of the whole chain (without
 * the NUL), so `ret < len` means nothing was left out. */
size_t err_format_chain(errval_t err, char *buf, size_t len);

/* Print `text` (e.g. a formatted chain) and a newline, starting at
 * `column` of the current line; a line that would pass ERR_WRAP_COLUMN is
 * broken before a " <- ", and continues "    <- ...". Nothing is cut. */
void err_print_wrapped(size_t column, const char *text);
/* The length of `text` err_print_wrapped puts on a line holding `column`
 * characters: whole elements up to a " <- ", at least the first one. */
size_t err_wrap_length(const char *text, size_t column);

#endif
