/*
 * Probes: single loads and stores into a window of the fuzzer's own
 * address space that may fault, the way init's kernel tests probe
 * (domains/init/testing.c), but from a spawned domain: the calling
 * thread's exception handler skips a faulting probe and counts it, and
 * passes every other fault on to the handler it replaced (the runtime's
 * page-fault handler, vspace/fault.c), so the heap and stacks still page
 * themselves in.
 *
 * The window is a HEAP block the sequence reserved and never touches
 * otherwise, so the page-fault handler never maps anything there: what
 * translates in it is exactly what the sequence mapped itself.
 */
#include "fuzz.h"
#include <aos/threads.h>
#include <stddef.h>

uint32_t probe_count, probe_faults;

static lvaddr_t window_base;
static size_t window_bytes;
static volatile bool probing;           /* a probe's one access is under way */
static volatile bool probe_faulted;
static thread_exception_handler_fn previous;

/*
 * Runs enabled on the thread's exception stack. A data abort of a probe
 * inside the window: skip the access (ARM state, 4 bytes) and note it.
 * Anything else belongs to the handler we replaced.
 */
static bool probe_handler(enum fault_type type, lvaddr_t addr, uint32_t access,
                          struct arch_registers *regs)
{
    if (probing && type == FAULT_DATA_ABORT && addr - window_base < window_bytes) {
        probe_faulted = true;
        regs->pc += 4;
        return true;
    }
    return previous != NULL && previous(type, addr, access, regs);
}

/* Installs the handler on the calling thread; the window must not overlap
 * anything the domain uses. */
void probe_install(lvaddr_t base, size_t bytes)
{
    window_base = base;
    window_bytes = bytes;
    probe_count = probe_faults = 0;
    thread_set_exception_handler(probe_handler, &previous, NULL, NULL, NULL, NULL);
}

void probe_uninstall(void)
{
    thread_set_exception_handler(previous, NULL, NULL, NULL, NULL, NULL);
    window_bytes = 0;
}

/* The load is one instruction, so the handler's pc + 4 lands right after
 * it; `value` keeps what it held when the load faulted. */
bool probe_read(lvaddr_t va, uint32_t *value)
{
    uint32_t v = 0;

    probe_faulted = false;
    probing = true;
    __asm__ volatile("ldr %0, [%1]" : "+r"(v) : "r"(va) : "memory");
    probing = false;
    probe_count++;
    probe_faults += probe_faulted;
    *value = v;
    return !probe_faulted;
}

bool probe_write(lvaddr_t va, uint32_t value)
{
    probe_faulted = false;
    probing = true;
    __asm__ volatile("str %0, [%1]" : : "r"(value), "r"(va) : "memory");
    probing = false;
    probe_count++;
    probe_faults += probe_faulted;
    return !probe_faulted;
}
