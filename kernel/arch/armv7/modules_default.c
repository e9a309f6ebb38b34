/*
 * The empty boot module table, for kernels linked without modules.
 *
 * kernel.ld places .modules.default after the build's .modules section, so
 * _modules_start points at the real table when the build links one and at
 * this one (magic, count 0) otherwise. Either way _modules_start is a valid
 * struct module_table.
 */
#include <kernel/modules.h>

__attribute__((section(".modules.default"), used, aligned(8)))
static const struct module_table empty_module_table = {
    .magic = MODULE_TABLE_MAGIC,
    .count = 0,
};
