/*
 * Autarky's trace replayer: a domain per trace, `tr_<NAME>`, whose image
 * carries the trace module (trace_format.h) in .rodata (the build links
 * this file, the replay core and a generated trace_data.S; SConstruct's
 * trace_module). It replays the trace against the domain's malloc
 * (morecore/) and prints
 *
 *   BENCH trace_<NAME>_peak <permille> permille   heap RAM / live at the peak
 *   BENCH trace_<NAME>_end  <permille> permille   the same after the last record
 *   BENCH trace_<NAME>_ops  <instructions> instr/op
 *   TRACE-SAMPLE <NAME> <records done> <live bytes> <heap RAM bytes>  (~200)
 *   # lines: the details
 *
 * Heap RAM is what the page-fault handler mapped since the replay started:
 * the frames behind the heap's pages (paging_get_info: lazy frames, a frame
 * counted once however many pages share it), in bytes. Not counted: the
 * replayer's own tables (mapped before the start), page tables, the paging
 * layer's metadata, frames the pool holds for later faults.
 *
 *   tr_NAME          replay and print the figures
 *   tr_NAME verify   also check every object's bytes at its free and at
 *                    the end (tests; slower)
 *
 * A record that cannot be done (malloc returns NULL, or a page of the heap
 * cannot be had: the fault handler fails) ends the domain with status 1
 * and a line naming the trace's line.
 */
#include "trace_replay.h"
#include <aos/paging.h>
#include <aos/syscalls.h>
#include <aos/threads.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern const uint8_t trace_module[], trace_module_end[];   /* trace_data.S */

static struct trace_result result;

void *trace_platform_buffer(size_t bytes)
{
    void *buf;

    if (err_is_fail(paging_alloc(get_current_paging_state(), &buf, bytes, BASE_PAGE_SIZE))) {
        return NULL;
    }
    for (size_t off = 0; off < bytes; off += BASE_PAGE_SIZE) {
        ((volatile uint8_t *)buf)[off] = 0;     /* backed now, before the baseline */
    }
    return buf;
}

void trace_platform_unbuffer(void *buffer, size_t bytes)
{
    (void)bytes;
    paging_free(get_current_paging_state(), buffer);
}

uint64_t trace_platform_ram(void)
{
    struct paging_info pi;

    paging_get_info(get_current_paging_state(), &pi);
    return (uint64_t)pi.lazy_frames * BASE_PAGE_SIZE;
}

uint64_t trace_platform_ticks(void)
{
    return counter_read();
}

/* The page-fault handler, and if it cannot resolve a fault during a
 * replay, which line of the trace wanted the page. */
static bool replay_fault(enum fault_type type, lvaddr_t addr, uint32_t access,
                         struct arch_registers *regs)
{
    uint32_t line, size;
    uint64_t live;
    char msg[200];
    int n;

    if (paging_fault_handler(type, addr, access, regs)) {
        return true;
    }
    trace_replay_where(&line, &size, &live);
    if (line != 0) {                    /* no stdio here: malloc's lock may be held */
        n = snprintf(msg, sizeof(msg), "trace %s: line %lu: no page for the heap at 0x%08lx "
                     "(object of %lu bytes, %llu bytes live): out of memory\n",
                     ((const struct trace_header *)trace_module)->name, (unsigned long)line,
                     (unsigned long)addr, (unsigned long)size, (unsigned long long)live);
        sys_print(msg, n > 0 && n < (int)sizeof(msg) ? (size_t)n : 0);
    }
    return false;
}

static void print_result(const struct trace_result *r)
{
    const char *name = r->name;

    printf("# trace %s: %lu records; peak %llu bytes live after record %lu, heap RAM %llu; "
           "at the end %llu live, heap RAM %llu\n", name, (unsigned long)r->ops,
           (unsigned long long)r->peak_live, (unsigned long)r->peak_op,
           (unsigned long long)r->peak_ram, (unsigned long long)r->end_live,
           (unsigned long long)r->end_ram);
    printf("BENCH trace_%s_peak %llu permille\n", name,
           (unsigned long long)trace_permille(r->peak_ram, r->peak_live));
    printf("BENCH trace_%s_end %llu permille\n", name,
           (unsigned long long)trace_permille(r->end_ram, r->end_live));
    printf("BENCH trace_%s_ops %llu instr/op\n", name,
           (unsigned long long)((r->ticks * 16 + r->ops / 2) / r->ops));
    for (uint32_t i = 0; i < r->nsamples; i++) {
        printf("TRACE-SAMPLE %s %lu %llu %llu\n", name, (unsigned long)r->samples[i].op,
               (unsigned long long)r->samples[i].live, (unsigned long long)r->samples[i].ram);
    }
}

int main(int argc, char **argv)
{
    bool verify = argc > 1 && strcmp(argv[1], "verify") == 0;
    size_t bytes = (size_t)(trace_module_end - trace_module);

    if (argc > 2 || (argc == 2 && !verify)) {
        printf("usage: %s [verify]\n", argv[0]);
        return EXIT_FAILURE;
    }
    thread_set_exception_handler(replay_fault, NULL, NULL, NULL, NULL, NULL);
    if (trace_replay(trace_module, bytes, verify, &result) != 0) {
        if (result.fail_line != 0) {
            printf("trace %s: line %lu: %s\n", result.name, (unsigned long)result.fail_line,
                   result.why);
        } else {
            printf("trace %s: %s\n", result.name[0] ? result.name : argv[0], result.why);
        }
        return EXIT_FAILURE;
    }
    print_result(&result);
    if (verify) {
        printf("trace %s: every object kept its bytes\n", result.name);
    }
    return EXIT_SUCCESS;
}
