//! Fatal signals described as a user reads them, the same whether the
//! agent caught the signal live or a core's `NT_SIGINFO` records it.

/// Linux x86-64 signal numbers.
pub const SIGILL: i32 = 4;
pub const SIGABRT: i32 = 6;
pub const SIGBUS: i32 = 7;
pub const SIGFPE: i32 = 8;
pub const SIGSEGV: i32 = 11;

/// A signal's name (`SIGSEGV`), or `signal N`.
pub fn name(sig: i32) -> String {
    match sig {
        SIGILL => "SIGILL".into(),
        SIGABRT => "SIGABRT".into(),
        SIGBUS => "SIGBUS".into(),
        SIGFPE => "SIGFPE".into(),
        SIGSEGV => "SIGSEGV".into(),
        9 => "SIGKILL".into(),
        3 => "SIGQUIT".into(),
        5 => "SIGTRAP".into(),
        31 => "SIGSYS".into(),
        1 => "SIGHUP".into(),
        2 => "SIGINT".into(),
        10 => "SIGUSR1".into(),
        12 => "SIGUSR2".into(),
        13 => "SIGPIPE".into(),
        14 => "SIGALRM".into(),
        15 => "SIGTERM".into(),
        17 => "SIGCHLD".into(),
        18 => "SIGCONT".into(),
        19 => "SIGSTOP".into(),
        20 => "SIGTSTP".into(),
        21 => "SIGTTIN".into(),
        22 => "SIGTTOU".into(),
        _ => format!("signal {sig}"),
    }
}

/// `SIGSEGV (address not mapped) at 0x0`.
pub fn describe(sig: i32, code: i32, addr: u64) -> String {
    let (name, what) = match sig {
        SIGSEGV => (
            "SIGSEGV",
            match code {
                1 => "address not mapped",
                2 => "invalid permissions",
                _ => "segmentation fault",
            },
        ),
        SIGBUS => (
            "SIGBUS",
            match code {
                1 => "invalid address alignment",
                2 => "nonexistent physical address",
                3 => "object-specific hardware error",
                _ => "bus error",
            },
        ),
        SIGFPE => (
            "SIGFPE",
            match code {
                1 => "integer divide by zero",
                2 => "integer overflow",
                3 => "floating-point divide by zero",
                4 => "floating-point overflow",
                5 => "floating-point underflow",
                6 => "floating-point inexact result",
                7 => "floating-point invalid operation",
                _ => "arithmetic exception",
            },
        ),
        SIGILL => (
            "SIGILL",
            match code {
                1 => "illegal opcode",
                2 => "illegal operand",
                3 => "illegal addressing mode",
                4 => "illegal trap",
                5 => "privileged opcode",
                6 => "privileged register",
                7 => "coprocessor error",
                8 => "internal stack error",
                _ => "illegal instruction",
            },
        ),
        SIGABRT => return "SIGABRT (aborted)".to_string(),
        _ => ("signal", "fatal"),
    };
    if code > 0 {
        format!("{name} ({what}) at {addr:#x}")
    } else {
        format!("{name} (sent by a process)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signals_are_described_like_the_kernel_does() {
        assert_eq!(
            describe(SIGSEGV, 1, 0),
            "SIGSEGV (address not mapped) at 0x0"
        );
        assert_eq!(
            describe(SIGFPE, 1, 0x5555),
            "SIGFPE (integer divide by zero) at 0x5555"
        );
        assert_eq!(describe(SIGABRT, -6, 0), "SIGABRT (aborted)");
        assert_eq!(describe(SIGSEGV, 0, 0), "SIGSEGV (sent by a process)");
    }
}
