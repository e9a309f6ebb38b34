/*
 * One line from stdin with echo and backspace, in the manner of init's
 * console (domains/init/main.c, read_line), but through getchar(): in a
 * spawned domain every byte is one GETCHAR RPC to init, which answers
 * when the serial console has one.
 *
 *   0x20..0x7e      stored (at most size - 1) and echoed
 *   0x7f or 0x08    erases the last character ("\b \b" on the terminal)
 *   CR or LF        ends the line; an LF right after a CR is skipped, so
 *                   that CR LF is one Enter, not an Enter and an empty line
 *   0x03 (Ctrl-C)   drops the line ("^C"), returns an empty one
 *   0x04 (Ctrl-D)   on an empty line: the end of input
 *   EOF             the end of input (getchar failed)
 *   anything else   ignored
 */
#include <stdio.h>
#include "shell.h"

static bool after_cr;   /* the previous byte ended a line with CR */

static void echo(const char *s)
{
    fputs(s, stdout);
    fflush(stdout);
}

bool shell_read_line(char *buf, size_t size)
{
    size_t len = 0;

    for (;;) {
        int c = getchar();
        bool was_cr = after_cr;

        after_cr = false;
        if (c == EOF) {
            buf[len] = '\0';
            if (len > 0) {
                echo("\n");
            }
            return false;
        }
        if (c == '\n' && was_cr) {
            continue;
        }
        if (c == '\r' || c == '\n') {
            after_cr = (c == '\r');
            echo("\n");
            break;
        }
        if (c == 0x7f || c == '\b') {
            if (len > 0) {
                len--;
                echo("\b \b");
            }
        } else if (c == 0x03) {
            echo("^C\n");
            len = 0;
            break;
        } else if (c == 0x04) {
            if (len == 0) {
                echo("\n");
                buf[0] = '\0';
                return false;
            }
        } else if (c >= 0x20 && c < 0x7f && len + 1 < size) {
            char s[2] = { (char)c, '\0' };
            buf[len++] = (char)c;
            echo(s);
        }
    }
    buf[len] = '\0';
    return true;
}
