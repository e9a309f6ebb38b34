/*
 * faulter: faults on purpose, so tests can check that only this domain
 * ends, with a one-line report, and that init gets all its RAM back.
 *
 *   faulter null        NULL dereference on the main thread (no handler):
 *                       the runtime reports it and the domain exits with 1
 *   faulter thread      the same on a second thread
 *   faulter disabled    a fault while the dispatcher is disabled: the
 *                       kernel kills the domain and tells init
 *   faulter handled     a thread's own exception handler skips the faulting
 *                       instruction; exits 0 if it ran exactly once
 *   faulter overflow    a thread recurses until it hits the guard below its
 *                       stack: "stack overflow"
 *   faulter wild        an access where nothing is reserved
 *   faulter readonly    a write to read-only data (a FIXED mapping)
 *
 * Faults on a page that is mapped, but not for that access (a permission
 * fault: mapping cannot resolve it), and faults mapping must not try to
 * resolve. Each prints "faulter: <mode> at 0x<addr>" first, so the test
 * can check that the report names the same address:
 *   faulter exec-heap   call into a malloc'd (touched, so mapped) buffer
 *   faulter exec-fresh  call into a HEAP page never touched
 *   faulter exec-stack  call into an array on the stack
 *   faulter exec-data   call into .data (a FIXED, execute-never mapping)
 *   faulter write-text  a write to main's own code
 *   faulter write-map   a write to a frame mapped read-only (paging_map_frame)
 *   faulter lost-page   a touched heap page whose frame the domain deletes
 *                       itself: the handler must not answer "mapped" forever
 *
 * Every fatal case must end this domain only, with a one-line report
 * naming the reason, and init must get all its RAM back.
 */
#include <aos/threads.h>
#include <aos/dispatch.h>
#include <aos/paging.h>
#include <aos/caps.h>
#include <aos/slot_alloc.h>
#include <aos/ram_alloc.h>
#include <autarky/bootinfo.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Through a volatile variable, so the compiler cannot see it is NULL. */
static volatile uintptr_t null_addr = 0x10;
#define null_ptr ((volatile uint32_t *)null_addr)

static int touch_null(void *arg)
{
    (void)arg;
    return (int)*null_ptr;
}

static volatile int handled;

static bool skip_instruction(enum fault_type type, lvaddr_t addr, uint32_t access,
                             struct arch_registers *regs)
{
    (void)access;
    if (type == FAULT_DATA_ABORT && addr == (lvaddr_t)null_ptr) {
        handled++;
        regs->pc += 4;          /* ARM state: the next instruction */
        return true;
    }
    return false;
}

static const uint32_t read_only_word = 0x600dcafe;

static volatile int depth_limit = 1 << 30;   /* far beyond any stack */

static __attribute__((noinline)) int recurse_deep(int depth)
{
    volatile char frame[512];
    frame[depth % sizeof(frame)] = (char)depth;
    if (depth >= depth_limit) {
        return 0;
    }
    return recurse_deep(depth + 1) + frame[depth % sizeof(frame)];
}

static int overflow_thread(void *arg)
{
    (void)arg;
    return recurse_deep(0);
}

int main(int argc, char **argv);

#define ARM_BX_LR 0xe12fff1eu          /* "return": harmless if it ever ran */

static uint32_t data_code[4] = { ARM_BX_LR };

/* Say where, then call `code` (which must fault: execute-never). */
static int call_at(const char *mode, uint32_t *code)
{
    code[0] = ARM_BX_LR;
    printf("faulter: %s at 0x%08lx\n", mode, (unsigned long)(uintptr_t)code);
    fflush(stdout);
    ((void (*)(void))(uintptr_t)code)();
    printf("faulter: %s returned: the page was executable\n", mode);
    return 0;
}

static int write_at(const char *mode, volatile uint32_t *p)
{
    printf("faulter: %s at 0x%08lx\n", mode, (unsigned long)(uintptr_t)p);
    fflush(stdout);
    *p = 0;
    printf("faulter: %s succeeded: the page was writable\n", mode);
    return 0;
}

/* A frame mapped read-only, then written. */
static int write_mapping(void)
{
    capaddr_t frame;
    void *buf;

    if (err_is_fail(frame_alloc(&frame, BASE_PAGE_SIZE, NULL))
        || err_is_fail(paging_map_frame(get_current_paging_state(), &buf, BASE_PAGE_SIZE,
                                        frame, VREGION_FLAGS_READ))) {
        printf("faulter: no read-only mapping\n");
        return 2;
    }
    return write_at("write-map", buf);
}

/* Does frame cap `f` start with the words `magic`, `tag`? (mapped through
 * a copy: a frame cap is mapped at most once) */
