/*
 * hello: the smallest spawned program. Prints its arguments through
 * init's serial RPC and exits with status 0 (or with the number given as
 * "--exit N", so tests can check that a status reaches init).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
    printf("hello:");
    for (int i = 0; i < argc; i++) {
        printf(" [%s]", argv[i]);
    }
    printf("\n");
    if (argc == 3 && strcmp(argv[1], "--exit") == 0) {
        return atoi(argv[2]);
    }
    return 0;
}
