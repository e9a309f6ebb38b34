/*
 * threadtest: the THREAD_ cases, run in a fresh domain spawned by init
 * (`scons boot BOOT=threadtest`, suite `threads` of `scons test`). They
 * cover the user-level threads package (lib/threads.c, lib/thread_sync.c,
 * lib/libc_locks.c; docs/threads.md): create/join/exit, round-robin
 * yield, mutex under real preemption, condition variables, semaphores,
 * per-thread exception handlers on the exception stack, per-thread TLS.
 * init checks after the program exits that all its RAM came back.
 *
 * Rules for these cases: UEXPECT_* return from the case, so a case first
 * joins every thread it created and only then checks what the threads
 * recorded (a thread left behind would run into later cases, and the
 * domain only ends when its last thread ends). Threads never use
 * UEXPECT_*; they record into statics.
 */
#include <aos/utest.h>
#include <aos/caps.h>
#include <aos/dispatch.h>
#include <aos/paging.h>
#include <aos/ram_alloc.h>
#include <aos/slot_alloc.h>
#include <aos/syscalls.h>
#include <aos/threads.h>
#include <errno.h>
#include <stdio.h>
#include <malloc.h>
#include <stdlib.h>
#include <string.h>

/* Counter frequency (CNTFRQ, readable at PL0). */
static uint32_t counter_frequency(void)
{
    uint32_t f;

    __asm__ volatile("mrc p15, 0, %0, c14, c0, 0" : "=r"(f));
    return f;
}

/* Spin until the kernel preempted us at least once (timeslices changed)
 * or `ms` milliseconds of counter time passed; true if preempted. */
static bool spin_until_preempted(uint32_t ms)
{
    struct dispatcher_shared *disp = get_dispatcher();
    uint32_t before = disp->timeslices;
    uint64_t end = counter_read() + (uint64_t)counter_frequency() * ms / 1000;

    while (disp->timeslices == before && counter_read() < end) {
        __asm__ volatile("" ::: "memory");
    }
    return disp->timeslices != before;
}

/* Bytes of the malloc arena in use (picolibc nano-malloc). */
static size_t heap_in_use(void)
{
    return mallinfo().uordblks;
}

/* ---- THREAD_CREATE_JOIN_100 ---- */

#define MANY 100
static volatile uint32_t many_slots[MANY];

/* Thread body: write own id into slot `arg`, return `arg`. */
static int write_own_id(void *arg)
{
    uint32_t i = (uint32_t)arg;

    many_slots[i] = thread_id(thread_self());
    return (int)i;
}

/* 100 threads exist at once, each writes its id into its slot, every join
 * returns the thread's value, and the heap is back where it was. */
static void create_join_100(void)
{
    static struct thread *t[MANY];
    static uint32_t ids[MANY];
    size_t heap_before = heap_in_use();
    uint32_t count_before = thread_count(), alive;
    errval_t err = SYS_ERR_OK, join_err = SYS_ERR_OK;
    int n, bad_ret = -1;

    for (int i = 0; i < MANY; i++) {
        many_slots[i] = 0xffffffffu;
    }
    for (n = 0; n < MANY; n++) {
        err = thread_spawn(write_own_id, (void *)n, THREAD_STACK_SIZE, &t[n]);
        if (err_is_fail(err)) {
            break;
        }
        ids[n] = thread_id(t[n]);
    }
    alive = thread_count();
    for (int i = 0; i < n; i++) {
        int r = -1;
        errval_t e = thread_join(t[i], &r);
        if (err_is_fail(e) && err_is_ok(join_err)) {
            join_err = e;
        }
        if (err_is_ok(e) && r != i && bad_ret < 0) {
            bad_ret = i;
        }
    }
    UEXPECT_OK(err);
    UEXPECT_OK(join_err);
    UEXPECT_EQ("threads alive at once", alive, count_before + MANY);
    UEXPECT(bad_ret < 0, "thread %d returned the wrong value", bad_ret);
    for (int i = 0; i < MANY; i++) {
        UEXPECT(ids[i] != 0 && (i == 0 || ids[i] != ids[i - 1]),
               "thread %d has id %lu", i, (unsigned long)ids[i]);
        UEXPECT_EQ("id the thread wrote into its slot", many_slots[i], ids[i]);
    }
    UEXPECT_EQ("threads after the joins", thread_count(), count_before);
    UEXPECT_EQ("heap bytes in use after the joins", heap_in_use(), heap_before);
}

