/*
 * Checking init's ELF image (kernel/elf_boot.c).
 */
#ifndef KERNEL_ELF_BOOT_H
#define KERNEL_ELF_BOOT_H

#include <autarky/types.h>
#include <autarky/elf32.h>

/* NULL if `image` is a loadable ARM executable for user space, else why not. */
const char *elf_boot_validate(const void *image, size_t size);
const struct elf32_phdr *elf_boot_phdrs(const void *image);

#endif