static bool frame_holds(capaddr_t f, uint32_t magic, uint32_t tag)
{
    capaddr_t copy;
    void *va;
    bool found = false;

    if (err_is_fail(slot_alloc(&copy))) {
        return false;
    }
    if (err_is_ok(cap_copy(cptr_cnode(copy), cptr_slot(copy), f))) {
        if (err_is_ok(paging_map_frame(get_current_paging_state(), &va, BASE_PAGE_SIZE, copy,
                                       VREGION_FLAGS_READ))) {
            found = ((volatile uint32_t *)va)[0] == magic
                    && ((volatile uint32_t *)va)[1] == tag;
            paging_unmap(get_current_paging_state(), va);
        }
        cap_delete(copy);
    }
    slot_free(copy);
    return found;
}

/* Touch a heap page, find the pool frame the handler mapped there by its
 * contents, delete that cap (which unmaps the page behind the paging
 * code's back), then touch the page again. */
static int lost_page(void)
{
    const uint32_t magic = 0x105e9a9e;
    volatile uint32_t *page;
    struct capability_info ci;

    if (err_is_fail(paging_alloc(get_current_paging_state(), (void **)&page,
                                 BASE_PAGE_SIZE, BASE_PAGE_SIZE))) {
        return 2;
    }
    page[0] = magic;
    page[1] = (uint32_t)(uintptr_t)page;
    for (cslot_t root = ROOTCN_FREE_SLOTS; root < 4096; root++) {
        errval_t err = cap_identify(CPTR_L1_SLOT | root, &ci);
        if (err_no(err) == SYS_ERR_L1_INDEX_OUT_OF_RANGE) {
            break;                          /* past the root CNode's end */
        }
        if (err_is_fail(err) || ci.type != ObjType_L2CNode) {
            continue;
        }
        for (cslot_t i = 0; i < L2_CNODE_SLOTS; i++) {
            capaddr_t f = CPTR(root, i);
            if (err_is_ok(cap_identify(f, &ci)) && ci.type == ObjType_Frame
                && ci.size == BASE_PAGE_SIZE && frame_holds(f, magic, (uint32_t)(uintptr_t)page)) {
                cap_delete(f);
                printf("faulter: lost-page at 0x%08lx\n", (unsigned long)(uintptr_t)page);
                fflush(stdout);
                return (int)*page;
            }
        }
    }
    printf("faulter: lost-page found no frame holding the page\n");
    return 2;
}

/* The modes that fault on purpose where mapping cannot help; -1 if `what`
 * is none of them. */
static int mapped_fault(const char *what)
{
    uint32_t stack_code[4];

    if (strcmp(what, "exec-heap") == 0) {
        return call_at(what, malloc(64));
    }
    if (strcmp(what, "exec-fresh") == 0) {
        void *buf;
        if (err_is_fail(paging_alloc(get_current_paging_state(), &buf, BASE_PAGE_SIZE,
                                     BASE_PAGE_SIZE))) {
            return 2;
        }
        printf("faulter: %s at 0x%08lx\n", what, (unsigned long)(uintptr_t)buf);
        fflush(stdout);
        ((void (*)(void))(uintptr_t)buf)();     /* never touched: not mapped */
        return 0;
    }
    if (strcmp(what, "exec-stack") == 0) {
        return call_at(what, stack_code);
    }
    if (strcmp(what, "exec-data") == 0) {
        return call_at(what, data_code);
    }
    if (strcmp(what, "write-text") == 0) {
        return write_at(what, (volatile uint32_t *)(uintptr_t)&main);
    }
    if (strcmp(what, "write-map") == 0) {
        return write_mapping();
    }
    if (strcmp(what, "lost-page") == 0) {
        return lost_page();
    }
    return -1;
}

int main(int argc, char **argv)
{
    const char *what = argc > 1 ? argv[1] : "";
    int ret = mapped_fault(what);

    if (ret >= 0) {
        return ret;
    }

    if (strcmp(what, "null") == 0) {
        return touch_null(NULL);
    }
    if (strcmp(what, "thread") == 0) {
        struct thread *t = thread_create(touch_null, NULL);
        int ret = 0;
        thread_join(t, &ret);
        return 0;               /* not reached: the domain ends in the fault */
    }
    if (strcmp(what, "disabled") == 0) {
        get_dispatcher()->disabled = 1;
        return (int)*null_ptr;
    }
    if (strcmp(what, "handled") == 0) {
        thread_set_exception_handler(skip_instruction, NULL, NULL, NULL, NULL, NULL);
        (void)touch_null(NULL);
        printf("faulter: handler ran %d time(s), thread resumed\n", handled);
        return handled == 1 ? 0 : 1;
    }
    if (strcmp(what, "overflow") == 0) {
        struct thread *t = thread_create(overflow_thread, NULL);
        thread_join(t, NULL);
        return 0;
    }
    if (strcmp(what, "wild") == 0) {
        null_addr = 0x6f000000u;         /* nothing is reserved up there */
        return (int)*null_ptr;
    }
    if (strcmp(what, "readonly") == 0) {
        *(volatile uint32_t *)(uintptr_t)&read_only_word = 0;
        return 0;
    }
    printf("usage: faulter null|thread|disabled|handled|overflow|wild|readonly|exec-heap|"
           "exec-fresh|exec-stack|exec-data|write-text|write-map|lost-page\n");
    return 2;
}