/* ---- THREAD_EXIT_VALUE ---- */

static struct thread_sem exit_gate;
static errval_t join_main_err;

/* Thread body: return 42. */
static int return_42(void *arg)
{
    (void)arg;
    return 42;
}

/* thread_exit from a nested, not inlined, call. */
static void __attribute__((noinline, noreturn)) exit_from_deep_inside(int v)
{
    thread_exit(v);
}

/* Thread body: end with -7 through thread_exit. */
static int exit_minus_7(void *arg)
{
    (void)arg;
    exit_from_deep_inside(-7);
}

/* Joins thread 0 (not allowed), then waits at the gate. */
static int wait_at_gate(void *arg)
{
    struct thread *main_thread = arg;

    join_main_err = thread_join(main_thread, NULL);
    thread_sem_wait(&exit_gate);
    return 5;
}

/* One of two threads joining the same one: what its join answered, and
 * whether it has answered yet (each flag has one writer). */
struct joiner_arg {
    struct thread *target;
    errval_t err;
    volatile bool done;
};

/* Joins the thread passed in and returns its value + 100 (-1 if the join
 * was refused). */
static int join_other(void *arg)
{
    struct joiner_arg *ja = arg;
    int r = -1;

    ja->err = thread_join(ja->target, &r);
    ja->done = true;
    return err_is_fail(ja->err) ? -1 : r + 100;
}

/* Returning from the function and thread_exit deep inside both give the
 * value to thread_join; every join error has its own code. */
static void exit_value(void)
{
    struct thread *a = NULL, *b = NULL, *gated = NULL, *j1 = NULL, *j2 = NULL;
    struct joiner_arg ja1 = { 0 }, ja2 = { 0 };
    errval_t ea, eb, eg, ej1 = LIB_ERR_THREAD_INVALID, ej2 = LIB_ERR_THREAD_INVALID;
    int ra = 0, rb = 0, r1 = 0, r2 = 0;
    size_t heap_before = heap_in_use();

    thread_sem_init(&exit_gate, 0);
    join_main_err = SYS_ERR_OK;
    ea = thread_spawn(return_42, NULL, THREAD_STACK_SIZE, &a);
    eb = thread_spawn(exit_minus_7, NULL, THREAD_STACK_SIZE, &b);
    eg = thread_spawn(wait_at_gate, thread_self(), THREAD_STACK_SIZE, &gated);
    if (err_is_ok(eg)) {
        /* Two joiners of the gated thread, in whatever order preemption
         * lets them run: the second is refused at once, which can only
         * happen once the first is registered; then the gate opens. */
        ja1.target = ja2.target = gated;
        ej1 = thread_spawn(join_other, &ja1, THREAD_STACK_SIZE, &j1);
        ej2 = thread_spawn(join_other, &ja2, THREAD_STACK_SIZE, &j2);
        while (err_is_ok(ej1) && err_is_ok(ej2) && !ja1.done && !ja2.done) {
            thread_yield();
        }
        thread_sem_post(&exit_gate);
        if (err_is_ok(ej1)) {
            thread_join(j1, &r1);
        }
        if (err_is_ok(ej2)) {
            thread_join(j2, &r2);
        }
        if (err_is_fail(ej1) || err_is_fail(ej2)) {
            thread_join(gated, NULL);
        }
    }
    if (err_is_ok(ea)) {
        thread_join(a, &ra);
    }
    if (err_is_ok(eb)) {
        thread_join(b, &rb);
    }
    UEXPECT_OK(ea);
    UEXPECT_OK(eb);
    UEXPECT_OK(eg);
    UEXPECT_OK(ej1);
    UEXPECT_OK(ej2);
    UEXPECT_EQ("value returned by the function", ra, 42);
    UEXPECT_EQ("value given to thread_exit", rb, (uint32_t)-7);
    UEXPECT(err_no(ja1.err) == LIB_ERR_THREAD_JOIN_BUSY || err_no(ja2.err) == LIB_ERR_THREAD_JOIN_BUSY,
            "neither second joiner was refused with LIB_ERR_THREAD_JOIN_BUSY");
    UEXPECT(err_is_ok(ja1.err) || err_is_ok(ja2.err), "neither joiner joined");
    UEXPECT_EQ("gated thread's value, through its joiner", err_is_ok(ja1.err) ? r1 : r2, 105);
    UEXPECT_EQ("the refused joiner's value", err_is_ok(ja1.err) ? r2 : r1, (uint32_t)-1);
    UEXPECT_ERR(join_main_err, LIB_ERR_THREAD_JOIN_MAIN);
    UEXPECT_ERR(thread_join(thread_self(), NULL), LIB_ERR_THREAD_JOIN_SELF);
    UEXPECT_ERR(thread_join(a, NULL), LIB_ERR_THREAD_INVALID);   /* freed already */
    UEXPECT_ERR(thread_join(NULL, NULL), LIB_ERR_THREAD_INVALID);
    UEXPECT_ERR(thread_spawn(NULL, NULL, THREAD_STACK_SIZE, &a), LIB_ERR_THREAD_CREATE_ARGS);
    UEXPECT_ERR(thread_spawn(return_42, NULL, 16, &a), LIB_ERR_THREAD_CREATE_ARGS);
    UEXPECT_EQ("heap bytes in use", heap_in_use() - heap_before, 0);
}

