/*
 * User-level threads on the domain's one dispatcher (Barrelfish model).
 * See include/aos/threads.h and docs/threads.md.
 *
 * Every thread is in exactly one of these places:
 *   - running:  `threads_current` (state THREAD_RUNNING); NULL while the idle
 *               context runs;
 *   - runnable: on `run_queue` (THREAD_RUNNABLE), FIFO = round robin;
 *   - blocked:  on one wait queue of a mutex/cond/sem, or on none while
 *               joining (THREAD_BLOCKED);
 *   - exited:   THREAD_EXITED, waiting for thread_join to free it.
 * Every thread not yet joined is also on `all_threads`.
 *
 * Lock order / atomicity: there are no locks in here. Every change to the
 * state above happens with the dispatcher disabled (disp->disabled = 1):
 * on this single core the kernel then resumes the domain exactly where it
 * was instead of upcalling it, so the user-level scheduler cannot be
 * re-entered. Disabled sections are short and never wait: a thread that
 * must wait puts itself on a queue and switches away; when nothing is
 * runnable the idle context runs *enabled* and yields the CPU to the
 * kernel (never spinning while disabled).
 *
 * A thread's context lives in its TCB (`regs`) whenever it is not running:
 * saved by the kernel (enabled_area, copied by the run upcall) after a
 * preemption, or by thread_save_context() when it yields or blocks.
 * Resuming always goes through dispatch_resume_context(), which leaves
 * disabled mode atomically with the register load.
 */
#include <aos/threads.h>
#include <aos/lmp.h>
#include <aos/dispatch.h>
#include <aos/syscalls.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum thread_state {
    THREAD_RUNNING,
    THREAD_RUNNABLE,
    THREAD_BLOCKED,
    THREAD_EXITED,
};

struct thread {
    uint32_t id;
    enum thread_state state;
    struct arch_registers regs;     /* saved context while not running */
    struct thread *next;            /* run queue or one wait queue */
    struct thread *all_next;        /* all_threads */
    thread_func_t fn;
    void *arg;
    int retval;                     /* valid once THREAD_EXITED */
    struct thread *joiner;          /* thread blocked in thread_join on us */

    void *stack;                    /* malloc'ed; NULL for thread 0 */
    void *exc_alloc;                /* exception stack we malloc'ed, or NULL */
    void *exc_base, *exc_top;       /* the exception stack in use, or NULL */
    thread_exception_handler_fn handler;
    bool in_handler;                /* running its handler on exc stack */
    struct fault_info fault;        /* the fault being handled */
    struct arch_registers fault_regs; /* the faulting context, to resume */

    const char *fail_note;          /* why its handler gave up (report) */
    void *tls_alloc;                /* malloc'ed TLS memory; NULL for thread 0 */
    void *tls_block;                /* aligned TLS block (_set_tls argument) */
};

#define IDLE_STACK_SIZE 1024

/* Defined in lib/arch/armv7/thread_switch.S and tls.S, and by domain.ld. */
int thread_save_context(struct arch_registers *regs) __attribute__((returns_twice));
void _set_tls(void *tls);
extern char __tls_base[], __tdata_source[], __tdata_size[], __tbss_offset[],
            __tbss_size[], __tls_align[];

static void thread_wait_for_message(void);
static struct thread *program_main;          /* the thread running main() */

void threads_set_program_main(struct thread *t)
{
    program_main = t;
}

static struct thread main_thread;           /* thread 0 */
struct thread *threads_current;             /* NULL: the idle context */
static void *run_queue;                     /* tail of a circular list */
static struct thread *all_threads;
static uint32_t next_id = 1;
static uint32_t live_threads;               /* not yet THREAD_EXITED */
static uint32_t total_threads;              /* not yet joined */
static char idle_stack[IDLE_STACK_SIZE] __attribute__((aligned(8)));

/* ---- queues: circular singly-linked lists, *tail points at the last ---- */

/* Append `t` (disabled). */
static void queue_push(void **tail, struct thread *t)
{
    struct thread *last = *tail;

    if (last == NULL) {
        t->next = t;
    } else {
        t->next = last->next;
        last->next = t;
    }
    *tail = t;
}

