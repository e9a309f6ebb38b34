/*
 * Building init, the first domain, out of the boot image.
 *
 * The kernel has no heap: every object init starts with is carved from the
 * free RAM after the kernel image by a bump allocator (boot_alloc) and
 * becomes an original capability in init's cspace (layout in
 * include/autarky/bootinfo.h). What is left of RAM afterwards goes to init
 * as RAM capabilities: from then on the kernel allocates nothing.
 *
 * Order matters: the DCB is created (and zeroed) first, its slots then hold
 * the cspace root from which every other slot is reached.
 */
#include <kernel/startup.h>
#include <kernel/dispatcher.h>
#include <kernel/sched.h>
#include <kernel/cap.h>
#include <kernel/elf_boot.h>
#include <kernel/modules.h>
#include <kernel/printk.h>
#include <kernel/string.h>
#include <kernel/core.h>
#include <kernel/mdb.h>
#include <autarky/bootinfo.h>
#include <autarky/layout.h>
#include <arch/memory.h>

struct init_builder {
    lpaddr_t next, end;            /* bump allocator over free RAM */
    struct dcb *dcb;
    struct cte *rootcn, *taskcn, *pagecn, *supercn, *modulecn, *segcn;
    struct cte *l1;                /* PAGECN slot 0 */
    cslot_t next_l2, next_seg;     /* next free slot in PAGECN / SEGCN */
    uint8_t l2_slot[VNODE_L1_USER_ENTRIES]; /* PAGECN slot per L1 entry, 0 = none */
    struct bootinfo *bootinfo;
};

static struct init_builder ib;
static struct cte *boot_dispatcher_slot;  /* temporary home of the DCB cap (boot_alloc'd:
                                             MDB links are physical addresses) */

/* The boot modules' frames, for the cores core 0 starts (core_start). */
static lpaddr_t module_pa[BOOTINFO_MAX_MODULES];
static uint32_t n_module_pa;

uint32_t startup_module_frames(lpaddr_t *pa, uint32_t max)
{
    uint32_t n = n_module_pa < max ? n_module_pa : max;

    memcpy(pa, module_pa, n * sizeof(*pa));
    return n;
}

static void check(errval_t err, const char *what)
{
    if (err_is_fail(err)) {
        panic("building init: %s failed: %s", what, err_getcode(err_no(err)));
    }
}

/* Allocate `size` bytes of free RAM aligned to `align` (both powers of two
 * or page multiples). */
/* Slots for RAM this core gives to others (kernel/cap/given.c): one per
 * core started, the rest for RAM that moves between cores. */
#define GIVEN_SLOTS 64

static lpaddr_t boot_alloc(gensize_t size, gensize_t align)
{
    lpaddr_t base = ROUND_UP(ib.next, align);
    if (base < ib.next || base > ib.end || size > ib.end - base) {
        panic("building init: out of memory for %u bytes", (unsigned)size);
    }
    ib.next = base + size;
    return base;
}

/* A new object of `type` in slot `slot` of `cnode`. */
static struct cte *boot_object(struct cte *cnode, cslot_t slot, enum objtype type,
                               gensize_t size, gensize_t align)
{
    struct cte *dest = cnode_slot(cnode, slot);
    check(caps_create_boot(dest, type, boot_alloc(size, align), size,
                           CAP_RIGHTS_ALL), "create object");
    return dest;
}

/* The L2 table covering user address `va`, created and mapped on demand. */
static struct cte *boot_l2_for(lvaddr_t va)
{
    uint32_t l1_index = va >> SECTION_BITS;
    struct cte *l2;

    if (ib.l2_slot[l1_index] == 0) {
        if (ib.next_l2 >= L2_CNODE_SLOTS) {
            panic("building init: PAGECN full");
        }
        ib.l2_slot[l1_index] = ib.next_l2++;
        l2 = boot_object(ib.pagecn, ib.l2_slot[l1_index], ObjType_VNode_L2,
                         OBJSIZE_VNODE_L2, OBJSIZE_VNODE_L2);
        check(vnode_map(ib.l1, l2, l1_index, VREGION_FLAGS_READ_WRITE
                        | VREGION_FLAGS_EXECUTE, 0, 1), "map L2 table");
    }
    return cnode_slot(ib.pagecn, ib.l2_slot[l1_index]);
}