/* ---- THREAD_YIELD_ORDER ---- */

static char order_log[16];
static volatile uint32_t order_len;

/* Thread body: log the letter `arg` and yield, three times. */
static int log_and_yield(void *arg)
{
    for (int i = 0; i < 3; i++) {
        order_log[order_len++] = (char)(uintptr_t)arg;
        thread_yield();
    }
    return 0;
}

/* thread_yield is round robin: three threads that log and yield
 * interleave as ABCABCABC. A timer preemption between logging and
 * yielding could reorder them: such a run is repeated (up to 200 times;
 * without -icount the 1 ms slice is host time, and a loaded host
 * preempts often). */
static void yield_order(void)
{
    struct dispatcher_shared *disp = get_dispatcher();
    struct thread *t[3];
    uint32_t before = 0;
    int tries, made = 0;

    thread_yield();   /* alone: returns at once */
    for (tries = 0; tries < 200; tries++) {
        memset(order_log, 0, sizeof(order_log));
        order_len = 0;
        made = 0;
        before = disp->timeslices;   /* a preemption while creating counts too */
        for (int i = 0; i < 3; i++) {
            t[i] = thread_create(log_and_yield, (void *)(uintptr_t)('A' + i));
            if (t[i] != NULL) {
                made++;
            }
        }
        for (int i = 0; i < 3; i++) {
            if (t[i] != NULL) {
                thread_join(t[i], NULL);
            }
        }
        if (made != 3 || disp->timeslices == before) {
            break;
        }
    }
    UEXPECT_EQ("threads created", made, 3);
    UEXPECT(disp->timeslices == before, "preempted in each of %d tries", tries);
    UEXPECT(strcmp(order_log, "ABCABCABC") == 0, "order %s, expected ABCABCABC",
           order_log);
}

/* ---- THREAD_MUTEX_CONTENTION ---- */

#define MUTEX_THREADS 4
#define MUTEX_ROUNDS  40
static struct thread_mutex counter_mutex;
static volatile uint32_t shared_counter;
static volatile uint32_t contended, preempted_holding;

/* Thread body: MUTEX_ROUNDS increments of shared_counter under
 * counter_mutex; every 8th waits inside for a preemption (or 50 ms). */
static int count_under_mutex(void *arg)
{
    (void)arg;
    for (int i = 0; i < MUTEX_ROUNDS; i++) {
        if (!thread_mutex_trylock(&counter_mutex)) {
            contended++;                  /* someone was preempted holding it */
            thread_mutex_lock(&counter_mutex);
        }
        uint32_t v = shared_counter;      /* read-modify-write, racy without the lock */
        if (i % 8 == 0 && spin_until_preempted(50)) {
            preempted_holding++;
        }
        shared_counter = v + 1;
        thread_mutex_unlock(&counter_mutex);
    }
    return 0;
}

/* Several threads increment one counter under a mutex while the timer
 * preempts them inside the critical section: the count is exact, and
 * preemption while holding and contention both really happened. */
static void mutex_contention(void)
{
    struct thread *t[MUTEX_THREADS];
    int made = 0;

    thread_mutex_init(&counter_mutex);
    shared_counter = 0;
    contended = 0;
    preempted_holding = 0;
    for (int i = 0; i < MUTEX_THREADS; i++) {
        t[i] = thread_create(count_under_mutex, NULL);
        made += t[i] != NULL;
    }
    for (int i = 0; i < MUTEX_THREADS; i++) {
        if (t[i] != NULL) {
            thread_join(t[i], NULL);
        }
    }
    UEXPECT_EQ("threads created", made, MUTEX_THREADS);
    UEXPECT_EQ("final count", shared_counter, MUTEX_THREADS * MUTEX_ROUNDS);
    UEXPECT(preempted_holding > 0, "no thread was preempted while holding the mutex");
    UEXPECT(contended > 0, "no thread ever found the mutex held");
    UEXPECT_EQ("mutex free at the end", counter_mutex.locked, 0);
    UEXPECT(counter_mutex.waiters == NULL, "waiters left on the mutex");
}

