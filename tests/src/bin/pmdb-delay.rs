//! `pmdb-delay ONE_WAY_MS HOST PORT`: a TCP relay for ssh's `ProxyCommand`
//! that holds every chunk for ONE_WAY_MS in each direction, so a link of
//! round-trip time 2 × ONE_WAY_MS can be measured on one machine (where
//! `tc netem` is not available). Order is kept; bandwidth is not limited.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// Copies `from` to `to`, each chunk written `delay` after it was read.
fn delayed(
    mut from: impl Read + Send + 'static,
    mut to: impl Write + Send + 'static,
    delay: Duration,
) -> std::thread::JoinHandle<()> {
    let (tx, rx) = mpsc::channel::<(Instant, Vec<u8>)>();
    std::thread::spawn(move || {
        let mut buf = vec![0u8; 64 << 10];
        while let Ok(n) = from.read(&mut buf) {
            if n == 0
                || tx
                    .send((Instant::now() + delay, buf[..n].to_vec()))
                    .is_err()
            {
                break;
            }
        }
    });
    std::thread::spawn(move || {
        for (due, bytes) in rx {
            let now = Instant::now();
            if due > now {
                std::thread::sleep(due - now);
            }
            if to.write_all(&bytes).and_then(|()| to.flush()).is_err() {
                break;
            }
        }
    })
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() != 4 {
        eprintln!("usage: pmdb-delay ONE_WAY_MS HOST PORT");
        std::process::exit(2);
    }
    let delay = Duration::from_secs_f64(args[1].parse::<f64>().expect("milliseconds") / 1e3);
    let stream = TcpStream::connect((args[2].as_str(), args[3].parse::<u16>().expect("port")))
        .unwrap_or_else(|e| {
            eprintln!("pmdb-delay: cannot connect to {}:{}: {e}", args[2], args[3]);
            std::process::exit(1);
        });
    let _ = stream.set_nodelay(true);
    let up = delayed(std::io::stdin(), stream.try_clone().unwrap(), delay);
    let down = delayed(stream.try_clone().unwrap(), std::io::stdout(), delay);
    // Either side's end ends the relay.
    let _ = down.join();
    let _ = stream.shutdown(std::net::Shutdown::Both);
    drop(up);
}
