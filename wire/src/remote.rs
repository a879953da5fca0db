//! The proxies a [`Session`] hands out: a thread's [`Traceback`] of
//! [`Frame`]s, each frame's locals as [`RemoteValue`]s that fetch their
//! children only when asked, and the async [`Task`]s with their frames.

use serde::de::DeserializeOwned;

use crate::message::*;
use crate::path::{self, Step};
use crate::session::{Session, unexpected};
use crate::{Error, ErrorKind, RemoteError, frame};

/// A thread's frames, innermost first.
#[derive(Clone)]
pub struct Traceback {
    pub frames: Vec<Frame>,
}

impl Traceback {
    /// The innermost frame whose function's last path segment is `name`
    /// (`transfer` matches `demo::bank::transfer`).
    pub fn frame_named(&self, name: &str) -> Result<Frame, Error> {
        self.frames
            .iter()
            .find(|f| last_segment(&f.info.function) == name)
            .cloned()
            .ok_or_else(|| Error::NotFound(format!("no frame named {name:?} in the traceback")))
    }

    /// Frames a user sees by default (no runtime machinery).
    pub fn user_frames(&self) -> impl Iterator<Item = &Frame> {
        self.frames.iter().filter(|f| !f.info.runtime)
    }
}

/// The last path segment of a function name, generics ignored
/// (`demo::Bank::withdraw` → `withdraw`, `a::b::<T>::c` → `c`).
pub fn last_segment(function: &str) -> &str {
    let mut depth = 0i32;
    let mut start = 0;
    let bytes = function.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'<' => depth += 1,
            b'>' => depth -= 1,
            b':' if depth == 0 && bytes.get(i + 1) == Some(&b':') => {
                start = i + 2;
                i += 1;
            }
            _ => {}
        }
        i += 1;
    }
    &function[start..]
}

/// One frame of a traceback.
#[derive(Clone)]
pub struct Frame {
    pub(crate) session: Session,
    pub info: FrameInfo,
}

impl Frame {
    /// The frame's locals and arguments, in declaration order.
    pub fn locals(&self) -> Result<Vec<RemoteValue>, Error> {
        let page = self.session.page(Request::Locals {
            frame: self.info.id,
        })?;
        Ok(self.session.values(page))
    }

    /// One local by name: the visible binding when a name is shadowed.
    pub fn local(&self, name: &str) -> Result<RemoteValue, Error> {
        // An agent that does not mark shadowed bindings lists the visible
        // one last.
        self.locals()?
            .into_iter()
            .rev()
            .find(|v| v.info.name == name && !v.info.shadowed)
            .ok_or_else(|| Error::NotFound(format!("no local {name:?} in {}", self.info.function)))
    }

    /// The lines of this frame's source file from `first_line` to
    /// `last_line`, as the crashed machine has them ([`Session::source`]).
    pub fn source(&self, first_line: u32, last_line: u32) -> Result<SourceText, Error> {
        let file = self.info.file.as_deref().ok_or_else(|| {
            Error::NotFound(format!("{} has no source location", self.info.function))
        })?;
        self.session.source(file, first_line, last_line)
    }

    /// This frame's registers as the unwinder knows them
    /// ([`Request::Registers`]): `rip`, `rsp`, `rbp`, then the rest, each
    /// `None` where this frame does not know it. An agent that predates the
    /// request gives [`Error::NoRegistersService`].
    pub fn registers(&self) -> Result<Vec<crate::Register>, Error> {
        match self.session.request(Request::Registers {
            frame: self.info.id,
        }) {
            Ok(Response::Registers(r)) => Ok(r),
            Ok(other) => Err(unexpected(&other)),
            Err(Error::Remote(e)) if e.kind == ErrorKind::BadRequest => {
                Err(Error::NoRegistersService(e.message))
            }
            Err(e) => Err(e),
        }
    }

