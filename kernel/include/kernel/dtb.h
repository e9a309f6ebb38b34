/*
 * Flattened device tree (DTB) reader: the few facts the CPU driver needs
 * at boot. Portable C with no dependencies, so it is host-tested
 * (test/host/test_dtb.c).
 *
 * The parser never reads outside [blob, blob + max_size) nor past the
 * blob's own totalsize, and rejects malformed blobs with a specific error.
 */
#ifndef KERNEL_DTB_H
#define KERNEL_DTB_H

#include <stdint.h>
#include <stddef.h>

#define DTB_MAGIC        0xd00dfeedu
#define DTB_BOOTARGS_MAX 256

enum dtb_error {
    DTB_OK = 0,
    DTB_ERR_TRUNCATED,     /* header or a block lies outside the buffer */
    DTB_ERR_MAGIC,         /* not a device tree */
    DTB_ERR_VERSION,       /* not compatible with version 16/17 */
    DTB_ERR_STRUCTURE,     /* bad token, unbalanced nodes, bad name/property */
    DTB_ERR_CELLS,         /* #address-cells/#size-cells unsupported (> 2) */
    DTB_ERR_NO_MEMORY,     /* no memory node with a usable reg */
};

struct dtb_info {
    uint64_t mem_base;                 /* first region of the memory node */
    uint64_t mem_size;
    uint32_t num_cpus;                 /* children of /cpus named cpu or cpu@... */
    char bootargs[DTB_BOOTARGS_MAX];   /* /chosen/bootargs, "" if none;
                                        * truncated to fit, always NUL-terminated */
};

/* Parse the blob at `blob`, of which at most `max_size` bytes may be read. */
enum dtb_error dtb_parse(const void *blob, size_t max_size, struct dtb_info *out);

/* A one-line description of an error code. */
const char *dtb_strerror(enum dtb_error err);

#endif