/* Remove and return the first thread, or NULL (disabled). */
static struct thread *queue_pop(void **tail)
{
    struct thread *last = *tail, *first;

    if (last == NULL) {
        return NULL;
    }
    first = last->next;
    if (first == last) {
        *tail = NULL;
    } else {
        last->next = first->next;
    }
    first->next = NULL;
    return first;
}

/* ---- switching ---- */

/* Make `t` runnable at the end of the run queue (disabled). */
static void make_runnable(struct thread *t)
{
    t->state = THREAD_RUNNABLE;
    queue_push(&run_queue, t);
}

/* Resume `t` (disabled; `t` is off every queue). Never returns. */
static void __attribute__((noreturn)) run_thread(struct thread *t)
{
    struct dispatcher_shared *disp = get_dispatcher();

    threads_current = t;
    t->state = THREAD_RUNNING;
    disp->current_thread = t->id;
    _set_tls(t->tls_block);
    dispatch_resume_context(&t->regs);
}

/* The idle context: runs enabled, gives the CPU back to the kernel. Each
 * preemption or yield upcalls the scheduler, which runs a thread as soon
 * as one is runnable (only another domain or, later, a message can make
 * one runnable while every thread is blocked). */
static void __attribute__((noreturn)) idle_loop(void)
{
    for (;;) {
        sys_yield();
    }
}

/* Run the first runnable thread, or start the idle context afresh
 * (disabled; the caller's context is saved or abandoned). */
static void __attribute__((noreturn)) run_next(void)
{
    struct thread *t = queue_pop(&run_queue);
    struct arch_registers idle;

    if (t != NULL) {
        run_thread(t);
    }
    threads_current = NULL;
    get_dispatcher()->current_thread = THREAD_ID_IDLE;
    memset(&idle, 0, sizeof(idle));
    idle.sp = (uint32_t)(idle_stack + IDLE_STACK_SIZE);
    idle.pc = (uint32_t)idle_loop;
    idle.cpsr = ARM_MODE_USR;
    dispatch_resume_context(&idle);
}

/*
 * Disabled: block the caller (on `*queue`, or on nothing if queue is NULL)
 * and run another thread. Returns enabled once someone made the caller
 * runnable again (threads_wakeup / make_runnable) and it was dispatched.
 */
void threads_block(void **queue)
{
    struct thread *me = threads_current;

    me->state = THREAD_BLOCKED;
    if (queue != NULL) {
        queue_push(queue, me);
    }
    if (thread_save_context(&me->regs) == 0) {
        run_next();
    }
}

/* Disabled: make the first waiter of `*queue` runnable; NULL if none. */
struct thread *threads_wakeup(void **queue)
{
    struct thread *t = queue_pop(queue);

    if (t != NULL) {
        make_runnable(t);
    }
    return t;
}

/*
 * Run upcall (disabled, upcall stack): the kernel preempted the enabled
 * domain, or it yielded, and saved the registers in enabled_area. They
 * belong to `threads_current` (the idle context is simply restarted). Round robin:
 * the preempted thread goes to the end of the run queue.
 */
void threads_run_upcall(struct dispatcher_shared *disp)
{
    struct thread *me = threads_current;

    if (me != NULL) {
        arch_regs_copy(&me->regs, &disp->enabled_area);
        make_runnable(me);
    }
    run_next();
}

/* ---- thread 0 and TLS ---- */

/* First run (disabled): the running context becomes thread 0, with the
 * image's own .tdata/.tbss as its TLS block. */
void threads_init(struct dispatcher_shared *disp)
{
    main_thread.id = 0;
    main_thread.state = THREAD_RUNNING;
    main_thread.tls_block = __tls_base;
    lmp_wait_fn = thread_wait_for_message;
    main_thread.all_next = NULL;
    all_threads = &main_thread;
    live_threads = 1;
    total_threads = 1;
    threads_current = &main_thread;
    disp->current_thread = 0;
    _set_tls(__tls_base);
}

/* A fresh TLS block for `t`: the .tdata image, then zeroed .tbss, aligned
 * as the TLS segment wants (picolibc's thread pointer is block - tcb
 * offset, see tls.S). Enabled (uses malloc). */
