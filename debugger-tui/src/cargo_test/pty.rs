//! A pseudo-terminal for a test binary's standard output, so the harness
//! sees a terminal (and colours its verdicts) exactly as without pmdb,
//! while pmdb reads what it writes. Raw mode: the bytes pass unchanged
//! (no `\n` → `\r\n`).

use std::os::fd::{FromRawFd, OwnedFd};

/// The two ends: pmdb reads the master; the program writes the slave.
pub struct Pty {
    pub master: OwnedFd,
    pub slave: OwnedFd,
}

/// Opens a pty in raw mode, or says why not.
pub fn open() -> std::io::Result<Pty> {
    let last = std::io::Error::last_os_error;
    // SAFETY: posix_openpt returns a new descriptor or -1.
    let master = unsafe { libc::posix_openpt(libc::O_RDWR | libc::O_NOCTTY | libc::O_CLOEXEC) };
    if master < 0 {
        return Err(last());
    }
    // SAFETY: `master` is open and now ours alone.
    let master = unsafe { OwnedFd::from_raw_fd(master) };
    let raw = std::os::fd::AsRawFd::as_raw_fd(&master);
    let mut name = [0 as libc::c_char; 128];
    // SAFETY: plain calls on our master; `name` is a buffer of its length.
    let slave = unsafe {
        if libc::grantpt(raw) < 0
            || libc::unlockpt(raw) < 0
            || libc::ptsname_r(raw, name.as_mut_ptr(), name.len()) != 0
        {
            return Err(last());
        }
        libc::open(
            name.as_ptr(),
            libc::O_RDWR | libc::O_NOCTTY | libc::O_CLOEXEC,
        )
    };
    if slave < 0 {
        return Err(last());
    }
    // SAFETY: `slave` is open and now ours alone.
    let slave = unsafe { OwnedFd::from_raw_fd(slave) };
    let fd = std::os::fd::AsRawFd::as_raw_fd(&slave);
    // SAFETY: termios is plain data; tcgetattr fills it before use, and
    // the window size is copied from our own standard output when it has one.
    unsafe {
        let mut t: libc::termios = std::mem::zeroed();
        if libc::tcgetattr(fd, &mut t) == 0 {
            libc::cfmakeraw(&mut t);
            libc::tcsetattr(fd, libc::TCSANOW, &t);
        }
        let mut size: libc::winsize = std::mem::zeroed();
        if libc::ioctl(1, libc::TIOCGWINSZ, &mut size) == 0 {
            libc::ioctl(fd, libc::TIOCSWINSZ, &size);
        }
    }
    Ok(Pty { master, slave })
}
