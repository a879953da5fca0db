//! `pmdb dap`: a Debug Adapter Protocol server on stdin/stdout, so editors
//! (VS Code, nvim-dap, Helix, Zed) show a crashed program with pmdb's values,
//! lazily. From the ground up: [`protocol`] is the framing and the message
//! types, [`translate`] maps pmdb's shapes onto DAP's, [`refs`] numbers
//! frames and references, [`input`] is what the adapter's loop reacts to,
//! [`process`] runs launched programs and watches for crashes, and
//! [`adapter`], over them all, answers the requests.

pub mod adapter;
pub mod input;
pub mod process;
pub mod protocol;
pub mod refs;
pub mod translate;

use std::io::{BufRead, Write};
use std::sync::mpsc;

use adapter::Adapter;
use input::Input;

/// Serves one editor over `input`/`output` until it disconnects or closes
/// `input`. A crash attached to stays served if the editor just goes away.
pub fn serve(input: impl BufRead + Send + 'static, output: impl Write) {
    let (tx, rx) = mpsc::channel();
    let reader = tx.clone();
    std::thread::spawn(move || {
        let mut input = input;
        loop {
            match protocol::read_message(&mut input) {
                Ok(Some(req)) => {
                    if reader.send(Input::Message(Ok(req))).is_err() {
                        return;
                    }
                }
                Ok(None) => {
                    let _ = reader.send(Input::End);
                    return;
                }
                Err(e) => {
                    let fatal = !e.recoverable();
                    let _ = reader.send(Input::Message(Err(e)));
                    if fatal {
                        let _ = reader.send(Input::End);
                        return;
                    }
                }
            }
        }
    });
    Adapter::new(output, tx).run(rx);
}

/// `pmdb dap`: serves the editor on this process's stdin and stdout.
pub fn run() -> anyhow::Result<()> {
    let stdin = std::io::BufReader::new(std::io::stdin());
    serve(stdin, std::io::stdout());
    Ok(())
}
