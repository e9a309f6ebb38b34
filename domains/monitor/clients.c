/*
 * The monitor's server for the domains of its core (clients.h).
 */
#include "clients.h"
#include <aos/caps.h>
#include <aos/lmp.h>
#include <aos/rpc_serve.h>
#include <aos/slot_alloc.h>
#include <autarky/bootinfo.h>

static struct monitor_frame *frame;
static capaddr_t recv_slot;         /* armed for a cap a client should not send */

errval_t clients_init(struct monitor_frame *f)
{
    errval_t err = slot_alloc(&recv_slot);

    if (err_is_ok(err)) {
        err = lmp_arm_recv_slot(recv_slot);
    }
    frame = f;
    return err;
}

/* The client whose pid is `badge`, with its endpoint: false if init lists
 * no such client (then nobody is answered). */
static bool find_client(uint32_t badge, struct rpc_client *c)
{
    if (badge == 0) {
        return false;
    }
    for (uint32_t i = 0; i < MONITOR_CLIENTS; i++) {
        if (frame->client_pid[i] == badge) {
            __atomic_thread_fence(__ATOMIC_ACQUIRE);    /* its endpoint is there */
            c->ep = CPTR(ROOTCN_SLOT_TASKCN, MONITOR_SLOT_CLIENT + i);
            return true;
        }
    }
    return false;
}

/* Delete a capability that came with a message and arm its slot again. */
static void drop_cap(capaddr_t cap)
{
    cap_delete(cap);
    lmp_arm_recv_slot(cap);
}

/* One request of client `c` (badge `badge`). */
static void dispatch(struct rpc_client *c, const struct lmp_msg *m, uint32_t badge)
{
    uint32_t op = m->nwords > 0 ? RPC_HDR_OP(m->words[0]) : 0;
    uint32_t flags = m->nwords > 0 ? RPC_HDR_FLAGS(m->words[0]) : 0;

    if (m->nwords > 0 && flags == RPC_FLAG_MORE) {
        rpc_serve_pull(c, op, m->nwords);   /* no long answers yet: NO_ANSWER */
    } else if (m->nwords == 0 || flags != 0) {
        rpc_reply(c, op, LIB_ERR_RPC_MALFORMED, NULL, 0, CPTR_NULL);
    } else if (op != RPC_OP_NUMBER) {
        rpc_reply(c, op, LIB_ERR_RPC_BAD_OP, NULL, 0, CPTR_NULL);
    } else if (m->nwords != 2) {
        rpc_reply(c, op, LIB_ERR_RPC_MALFORMED, NULL, 0, CPTR_NULL);
    } else {
        rpc_reply(c, op, SYS_ERR_OK, &badge, 1, CPTR_NULL);
    }
}

/*
 * `serving` is odd from the lookup of the client to the last send to it,
 * so init does not give the client's slot to another meanwhile
 * (domains/init/bindings.c).
 */
bool clients_serve(void)
{
    struct rpc_client c = { .ep = CPTR_NULL };
    struct lmp_msg m;

    if (frame == NULL || !lmp_poll(&m)) {
        return false;
    }
    if (m.cap != CPTR_NULL) {
        drop_cap(m.cap);            /* before the reply: the client may send
                                       the next cap the moment it has it */
    }
    frame->serving++;
    __atomic_thread_fence(__ATOMIC_SEQ_CST);        /* odd before we look */
    if (find_client(m.badge, &c)) {
        c.req_seq = m.nwords > 0 ? RPC_HDR_SEQ(m.words[0]) : 0;
        if (m.cap != CPTR_NULL) {
            rpc_reply(&c, m.nwords > 0 ? RPC_HDR_OP(m.words[0]) : 0,
                      LIB_ERR_RPC_UNEXPECTED_CAP, NULL, 0, CPTR_NULL);
        } else {
            dispatch(&c, &m, m.badge);
        }
    }
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    frame->serving++;
    return true;
}

/* The same bracket as clients_serve's around one answer to a call init
 * handed us: looked up and sent while `serving` is odd. */
bool clients_reply(domainid_t pid, uint32_t seq, uint32_t op, errval_t err,
                   const uint32_t *extra, uint32_t nextra)
{
    struct rpc_client c = { .ep = CPTR_NULL, .req_seq = seq };
    bool bound;

    if (frame == NULL) {
        return false;
    }
    frame->serving++;
    __atomic_thread_fence(__ATOMIC_SEQ_CST);        /* odd before we look */
    bound = find_client(pid, &c);
    if (bound) {
        rpc_reply_seq(&c, seq, op, err, extra, nextra, CPTR_NULL);
    }
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    frame->serving++;
    return bound;
}
