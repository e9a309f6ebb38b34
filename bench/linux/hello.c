/* The program bench.c's fork_exec_wait figure forks, execs and waits for:
 * a static "hello" that writes one line and exits. Its stdout is the
 * console, like a shell's child would have. */
#include <unistd.h>

int main(void)
{
    static const char msg[] = "hello\n";
    return write(1, msg, sizeof msg - 1) == sizeof msg - 1 ? 0 : 1;
}
