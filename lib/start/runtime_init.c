/*
 * Start-up of a domain's runtime (include/aos/runtime.h): the start-up
 * layer gives the lower layers what they need from above: the slab's
 * default refill (frames mapped by vspace/), RAM from init by RPC and when
 * asking is safe, the exit notice, the console through init.
 *
 * Order matters: the slot allocator comes first (it has 256 free slots in
 * the SLOT_ALLOC0 CNode the spawner left empty, so it needs no RAM yet),
 * then paging (its first metadata comes from a static bootstrap page),
 * then the RPC channel that gives RAM for every later refill.
 */
#include <aos/runtime.h>
#include <aos/slot_alloc.h>
#include <aos/paging.h>
#include <aos/ram_alloc.h>
#include <aos/aos_rpc.h>
#include <aos/spawn.h>
#include <aos/caps.h>
#include <aos/debug.h>
#include <aos/morecore.h>
#include <aos/threads.h>
#include <aos/slab.h>
#include <aos/dispatch.h>

errval_t runtime_init_self(void)
{
    slab_set_default_refill(paging_slab_refill);
    errval_t err = slot_alloc_init();
    if (err_is_ok(err)) {
        err = paging_init();
    }
    if (err_is_ok(err)) {
        err = morecore_init();
    }
    return err;
}

/* Thread stacks from the address space: a lazily backed STACK block with
 * a GUARD below; exception stacks eagerly mapped (they must not fault). */
static void *paging_stack_alloc(size_t bytes, bool exception_stack)
{
    struct paging_state *st = get_current_paging_state();
    void *base, *top;

    if (exception_stack) {
        return err_is_ok(paging_alloc_eager(st, bytes, &base)) ? base : NULL;
    }
    return err_is_ok(paging_alloc_stack(st, bytes, &base, &top)) ? base : NULL;
}

static void paging_stack_free(void *base, bool exception_stack)
{
    struct paging_state *st = get_current_paging_state();

    if (exception_stack) {
        paging_free_eager(st, base);
    } else {
        paging_free_stack(st, base);
    }
}

errval_t runtime_enable_self_paging(void)
{
    static const struct thread_stack_ops ops = { paging_stack_alloc, paging_stack_free };

    threads_set_stack_ops(&ops);
    threads_set_default_exception_handler(paging_fault_handler);
    return thread_set_exception_handler(paging_fault_handler, NULL, NULL, NULL, NULL, NULL);
}

/* RAM from init: the block returns to init when this domain ends. */
static errval_t rpc_ram_alloc(capaddr_t *ret, gensize_t size, gensize_t alignment,
                              gensize_t *ret_size)
{
    size_t got = 0;
    errval_t err = aos_rpc_get_ram_cap(aos_rpc_get_init_channel(), size, alignment,
                                       ret, &got);
    if (err_is_ok(err) && ret_size != NULL) {
        *ret_size = got;
    }
    return err;
}

/* Give the block back to init's memory server (the cap is gone after). */
static errval_t rpc_ram_free(capaddr_t ram)
{
    errval_t err = aos_rpc_free_ram_cap(aos_rpc_get_init_channel(), ram);
    if (err_is_fail(err)) {
        DEBUG_ERR(err, "giving RAM back to init failed");
    }
    return err;
}

/* A thread inside an RPC on the init channel must not ask init for RAM:
 * the answer would wait behind its own call (a page fault mid-call). */
static bool rpc_may_ask_for_ram(void)
{
    struct aos_rpc *rpc = aos_rpc_get_init_channel();
    return rpc == NULL || rpc->lock.holder != thread_self() || !rpc->lock.locked;
}

/* The EXIT RPC: init reclaims this domain once it reads it. */
static bool rpc_exit_notice(int status)
{
    struct aos_rpc *init = aos_rpc_get_init_channel();

    if (init == NULL) {
        return false;
    }
    aos_rpc_exit(init, status);
    return true;
}

errval_t runtime_init_child(int *argc, char ***argv)
{
    static char *args[SPAWN_MAX_ARGS + 1];
    struct aos_rpc *init = aos_rpc_get_init_channel();
    errval_t err;

    if (init == NULL) {
        return LIB_ERR_RPC_NO_CHANNEL;
    }
    ram_alloc_set_backend(rpc_ram_alloc, rpc_ram_free);
    ram_alloc_set_may_ask(rpc_may_ask_for_ram);
    domain_set_exit_notice(rpc_exit_notice);
    libc_glue_use_rpc(init);
    err = runtime_init_self();
    if (err_is_ok(err)) {
        err = runtime_enable_self_paging();
    }
    *argc = spawn_parse_args(args, SPAWN_MAX_ARGS + 1);
    *argv = args;
    return err;
}