/* ---- THREAD_COND_PRODUCER_CONSUMER ---- */

#define RING 4
#define PRODUCERS 2
#define CONSUMERS 2
#define ITEMS 200              /* per producer; consumers take the same total */
static struct thread_mutex ring_mutex;
static struct thread_cond ring_not_full, ring_not_empty;
static uint32_t ring[RING], ring_head, ring_count;
static volatile uint32_t full_waits, empty_waits;

/* Thread body: put ITEMS values arg*1000 + 1..ITEMS into the ring. */
static int producer(void *arg)
{
    uint32_t base = (uint32_t)arg * 1000;

    for (uint32_t i = 1; i <= ITEMS; i++) {
        thread_mutex_lock(&ring_mutex);
        while (ring_count == RING) {
            full_waits++;
            thread_cond_wait(&ring_not_full, &ring_mutex);
        }
        ring[(ring_head + ring_count) % RING] = base + i;
        ring_count++;
        thread_cond_signal(&ring_not_empty);
        thread_mutex_unlock(&ring_mutex);
    }
    return 0;
}

/* Takes ITEMS items and returns their sum (fits an int). */
static int consumer(void *arg)
{
    int sum = 0;

    (void)arg;
    for (int i = 0; i < ITEMS; i++) {
        thread_mutex_lock(&ring_mutex);
        while (ring_count == 0) {
            empty_waits++;
            thread_cond_wait(&ring_not_empty, &ring_mutex);
        }
        sum += (int)ring[ring_head];
        ring_head = (ring_head + 1) % RING;
        ring_count--;
        thread_cond_signal(&ring_not_full);
        thread_mutex_unlock(&ring_mutex);
        if (i % 16 == 0) {
            thread_yield();
        }
    }
    return sum;
}

/* Producers and consumers over a 4-slot ring: every item arrives exactly
 * once (the sums match), and both "full" and "empty" waits happened. */
static void cond_producer_consumer(void)
{
    struct thread *p[PRODUCERS], *c[CONSUMERS];
    int made = 0, total = 0, want = 0;

    thread_mutex_init(&ring_mutex);
    thread_cond_init(&ring_not_full);
    thread_cond_init(&ring_not_empty);
    ring_head = ring_count = 0;
    full_waits = empty_waits = 0;
    for (int i = 0; i < CONSUMERS; i++) {
        c[i] = thread_create(consumer, NULL);
        made += c[i] != NULL;
    }
    for (int i = 0; i < PRODUCERS; i++) {
        p[i] = thread_create(producer, (void *)(uintptr_t)(i + 1));
        made += p[i] != NULL;
        want += (i + 1) * 1000 * ITEMS + ITEMS * (ITEMS + 1) / 2;
    }
    if (made != PRODUCERS + CONSUMERS) {
        /* the others would wait forever for items or space: give up */
        printf("TEST THREAD_COND_PRODUCER_CONSUMER ... FAIL: only %d of %d threads created\n",
               made, PRODUCERS + CONSUMERS);
        domain_exit(1);
    }
    for (int i = 0; i < PRODUCERS; i++) {
        thread_join(p[i], NULL);
    }
    for (int i = 0; i < CONSUMERS; i++) {
        int s = 0;
        thread_join(c[i], &s);
        total += s;
    }
    UEXPECT_EQ("sum of consumed items", total, want);
    UEXPECT_EQ("items left in the ring", ring_count, 0);
    UEXPECT(full_waits > 0, "producers never waited for space");
    UEXPECT(empty_waits > 0, "consumers never waited for items");
    UEXPECT(ring_not_full.waiters == NULL && ring_not_empty.waiters == NULL,
           "waiters left on a condition variable");
}

/* ---- THREAD_SEM ---- */

static struct thread_sem sem_gate, sem_pool;
static volatile uint32_t sem_done, sem_inside, sem_max_inside;

