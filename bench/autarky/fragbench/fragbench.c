/*
 * fragbench: the design card's heap fragmentation benchmark
 * (docs/benchmarks.md, "fragbench"). The workloads themselves are shared
 * with the Linux reference (bench/frag/frag_workloads.c, compiled into
 * this domain through workloads.c); this file measures. At the end of each
 * workload it prints
 *
 *   BENCH frag_<w>_vspace_per_live <x1000> permille   HEAP reserved / live
 *   BENCH frag_<w>_ram_per_live <x1000> permille      RAM mapped / live
 *   BENCH frag_<w>_metadata <bytes> bytes             the address space's
 *                                                     metadata (buddy nodes)
 *
 * where HEAP reserved = paging_get_info().reserved[HEAP] (every HEAP block:
 * malloc's heap, nothing else here reserves any), RAM mapped = the pages
 * the fault handler mapped since main started and that are still mapped
 * (lazy_frames minus its value then: two pages meshed onto one frame
 * count once) x 4 KiB: the heap's pages and any new
 * page of our stack, as the Linux reference counts the heap pages added
 * since its start (bench/linux/fragbench.c), and live = the bytes the
 * workload holds (requested sizes). The goal
 * (issue 4): RAM mapped within 10 % of live at steady state, i.e.
 * ram_per_live <= 1100. Lines starting with `#` add malloc's own view
 * (mallinfo: bytes in use including chunk headers, bytes on its free
 * list) and the page-fault counts.
 *
 * `fragbench [small|mixed|phase]...` runs the named workloads, default all
 * three in this one process, each after the previous one freed everything.
 */
#include "../../frag/frag_workloads.h"
#include <aos/paging.h>
#include <aos/morecore.h>
#include <stdio.h>
#include <stdlib.h>
#include <malloc.h>

#define HEAP_TAG 1                  /* paging_info.reserved[]: none, HEAP, ... */

static uint32_t base_frames;        /* lazy_frames when main started */

void frag_figures(const char *w, size_t live)
{
    struct paging_info pi;
    struct mallinfo mi = mallinfo();
    size_t ram;

    paging_get_info(get_current_paging_state(), &pi);
    ram = (size_t)(pi.lazy_frames - base_frames) * 4096;
    printf("# frag_%s: live %lu bytes, HEAP reserved %lu, RAM mapped %lu (%lu frames), "
           "malloc arena %lu, in use %lu (headers/padding %ld), on free list %lu; "
           "faults so far %lu\n", w, (unsigned long)live,
           (unsigned long)pi.reserved[HEAP_TAG], (unsigned long)ram,
           (unsigned long)(ram / 4096), (unsigned long)mi.arena,
           (unsigned long)mi.uordblks, (long)mi.uordblks - (long)live,
           (unsigned long)mi.fordblks, (unsigned long)pi.faults);
    struct heap_small_stats hs;
    heap_get_small_stats(&hs);
    printf("# frag_%s: size-class runs %lu pages on %lu frames, %lu meshed in %lu passes\n", w,
           (unsigned long)hs.run_pages, (unsigned long)hs.run_frames, (unsigned long)hs.meshes,
           (unsigned long)hs.mesh_passes);
    printf("BENCH frag_%s_vspace_per_live %llu permille\n", w,
           (unsigned long long)pi.reserved[HEAP_TAG] * 1000 / live);
    printf("BENCH frag_%s_ram_per_live %llu permille\n", w,
           (unsigned long long)ram * 1000 / live);
    printf("BENCH frag_%s_metadata %lu bytes\n", w, (unsigned long)pi.metadata_bytes);
}

/* A point of the plot: FRAG-SAMPLE frag_<w> <ops> <live> <RAM mapped>. */
void frag_sample(const char *w, unsigned long ops, size_t live)
{
    struct paging_info pi;

    paging_get_info(get_current_paging_state(), &pi);
    printf("FRAG-SAMPLE frag_%s %lu %lu %lu\n", w, ops, (unsigned long)live,
           (unsigned long)(pi.lazy_frames - base_frames) * 4096ul);
}

int main(int argc, char **argv)
{
    struct paging_info pi;

    paging_get_info(get_current_paging_state(), &pi);
    printf("# fragbench at start: HEAP reserved %lu, %lu pages mapped lazily, metadata %lu\n",
           (unsigned long)pi.reserved[HEAP_TAG], (unsigned long)pi.lazy_pages,
           (unsigned long)pi.metadata_bytes);
    base_frames = pi.lazy_frames;
    return frag_main(argc, argv) == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
