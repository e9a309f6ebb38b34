/*
 * User-level threads multiplexed on the domain's dispatcher (lib/threads.c,
 * lib/thread_sync.c; design in docs/threads.md).
 *
 * Preemption: the kernel upcalls the dispatcher, whose run upcall saves
 * the preempted thread and schedules the next one (round robin). Every
 * thread has its own stack, exception stack and TLS block (errno).
 * The main thread is thread 0. In init it runs main() on the domain's first
 * stack; in every other domain the runtime runs main() on a thread of its
 * own (a lazily backed stack with a guard) and thread 0 waits for it.
 *
 * Atomicity: all scheduler state (run queue, wait queues, the primitives
 * below) is changed only with the dispatcher disabled (single core: a
 * disabled domain is resumed, never upcalled). Nothing here busy-waits.
 */
#ifndef AOS_THREADS_H
#define AOS_THREADS_H

#include <stddef.h>
#include <autarky/types.h>
#include <autarky/errors.h>
#include <autarky/dispatcher.h>
#include <arch/registers.h>
#include <autarky/layout.h>

struct thread;
typedef int (*thread_func_t)(void *arg);

/* Default sizes of the malloc'ed stacks (temporary heap arena, see
 * docs/threads.md). */
#define THREAD_STACK_SIZE      (16u * 1024)
#define THREAD_EXC_STACK_SIZE  (8u * 1024)
#define THREAD_STACK_MIN       1024u
/* disp->current_thread while no thread runs (the idle context). */
#define THREAD_ID_IDLE         0xffffffffu

/* A new runnable thread running fn(arg); NULL on failure (see thread_spawn). */
struct thread *thread_create(thread_func_t fn, void *arg);
/* The same with an explicit stack size and a distinct error per failure. */
errval_t thread_spawn(thread_func_t fn, void *arg, size_t stack_size,
                      struct thread **ret);
/* Wait for `t` to end, store its exit value and free it (TCB, stacks, TLS). */
errval_t thread_join(struct thread *t, int *retval);
/* End the calling thread (returning from its function does the same). The
 * domain ends when its last thread ends. */
void thread_exit(int retval) __attribute__((noreturn));
/* Let the next runnable thread run (no-op when none is runnable). */
void thread_yield(void);
struct thread *thread_self(void);
uint32_t thread_id(const struct thread *t);
/* Number of threads created and not yet joined (incl. the main thread). */
uint32_t thread_count(void);
/* Whether another thread is ready to run (for wait loops). */
bool thread_others_runnable(void);

/*
 * Exception handler of the calling thread.
 * It runs *enabled* (preemptible) on the thread's own exception stack with
 * the faulting context stopped, and gets the exception type, fault address,
 * access type and the saved registers, which it may change. Returning true
 * resumes the thread with `regs`; false, or a second fault while the
 * handler runs, ends the domain with a one-line report (domain, thread,
 * what, pc, addr).
 *
 * new_stack_base/new_stack_top: a new exception stack [base, top), or both
 * NULL to keep the current one (every created thread gets one of
 * THREAD_EXC_STACK_SIZE bytes; the main thread's is allocated on first
 * use). The old handler and stack are returned through the old_* pointers
 * (each may be NULL). A stack passed in stays the caller's to free.
 * new_handler NULL removes the handler (faults then go to the domain-wide
 * handler of <aos/dispatch.h>, if any, or end the domain).
 */
typedef bool (*thread_exception_handler_fn)(enum fault_type type, lvaddr_t addr,
                                     uint32_t access, struct arch_registers *regs);
errval_t thread_set_exception_handler(thread_exception_handler_fn new_handler,
                                      thread_exception_handler_fn *old_handler,
                                      void *new_stack_base, void *new_stack_top,
                                      void **old_stack_base, void **old_stack_top);

/*
 * Blocking primitives. A thread that cannot proceed is put on the
 * primitive's wait queue (FIFO) and another thread runs; no busy waiting.
 * Mutexes hand ownership directly to the first waiter on unlock.
 * None of these may be called from an upcall (disabled) context.
 */
