/*
 * Validation of the init ELF image before the kernel maps it.
 *
 * The kernel loads exactly one ELF, init's, which the build packed into the
 * image; a malformed one is a build error, reported by a panic. Everything
 * else is loaded by the spawn library in user space.
 */
#include <kernel/elf_boot.h>
#include <kernel/string.h>
#include <autarky/layout.h>

/* Is [off, off + len) inside a file of `size` bytes? */
static bool in_file(uint32_t off, uint32_t len, size_t size)
{
    return off <= size && len <= size - off;
}

static const char *check_header(const struct elf32_ehdr *eh, size_t size)
{
    if (size < sizeof(*eh)) {
        return "file smaller than the ELF header";
    }
    if (eh->e_ident[0] != ELFMAG0 || memcmp(&eh->e_ident[1], "ELF", 3) != 0) {
        return "bad magic";
    }
    if (eh->e_ident[4] != ELFCLASS32 || eh->e_ident[5] != ELFDATA2LSB) {
        return "not a 32-bit little-endian ELF";
    }
    if (eh->e_type != ET_EXEC || eh->e_machine != EM_ARM) {
        return "not an ARM executable";
    }
    if (eh->e_phentsize != sizeof(struct elf32_phdr) || eh->e_phnum == 0) {
        return "bad program header size or count";
    }
    if (!in_file(eh->e_phoff, (uint32_t)eh->e_phnum * sizeof(struct elf32_phdr), size)
        || eh->e_phoff % 4 != 0) {
        return "program headers outside the file";
    }
    return NULL;
}

static const char *check_segment(const struct elf32_phdr *ph, size_t size)
{
    if (ph->p_filesz > ph->p_memsz) {
        return "segment file size exceeds its memory size";
    }
    if (!in_file(ph->p_offset, ph->p_filesz, size)) {
        return "segment data outside the file";
    }
    if (ph->p_vaddr < USER_NULL_GUARD_SIZE || ph->p_memsz > USER_TOP
        || ph->p_vaddr > USER_TOP - ph->p_memsz) {
        return "segment outside the user address range";
    }
    return NULL;
}

/* Do the page ranges of two segments overlap? */
static bool segments_overlap(const struct elf32_phdr *a, const struct elf32_phdr *b)
{
    uint32_t a_lo = ROUND_DOWN(a->p_vaddr, BASE_PAGE_SIZE);
    uint32_t a_hi = ROUND_UP(a->p_vaddr + a->p_memsz, BASE_PAGE_SIZE);
    uint32_t b_lo = ROUND_DOWN(b->p_vaddr, BASE_PAGE_SIZE);
    uint32_t b_hi = ROUND_UP(b->p_vaddr + b->p_memsz, BASE_PAGE_SIZE);
    return a_lo < b_hi && b_lo < a_hi;
}

const char *elf_boot_validate(const void *image, size_t size)
{
    const struct elf32_ehdr *eh = image;
    const struct elf32_phdr *ph;
    const char *why = check_header(eh, size);

    if (why != NULL) {
        return why;
    }
    if ((uintptr_t)image % 4 != 0) {
        return "image misaligned";
    }
    ph = elf_boot_phdrs(image);
    for (int i = 0; i < eh->e_phnum; i++) {
        if (ph[i].p_type != PT_LOAD || ph[i].p_memsz == 0) {
            continue;
        }
        why = check_segment(&ph[i], size);
        if (why != NULL) {
            return why;
        }
        for (int j = 0; j < i; j++) {
            if (ph[j].p_type == PT_LOAD && ph[j].p_memsz != 0
                && segments_overlap(&ph[i], &ph[j])) {
                return "segments share a page";
            }
        }
    }
    if (eh->e_entry < USER_NULL_GUARD_SIZE || eh->e_entry >= USER_TOP) {
        return "entry point outside the user address range";
    }
    return NULL;
}

const struct elf32_phdr *elf_boot_phdrs(const void *image)
{
    const struct elf32_ehdr *eh = image;
    return (const struct elf32_phdr *)((const char *)image + eh->e_phoff);
}
