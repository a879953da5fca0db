//! The editor's side of `pmdb dap`, for the tests and the DAP benchmark:
//! a `pmdb dap` process spoken to over its stdin and stdout in
//! `Content-Length`-framed JSON, as an editor does.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};

use serde_json::{Value, json};

/// A running `pmdb dap`; killed on drop.
pub struct DapClient {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
    seq: i64,
    /// Events read while waiting for a response, not yet asked for.
    events: Vec<Value>,
}

impl DapClient {
    /// Starts `pmdb dap` (its stderr goes to ours).
    pub fn start(pmdb: &Path) -> DapClient {
        let mut child = Command::new(pmdb)
            .arg("dap")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("run pmdb dap");
        let stdin = child.stdin.take().unwrap();
        let stdout = BufReader::new(child.stdout.take().unwrap());
        DapClient {
            child,
            stdin,
            stdout,
            seq: 0,
            events: Vec::new(),
        }
    }

    /// The next message the adapter sends.
    pub fn read(&mut self) -> Value {
        let mut length = 0;
        loop {
            let mut line = String::new();
            assert!(
                self.stdout.read_line(&mut line).unwrap() > 0,
                "adapter closed"
            );
            let line = line.trim_end();
            if line.is_empty() {
                break;
            }
            if let Some(n) = line.strip_prefix("Content-Length: ") {
                length = n.parse().unwrap();
            }
        }
        let mut body = vec![0; length];
        self.stdout.read_exact(&mut body).unwrap();
        serde_json::from_slice(&body).unwrap()
    }

    /// Sends a request and returns its response's body, asserting success;
    /// events that come first are kept for [`DapClient::event`].
    pub fn request(&mut self, command: &str, arguments: Value) -> Value {
        self.seq += 1;
        let body = serde_json::to_vec(
            &json!({"seq": self.seq, "type": "request", "command": command, "arguments": arguments}),
        )
        .unwrap();
        write!(self.stdin, "Content-Length: {}\r\n\r\n", body.len()).unwrap();
        self.stdin.write_all(&body).unwrap();
        self.stdin.flush().unwrap();
        loop {
            let m = self.read();
            if m["type"] == "event" {
                self.events.push(m);
            } else if m["request_seq"] == self.seq {
                assert_eq!(m["success"], true, "{command}: {m}");
                return m["body"].clone();
            }
        }
    }

    /// The event named `name`, already read or the next to come.
    pub fn event(&mut self, name: &str) -> Value {
        loop {
            if let Some(i) = self.events.iter().position(|e| e["event"] == name) {
                return self.events.remove(i);
            }
            let m = self.read();
            self.events.push(m);
        }
    }
}

impl Drop for DapClient {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
