/*
 * ELF validation and load plan (spawn/elf.c).
 *
 * Every test builds a valid two-segment executable in memory (make_image),
 * breaks one field, and parses an exact-size heap copy, so AddressSanitizer
 * reports any read past the end of the file. Each malformed variant expects
 * its own LIB_ERR_ELF_* code.
 */
#include "host_suite.h"
#include <aos/elf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The valid image: text R-X at 0x400000 (0x100 bytes from offset 0x1000),
 * data RW- at 0x401000 (0x40 file bytes from offset 0x2000, 0x2000 in
 * memory), entry at the start of text. */
#define IMG_SIZE   0x2040u
#define TEXT_OFF   0x1000u
#define TEXT_VADDR 0x00400000u
#define TEXT_SIZE  0x100u
#define DATA_OFF   0x2000u
#define DATA_VADDR 0x00401000u
#define DATA_FILESZ 0x40u
#define DATA_MEMSZ 0x2000u
#define PHOFF      52u

static _Alignas(8) uint8_t img[IMG_SIZE];

static struct elf32_ehdr *eh(void)
{
    return (struct elf32_ehdr *)img;
}

static struct elf32_phdr *ph(unsigned i)
{
    return (struct elf32_phdr *)(img + PHOFF) + i;
}

static void set_phdr(unsigned i, uint32_t type, uint32_t off, uint32_t vaddr,
                     uint32_t filesz, uint32_t memsz, uint32_t flags, uint32_t align)
{
    struct elf32_phdr p = { type, off, vaddr, vaddr, filesz, memsz, flags, align };
    *ph(i) = p;
}

/* Per-test setup: img holds the valid image. */
static void make_image(void)
{
    memset(img, 0, sizeof(img));
    memcpy(eh()->e_ident, "\177ELF", 4);
    eh()->e_ident[ELF_EI_CLASS] = ELFCLASS32;
    eh()->e_ident[ELF_EI_DATA] = ELFDATA2LSB;
    eh()->e_ident[ELF_EI_VERSION] = EV_CURRENT;
    eh()->e_type = ET_EXEC;
    eh()->e_machine = EM_ARM;
    eh()->e_version = EV_CURRENT;
    eh()->e_entry = TEXT_VADDR;
    eh()->e_phoff = PHOFF;
    eh()->e_ehsize = sizeof(struct elf32_ehdr);
    eh()->e_phentsize = sizeof(struct elf32_phdr);
    eh()->e_phnum = 2;
    set_phdr(0, PT_LOAD, TEXT_OFF, TEXT_VADDR, TEXT_SIZE, TEXT_SIZE, PF_R | PF_X, 0x1000);
    set_phdr(1, PT_LOAD, DATA_OFF, DATA_VADDR, DATA_FILESZ, DATA_MEMSZ, PF_R | PF_W, 0x1000);
    for (unsigned i = 0; i < TEXT_SIZE; i++) {
        img[TEXT_OFF + i] = (uint8_t)(0xA0 + i);
    }
    for (unsigned i = 0; i < DATA_FILESZ; i++) {
        img[DATA_OFF + i] = (uint8_t)(0x10 + i);
    }
}

/* Parse the first `len` bytes of `src` from an exact-size heap copy (ASan
 * catches reads beyond it); *info is left as elf_parse wrote it. */
static errval_t parse_exact(const uint8_t *src, size_t len, struct elf_info *info)
{
    uint8_t *copy = malloc(len ? len : 1);
    errval_t err;

    CU_ASSERT_PTR_NOT_NULL_FATAL(copy);
    memcpy(copy, src, len);
    err = elf_parse(copy, len, info);
    free(copy);
    return err;
}

/* Parse the whole of img and return just the error code. */
static enum errcode parse_img(void)
{
    struct elf_info info;
    return err_no(parse_exact(img, IMG_SIZE, &info));
}

/* ---- the valid image -------------------------------------------------------- */

