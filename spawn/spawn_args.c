/*
 * The child's side of the arguments page (include/aos/spawn.h): turn the
 * page the spawner filled into argv. The page is the child's own, but it
 * is still checked: argc and every string must lie inside it.
 */
#include <aos/spawn.h>
#include <autarky/layout.h>
#include <string.h>

int spawn_parse_args(char *argv[], int max)
{
    struct spawn_args_page *page = (struct spawn_args_page *)USER_ARGS_VADDR;
    uint32_t pos = 0, bytes = page->bytes;
    int argc = 0;

    if (bytes > SPAWN_ARGS_BYTES) {
        return 0;
    }
    while (argc < max - 1 && (uint32_t)argc < page->argc && pos < bytes) {
        size_t n = strnlen(page->strings + pos, bytes - pos);
        if (pos + n >= bytes && page->strings[bytes - 1] != '\0') {
            break;                       /* unterminated: stop here */
        }
        argv[argc++] = page->strings + pos;
        pos += n + 1;
    }
    argv[argc] = NULL;
    return argc;
}

domainid_t spawn_my_pid(void)
{
    return ((const struct spawn_args_page *)USER_ARGS_VADDR)->pid;
}