/* Map all of `frame` at `va`; it must not cross a 1 MiB boundary. */
static void boot_map(struct cte *frame, lvaddr_t va, uint32_t flags)
{
    uint32_t pages = frame->cap.size / BASE_PAGE_SIZE;
    uint32_t entry = (va >> BASE_PAGE_BITS) % VNODE_L2_ENTRIES;
    check(vnode_map(boot_l2_for(va), frame, entry, flags, 0, pages), "map frame");
}

/* A new zeroed frame in SEGCN mapped at [va, va + size). */
static struct cte *boot_segment_frame(lvaddr_t va, gensize_t size, uint32_t flags)
{
    struct cte *frame;
    if (ib.next_seg >= L2_CNODE_SLOTS) {
        panic("building init: SEGCN full (image too large)");
    }
    frame = boot_object(ib.segcn, ib.next_seg++, ObjType_Frame, size, BASE_PAGE_SIZE);
    boot_map(frame, va, flags);
    return frame;
}

/* Load one PT_LOAD segment, one frame per 1 MiB-aligned piece. */
static void boot_load_segment(const char *image, const struct elf32_phdr *ph)
{
    uint32_t flags = VREGION_FLAGS_READ
        | ((ph->p_flags & PF_W) ? VREGION_FLAGS_WRITE : 0)
        | ((ph->p_flags & PF_X) ? VREGION_FLAGS_EXECUTE : 0);
    lvaddr_t va = ROUND_DOWN(ph->p_vaddr, BASE_PAGE_SIZE);
    lvaddr_t end = ROUND_UP(ph->p_vaddr + ph->p_memsz, BASE_PAGE_SIZE);

    while (va < end) {
        lvaddr_t piece_end = ROUND_DOWN(va, SECTION_SIZE) + SECTION_SIZE;
        if (piece_end > end || piece_end == 0) {
            piece_end = end;
        }
        struct cte *frame = boot_segment_frame(va, piece_end - va, flags);
        char *dst = pa_to_kva(frame->cap.base);
        /* copy the part of the file data that falls into this piece */
        lvaddr_t lo = va > ph->p_vaddr ? va : ph->p_vaddr;
        lvaddr_t hi = ph->p_vaddr + ph->p_filesz;
        if (hi > piece_end) {
            hi = piece_end;
        }
        if (lo < hi) {
            memcpy(dst + (lo - va), image + ph->p_offset + (lo - ph->p_vaddr), hi - lo);
        }
        va = piece_end;
    }
}

/* Map init's ELF image; returns its entry point. */
static lvaddr_t boot_load_elf(const struct module_entry *mod, const char *image)
{
    const struct elf32_ehdr *eh = (const void *)image;
    const char *why = elf_boot_validate(image, mod->size);
    const struct elf32_phdr *ph;

    if (why != NULL) {
        panic("init ELF rejected: %s", why);
    }
    ph = elf_boot_phdrs(image);
    for (int i = 0; i < eh->e_phnum; i++) {
        if (ph[i].p_type == PT_LOAD && ph[i].p_memsz != 0) {
            boot_load_segment(image, &ph[i]);
        }
    }
    return eh->e_entry;
}

