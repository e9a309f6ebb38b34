/*
 * The process-management calls of include/aos/aos_rpc.h, client side.
 * Requests that carry a command line send it as string fragments (the
 * core in the header's argument bits); answers that carry a name or a pid
 * array come as string fragments of the same op, in windows the client
 * pulls for, then the one reply.
 */
#include <aos/aos_rpc.h>
#include <aos/aos_rpc_wire.h>
#include "rpc_transport.h"
#include <aos/caps.h>
#include <aos/vmmap.h>
#include <stdlib.h>
#include <string.h>

struct aos_rpc *aos_rpc_get_process_channel(void)
{
    return aos_rpc_get_init_channel();      /* the service lives in init */
}

/* Drop a message that is not part of the answer we wait for. */
static void drop(const struct lmp_msg *msg)
{
    if (msg->cap != CPTR_NULL) {
        cap_delete(msg->cap);
    }
}

/* Empty our ring before we ask for a window: whatever waits there now is
 * stale (replies to calls nobody waited for) and would only take room the
 * window needs. Lock held, so no reply of ours is outstanding. */
static void drain_stale(void)
{
    struct lmp_msg msg;

    while (lmp_poll(&msg)) {
        drop(&msg);
    }
}

/*
 * Send a one-message request and collect the fragments that come before
 * its reply into *data (malloc'ed, NUL-terminated; NULL if none). Lock held.
 * The answer comes in windows (include/aos/aos_rpc_wire.h): a fragment
 * flagged MORE ends one, and only when we have read it (and emptied the
 * ring) do we pull for the next, so the server's sends always find room.
 */
static errval_t call_with_blob(struct aos_rpc *rpc, uint32_t op, uint32_t arg,
                               uint32_t nwords, struct lmp_msg *reply,
                               char **data, uint32_t *len)
{
    uint32_t seq = ++rpc->line->seq;
    uint32_t req[LMP_MSG_WORDS] = { RPC_HDR(op, 0) | RPC_SEQ(seq), arg };
    uint32_t pull[1] = { RPC_HDR(op, RPC_FLAG_MORE) | RPC_SEQ(seq) };
    struct rpc_string_rx rx;
    errval_t err;

    memset(&rx, 0, sizeof(rx));
    *data = NULL;
    *len = 0;
    drain_stale();
    err = lmp_send(rpc->ep, CPTR_NULL, LMP_FLAG_YIELD, req, nwords);
    for (;;) {
        if (err_is_fail(err)) {
            rpc_string_rx_reset(&rx);
            free(*data);
            *data = NULL;
            return err_push(err, LIB_ERR_RPC_SEND);
        }
        lmp_recv(reply);
        if (reply->cap != CPTR_NULL || reply->nwords == 0
            || RPC_HDR_OP(reply->words[0]) != op || RPC_HDR_SEQ(reply->words[0]) != seq) {
            drop(reply);                    /* not ours: a stale message */
            continue;
        }
        if (reply->words[0] & RPC_FLAG_REPLY) {
            break;
        }
        if (rpc_string_rx_feed(&rx, reply->words, reply->nwords) == RPC_RX_DONE
            && err_is_ok(rx.err)) {
            free(*data);                    /* (a second string: keep the last) */
            *data = rpc_string_rx_take(&rx, len);
        }
        if (reply->words[0] & RPC_FLAG_MORE) {
            drain_stale();
            err = lmp_send(rpc->ep, CPTR_NULL, LMP_FLAG_YIELD, pull, 1);  /* the next window */
        }
    }
    rpc_string_rx_reset(&rx);
    rpc->calls++;
    err = reply->nwords >= 3 ? rpc_get_err(&reply->words[1]) : LIB_ERR_RPC_BAD_REPLY;
    if (err_is_fail(err)) {
        free(*data);
        *data = NULL;
    }
    return err;
}

/* call_with_blob under the channel's lock. */
static errval_t blob_call(struct aos_rpc *chan, uint32_t op, uint32_t arg, uint32_t nwords,
                          struct lmp_msg *reply, char **data, uint32_t *len)
{
    errval_t err;

    *data = NULL;
    *len = 0;
    if (chan == NULL) {
        return LIB_ERR_RPC_NO_CHANNEL;
    }
    thread_mutex_lock(&chan->line->lock);
    err = call_with_blob(chan, op, arg, nwords, reply, data, len);
    thread_mutex_unlock(&chan->line->lock);
    return err;
}

