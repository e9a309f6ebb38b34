/*
 * RAM glibc's heap holds, counted the same way for every Linux reference
 * program that measures a heap (fragbench.c, tracereplay.c): the resident
 * pages of the brk heap, found page by page with mincore(), plus the bytes
 * of blocks glibc mmapped for itself (mallinfo2's hblkhd: every page of
 * them is written by these programs, so resident). /proc/self/statm is not
 * used: Linux batches a task's resident count (up to 64 faults), so it lags.
 */
#ifndef BENCH_LINUX_HEAP_RAM_H
#define BENCH_LINUX_HEAP_RAM_H

#include <stdint.h>

/* Call first in main: finds where glibc's main arena starts. */
void heap_ram_init(void);
/* Bytes of RAM the heap holds now (resident brk pages x 4 KiB + hblkhd). */
uint64_t heap_ram_bytes(void);

#endif
