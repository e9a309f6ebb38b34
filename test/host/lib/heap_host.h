/*
 * The platform morecore/'s allocators need (malloc_internal.h,
 * small_runs.h), for the host tests: heap_host.c. Each region is a memfd
 * mapped shared below 2 GiB, so a page given back really gives its RAM
 * back (a hole punched in the file: heap_host_ram counts what is left)
 * and two virtual pages can map one page of the file, as meshing wants.
 */
#ifndef TEST_HOST_LIB_HEAP_HOST_H
#define TEST_HOST_LIB_HEAP_HOST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* What the platform saw; a test resets them (heap_host_reset) and reads them. */
struct heap_host {
    size_t regions_out;             /* regions allocated and not yet freed */
    size_t released_bytes;          /* heap_pages_release, in total */
    size_t meshes, unaliases;       /* heap_page_mesh calls that meshed, unalias calls */
    int bad_release;                /* a page or region went back holding a live byte */
    int bad_mesh;                   /* heap_page_mesh called with a bad argument */
    /* the test's: does [lo, lo + n) hold a byte of a live object? (NULL: no) */
    bool (*touches_live)(uintptr_t lo, size_t n);
    bool refuse_mesh;               /* heap_page_mesh says no (nothing changes) */
};

extern struct heap_host heap_host;

void heap_host_reset(void);
/* RAM the region at `region` holds now (pages of its file that are backed). */
size_t heap_host_ram(const void *region);

#endif
