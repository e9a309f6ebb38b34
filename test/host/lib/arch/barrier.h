/*
 * Host stand-in for include/arch/armv7/arch/barrier.h: the same two
 * barriers as C11 fences, so lib/ump.c runs between host threads
 * (test/host/lib/test_ump.c). test/host/lib comes first on the host
 * include path, so <arch/barrier.h> finds this file there.
 */
#ifndef HOST_ARCH_BARRIER_H
#define HOST_ARCH_BARRIER_H

/* Full fence: earlier loads and stores before later loads and stores. */
static inline void arch_barrier_shared(void)
{
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
}

/* Release fence: earlier stores (and loads) before later stores. */
static inline void arch_barrier_shared_stores(void)
{
    __atomic_thread_fence(__ATOMIC_RELEASE);
}

#endif