static void test_valid_image_parses(void)
{
    struct elf_info info;

    CU_ASSERT_EQUAL_FATAL(err_no(elf_parse(img, IMG_SIZE, &info)), SYS_ERR_OK);
    CU_ASSERT_PTR_EQUAL(info.image, img);
    CU_ASSERT_EQUAL(info.size, IMG_SIZE);
    CU_ASSERT_EQUAL(info.entry, TEXT_VADDR);
    CU_ASSERT_EQUAL_FATAL(info.nsegs, 2);
    CU_ASSERT_EQUAL(info.segs[0].vaddr, TEXT_VADDR);
    CU_ASSERT_EQUAL(info.segs[0].memsz, TEXT_SIZE);
    CU_ASSERT_EQUAL(info.segs[0].filesz, TEXT_SIZE);
    CU_ASSERT_EQUAL(info.segs[0].offset, TEXT_OFF);
    CU_ASSERT_EQUAL(info.segs[0].flags, VREGION_FLAGS_READ | VREGION_FLAGS_EXECUTE);
    CU_ASSERT_EQUAL(info.segs[1].vaddr, DATA_VADDR);
    CU_ASSERT_EQUAL(info.segs[1].memsz, DATA_MEMSZ);
    CU_ASSERT_EQUAL(info.segs[1].filesz, DATA_FILESZ);
    CU_ASSERT_EQUAL(info.segs[1].offset, DATA_OFF);
    CU_ASSERT_EQUAL(info.segs[1].flags, VREGION_FLAGS_READ_WRITE);
    CU_ASSERT_FALSE(info.tls.present);
    CU_ASSERT_EQUAL(info.lowest, TEXT_VADDR);
    CU_ASSERT_EQUAL(info.highest, DATA_VADDR + DATA_MEMSZ);
}

static void test_valid_image_from_exact_copy(void)
{
    CU_ASSERT_EQUAL(parse_img(), SYS_ERR_OK);
}

static void test_null_arguments(void)
{
    struct elf_info info;
    struct elf_pages pages;

    CU_ASSERT_EQUAL(err_no(elf_parse(img, IMG_SIZE, NULL)), LIB_ERR_ELF_NULL_ARG);
    CU_ASSERT_EQUAL(err_no(elf_parse(NULL, IMG_SIZE, &info)), LIB_ERR_ELF_NULL_ARG);
    CU_ASSERT_EQUAL(err_no(elf_parse(NULL, 0, &info)), LIB_ERR_ELF_TOO_SMALL);
    CU_ASSERT_EQUAL(err_no(elf_segment_pages(NULL, 0, &pages)), LIB_ERR_ELF_NULL_ARG);
    CU_ASSERT_EQUAL_FATAL(err_no(elf_parse(img, IMG_SIZE, &info)), SYS_ERR_OK);
    CU_ASSERT_EQUAL(err_no(elf_segment_pages(&info, 0, NULL)), LIB_ERR_ELF_NULL_ARG);
    CU_ASSERT_EQUAL(err_no(elf_segment_fill(&info, 0, TEXT_VADDR, NULL, 4)),
                    LIB_ERR_ELF_NULL_ARG);
}

/* ---- truncation ----------------------------------------------------------- */

static void test_every_truncation_fails(void)
{
    struct elf_info info;

    for (size_t len = 0; len < IMG_SIZE; len++) {
        errval_t err = parse_exact(img, len, &info);
        CU_ASSERT_TRUE(err_is_fail(err));
        if (len < sizeof(struct elf32_ehdr)) {
            CU_ASSERT_EQUAL(err_no(err), LIB_ERR_ELF_TOO_SMALL);
        } else if (len < PHOFF + 2 * sizeof(struct elf32_phdr)) {
            CU_ASSERT_EQUAL(err_no(err), LIB_ERR_ELF_BAD_PHDR);
        } else {
            CU_ASSERT_EQUAL(err_no(err), LIB_ERR_ELF_SEG_OUT_OF_FILE);
        }
    }
    CU_ASSERT_EQUAL(err_no(parse_exact(img, IMG_SIZE, &info)), SYS_ERR_OK);
}

/* ---- ELF header ------------------------------------------------------------- */

static void test_bad_magic(void)
{
    for (int i = 0; i < 4; i++) {
        make_image();
        img[i] ^= 0x20;
        CU_ASSERT_EQUAL(parse_img(), LIB_ERR_ELF_BAD_MAGIC);
    }
}

static void test_wrong_class(void)
{
    eh()->e_ident[ELF_EI_CLASS] = 2;   /* ELFCLASS64 */
    CU_ASSERT_EQUAL(parse_img(), LIB_ERR_ELF_BAD_CLASS);
    eh()->e_ident[ELF_EI_CLASS] = 0;
    CU_ASSERT_EQUAL(parse_img(), LIB_ERR_ELF_BAD_CLASS);
}

static void test_big_endian(void)
{
    eh()->e_ident[ELF_EI_DATA] = 2;    /* ELFDATA2MSB */
    CU_ASSERT_EQUAL(parse_img(), LIB_ERR_ELF_BAD_ENDIAN);
}

static void test_bad_version(void)
{
    eh()->e_ident[ELF_EI_VERSION] = 0;
    CU_ASSERT_EQUAL(parse_img(), LIB_ERR_ELF_BAD_VERSION);
    make_image();
    eh()->e_version = 2;
    CU_ASSERT_EQUAL(parse_img(), LIB_ERR_ELF_BAD_VERSION);
}

