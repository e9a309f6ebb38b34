/*
 * The first run upcall: where a domain's runtime is put together before
 * main. This is the start-up layer (docs/architecture.md), the one place
 * that ties the runtime's layers together: lib/ below everything, then
 * vspace/, rpc/ and spawn/, then morecore/. Here, and only here, the
 * lower layers get the services they need from above (runtime_init.c).
 */
#include <aos/dispatch.h>
#include <aos/threads.h>
#include <aos/runtime.h>
#include <aos/debug.h>
#include <autarky/bootinfo.h>
#include <stdlib.h>

/* main's stack in a spawned domain: reserved, faulted in as it grows. */
#define MAIN_STACK_SIZE   (1u << 20)

/* Set once the runtime is up (read by _start, lib/arch/armv7/entry.S). */
volatile uint32_t dispatch_started;

int main(int argc, char **argv);

/*
 * main() of this domain: init's straight away (it builds its own
 * runtime), every other domain's after the runtime is up, with the
 * arguments its spawner gave it.
 */
struct main_args {
    int argc;
    char **argv;
};

/* main's thread. A return from main ends the domain right here, as C
 * says, without thread 0 joining this thread first: freeing the stacks of
 * a domain that is about to be revoked whole is wasted work. (If main
 * calls thread_exit instead, thread 0's join still ends the domain.) */
static int main_thread(void *arg)
{
    struct main_args *a = arg;
    exit(main(a->argc, a->argv));
}

static int run_main(char **init_argv)
{
    static struct main_args a;
    struct thread *t;
    errval_t err;
    int status = EXIT_FAILURE;

    if (get_bootinfo() != NULL) {
        return main(1, init_argv);          /* init builds its runtime itself */
    }
    err = runtime_init_child(&a.argc, &a.argv);
    if (err_is_ok(err)) {
        err = thread_spawn(main_thread, &a, MAIN_STACK_SIZE, &t);
    }
    if (err_is_ok(err)) {
        threads_set_program_main(t);
        err = thread_join(t, &status);
    }
    if (err_is_fail(err)) {
        DEBUG_ERR(err, "runtime start-up failed");
        return EXIT_FAILURE;
    }
    return status;
}

/*
 * First run upcall (lib/arch/armv7/entry.S): install the upcall entries,
 * move later upcalls to their own stack, make the running context thread 0
 * (dispatch_install_upcalls), set up the C library, and run main enabled
 * on the stack we were started on.
 */
void __attribute__((noreturn)) dispatch_first_run(struct dispatcher_shared *disp)
{
    static char *argv[] = { NULL, NULL };

    dispatch_install_upcalls(disp);
    libc_glue_init();
    dispatch_started = 1;

    argv[0] = disp->name[0] ? disp->name : "domain";
    disp->disabled = 0;          /* from here on we may be preempted and upcalled */
    exit(run_main(argv));
}
