/*
 * Validation of a 32-bit little-endian ARM ELF executable and the plan for
 * loading its segments (spawn/elf.c). Pure and allocation-free: it reads
 * only the bytes it is given, writes only the caller's structures, and so
 * runs unchanged in the host tests. docs/elf.md has the rules.
 *
 * Use (spawn):
 *   struct elf_info info;
 *   err = elf_parse(image, size, &info);            // nothing is trusted before this
 *   for (i = 0; i < info.nsegs; i++) {
 *       elf_segment_pages(&info, i, &pages);        // which pages, which rights
 *       allocate and map pages.size bytes at pages.start (child) and somewhere
 *       in our own vspace (buf), then
 *       elf_segment_fill(&info, i, pages.start, buf, pages.size);
 *   }
 *   start the child at info.entry; its TLS template is info.tls.
 */
#ifndef AOS_ELF_H
#define AOS_ELF_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include <autarky/errors.h>
#include <autarky/elf32.h>
#include <autarky/layout.h>
#include <autarky/types.h>
#include <autarky/captypes.h>

/* ELF constants <autarky/elf32.h> does not have (System V gABI values). */
#define ELF_EI_CLASS    4
#define ELF_EI_DATA     5
#define ELF_EI_VERSION  6
#define ELF_ET_REL      1
#define ELF_ET_DYN      3
#define ELF_PT_TLS      7

/* At most this many program headers (of any type) per file: the init ELF
 * has 4 (EXIDX, text, data, TLS); 16 leaves room and bounds every loop. */
#define ELF_MAX_SEGMENTS 16

/*
 * The range a loadable segment must lie in: [ELF_USER_BASE, ELF_USER_LIMIT).
 *  - below USER_IMAGE_BASE sit the NULL guard, the dispatcher frame, boot
 *    info and the arguments page, which spawn maps itself;
 *  - the top ELF_STACK_RESERVE bytes below USER_STACK_TOP are kept free for
 *    the first thread's stack (init's is USER_INIT_STACK_SIZE, 64 KiB; a
 *    spawned domain's may be larger) plus a guard page; 1 MiB is one L1
 *    section, so the stack never shares a page table with the image;
 *  - everything at or above USER_STACK_TOP (and the kernel half from
 *    USER_TOP = KERNEL_VBASE) is never the image's.
 */
#define ELF_STACK_RESERVE 0x00100000u
#define ELF_USER_BASE     USER_IMAGE_BASE
#define ELF_USER_LIMIT    (USER_STACK_TOP - ELF_STACK_RESERVE)

_Static_assert(ELF_STACK_RESERVE >= USER_INIT_STACK_SIZE + BASE_PAGE_SIZE,
               "stack reserve must hold init's stack and a guard page");
_Static_assert(ELF_USER_BASE % BASE_PAGE_SIZE == 0 && ELF_USER_LIMIT % BASE_PAGE_SIZE == 0,
               "user image range must be page aligned");
_Static_assert(ELF_USER_BASE < ELF_USER_LIMIT && ELF_USER_LIMIT <= USER_TOP,
               "user image range must be non-empty and below the kernel");

/* One non-empty PT_LOAD segment, checked by elf_parse. */
struct elf_segment {
    uint32_t vaddr;    /* first byte in the domain's address space */
    uint32_t memsz;    /* > 0; [vaddr, vaddr + memsz) inside the user range */
    uint32_t filesz;   /* <= memsz; bytes taken from the file, rest is zero */
    uint32_t offset;   /* [offset, offset + filesz) inside the file */
    uint32_t flags;    /* VREGION_FLAGS_{READ,WRITE,EXECUTE} from PF_{R,W,X} */
};

/* The PT_TLS segment (the TLS template the runtime copies per thread). */
struct elf_tls {
    bool present;      /* false: no PT_TLS, or one with memsz == 0 */
    uint32_t vaddr;    /* template in the loaded image; inside one segment */
    uint32_t filesz;   /* .tdata bytes (initialised) */
    uint32_t memsz;    /* .tdata + .tbss bytes */
    uint32_t align;    /* 0 or a power of two */
};

/* What elf_parse found. Valid only if elf_parse returned SYS_ERR_OK; then
 * it refers to the caller's image, which must outlive it unchanged. */
struct elf_info {
    const uint8_t *image;      /* the validated file */
    size_t size;               /* its size in bytes */
    uint32_t entry;            /* inside an executable segment (bit 0: Thumb) */
    size_t nsegs;              /* 1..ELF_MAX_SEGMENTS, in program-header order */
    struct elf_segment segs[ELF_MAX_SEGMENTS];
    struct elf_tls tls;
    uint32_t lowest;           /* first byte of the lowest segment's first page */
    uint32_t highest;          /* one past the last byte of the highest segment's
                                * last page (exclusive, page aligned) */
};

/* The pages backing one segment: map [start, start + size) with `flags`.
 * The file bytes image[copy_from, copy_from + copy_len) go to
 * start + copy_to; every other byte of the pages must be zero. */
struct elf_pages {
    uint32_t start;      /* page aligned */
    uint32_t size;       /* > 0, multiple of BASE_PAGE_SIZE */
    uint32_t flags;      /* VREGION_FLAGS_* */
    uint32_t copy_to;    /* vaddr - start, < BASE_PAGE_SIZE */
    uint32_t copy_from;  /* segment's file offset */
    uint32_t copy_len;   /* segment's filesz */
};

/* Validate image[0, size) as an executable Autarky can load and describe it
 * in *info. Reads nothing outside image[0, size) and needs no alignment of
 * `image`. On failure *info is unspecified and the error names the first
 * rule broken (LIB_ERR_ELF_*). */
errval_t elf_parse(const void *image, size_t size, struct elf_info *info);

/* The pages to allocate and map for info->segs[index], and what to copy. */
errval_t elf_segment_pages(const struct elf_info *info, size_t index,
                           struct elf_pages *pages);

/* Write what the domain must see at [vaddr, vaddr + len) of segment index's
 * pages into dst[0, len): the file bytes where the segment has them, zero
 * elsewhere (also the page-rounding slack before and after the segment).
 * The range must lie inside the segment's pages (any alignment). */
errval_t elf_segment_fill(const struct elf_info *info, size_t index,
                          uint32_t vaddr, void *dst, size_t len);

#endif
