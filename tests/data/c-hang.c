/* A C program for the live snapshot tests: no Rust, no agent. It says
 * `ready PID`, then waits in read(2) three calls deep (main -> middle ->
 * wait_here) and answers `quit` with `bye`. Built by the tests with cc,
 * with DWARF (-g) and without. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

void wait_here(void) {
    char line[64];
    printf("ready %d\n", (int)getpid());
    fflush(stdout);
    while (fgets(line, sizeof line, stdin)) {
        if (strncmp(line, "quit", 4) == 0) {
            printf("bye\n");
            fflush(stdout);
            return;
        }
    }
}

void middle(void) { wait_here(); }

int main(void) {
    middle();
    return 0;
}
