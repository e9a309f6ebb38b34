/*
 * Replaying a trace module (trace_format.h) against the C library's
 * malloc: the same code on Autarky (bench/trace/replay_autarky.c) and on
 * Linux over glibc (bench/linux/tracereplay.c), so both do exactly the same
 * requests in the same order, write the same bytes and are timed over the
 * same stretches.
 *
 * Each record is done as the program did it: malloc(size) and every byte of
 * the new object written once (so all of it is backed by RAM, as the
 * program's use would); free; realloc(p, size) and the bytes beyond the
 * old size written. Decoding the module happens outside the timed
 * stretches, in batches, as does measuring RAM (about 200 samples per run,
 * plus the moment live bytes peak and the end).
 *
 * The platform provides three functions:
 *   trace_platform_buffer(bytes)  zeroed memory that is not the heap being
 *                                 measured (and is already backed), or NULL;
 *                                 trace_platform_unbuffer gives it back
 *   trace_platform_ram()          bytes of RAM the heap holds now
 *   trace_platform_ticks()        the 62.5 MHz virtual counter (16
 *                                 instructions a tick under -icount shift=0)
 */
#ifndef BENCH_TRACE_REPLAY_H
#define BENCH_TRACE_REPLAY_H

#include "trace_format.h"
#include <stdbool.h>

#define TRACE_SAMPLES 200               /* evenly spaced, plus peak and end */

struct trace_sample {
    uint32_t op;                        /* records done */
    uint64_t live;                      /* bytes live (requested sizes) */
    uint64_t ram;                       /* heap RAM (trace_platform_ram - start) */
};

struct trace_result {
    char name[TRACE_NAME_LEN];
    uint32_t ops;
    uint64_t ticks;                     /* counter ticks in the timed stretches */
    uint64_t peak_live, peak_ram;       /* when live bytes first peak */
    uint64_t end_live, end_ram;         /* after the last record */
    uint32_t peak_op;
    uint32_t nsamples;
    struct trace_sample samples[TRACE_SAMPLES + 4];
    /* on failure: what, and the line of the text trace (0: none) */
    uint32_t fail_line;
    char why[200];
};

void *trace_platform_buffer(size_t bytes);
void trace_platform_unbuffer(void *buffer, size_t bytes);
uint64_t trace_platform_ram(void);
uint64_t trace_platform_ticks(void);

/* Replay the module; with `verify`, also check every object's bytes when
 * it is freed or reallocated and at the end (slower: for tests). Returns
 * 0, or -1 with res->why (and res->fail_line). Frees every object at the
 * end (not timed). */
int trace_replay(const void *module, size_t bytes, bool verify, struct trace_result *res);

/* During a replay: the line being replayed, the size it asks for and the
 * bytes live before it (for a platform that reports running out of memory
 * from somewhere else, such as Autarky's page-fault handler). */
void trace_replay_where(uint32_t *line, uint32_t *size, uint64_t *live);

/* RAM per live byte in permille (live 0 counts as 1 byte). */
uint64_t trace_permille(uint64_t ram, uint64_t live);

#endif
