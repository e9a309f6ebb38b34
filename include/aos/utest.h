/*
 * A minimal test framework for test programs spawned by init (lib/utest.c),
 * in the style of init's kernel tests (docs/testing.md): every case has
 * an ID with a category prefix and prints exactly one line,
 *
 *     TEST RPC_NUMBER ... PASS
 *     TEST RPC_NUMBER ... FAIL: <what was expected, what came back>
 *
 * and utest_finish() prints "N passed, N failed" and returns the exit
 * status. init checks after the program exits that every byte of RAM it
 * held came back.
 */
#ifndef AOS_UTEST_H
#define AOS_UTEST_H

#include <stdbool.h>
#include <stdint.h>
#include <autarky/errors.h>

struct utest_case {
    const char *id;
    void (*run)(void);
};
#define UTEST_END { NULL, NULL }

void utest_run(const struct utest_case *cases);
/* Record the current case's failure (first one wins). */
void utest_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Print the summary; returns 0 if every case passed, 1 otherwise. */
int utest_finish(void);

#define UEXPECT_ERR(expr, code) do {                                        \
        errval_t e_ = (expr);                                               \
        if (err_no(e_) != (code)) {                                         \
            utest_fail("%s: expected %s, got %s (line %d)", #expr,          \
                       err_getcode(code), err_getcode(err_no(e_)), __LINE__);\
            return;                                                         \
        }                                                                   \
    } while (0)
#define UEXPECT_OK(expr) UEXPECT_ERR(expr, SYS_ERR_OK)
#define UEXPECT_EQ(what, got, want) do {                                    \
        unsigned long g_ = (unsigned long)(got), w_ = (unsigned long)(want);\
        if (g_ != w_) {                                                     \
            utest_fail("%s: expected 0x%lx, got 0x%lx (line %d)", (what),   \
                       w_, g_, __LINE__);                                   \
            return;                                                         \
        }                                                                   \
    } while (0)
#define UEXPECT(cond, ...) do {                                             \
        if (!(cond)) {                                                      \
            utest_fail(__VA_ARGS__);                                        \
            return;                                                         \
        }                                                                   \
    } while (0)

#endif