static void test_wrong_machine(void)
{
    eh()->e_machine = 3;               /* EM_386 */
    CU_ASSERT_EQUAL(parse_img(), LIB_ERR_ELF_BAD_MACHINE);
    eh()->e_machine = 183;             /* EM_AARCH64 */
    CU_ASSERT_EQUAL(parse_img(), LIB_ERR_ELF_BAD_MACHINE);
}

static void test_dyn_and_rel_rejected(void)
{
    eh()->e_type = ELF_ET_DYN;
    CU_ASSERT_EQUAL(parse_img(), LIB_ERR_ELF_NOT_EXEC);
    eh()->e_type = ELF_ET_REL;
    CU_ASSERT_EQUAL(parse_img(), LIB_ERR_ELF_NOT_EXEC);
}

static void test_bad_ehsize(void)
{
    eh()->e_ehsize = 64;
    CU_ASSERT_EQUAL(parse_img(), LIB_ERR_ELF_BAD_EHSIZE);
}

/* ---- program header table ---------------------------------------------------- */

static void test_phentsize_wrong(void)
{
    eh()->e_phentsize = 0;
    CU_ASSERT_EQUAL(parse_img(), LIB_ERR_ELF_BAD_PHDR);
    eh()->e_phentsize = 56;            /* Elf64_Phdr */
    CU_ASSERT_EQUAL(parse_img(), LIB_ERR_ELF_BAD_PHDR);
}

static void test_phoff_beyond_file(void)
{
    eh()->e_phoff = IMG_SIZE;
    CU_ASSERT_EQUAL(parse_img(), LIB_ERR_ELF_BAD_PHDR);
    eh()->e_phoff = IMG_SIZE - sizeof(struct elf32_phdr);   /* second entry out */
    CU_ASSERT_EQUAL(parse_img(), LIB_ERR_ELF_BAD_PHDR);
}

static void test_phoff_misaligned_or_in_header(void)
{
    eh()->e_phoff = PHOFF + 2;
    CU_ASSERT_EQUAL(parse_img(), LIB_ERR_ELF_BAD_PHDR);
    eh()->e_phoff = 0;
    CU_ASSERT_EQUAL(parse_img(), LIB_ERR_ELF_BAD_PHDR);
}

static void test_phoff_plus_table_overflows_32_bits(void)
{
    /* 0xfffffff0 + 2 * 32 wraps to 0x30 in 32 bits: inside the file. */
    eh()->e_phoff = 0xfffffff0u;
    CU_ASSERT_EQUAL(parse_img(), LIB_ERR_ELF_BAD_PHDR);
}

static void test_phnum_huge(void)
{
    eh()->e_phnum = 0xffff;
    CU_ASSERT_EQUAL(parse_img(), LIB_ERR_ELF_TOO_MANY_SEGMENTS);
    eh()->e_phnum = ELF_MAX_SEGMENTS + 1;
    CU_ASSERT_EQUAL(parse_img(), LIB_ERR_ELF_TOO_MANY_SEGMENTS);
}

static void test_max_phnum_accepted(void)
{
    /* ELF_MAX_SEGMENTS headers: the two loads and PT_NULL padding. */
    eh()->e_phnum = ELF_MAX_SEGMENTS;
    CU_ASSERT_EQUAL(parse_img(), SYS_ERR_OK);
}

static void test_phnum_zero(void)
{
    eh()->e_phnum = 0;
    CU_ASSERT_EQUAL(parse_img(), LIB_ERR_ELF_NO_SEGMENTS);
}

/* ---- segments --------------------------------------------------------------- */

static void test_segment_offset_beyond_file(void)
{
    ph(1)->p_offset = IMG_SIZE + 0x1000;
    CU_ASSERT_EQUAL(parse_img(), LIB_ERR_ELF_SEG_OUT_OF_FILE);
    make_image();
    ph(1)->p_offset = IMG_SIZE - DATA_FILESZ + 1;   /* one byte too far */
    CU_ASSERT_EQUAL(parse_img(), LIB_ERR_ELF_SEG_OUT_OF_FILE);
}

static void test_segment_offset_plus_filesz_wraps(void)
{
    /* 0xfffff000 + 0x2000 wraps to 0x1000 in 32 bits: inside the file. */
    ph(1)->p_offset = 0xfffff000u;
    ph(1)->p_filesz = 0x2000;
    CU_ASSERT_EQUAL(parse_img(), LIB_ERR_ELF_SEG_OUT_OF_FILE);
}

static void test_filesz_greater_than_memsz(void)
{
    ph(1)->p_memsz = DATA_FILESZ - 1;
    CU_ASSERT_EQUAL(parse_img(), LIB_ERR_ELF_SEG_FILESZ_GT_MEMSZ);
}

static void test_memsz_huge_wraps(void)
{
    ph(1)->p_memsz = 0xfffff000u;      /* 0x401000 + memsz wraps */
    CU_ASSERT_EQUAL(parse_img(), LIB_ERR_ELF_SEG_RANGE);
}

