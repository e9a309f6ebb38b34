/*
 * What xchantest's files share (xchantest.c: the peers and the
 * MP_XCHAN_ cases of channels; ring_cases.c: the cases of the IPI
 * capabilities a channel hands out; check_cases.c: CHAN_* calls as an
 * attacker sends them).
 */
#ifndef XCHANTEST_H
#define XCHANTEST_H

#include <aos/aos_rpc.h>
#include <aos/utest.h>
#include <stdbool.h>
#include <stddef.h>

#define CORES 4
#define TICKS_PER_S 62500000ull

struct aos_rpc *init_chan(void);
/* Connect to `pid` once it accepts (it was just spawned): at most 5 s. */
errval_t connect_when_ready(domainid_t pid, struct aos_rpc *chan);
/* Channel ends our core's monitor keeps (RPC_OP_CHAN_LIVE). */
errval_t chan_live(uint32_t *live);
/* Free RAM of `core`'s memory server. */
bool free_on(coreid_t core, size_t *free_bytes);
/* Free RAM on `core` back at `before` within 5 s. */
bool free_back(coreid_t core, size_t before, size_t *now);
errval_t spawn_on(const char *line, coreid_t core, domainid_t *pid);

#define UEXPECT_FREE_BACK(core, before) do {                                 \
        size_t now_;                                                         \
        UEXPECT(free_back((core), (before), &now_),                          \
                "core %u: %zu bytes free, %zu before", (unsigned)(core), now_, (before)); \
    } while (0)

/* The cases of ring_cases.c. */
void ring_gone_with_close(void);
void ring_gone_with_peer(void);
void ring_per_channel(void);
/* `xchantest accept2` (ring_cases.c). */
int accept_two(void);
/* The cases of check_cases.c, and its children `xchantest foreign ID`
 * and `xchantest accepttwice`. */
void chan_calls_checked(void);
void chan_foreign_id(void);
void chan_accept_twice_unread(void);
int foreign(uint32_t id);
int accept_twice(void);

#endif
