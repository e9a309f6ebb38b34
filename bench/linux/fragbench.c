/* Linux reference for the heap fragmentation benchmark: the same workloads
 * as Autarky's bench/autarky/fragbench (bench/frag/frag_workloads.c, compiled in
 * here), over glibc's malloc. /init (bench.c) runs it as a fresh process,
 * so glibc's heap starts empty, as a new domain's does.
 *
 * Output (parsed by site_scons/linux_bench.py), at each workload's end:
 *   LINUX-VALUE frag_<w>_ram_per_live <permille>   resident heap pages
 *                                                  added x 4 KiB / live
 *   LINUX-INFO frag_<w> ...                        glibc's own view
 *
 * "Resident RAM the heap added" is glibc's heap (the brk area: every block
 * of these workloads is below glibc's mmap threshold, and the bytes it did
 * mmap anyway, mallinfo2's hblkhd, are added) counted page by page with
 * mincore(), minus the heap pages resident before the first workload
 * (stdout's buffer). /proc/self/statm's resident count is not used: Linux
 * batches a task's RSS updates (up to 64 faults), so it lags.
 *
 * Build: arm-linux-gnueabihf-gcc -static -O2 -o fragbench fragbench.c
 *        ../frag/frag_workloads.c
 */
#define _GNU_SOURCE
#include "../frag/frag_workloads.h"
#include <malloc.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#define PAGE 4096ul

static uintptr_t heap_lo;           /* the first page of glibc's main arena */
static unsigned long base_pages;    /* heap pages resident before the workloads */

/* Resident pages of the brk heap [heap_lo, sbrk(0)). */
static unsigned long heap_resident_pages(void)
{
    static unsigned char vec[1u << 16];     /* 256 MiB of heap at most */
    uintptr_t hi = ((uintptr_t)sbrk(0) + PAGE - 1) & ~(PAGE - 1);
    unsigned long pages = (hi - heap_lo) / PAGE, n = 0;

    if (pages > sizeof(vec) || mincore((void *)heap_lo, hi - heap_lo, vec) != 0) {
        printf("LINUX error frag mincore over the heap failed\n");
        exit(1);
    }
    for (unsigned long i = 0; i < pages; i++) {
        n += vec[i] & 1;
    }
    return n;
}

void frag_figures(const char *w, size_t live)
{
    struct mallinfo2 mi = mallinfo2();
    unsigned long ram = (heap_resident_pages() - base_pages) * PAGE + mi.hblkhd;

    printf("LINUX-INFO frag_%s live=%zu resident_added=%lu arena=%zu in_use=%zu "
           "free=%zu mmapped=%zu\n", w, live, ram, mi.arena, mi.uordblks, mi.fordblks,
           mi.hblkhd);
    printf("LINUX-VALUE frag_%s_ram_per_live %llu\n", w,
           (unsigned long long)ram * 1000ull / live);
}

int main(int argc, char **argv)
{
    /* glibc's start-up may have grown the heap before main: its main
     * arena is one contiguous run of sbrk'd memory below the break */
    heap_lo = ((uintptr_t)sbrk(0) - mallinfo2().arena) & ~(PAGE - 1);
    setvbuf(stdout, NULL, _IOLBF, 0);
    printf("LINUX-INFO fragbench start\n");
    frag_touch_statics();
    base_pages = heap_resident_pages();
    return frag_main(argc, argv);
}
