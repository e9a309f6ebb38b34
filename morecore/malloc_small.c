/*
 * malloc and free of small objects (up to SMALL_MAX bytes) for domains:
 * the size classes of small_runs.h with the locking a domain needs.
 *
 * Locking: the C library's malloc lock (lib/libc_locks.c); it is a thread
 * mutex, so touching a fresh page (a page fault) inside it is fine. The
 * common cases (small_pop: an object of the class's attached run;
 * small_push: a free that keeps its run attached or partial) run without
 * it, in disabled mode while nobody holds it: that excludes every other
 * thread, and they touch only pages that are mapped and never block. Every
 * other case takes the lock (small_alloc_slow, small_free_slow: new runs,
 * runs that turn partial or empty, meshing). Meshing remaps pages with no
 * other thread running (heap_pages.c), so a thread preempted anywhere,
 * even in the middle of writing an object, finds it at its address after.
 */
#include "small_runs.h"
#include <aos/libc_locks.h>
#include <aos/dispatch.h>
#include <aos/morecore.h>

size_t small_size(const void *p)
{
    return small_object_size(p);
}

/* Bytes handed out (class sizes), counted over the runs: mallinfo asks
 * rarely, malloc and free often, so they keep no running total. */
size_t small_in_use(void)
{
    size_t bytes;

    heap_lock();
    bytes = small_bytes_in_use();
    heap_unlock();
    return bytes;
}

void heap_get_small_stats(struct heap_small_stats *stats)
{
    heap_lock();
    stats->run_pages = small.stats.runs;
    stats->run_frames = small.stats.frames;
    stats->meshes = small.stats.meshes;
    stats->mesh_passes = small.stats.mesh_calls;
    heap_unlock();
}

/* malloc_trim: mesh what can be meshed, give back every empty run. */
void small_trim(void)
{
    heap_lock();
    small_runs_trim();
    heap_unlock();
}

/* Under the malloc lock: a new run if needed; no room left: the medium
 * chunks. */
static void * __attribute__((noinline)) small_malloc_slow(size_t size)
{
    void *p;

    heap_lock();
    p = small_alloc_slow(size);
    heap_unlock();
    return p != NULL ? p : small_fallback(size);
}

/*
 * malloc for size <= SMALL_MAX. The common case runs in disabled mode,
 * which excludes every other thread, while nobody holds the malloc lock
 * (its holder may be in the middle of changing a run); else the slow path.
 */
void *small_malloc(size_t size)
{
    bool was = threads_disable();
    void *p = libc_malloc_lock_held() ? NULL : small_pop(size);

    threads_restore(was);
    return __builtin_expect(p != NULL, 1) ? p : small_malloc_slow(size);
}

static void __attribute__((noinline)) free_slow(void *p)
{
    heap_lock();
    small_free_slow(p);
    heap_unlock();
}

/* free for a pointer small_owns: as small_malloc. */
void small_free_any(void *p)
{
    bool was = threads_disable();
    bool done = !libc_malloc_lock_held() && small_push(p);

    threads_restore(was);
    if (__builtin_expect(!done, 0)) {
        free_slow(p);
    }
}
