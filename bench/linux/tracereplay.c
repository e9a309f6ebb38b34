/* Linux reference for trace replay: the same replay core as Autarky's
 * tr_<NAME> domains (bench/trace/trace_replay.c, compiled in here) over
 * glibc's malloc. /init (bench.c) runs it once per trace module in
 * /traces, each a fresh process, so glibc's heap starts empty, as a new
 * domain's does.
 *
 *   tracereplay MODULE CLOCK      CLOCK: cntvct (the virtual counter, as
 *                                 bench.c found it readable) or monotonic
 *
 * Output (parsed by site_scons/linux_bench.py):
 *   LINUX-VALUE trace_<NAME>_peak <permille>   heap RAM / live at the peak
 *   LINUX-VALUE trace_<NAME>_end <permille>    the same after the last record
 *   LINUX-VALUE trace_<NAME>_ops <instructions per record>
 *   LINUX-SAMPLE <NAME> <records done> <live bytes> <heap RAM bytes>
 *   LINUX error trace <what>                   the replay failed
 *
 * Heap RAM is heap_ram_bytes() (heap_ram.h) minus its value when the
 * replay starts. The module and the replayer's tables are mmapped, not on
 * the heap.
 *
 * Build: arm-linux-gnueabihf-gcc -static -O2 -o tracereplay tracereplay.c
 *        heap_ram.c ../trace/trace_replay.c ../trace/trace_lz.c ../trace/trace_read.c
 */
#define _GNU_SOURCE
#include "../trace/trace_replay.h"
#include "heap_ram.h"
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static int use_cntvct;
static struct trace_result result;

void *trace_platform_buffer(size_t bytes)
{
    uint8_t *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

    if (p == MAP_FAILED) {
        return NULL;
    }
    for (size_t off = 0; off < bytes; off += 4096) {
        p[off] = 0;                     /* resident now, before the baseline */
    }
    return p;
}

void trace_platform_unbuffer(void *buffer, size_t bytes)
{
    munmap(buffer, bytes);
}

uint64_t trace_platform_ram(void)
{
    return heap_ram_bytes();
}

uint64_t trace_platform_ticks(void)
{
    if (use_cntvct) {
        uint32_t lo, hi;
        __asm__ volatile("isb\n\tmrrc p15, 1, %0, %1, c14" : "=r"(lo), "=r"(hi) : : "memory");
        return ((uint64_t)hi << 32) | lo;
    }
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ((uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec) / 16;  /* ns -> ticks */
}

/* The module file, mapped read-only. */
static const void *load(const char *path, size_t *bytes)
{
    struct stat st;
    int fd = open(path, O_RDONLY);
    void *p;

    if (fd < 0 || fstat(fd, &st) != 0 || st.st_size == 0) {
        return NULL;
    }
    p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
    close(fd);
    *bytes = (size_t)st.st_size;
    return p == MAP_FAILED ? NULL : p;
}

int main(int argc, char **argv)
{
    const struct trace_result *r = &result;
    const void *module;
    size_t bytes;

    heap_ram_init();
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc != 3) {
        printf("LINUX error trace usage: tracereplay MODULE cntvct|monotonic\n");
        return 1;
    }
    use_cntvct = strcmp(argv[2], "cntvct") == 0;
    module = load(argv[1], &bytes);
    if (module == NULL) {
        printf("LINUX error trace cannot read %s\n", argv[1]);
        return 1;
    }
    if (trace_replay(module, bytes, false, &result) != 0) {
        printf("LINUX error trace %s: line %lu: %s\n", r->name, (unsigned long)r->fail_line,
               r->why);
        return 1;
    }
    printf("LINUX-INFO trace_%s records=%lu peak_live=%llu peak_ram=%llu end_live=%llu "
           "end_ram=%llu ticks=%llu\n", r->name, (unsigned long)r->ops,
           (unsigned long long)r->peak_live, (unsigned long long)r->peak_ram,
           (unsigned long long)r->end_live, (unsigned long long)r->end_ram,
           (unsigned long long)r->ticks);
    printf("LINUX-VALUE trace_%s_peak %llu\n", r->name,
           (unsigned long long)trace_permille(r->peak_ram, r->peak_live));
    printf("LINUX-VALUE trace_%s_end %llu\n", r->name,
           (unsigned long long)trace_permille(r->end_ram, r->end_live));
    printf("LINUX-VALUE trace_%s_ops %llu\n", r->name,
           (unsigned long long)((r->ticks * 16 + r->ops / 2) / r->ops));
    for (uint32_t i = 0; i < r->nsamples; i++) {
        printf("LINUX-SAMPLE %s %lu %llu %llu\n", r->name, (unsigned long)r->samples[i].op,
               (unsigned long long)r->samples[i].live, (unsigned long long)r->samples[i].ram);
    }
    return 0;
}
