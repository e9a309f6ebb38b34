/*
 * Object types: sizes, alignment, and initialisation of new objects.
 */
#include <kernel/objtype.h>
#include <kernel/dispatcher.h>
#include <kernel/string.h>
#include <arch/memory.h>

bool objtype_is_retypable(enum objtype t)
{
    switch (t) {
    case ObjType_RAM:
    case ObjType_Frame:
    case ObjType_L1CNode:
    case ObjType_L2CNode:
    case ObjType_VNode_L1:
    case ObjType_VNode_L2:
    case ObjType_Dispatcher:
    case ObjType_Endpoint:
        return true;
    default:
        return false;
    }
}

/* An L1 CNode has N slots, N a power of two in [256, 65536]. */
static bool l1cnode_size_ok(gensize_t size)
{
    gensize_t slots = size / CTE_SIZE;

    return size % CTE_SIZE == 0 && IS_POW2(slots)
        && slots >= L2_CNODE_SLOTS && slots <= L1_CNODE_MAX_SLOTS;
}

errval_t objtype_check_size(enum objtype t, gensize_t size)
{
    bool ok;

    switch (t) {
    case ObjType_RAM:
    case ObjType_Frame:
        ok = size != 0 && size % BASE_PAGE_SIZE == 0;
        break;
    case ObjType_L1CNode:  ok = l1cnode_size_ok(size); break;
    case ObjType_L2CNode:  ok = size == OBJSIZE_L2CNODE; break;
    case ObjType_VNode_L1: ok = size == OBJSIZE_VNODE_L1; break;
    case ObjType_VNode_L2: ok = size == OBJSIZE_VNODE_L2; break;
    case ObjType_Dispatcher: ok = size == OBJSIZE_DISPATCHER; break;
    case ObjType_Endpoint: ok = size == OBJSIZE_ENDPOINT; break;
    case ObjType_DevFrame: ok = size != 0 && size % BASE_PAGE_SIZE == 0; break;
    case ObjType_Kernel:
    case ObjType_IRQ:      ok = true; break;
    case ObjType_IPI:      ok = size == 0; break;
    default:               ok = false; break;
    }
    return ok ? SYS_ERR_OK : SYS_ERR_RETYPE_INVALID_SIZE;
}

gensize_t objtype_alignment(enum objtype t, gensize_t size)
{
    switch (t) {
    case ObjType_RAM:
    case ObjType_Frame:
    case ObjType_DevFrame:
        return BASE_PAGE_SIZE;
    case ObjType_L1CNode:
    case ObjType_L2CNode:
        return OBJSIZE_L2CNODE;
    case ObjType_VNode_L1:
        return OBJSIZE_VNODE_L1;
    case ObjType_VNode_L2:
    case ObjType_Dispatcher:
    case ObjType_Endpoint:
        return size;   /* fixed power-of-two sizes: naturally aligned */
    default:
        return 1;
    }
}

bool objtype_needs_zero(enum objtype t)
{
    switch (t) {
    case ObjType_Frame:
    case ObjType_L1CNode:
    case ObjType_L2CNode:
    case ObjType_VNode_L1:
    case ObjType_VNode_L2:
    case ObjType_Endpoint:
    case ObjType_Dispatcher:
        return true;
    default:
        return false;   /* RAM, DevFrame (device registers!), Kernel, IRQ */
    }
}

void object_prepare_zeroed(enum objtype t, lpaddr_t base)
{
    if (t == ObjType_Dispatcher) {
        struct dcb *dcb = pa_to_kva(base);
        for (int i = 0; i < DCB_NUM_CTES; i++) {
            dcb->ctes[i].owner = CTE_OWNER_DCB_FIRST + i;
        }
    }
}

void object_init(enum objtype t, lpaddr_t base, gensize_t size)
{
    if (objtype_needs_zero(t)) {
        memset(pa_to_kva(base), 0, size);
        object_prepare_zeroed(t, base);
    }
}

_Static_assert(sizeof(struct dcb) <= OBJSIZE_DISPATCHER, "struct dcb must fit its object");
_Static_assert(DCB_NUM_CTES * CTE_SIZE <= OBJSIZE_DISPATCHER, "DCB slots must fit");
