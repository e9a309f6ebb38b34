/*
 * The monitor's server for the domains of its core (clients.h): each
 * message is looked up by its badge in the client table init keeps in
 * the shared frame, checked, and answered on that client's endpoint; calls
 * for other cores go on to remote_calls.c, whose one-message answers come
 * back through clients_reply.
 */
#include "clients.h"
#include "remote_calls.h"
#include "channels.h"
#include <aos/aos_rpc.h>
#include <aos/caps.h>
#include <aos/lmp.h>
#include <aos/rpc_serve.h>
#include <aos/slot_alloc.h>
#include <autarky/bootinfo.h>
#include <string.h>

static struct monitor_frame *frame;
static capaddr_t recv_slot;         /* armed for a cap a client should not send */
static uint32_t depth;              /* answers in progress: `serving` is odd while > 0 */
static struct icm call;             /* static: the loop's stack stays small */
/* A spawn's command line being received from the client at each place
 * (static: nothing in the loop allocates; pid: whose it is, so a new
 * client at the place never continues its predecessor's). */
static struct {
    struct rpc_string_rx rx;
    domainid_t pid;
    uint32_t core;
    char line[RPC_NAME_MAX + 1];
} spawns[MONITOR_CLIENTS];
static uint32_t spawn_args[1 + (RPC_NAME_MAX + 3) / 4];

errval_t clients_init(struct monitor_frame *f)
{
    errval_t err = slot_alloc(&recv_slot);

    memset(spawns, 0, sizeof(spawns));      /* touches its pages now */
    for (uint32_t i = 0; i < MONITOR_CLIENTS; i++) {
        spawns[i].rx.fixed = spawns[i].line;
        spawns[i].rx.fixed_max = RPC_NAME_MAX;
    }
    if (err_is_ok(err)) {
        err = lmp_arm_recv_slot(recv_slot);
    }
    frame = f;
    return err;
}

/* The client whose pid is `badge`, with its endpoint (*place: its index),
 * false if init lists no such client (then nobody is answered). */
static bool find_client(uint32_t badge, struct rpc_client *c, uint32_t *place)
{
    if (badge == 0) {
        return false;
    }
    for (uint32_t i = 0; i < MONITOR_CLIENTS; i++) {
        if (frame->client_pid[i] == badge) {
            __atomic_thread_fence(__ATOMIC_ACQUIRE);    /* its endpoint is there */
            c->ep = CPTR(ROOTCN_SLOT_TASKCN, MONITOR_SLOT_CLIENT + i);
            *place = i;
            return true;
        }
    }
    return false;
}

/* `serving` odd from the first look-up of a client to the last send to it
 * (nested: an answer sent while a request is being handled), so init does
 * not give a client's place to another meanwhile (domains/init/bindings.c). */
static void answer_begin(void)
{
    if (depth++ == 0) {
        frame->serving++;
        __atomic_thread_fence(__ATOMIC_SEQ_CST);    /* odd before we look */
    }
}

static void answer_end(void)
{
    if (--depth == 0) {
        __atomic_thread_fence(__ATOMIC_SEQ_CST);
        frame->serving++;
    }
}

/*
 * A call for another core (remote_calls.c keeps it pending and answers it
 * through clients_reply): KILL or WAIT of a pid there, the mem stats of
 * core `core`, a spawn there ({len, bytes}), a GETCHAR (core 0's). One of
 * this core is init's.
 */
static void start_remote(struct rpc_client *c, uint32_t place, uint32_t badge, uint32_t op,
                         uint32_t core, const uint32_t *args, uint32_t nargs)
{
    errval_t err = SYS_ERR_OK;

    if (core == frame->core) {
        err = INIT_ERR_ASK_INIT;
    } else if (core >= frame->ncores) {
        err = op == RPC_OP_PROC_KILL || op == RPC_OP_PROC_WAIT ? INIT_ERR_NO_SUCH_PID
                                                               : INIT_ERR_NO_SUCH_CORE;
    }
    if (err_is_fail(err)) {
        rpc_reply(c, op, err, NULL, 0, CPTR_NULL);
        return;
    }
    call.op = ICM_CLIENT_CALL;
    call.src = call.dst = frame->core;
    call.nwords = ICM_CALL_WORDS + nargs;
    call.w[0] = badge;
    call.w[1] = c->req_seq;
    call.w[2] = op;
    call.w[3] = core;
    for (uint32_t i = 0; i < nargs; i++) {
        call.w[ICM_CALL_WORDS + i] = args[i];
    }
    frame->called[place] = 1;       /* init tells us when it ends */
    remote_calls_start(&call);
}

/* Delete a capability that came with a message and arm its slot again. */
static void drop_cap(capaddr_t cap)
{
    cap_delete(cap);
    lmp_arm_recv_slot(cap);
}

/* A fragment of a PROC_SPAWN's command line: at the last one, the spawn
 * goes to its core (checked as init checks it: a NUL inside or a line
 * longer than RPC_NAME_MAX is INIT_ERR_BAD_NAME). */