static void test_segment_below_image_base(void)
{
    /* the dispatcher frame page, congruent with the file offset */
    ph(1)->p_vaddr = USER_DISP_VADDR;
    CU_ASSERT_EQUAL(parse_img(), LIB_ERR_ELF_SEG_RANGE);
    ph(1)->p_vaddr = 0;
    CU_ASSERT_EQUAL(parse_img(), LIB_ERR_ELF_SEG_RANGE);
}

static void test_segment_in_kernel_half(void)
{
    ph(1)->p_vaddr = KERNEL_VBASE;
    CU_ASSERT_EQUAL(parse_img(), LIB_ERR_ELF_SEG_RANGE);
    ph(1)->p_vaddr = 0xfffff000u;
    ph(1)->p_memsz = 0x1000;
    CU_ASSERT_EQUAL(parse_img(), LIB_ERR_ELF_SEG_RANGE);
}

static void test_segment_in_stack_reserve(void)
{
    ph(1)->p_vaddr = ELF_USER_LIMIT - 0x1000;   /* memsz 0x2000 crosses the limit */
    CU_ASSERT_EQUAL(parse_img(), LIB_ERR_ELF_SEG_RANGE);
    ph(1)->p_vaddr = ELF_USER_LIMIT - DATA_MEMSZ; /* ends exactly at the limit */
    CU_ASSERT_EQUAL(parse_img(), SYS_ERR_OK);
}

static void test_segments_overlap(void)
{
    ph(1)->p_vaddr = TEXT_VADDR;
    CU_ASSERT_EQUAL(parse_img(), LIB_ERR_ELF_SEG_OVERLAP);
}

static void test_segments_share_a_page(void)
{
    /* data at 0x400800: disjoint bytes, but the same page as text */
    ph(1)->p_vaddr = TEXT_VADDR + 0x800;
    ph(1)->p_offset = 0x1800;
    CU_ASSERT_EQUAL(parse_img(), LIB_ERR_ELF_SEG_OVERLAP);
    /* the same, with data first in the table */
    make_image();
    set_phdr(0, PT_LOAD, 0x1800, TEXT_VADDR + 0x800, DATA_FILESZ, DATA_MEMSZ,
             PF_R | PF_W, 0x1000);
    set_phdr(1, PT_LOAD, TEXT_OFF, TEXT_VADDR, TEXT_SIZE, TEXT_SIZE, PF_R | PF_X, 0x1000);
    CU_ASSERT_EQUAL(parse_img(), LIB_ERR_ELF_SEG_OVERLAP);
}

static void test_segment_align(void)
{
    ph(1)->p_align = 3;
    CU_ASSERT_EQUAL(parse_img(), LIB_ERR_ELF_SEG_ALIGN);
    make_image();
    ph(1)->p_vaddr = DATA_VADDR + 0x100;   /* offset 0x2000: not congruent */
    CU_ASSERT_EQUAL(parse_img(), LIB_ERR_ELF_SEG_ALIGN);
    ph(1)->p_align = 0;                    /* no constraint */
    CU_ASSERT_EQUAL(parse_img(), SYS_ERR_OK);
}

static void test_entry_outside_executable_segment(void)
{
    eh()->e_entry = DATA_VADDR;            /* RW-, not executable */
    CU_ASSERT_EQUAL(parse_img(), LIB_ERR_ELF_ENTRY);
    eh()->e_entry = TEXT_VADDR + TEXT_SIZE; /* one past text */
    CU_ASSERT_EQUAL(parse_img(), LIB_ERR_ELF_ENTRY);
    eh()->e_entry = 0;
    CU_ASSERT_EQUAL(parse_img(), LIB_ERR_ELF_ENTRY);
    eh()->e_entry = TEXT_VADDR + 2;        /* ARM entry, not word aligned */
    CU_ASSERT_EQUAL(parse_img(), LIB_ERR_ELF_ENTRY);
    eh()->e_entry = TEXT_VADDR + 2 + 1;    /* Thumb entry: fine */
    CU_ASSERT_EQUAL(parse_img(), SYS_ERR_OK);
}

static void test_entry_in_zero_fill_rejected(void)
{
    ph(0)->p_memsz = 0x1000;               /* text gets a zero-filled tail */
    eh()->e_entry = TEXT_VADDR + TEXT_SIZE;
    CU_ASSERT_EQUAL(parse_img(), LIB_ERR_ELF_ENTRY);
}

