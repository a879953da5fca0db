/* A C program for the live snapshot tests that never stops starting
 * another program: it says `ready PID`, then execs itself for ever
 * (`/proc/self/exe again`), so a snapshot taken of it meets an execve
 * mid-way now and then (the kernel reports PTRACE_EVENT_EXEC to a tracer
 * that seized it in the middle of one) and at other times stops it inside
 * some image, in the dynamic loader or in main. Built by the tests with cc. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv) {
    if (argc < 2 || strcmp(argv[1], "again") != 0) {
        printf("ready %d\n", (int)getpid());
        fflush(stdout);
    }
    execl("/proc/self/exe", argv[0], "again", (char *)0);
    return 2;
}
