/* RAM held by glibc's heap (heap_ram.h). */
#define _GNU_SOURCE
#include "heap_ram.h"
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#define PAGE 4096ul

static uintptr_t heap_lo;           /* the first page of glibc's main arena */

void heap_ram_init(void)
{
    /* glibc's start-up may have grown the heap before main: its main
     * arena is one contiguous run of sbrk'd memory below the break */
    heap_lo = ((uintptr_t)sbrk(0) - mallinfo2().arena) & ~(PAGE - 1);
}

/* Resident pages of the brk heap [heap_lo, sbrk(0)). */
static unsigned long heap_resident_pages(void)
{
    static unsigned char vec[1u << 18];     /* 1 GiB of heap at most */
    uintptr_t hi = ((uintptr_t)sbrk(0) + PAGE - 1) & ~(PAGE - 1);
    unsigned long pages = (hi - heap_lo) / PAGE, n = 0;

    if (pages > sizeof(vec) || (pages > 0 && mincore((void *)heap_lo, hi - heap_lo, vec) != 0)) {
        printf("LINUX error heap_ram mincore over the heap failed\n");
        exit(1);
    }
    for (unsigned long i = 0; i < pages; i++) {
        n += vec[i] & 1;
    }
    return n;
}

uint64_t heap_ram_bytes(void)
{
    return (uint64_t)heap_resident_pages() * PAGE + mallinfo2().hblkhd;
}