static void test_no_pt_load(void)
{
    ph(0)->p_type = 0;                     /* PT_NULL */
    ph(1)->p_type = 6;                     /* PT_PHDR */
    CU_ASSERT_EQUAL(parse_img(), LIB_ERR_ELF_NO_SEGMENTS);
    make_image();
    ph(0)->p_filesz = ph(0)->p_memsz = 0;  /* empty loads load nothing */
    ph(1)->p_filesz = ph(1)->p_memsz = 0;
    CU_ASSERT_EQUAL(parse_img(), LIB_ERR_ELF_NO_SEGMENTS);
}

static void test_empty_load_is_skipped(void)
{
    struct elf_info info;

    eh()->e_phnum = 3;
    set_phdr(2, PT_LOAD, IMG_SIZE, 0, 0, 0, PF_R, 0);
    CU_ASSERT_EQUAL_FATAL(err_no(elf_parse(img, IMG_SIZE, &info)), SYS_ERR_OK);
    CU_ASSERT_EQUAL(info.nsegs, 2);
}

static void test_other_segment_types_ignored(void)
{
    eh()->e_phnum = 4;
    set_phdr(2, 0x70000001u /* PT_ARM_EXIDX */, 0xffffffffu, 1, 0xffffffffu, 0, 0, 3);
    set_phdr(3, 0x6474e551u /* PT_GNU_STACK */, 0, 0, 0, 0, PF_R | PF_W, 16);
    CU_ASSERT_EQUAL(parse_img(), SYS_ERR_OK);
}

/* ---- TLS ------------------------------------------------------------------ */

static void add_tls_phdr(uint32_t off, uint32_t vaddr, uint32_t filesz, uint32_t memsz)
{
    eh()->e_phnum = 3;
    set_phdr(2, ELF_PT_TLS, off, vaddr, filesz, memsz, PF_R, 4);
}

static void test_tls_reported(void)
{
    struct elf_info info;

    add_tls_phdr(DATA_OFF + 0x10, DATA_VADDR + 0x10, 0x20, 0x80);
    CU_ASSERT_EQUAL_FATAL(err_no(elf_parse(img, IMG_SIZE, &info)), SYS_ERR_OK);
    CU_ASSERT_TRUE(info.tls.present);
    CU_ASSERT_EQUAL(info.tls.vaddr, DATA_VADDR + 0x10);
    CU_ASSERT_EQUAL(info.tls.filesz, 0x20);
    CU_ASSERT_EQUAL(info.tls.memsz, 0x80);
    CU_ASSERT_EQUAL(info.tls.align, 4);
}

static void test_empty_tls_is_absent(void)
{
    struct elf_info info;

    add_tls_phdr(0, 0, 0, 0);              /* what ld emits for no TLS */
    CU_ASSERT_EQUAL_FATAL(err_no(elf_parse(img, IMG_SIZE, &info)), SYS_ERR_OK);
    CU_ASSERT_FALSE(info.tls.present);
}

static void test_tls_outside_loaded_segments(void)
{
    add_tls_phdr(DATA_OFF, 0x00500000u, 0x10, 0x20);
    CU_ASSERT_EQUAL(parse_img(), LIB_ERR_ELF_TLS);
    make_image();
    add_tls_phdr(DATA_OFF, DATA_VADDR + DATA_MEMSZ - 0x10, 0, 0x20);  /* straddles the end */
    CU_ASSERT_EQUAL(parse_img(), LIB_ERR_ELF_TLS);
    make_image();
    add_tls_phdr(DATA_OFF, 0xfffffff0u, 0x10, 0x20);                  /* wraps */
    CU_ASSERT_EQUAL(parse_img(), LIB_ERR_ELF_TLS);
}

static void test_tls_template_mismatch(void)
{
    /* template bytes beyond the segment's file data */
    ph(1)->p_filesz = 0x20;
    add_tls_phdr(DATA_OFF, DATA_VADDR, 0x30, 0x30);
    CU_ASSERT_EQUAL(parse_img(), LIB_ERR_ELF_TLS);
    /* template at a file offset that is not where the segment puts it */
    make_image();
    add_tls_phdr(DATA_OFF + 4, DATA_VADDR + 8, 0x10, 0x10);
    CU_ASSERT_EQUAL(parse_img(), LIB_ERR_ELF_TLS);
}

static void test_tls_duplicated_or_malformed(void)
{
    add_tls_phdr(DATA_OFF, DATA_VADDR, 0x10, 0x10);
    eh()->e_phnum = 4;
    *ph(3) = *ph(2);
    CU_ASSERT_EQUAL(parse_img(), LIB_ERR_ELF_TLS);
    make_image();
    add_tls_phdr(DATA_OFF, DATA_VADDR, 0x20, 0x10);
    CU_ASSERT_EQUAL(parse_img(), LIB_ERR_ELF_SEG_FILESZ_GT_MEMSZ);
    make_image();
    add_tls_phdr(IMG_SIZE, DATA_VADDR, 0x10, 0x10);
    CU_ASSERT_EQUAL(parse_img(), LIB_ERR_ELF_SEG_OUT_OF_FILE);
}

