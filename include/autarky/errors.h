/*
 * errval_t: one error code per failure, shared by kernel and user space.
 *
 * An errval_t holds a stack of up to six 10-bit codes: the newest code in
 * the low bits, its causes above it (Barrelfish's err_push is the model).
 * The kernel only ever returns a single code; the user library pushes its
 * own codes on top (see include/aos/debug.h, issue "Domain runtime").
 *
 * Every code has a name and a one-line description in ERRCODE_LIST, so a
 * printer can show the whole chain. Codes are grouped by module:
 *   SYS_ERR_*   the CPU driver (kernel) and its invocations
 *   LIB_ERR_*   the domain runtime (added by later issues below the
 *               marker line; never renumber an existing code)
 */
#ifndef AUTARKY_ERRORS_H
#define AUTARKY_ERRORS_H

#include <stdint.h>
#include <stdbool.h>

typedef uint64_t errval_t;

#define ERRCODE_LIST(X) \
    X(SYS_ERR_OK,                     "success") \
    /* --- syscall layer --- */ \
    X(SYS_ERR_ILLEGAL_SYSCALL,        "unknown system call number") \
    X(SYS_ERR_ILLEGAL_INVOCATION,     "command not defined for this capability type") \
    X(SYS_ERR_INVALID_USER_BUFFER,    "user buffer not mapped readable at user level") \
    X(SYS_ERR_INVALID_ARGS,           "invalid argument") \
    /* --- capability addressing --- */ \
    X(SYS_ERR_L1_INDEX_OUT_OF_RANGE,  "cptr's level-1 index beyond the root CNode") \
    X(SYS_ERR_L2_CNODE_NOT_FOUND,     "level-1 slot holds no L2 CNode") \
    X(SYS_ERR_SLOT_EMPTY,             "capability slot is empty") \
    X(SYS_ERR_SLOT_IN_USE,            "destination slot is occupied") \
    X(SYS_ERR_SLOT_OUT_OF_RANGE,      "slot index beyond the CNode") \
    X(SYS_ERR_DEST_NOT_CNODE,         "destination capability is not a CNode") \
    X(SYS_ERR_WRONG_CAP_TYPE,         "capability has the wrong type for this operation") \
    X(SYS_ERR_NO_RIGHTS,              "capability lacks the rights for this operation") \
    X(SYS_ERR_NOT_COPYABLE,           "capability type cannot be copied") \
    /* --- retype --- */ \
    X(SYS_ERR_RETYPE_NOT_RAM,         "only RAM capabilities can be retyped") \
    X(SYS_ERR_RETYPE_INVALID_TYPE,    "objects of this type cannot be created by retype") \
    X(SYS_ERR_RETYPE_INVALID_SIZE,    "object size invalid for this type") \
    X(SYS_ERR_RETYPE_INVALID_OFFSET,  "retype offset misaligned or outside the source") \
    X(SYS_ERR_RETYPE_INVALID_COUNT,   "object count zero or objects do not fit the source") \
    X(SYS_ERR_RETYPE_OVERLAP,         "retype range overlaps existing descendants") \
    /* --- delete / revoke --- */ \
    X(SYS_ERR_REVOKE_DELETED_SELF,    "revoke deleted the revoked capability itself (it lived in a revoked CNode)") \
    /* --- mapping --- */ \
    X(SYS_ERR_VNODE_INDEX,            "entry index outside the page table") \
    X(SYS_ERR_VNODE_KERNEL_RANGE,     "entry index in the kernel half of the address space") \
    X(SYS_ERR_VNODE_SLOT_INUSE,       "page-table entry already holds a mapping") \
    X(SYS_ERR_VNODE_TYPE_MISMATCH,    "this capability type cannot be mapped into this table") \
    X(SYS_ERR_ALREADY_MAPPED,         "capability is already mapped (map a copy instead)") \
    X(SYS_ERR_NOT_MAPPED,             "capability is not mapped") \
    X(SYS_ERR_MAPPED_ELSEWHERE,       "capability is mapped, but not in this table") \
    X(SYS_ERR_FRAME_OFFSET,           "page offset/count outside the frame") \
    X(SYS_ERR_MAP_RIGHTS,             "mapping rights exceed the capability's rights") \
    X(SYS_ERR_MAP_FLAGS,              "unknown mapping flag bits") \
    /* --- dispatcher / kernel cap --- */ \
    X(SYS_ERR_DISP_NOT_SETUP,         "dispatcher has no cspace/vspace/frame yet") \
    X(SYS_ERR_DISP_FRAME_SIZE,        "dispatcher frame is smaller than one page") \
    X(SYS_ERR_DISP_ALREADY_RUNNABLE,  "dispatcher is already runnable") \
    X(SYS_ERR_DISP_NOT_RUNNABLE,      "dispatcher is not runnable") \
    X(SYS_ERR_NO_RUNNABLE_DOMAIN,     "no other domain to run") \
    /* ==== LIB_ERR_* and later modules go below this line ==== */ \
    X(LIB_ERR_NOT_IMPLEMENTED,        "not implemented") \
    X(SYS_ERR_L1_SLOT_TYPE,           "an L1 CNode slot can only hold an L2 CNode capability") \
    X(SYS_ERR_VNODE_TABLE_ARGS,       "a page table maps into exactly one L1 entry (count 1, offset 0, no modify)") \
    X(SYS_ERR_BADGE_INVALID,          "badges are only for unbadged Endpoint capabilities") \
    /* --- threads (lib/threads.c, lib/thread_sync.c) --- */ \
    X(LIB_ERR_THREAD_CREATE_ARGS,     "thread_create: no function or a stack size too small") \
    X(LIB_ERR_THREAD_ALLOC_TCB,       "thread_create: out of memory for the thread control block") \
    X(LIB_ERR_THREAD_ALLOC_STACK,     "thread_create: out of memory for the thread's stack") \
    X(LIB_ERR_THREAD_ALLOC_EXC_STACK, "out of memory for the thread's exception stack") \
    X(LIB_ERR_THREAD_ALLOC_TLS,       "thread_create: out of memory for the thread's TLS block") \
    X(LIB_ERR_THREAD_INVALID,         "not a live thread of this domain") \
    X(LIB_ERR_THREAD_JOIN_SELF,       "a thread cannot join itself") \
    X(LIB_ERR_THREAD_JOIN_BUSY,       "another thread is already joining this thread") \
    X(LIB_ERR_THREAD_JOIN_MAIN,       "the main thread (id 0) cannot be joined") \
    X(LIB_ERR_THREAD_EXC_STACK_ARGS,  "exception stack: base and top must both be given, base < top") \
    X(LIB_ERR_THREAD_IN_HANDLER,      "cannot change the exception stack while running on it")

