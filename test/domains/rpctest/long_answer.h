/*
 * rpctest's cases for long answers in windows (long_answer.c).
 */
#ifndef RPCTEST_LONG_ANSWER_H
#define RPCTEST_LONG_ANSWER_H

#include <aos/utest.h>

extern const struct utest_case long_answer_cases[];
/* `rpctest stall`: start a long answer, read its first window, then never
 * read again (for RPC_LONG_ANSWER_STALLED_CLIENT, which kills it). */
int long_answer_stall(void);

#endif
