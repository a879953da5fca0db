//! The terminal put back however pmdb ends. Before the TUI takes the
//! terminal (raw mode, the alternate screen, mouse capture), pmdb starts a
//! small process of its own (`pmdb terminal-guard`) that saves the
//! terminal's settings and waits on a pipe only pmdb writes. When the TUI
//! ends, pmdb restores the terminal itself and tells the guard so; if pmdb
//! dies first (SIGKILL, SIGHUP, a crash), the pipe closes unread and the
//! guard puts the settings back and leaves the alternate screen. The guard
//! is not pmdb's child (it forks off and its parent ends at once), so
//! nothing pmdb waits on ever sees it.

use std::io::{Read, Write};
use std::process::{Command, Stdio};

/// The argument that runs the guard.
pub const ARG: &str = "terminal-guard";

/// What undoes the TUI's terminal modes: mouse capture off, the main
/// screen back, the cursor shown.
const LEAVE: &[u8] = b"\x1b[?1006l\x1b[?1015l\x1b[?1003l\x1b[?1002l\x1b[?1000l\x1b[?1049l\x1b[?25h";

/// A guard watching over the terminal while the TUI has it; dropping it
/// (once pmdb put the terminal back) sends it away.
pub struct Guard {
    tell: std::io::PipeWriter,
}

impl Guard {
    /// Starts the guard, or `None` when it cannot run (then pmdb restores
    /// the terminal on its own exits only, as before).
    pub fn start() -> Option<Guard> {
        let me = std::env::current_exe().ok()?;
        let (read, tell) = std::io::pipe().ok()?;
        // Waits for the guard's first process: the settings are saved and
        // the watcher forked off before the TUI changes anything.
        let status = Command::new(me)
            .arg(ARG)
            .stdin(read)
            .stderr(Stdio::null())
            .status()
            .ok()?;
        status.success().then_some(Guard { tell })
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        let _ = self.tell.write_all(b"d");
    }
}

/// `pmdb terminal-guard`: saves the settings of the terminal on standard
/// output, forks the watcher and ends; the watcher waits on standard input
/// and restores the terminal unless pmdb said it did.
pub fn serve() -> ! {
    // SAFETY: termios is plain data that tcgetattr fills; fork is called
    // while this process has one thread; the watcher only calls signal,
    // read, tcsetattr, write and _exit.
    unsafe {
        let mut saved: libc::termios = std::mem::zeroed();
        let have = libc::tcgetattr(1, &mut saved) == 0;
        match libc::fork() {
            0 => {}
            -1 => libc::_exit(1),
            _ => libc::_exit(0),
        }
        for s in [
            libc::SIGHUP,
            libc::SIGINT,
            libc::SIGQUIT,
            libc::SIGTTOU,
            libc::SIGPIPE,
        ] {
            libc::signal(s, libc::SIG_IGN);
        }
        let mut said = [0u8; 1];
        let n = std::io::stdin().read(&mut said).unwrap_or(0);
        if n == 1 && said[0] == b'd' {
            libc::_exit(0);
        }
        if have {
            libc::tcsetattr(1, libc::TCSANOW, &saved);
        }
        let _ = std::io::stdout().write_all(LEAVE);
        let _ = std::io::stdout().flush();
        libc::_exit(0);
    }
}
