/*
 * Helpers shared by the files of spawn/ (not a public interface).
 */
#ifndef SPAWN_INTERNAL_H
#define SPAWN_INTERNAL_H

#include <aos/spawn.h>
#include <autarky/captypes.h>

errval_t cap_list_add(struct cap_list *l, capaddr_t cap);
errval_t spawn_slot(struct spawninfo *si, capaddr_t *ret);
errval_t spawn_ram(struct spawninfo *si, gensize_t bytes, gensize_t align,
                   capaddr_t *ret);
void spawn_ram_free(capaddr_t ram);
errval_t spawn_table_ram(void *ctx, capaddr_t *ret, gensize_t bytes);
errval_t spawn_object(struct spawninfo *si, enum objtype type, gensize_t size,
                      capaddr_t *ret);
errval_t spawn_carve(struct spawninfo *si, gensize_t bytes, capaddr_t *ram,
                     gensize_t *offset);
errval_t spawn_fill_frame(capaddr_t frame, size_t bytes,
                          void (*fill)(void *buf, size_t bytes, void *ctx), void *ctx);
errval_t spawn_map_region(struct spawninfo *si, lvaddr_t vaddr, size_t bytes,
                          uint32_t flags, capaddr_t *first_frame,
                          void (*fill)(void *, size_t, lvaddr_t, void *), void *ctx);

#endif
