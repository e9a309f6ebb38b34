/*
 * The monitor's server for the domains of its core (clients.h): each
 * message is looked up by its badge in the client table init keeps in
 * the shared frame, checked, and answered on that client's endpoint; calls
 * for other cores go on to remote_calls.c and channel calls to channels.c,
 * whose answers (words, a capability, or a long answer) come back through
 * clients_reply, _cap and _long.
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
/*
 * What we keep of the client at each place: its endpoint and a long
 * answer going out in windows (copied into `answer`), and a spawn's
 * command line being received. Static: nothing in the loop allocates.
 * pid: whose they are, so a new client at the place never continues its
 * predecessor's answer or line.
 */
static struct place {
    domainid_t pid;
    struct rpc_client cl;
    char answer[ICM_ALL_PIDS_MAX * sizeof(domainid_t)];
    struct rpc_string_rx rx;
    uint32_t core;
    char line[RPC_NAME_MAX + 1];
} places[MONITOR_CLIENTS];
static uint32_t spawn_args[1 + (RPC_NAME_MAX + 3) / 4];

errval_t clients_init(struct monitor_frame *f)
{
    errval_t err = slot_alloc(&recv_slot);

    memset(places, 0, sizeof(places));      /* touches its pages now */
    for (uint32_t i = 0; i < MONITOR_CLIENTS; i++) {
        places[i].cl.ep = CPTR(ROOTCN_SLOT_TASKCN, MONITOR_SLOT_CLIENT + i);
        places[i].cl.tx.fixed = places[i].answer;
        places[i].cl.tx.fixed_max = sizeof(places[i].answer);
        places[i].rx.fixed = places[i].line;
        places[i].rx.fixed_max = RPC_NAME_MAX;
    }
    if (err_is_ok(err)) {
        err = lmp_arm_recv_slot(recv_slot);
    }
    frame = f;
    return err;
}

/* The place of the client whose pid is `badge` (its endpoint is there),
 * or NULL if init lists no such client (then nobody is answered). The
 * first time we see a new client at a place, what its predecessor left
 * there goes. */