/* ---- robustness ------------------------------------------------------------ */

static void test_unaligned_image_pointer(void)
{
    uint8_t *buf = malloc(IMG_SIZE + 1);
    struct elf_info info;

    CU_ASSERT_PTR_NOT_NULL_FATAL(buf);
    memcpy(buf + 1, img, IMG_SIZE);        /* UBSan flags misaligned reads */
    CU_ASSERT_EQUAL(err_no(elf_parse(buf + 1, IMG_SIZE, &info)), SYS_ERR_OK);
    CU_ASSERT_EQUAL(info.nsegs, 2);
    free(buf);
}

/* Deterministic corruption of the header bytes (ELF header and program
 * headers): every result is either success or a LIB_ERR_ELF_* code, and
 * ASan sees no stray read. */
static void test_corrupted_headers_never_crash(void)
{
    const size_t hdr_bytes = PHOFF + 3 * sizeof(struct elf32_phdr);
    uint32_t x = 12345;
    uint8_t saved[PHOFF + 3 * sizeof(struct elf32_phdr)];
    bool only_elf_codes = true;

    eh()->e_phnum = 3;
    set_phdr(2, ELF_PT_TLS, DATA_OFF, DATA_VADDR, 0x10, 0x20, PF_R, 4);
    memcpy(saved, img, hdr_bytes);
    for (int round = 0; round < 20000; round++) {
        memcpy(img, saved, hdr_bytes);
        for (int k = 0; k < 1 + round % 4; k++) {
            x = x * 1103515245u + 12345u;
            img[(x >> 8) % hdr_bytes] = (uint8_t)(x >> 24);
        }
        enum errcode c = parse_img();
        only_elf_codes = only_elf_codes && (c == SYS_ERR_OK
            || (c >= LIB_ERR_ELF_TOO_SMALL && c <= LIB_ERR_ELF_TLS));
    }
    CU_ASSERT_TRUE(only_elf_codes);
}

/* ---- load plan -------------------------------------------------------------- */

static void test_segment_pages(void)
{
    struct elf_info info;
    struct elf_pages pg;

    CU_ASSERT_EQUAL_FATAL(err_no(elf_parse(img, IMG_SIZE, &info)), SYS_ERR_OK);
    CU_ASSERT_EQUAL_FATAL(err_no(elf_segment_pages(&info, 1, &pg)), SYS_ERR_OK);
    CU_ASSERT_EQUAL(pg.start, DATA_VADDR);
    CU_ASSERT_EQUAL(pg.size, DATA_MEMSZ);
    CU_ASSERT_EQUAL(pg.flags, VREGION_FLAGS_READ_WRITE);
    CU_ASSERT_EQUAL(pg.copy_to, 0);
    CU_ASSERT_EQUAL(pg.copy_from, DATA_OFF);
    CU_ASSERT_EQUAL(pg.copy_len, DATA_FILESZ);
    CU_ASSERT_EQUAL(err_no(elf_segment_pages(&info, 2, &pg)), LIB_ERR_ELF_SEG_INDEX);
}

static void test_segment_pages_unaligned_segment(void)
{
    struct elf_info info;
    struct elf_pages pg;

    /* data at 0x401f80 (offset 0x1f80), 0x100 bytes: spans two pages */
    set_phdr(1, PT_LOAD, 0x1f80, DATA_VADDR + 0xf80, 0xc0, 0x100, PF_R | PF_W, 0x1000);
    CU_ASSERT_EQUAL_FATAL(err_no(elf_parse(img, IMG_SIZE, &info)), SYS_ERR_OK);
    CU_ASSERT_EQUAL_FATAL(err_no(elf_segment_pages(&info, 1, &pg)), SYS_ERR_OK);
    CU_ASSERT_EQUAL(pg.start, DATA_VADDR);
    CU_ASSERT_EQUAL(pg.size, 0x2000);
    CU_ASSERT_EQUAL(pg.copy_to, 0xf80);
    CU_ASSERT_EQUAL(pg.copy_from, 0x1f80);
    CU_ASSERT_EQUAL(pg.copy_len, 0xc0);
    CU_ASSERT_EQUAL(info.highest, DATA_VADDR + 0x2000);
}