enum errcode {
#define ERRCODE_ENUM(name, desc) name,
    ERRCODE_LIST(ERRCODE_ENUM)
#undef ERRCODE_ENUM
    ERRCODE_COUNT
};

#define ERR_CODE_BITS 10
#define ERR_CODE_MASK ((1u << ERR_CODE_BITS) - 1)

static inline enum errcode err_no(errval_t e) { return (enum errcode)(e & ERR_CODE_MASK); }
static inline bool err_is_ok(errval_t e)   { return err_no(e) == SYS_ERR_OK; }
static inline bool err_is_fail(errval_t e) { return !err_is_ok(e); }

/* Push a new code on top of an existing error (its cause). */
static inline errval_t err_push(errval_t cause, enum errcode code)
{
    return (cause << ERR_CODE_BITS) | (errval_t)code;
}
/* The cause below the newest code. */
static inline errval_t err_pop(errval_t e) { return e >> ERR_CODE_BITS; }

/* Name of one code, e.g. "SYS_ERR_SLOT_EMPTY" (never NULL). Header-only so
 * the kernel and every domain share the one table above. */
static inline const char *err_getcode(enum errcode code)
{
    static const char *const names[] = {
#define ERRCODE_NAME(name, desc) #name,
        ERRCODE_LIST(ERRCODE_NAME)
#undef ERRCODE_NAME
    };
    return (unsigned)code < ERRCODE_COUNT ? names[code] : "UNKNOWN_ERROR";
}

/* One-line description of one code (never NULL). */
static inline const char *err_getstring(enum errcode code)
{
    static const char *const descs[] = {
#define ERRCODE_DESC(name, desc) desc,
        ERRCODE_LIST(ERRCODE_DESC)
#undef ERRCODE_DESC
    };
    return (unsigned)code < ERRCODE_COUNT ? descs[code] : "unknown error code";
}

#endif
