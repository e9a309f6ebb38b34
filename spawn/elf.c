/*
 * ELF executable validation and segment load plan (include/aos/elf.h).
 *
 * Everything here is pure: no allocation, no capability, no global state.
 * Headers are copied out of the image with memcpy before any field is
 * used, so the image needs no alignment and no field is read before the
 * bytes holding it are known to be inside the file. All sums of two file
 * fields are done in 64 bits, so nothing wraps. The rules are listed in
 * docs/elf.md; each broken rule has its own LIB_ERR_ELF_* code.
 */
#include <aos/elf.h>
#include <string.h>

_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
               "elf.c reads little-endian ELF fields natively");
_Static_assert(sizeof(struct elf32_ehdr) == 52, "Elf32 header is 52 bytes");
_Static_assert(sizeof(struct elf32_phdr) == 32, "Elf32 program header is 32 bytes");

/*
 * Is [off, off + len) inside a file of `size` bytes?
 * Invariant: computed in 64 bits, so off + len cannot wrap.
 */
static bool in_file(uint32_t off, uint64_t len, size_t size)
{
    return (uint64_t)off + len <= (uint64_t)size;
}

/*
 * Is `align` a valid p_align (0 and 1 mean "no constraint", else a power of
 * two) and, when it constrains, are vaddr and offset congruent modulo it
 * (gABI rule)? Our loader copies bytes rather than mapping file pages, so
 * congruence is not needed to load, but a file breaking it was not made by
 * a correct linker.
 */
static errval_t check_align(uint32_t align, uint32_t vaddr, uint32_t offset)
{
    if (align > 1 && !IS_POW2(align)) {
        return LIB_ERR_ELF_SEG_ALIGN;
    }
    if (align > 1 && vaddr % align != offset % align) {
        return LIB_ERR_ELF_SEG_ALIGN;
    }
    return SYS_ERR_OK;
}

/*
 * Check the ELF header *eh of a file of `size` bytes, which the caller has
 * already found to be at least sizeof(*eh) long. On success the program
 * header table, phnum entries of exactly sizeof(struct elf32_phdr) bytes at
 * the 4-aligned offset e_phoff, lies inside the file after the ELF header,
 * and phnum <= ELF_MAX_SEGMENTS.
 */
static errval_t check_ehdr(const struct elf32_ehdr *eh, size_t size)
{
    if (eh->e_ident[0] != ELFMAG0 || eh->e_ident[1] != 'E'
        || eh->e_ident[2] != 'L' || eh->e_ident[3] != 'F') {
        return LIB_ERR_ELF_BAD_MAGIC;
    }
    if (eh->e_ident[ELF_EI_CLASS] != ELFCLASS32) {
        return LIB_ERR_ELF_BAD_CLASS;
    }
    if (eh->e_ident[ELF_EI_DATA] != ELFDATA2LSB) {
        return LIB_ERR_ELF_BAD_ENDIAN;
    }
    if (eh->e_ident[ELF_EI_VERSION] != EV_CURRENT || eh->e_version != EV_CURRENT) {
        return LIB_ERR_ELF_BAD_VERSION;
    }
    if (eh->e_type != ET_EXEC) {
        return LIB_ERR_ELF_NOT_EXEC;
    }
    if (eh->e_machine != EM_ARM) {
        return LIB_ERR_ELF_BAD_MACHINE;
    }
    if (eh->e_ehsize != sizeof(struct elf32_ehdr)) {
        return LIB_ERR_ELF_BAD_EHSIZE;
    }
    if (eh->e_phentsize != sizeof(struct elf32_phdr)) {
        return LIB_ERR_ELF_BAD_PHDR;
    }
    if (eh->e_phnum > ELF_MAX_SEGMENTS) {
        return LIB_ERR_ELF_TOO_MANY_SEGMENTS;
    }
    if (eh->e_phoff % 4 != 0 || eh->e_phoff < sizeof(struct elf32_ehdr)
        || !in_file(eh->e_phoff, (uint64_t)eh->e_phnum * sizeof(struct elf32_phdr), size)) {
        return LIB_ERR_ELF_BAD_PHDR;
    }
    return SYS_ERR_OK;
}

/*
 * The rules every segment with file data obeys (PT_LOAD and PT_TLS): its
 * bytes are inside the file, filesz <= memsz, and its alignment is valid.
 */
static errval_t check_seg_common(const struct elf32_phdr *ph, size_t size)
{
    if (!in_file(ph->p_offset, ph->p_filesz, size)) {
        return LIB_ERR_ELF_SEG_OUT_OF_FILE;
    }
    if (ph->p_filesz > ph->p_memsz) {
        return LIB_ERR_ELF_SEG_FILESZ_GT_MEMSZ;
    }
    return check_align(ph->p_align, ph->p_vaddr, ph->p_offset);
}

/* First and one-past-last page address of a checked segment. Invariant:
 * vaddr + memsz <= ELF_USER_LIMIT < 2^32, so neither rounding wraps. */
