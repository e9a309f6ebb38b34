/*
 * The RPC wire format between a domain and init (rpc/, domains/init/).
 * Every RPC is one or more LMP messages (include/autarky/lmp.h: 8 words,
 * at most one cap) from client to server, answered by exactly one reply.
 *
 *   word 0   op (bits 0-7) | flags (bits 8-15) | argument (16-23) | sequence (24-31)
 *   request  words 1.. per op, below
 *   reply    word 0 = op | RPC_FLAG_REPLY, words 1-2 = errval_t (lo, hi),
 *            words 3.. per op
 *
 *   op            request words               reply words 3..    cap
 *   NUMBER        1: value                    -                  -
 *   STRING        fragments (below)           3: length 4: FNV-1a -
 *   GET_RAM       1: size  2: alignment       3: actual size     reply: RAM
 *   PUTCHAR       1: character                -                  -
 *   PUTS          1: length (<= 24) 2..7: bytes  -               -
 *   GETCHAR       -                           3: character       -
 *   EXIT          1: status                   (none: the domain is gone)
 *   FREE_RAM      - (the RAM cap, given)      -                  -
 *   MEM_STATS     -                           3: free 4: total 5: given
 *                                               to other cores 6: held by the caller
 *                                               (own core only)
 *   CHAN_CONNECT  1: pid                      3: id 4: peer 5: side  reply: Frame
 *   CHAN_ACCEPT   -                           3: id 4: peer 5: side  reply: Frame
 *   CHAN_IPI      1: id                       -                  reply: IPI
 *   CHAN_CLOSE    1: id                       -                  -
 *
 * Strings of any length are split across messages:
 *   first      word 0 = STRING | FIRST [| LAST], 1: total length,
 *              2..7: the first RPC_STRING_FIRST_BYTES bytes
 *   following  word 0 = STRING [| LAST], 1..7: RPC_STRING_NEXT_BYTES bytes
 * The number of data bytes in a fragment is implied: min(room, remaining).
 * The server replies once, after LAST, with an error if the fragments
 * did not add up (truncated, overrun, a fragment without FIRST, a string
 * longer than RPC_STRING_MAX).
 *
 * Long answers (GET_NAME, ALL_PIDS, INFO, VMMAP, VMBLOCKS: string fragments
 * of the request's op and sequence number, then the reply) come in
 * *windows* of at most RPC_WINDOW messages, half the client's ring, so
 * the server's sends always find room in it (docs/messages.md):
 *   answer    message i (i < fragments) is fragment i; message `fragments`
 *             is the reply
 *   window    fragment i with i % RPC_WINDOW == RPC_WINDOW - 1 carries
 *             RPC_FLAG_MORE: the window ends there, the server sends nothing
 *             more until the client has read it and sends a *pull*:
 *   pull      1 word: op | RPC_FLAG_MORE | the call's sequence number;
 *             answered by the next window, or, if no such answer is going
 *             out (the client has asked for another long answer since, or
 *             its ring was full when a window was due), by the reply
 *             LIB_ERR_RPC_NO_FIRST. Short calls in between change nothing.
 */
#ifndef AOS_AOS_RPC_WIRE_H
#define AOS_AOS_RPC_WIRE_H

#include <autarky/types.h>
#include <autarky/errors.h>
#include <autarky/lmp.h>