static errval_t tls_alloc(struct thread *t)
{
    size_t align = (size_t)__tls_align < 8 ? 8 : (size_t)__tls_align;
    size_t size = (size_t)__tbss_offset + (size_t)__tbss_size;
    uintptr_t block;

    if (size < (size_t)__tdata_size) {
        size = (size_t)__tdata_size;
    }
    t->tls_alloc = malloc(size + align);
    if (t->tls_alloc == NULL) {
        return LIB_ERR_THREAD_ALLOC_TLS;
    }
    block = ((uintptr_t)t->tls_alloc + align - 1) & ~(uintptr_t)(align - 1);
    memset((void *)block, 0, size);
    memcpy((void *)block, __tdata_source, (size_t)__tdata_size);
    t->tls_block = (void *)block;
    return SYS_ERR_OK;
}

/* ---- the API ---- */

/* First code every created thread runs (enabled, on its own stack). */
static void __attribute__((noreturn)) thread_entry(struct thread *t)
{
    thread_exit(t->fn(t->arg));
}

/* ---- where stacks come from (threads_set_stack_ops) ---- */

static void *malloc_stack(size_t bytes, bool exception_stack)
{
    (void)exception_stack;
    return malloc(bytes);
}

static void free_stack(void *base, bool exception_stack)
{
    (void)exception_stack;
    free(base);
}

static struct thread_stack_ops stack_ops = { malloc_stack, free_stack };
static thread_exception_handler_fn default_handler;

void threads_set_stack_ops(const struct thread_stack_ops *ops)
{
    stack_ops = *ops;
}

void threads_set_default_exception_handler(thread_exception_handler_fn handler)
{
    default_handler = handler;
}

/* Free everything `t` owns (enabled; `t` is off every list). */
static void thread_free(struct thread *t)
{
    if (t->stack != NULL) {
        stack_ops.free(t->stack, false);
    }
    if (t->exc_alloc != NULL) {
        stack_ops.free(t->exc_alloc, true);
    }
    free(t->tls_alloc);
    free(t);
}

/*
 * Create a runnable thread: TCB, stack, exception stack and TLS block from
 * malloc. Enabled. Each failure has its own code and frees what was taken.
 */
errval_t thread_spawn(thread_func_t fn, void *arg, size_t stack_size,
                      struct thread **ret)
{
    struct thread *t;
    errval_t err;
    bool was;

    if (fn == NULL || ret == NULL || stack_size < THREAD_STACK_MIN) {
        return LIB_ERR_THREAD_CREATE_ARGS;
    }
    stack_size &= ~(size_t)7;
    t = calloc(1, sizeof(*t));
    if (t == NULL) {
        return LIB_ERR_THREAD_ALLOC_TCB;
    }
    t->stack = stack_ops.alloc(stack_size, false);
    if (t->stack == NULL) {
        thread_free(t);
        return LIB_ERR_THREAD_ALLOC_STACK;
    }
    t->exc_alloc = stack_ops.alloc(THREAD_EXC_STACK_SIZE, true);
    if (t->exc_alloc == NULL) {
        thread_free(t);
        return LIB_ERR_THREAD_ALLOC_EXC_STACK;
    }
    t->exc_base = t->exc_alloc;
    t->exc_top = (char *)t->exc_alloc + THREAD_EXC_STACK_SIZE;
    err = tls_alloc(t);
    if (err_is_fail(err)) {
        thread_free(t);
        return err;
    }
    t->fn = fn;
    t->arg = arg;
    t->handler = default_handler;
    t->regs.r[0] = (uint32_t)t;
    t->regs.sp = ((uint32_t)t->stack + stack_size) & ~7u;
    t->regs.pc = (uint32_t)thread_entry;
    t->regs.cpsr = ARM_MODE_USR;

    was = threads_disable();
    t->id = next_id++;
    t->all_next = all_threads;
    all_threads = t;
    live_threads++;
    total_threads++;
    make_runnable(t);
    threads_restore(was);
    *ret = t;
    return SYS_ERR_OK;
}

/* thread_spawn with the default stack size; NULL on failure. */
struct thread *thread_create(thread_func_t fn, void *arg)
{
    struct thread *t = NULL;