/* The DCB and the root of init's cspace with its L2 CNodes. */
static void boot_cspace(void)
{
    lpaddr_t dcb_pa = boot_alloc(OBJSIZE_DISPATCHER, OBJSIZE_DISPATCHER);

    boot_dispatcher_slot = pa_to_kva(boot_alloc(CTE_SIZE, CTE_SIZE));
    cte_clear(boot_dispatcher_slot);
    check(caps_create_boot(boot_dispatcher_slot, ObjType_Dispatcher, dcb_pa,
                           OBJSIZE_DISPATCHER, CAP_RIGHTS_ALL), "create DCB");
    ib.dcb = pa_to_kva(dcb_pa);
    ib.rootcn = &ib.dcb->ctes[DCB_CTE_CSPACE];
    check(caps_create_boot(ib.rootcn, ObjType_L1CNode,
                           boot_alloc(OBJSIZE_L1CNODE_MIN, OBJSIZE_L1CNODE_MIN),
                           OBJSIZE_L1CNODE_MIN, CAP_RIGHTS_ALL), "create root CNode");
    ib.rootcn->owner = CTE_OWNER_DCB_FIRST + DCB_CTE_CSPACE;

    struct cte **l2s[] = { &ib.taskcn, &ib.pagecn, NULL, &ib.supercn,
                           &ib.modulecn, &ib.segcn };
    for (cslot_t i = 0; i < ROOTCN_FREE_SLOTS; i++) {
        struct cte *cn = boot_object(ib.rootcn, i, ObjType_L2CNode,
                                     OBJSIZE_L2CNODE, OBJSIZE_L2CNODE);
        if (l2s[i] != NULL) {
            *l2s[i] = cn;
        }
    }
    check(caps_copy(cnode_slot(ib.taskcn, TASKCN_SLOT_TASKCN), ib.taskcn,
                    CAP_RIGHTS_ALL, 0), "copy TASKCN");
    check(caps_copy(cnode_slot(ib.taskcn, TASKCN_SLOT_ROOTCN), ib.rootcn,
                    CAP_RIGHTS_ALL, 0), "copy root CNode");
    check(caps_copy(cnode_slot(ib.taskcn, TASKCN_SLOT_DISPATCHER),
                    boot_dispatcher_slot, CAP_RIGHTS_ALL, 0), "copy DCB cap");
    check(caps_delete(boot_dispatcher_slot), "drop temporary DCB cap");
}

/* init's page tables, dispatcher frame and boot info page. */
static void boot_vspace(void)
{
    struct cte *disp, *bi;
    gensize_t bi_size = ROUND_UP(sizeof(struct bootinfo), BASE_PAGE_SIZE);

    ib.l1 = boot_object(ib.pagecn, 0, ObjType_VNode_L1, OBJSIZE_VNODE_L1,
                        OBJSIZE_VNODE_L1);
    ib.next_l2 = 1;
    check(caps_copy(&ib.dcb->ctes[DCB_CTE_VSPACE], ib.l1, CAP_RIGHTS_ALL, 0),
          "copy vspace into DCB");
    ib.dcb->ctes[DCB_CTE_VSPACE].owner = CTE_OWNER_DCB_FIRST + DCB_CTE_VSPACE;

    disp = boot_object(ib.taskcn, TASKCN_SLOT_DISPFRAME, ObjType_Frame,
                       BASE_PAGE_SIZE, BASE_PAGE_SIZE);
    check(caps_copy(&ib.dcb->ctes[DCB_CTE_DISPFRAME], disp, CAP_RIGHTS_ALL, 0),
          "copy dispatcher frame into DCB");
    ib.dcb->ctes[DCB_CTE_DISPFRAME].owner = CTE_OWNER_DCB_FIRST + DCB_CTE_DISPFRAME;
    boot_map(disp, USER_DISP_VADDR, VREGION_FLAGS_READ_WRITE);

    bi = boot_object(ib.taskcn, TASKCN_SLOT_BOOTINFO, ObjType_Frame, bi_size,
                     BASE_PAGE_SIZE);
    boot_map(bi, USER_BOOTINFO_VADDR, VREGION_FLAGS_READ);
    ib.bootinfo = pa_to_kva(bi->cap.base);
}

/*
 * A Frame in MODULECN for every boot module, over the module's own bytes in
 * the image (each starts on a page; nothing is copied): read only, shared
 * by every core's init, never freed.
 */