    /// Evaluates an expression in this frame, in the agent
    /// ([`Request::Eval`]): paths (`a.b`, `v[3]`, `*p`, `m["k"]`),
    /// arithmetic and comparisons, `len()`, slices, map keys, casts, `&x`,
    /// filters (`v.filter(|a| a.balance < 0)`). The result is a lazy
    /// remote value like any other, named `expr`. An error about the
    /// expression is [`Error::Expression`], with its column. An agent that
    /// predates `Eval` gets the path walked here, step by step.
    pub fn eval(&self, expr: &str) -> Result<RemoteValue, Error> {
        let req = Request::Eval {
            frame: self.info.id,
            expr: expr.to_string(),
        };
        match self.session.request(req) {
            Ok(Response::Values(page)) => self
                .session
                .values(page)
                .pop()
                .ok_or_else(|| Error::UnexpectedReply("an empty page for an expression".into())),
            Ok(other) => Err(unexpected(&other)),
            Err(Error::Remote(e)) => match e.column {
                Some(column) => Err(Error::Expression {
                    expr: expr.to_string(),
                    column,
                    message: e.message,
                    kind: e.kind,
                }),
                // An agent that cannot decode `Eval`: walk the path here.
                None if e.kind == ErrorKind::BadRequest => self.eval_path(expr),
                None => Err(Error::Remote(e)),
            },
            Err(e) => Err(e),
        }
    }

    /// Evaluates a path expression by walking it from this frame's locals,
    /// one request per step (for agents without [`Request::Eval`]).
    pub fn eval_path(&self, expr: &str) -> Result<RemoteValue, Error> {
        let path = path::parse(expr)?;
        // Locals first; a name that is not a local may be a static.
        let mut value = match self.local(&path.root) {
            Ok(v) => v,
            Err(Error::NotFound(local)) => match self.session.static_value(&path.root) {
                Ok(v) => v,
                Err(_) => return Err(Error::NotFound(local)),
            },
            Err(e) => return Err(e),
        };
        for step in &path.steps {
            value = value.step(step)?;
        }
        Ok(value)
    }
}

/// A value in the crashed process: its shape now, its children on request.
#[derive(Clone)]
pub struct RemoteValue {
    pub(crate) session: Session,
    pub info: ValueInfo,
}

impl std::fmt::Debug for RemoteValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.info.fmt(f)
    }
}

impl RemoteValue {
    pub fn name(&self) -> &str {
        &self.info.name
    }

    pub fn type_name(&self) -> &str {
        &self.info.type_name
    }

    pub fn kind(&self) -> ValueKind {
        self.info.kind
    }

    /// The one-line `{:?}`-style preview.
    pub fn preview(&self) -> &str {
        &self.info.preview
    }

    /// The element count, for containers.
    pub fn len(&self) -> Option<u64> {
        self.info.len
    }

    /// True for containers with no elements.
    pub fn is_empty(&self) -> bool {
        self.info.len == Some(0)
    }

    /// How many children [`RemoteValue::children`] can page through.
    pub fn child_count(&self) -> u64 {
        self.info.child_count
    }

    /// A page of children: `count` from `start`.
    pub fn children(&self, start: u64, count: u64) -> Result<Vec<RemoteValue>, Error> {
        let Some(handle) = self.info.handle else {
            return Ok(Vec::new());
        };
        let page = self.session.page(Request::Children {
            value: handle,
            start,
            count,
        })?;
        Ok(self.session.values(page))
    }

    /// All children (for structs and short containers).
    pub fn all_children(&self) -> Result<Vec<RemoteValue>, Error> {
        self.children(0, self.info.child_count)
    }

    /// The child named `name` (a field, `0` for a tuple field, `*` for a pointee).
    pub fn child(&self, name: &str) -> Result<RemoteValue, Error> {
        self.all_children()?
            .into_iter()
            .find(|c| c.info.name == name)
            .ok_or_else(|| {
                Error::NotFound(format!(
                    "{} ({}) has no member {name:?}",
                    self.info.name, self.info.type_name
                ))
            })
    }

    /// The pointee of a reference, `Box` or pointer.
    pub fn deref(&self) -> Result<RemoteValue, Error> {
        if self.info.kind != ValueKind::Pointer {
            return Err(Error::NotFound(format!(
                "{} ({}) is not a pointer",
                self.info.name, self.info.type_name
            )));
        }
        self.child("*")
    }

    /// The value whose children a debugger lists when this one is expanded:
    /// for a reference or `Box` to a struct, the struct (its fields shown
    /// directly, as VS Code does); this value itself otherwise. Raw pointers
    /// keep their `*` step. Costs one round trip for such pointers only.
    pub fn expansion(&self) -> Result<RemoteValue, Error> {
        let raw = self.info.type_name.starts_with('*');
        if self.info.kind != ValueKind::Pointer || raw || self.info.child_count != 1 {
            return Ok(self.clone());
        }
        Ok(match self.children(0, 1)?.pop() {
            Some(kid)
                if kid.info.name == "*"
                    && matches!(kid.info.kind, ValueKind::Struct | ValueKind::Tuple)
                    && kid.info.child_count > 0 =>
            {
                kid
            }
            _ => self.clone(),
        })
    }