    if (err_is_fail(thread_spawn(fn, arg, THREAD_STACK_SIZE, &t))) {
        return NULL;
    }
    return t;
}

/* Is `t` a thread on all_threads (disabled)? */
static bool is_thread(const struct thread *t)
{
    for (struct thread *p = all_threads; p != NULL; p = p->all_next) {
        if (p == t) {
            return true;
        }
    }
    return false;
}

/* Take `t` off all_threads (disabled; `t` is on it). */
static void unlink_thread(struct thread *t)
{
    struct thread **pp = &all_threads;

    while (*pp != t) {
        pp = &(*pp)->all_next;
    }
    *pp = t->all_next;
    total_threads--;
}

/*
 * Wait for `t` to exit, give its exit value and free it. Enabled. One
 * joiner per thread; thread 0 (static, on the domain's first stack) and
 * the caller itself cannot be joined.
 */
errval_t thread_join(struct thread *t, int *retval)
{
    bool was = threads_disable();

    if (t == NULL || !is_thread(t)) {
        threads_restore(was);
        return LIB_ERR_THREAD_INVALID;
    }
    if (t == threads_current) {
        threads_restore(was);
        return LIB_ERR_THREAD_JOIN_SELF;
    }
    if (t == &main_thread || (t == program_main && threads_current != &main_thread)) {
        threads_restore(was);
        return LIB_ERR_THREAD_JOIN_MAIN;      /* only the runtime waits for main */
    }
    if (t->joiner != NULL) {
        threads_restore(was);
        return LIB_ERR_THREAD_JOIN_BUSY;
    }
    if (t->state != THREAD_EXITED) {
        t->joiner = threads_current;
        threads_block(NULL);          /* thread_exit wakes us; returns enabled */
        threads_disable();
    }
    unlink_thread(t);
    threads_restore(was);
    if (retval != NULL) {
        *retval = t->retval;
    }
    thread_free(t);
    return SYS_ERR_OK;
}

/*
 * End the calling thread: record the value, wake the joiner, run the next
 * thread. Its memory stays until thread_join (we are still on its stack).
 * The last thread to end ends the domain with its value.
 */
void thread_exit(int retval)
{
    struct thread *me;

    threads_disable();
    me = threads_current;
    me->retval = retval;
    me->state = THREAD_EXITED;
    live_threads--;
    if (me->joiner != NULL) {
        make_runnable(me->joiner);
    }
    if (live_threads == 0) {
        threads_restore(false);
        domain_exit(retval);
    }
    run_next();
}

/* Round robin at user level: the caller goes to the end of the run queue.
 * Enabled; a no-op when nothing else is runnable. */
void thread_yield(void)
{
    bool was = threads_disable();
    struct thread *me = threads_current;

    if (was || me == NULL || run_queue == NULL) {
        threads_restore(was);
        return;
    }
    make_runnable(me);
    if (thread_save_context(&me->regs) == 0) {
        run_next();
    }
}

/* The running thread; NULL in the idle context. Lock-free: only the
 * scheduler changes `threads_current`, and a thread always sees itself. */
struct thread *thread_self(void)
{
    return threads_current;
}

/* A thread's id (0 = main, created ones from 1 up, never reused);
 * THREAD_ID_IDLE for NULL. The TCB must not have been joined. */
uint32_t thread_id(const struct thread *t)
{
    return t != NULL ? t->id : THREAD_ID_IDLE;
}

/* Threads created and not yet joined, thread 0 included (a snapshot). */
uint32_t thread_count(void)
{
    return total_threads;
}

/* Whether a thread other than the caller is ready to run. Lock-free: a
 * stale answer only costs one extra yield or wait. */
bool thread_others_runnable(void)
{
    return run_queue != NULL;
}

/*
 * How a thread waits for a message (lmp_wait_fn): let other threads run
 * while there are any; block the dispatcher in SYS_WAIT only when nothing
 * else could make progress anyway.
 */
static void thread_wait_for_message(void)
{
    if (thread_others_runnable()) {
        thread_yield();
    } else {
        sys_wait();
    }
}

/* ---- exception handling ---- */

