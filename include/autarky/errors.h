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
    X(SYS_ERR_REVOKE_NO_RIGHT,        "revoke needs the REVOKE right (a received or given capability has none)") \
    X(SYS_ERR_REVOKE_GIVEN_AWAY,      "revoke met a descendant given to another core for good (it stays)") \
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
    /* --- message passing (kernel/lmp.c, kernel/object/endpoint.c) --- */ \
    X(SYS_ERR_EP_ALREADY_BOUND,       "endpoint is already bound to a dispatcher") \
    X(SYS_ERR_EP_NOT_BOUND,           "endpoint is not bound to any dispatcher") \
    X(SYS_ERR_LMP_TARGET_DEAD,        "the receiving dispatcher was killed or is not set up") \
    X(SYS_ERR_LMP_BUF_FULL,           "the receiver's message ring is full") \
    X(SYS_ERR_LMP_NO_RECV_SLOT,       "the receiver has no empty slot armed for a capability") \
    X(SYS_ERR_LMP_BAD_FLAGS,          "unknown send flags or more than LMP_MSG_WORDS words") \
    /* --- lib/lmp.c --- */ \
    X(LIB_ERR_LMP_MSG_TOO_LONG,       "more than LMP_MSG_WORDS words or unknown flags") \
    X(LIB_ERR_LMP_SEND_GAVE_UP,       "the receiver stayed full for LMP_SEND_RETRIES attempts") \
    X(LIB_ERR_LMP_RECV_SLOT_NULL,     "cannot arm the null capability address as a receive slot") \
    X(LIB_ERR_LMP_RECV_SLOTS_FULL,    "every receive slot is already armed") \
    /* --- ELF validation (spawn/elf.c) --- */ \
    X(LIB_ERR_ELF_NULL_ARG,           "ELF: NULL image or result pointer") \
    X(LIB_ERR_ELF_TOO_SMALL,          "ELF: file smaller than the ELF header") \
    X(LIB_ERR_ELF_BAD_MAGIC,          "ELF: bad magic number") \
    X(LIB_ERR_ELF_BAD_CLASS,          "ELF: not a 32-bit (ELFCLASS32) file") \
    X(LIB_ERR_ELF_BAD_ENDIAN,         "ELF: not little endian (ELFDATA2LSB)") \
    X(LIB_ERR_ELF_BAD_VERSION,        "ELF: identification or header version is not EV_CURRENT") \
    X(LIB_ERR_ELF_NOT_EXEC,           "ELF: not a static executable (ET_EXEC)") \
    X(LIB_ERR_ELF_BAD_MACHINE,        "ELF: not an ARM (EM_ARM) file") \
    X(LIB_ERR_ELF_BAD_EHSIZE,         "ELF: e_ehsize is not the size of an Elf32 header") \
    X(LIB_ERR_ELF_BAD_PHDR,           "ELF: program header table has a bad entry size, is misaligned or lies outside the file") \
    X(LIB_ERR_ELF_TOO_MANY_SEGMENTS,  "ELF: more program headers than ELF_MAX_SEGMENTS") \
    X(LIB_ERR_ELF_SEG_OUT_OF_FILE,    "ELF: segment data lies outside the file") \
    X(LIB_ERR_ELF_SEG_FILESZ_GT_MEMSZ, "ELF: segment file size exceeds its memory size") \
    X(LIB_ERR_ELF_SEG_RANGE,          "ELF: segment wraps or lies outside the user image range") \
    X(LIB_ERR_ELF_SEG_ALIGN,          "ELF: segment alignment not a power of two or vaddr/offset not congruent") \
    X(LIB_ERR_ELF_SEG_OVERLAP,        "ELF: two loadable segments share a page") \
    X(LIB_ERR_ELF_NO_SEGMENTS,        "ELF: no non-empty PT_LOAD segment") \
    X(LIB_ERR_ELF_ENTRY,              "ELF: entry point not inside an executable segment's file data, or misaligned") \
    X(LIB_ERR_ELF_TLS,                "ELF: PT_TLS duplicated, malformed or not inside one loadable segment") \
    X(LIB_ERR_ELF_SEG_INDEX,          "ELF: segment index beyond elf_info.nsegs") \
    X(LIB_ERR_ELF_FILL_RANGE,         "ELF: fill range not inside the segment's pages") \
    /* --- vspace/paging.c --- */ \
    X(LIB_ERR_PAGING_BAD_RANGE,       "address range outside the user space this state manages") \
    X(LIB_ERR_PAGING_BAD_ARGS,        "size zero, misaligned address or bad flags") \
    X(LIB_ERR_PAGING_NO_VSPACE,       "no free virtual address range that large") \
    X(LIB_ERR_PAGING_L2_TABLE,        "could not create or map a second-level page table") \
    X(LIB_ERR_PAGING_NO_METADATA,     "out of mapping records (slab empty)") \
    X(LIB_ERR_PAGING_MAP,             "mapping the frame failed") \
    X(LIB_ERR_PAGING_NOT_MAPPED,      "no mapping starts at this address") \
    /* --- lib/ram_alloc.c --- */ \
    X(LIB_ERR_RAM_ALLOC_NO_BACKEND,   "no RAM source installed yet") \
    X(LIB_ERR_RAM_ALLOC_BAD_ARGS,     "size zero or alignment not a power of two >= 4 KiB") \
    X(LIB_ERR_RAM_ALLOC,              "getting RAM failed") \
    X(LIB_ERR_FRAME_ALLOC,            "getting a frame failed") \
    /* --- rpc/ and init's server --- */ \
    X(LIB_ERR_RPC_MALFORMED,          "RPC message has the wrong number of words or flags") \
    X(LIB_ERR_RPC_BAD_OP,             "unknown RPC operation") \
    X(LIB_ERR_RPC_UNEXPECTED_CAP,     "RPC message carried a capability it should not") \
    X(LIB_ERR_RPC_NO_FIRST,           "string fragment without a first fragment") \
    X(LIB_ERR_RPC_STRING_TRUNCATED,   "string ended before its declared length") \
    X(LIB_ERR_RPC_STRING_OVERRUN,     "string fragments carried more than the declared length") \
    X(LIB_ERR_RPC_STRING_TOO_LONG,    "string longer than the server accepts (RPC_STRING_MAX)") \
    X(LIB_ERR_RPC_NO_MEMORY,          "the server is out of memory for this request") \
    X(LIB_ERR_RPC_UNKNOWN_CLIENT,     "message from a badge the server does not know (reserved: such messages are dropped, there is nobody to answer)") \
    X(LIB_ERR_RPC_BAD_REPLY,          "the reply does not match the request") \
    X(LIB_ERR_RPC_SEND,               "sending the RPC request failed") \
    X(LIB_ERR_RPC_NO_CHANNEL,         "this domain has no channel to init") \
    X(LIB_ERR_RPC_NULL_ARG,           "NULL where the call needs a result pointer") \
    /* --- spawn/ --- */ \
    X(LIB_ERR_SPAWN_NO_MEMORY,        "spawn: out of memory for bookkeeping") \
    X(LIB_ERR_SPAWN_FRAME_TOO_BIG,    "spawn: frame larger than the 1 MiB copy window") \
    X(LIB_ERR_SPAWN_MAP,              "spawn: mapping into the child failed") \
    X(LIB_ERR_SPAWN_CSPACE,           "spawn: building the child's cspace failed") \
    X(LIB_ERR_SPAWN_ELF,              "spawn: loading the ELF image failed") \
    X(LIB_ERR_SPAWN_IMAGE_RANGE,      "spawn: image too large: it must end by 0x2000_0000, 508 MiB from 0x0040_0000 (SPAWN_IMAGE_LIMIT)") \
    X(LIB_ERR_SPAWN_ARGS,             "spawn: no arguments, too many, or too long for the page") \
    X(LIB_ERR_SPAWN_DISPATCHER,       "spawn: building the child's dispatcher failed") \
    /* --- slab allocator (lib/slab.c, vspace/slab_frames.c) --- */ \
    X(LIB_ERR_SLAB_GROW_TOO_SMALL,    "slab buffer cannot hold a slab header and one object") \
    X(LIB_ERR_SLAB_FREE_INVALID,      "object was not carved from this slab allocator") \
    X(LIB_ERR_SLAB_REFILL,            "slab refill function failed") \
    X(LIB_ERR_SLAB_REFILL_FRAME,      "slab refill could not allocate a frame") \
    X(LIB_ERR_SLAB_REFILL_MAP,        "slab refill could not map its frame") \
    X(LIB_ERR_SLAB_NO_DEFAULT_REFILL, "no default slab refill installed yet") \
    /* --- capability slot allocator (lib/slot_alloc.c) --- */ \
    X(LIB_ERR_SLOT_NOT_INITIALISED,   "slot allocator used before slot_alloc_init") \
    X(LIB_ERR_SLOT_INIT_ARGS,         "invalid slot allocator parameters") \
    X(LIB_ERR_SLOT_ALLOC_NO_SPACE,    "no free capability slot left") \
    X(LIB_ERR_SLOT_ROOT_FULL,         "no free root CNode slot left for a new L2 CNode") \
    X(LIB_ERR_SLOT_REFILL,            "could not grow the slot allocator by a new L2 CNode") \
    X(LIB_ERR_SLOT_REFILL_RAM,        "no RAM for a new L2 CNode") \
    X(LIB_ERR_SLOT_REFILL_RETYPE,     "retyping RAM into a new L2 CNode failed") \
    X(LIB_ERR_SLOT_FREE_UNKNOWN,      "slot was never handed out by the slot allocator") \
    X(LIB_ERR_SLOT_DOUBLE_FREE,       "slot is already free") \
    /* --- memory manager (lib/mm.c) --- */ \
    X(LIB_ERR_MM_INIT_ARGS,           "invalid memory manager argument (NULL)") \
    X(LIB_ERR_MM_OUT_OF_MEMORY,       "no free block large enough") \
    X(LIB_ERR_MM_BAD_SIZE,            "size zero or larger than 2 GiB") \
    X(LIB_ERR_MM_BAD_ALIGNMENT,       "alignment is not a power of two or larger than 2 GiB") \
    X(LIB_ERR_MM_BAD_REGION,          "added RAM is not a naturally aligned power of two >= 4 KiB") \
    X(LIB_ERR_MM_REGION_OVERLAP,      "added RAM overlaps RAM the memory manager already has") \
    X(LIB_ERR_MM_TOO_MANY_REGIONS,    "memory manager region table is full") \
    X(LIB_ERR_MM_NOT_ALLOCATED,       "no allocated block at this base and size") \
    X(LIB_ERR_MM_DOUBLE_FREE,         "block is already free") \
    X(LIB_ERR_MM_WRONG_CAP,           "capability is not a RAM capability for this block") \
    X(LIB_ERR_MM_NO_NODE,             "out of memory manager bookkeeping nodes") \
    X(LIB_ERR_MM_SLOT,                "memory manager could not get or free a slot") \
    X(LIB_ERR_MM_SPLIT,               "retype splitting a block into halves failed") \
    X(LIB_ERR_MM_COPY,                "copying a block's capability failed") \
    X(LIB_ERR_MM_REVOKE,              "revoking the capabilities of a freed block failed") \
    X(LIB_ERR_MM_COALESCE,            "merging two free buddies failed") \
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
    X(LIB_ERR_THREAD_IN_HANDLER,      "cannot change the exception stack while running on it") \
    /* --- init --- */ \
    X(INIT_ERR_NO_SUCH_MODULE,        "no boot module of that name") \
    X(INIT_ERR_BAD_COMMAND,           "command cannot be parsed (unclosed quote or too many words)") \
    X(INIT_ERR_NO_SUCH_PID,           "no domain with that pid was ever started") \
    X(INIT_ERR_NOT_SPAWNABLE,         "that module is a system service and runs once (init)") \
    X(INIT_ERR_NO_MONITOR,            "no monitor runs on this core to bind to (or the caller is it)") \
    X(INIT_ERR_NO_SUCH_CORE,          "no such core (the machine has fewer)") \
    X(INIT_ERR_PIDS_EXHAUSTED,        "this core has handed out all its 999,999 pids (they are never reused)") \
    X(INIT_ERR_CORE_UNREACHABLE,      "no link leads to that core's init") \
    X(INIT_ERR_CORE_LINK_FULL,        "too many messages wait for room on the link to that core") \
    X(INIT_ERR_TOO_MANY_REMOTE,       "too many calls to other cores are waiting for their answers") \
    X(INIT_ERR_REMOTE_QUOTA,          "this domain has the most calls pending on other cores one domain may (REMOTE_PER_CLIENT, 8)") \
    X(INIT_ERR_BAD_ANSWER,            "another core's init answered with a malformed message") \
    X(INIT_ERR_CORE_DEAD,             "that core's init has died: nothing runs or starts there any more") \
    X(INIT_ERR_CORE_NO_ANSWER,        "another core's init did not answer within 2 s") \
    X(INIT_ERR_NO_RAM_TO_GIVE,        "core 0 keeps what it has left for itself (64 MiB beyond the request)") \
    X(INIT_ERR_CORE_NOT_UP,           "another core's init did not come up within 5 s of its start") \
    X(INIT_ERR_BAD_NAME,              "command line empty, too long, with a path or a NUL byte") \
    X(INIT_ERR_TOO_MANY_PROCS,        "too many domains running") \
    X(INIT_ERR_ALREADY_ENDED,         "that domain has already ended") \
    X(INIT_ERR_KILL_INIT,             "init and the system services cannot be killed") \
    X(INIT_ERR_TOO_MANY_WAITERS,      "too many domains wait for that one") \
    X(INIT_ERR_ALREADY_WAITING,       "this domain waits for that one already (one WAIT at a time)") \
    X(INIT_ERR_RAM_RESERVED,          "the rest of RAM is kept for domains that hold little (this one holds much)") \
    X(INIT_ERR_VMMAP_NOT_YET,         "that domain has not listed its address space yet") \
    X(INIT_ERR_VMMAP_BUSY,            "that domain was changing its address space: ask again") \
    X(INIT_ERR_VMMAP_GARBLED,         "that domain's list of its address space is not valid") \
    /* --- buddy allocator of the address space (vspace/buddy.c) --- */ \
    X(LIB_ERR_BUDDY_INIT_ARGS,        "buddy init: base not aligned to the range, order outside 12..31, range above 2 GiB or slab objects too small") \
    X(LIB_ERR_BUDDY_NO_SPACE,         "no free aligned block of virtual space large enough") \
    X(LIB_ERR_BUDDY_BAD_SIZE,         "size zero or larger than the managed range") \
    X(LIB_ERR_BUDDY_BAD_ALIGNMENT,    "alignment not a power of two or too large, or base not page aligned") \
    X(LIB_ERR_BUDDY_BAD_TAG,          "block tag is not HEAP, STACK, GUARD or FIXED") \
    X(LIB_ERR_BUDDY_OUT_OF_RANGE,     "address range outside the buddy's managed range") \
    X(LIB_ERR_BUDDY_RANGE_NOT_FREE,   "requested virtual range overlaps allocated blocks") \
    X(LIB_ERR_BUDDY_FOREIGN,          "address is not the start of an allocated block") \
    X(LIB_ERR_BUDDY_DOUBLE_FREE,      "address lies in free virtual space (block already free)") \
    X(LIB_ERR_BUDDY_NOT_ALLOCATED,    "address lies in free virtual space, not in an allocated block") \
    X(LIB_ERR_BUDDY_NO_NODE,          "out of buddy nodes (node slab empty)") \
    /* --- self-paging (vspace/fault.c) --- */ \
    X(LIB_ERR_PAGING_NO_RAM,          "no RAM for the frame pool") \
    X(LIB_ERR_SPAWN_NOT_ACCOUNTED,    "spawn: that RAM block was never given to this domain") \
    X(LIB_ERR_MORECORE_NO_HEAP,       "the layout has no HEAP block for the heap") \
    X(LIB_ERR_SPAWN_LAYOUT,           "spawn: the child's layout has more sections than the arguments page holds") \
    /* --- kernel safety rules (docs/safety.md) --- */ \
    X(SYS_ERR_VNODE_TABLE_SHARED,     "a page table can only be mapped through its only capability (map it before copying it)") \
    X(LIB_ERR_RPC_NO_ANSWER,          "a pull for an answer that is not going out (none with that op and sequence number)") \
    X(SYS_ERR_TOO_MANY_COPIES,        "a RAM capability has at most RAM_MAX_COPIES (64) copies") \
    X(SYS_ERR_RETYPE_RUN_TOO_LONG,    "retype below the high-water mark of a RAM capability with over 512 descendants: place it above, or revoke first") \
    X(SYS_ERR_RETYPE_TOO_MANY,        "retype creates at most 256 objects per call") \
    X(SYS_ERR_CORE_NOT_BOOT,          "only the boot core's kernel starts other cores") \
    X(SYS_ERR_CORE_INVALID,           "no such core (0 is the boot core, the others are below the machine's count)") \
    X(SYS_ERR_CORE_STARTED,           "that core is already running") \
    X(SYS_ERR_CORE_RAM_SIZE,          "a new core's RAM must be 1 MiB aligned and at least 4 MiB") \
    X(SYS_ERR_RAM_GIVEN_IN_USE,       "RAM given away for good must have no other copy and nothing retyped from it") \
    X(SYS_ERR_RAM_GIVEN_FULL,         "this core's table of RAM given to other cores is full") \
    X(SYS_ERR_DOORBELL_FULL,          "this core has no free doorbell left (1,023 dispatchers hold one)") \
    X(SYS_ERR_IPI_INVALID,            "no such core, or a doorbell number outside 1..1023") \
    X(SYS_ERR_GIFTS_FULL,             "every entry for RAM on its way between cores is in use (32)") \
    X(SYS_ERR_GIFT_INVALID,           "no RAM gift of that number waits for this core") \
    X(SYS_ERR_CORE_START_FAILED,      "the firmware (PSCI CPU_ON) did not start the core") \
    X(SYS_ERR_RESTART,                "kernel-internal: the operation paused to let interrupts in and the call is made again (never returned to a domain)") \
    X(SYS_ERR_LOANS_FULL,             "every entry for frames lent between cores is in use (64)") \
    X(SYS_ERR_LOAN_INVALID,           "no loan of that number in the state this call needs for this core, or not its frame") \
    X(SYS_ERR_LOAN_IN_USE,            "the borrower still holds a copy, descendant or mapping of the lent frame: revoke it first") \
    X(SYS_ERR_LOAN_CLAIMED,           "the lent frame is still claimed by the borrower: it has not come back yet") \
    X(SYS_ERR_LOAN_SIZE,              "a lent frame is at most 1 MiB") \
    X(SYS_ERR_REVOKE_LENT,            "revoke met the kernel's pin of a frame lent to another core (it stays until the loan returns)") \
    X(SYS_ERR_DISP_EXIT_EP_LOCKED,    "an installed exit endpoint is changed only through a Dispatcher capability with REVOKE (its creator's)") \
    /* --- messages between cores over a shared frame (lib/ump.c, docs/ump.md) --- */ \
    X(LIB_ERR_UMP_ARGS,               "UMP: NULL channel or result pointer, NULL words with a non-zero count, or an unknown side") \
    X(LIB_ERR_UMP_BUF,                "UMP: channel buffer not 64-byte aligned, or its size not a multiple of 128 within UMP_CHAN_MIN_BYTES..UMP_CHAN_MAX_BYTES") \
    X(LIB_ERR_UMP_SEND_TOO_LONG,      "UMP: message longer than UMP_MSG_MAX_WORDS (1024) words") \
    X(LIB_ERR_UMP_FULL,               "UMP: the ring has no room for every fragment of the message (nothing was sent)") \
    X(LIB_ERR_UMP_EMPTY,              "UMP: no message waiting") \
    X(LIB_ERR_UMP_RECV_TOO_LONG,      "UMP: message longer than the receive buffer (it was dropped; its length is returned)") \
    X(LIB_ERR_UMP_MALFORMED,          "UMP: the peer wrote a slot with a bad sequence number, fragment flags or length (skipped)") \
    X(LIB_ERR_UMP_BAD_ACK,            "UMP: the peer acknowledged slots never sent, or fewer than before (nothing was sent)") \
    /* --- channels between domains on different cores (docs/multikernel.md) --- */ \
    X(LIB_ERR_XCHAN_CLOSED,           "the channel is closed: the peer ended, closed it, or its core died") \
    X(LIB_ERR_XCHAN_FULL,             "the channel's ring stayed full: the peer does not read it") \
    X(LIB_ERR_XCHAN_NO_CAP,           "a capability cannot travel over a channel between cores") \
    X(INIT_ERR_CHAN_SAME_CORE,        "that domain runs on this core: use LMP, channels are between cores") \
    X(INIT_ERR_CHAN_NOT_ACCEPTING,    "that domain does not wait to accept a channel") \
    X(INIT_ERR_CHAN_BUSY,             "this domain already waits to accept or connect") \
    X(INIT_ERR_CHAN_TOO_MANY,         "this core's monitor holds the most channel ends it keeps (CHAN_MAX, 32; none without its pool), or this domain the most it may hold (CHAN_PER_DOMAIN, 8)") \
    X(INIT_ERR_CHAN_INVALID,          "no channel of that number belongs to this domain") \
    X(INIT_ERR_ASK_MONITOR,           "that call names another core: it goes to this core's monitor (aos_rpc_get_monitor_channel), not to init") \
    X(INIT_ERR_ASK_INIT,              "that call names this core: init answers it, not the monitor")

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