static uint32_t seg_page_lo(const struct elf_segment *s)
{
    return ROUND_DOWN(s->vaddr, BASE_PAGE_SIZE);
}

static uint32_t seg_page_hi(const struct elf_segment *s)
{
    return ROUND_UP(s->vaddr + s->memsz, BASE_PAGE_SIZE);
}

/*
 * Check one non-empty PT_LOAD segment against the user range and against
 * the n segments already accepted in segs[0, n), and append it as segs[n].
 * The caller guarantees n < ELF_MAX_SEGMENTS (phnum bounds it) and that
 * check_seg_common passed. Segments may not share even a page: the loader
 * maps whole pages with one segment's rights.
 */
static errval_t add_load_segment(const struct elf32_phdr *ph,
                                 struct elf_segment *segs, size_t n)
{
    struct elf_segment s = {
        .vaddr = ph->p_vaddr, .memsz = ph->p_memsz, .filesz = ph->p_filesz,
        .offset = ph->p_offset, .flags = 0,
    };

    if (ph->p_vaddr < ELF_USER_BASE
        || (uint64_t)ph->p_vaddr + ph->p_memsz > ELF_USER_LIMIT) {
        return LIB_ERR_ELF_SEG_RANGE;
    }
    for (size_t j = 0; j < n; j++) {
        if (seg_page_lo(&s) < seg_page_hi(&segs[j])
            && seg_page_lo(&segs[j]) < seg_page_hi(&s)) {
            return LIB_ERR_ELF_SEG_OVERLAP;
        }
    }
    if (ph->p_flags & PF_R) {
        s.flags |= VREGION_FLAGS_READ;
    }
    if (ph->p_flags & PF_W) {
        s.flags |= VREGION_FLAGS_WRITE;
    }
    if (ph->p_flags & PF_X) {
        s.flags |= VREGION_FLAGS_EXECUTE;
    }
    segs[n] = s;
    return SYS_ERR_OK;
}

/*
 * Check the PT_TLS header *ph (check_seg_common passed) against the loaded
 * segments of *info and record it in info->tls. An empty PT_TLS (memsz 0,
 * as the linker emits when no thread-local variable exists) means no TLS,
 * whatever its address. Otherwise the whole block [vaddr, vaddr + memsz)
 * lies in one loaded segment, and its template [vaddr, vaddr + filesz) is
 * that segment's file data at the matching file offset, so the runtime can
 * copy the template out of its own loaded image.
 */
static errval_t add_tls(const struct elf32_phdr *ph, struct elf_info *info)
{
    if (ph->p_memsz == 0) {
        return SYS_ERR_OK;
    }
    for (size_t i = 0; i < info->nsegs; i++) {
        const struct elf_segment *s = &info->segs[i];
        uint64_t s_end = (uint64_t)s->vaddr + s->memsz;
        if (ph->p_vaddr < s->vaddr || (uint64_t)ph->p_vaddr + ph->p_memsz > s_end) {
            continue;
        }
        if (ph->p_filesz != 0
            && ((uint64_t)ph->p_vaddr + ph->p_filesz > (uint64_t)s->vaddr + s->filesz
                || ph->p_offset - s->offset != ph->p_vaddr - s->vaddr)) {
            return LIB_ERR_ELF_TLS;
        }
        info->tls.present = true;
        info->tls.vaddr = ph->p_vaddr;
        info->tls.filesz = ph->p_filesz;
        info->tls.memsz = ph->p_memsz;
        info->tls.align = ph->p_align;
        return SYS_ERR_OK;
    }
    return LIB_ERR_ELF_TLS;
}

/*
 * Is the entry point inside the file data of an executable segment? Bit 0
 * set selects Thumb (the address is entry & ~1, halfword aligned by
 * construction); bit 0 clear is ARM and must be word aligned. The file data
 * (not the zero-filled rest) is required: zeroes are not a program.
 */
static errval_t check_entry(uint32_t entry, const struct elf_info *info)
{
    uint32_t pc = entry & ~1u;

    if ((entry & 1u) == 0 && entry % 4 != 0) {
        return LIB_ERR_ELF_ENTRY;
    }
    for (size_t i = 0; i < info->nsegs; i++) {
        const struct elf_segment *s = &info->segs[i];
        if ((s->flags & VREGION_FLAGS_EXECUTE) && pc >= s->vaddr
            && pc - s->vaddr < s->filesz) {
            return SYS_ERR_OK;
        }
    }
    return LIB_ERR_ELF_ENTRY;
}

/*
 * Validate image[0, size) and fill *info (see elf.h). Order: the ELF header
 * (nothing else is read before it passed), then each program header in
 * file order (PT_LOAD checked and recorded, at most one PT_TLS remembered,
 * every other type ignored), then the TLS block against the segments, then
 * the entry point. The first broken rule decides the error.
 */
