/* Linux reference for the heap fragmentation benchmark: the same workloads
 * as Autarky's bench/autarky/fragbench (bench/frag/frag_workloads.c, compiled in
 * here), over glibc's malloc. /init (bench.c) runs it as a fresh process,
 * so glibc's heap starts empty, as a new domain's does.
 *
 * Output (parsed by site_scons/linux_bench.py), at each workload's end:
 *   LINUX-VALUE frag_<w>_ram_per_live <permille>   resident heap pages
 *                                                  added x 4 KiB / live
 *   LINUX-INFO frag_<w> ...                        glibc's own view
 * and every FRAG_SAMPLE_EVERY operations
 *   LINUX-SAMPLE frag_<w> <ops> <live> <RAM>       for the plots
 *
 * "Resident RAM the heap added" is heap_ram_bytes() (heap_ram.h: glibc's
 * resident brk pages counted with mincore(), plus its mmapped blocks; every
 * block of these workloads is below glibc's mmap threshold) minus what the
 * heap held before the first workload (stdout's buffer).
 *
 * Build: arm-linux-gnueabihf-gcc -static -O2 -o fragbench fragbench.c
 *        heap_ram.c ../frag/frag_workloads.c
 */
#define _GNU_SOURCE
#include "../frag/frag_workloads.h"
#include "heap_ram.h"
#include <malloc.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

static uint64_t base_ram;           /* heap RAM before the workloads */

void frag_figures(const char *w, size_t live)
{
    struct mallinfo2 mi = mallinfo2();
    unsigned long ram = (unsigned long)(heap_ram_bytes() - base_ram);

    printf("LINUX-INFO frag_%s live=%zu resident_added=%lu arena=%zu in_use=%zu "
           "free=%zu mmapped=%zu\n", w, live, ram, mi.arena, mi.uordblks, mi.fordblks,
           mi.hblkhd);
    printf("LINUX-VALUE frag_%s_ram_per_live %llu\n", w,
           (unsigned long long)ram * 1000ull / live);
}

/* A point of the plot: LINUX-SAMPLE frag_<w> <ops> <live> <heap RAM added>. */
void frag_sample(const char *w, unsigned long ops, size_t live)
{
    printf("LINUX-SAMPLE frag_%s %lu %zu %llu\n", w, ops, live,
           (unsigned long long)(heap_ram_bytes() - base_ram));
}

int main(int argc, char **argv)
{
    heap_ram_init();
    setvbuf(stdout, NULL, _IOLBF, 0);
    printf("LINUX-INFO fragbench start\n");
    frag_touch_statics();
    base_ram = heap_ram_bytes();
    return frag_main(argc, argv);
}
