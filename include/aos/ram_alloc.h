/*
 * Getting RAM and frames (lib/ram_alloc.c): in init straight from the
 * memory manager (mm), in every other domain by RPC to init's memory server.
 */
#ifndef AOS_RAM_ALLOC_H
#define AOS_RAM_ALLOC_H

#include <autarky/types.h>
#include <autarky/errors.h>
#include <stdbool.h>

/* A RAM cap of at least `size` bytes aligned to `alignment` (power of two
 * >= BASE_PAGE_SIZE) in a freshly allocated slot; *ret_size = actual size. */
errval_t ram_alloc_aligned(capaddr_t *ret, gensize_t size, gensize_t alignment,
                           gensize_t *ret_size);
errval_t ram_alloc(capaddr_t *ret, gensize_t size);
/* Give RAM back (the cap and its slot are freed). */
errval_t ram_free(capaddr_t ram);
/* Where RAM comes from: init installs its memory manager, every other
 * domain the RPC to init (lib/runtime_init.c). Until then every call
 * fails with LIB_ERR_RAM_ALLOC_NO_BACKEND. */
typedef errval_t (*ram_alloc_backend_fn)(capaddr_t *ret, gensize_t size,
                                         gensize_t alignment, gensize_t *ret_size);
typedef errval_t (*ram_free_backend_fn)(capaddr_t ram);
void ram_alloc_set_backend(ram_alloc_backend_fn alloc, ram_free_backend_fn free);
/* May this thread ask the backend for RAM now, or would that wait for
 * itself (the RPC backend, asked by a thread that is inside an RPC on the
 * same channel, as a page fault in the middle of a call is)? The backend's
 * owner installs the answer; with none installed the answer is yes. */
typedef bool (*ram_alloc_may_ask_fn)(void);
void ram_alloc_set_may_ask(ram_alloc_may_ask_fn may_ask);
bool ram_alloc_may_ask(void);

/* A Frame cap of at least `bytes` (rounded to pages); *ret_bytes = actual. */
errval_t frame_alloc(capaddr_t *ret, gensize_t bytes, gensize_t *ret_bytes);

#endif
