/*
 * traceconv: a text allocation trace on stdin -> a trace module
 * (trace_format.h). Built for the build machine; SConstruct runs it on
 * every trace `scons bench` replays (decompressing .xz on the way).
 *
 *   traceconv NAME OUT < trace.txt
 *
 * On a bad line it prints "traceconv: NAME: line N: what" and exits 1,
 * leaving no output file.
 */
#define _GNU_SOURCE
#include "trace_convert.h"
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
    struct trace_conv *c;
    char *line = NULL;
    size_t cap = 0, bytes;
    ssize_t len;
    uint8_t *module;
    const char *why = NULL;
    FILE *out;

    if (argc != 3) {
        fprintf(stderr, "usage: traceconv NAME OUT < trace.txt\n");
        return 2;
    }
    c = trace_conv_new(argv[1]);
    if (c == NULL) {
        fprintf(stderr, "traceconv: name '%s' is too long (at most %d characters)\n",
                argv[1], TRACE_NAME_LEN - 1);
        return 1;
    }
    while (why == NULL && (len = getline(&line, &cap, stdin)) >= 0) {
        if (len > 0 && line[len - 1] == '\n') {
            len--;
        }
        why = trace_conv_line(c, line, (size_t)len);
    }
    free(line);
    if (why == NULL) {
        why = trace_conv_finish(c, &module, &bytes);
    }
    if (why != NULL) {
        fprintf(stderr, "traceconv: %s: %s\n", argv[1], why);
        trace_conv_free(c);
        return 1;
    }
    trace_conv_free(c);
    out = fopen(argv[2], "wb");
    if (out == NULL || fwrite(module, 1, bytes, out) != bytes || fclose(out) != 0) {
        fprintf(stderr, "traceconv: cannot write %s\n", argv[2]);
        remove(argv[2]);
        free(module);
        return 1;
    }
    free(module);
    return 0;
}