/*
 * Install the caller's handler and/or exception stack (see threads.h).
 * Enabled. Checks everything before changing anything.
 */
errval_t thread_set_exception_handler(thread_exception_handler_fn new_handler,
                                      thread_exception_handler_fn *old_handler,
                                      void *new_stack_base, void *new_stack_top,
                                      void **old_stack_base, void **old_stack_top)
{
    struct thread *me = threads_current;

    if ((new_stack_base == NULL) != (new_stack_top == NULL)
        || (new_stack_base != NULL && (uintptr_t)new_stack_base >= (uintptr_t)new_stack_top)) {
        return LIB_ERR_THREAD_EXC_STACK_ARGS;
    }
    if (me == NULL) {
        return LIB_ERR_THREAD_INVALID;
    }
    if (me->in_handler && new_stack_base != NULL) {
        return LIB_ERR_THREAD_IN_HANDLER;
    }
    if (new_stack_base == NULL && new_handler != NULL && me->exc_base == NULL) {
        me->exc_alloc = stack_ops.alloc(THREAD_EXC_STACK_SIZE, true);   /* thread 0 */
        if (me->exc_alloc == NULL) {
            return LIB_ERR_THREAD_ALLOC_EXC_STACK;
        }
        me->exc_base = me->exc_alloc;
        me->exc_top = (char *)me->exc_alloc + THREAD_EXC_STACK_SIZE;
    }
    if (old_handler != NULL) {
        *old_handler = me->handler;
    }
    if (old_stack_base != NULL) {
        *old_stack_base = me->exc_base;
    }
    if (old_stack_top != NULL) {
        *old_stack_top = me->exc_top;
    }
    if (new_stack_base != NULL) {
        me->exc_base = new_stack_base;
        me->exc_top = new_stack_top;
    }
    me->handler = new_handler;
    return SYS_ERR_OK;
}

void thread_exception_note(const char *why)
{
    if (threads_current != NULL) {
        threads_current->fail_note = why;
    }
}

const struct fault_info *thread_exception_fault(void)
{
    struct thread *me = threads_current;

    return me != NULL && me->in_handler ? &me->fault : NULL;
}

/*
 * The faulting thread continues here, enabled, on its exception stack:
 * call its handler; resume the (maybe changed) faulting context if it
 * returns true, otherwise end the domain with the report.
 */
static void __attribute__((noreturn)) exception_trampoline(struct thread *me)
{
    thread_exception_handler_fn handler = me->handler;

    me->fail_note = NULL;
    if (handler == NULL
        || !handler((enum fault_type)me->fault.type, me->fault.addr,
                    me->fault.access, &me->fault_regs)) {
        dispatch_fatal_fault(&me->fault, me->fail_note != NULL ? me->fail_note
                                         : "its exception handler gave up");
    }
    threads_disable();
    me->in_handler = false;
    dispatch_resume_context(&me->fault_regs);
}

/*
 * Fault upcall (disabled, upcall stack). Returns only if the faulting
 * thread has no handler (dispatch.c then tries the domain-wide one). A
 * fault inside the handler ends the domain. Otherwise the same thread is
 * redirected to exception_trampoline on its exception stack, enabled.
 */
void threads_fault_upcall(struct dispatcher_shared *disp)
{
    struct thread *me = threads_current;
    struct arch_registers regs;

    if (me == NULL) {
        return;
    }
    if (me->in_handler) {               /* the handler's note says what it was doing */
        dispatch_fatal_fault(&disp->fault, me->fail_note != NULL ? me->fail_note
                                           : "fault in its exception handler");
    }
    if (me->handler == NULL || me->exc_top == NULL) {
        return;
    }
    me->fault = disp->fault;
    arch_regs_copy(&me->fault_regs, &disp->trap_area);
    me->in_handler = true;
    for (int i = 1; i < 13; i++) {
        regs.r[i] = 0;              /* (a loop of stores: memset costs ~90) */
    }
    regs.r[0] = (uint32_t)me;
    regs.lr = 0;
    regs.sp = (uint32_t)me->exc_top & ~7u;
    regs.pc = (uint32_t)exception_trampoline;
    regs.cpsr = ARM_MODE_USR;
    dispatch_resume_context(&regs);
}
