//! The Debug Adapter Protocol on the wire: `Content-Length` framing, the
//! envelope of requests, responses and events, and serde types for the
//! arguments and bodies the adapter uses (a small subset of DAP 1.68, written
//! here rather than taken from a crate; ARCHITECTURE.md says why).

use std::collections::BTreeMap;
use std::io::{BufRead, Read, Write};
use std::path::PathBuf;

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The largest message body the adapter accepts (an editor's requests are a
/// few hundred bytes; a bigger one is a broken or hostile peer).
pub const MAX_BODY: usize = 16 << 20;

/// What can go wrong reading one message.
#[derive(Debug, thiserror::Error)]
pub enum FrameError {
    #[error("reading the editor's messages: {0}")]
    Io(#[from] std::io::Error),
    #[error("a message header without Content-Length")]
    NoLength,
    #[error("a bad message header: {0:?}")]
    BadHeader(String),
    #[error("a message of {0} bytes, more than the {MAX_BODY} accepted")]
    TooLarge(usize),
    #[error("a message that is not a DAP request: {0}")]
    Malformed(String),
}

impl FrameError {
    /// Whether the stream can go on after this error (the message was
    /// skipped whole) or is broken.
    pub fn recoverable(&self) -> bool {
        !matches!(self, FrameError::Io(_))
    }
}

/// A request from the editor.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Request {
    pub seq: i64,
    #[serde(rename = "type")]
    pub kind: String,
    pub command: String,
    #[serde(default)]
    pub arguments: Value,
}

/// Reads one message; `Ok(None)` at the end of the stream.
pub fn read_message(input: &mut impl BufRead) -> Result<Option<Request>, FrameError> {
    let mut length = None;
    let mut saw_header = false;
    loop {
        let mut line = String::new();
        if input.read_line(&mut line)? == 0 {
            return if saw_header {
                Err(FrameError::Io(std::io::ErrorKind::UnexpectedEof.into()))
            } else {
                Ok(None)
            };
        }
        let line = line.trim_end_matches(['\r', '\n']);
        if line.is_empty() {
            if !saw_header {
                // Stray blank lines between messages are harmless.
                continue;
            }
            break;
        }
        saw_header = true;
        let (name, value) = line
            .split_once(':')
            .ok_or_else(|| FrameError::BadHeader(line.to_string()))?;
        if name.trim().eq_ignore_ascii_case("content-length") {
            let n: usize = value
                .trim()
                .parse()
                .map_err(|_| FrameError::BadHeader(line.to_string()))?;
            length = Some(n);
        }
    }
    let length = length.ok_or(FrameError::NoLength)?;
    if length > MAX_BODY {
        // Skip the body so the next message is read from its start.
        std::io::copy(&mut input.take(length as u64), &mut std::io::sink())?;
        return Err(FrameError::TooLarge(length));
    }
    let mut body = vec![0; length];
    input.read_exact(&mut body)?;
    let request: Request =
        serde_json::from_slice(&body).map_err(|e| FrameError::Malformed(e.to_string()))?;
    if request.kind != "request" {
        return Err(FrameError::Malformed(format!(
            "type {:?}, expected \"request\"",
            request.kind
        )));
    }
    Ok(Some(request))
}

/// Writes one message with its `Content-Length` header.
pub fn write_message(out: &mut impl Write, message: &impl Serialize) -> std::io::Result<()> {
    let body = serde_json::to_vec(message).map_err(std::io::Error::other)?;
    write!(out, "Content-Length: {}\r\n\r\n", body.len())?;
    out.write_all(&body)?;
    out.flush()
}

/// A response to one request.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Response {
    pub seq: i64,
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub request_seq: i64,
    pub success: bool,
    pub command: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body: Option<Value>,
}

/// An event the adapter sends on its own.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Event {
    pub seq: i64,
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub event: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body: Option<Value>,
}

