/*
 * Turning a text allocation trace (../shared/traces/README.md) into a
 * trace module (trace_format.h), on the build machine. Every line is
 * checked as it comes: an unknown operation, a malformed number, an ID
 * allocated twice, a free or realloc of an ID that is not live (never
 * seen, or freed already) are errors that name the line.
 *
 *   struct trace_conv *c = trace_conv_new("sqlite");
 *   while (a line) if ((why = trace_conv_line(c, line, len)) != NULL) fail(why);
 *   why = trace_conv_finish(c, &module, &bytes);      module: malloc'ed
 *   trace_conv_free(c);
 *
 * Messages are "line N: what" (for finish, without a line) and stay valid
 * until the next call.
 */
#ifndef BENCH_TRACE_CONVERT_H
#define BENCH_TRACE_CONVERT_H

#include "trace_format.h"

struct trace_conv;

/* NULL if out of memory or the name does not fit TRACE_NAME_LEN - 1. */
struct trace_conv *trace_conv_new(const char *name);
/* One line, without its newline (a trailing '\r' or blanks are allowed). */
const char *trace_conv_line(struct trace_conv *c, const char *line, size_t len);
const char *trace_conv_finish(struct trace_conv *c, uint8_t **module, size_t *bytes);
void trace_conv_free(struct trace_conv *c);

#endif
