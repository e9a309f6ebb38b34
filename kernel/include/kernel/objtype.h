/*
 * Per-type facts about kernel objects (kernel/cap/objtype.c): which types
 * retype may create, their sizes and alignment, and preparing an object's
 * memory before the first capability to it exists.
 *
 * Private to the capability layer.
 */
#ifndef KERNEL_OBJTYPE_H
#define KERNEL_OBJTYPE_H

#include <kernel/cap.h>

static inline bool objtype_is_cnode(enum objtype t)
{
    return t == ObjType_L1CNode || t == ObjType_L2CNode;
}

static inline bool objtype_is_vnode(enum objtype t)
{
    return t == ObjType_VNode_L1 || t == ObjType_VNode_L2;
}

static inline bool objtype_is_frame(enum objtype t)
{
    return t == ObjType_Frame || t == ObjType_DevFrame;
}

/* Retype from RAM may create this type (not DevFrame, Kernel, IRQ, Null). */
bool objtype_is_retypable(enum objtype t);
/* SYS_ERR_OK if `size` is a valid object size for `t`, else
 * SYS_ERR_RETYPE_INVALID_SIZE. Kernel-made types accept any size. */
errval_t objtype_check_size(enum objtype t, gensize_t size);
/* Natural alignment of an object of type `t` and size `size` (a power of two). */
gensize_t objtype_alignment(enum objtype t, gensize_t size);
/* Prepare fresh memory for an object: zero what a domain can read or the
 * kernel interprets (Frame, CNodes, VNodes, Dispatcher, Endpoint), and mark
 * a Dispatcher's embedded slots with their DCB owner. RAM, DevFrame, Kernel
 * and IRQ are left alone. */
void object_init(enum objtype t, lpaddr_t base, gensize_t size);
/* The two halves of object_init, for retype, which zeroes a whole range
 * in pausable steps: must objects of type `t` start zeroed? and what an
 * object needs once its memory is zero (a Dispatcher's slot owners). */
bool objtype_needs_zero(enum objtype t);
void object_prepare_zeroed(enum objtype t, lpaddr_t base);

#endif