errval_t aos_rpc_process_spawn(struct aos_rpc *chan, char *name, coreid_t core,
                               domainid_t *newpid)
{
    uint32_t words[LMP_MSG_WORDS], len, nfrag, n;
    struct lmp_msg reply;
    errval_t err = SYS_ERR_OK;

    if (chan == NULL) {
        return LIB_ERR_RPC_NO_CHANNEL;
    }
    if (name == NULL || newpid == NULL) {
        return INIT_ERR_BAD_NAME;
    }
    len = (uint32_t)strnlen(name, RPC_NAME_MAX + 1);
    if (len == 0 || len > RPC_NAME_MAX) {
        return INIT_ERR_BAD_NAME;
    }
    chan = rpc_route(chan, core);           /* another core's: to our monitor */
    nfrag = rpc_string_fragments(len);
    thread_mutex_lock(&chan->line->lock);
    for (uint32_t i = 0; i < nfrag && err_is_ok(err); i++) {
        n = rpc_pack_string_fragment(name, len, i, words);
        words[0] = RPC_HDR_WITH_ARG(RPC_OP_PROC_SPAWN, RPC_HDR_FLAGS(words[0]), core);
        if (i + 1 < nfrag) {
            err = lmp_send(chan->ep, CPTR_NULL, 0, words, n);
        } else {
            err = aos_rpc_call_locked(chan, words, n, &reply);
        }
    }
    thread_mutex_unlock(&chan->line->lock);
    if (err_is_ok(err)) {
        *newpid = reply.nwords >= 4 ? reply.words[3] : 0;
    }
    return err;
}

errval_t aos_rpc_process_get_name(struct aos_rpc *chan, domainid_t pid, char **name)
{
    struct lmp_msg reply;
    uint32_t len;
    errval_t err;

    err = blob_call(rpc_route(chan, aos_pid_core(pid)), RPC_OP_PROC_GET_NAME, pid, 2, &reply,
                    name, &len);
    if (err_is_ok(err) && *name == NULL) {
        *name = strdup("");
    }
    return err;
}

/* The pids of a blob answer (`len` bytes of `data`, malloc'ed or NULL)
 * appended to *pids (*n of them, malloc'ed or NULL); `data` is freed. An
 * empty answer (the monitor's when no other core can be asked) adds none. */
static errval_t append_pids(domainid_t **pids, size_t *n, char *data, uint32_t len)
{
    domainid_t *all;

    if (len == 0) {
        free(data);
        return SYS_ERR_OK;
    }
    if (data == NULL || len % sizeof(domainid_t) != 0) {
        free(data);
        return LIB_ERR_RPC_BAD_REPLY;
    }
    all = realloc(*pids, *n * sizeof(domainid_t) + len);
    if (all == NULL) {
        free(data);
        return LIB_ERR_RPC_NO_MEMORY;
    }
    memcpy(all + *n, data, len);
    free(data);
    *pids = all;
    *n += len / sizeof(domainid_t);
    return SYS_ERR_OK;
}

/* Our core's pids from init, whose answer says how many cores there are;
 * with more than one, the others' from our monitor. */
errval_t aos_rpc_process_get_all_pids(struct aos_rpc *chan, domainid_t **pids,
                                      size_t *pid_count)
{
    struct aos_rpc *monitor;
    struct lmp_msg reply;
    uint32_t len;
    char *data;
    errval_t err;

    *pids = NULL;
    *pid_count = 0;
    err = blob_call(chan, RPC_OP_PROC_ALL_PIDS, 0, 1, &reply, &data, &len);
    if (err_is_ok(err)) {
        err = append_pids(pids, pid_count, data, len);
    }
    if (err_is_ok(err) && reply.nwords >= 5 && reply.words[4] > 1) {
        monitor = rpc_to_monitor(chan);
        err = monitor == chan ? INIT_ERR_NO_MONITOR
            : blob_call(monitor, RPC_OP_PROC_ALL_PIDS, 0, 1, &reply, &data, &len);
        if (err_is_ok(err)) {
            err = append_pids(pids, pid_count, data, len);
        }
    }
    if (err_is_fail(err)) {
        free(*pids);
        *pids = NULL;
        *pid_count = 0;
    }
    return err;
}