enum rpc_op {
    RPC_OP_NUMBER = 1,
    RPC_OP_STRING,
    RPC_OP_GET_RAM,
    RPC_OP_PUTCHAR,
    RPC_OP_PUTS,
    RPC_OP_GETCHAR,
    RPC_OP_EXIT,            /* 1: status; no reply */
    RPC_OP_FREE_RAM,        /* cap: a RAM block from GET_RAM, given back */
    RPC_OP_MEM_STATS,       /* header bits 16-23: 0 our core's, else core + 1.
                               Reply 3: free bytes, 4: total bytes */
    RPC_OP_PROC_SPAWN,      /* string fragments: the command line; header
                               bits 16-23: core. Reply 3: pid */
    RPC_OP_PROC_GET_NAME,   /* 1: pid. String fragments, then the reply (3: length) */
    RPC_OP_PROC_ALL_PIDS,   /* fragments of a pid array, then the reply (3: count).
                               init: its core's pids, 4: cores; a monitor: those
                               of every other core */
    RPC_OP_PROC_KILL,       /* 1: pid */
    RPC_OP_PROC_WAIT,       /* 1: pid. Reply (when it ended) 3: status, 4: killed */
    RPC_OP_PROC_INFO,       /* 1: pid. Name fragments, then the reply:
                               3: state 4: core 5: RAM bytes 6: faults 7: status */
    RPC_OP_PROC_VMMAP,      /* 1: pid. Fragments of uint32 bytes[5], blocks[5] by
                               buddy tag, then the reply */
    RPC_OP_PROC_VMBLOCKS,   /* 1: pid. Fragments of struct vmmap_entry[] (checked
                               by init), then the reply (3: count, 4: unlisted) */
    /* The CHAN_* calls go to the caller's own core's monitor, over its
     * binding (init answers them INIT_ERR_ASK_MONITOR) */
    RPC_OP_CHAN_CONNECT,    /* 1: pid on another core. Reply (when the peer's
                               monitor answered) 3: channel id 4: peer pid
                               5: side; cap: the channel's frame */
    RPC_OP_CHAN_ACCEPT,     /* -. Reply (when a domain connects) as CONNECT's */
    RPC_OP_CHAN_IPI,        /* 1: channel id. Reply cap: IPI ringing the peer */
    RPC_OP_CHAN_CLOSE,      /* 1: channel id. Our end is gone (the monitor
                               takes the frame back) */
    RPC_OP_MONITOR_BIND,    /* -. init binds the caller to its core's monitor
                               (docs/multikernel.md "The binding"): the endpoint
                               is then in its TASKCN_SLOT_MONITOREP */
    RPC_OP_CHAN_LIVE,       /* -. (monitor) Reply 3: channel ends it keeps
                               (free again at once when a channel ended: tests) */
    RPC_OP_COUNT            /* one past the last */
};

#define RPC_FLAG_REPLY   (1u << 8)
#define RPC_FLAG_FIRST   (1u << 9)
#define RPC_FLAG_LAST    (1u << 10)
#define RPC_FLAG_MORE    (1u << 11)   /* a window ends; or a pull for the next */
#define RPC_FLAGS_MASK   (RPC_FLAG_REPLY | RPC_FLAG_FIRST | RPC_FLAG_LAST | RPC_FLAG_MORE)

#define RPC_HDR(op, flags)  ((uint32_t)(op) | (uint32_t)(flags))
#define RPC_HDR_OP(w)       ((w) & 0xffu)
#define RPC_HDR_FLAGS(w)    ((w) & 0xff00u)
#define RPC_HDR_ARG(w)      (((w) >> 16) & 0xffu) /* a small argument (PROC_SPAWN: core) */
#define RPC_HDR_WITH_ARG(op, flags, arg) (RPC_HDR(op, flags) | ((uint32_t)(arg) & 0xffu) << 16)
/* Bits 24-31: the call's sequence number, chosen by the client and echoed
 * in the reply and in fragments that answer it, so a stale reply (to an
 * earlier, malformed call) is never taken for the current one. */
#define RPC_HDR_SEQ(w)      ((w) >> 24)
#define RPC_SEQ(seq)        ((uint32_t)(seq) << 24)
#define RPC_NAME_MAX        255u                 /* command lines of PROC_SPAWN */

#define RPC_STRING_FIRST_BYTES (6 * 4)
#define RPC_STRING_NEXT_BYTES  (7 * 4)
#define RPC_PUTS_MAX           (6 * 4)
/* In a PUTS's length word: print the line held so far now (sent, with no
 * bytes, before a call that goes to the monitor; docs/multikernel.md). */
#define RPC_PUTS_FLUSH         (1u << 31)
#define RPC_STRING_MAX         (1u << 20)   /* server's limit, 1 MiB */

/* Number of LMP messages a string of `len` bytes takes. */
static inline uint32_t rpc_string_fragments(uint32_t len)
{
    if (len <= RPC_STRING_FIRST_BYTES) {
        return 1;
    }
    return 1 + (len - RPC_STRING_FIRST_BYTES + RPC_STRING_NEXT_BYTES - 1)
               / RPC_STRING_NEXT_BYTES;
}

/*
 * Pack fragment `index` of string `s` (length `len`) into `words`;
 * returns the number of words to send.
 */
uint32_t rpc_pack_string_fragment(const char *s, uint32_t len, uint32_t index,
                                  uint32_t words[LMP_MSG_WORDS]);

/* Server-side reassembly of one client's string (rpc/rpc_string.c). A
 * server that must not allocate sets `fixed` (fixed_max + 1 bytes) once:
 * strings then go there (longer ones: LIB_ERR_RPC_STRING_TOO_LONG), and
 * rpc_string_rx_take returns `fixed`, valid until the next feed, not to
 * be freed. */