/* Thread body: pass sem_gate once, count it. */
static int wait_gate(void *arg)
{
    (void)arg;
    thread_sem_wait(&sem_gate);
    sem_done++;
    return 0;
}

/* Thread body: three times take a sem_pool unit, stay inside over two
 * yields (recording how many are inside), give it back. */
static int use_pool(void *arg)
{
    (void)arg;
    for (int round = 0; round < 3; round++) {
        thread_sem_wait(&sem_pool);
        sem_inside++;
        if (sem_inside > sem_max_inside) {
            sem_max_inside = sem_inside;
        }
        thread_yield();
        thread_yield();
        sem_inside--;
        thread_sem_post(&sem_pool);
    }
    return 0;
}

/* A semaphore at 0 blocks its waiters until posts arrive (one per post);
 * one at 2 lets at most two of five threads in at once, and exactly two
 * get in together. */
static void semaphore(void)
{
    struct thread *w[3], *u[5];
    uint32_t done_before_post, done_after_one;
    int made = 0;

    thread_sem_init(&sem_gate, 0);
    sem_done = 0;
    for (int i = 0; i < 3; i++) {
        w[i] = thread_create(wait_gate, NULL);
        made += w[i] != NULL;
    }
    for (int i = 0; i < 5; i++) {
        thread_yield();
    }
    done_before_post = sem_done;
    thread_sem_post(&sem_gate);
    for (int i = 0; i < 5; i++) {
        thread_yield();
    }
    done_after_one = sem_done;
    thread_sem_post(&sem_gate);
    thread_sem_post(&sem_gate);
    for (int i = 0; i < 3; i++) {
        if (w[i] != NULL) {
            thread_join(w[i], NULL);
        }
    }

    thread_sem_init(&sem_pool, 2);
    sem_inside = sem_max_inside = 0;
    for (int i = 0; i < 5; i++) {
        u[i] = thread_create(use_pool, NULL);
        made += u[i] != NULL;
    }
    for (int i = 0; i < 5; i++) {
        if (u[i] != NULL) {
            thread_join(u[i], NULL);
        }
    }
    UEXPECT_EQ("threads created", made, 8);
    UEXPECT_EQ("waiters through before any post", done_before_post, 0);
    UEXPECT_EQ("waiters through after one post", done_after_one, 1);
    UEXPECT_EQ("waiters through after three posts", sem_done, 3);
    UEXPECT_EQ("gate value at the end", sem_gate.value, 0);
    UEXPECT_EQ("most threads inside the pool at once", sem_max_inside, 2);
    UEXPECT_EQ("pool value at the end", sem_pool.value, 2);
}

/* ---- THREAD_FAULT_HANDLER_RESUME ---- */

/* A single-instruction load: a handler that skips the faulting
 * instruction (pc += 4) leaves PROBE_SENTINEL; one that maps the page and
 * retries makes it load the value. */
#define PROBE_SENTINEL 0x5ca1ab1eu
static uint32_t probe_read32(lvaddr_t addr)
{
    uint32_t v = PROBE_SENTINEL;

    __asm__ volatile("ldr %0, [%1]" : "+r"(v) : "r"(addr) : "memory");
    return v;
}

#define FAULT_VALUE 0xfeedf00du
static struct {
    errval_t set_err;
    void *exc_base, *exc_top;
    thread_exception_handler_fn old;
    lvaddr_t va;                  /* two pages, unmapped when the thread faults */
    capaddr_t frame;              /* mapped at va by the handler */
    volatile uint32_t calls, forwarded;
    uint32_t type, addr, access, pc, thread;
    uintptr_t sp;
    bool enabled, preempted;
    errval_t reserve_err, map_err;
    uint32_t loaded, probed;
    bool old_was_default;
} fh;

/* Two pages of address space nothing is mapped at: reserved by mapping a
 * two-page frame, then unmapped again (the frame is given back). */
static errval_t reserve_unmapped(lvaddr_t *va)
{
    struct paging_state *st = get_current_paging_state();
    capaddr_t frame;
    void *buf;
    errval_t err;

    err = frame_alloc(&frame, 2 * BASE_PAGE_SIZE, NULL);
    if (err_is_fail(err)) {
        return err;
    }
    err = paging_map_frame(st, &buf, 2 * BASE_PAGE_SIZE, frame, VREGION_FLAGS_READ_WRITE);
    if (err_is_ok(err)) {
        err = paging_unmap(st, buf);
        *va = (lvaddr_t)buf;
    }
    cap_delete(frame);
    slot_free(frame);
    return err;
}

