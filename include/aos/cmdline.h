/*
 * Command lines (lib/cmdline.c): words separated by blanks, "..." groups words.
 */
#ifndef AOS_CMDLINE_H
#define AOS_CMDLINE_H

#define COMMAND_MAX_ARGS 32

/* Split `buf` into words in place (argv[argc] = NULL). Returns the number
 * of words, or -1 if there are more than `max` or a quote is not closed. */
int cmdline_split(char *buf, char *argv[], int max);

#endif
