/*
 * Spawning a boot module by name (include/aos/spawn.h). The modules are
 * the Frames the kernel made over the boot image's programs (bootinfo,
 * MODULECN): only the first domain of a core holds them. Each module is
 * mapped read-only into the spawner once, at its first spawn, and stays
 * mapped: every later child's ELF is read from there, and its read-only
 * segments map the module's own pages (spawn_load with the frame).
 */
#include <aos/spawn.h>
#include <aos/paging.h>
#include <aos/dispatch.h>
#include <autarky/bootinfo.h>
#include <string.h>

static const void *module_image[BOOTINFO_MAX_MODULES];

/* Boot module `name` (its index in bootinfo), mapped into us. */
static errval_t find_module(const char *name, uint32_t *index)
{
    const struct bootinfo *bi = get_bootinfo();

    for (uint32_t i = 0; i < bi->n_modules; i++) {
        const struct boot_module_info *m = &bi->modules[i];
        if (strncmp(m->name, name, BOOTINFO_NAME_LEN) != 0) {
            continue;
        }
        if (module_image[i] == NULL) {
            void *buf;
            size_t bytes = (m->size + BASE_PAGE_SIZE - 1) & ~(size_t)(BASE_PAGE_SIZE - 1);
            errval_t err = paging_map_frame(get_current_paging_state(), &buf, bytes,
                                            m->cap, VREGION_FLAGS_READ);
            if (err_is_fail(err)) {
                return err;
            }
            module_image[i] = buf;
        }
        *index = i;
        return SYS_ERR_OK;
    }
    return INIT_ERR_NO_SUCH_MODULE;
}

errval_t spawn_load_module(struct spawninfo *si, int argc, const char *const argv[],
                           capaddr_t parent_ep, uint32_t badge)
{
    const struct boot_module_info *m;
    uint32_t i;
    errval_t err = argc >= 1 ? find_module(argv[0], &i) : LIB_ERR_SPAWN_ARGS;

    if (err_is_fail(err)) {
        return err;
    }
    m = &get_bootinfo()->modules[i];
    return spawn_load(si, module_image[i], m->size, m->cap, argc, argv, parent_ep, badge);
}
