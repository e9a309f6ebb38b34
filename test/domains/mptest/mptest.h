/*
 * What mptest's files share (mptest.c: the cases of processes across
 * cores and of a dead core; monitor_cases.c: the MP_MONITOR_ cases).
 */
#ifndef MPTEST_H
#define MPTEST_H

#include <aos/aos_rpc.h>
#include <stdbool.h>
#include <stddef.h>

#define CORES 4

struct aos_rpc *chan(void);
/* Free RAM of every core's memory server. */
bool free_per_core(size_t out[CORES]);
/* Yield for `ms` milliseconds of the counter. */
void pause_ms(uint32_t ms);
/* Is `pid` among pids[0..n)? */
bool listed(const domainid_t *pids, size_t n, domainid_t pid);

/* The MP_MONITOR_ cases (monitor_cases.c). */
void monitor_per_core(void);
void monitor_not_killable(void);
void monitor_no_ram_after_start(void);
void monitor_pending_freed_on_client_end(void);
void monitor_pending_drains_under_load(void);
/* The MP_BINDING_ cases (binding_cases.c). */
void binding_ping_own_pid(void);
void binding_answers_own_endpoint(void);
void binding_badge_is_sender(void);
void binding_bad_messages(void);
void binding_places_come_back(void);
void binding_unread_replies_dropped(void);
void binding_made_on_first_use(void);
void binding_prompt_before_routed_call(void);
void binding_calls_go_to_one_server(void);
void binding_spawn_checked_by_monitor(void);
void binding_pid_calls_go_to_one_server(void);
void binding_long_answer_stays_with_client(void);
void binding_pull_never_crosses_answers(void);
/* Waiters and readers that end or lose their core (waiter_cases.c):
 * MP_ENDED_REMOTE_WAITERS_FREE_THEIR_PLACE, MP_ONE_REMOTE_WAIT_PER_WAITER,
 * MP_ONE_REMOTE_GETCHAR_PER_CLIENT (`mptest getchars`),
 * MP_KILLED_READER_TAKES_NO_INPUT,
 * MP_INPUT_NOT_LOST_TO_DEAD_CORE, and the domains they start: `mptest
 * waitok PID`, `mptest readon N`, `mptest readchar`. */
void ended_remote_waiters_free_their_place(void);
void one_remote_wait_per_waiter(void);
void one_remote_getchar_per_client(void);
int getchars_by_hand(void);
void killed_reader_takes_no_input(void);
void input_not_lost_to_dead_core(void);
int wait_ok(domainid_t pid);
int readon_setup(coreid_t core);
int read_char(void);
/* The clients they start: `mptest flood P1 P2 P3 K`, `mptest hammer N`,
 * `mptest bindpeer N`, `mptest bindlazy`, `mptest halfname PID`,
 * `mptest pullonly`. */
int half_name(domainid_t pid);
int pull_only(void);
int bind_peer(uint32_t n);
int bind_lazy_peer(void);
int flood_pending(char **argv);
int hammer(uint32_t rounds);

#endif