static void spawn_fragment(struct rpc_client *c, uint32_t place, uint32_t badge,
                           const struct lmp_msg *m)
{
    uint32_t len = 0;
    char *line;
    errval_t err;

    if (spawns[place].pid != badge) {
        rpc_string_rx_reset(&spawns[place].rx);
        spawns[place].pid = badge;
    }
    if (RPC_HDR_FLAGS(m->words[0]) & RPC_FLAG_FIRST) {
        spawns[place].core = RPC_HDR_ARG(m->words[0]);
    }
    if (rpc_string_rx_feed(&spawns[place].rx, m->words, m->nwords) == RPC_RX_MORE) {
        return;
    }
    err = spawns[place].rx.err;
    line = rpc_string_rx_take(&spawns[place].rx, &len);
    if (err_no(err) == LIB_ERR_RPC_STRING_TOO_LONG
        || (err_is_ok(err) && (line == NULL || len == 0 || memchr(line, 0, len) != NULL))) {
        err = INIT_ERR_BAD_NAME;
    }
    if (err_is_fail(err)) {
        rpc_reply(c, RPC_OP_PROC_SPAWN, err, NULL, 0, CPTR_NULL);
        return;
    }
    memset(spawn_args, 0, sizeof(spawn_args));
    spawn_args[0] = len;
    memcpy(&spawn_args[1], line, len);
    start_remote(c, place, badge, RPC_OP_PROC_SPAWN, spawns[place].core, spawn_args,
                 1 + (len + 3) / 4);
}

/* One request of client `c` (badge `badge`, at `place`). */
static void dispatch(struct rpc_client *c, const struct lmp_msg *m, uint32_t badge,
                     uint32_t place)
{
    uint32_t op = m->nwords > 0 ? RPC_HDR_OP(m->words[0]) : 0;
    uint32_t flags = m->nwords > 0 ? RPC_HDR_FLAGS(m->words[0]) : 0;

    if (m->nwords > 0 && flags == RPC_FLAG_MORE) {
        rpc_serve_pull(c, op, m->nwords);   /* no long answers yet: NO_ANSWER */
    } else if (m->nwords > 0 && op == RPC_OP_PROC_SPAWN
               && (flags & ~(RPC_FLAG_FIRST | RPC_FLAG_LAST)) == 0) {
        spawn_fragment(c, place, badge, m);
    } else if (m->nwords == 0 || flags != 0) {
        rpc_reply(c, op, LIB_ERR_RPC_MALFORMED, NULL, 0, CPTR_NULL);
    } else if ((op == RPC_OP_PROC_KILL || op == RPC_OP_PROC_WAIT) && m->nwords == 2) {
        start_remote(c, place, badge, op, aos_pid_core(m->words[1]), &m->words[1], 1);
    } else if (op == RPC_OP_MEM_STATS && m->nwords == 1 && RPC_HDR_ARG(m->words[0]) != 0) {
        start_remote(c, place, badge, op, RPC_HDR_ARG(m->words[0]) - 1, NULL, 0);
    } else if (op == RPC_OP_GETCHAR && m->nwords == 1) {
        start_remote(c, place, badge, op, 0, NULL, 0);     /* core 0 owns the console */
    } else if (op == RPC_OP_PROC_KILL || op == RPC_OP_PROC_WAIT || op == RPC_OP_MEM_STATS) {
        rpc_reply(c, op, op == RPC_OP_MEM_STATS && m->nwords == 1 ? INIT_ERR_ASK_INIT
                                                                : LIB_ERR_RPC_MALFORMED,
                  NULL, 0, CPTR_NULL);
    } else if ((op >= RPC_OP_CHAN_CONNECT && op <= RPC_OP_CHAN_CLOSE)
               || op == RPC_OP_CHAN_LIVE) {
        channels_request(badge, place, c->req_seq, m);
    } else if (op != RPC_OP_NUMBER) {
        rpc_reply(c, op, LIB_ERR_RPC_BAD_OP, NULL, 0, CPTR_NULL);
    } else if (m->nwords != 2) {
        rpc_reply(c, op, LIB_ERR_RPC_MALFORMED, NULL, 0, CPTR_NULL);
    } else {
        rpc_reply(c, op, SYS_ERR_OK, &badge, 1, CPTR_NULL);
    }
}

/* One message: a capability in it goes first (its slot armed again before
 * any reply), then the request, answered while `serving` is odd. */
bool clients_serve(void)
{
    struct rpc_client c = { .ep = CPTR_NULL };
    struct lmp_msg m;
    uint32_t place;

    if (frame == NULL || !lmp_poll(&m)) {
        return false;
    }
    if (m.cap != CPTR_NULL) {
        drop_cap(m.cap);            /* before the reply: the client may send
                                       the next cap the moment it has it */
    }
    answer_begin();
    if (find_client(m.badge, &c, &place)) {
        c.req_seq = m.nwords > 0 ? RPC_HDR_SEQ(m.words[0]) : 0;
        if (m.cap != CPTR_NULL) {
            rpc_reply(&c, m.nwords > 0 ? RPC_HDR_OP(m.words[0]) : 0,
                      LIB_ERR_RPC_UNEXPECTED_CAP, NULL, 0, CPTR_NULL);
        } else {
            dispatch(&c, &m, m.badge, place);
        }
    }
    answer_end();
    return true;
}

/* One answer to a call pending in remote_calls.c or channels.c, looked up
 * and sent while `serving` is odd. */
bool clients_reply(domainid_t pid, uint32_t seq, uint32_t op, errval_t err,
                   const uint32_t *extra, uint32_t nextra)
{
    return clients_reply_cap(pid, seq, op, err, extra, nextra, CPTR_NULL);
}

bool clients_reply_cap(domainid_t pid, uint32_t seq, uint32_t op, errval_t err,
                       const uint32_t *extra, uint32_t nextra, capaddr_t cap)
{
    struct rpc_client c = { .ep = CPTR_NULL, .req_seq = seq };
    uint32_t place;
    bool bound;

    if (frame == NULL) {
        return false;
    }
    answer_begin();
    bound = find_client(pid, &c, &place);
    if (bound) {
        rpc_reply_seq(&c, seq, op, err, extra, nextra, cap);
    }
    answer_end();
    return bound;
}