/* The thread's handler: the first fault (a read of the unmapped first
 * page) gets a frame mapped there with FAULT_VALUE in it and is retried;
 * the second (a probe of the still unmapped second page) is skipped by
 * moving pc past the instruction. Faults elsewhere are not this case's:
 * they go to the handler the thread had before (the runtime's). */
static bool map_on_fault(enum fault_type type, lvaddr_t addr, uint32_t access,
                         struct arch_registers *regs)
{
    volatile uint32_t marker = 0;

    if (fh.va == 0 || addr < fh.va || addr - fh.va >= 2 * BASE_PAGE_SIZE) {
        fh.forwarded++;
        return fh.old != NULL && fh.old(type, addr, access, regs);
    }
    fh.calls++;
    fh.type = type;
    fh.addr = addr;
    fh.access = access;
    fh.pc = regs->pc;
    fh.thread = thread_id(thread_self());
    fh.sp = (uintptr_t)&marker;
    fh.enabled = get_dispatcher()->disabled == 0;
    if (fh.calls == 1) {
        fh.preempted = spin_until_preempted(50);    /* handlers are preemptible */
        fh.map_err = frame_alloc(&fh.frame, BASE_PAGE_SIZE, NULL);
        if (err_is_ok(fh.map_err)) {
            fh.map_err = paging_map_fixed(get_current_paging_state(), fh.va, fh.frame,
                                          BASE_PAGE_SIZE, VREGION_FLAGS_READ_WRITE);
            if (err_is_fail(fh.map_err)) {
                cap_delete(fh.frame);
                slot_free(fh.frame);
                fh.frame = CPTR_NULL;
            }
        }
        if (err_is_fail(fh.map_err)) {
            regs->pc += 4;  /* skip the load: the case fails on map_err */
            return true;
        }
        *(volatile uint32_t *)(fh.va + 0x10) = FAULT_VALUE;
        return true;        /* retry the load */
    }
    regs->pc += 4;          /* skip the probe's load */
    return true;
}

/* Thread body: install map_on_fault in place of the handler every new
 * thread starts with (the runtime's page-fault handler), load from an
 * unmapped page (the handler maps it), then probe an unmapped address
 * (skipped). */
static int faulting_thread(void *arg)
{
    thread_exception_handler_fn old = map_on_fault;

    (void)arg;
    fh.set_err = thread_set_exception_handler(map_on_fault, &old, NULL, NULL,
                                              &fh.exc_base, &fh.exc_top);
    fh.old = old;
    fh.old_was_default = old == paging_fault_handler;
    if (err_is_fail(fh.set_err)) {
        return -1;
    }
    fh.reserve_err = reserve_unmapped(&fh.va);
    if (err_is_fail(fh.reserve_err)) {
        fh.va = 0;
        return -1;
    }
    fh.loaded = probe_read32(fh.va + 0x10);
    fh.probed = probe_read32(fh.va + BASE_PAGE_SIZE + 8);
    return 0;
}

/* A thread's own handler runs on its exception stack, enabled, maps a
 * frame at the faulting address and the retried load sees the value; a
 * second fault is skipped by changing the saved pc. */
