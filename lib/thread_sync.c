/*
 * Mutexes, condition variables and semaphores for user-level threads.
 * See include/aos/threads.h and docs/threads.md.
 *
 * Atomicity: each operation runs its check-and-update with the dispatcher
 * disabled (threads_disable); on this single core nothing else runs then.
 * A thread that must wait goes on the object's FIFO wait queue and
 * switches away (threads_block), in the same disabled section as the
 * check, so no wakeup is lost. No busy waiting anywhere.
 *
 * Ownership is handed over, not re-contended: unlock gives the mutex to
 * the first waiter, post gives the unit to the first waiter. So a woken
 * thread never has to check again, and waiters are served in FIFO order.
 *
 * Lock order: these objects have no internal locks. thread_cond_wait
 * releases the caller's mutex and blocks atomically, and re-acquires the
 * mutex after being woken (like pthreads).
 *
 * Calling from disabled context (an upcall): an uncontended mutex or a
 * positive semaphore is taken; anything that would block ends the domain
 * with a message, since the upcall cannot wait.
 */
#include <aos/threads.h>
#include <aos/dispatch.h>
#include <aos/syscalls.h>
#include <stdlib.h>
#include <string.h>

/* A blocking operation was attempted while disabled: cannot wait. */
static void __attribute__((noreturn)) cannot_block(const char *what)
{
    static const char msg1[] = "autarky: thread library: ";
    static const char msg2[] = " would block while the dispatcher is disabled\n";

    sys_print(msg1, sizeof(msg1) - 1);
    sys_print(what, strlen(what));
    sys_print(msg2, sizeof(msg2) - 1);
    domain_exit(EXIT_FAILURE);
}

/* An unlocked mutex without waiters (must not be in use). */
void thread_mutex_init(struct thread_mutex *m)
{
    m->locked = 0;
    m->holder = NULL;
    m->waiters = NULL;
}

/* Take `m`, waiting on its queue while another thread holds it. Not
 * recursive: a holder locking again waits forever (deadlock). */
void thread_mutex_lock(struct thread_mutex *m)
{
    bool was = threads_disable();

    if (!m->locked) {
        m->locked = 1;
        m->holder = threads_current;
        threads_restore(was);
        return;
    }
    if (was) {
        cannot_block("thread_mutex_lock");
    }
    threads_block(&m->waiters);   /* unlock hands m to us; returns enabled */
}

/* Take `m` if it is free. */
bool thread_mutex_trylock(struct thread_mutex *m)
{
    bool was = threads_disable();
    bool got = !m->locked;

    if (got) {
        m->locked = 1;
        m->holder = threads_current;
    }
    threads_restore(was);
    return got;
}

/* Disabled: release `m`, handing it to the first waiter if there is one. */
static void mutex_release(struct thread_mutex *m)
{
    struct thread *next = threads_wakeup(&m->waiters);

    if (next != NULL) {
        m->holder = next;          /* stays locked: handed over */
    } else {
        m->holder = NULL;
        m->locked = 0;
    }
}

/* Release `m`. Unlocking a mutex that is not locked is ignored; the
 * holder is not checked (unlocking another thread's mutex releases it). */
void thread_mutex_unlock(struct thread_mutex *m)
{
    bool was = threads_disable();

    if (m->locked) {
        mutex_release(m);
    }
    threads_restore(was);
}

/* A condition variable without waiters (must not be in use). */
void thread_cond_init(struct thread_cond *c)
{
    c->waiters = NULL;
}

/* Atomically release `m` and wait for a signal; hold `m` again on return.
 * As with pthreads, callers re-check their condition in a loop. */
void thread_cond_wait(struct thread_cond *c, struct thread_mutex *m)
{
    bool was = threads_disable();

    if (was) {
        cannot_block("thread_cond_wait");
    }
    if (m->locked) {
        mutex_release(m);
    }
    threads_block(&c->waiters);   /* returns enabled */
    thread_mutex_lock(m);
}

/* Wake the first waiter of `c`, if any. */
void thread_cond_signal(struct thread_cond *c)
{
    bool was = threads_disable();

    threads_wakeup(&c->waiters);
    threads_restore(was);
}

/* Wake every waiter of `c`. */
void thread_cond_broadcast(struct thread_cond *c)
{
    bool was = threads_disable();

    while (threads_wakeup(&c->waiters) != NULL) {
    }
    threads_restore(was);
}

/* A semaphore holding `value` units, without waiters (must not be in use). */
void thread_sem_init(struct thread_sem *s, int32_t value)
{
    s->value = value;
    s->waiters = NULL;
}

/* Take one unit, waiting while there is none. */
void thread_sem_wait(struct thread_sem *s)
{
    bool was = threads_disable();

    if (s->value > 0) {
        s->value--;
        threads_restore(was);
        return;
    }
    if (was) {
        cannot_block("thread_sem_wait");
    }
    threads_block(&s->waiters);   /* post hands a unit to us; returns enabled */
}

/* Give one unit: to the first waiter if there is one, else to the count. */
void thread_sem_post(struct thread_sem *s)
{
    bool was = threads_disable();

    if (threads_wakeup(&s->waiters) == NULL) {
        s->value++;
    }
    threads_restore(was);
}