static struct place *find_client(uint32_t badge)
{
    if (badge == 0) {
        return NULL;
    }
    for (uint32_t i = 0; i < MONITOR_CLIENTS; i++) {
        if (frame->client_pid[i] == badge) {
            __atomic_thread_fence(__ATOMIC_ACQUIRE);    /* its endpoint is there */
            if (places[i].pid != badge) {
                places[i].pid = badge;
                rpc_client_reset(&places[i].cl);
                rpc_string_rx_reset(&places[i].rx);
            }
            return &places[i];
        }
    }
    return NULL;
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

/* Is `op` a call that names a pid ({op, pid})? */
static bool pid_call(uint32_t op)
{
    return op == RPC_OP_PROC_KILL || op == RPC_OP_PROC_WAIT || op == RPC_OP_PROC_INFO
           || op == RPC_OP_PROC_GET_NAME;
}

/*
 * A call for another core (remote_calls.c keeps it pending and answers it
 * through clients_reply): KILL, WAIT, INFO or GET_NAME of a pid there,
 * the mem stats of core `core`, a spawn there ({len, bytes}), a GETCHAR
 * (core 0's). One of this core is init's.
 */
static void start_remote(struct place *pl, uint32_t op, uint32_t core, const uint32_t *args,
                         uint32_t nargs)
{
    if (core == frame->core) {
        rpc_reply(&pl->cl, op, INIT_ERR_ASK_INIT, NULL, 0, CPTR_NULL);
    } else if (core >= frame->ncores) {
        rpc_reply(&pl->cl, op, pid_call(op) ? INIT_ERR_NO_SUCH_PID : INIT_ERR_NO_SUCH_CORE, NULL,
                  0, CPTR_NULL);
    } else {
        frame->called[pl - places] = 1;     /* init tells us when it ends */
        remote_calls_start(pl->pid, pl->cl.req_seq, op, core, args, nargs);
    }
}

/* Delete a capability that came with a message and arm its slot again. */
static void drop_cap(capaddr_t cap)
{
    cap_delete(cap);
    lmp_arm_recv_slot(cap);
}

/* A fragment of a PROC_SPAWN's command line: at the last one, the spawn
 * goes to its core (checked by rpc_spawn_line_check, as init checks it). */
static void spawn_fragment(struct place *pl, const struct lmp_msg *m)
{
    uint32_t len = 0;
    char *line;
    errval_t err;

    if (RPC_HDR_FLAGS(m->words[0]) & RPC_FLAG_FIRST) {
        pl->core = RPC_HDR_ARG(m->words[0]);
    }
    if (rpc_string_rx_feed(&pl->rx, m->words, m->nwords) == RPC_RX_MORE) {
        return;
    }
    err = pl->rx.err;                       /* (take resets it) */
    line = rpc_string_rx_take(&pl->rx, &len);
    err = rpc_spawn_line_check(err, line, len);
    if (err_is_fail(err)) {
        rpc_reply(&pl->cl, RPC_OP_PROC_SPAWN, err, NULL, 0, CPTR_NULL);
        return;
    }
    memset(spawn_args, 0, sizeof(spawn_args));
    spawn_args[0] = len;
    memcpy(&spawn_args[1], line, len);
    start_remote(pl, RPC_OP_PROC_SPAWN, pl->core, spawn_args, 1 + (len + 3) / 4);
}

/* One request of the client at `pl`. get_all_pids asks every other core
 * (our own core's pids are init's to give). */
static void dispatch(struct place *pl, const struct lmp_msg *m)
{
    struct rpc_client *c = &pl->cl;
    uint32_t op = m->nwords > 0 ? RPC_HDR_OP(m->words[0]) : 0;
    uint32_t flags = m->nwords > 0 ? RPC_HDR_FLAGS(m->words[0]) : 0;

    if (m->nwords > 0 && flags == RPC_FLAG_MORE) {
        rpc_serve_pull(c, op, m->nwords);   /* the next window of a long answer */
    } else if (m->nwords > 0 && op == RPC_OP_PROC_SPAWN
               && (flags & ~(RPC_FLAG_FIRST | RPC_FLAG_LAST)) == 0) {
        spawn_fragment(pl, m);
    } else if (m->nwords == 0 || flags != 0) {
        rpc_reply(c, op, LIB_ERR_RPC_MALFORMED, NULL, 0, CPTR_NULL);
    } else if (pid_call(op) && m->nwords == 2) {
        start_remote(pl, op, aos_pid_core(m->words[1]), &m->words[1], 1);
    } else if (op == RPC_OP_MEM_STATS && m->nwords == 1 && RPC_HDR_ARG(m->words[0]) != 0) {
        start_remote(pl, op, RPC_HDR_ARG(m->words[0]) - 1, NULL, 0);
    } else if (op == RPC_OP_GETCHAR && m->nwords == 1) {
        start_remote(pl, op, 0, NULL, 0);   /* core 0 owns the console */
    } else if (op == RPC_OP_PROC_ALL_PIDS && m->nwords == 1) {
        frame->called[pl - places] = 1;
        remote_calls_start(pl->pid, c->req_seq, op, frame->core, NULL, 0);
    } else if (pid_call(op) || op == RPC_OP_MEM_STATS || op == RPC_OP_PROC_ALL_PIDS) {
        rpc_reply(c, op, op == RPC_OP_MEM_STATS && m->nwords == 1 ? INIT_ERR_ASK_INIT
                                                                : LIB_ERR_RPC_MALFORMED,
                  NULL, 0, CPTR_NULL);
    } else if ((op >= RPC_OP_CHAN_CONNECT && op <= RPC_OP_CHAN_CLOSE)
               || op == RPC_OP_CHAN_LIVE) {
        channels_request(pl->pid, (uint32_t)(pl - places), c->req_seq, m);
    } else if (op != RPC_OP_NUMBER) {
        rpc_reply(c, op, LIB_ERR_RPC_BAD_OP, NULL, 0, CPTR_NULL);
    } else if (m->nwords != 2) {
        rpc_reply(c, op, LIB_ERR_RPC_MALFORMED, NULL, 0, CPTR_NULL);
    } else {
        rpc_reply(c, op, SYS_ERR_OK, &pl->pid, 1, CPTR_NULL);
    }
}

/* One message: a capability in it goes first (its slot armed again before
 * any reply), then the request, answered while `serving` is odd. */
bool clients_serve(void)
{
    struct lmp_msg m;
    struct place *pl;

    if (frame == NULL || !lmp_poll(&m)) {
        return false;
    }
    if (m.cap != CPTR_NULL) {
        drop_cap(m.cap);            /* before the reply: the client may send
                                       the next cap the moment it has it */
    }
    answer_begin();
    pl = find_client(m.badge);
    if (pl != NULL) {
        pl->cl.req_seq = m.nwords > 0 ? RPC_HDR_SEQ(m.words[0]) : 0;
        if (m.cap != CPTR_NULL) {
            rpc_reply(&pl->cl, m.nwords > 0 ? RPC_HDR_OP(m.words[0]) : 0,
                      LIB_ERR_RPC_UNEXPECTED_CAP, NULL, 0, CPTR_NULL);
        } else {
            dispatch(pl, &m);
        }
    }
    answer_end();
    return true;
}

/* One answer to a call pending in remote_calls.c or channels.c, looked up
 * and sent while `serving` is odd: a reply carrying `cap` (CPTR_NULL:
 * none), or (data != NULL) a long answer. */
static bool answer_client(domainid_t pid, uint32_t seq, uint32_t op, errval_t err,
                          const uint32_t *extra, uint32_t nextra, capaddr_t cap,
                          const void *data, uint32_t len)
{
    struct place *pl;

    if (frame == NULL) {
        return false;
    }
    answer_begin();
    pl = find_client(pid);
    if (pl != NULL && data == NULL) {
        rpc_reply_seq(&pl->cl, seq, op, err, extra, nextra, cap);
    } else if (pl != NULL) {
        rpc_answer_long_seq(&pl->cl, seq, op, data, len, extra, nextra);
    }
    answer_end();
    return pl != NULL;
}

bool clients_reply(domainid_t pid, uint32_t seq, uint32_t op, errval_t err,
                   const uint32_t *extra, uint32_t nextra)
{
    return answer_client(pid, seq, op, err, extra, nextra, CPTR_NULL, NULL, 0);
}

bool clients_reply_cap(domainid_t pid, uint32_t seq, uint32_t op, errval_t err,
                       const uint32_t *extra, uint32_t nextra, capaddr_t cap)
{
    return answer_client(pid, seq, op, err, extra, nextra, cap, NULL, 0);
}

bool clients_reply_long(domainid_t pid, uint32_t seq, uint32_t op, errval_t err,
                        const uint32_t *extra, uint32_t nextra, const void *data, uint32_t len)
{
    return answer_client(pid, seq, op, err, extra, nextra, CPTR_NULL, data, len);
}