static void fault_handler_resume(void)
{
    struct paging_state *st = get_current_paging_state();
    struct thread *t;
    uint32_t id;
    int r = -1;
    bool unmapped = false;

    memset(&fh, 0, sizeof(fh));
    fh.frame = CPTR_NULL;
    t = thread_create(faulting_thread, NULL);
    UEXPECT(t != NULL, "thread_create failed");
    id = thread_id(t);
    UEXPECT_OK(thread_join(t, &r));
    if (fh.frame != CPTR_NULL) {
        unmapped = err_is_ok(paging_unmap(st, (void *)fh.va));
        cap_delete(fh.frame);
        slot_free(fh.frame);
    }
    UEXPECT_OK(fh.set_err);
    UEXPECT(fh.old_was_default, "a new thread's handler is %p, not the runtime's default "
            "(paging_fault_handler %p)", (void *)fh.old, (void *)paging_fault_handler);
    UEXPECT_OK(fh.reserve_err);
    UEXPECT_EQ("thread's return value", r, 0);
    UEXPECT_OK(fh.map_err);
    UEXPECT(unmapped, "the handler's mapping at 0x%lx could not be unmapped",
            (unsigned long)fh.va);
    UEXPECT_EQ("handler calls", fh.calls, 2);
    UEXPECT_EQ("value loaded after the handler mapped the page", fh.loaded, FAULT_VALUE);
    UEXPECT_EQ("value of the skipped probe", fh.probed, PROBE_SENTINEL);
    UEXPECT_EQ("fault type", fh.type, FAULT_DATA_ABORT);
    UEXPECT_EQ("fault addr (the second fault)", fh.addr, fh.va + BASE_PAGE_SIZE + 8);
    UEXPECT_EQ("fault access", fh.access, FAULT_ACCESS_READ);
    UEXPECT_EQ("thread the handler ran in", fh.thread, id);
    UEXPECT(fh.sp >= (uintptr_t)fh.exc_base && fh.sp < (uintptr_t)fh.exc_top,
            "handler's sp 0x%lx is not on the exception stack [0x%lx, 0x%lx)",
            (unsigned long)fh.sp, (unsigned long)(uintptr_t)fh.exc_base,
            (unsigned long)(uintptr_t)fh.exc_top);
    UEXPECT(fh.enabled, "the handler ran disabled");
    UEXPECT(fh.preempted, "the handler was not preempted while spinning 50 ms");
    UEXPECT_ERR(thread_set_exception_handler(NULL, NULL, (void *)8, NULL, NULL, NULL),
                LIB_ERR_THREAD_EXC_STACK_ARGS);
    UEXPECT_ERR(thread_set_exception_handler(NULL, NULL, (void *)16, (void *)8, NULL, NULL),
                LIB_ERR_THREAD_EXC_STACK_ARGS);
}

/* ---- THREAD_TLS_BLOCKS and THREAD_TLS_ERRNO ---- */

/*
 * Two thread pointers exist (docs/threads.md): the runtime's, kept in
 * memory by _set_tls/__aeabi_read_tp (lib/arch/armv7/tls.S) and switched
 * with every thread; and TPIDRURO, which GCC's code for v7-A -- picolibc's
 * errno included -- reads directly (-mtp=cp15) and only the kernel can
 * write. THREAD_TLS_BLOCKS checks the per-thread blocks through the
 * runtime's pointer; THREAD_TLS_ERRNO checks errno itself, which needs
 * TPIDRURO to follow the running thread.
 */
__thread int thread_test_tdata __attribute__((used)) = 5;   /* .tdata */
__thread int thread_test_tbss __attribute__((used));        /* .tbss */
void *__aeabi_read_tp(void);

/* TPIDRURO, the thread pointer GCC's -mtp=cp15 code uses. */
static uint32_t read_tpidruro(void)
{
    uint32_t v;
    __asm__ volatile("mrc p15, 0, %0, c13, c0, 3" : "=r"(v));
    return v;
}

/* Offsets of the two variables from the thread pointer: GCC computes
 * &var as TPIDRURO + offset (nothing is dereferenced here). */
static uint32_t tpoff_tdata(void)
{
    return (uint32_t)&thread_test_tdata - read_tpidruro();
}

/* Offset of the .tbss variable from the thread pointer. */
static uint32_t tpoff_tbss(void)
{
    return (uint32_t)&thread_test_tbss - read_tpidruro();
}

/* The variables as seen through the runtime's thread pointer. */
static volatile int *soft_tdata(void)
{
    return (volatile int *)((char *)__aeabi_read_tp() + tpoff_tdata());
}

/* .tbss variable through the runtime's thread pointer. */
static volatile int *soft_tbss(void)
{
    return (volatile int *)((char *)__aeabi_read_tp() + tpoff_tbss());
}

static volatile uint32_t tls_bad;
static void *volatile tls_tp[3];

/* Thread body: check a fresh TLS block, write own values, check they
 * survive yields and preemptions (problems into tls_bad). */
static int check_tls_blocks(void *arg)
{
    int i = (int)(uintptr_t)arg;

    tls_tp[i] = __aeabi_read_tp();
    if (*soft_tdata() != 5 || *soft_tbss() != 0) {
        tls_bad |= 1u << i;
    }
    *soft_tdata() = 5 + i;
    *soft_tbss() = 7 * i + 1;
    for (int k = 0; k < 6; k++) {
        if (k % 2 == 0) {
            thread_yield();
        } else {
            spin_until_preempted(5);
        }
        if (__aeabi_read_tp() != tls_tp[i] || *soft_tdata() != 5 + i
            || *soft_tbss() != 7 * i + 1) {
            tls_bad |= 0x10u << i;
        }
    }
    return 0;
}