    /// Evaluates a path relative to this value (`.field`, `[2]`, `field.0`, …).
    pub fn eval(&self, expr: &str) -> Result<RemoteValue, Error> {
        // Relative to this value: `.field`, `[2]`, or a bare `field.more`.
        let expr = expr.trim_start();
        let rooted = if expr.starts_with(['.', '[']) {
            format!("_{expr}")
        } else {
            format!("_.{expr}")
        };
        let path = path::parse(&rooted)?;
        let mut value = self.clone();
        for step in &path.steps {
            value = value.step(step)?;
        }
        Ok(value)
    }

    fn step(&self, step: &Step) -> Result<RemoteValue, Error> {
        // Like Rust's auto-deref: fields and indexes see through pointers,
        // except to a pointer's own members (an `Rc`'s `strong`, `weak`).
        if self.info.kind == ValueKind::Pointer && *step != Step::Deref {
            let mut kids = self.all_children()?;
            if let Step::Field(name) = step
                && let Some(i) = kids.iter().position(|c| c.info.name == *name)
            {
                return Ok(kids.swap_remove(i));
            }
            return match kids.into_iter().find(|c| c.info.name == "*") {
                Some(pointee) => pointee.step(step),
                None => self.child("*"),
            };
        }
        match step {
            Step::Deref => self.deref(),
            Step::Field(name) => self.child(name),
            // `m[11]` on a map: the value under the integer key 11.
            Step::Index(i) if self.info.kind == ValueKind::Map => self.entry_value(&i.to_string()),
            Step::Index(i) => {
                if !matches!(
                    self.info.kind,
                    ValueKind::Array | ValueKind::Sequence | ValueKind::Str
                ) {
                    return Err(Error::NotFound(format!(
                        "{} ({}) cannot be indexed",
                        self.info.name, self.info.type_name
                    )));
                }
                if *i >= self.info.child_count {
                    return Err(Error::NotFound(format!(
                        "index {i} is out of bounds: {} has {} elements",
                        self.info.name, self.info.child_count
                    )));
                }
                self.children(*i, 1)?
                    .pop()
                    .ok_or_else(|| Error::NotFound(format!("no element {i}")))
            }
            Step::Key(key) => self.entry_value(&format!("{key:?}")),
        }
    }

    /// The value of the map entry named `wanted` (a key's `{:?}`).
    fn entry_value(&self, wanted: &str) -> Result<RemoteValue, Error> {
        let entry = self
            .all_children()?
            .into_iter()
            .find(|c| c.info.name == wanted)
            .ok_or_else(|| Error::NotFound(format!("{} has no key {wanted}", self.info.name)))?;
        // Map entries expand as key and value; the path means the value.
        entry.child("value")
    }

    /// Transfers the whole value and decodes it into a local serde type.
    pub fn fetch<T: DeserializeOwned>(&self) -> Result<T, Error> {
        let handle = self.info.handle.ok_or_else(|| {
            Error::Remote(RemoteError::new(
                ErrorKind::Unavailable,
                format!("{}: {}", self.info.name, self.info.preview),
            ))
        })?;
        match self.session.request(Request::Fetch { value: handle })? {
            Response::Fetched(bytes) => frame::decode(&bytes),
            other => Err(unexpected(&other)),
        }
    }
}

/// The async tasks of a crashed process ([`Session::tasks`]).
#[derive(Clone)]
pub struct TaskList {
    pub tasks: Vec<Task>,
    /// Why tasks could not be listed, in one line, when they could not.
    pub unavailable: Option<String>,
}

/// One async task: its id, state and chain of awaited futures, each a
/// [`Frame`] whose `locals()` are those held across its await.
#[derive(Clone)]
pub struct Task {
    pub id: u64,
    pub state: String,
    /// Innermost first.
    pub frames: Vec<Frame>,
}

impl Task {
    /// The innermost frame whose function's last segment is `name`.
    pub fn frame_named(&self, name: &str) -> Option<&Frame> {
        self.frames
            .iter()
            .find(|f| last_segment(&f.info.function) == name)
    }
}
