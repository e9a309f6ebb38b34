/*
 * Free RAM in this core's memory server, for the test programs' leak
 * checks (before == after). One copy for all of them: a check that could
 * not read the account must fail, never compare 0 with 0 and pass, so an
 * unreadable account fails the current case (utest_fail) and reads as 0.
 */
#ifndef TEST_SERVER_FREE_H
#define TEST_SERVER_FREE_H

#include <aos/aos_rpc.h>
#include <aos/utest.h>
#include <stddef.h>

static inline size_t server_free(void)
{
    size_t free_bytes = 0, total = 0;
    errval_t err = aos_rpc_mem_stats(aos_rpc_get_init_channel(), &free_bytes, &total);

    if (err_is_fail(err) || total == 0) {
        utest_fail("the memory server's free RAM could not be read (err %#llx)",
                   (unsigned long long)err);
        return 0;
    }
    return free_bytes;
}

#endif