/* Every thread gets its own TLS block, a copy of .tdata and a zeroed
 * .tbss, and keeps its own values across yields and preemption; the main
 * thread's block (the image's) is untouched. */
static void tls_blocks(void)
{
    struct thread *t[3];
    void *main_tp = __aeabi_read_tp();
    int main_tdata = *soft_tdata(), main_tbss = *soft_tbss();
    int made = 0;

    tls_bad = 0;
    for (int i = 0; i < 3; i++) {
        t[i] = thread_create(check_tls_blocks, (void *)(uintptr_t)i);
        made += t[i] != NULL;
    }
    for (int i = 0; i < 3; i++) {
        if (t[i] != NULL) {
            thread_join(t[i], NULL);
        }
    }
    UEXPECT_EQ("threads created", made, 3);
    UEXPECT_EQ("per-thread TLS problems (bit mask)", tls_bad, 0);
    UEXPECT(tls_tp[0] != tls_tp[1] && tls_tp[1] != tls_tp[2] && tls_tp[0] != main_tp,
           "threads share a thread pointer");
    UEXPECT(__aeabi_read_tp() == main_tp, "main thread's thread pointer changed");
    UEXPECT_EQ("main thread's .tdata variable", *soft_tdata(), main_tdata);
    UEXPECT_EQ("main thread's .tbss variable", *soft_tbss(), main_tbss);
}

static int *volatile errno_addr[3];

/* Thread body: own errno value (and ERANGE from strtol in thread 1)
 * must survive yields and preemptions (problems into tls_bad). */
static int check_errno(void *arg)
{
    int i = (int)(uintptr_t)arg;

    errno_addr[i] = &errno;
    errno = 100 + i;
    if (i == 1) {
        errno = 0;
        strtol("99999999999999999999999", NULL, 10);   /* picolibc sets ERANGE */
        if (errno != ERANGE) {
            tls_bad |= 0x100u;
        }
        errno = 101;
    }
    for (int k = 0; k < 6; k++) {
        if (k % 2 == 0) {
            thread_yield();
        } else {
            spin_until_preempted(5);
        }
        if (errno != 100 + i) {
            tls_bad |= 0x10u << i;
        }
    }
    return 0;
}

/* errno (picolibc's, in TLS) is per thread. Needs TPIDRURO to be the
 * running thread's pointer; with the kernel not setting it, errno would be
 * at address 0x10 and any write would end this program, so the case
 * checks that first. */
static void tls_errno(void)
{
    struct thread *t[3];
    int made = 0;

    UEXPECT(read_tpidruro() == (uint32_t)__aeabi_read_tp(),
           "TPIDRURO is 0x%lx, not the thread pointer 0x%lx: the kernel does not "
           "load it, so picolibc's errno is not per thread (docs/threads.md)",
           (unsigned long)read_tpidruro(), (unsigned long)(uintptr_t)__aeabi_read_tp());
    tls_bad = 0;
    errno = 77;
    for (int i = 0; i < 3; i++) {
        t[i] = thread_create(check_errno, (void *)(uintptr_t)i);
        made += t[i] != NULL;
    }
    for (int i = 0; i < 3; i++) {
        if (t[i] != NULL) {
            thread_join(t[i], NULL);
        }
    }
    UEXPECT_EQ("threads created", made, 3);
    UEXPECT_EQ("per-thread errno problems (bit mask)", tls_bad, 0);
    UEXPECT_EQ("main thread's errno", errno, 77);
    UEXPECT(errno_addr[0] != errno_addr[1] && errno_addr[1] != errno_addr[2]
           && errno_addr[0] != &errno, "threads share an errno");
    errno = 0;
}

static const struct utest_case thread_cases[] = {
    { "THREAD_CREATE_JOIN_100", create_join_100 },
    { "THREAD_EXIT_VALUE", exit_value },
    { "THREAD_YIELD_ORDER", yield_order },
    { "THREAD_MUTEX_CONTENTION", mutex_contention },
    { "THREAD_COND_PRODUCER_CONSUMER", cond_producer_consumer },
    { "THREAD_SEM", semaphore },
    { "THREAD_FAULT_HANDLER_RESUME", fault_handler_resume },
    { "THREAD_TLS_BLOCKS", tls_blocks },
    { "THREAD_TLS_ERRNO", tls_errno },
    UTEST_END
};

int main(void)
{
    utest_run(thread_cases);
    return utest_finish();
}
