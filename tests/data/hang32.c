/* A 32-bit (i386) program for the live snapshot tests, freestanding so any
 * x86-64 gcc builds it without a 32-bit libc (`cc -m32 -nostdlib -static`):
 * it says `ready PID`, waits in read(2) on its stdin three calls deep
 * (_start -> middle -> wait_here), and answers `quit` with `bye`. System
 * calls go through `int $0x80`, i386's numbers. */

enum { SYS_exit = 1, SYS_read = 3, SYS_write = 4, SYS_getpid = 20 };

static long sys3(long nr, long a, long b, long c) {
    long r;
    __asm__ volatile("int $0x80" : "=a"(r) : "a"(nr), "b"(a), "c"(b), "d"(c) : "memory");
    return r;
}

static void say(const char *text, long n) { sys3(SYS_write, 1, (long)text, n); }

/* `ready PID\n` into `out`; its length. */
static long ready_line(char *out) {
    char digits[16];
    long n = 0, len = 0, pid = sys3(SYS_getpid, 0, 0, 0);
    const char *word = "ready ";
    while (word[len]) {
        out[len] = word[len];
        len++;
    }
    do {
        digits[n++] = (char)('0' + pid % 10);
        pid /= 10;
    } while (pid > 0);
    while (n > 0)
        out[len++] = digits[--n];
    out[len++] = '\n';
    return len;
}

void wait_here(void) {
    char line[64];
    say(line, ready_line(line));
    for (;;) {
        long n = sys3(SYS_read, 0, (long)line, sizeof line);
        if (n <= 0)
            return;
        if (n >= 4 && line[0] == 'q' && line[1] == 'u' && line[2] == 'i' && line[3] == 't') {
            say("bye\n", 4);
            return;
        }
    }
}

void middle(void) { wait_here(); }

void _start(void) {
    middle();
    sys3(SYS_exit, 0, 0, 0);
}