struct rpc_string_rx {
    char *buf;              /* malloc'd (or `fixed`), len + 1 bytes, NUL-terminated */
    char *fixed;            /* the caller's buffer, or NULL: malloc */
    uint32_t fixed_max;     /* the longest string it holds */
    uint32_t len;           /* declared total length */
    uint32_t got;           /* bytes received so far */
    errval_t err;           /* first error seen in this transfer */
    bool active;            /* between FIRST and LAST */
};

enum rpc_rx_result {
    RPC_RX_MORE,            /* fragment taken; wait for more, no reply yet */
    RPC_RX_DONE,            /* LAST seen: reply now with rx->err */
};

/*
 * Feed one STRING message (`nwords` words) to `rx`. On RPC_RX_DONE,
 * rx->err says whether the string is whole; if so rx->buf holds it (the
 * caller takes ownership: rpc_string_rx_take). A fragment without FIRST
 * is answered at once (RPC_RX_DONE with LIB_ERR_RPC_NO_FIRST).
 */
enum rpc_rx_result rpc_string_rx_feed(struct rpc_string_rx *rx,
                                      const uint32_t *words, uint32_t nwords);
/* The finished string (caller frees, unless it is rx->fixed), or NULL;
 * resets rx. */
char *rpc_string_rx_take(struct rpc_string_rx *rx, uint32_t *len);
/* Drop any partial transfer. */
void rpc_string_rx_reset(struct rpc_string_rx *rx);

/*
 * Server side of a long answer (rpc/rpc_window.c, host-tested): `len`
 * bytes as fragments of `op` with sequence number `seq`, in windows, and
 * then the reply (OK, words 3.. = extra[0 .. nextra)).
 * Invariant: active <=> the reply has not been sent; next is the index of
 * the next message (== the number of fragments: the reply is next). When
 * the answer spans windows buf is a copy: malloc'd (owned), or, for a
 * server that must not allocate, in `fixed` (fixed_max bytes, set once
 * and kept across resets; longer answers: LIB_ERR_RPC_STRING_TOO_LONG).
 * Else it borrows the caller's bytes and the whole answer goes out before
 * they go away.
 */
#define RPC_WINDOW        (LMP_RING_SLOTS / 2)   /* messages per window */
#define RPC_ANSWER_EXTRA  5                      /* reply words 3..7 */

struct rpc_string_tx {
    const char *buf;
    char *fixed;                /* the caller's copy buffer, or NULL: malloc */
    uint32_t fixed_max;         /* its size in bytes */
    bool owned;                 /* buf is a malloc'd copy */
    bool active;
    uint32_t len, next;
    uint32_t op, seq;
    uint32_t extra[RPC_ANSWER_EXTRA], nextra;
};

/* Start an answer; copies `data` if it spans more than one window
 * (LIB_ERR_RPC_NO_MEMORY if that fails, LIB_ERR_RPC_STRING_TOO_LONG if it
 * does not fit `fixed`; if nextra is too large: LIB_ERR_RPC_MALFORMED).
 * An earlier answer in tx is dropped. */
errval_t rpc_string_tx_start(struct rpc_string_tx *tx, uint32_t op, uint32_t seq,
                             const void *data, uint32_t len,
                             const uint32_t *extra, uint32_t nextra);
/* Pack the next fragment into `words` and return its word count (its
 * header has op, seq, FIRST/LAST and MORE at a window's end); 0 when the
 * fragments are done and the reply is next (tx->extra, tx->nextra). */
uint32_t rpc_string_tx_next(struct rpc_string_tx *tx, uint32_t words[LMP_MSG_WORDS]);
/* Drop the answer (free a malloc'd copy); tx is inactive afterwards and
 * keeps `fixed`. */
void rpc_string_tx_reset(struct rpc_string_tx *tx);

/* 32-bit FNV-1a of a byte string: the STRING reply's checksum. */
static inline uint32_t rpc_fnv1a(const char *s, uint32_t len)
{
    uint32_t h = 2166136261u;
    for (uint32_t i = 0; i < len; i++) {
        h = (h ^ (uint8_t)s[i]) * 16777619u;
    }
    return h;
}

/* errval_t in two words and back. */
static inline void rpc_put_err(uint32_t *words, errval_t err)
{
    words[0] = (uint32_t)err;
    words[1] = (uint32_t)(err >> 32);
}
static inline errval_t rpc_get_err(const uint32_t *words)
{
    return (errval_t)words[0] | ((errval_t)words[1] << 32);
}

#endif