static void boot_modules(const struct module_table *table)
{
    struct bootinfo *bi = ib.bootinfo;

    for (uint32_t i = 0; i < table->count && i < BOOTINFO_MAX_MODULES; i++) {
        const struct module_entry *m = &table->entries[i];
        gensize_t size = ROUND_UP(m->size ? m->size : 1, BASE_PAGE_SIZE);
        lpaddr_t pa = kva_to_pa((const char *)table + m->offset);
        check(caps_create_existing(cnode_slot(ib.modulecn, i), ObjType_Frame, pa, size,
                                   CAP_RIGHTS_ALL & ~CAP_RIGHT_WRITE), "module frame");
        module_pa[i] = pa;
        n_module_pa = i + 1;
        strlcpy(bi->modules[i].name, m->name, BOOTINFO_NAME_LEN);
        bi->modules[i].size = m->size;
        bi->modules[i].cap = CPTR(ROOTCN_SLOT_MODULECN, i);
        bi->n_modules = i + 1;
    }
}

/*
 * Free RAM starts at a multiple of this, so that its layout (the blocks
 * below, and so what every later allocation costs: the memory server's
 * splits, the order of capabilities in the kernel's database) stays the
 * same while the image grows or shrinks within one MiB. Without it the
 * spawn figures moved by a few per cent with changes that touched no code
 * on their path (docs/benchmarks.md). The gap costs half a MiB on average.
 */
#define FREE_RAM_ALIGN (1u << 20)

/* Hand all remaining RAM to init as naturally aligned power-of-two RAM caps. */
static gensize_t boot_free_ram(void)
{
    gensize_t total = 0;
    struct bootinfo *bi = ib.bootinfo;
    lpaddr_t base = ROUND_UP(ib.next, FREE_RAM_ALIGN);
    lpaddr_t end = ROUND_DOWN(ib.end, BASE_PAGE_SIZE);

    while (base < end && bi->n_regions < BOOTINFO_MAX_REGIONS) {
        gensize_t size = base ? (base & -base) : (1u << 31);  /* alignment of base */
        while (size > end - base) {
            size >>= 1;
        }
        cslot_t slot = bi->n_regions;
        check(caps_create_boot(cnode_slot(ib.supercn, slot), ObjType_RAM, base,
                               size, CAP_RIGHTS_ALL), "create RAM cap");
        bi->regions[slot] = (struct mem_region){ base, size,
                                                 CPTR(ROOTCN_SLOT_SUPERCN, slot) };
        bi->n_regions++;
        base += size;
        total += size;
    }
    return total;
}

/* Special caps only init holds: the Kernel cap; core 0's init the UART,
 * another core's init the frame it shares with core 0's. */
static void boot_special_caps(const struct core_boot_params *core)
{
    check(caps_create_boot(cnode_slot(ib.taskcn, TASKCN_SLOT_KERNELCAP),
                           ObjType_Kernel, 0, 0, CAP_RIGHTS_ALL), "create Kernel cap");
    if (core == NULL) {
        check(caps_create_boot(cnode_slot(ib.taskcn, TASKCN_SLOT_UART),
                               ObjType_DevFrame, PL011_PHYS_BASE, BASE_PAGE_SIZE,
                               CAP_RIGHTS_ALL & ~CAP_RIGHT_EXECUTE), "create UART cap");
    } else if (core->channel_size != 0) {
        check(caps_create_existing(cnode_slot(ib.taskcn, TASKCN_SLOT_CORECHAN),
                                   ObjType_Frame, core->channel_pa, core->channel_size,
                                   CAP_RIGHTS_ALL & ~CAP_RIGHT_REVOKE), "core channel frame");
    }
}

static const struct module_entry *find_module(const struct module_table *t,
                                              const char *name)
{
    for (uint32_t i = 0; i < t->count; i++) {
        if (strncmp(t->entries[i].name, name, MODULE_NAME_LEN) == 0) {
            return &t->entries[i];
        }
    }
    return NULL;
}

/*
 * The first domain is the boot module "init", or the one a command line
 * starting with "root=NAME " names (the kernel test domain, say: the
 * `kernel-*` boot command lists, site_scons/boot.py). *cmdline is left
 * at what follows, which is what the first domain gets.
 */