static void test_segment_fill(void)
{
    struct elf_info info;
    uint8_t *buf = malloc(DATA_MEMSZ);
    bool ok = true;

    CU_ASSERT_PTR_NOT_NULL_FATAL(buf);
    CU_ASSERT_EQUAL_FATAL(err_no(elf_parse(img, IMG_SIZE, &info)), SYS_ERR_OK);
    /* whole data pages: file bytes then zeroes */
    memset(buf, 0xee, DATA_MEMSZ);
    CU_ASSERT_EQUAL(err_no(elf_segment_fill(&info, 1, DATA_VADDR, buf, DATA_MEMSZ)), SYS_ERR_OK);
    for (unsigned i = 0; i < DATA_MEMSZ; i++) {
        ok = ok && buf[i] == (i < DATA_FILESZ ? 0x10 + i : 0);
    }
    CU_ASSERT_TRUE(ok);
    /* a piece of text straddling its end: 8 file bytes, 8 zeroes */
    memset(buf, 0xee, 16);
    CU_ASSERT_EQUAL(err_no(elf_segment_fill(&info, 0, TEXT_VADDR + TEXT_SIZE - 8, buf, 16)),
                    SYS_ERR_OK);
    for (unsigned i = 0; i < 16; i++) {
        CU_ASSERT_EQUAL(buf[i], i < 8 ? (uint8_t)(0xA0 + TEXT_SIZE - 8 + i) : 0);
    }
    /* ranges outside the segment's pages */
    CU_ASSERT_EQUAL(err_no(elf_segment_fill(&info, 0, TEXT_VADDR - 1, buf, 1)),
                    LIB_ERR_ELF_FILL_RANGE);
    CU_ASSERT_EQUAL(err_no(elf_segment_fill(&info, 0, TEXT_VADDR + 0xfff, buf, 2)),
                    LIB_ERR_ELF_FILL_RANGE);
    CU_ASSERT_EQUAL(err_no(elf_segment_fill(&info, 0, 0xffffffffu, buf, 2)),
                    LIB_ERR_ELF_FILL_RANGE);
    CU_ASSERT_EQUAL(err_no(elf_segment_fill(&info, 5, TEXT_VADDR, buf, 1)),
                    LIB_ERR_ELF_SEG_INDEX);
    free(buf);
}

/* ---- a real domain ELF ------------------------------------------------------ */

/* Load every segment of *info into heap buffers through the plan, as spawn
 * would, and check the file bytes arrive. */
static void load_all_segments(const struct elf_info *info)
{
    for (size_t i = 0; i < info->nsegs; i++) {
        struct elf_pages pg;
        uint8_t *buf;

        CU_ASSERT_EQUAL_FATAL(err_no(elf_segment_pages(info, i, &pg)), SYS_ERR_OK);
        CU_ASSERT_EQUAL(pg.start % BASE_PAGE_SIZE, 0);
        CU_ASSERT_EQUAL(pg.size % BASE_PAGE_SIZE, 0);
        CU_ASSERT_TRUE(pg.start >= info->lowest && pg.start + pg.size <= info->highest);
        buf = malloc(pg.size);
        CU_ASSERT_PTR_NOT_NULL_FATAL(buf);
        CU_ASSERT_EQUAL(err_no(elf_segment_fill(info, i, pg.start, buf, pg.size)), SYS_ERR_OK);
        CU_ASSERT_EQUAL(memcmp(buf + pg.copy_to, info->image + pg.copy_from, pg.copy_len), 0);
        free(buf);
    }
}

/* A second valid image: three segments (one read-only, sub-page aligned),
 * Thumb entry, TLS template in the data segment. */
static void parse_second_image(void)
{
    struct elf_info info;

    eh()->e_phnum = 4;
    eh()->e_entry = TEXT_VADDR + 0x40 + 1;              /* Thumb */
    set_phdr(2, PT_LOAD, 0x1800, 0x00500800u, 0x20, 0x3000, PF_R, 0x800);
    set_phdr(3, ELF_PT_TLS, DATA_OFF + 0x20, DATA_VADDR + 0x20, 0x10, 0x40, PF_R, 8);
    CU_ASSERT_EQUAL_FATAL(err_no(parse_exact(img, IMG_SIZE, &info)), SYS_ERR_OK);
    CU_ASSERT_EQUAL_FATAL(err_no(elf_parse(img, IMG_SIZE, &info)), SYS_ERR_OK);
    CU_ASSERT_EQUAL(info.entry, TEXT_VADDR + 0x41);
    CU_ASSERT_EQUAL(info.nsegs, 3);
    CU_ASSERT_EQUAL(info.segs[2].flags, VREGION_FLAGS_READ);
    CU_ASSERT_TRUE(info.tls.present);
    CU_ASSERT_EQUAL(info.tls.vaddr, DATA_VADDR + 0x20);
    CU_ASSERT_EQUAL(info.tls.align, 8);
    CU_ASSERT_EQUAL(info.lowest, TEXT_VADDR);
    CU_ASSERT_EQUAL(info.highest, 0x00504000u);
    load_all_segments(&info);
}

static void test_second_valid_image(void)
{
    parse_second_image();
}