/* A handler that returns false may first say why (e.g. "NULL
 * dereference"); the one-line report of the domain's end carries it. A
 * note set while the handler runs also names a second fault inside it
 * (a handler that probes a page says so first). */
void thread_exception_note(const char *why);
/* Inside an exception handler: the whole fault it handles (with the raw
 * fault status, <aos/dispatch.h> fault_cause decodes it); NULL outside. */
const struct fault_info *thread_exception_fault(void);
/* The handler every thread created from now on starts with (the runtime
 * installs the page-fault handler, vspace/fault.c). */
void threads_set_default_exception_handler(thread_exception_handler_fn handler);
/* Where stacks come from: exception_stack says which kind; exception
 * stacks must never fault. Default: malloc. */
struct thread_stack_ops {
    void *(*alloc)(size_t bytes, bool exception_stack);
    void (*free)(void *base, bool exception_stack);
};
void threads_set_stack_ops(const struct thread_stack_ops *ops);
/* The thread the runtime runs main() on (spawned domains): like thread 0,
 * no other thread may join it. */
void threads_set_program_main(struct thread *t);

struct thread_mutex { volatile uint32_t locked; struct thread *holder; void *waiters; };
struct thread_cond  { void *waiters; };
struct thread_sem   { volatile int32_t value; void *waiters; };

#define THREAD_MUTEX_INITIALIZER { 0, NULL, NULL }
#define THREAD_COND_INITIALIZER  { NULL }

void thread_mutex_init(struct thread_mutex *m);
void thread_mutex_lock(struct thread_mutex *m);
bool thread_mutex_trylock(struct thread_mutex *m);
void thread_mutex_unlock(struct thread_mutex *m);
void thread_cond_init(struct thread_cond *c);
void thread_cond_wait(struct thread_cond *c, struct thread_mutex *m);
void thread_cond_signal(struct thread_cond *c);
void thread_cond_broadcast(struct thread_cond *c);
void thread_sem_init(struct thread_sem *s, int32_t value);
void thread_sem_wait(struct thread_sem *s);
void thread_sem_post(struct thread_sem *s);

/*
 * ---- runtime-internal (lib/dispatch.c, lib/threads.c, lib/thread_sync.c,
 * lib/libc_locks.c); not for domains ----
 */
struct dispatcher_shared;
/* The running thread (lib/threads.c); NULL in the idle context. */
extern struct thread *threads_current;

/* Enter disabled mode; returns whether the dispatcher was disabled already.
 * Inline: every lock operation does it (the frame is at USER_DISP_VADDR).
 * The compiler barrier keeps queue updates inside the disabled section. */
static inline bool threads_disable(void)
{
    volatile uint32_t *disabled =
        &((struct dispatcher_shared *)USER_DISP_VADDR)->disabled;
    bool was = *disabled != 0;

    *disabled = 1;
    __asm__ volatile("" ::: "memory");
    return was;
}

/* Leave disabled mode unless `was_disabled` (the value threads_disable
 * gave). A preemption that arrived while disabled was simply delayed. */
static inline void threads_restore(bool was_disabled)
{
    __asm__ volatile("" ::: "memory");
    if (!was_disabled) {
        ((struct dispatcher_shared *)USER_DISP_VADDR)->disabled = 0;
    }
}
/* Disabled: put the caller on wait queue `*queue` (NULL: on none) and run
 * another thread. Returns enabled, after thread_wakeup() and a dispatch. */
void threads_block(void **queue);
/* Disabled: make the first thread of `*queue` runnable; NULL if empty. */
struct thread *threads_wakeup(void **queue);
/* Called from dispatch.c: thread 0 at first run; the run upcall; the fault
 * upcall (returns only when the faulting thread has no handler of its own
 * and is not in its handler). */
void threads_init(struct dispatcher_shared *disp);
void threads_run_upcall(struct dispatcher_shared *disp) __attribute__((noreturn));
void threads_fault_upcall(struct dispatcher_shared *disp);

#endif