/// `sourceMap`: a path prefix as the debug info names it → where that tree
/// is on this machine. An object `{"from": "to"}` or a list of pairs.
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(untagged)]
pub enum SourceMap {
    #[default]
    None,
    Object(BTreeMap<String, String>),
    Pairs(Vec<(String, String)>),
}

impl SourceMap {
    /// The pairs, longest prefix first, so the most specific one wins.
    pub fn pairs(&self) -> Vec<(String, String)> {
        let mut pairs: Vec<(String, String)> = match self {
            SourceMap::None => Vec::new(),
            SourceMap::Object(m) => m.iter().map(|(a, b)| (a.clone(), b.clone())).collect(),
            SourceMap::Pairs(p) => p.clone(),
        };
        pairs.sort_by_key(|(from, _)| std::cmp::Reverse(from.len()));
        pairs
    }
}

/// A pid as a number, or as a string (VS Code's `${command:pickProcess}`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pid(pub u32);

impl<'de> Deserialize<'de> for Pid {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match Value::deserialize(d)? {
            Value::Number(n) => n
                .as_u64()
                .and_then(|n| u32::try_from(n).ok())
                .map(Pid)
                .ok_or_else(|| serde::de::Error::custom(format!("{n} is not a pid"))),
            Value::String(s) => s
                .trim()
                .parse()
                .map(Pid)
                .map_err(|_| serde::de::Error::custom(format!("{s:?} is not a pid"))),
            other => Err(serde::de::Error::custom(format!("{other} is not a pid"))),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct InitializeArguments {
    pub lines_start_at1: Option<bool>,
    pub columns_start_at1: Option<bool>,
}

/// `attach`: one of pid, socket, waitFor, core.
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct AttachArguments {
    pub pid: Option<Pid>,
    pub socket: Option<PathBuf>,
    pub wait_for: Option<bool>,
    pub core: Option<PathBuf>,
    pub program: Option<PathBuf>,
    /// The socket directory to look in (default: `PMDB_DIR`, as `pmdb attach`).
    pub pmdb_dir: Option<PathBuf>,
    /// The crash is on another machine: `pmdb bridge` there over ssh
    /// (`[USER@]HOST[:PORT]`), as `pmdb attach --ssh`.
    pub ssh: Option<String>,
    /// The pmdb to run on the ssh host, as shell text (`--remote-pmdb`).
    pub remote_pmdb: Option<String>,
    /// A command whose stdin/stdout carry the session, naming its own target
    /// (`kubectl exec -i POD -- pmdb bridge 1`), as `pmdb attach --via`.
    pub via: Option<String>,
    /// Where relative source paths of the debug info start (default: the
    /// adapter's working directory).
    pub cwd: Option<PathBuf>,
    pub source_map: SourceMap,
}

/// `launch`: the program to run under the agent.
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct LaunchArguments {
    pub program: Option<PathBuf>,
    pub args: Vec<String>,
    pub cwd: Option<PathBuf>,
    /// Variables added to the adapter's environment; `null` removes one.
    pub env: BTreeMap<String, Option<String>>,
    pub source_map: SourceMap,
    pub no_debug: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct StackTraceArguments {
    pub thread_id: i64,
    pub start_frame: Option<i64>,
    pub levels: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ScopesArguments {
    pub frame_id: i64,
}

#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct VariablesArguments {
    pub variables_reference: i64,
    pub filter: Option<String>,
    pub start: Option<i64>,
    pub count: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct EvaluateArguments {
    pub expression: String,
    pub frame_id: Option<i64>,
    pub context: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ExceptionInfoArguments {
    pub thread_id: i64,
}

#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct DisconnectArguments {
    pub terminate_debuggee: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct SourceArguments {
    pub source: Option<Source>,
    pub source_reference: i64,
}

/// What the adapter can do, as `initialize` answers.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Capabilities {
    pub supports_configuration_done_request: bool,
    pub supports_exception_info_request: bool,
    pub supports_delayed_stack_trace_loading: bool,
    pub supports_evaluate_for_hovers: bool,
    pub support_terminate_debuggee: bool,
    pub supports_terminate_request: bool,
    pub supports_variable_paging: bool,
    pub supports_value_formatting_options: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Thread {
    pub id: i64,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Source {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_reference: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub presentation_hint: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub origin: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StackFrame {
    pub id: i64,
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<Source>,
    pub line: i64,
    pub column: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub instruction_pointer_reference: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub presentation_hint: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Scope {
    pub name: String,
    pub presentation_hint: String,
    pub variables_reference: i64,
    pub expensive: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Variable {
    pub name: String,
    pub value: String,
    #[serde(rename = "type")]
    pub type_name: String,
    pub variables_reference: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub named_variables: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub indexed_variables: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub evaluate_name: Option<String>,
}

/// The `stopped` event's body.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Stopped {
    pub reason: &'static str,
    pub description: String,
    pub text: String,
    pub thread_id: i64,
    pub all_threads_stopped: bool,
    /// A crash after the first: the editor marks its thread without
    /// taking the user away from the one they look at.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub preserve_focus_hint: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ExceptionDetails {
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub type_name: Option<String>,
    pub stack_trace: String,
}

/// The `exceptionInfo` response's body.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ExceptionInfo {
    pub exception_id: String,
    pub description: String,
    pub break_mode: &'static str,
    pub details: ExceptionDetails,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(bytes: &[u8]) -> Vec<Result<Option<Request>, String>> {
        let mut input = std::io::BufReader::new(bytes);
        let mut out = Vec::new();
        loop {
            let r = read_message(&mut input).map_err(|e| e.to_string());
            let end = matches!(r, Ok(None)) || matches!(&r, Err(e) if e.starts_with("reading"));
            out.push(r);
            if end {
                return out;
            }
        }
    }

    #[test]
    fn frames_round_trip_and_bad_ones_are_skipped_whole() {
        let mut bytes = Vec::new();
        write_message(
            &mut bytes,
            &serde_json::json!({"seq": 1, "type": "request", "command": "threads"}),
        )
        .unwrap();
        bytes.extend_from_slice(b"Content-Length: 5\r\n\r\nnope!");
        bytes.extend_from_slice(b"X-Other: 1\r\n\r\n");
        bytes.extend_from_slice(b"Content-Length: 99999999999\r\n\r\n");
        let got = read(&bytes);
        assert_eq!(
            got[0],
            Ok(Some(Request {
                seq: 1,
                kind: "request".into(),
                command: "threads".into(),
                arguments: Value::Null,
            }))
        );
        assert_eq!(
            got[1],
            Err("a message that is not a DAP request: expected ident at line 1 column 2".into())
        );
        assert_eq!(
            got[2],
            Err("a message header without Content-Length".into())
        );
        assert_eq!(
            got[3],
            Err("a message of 99999999999 bytes, more than the 16777216 accepted".into())
        );
        assert_eq!(got[4], Ok(None));
    }

    #[test]
    fn pids_come_as_numbers_or_strings_and_source_maps_as_either_shape() {
        let a: AttachArguments = serde_json::from_value(serde_json::json!({
            "pid": "4242", "sourceMap": {"/build": "/home/me/src", "/build/vendor": "/v"}
        }))
        .unwrap();
        assert_eq!(a.pid, Some(Pid(4242)));
        assert_eq!(
            a.source_map.pairs(),
            [
                ("/build/vendor".to_string(), "/v".to_string()),
                ("/build".to_string(), "/home/me/src".to_string())
            ]
        );
        let a: AttachArguments =
            serde_json::from_value(serde_json::json!({"pid": 7, "sourceMap": [["/a", "/b"]]}))
                .unwrap();
        assert_eq!(a.pid, Some(Pid(7)));
        assert_eq!(a.source_map.pairs(), [("/a".to_string(), "/b".to_string())]);
        let e =
            serde_json::from_value::<AttachArguments>(serde_json::json!({"pid": "x"})).unwrap_err();
        assert_eq!(e.to_string(), "\"x\" is not a pid");
    }
}