errval_t elf_parse(const void *image, size_t size, struct elf_info *info)
{
    const uint8_t *file = image;
    struct elf32_ehdr eh;
    struct elf32_phdr tls_ph = { 0 };
    bool have_tls = false;
    errval_t err;

    if (info == NULL || (image == NULL && size != 0)) {
        return LIB_ERR_ELF_NULL_ARG;
    }
    memset(info, 0, sizeof(*info));
    if (image == NULL || size < sizeof(eh)) {
        return LIB_ERR_ELF_TOO_SMALL;
    }
    memcpy(&eh, file, sizeof(eh));
    err = check_ehdr(&eh, size);
    if (err_is_fail(err)) {
        return err;
    }

    for (size_t i = 0; i < eh.e_phnum; i++) {
        struct elf32_phdr ph;
        memcpy(&ph, file + eh.e_phoff + i * sizeof(ph), sizeof(ph));
        if (ph.p_type != PT_LOAD && ph.p_type != ELF_PT_TLS) {
            continue;
        }
        err = check_seg_common(&ph, size);
        if (err_is_fail(err)) {
            return err;
        }
        if (ph.p_type == ELF_PT_TLS) {
            if (have_tls) {
                return LIB_ERR_ELF_TLS;
            }
            tls_ph = ph;
            have_tls = true;
            continue;
        }
        if (ph.p_memsz == 0) {
            continue;   /* loads nothing: not recorded, takes no page */
        }
        err = add_load_segment(&ph, info->segs, info->nsegs);
        if (err_is_fail(err)) {
            return err;
        }
        info->nsegs++;
    }
    if (info->nsegs == 0) {
        return LIB_ERR_ELF_NO_SEGMENTS;
    }
    if (have_tls) {
        err = add_tls(&tls_ph, info);
        if (err_is_fail(err)) {
            return err;
        }
    }
    err = check_entry(eh.e_entry, info);
    if (err_is_fail(err)) {
        return err;
    }

    info->image = file;
    info->size = size;
    info->entry = eh.e_entry;
    info->lowest = seg_page_lo(&info->segs[0]);
    info->highest = seg_page_hi(&info->segs[0]);
    for (size_t i = 1; i < info->nsegs; i++) {
        if (seg_page_lo(&info->segs[i]) < info->lowest) {
            info->lowest = seg_page_lo(&info->segs[i]);
        }
        if (seg_page_hi(&info->segs[i]) > info->highest) {
            info->highest = seg_page_hi(&info->segs[i]);
        }
    }
    return SYS_ERR_OK;
}

/*
 * The pages of info->segs[index] (info from a successful elf_parse). The
 * page range covers the whole segment and, by elf_parse's overlap rule, no
 * page of any other segment.
 */
errval_t elf_segment_pages(const struct elf_info *info, size_t index,
                           struct elf_pages *pages)
{
    const struct elf_segment *s;

    if (info == NULL || pages == NULL) {
        return LIB_ERR_ELF_NULL_ARG;
    }
    if (index >= info->nsegs) {
        return LIB_ERR_ELF_SEG_INDEX;
    }
    s = &info->segs[index];
    pages->start = seg_page_lo(s);
    pages->size = seg_page_hi(s) - pages->start;
    pages->flags = s->flags;
    pages->copy_to = s->vaddr - pages->start;
    pages->copy_from = s->offset;
    pages->copy_len = s->filesz;
    return SYS_ERR_OK;
}

/*
 * Fill dst[0, len) with the contents of [vaddr, vaddr + len) of segment
 * index's pages: zero, except where the range meets the segment's file data
 * [s.vaddr, s.vaddr + s.filesz), which is copied from the image. Reads only
 * image[s.offset, s.offset + s.filesz), inside the file by elf_parse.
 */
errval_t elf_segment_fill(const struct elf_info *info, size_t index,
                          uint32_t vaddr, void *dst, size_t len)
{
    struct elf_pages pg;
    const struct elf_segment *s;
    uint64_t lo, hi;
    errval_t err;

    if (info == NULL || (dst == NULL && len != 0)) {
        return LIB_ERR_ELF_NULL_ARG;
    }
    err = elf_segment_pages(info, index, &pg);
    if (err_is_fail(err)) {
        return err;
    }
    if (vaddr < pg.start || (uint64_t)vaddr + len > (uint64_t)pg.start + pg.size) {
        return LIB_ERR_ELF_FILL_RANGE;
    }
    if (len == 0) {
        return SYS_ERR_OK;
    }
    s = &info->segs[index];
    memset(dst, 0, len);
    /* intersection of [vaddr, vaddr + len) with the file data */
    lo = vaddr > s->vaddr ? vaddr : s->vaddr;
    hi = (uint64_t)vaddr + len;
    if (hi > (uint64_t)s->vaddr + s->filesz) {
        hi = (uint64_t)s->vaddr + s->filesz;
    }
    if (lo < hi) {
        memcpy((uint8_t *)dst + (lo - vaddr),
               info->image + s->offset + (lo - s->vaddr), (size_t)(hi - lo));
    }
    return SYS_ERR_OK;
}