errval_t aos_rpc_process_kill(struct aos_rpc *chan, domainid_t pid)
{
    uint32_t req[2] = { RPC_HDR(RPC_OP_PROC_KILL, 0), pid };
    struct lmp_msg reply;
    return aos_rpc_call(rpc_route(chan, aos_pid_core(pid)), req, 2, CPTR_NULL, CPTR_NULL,
                        &reply);
}

errval_t aos_rpc_process_wait(struct aos_rpc *chan, domainid_t pid, int *status)
{
    uint32_t req[2] = { RPC_HDR(RPC_OP_PROC_WAIT, 0), pid };
    struct lmp_msg reply;
    errval_t err = aos_rpc_call(rpc_route(chan, aos_pid_core(pid)), req, 2, CPTR_NULL,
                                CPTR_NULL, &reply);

    if (err_is_ok(err) && status != NULL) {
        *status = reply.nwords >= 5 && reply.words[4] ? AOS_RPC_STATUS_KILLED
                                                      : (int)reply.words[3];
    }
    return err;
}

errval_t aos_rpc_process_get_info(struct aos_rpc *chan, domainid_t pid,
                                  struct aos_proc_info *info)
{
    struct lmp_msg reply;
    uint32_t len;
    errval_t err;

    err = blob_call(rpc_route(chan, aos_pid_core(pid)), RPC_OP_PROC_INFO, pid, 2, &reply,
                    &info->name, &len);
    if (err_is_fail(err)) {
        return err;
    }
    if (reply.nwords < 8) {
        free(info->name);
        info->name = NULL;
        return LIB_ERR_RPC_BAD_REPLY;
    }
    if (info->name == NULL) {
        info->name = strdup("");
    }
    info->pid = pid;
    info->state = (enum proc_state)reply.words[3];
    info->core = (coreid_t)reply.words[4];
    info->ram_bytes = reply.words[5];
    info->page_faults = reply.words[6];
    info->exit_status = (int)reply.words[7];
    return SYS_ERR_OK;
}

errval_t aos_rpc_process_get_vmmap(struct aos_rpc *chan, domainid_t pid,
                                   struct aos_vm_summary *vm)
{
    struct lmp_msg reply;
    uint32_t len;
    char *data;
    errval_t err;

    err = blob_call(chan, RPC_OP_PROC_VMMAP, pid, 2, &reply, &data, &len);
    if (err_is_ok(err) && (data == NULL || len != sizeof(*vm))) {
        err = LIB_ERR_RPC_BAD_REPLY;
    }
    if (err_is_ok(err)) {
        memcpy(vm, data, sizeof(*vm));
    }
    free(data);
    return err;
}

static int block_cmp(const void *a, const void *b)
{
    uint32_t x = ((const struct aos_vm_block *)a)->base;
    uint32_t y = ((const struct aos_vm_block *)b)->base;
    return x < y ? -1 : x > y;
}

errval_t aos_rpc_process_get_vmblocks(struct aos_rpc *chan, domainid_t pid,
                                      struct aos_vm_block **blocks, size_t *count,
                                      size_t *unlisted)
{
    struct lmp_msg reply;
    struct vmmap_entry e;
    uint32_t len, n;
    char *data;
    errval_t err;

    if (blocks == NULL || count == NULL || unlisted == NULL) {
        return LIB_ERR_RPC_NULL_ARG;
    }
    *blocks = NULL;
    *count = *unlisted = 0;
    err = blob_call(chan, RPC_OP_PROC_VMBLOCKS, pid, 2, &reply, &data, &len);
    if (err_is_fail(err)) {
        return err;
    }
    n = reply.nwords >= 5 ? reply.words[3] : UINT32_MAX;
    if (n > VMMAP_MAX_ENTRIES || len != n * sizeof(e) || (n > 0 && data == NULL)) {
        free(data);
        return LIB_ERR_RPC_BAD_REPLY;
    }
    if (n > 0 && (*blocks = malloc(n * sizeof(**blocks))) == NULL) {
        free(data);
        return LIB_ERR_RPC_NO_MEMORY;
    }
    for (uint32_t i = 0; i < n; i++) {
        memcpy(&e, data + i * sizeof(e), sizeof(e));
        (*blocks)[i] = (struct aos_vm_block){ e.base, (uint32_t)1 << e.order, e.tag };
    }
    free(data);
    qsort(*blocks, n, sizeof(**blocks), block_cmp);
    *count = n;
    *unlisted = reply.words[4];
    return SYS_ERR_OK;
}