/* Read build/domains/init (the tests run from the repository root; `scons
 * test` builds the image, hence init, first). If it is absent, parse the
 * second built image instead, and say so. */
static void test_real_domain_elf(void)
{
    FILE *f = fopen("build/domains/init", "rb");
    struct elf_info info;
    uint32_t file_end = 0;
    uint8_t *file;
    long len;

    if (f == NULL) {
        printf("\n  build/domains/init absent: parsing a second built image instead\n");
        parse_second_image();
        return;
    }
    CU_ASSERT_EQUAL_FATAL(fseek(f, 0, SEEK_END), 0);
    len = ftell(f);
    CU_ASSERT_FATAL(len > 0);
    rewind(f);
    file = malloc((size_t)len);
    CU_ASSERT_PTR_NOT_NULL_FATAL(file);
    CU_ASSERT_EQUAL_FATAL(fread(file, 1, (size_t)len, f), (size_t)len);
    fclose(f);
    CU_ASSERT_EQUAL_FATAL(err_no(parse_exact(file, (size_t)len, &info)), SYS_ERR_OK);
    CU_ASSERT_EQUAL_FATAL(err_no(elf_parse(file, (size_t)len, &info)), SYS_ERR_OK);
    CU_ASSERT_EQUAL(info.entry, ((struct elf32_ehdr *)file)->e_entry);
    CU_ASSERT_TRUE(info.nsegs >= 1);
    CU_ASSERT_TRUE(info.lowest >= ELF_USER_BASE && info.highest <= ELF_USER_LIMIT);
    load_all_segments(&info);
    /* the file is needed exactly up to the end of the last segment data
     * (section headers after it are never read) */
    for (size_t i = 0; i < info.nsegs; i++) {
        if (info.segs[i].offset + info.segs[i].filesz > file_end) {
            file_end = info.segs[i].offset + info.segs[i].filesz;
        }
    }
    CU_ASSERT_EQUAL(err_no(parse_exact(file, file_end, &info)), SYS_ERR_OK);
    CU_ASSERT_EQUAL(err_no(parse_exact(file, file_end - 1, &info)),
                    LIB_ERR_ELF_SEG_OUT_OF_FILE);
    free(file);
}

HOST_SUITE(elf_suite, "elf: validation of executables and the load plan",
           NULL, NULL, make_image,
           HOST_TEST(test_valid_image_parses),
           HOST_TEST(test_valid_image_from_exact_copy),
           HOST_TEST(test_null_arguments),
           HOST_TEST(test_every_truncation_fails),
           HOST_TEST(test_bad_magic),
           HOST_TEST(test_wrong_class),
           HOST_TEST(test_big_endian),
           HOST_TEST(test_bad_version),
           HOST_TEST(test_wrong_machine),
           HOST_TEST(test_dyn_and_rel_rejected),
           HOST_TEST(test_bad_ehsize),
           HOST_TEST(test_phentsize_wrong),
           HOST_TEST(test_phoff_beyond_file),
           HOST_TEST(test_phoff_misaligned_or_in_header),
           HOST_TEST(test_phoff_plus_table_overflows_32_bits),
           HOST_TEST(test_phnum_huge),
           HOST_TEST(test_max_phnum_accepted),
           HOST_TEST(test_phnum_zero),
           HOST_TEST(test_segment_offset_beyond_file),
           HOST_TEST(test_segment_offset_plus_filesz_wraps),
           HOST_TEST(test_filesz_greater_than_memsz),
           HOST_TEST(test_memsz_huge_wraps),
           HOST_TEST(test_segment_below_image_base),
           HOST_TEST(test_segment_in_kernel_half),
           HOST_TEST(test_segment_in_stack_reserve),
           HOST_TEST(test_segments_overlap),
           HOST_TEST(test_segments_share_a_page),
           HOST_TEST(test_segment_align),
           HOST_TEST(test_entry_outside_executable_segment),
           HOST_TEST(test_entry_in_zero_fill_rejected),
           HOST_TEST(test_no_pt_load),
           HOST_TEST(test_empty_load_is_skipped),
           HOST_TEST(test_other_segment_types_ignored),
           HOST_TEST(test_tls_reported),
           HOST_TEST(test_empty_tls_is_absent),
           HOST_TEST(test_tls_outside_loaded_segments),
           HOST_TEST(test_tls_template_mismatch),
           HOST_TEST(test_tls_duplicated_or_malformed),
           HOST_TEST(test_unaligned_image_pointer),
           HOST_TEST(test_corrupted_headers_never_crash),
           HOST_TEST(test_segment_pages),
           HOST_TEST(test_segment_pages_unaligned_segment),
           HOST_TEST(test_segment_fill),
           HOST_TEST(test_second_valid_image),
           HOST_TEST(test_real_domain_elf))
