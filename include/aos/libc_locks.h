/*
 * picolibc's lock objects as lib/libc_locks.c implements them (private to
 * the runtime: morecore/ checks the malloc lock without calling in).
 */
#ifndef LIB_LIBC_LOCKS_H
#define LIB_LIBC_LOCKS_H

#include <aos/threads.h>
#include <sys/lock.h>

struct __lock {
    struct thread_mutex mutex;
    uint32_t count;                /* recursion depth while held */
};

/* malloc's lock (picolibc's __LIBC_LOCK) */
extern struct __lock __lock___libc_recursive_mutex;

static inline bool libc_malloc_lock_held(void)
{
    return __lock___libc_recursive_mutex.mutex.locked != 0;
}

#endif
