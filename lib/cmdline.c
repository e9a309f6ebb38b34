/*
 * Splitting a command line into words (aos/cmdline.h): init's spawning
 * service and the boot command runner read command lines the same way.
 */
#include <aos/cmdline.h>
#include <string.h>

/*
 * Split one command into words in place (`buf` is modified); quotes group
 * words. Returns the number of words, or -1 if there are too many or a
 * quote is not closed.
 */
int cmdline_split(char *buf, char *argv[], int max)
{
    int argc = 0;
    char *p = buf;

    for (;;) {
        while (*p == ' ' || *p == '\t') {
            p++;
        }
        if (*p == '\0') {
            break;
        }
        if (argc == max) {
            return -1;
        }
        if (*p == '"') {
            argv[argc++] = ++p;
            p = strchr(p, '"');
            if (p == NULL) {
                return -1;
            }
        } else {
            argv[argc++] = p;
            p += strcspn(p, " \t");
        }
        if (*p != '\0') {
            *p++ = '\0';
        }
    }
    argv[argc] = NULL;
    return argc;
}

