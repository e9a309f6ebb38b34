/*
 * The heap fragmentation workloads (docs/benchmarks.md, "fragbench"), in
 * plain C over malloc/free, shared by Autarky's bench/autarky/fragbench and the
 * Linux reference bench/linux/fragbench.c so that both run exactly the same
 * sequence of requests (same seeds, same sizes, same order).
 *
 * A program links frag_workloads.c, implements frag_figures() (what it can
 * measure of its heap: RAM mapped, space reserved, ...) and calls
 * frag_main() from its main.
 */
#ifndef BENCH_FRAG_WORKLOADS_H
#define BENCH_FRAG_WORKLOADS_H

#include <stddef.h>

/* Called by each workload at its steady state, with the bytes it holds
 * (sum of the requested sizes; the slot arrays are static, not heap). */
void frag_figures(const char *workload, size_t live);

/* Called every FRAG_SAMPLE_EVERY allocations and frees of a workload, at
 * its start, at the end of each of its phases and at its end (after
 * everything is freed), with the operations
 * done so far in that workload and the bytes it holds: a platform prints
 * what it holds then (the plots of `scons bench`). */
#define FRAG_SAMPLE_EVERY 1000u
void frag_sample(const char *workload, unsigned long ops, size_t live);

/* Writes the workloads' static slot arrays once, so that a platform that
 * measures resident pages can take its baseline after them. */
void frag_touch_statics(void);

/* Runs the workloads named in argv[1..] ("small", "mixed", "phase"), all
 * three in that order if none is named, each after the previous one freed
 * everything. Returns 0 if every allocation succeeded, 1 otherwise. */
int frag_main(int argc, char **argv);

#endif
