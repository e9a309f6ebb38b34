/*
 * picolibc's retargetable locks (<sys/lock.h>) on thread mutexes, so that
 * malloc/free (nano-malloc, under __lock___libc_recursive_mutex), the
 * other libc-global state and buffered FILEs are thread safe.
 *
 * These definitions replace picolibc's single-threaded stubs: libaos.a is
 * linked before libc, and this file defines every symbol of picolibc's
 * libc_misc_lock.o, so that object is never pulled in.
 *
 * A lock is a thread mutex plus a recursion count. The mutex's holder is
 * the owner: only the owner can see itself as holder, so the recursive
 * check needs no disabled section. Before threads_init (threads_current is
 * NULL) there is exactly one flow of control, which the same code covers.
 *
 * Lock order: picolibc takes at most the libc mutex and one FILE lock; the
 * threads package itself never calls malloc with the dispatcher disabled.
 */
#include <aos/threads.h>
#include <sys/lock.h>
#include <stdlib.h>
#include <aos/libc_locks.h>

struct __lock __lock___libc_recursive_mutex;

/* A new unlocked lock from malloc; *lock = NULL if out of memory (picolibc
 * then runs that FILE without a lock, as with the stubs). */
void __retarget_lock_init(_LOCK_T *lock)
{
    struct __lock *l = malloc(sizeof(*l));

    if (l != NULL) {
        thread_mutex_init(&l->mutex);
        l->count = 0;
    }
    *lock = l;
}

/* Recursive locks are the same object; only acquire/release differ. */
void __retarget_lock_init_recursive(_LOCK_T *lock)
{
    __retarget_lock_init(lock);
}

/* Free a lock nobody holds. */
void __retarget_lock_close(_LOCK_T lock)
{
    if (lock != NULL && lock != &__lock___libc_recursive_mutex) {
        free(lock);
    }
}

/* Free a recursive lock nobody holds. */
void __retarget_lock_close_recursive(_LOCK_T lock)
{
    __retarget_lock_close(lock);
}

/* Take a non-recursive lock, waiting while another thread holds it. */
void __retarget_lock_acquire(_LOCK_T lock)
{
    if (lock != NULL) {
        thread_mutex_lock(&lock->mutex);
    }
}

/* Take `lock`, or count one more level if the caller holds it already. */
void __retarget_lock_acquire_recursive(_LOCK_T lock)
{
    bool was;

    if (lock == NULL) {
        return;
    }
    was = threads_disable();            /* the uncontended case, inline */
    if (!lock->mutex.locked) {
        lock->mutex.locked = 1;
        lock->mutex.holder = threads_current;
        lock->count = 1;
        threads_restore(was);
        return;
    }
    if (lock->mutex.holder == threads_current) {
        lock->count++;
        threads_restore(was);
        return;
    }
    threads_restore(was);
    thread_mutex_lock(&lock->mutex);    /* held by another thread: wait */
    lock->count = 1;
}

/* 1 if taken, 0 if held by another thread. */
int __retarget_lock_try_acquire(_LOCK_T lock)
{
    return lock == NULL || thread_mutex_trylock(&lock->mutex);
}

int __retarget_lock_try_acquire_recursive(_LOCK_T lock)
{
    if (lock == NULL) {
        return 1;
    }
    if (lock->mutex.locked && lock->mutex.holder == threads_current) {
        lock->count++;
        return 1;
    }
    if (!thread_mutex_trylock(&lock->mutex)) {
        return 0;
    }
    lock->count = 1;
    return 1;
}

/* Release a non-recursive lock (to its first waiter, if any). */
void __retarget_lock_release(_LOCK_T lock)
{
    if (lock != NULL) {
        thread_mutex_unlock(&lock->mutex);
    }
}

/* Drop one level; release the mutex when the outermost level ends. */
void __retarget_lock_release_recursive(_LOCK_T lock)
{
    if (lock == NULL) {
        return;
    }
    if (lock->count > 1) {
        lock->count--;
        return;
    }
    lock->count = 0;
    bool was = threads_disable();       /* no waiter: the common case, inline */
    if (lock->mutex.waiters == NULL) {
        lock->mutex.holder = NULL;
        lock->mutex.locked = 0;
        threads_restore(was);
        return;
    }
    threads_restore(was);
    thread_mutex_unlock(&lock->mutex);  /* hand it to the first waiter */
}
