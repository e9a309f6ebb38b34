/*
 * Boot modules packed into the kernel image by the build
 * (site_scons: a generated assembly file .incbin's each domain ELF).
 *
 * Layout in the image, page aligned, in its own section ".modules":
 *   struct module_table { magic, count, entries[count] }
 *   then each module's bytes at entry.offset (from the table start),
 *   each module starting on a page boundary.
 */
#ifndef KERNEL_MODULES_H
#define KERNEL_MODULES_H

#include <autarky/types.h>

#define MODULE_TABLE_MAGIC 0x4d4f4455u  /* "MODU" */
#define MODULE_NAME_LEN    32

struct module_entry {
    char name[MODULE_NAME_LEN];   /* NUL-terminated: "init", "hello", ... */
    uint32_t offset;              /* bytes from the start of the table, page aligned */
    uint32_t size;                /* bytes */
};

struct module_table {
    uint32_t magic;
    uint32_t count;
    struct module_entry entries[];
};

/* Linker symbols around the .modules section (kernel virtual addresses). */
extern const struct module_table _modules_start;
extern const char _modules_end[];

#endif
