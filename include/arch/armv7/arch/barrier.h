/*
 * Memory barriers for memory shared between cores (ARMv7-A), used by the
 * domain runtime's cross-core rings (lib/ump.c, docs/ump.md).
 *
 * Shared frames are Normal, cacheable, inner-shareable memory on every core
 * (the attributes every user mapping has), so the hardware keeps the caches
 * coherent and a 32-bit aligned load or store is single-copy atomic. What
 * the ARMv7 memory model does NOT give is order: another core may observe
 * this core's loads and stores in a different order than program order
 * (it is weakly ordered; QEMU's TCG hides most of this, real cores do not).
 * These barriers restore the order that matters, for the inner-shareable
 * domain (all cores of the machine), and are compiler barriers as well.
 *
 * The host unit tests use a stand-in with the same names built on
 * __atomic_thread_fence (test/host/lib/arch/barrier.h).
 */
#ifndef ARCH_ARMV7_BARRIER_H
#define ARCH_ARMV7_BARRIER_H

/*
 * Every load and store before it is observed by the other cores before
 * every load and store after it (DMB ISH). Needed whenever a load must be
 * ordered before a later access, e.g. "read the data, then publish that it
 * was read" or "read the flag, then read the data".
 */
static inline void arch_barrier_shared(void)
{
    __asm__ volatile("dmb ish" : : : "memory");
}

/*
 * Every store before it is observed before every store after it
 * (DMB ISHST): "write the data, then the flag saying it is there".
 * It orders nothing about loads.
 */
static inline void arch_barrier_shared_stores(void)
{
    __asm__ volatile("dmb ishst" : : : "memory");
}

#endif
