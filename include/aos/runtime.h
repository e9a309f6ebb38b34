/*
 * Start-up of the domain runtime (lib/start/): what runs between the first
 * upcall and main(). The start-up layer is the only part of the runtime
 * that ties its layers together (docs/architecture.md).
 *
 *   init      nothing here: init's main builds the memory server first and
 *             then calls runtime_init_self() with its own RAM source.
 *   others    runtime_init_child(): slot allocator, paging, heap, the
 *             page-fault handler, RAM from init by RPC, console through
 *             init, argv from the arguments page; then main runs on a
 *             thread of its own (a lazily backed stack with a guard).
 */
#ifndef AOS_RUNTIME_H
#define AOS_RUNTIME_H

#include <autarky/errors.h>

/* The slot allocator and paging for this domain; RAM must already have a
 * source (ram_alloc_set_backend). */
errval_t runtime_init_self(void);
/* From here on threads get stacks from the address space and every thread
 * (this one too) has the page-fault handler: the heap and stacks fault in. */
errval_t runtime_enable_self_paging(void);
/* Everything a spawned domain needs before main; fills argv. */
errval_t runtime_init_child(int *argc, char ***argv);

/* The C library's console (lib/start/libc_glue.c): set up by the first run
 * upcall; with an RPC channel, output and input go through init. */
struct aos_rpc;
void libc_glue_init(void);
void libc_glue_use_rpc(struct aos_rpc *rpc);

#endif