static const struct module_entry *root_module(const struct module_table *t,
                                              const char **cmdline, char name[MODULE_NAME_LEN])
{
    const char *c = *cmdline, *end;
    size_t len;

    strlcpy(name, "init", MODULE_NAME_LEN);
    if (strncmp(c, "root=", 5) == 0) {
        c += 5;
        for (end = c; *end != '\0' && *end != ' '; end++) {
        }
        len = (size_t)(end - c) < MODULE_NAME_LEN - 1 ? (size_t)(end - c) : MODULE_NAME_LEN - 1;
        memcpy(name, c, len);
        name[len] = '\0';
        *cmdline = *end == ' ' ? end + 1 : end;
    }
    return find_module(t, name);
}

void startup_init(const struct boot_memory *mem)
{
    const struct module_table *table = mem->modules;
    const struct module_entry *init_mod;
    const char *cmdline = mem->cmdline ? mem->cmdline : "";
    char name[MODULE_NAME_LEN];
    struct dispatcher_shared *disp;
    lvaddr_t entry;

    if (table == NULL || table->magic != MODULE_TABLE_MAGIC) {
        panic("no boot module table in the image");
    }
    init_mod = root_module(table, &cmdline, name);
    if (init_mod == NULL) {
        panic("no boot module named '%s'", name);
    }
    ib.next = mem->free_base;
    ib.end = mem->free_end;
    if (mem->core == NULL) {
        /* core 0: the memory every core's CPU driver will share */
        struct kernel_shared *shared = pa_to_kva(boot_alloc(KERNEL_SHARED_BYTES,
                                                            BASE_PAGE_SIZE));
        memset(shared, 0, KERNEL_SHARED_BYTES);
        core_init_boot(mem->ncores, shared);
    }
    caps_given_init(pa_to_kva(boot_alloc(GIVEN_SLOTS * CTE_SIZE, CTE_SIZE)), GIVEN_SLOTS);
    loans_init(kernel_shared()->loans, pa_to_kva(boot_alloc(CORE_LOANS * CTE_SIZE, CTE_SIZE)),
               core_id(), core_count());

    boot_cspace();
    boot_vspace();
    entry = boot_load_elf(init_mod, (const char *)table + init_mod->offset);
    boot_segment_frame(USER_STACK_TOP - USER_INIT_STACK_SIZE, USER_INIT_STACK_SIZE,
                       VREGION_FLAGS_READ_WRITE);   /* init's boot stack */
    boot_modules(table);
    boot_special_caps(mem->core);

    ib.bootinfo->ram_base = mem->ram_base;
    ib.bootinfo->ram_size = mem->ram_size;
    ib.bootinfo->core_id = core_id();
    ib.bootinfo->ncores = core_count();
    ib.bootinfo->n_l2_vnodes = ib.next_l2 - 1;
    ib.bootinfo->n_segment_frames = ib.next_seg;
    strlcpy(ib.bootinfo->cmdline, cmdline, BOOTINFO_CMDLINE_LEN);
    gensize_t free_bytes = boot_free_ram();   /* last: nothing is allocated after this */

    disp = dcb_shared(ib.dcb);
    disp->udisp = USER_DISP_VADDR;
    disp->entry_run = entry;
    disp->upcall_sp = USER_STACK_TOP;
    disp->bootinfo = USER_BOOTINFO_VADDR;
    strlcpy(disp->name, name, DISP_NAME_LEN);
    ib.dcb->disp_uva = USER_DISP_VADDR;
    ib.dcb->state = DCB_STOPPED;
    ib.dcb->domain_id = 0;
    core_set_root(ib.dcb);
    sched_make_runnable(ib.dcb);

    printk("autarky: core %u: %s loaded: entry 0x%08x, %u RAM caps, %u MiB free, %u modules\n",
           (unsigned)core_id(), name, (unsigned)entry, (unsigned)ib.bootinfo->n_regions,
           (unsigned)(free_bytes >> 20), (unsigned)ib.bootinfo->n_modules);
}
