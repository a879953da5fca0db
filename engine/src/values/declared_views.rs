//! Declared views: a type's view described in a file, natvis-like, with no
//! code to run. `views.toml` files are read once, in this order, the first
//! view naming a type winning:
//!
//! 1. the files `PMDB_VIEWS` lists (separated by `:`);
//! 2. the project's: `.pmdb/views.toml` in the current directory or the
//!    nearest parent holding one;
//! 3. the user's: `$XDG_CONFIG_HOME/pmdb/views.toml`, else
//!    `~/.config/pmdb/views.toml`.
//!
//! ```toml
//! [[view]]
//! type = "Samples"          # the type's name without its path or generics
//! kind = "seq"              # `count` elements at the pointer `data`
//! pointer = "data"
//! length = "count"
//! ```
//!
//! Kinds: `seq` and `set` (`pointer` + `length`, elements of the pointee's
//! type or of the generic parameter `element` names), `text` and `bytes` (the same, as UTF-8 or `b"…"`), `map` (the
//! sequence at `entries`, each entry's `key` and `value` fields), `value`
//! (the value is its `field`), `summary` (a `format` with `{field}`
//! replaced by that field's preview; the fields stay the children). Field
//! paths are dotted (`buf.inner.ptr`, `0` for a tuple field). A view whose
//! fields are not all there does not apply: the value shows as before.

use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use serde::Deserialize;

use crate::dwarf::debuginfo::DebugInfo;
use crate::dwarf::types::{self, Kind, Type};
use crate::memory::place::Place;
use crate::values::families;
use crate::values::shapes::{Array, Bytes, Items, Seq, Shape, Show, Str, Wrapper, tuple_index};
use crate::values::std_views::{field, number};
use crate::values::views::{Val, View, checked};
use crate::values::walk::Entries;

/// One file's views, each kept with where it starts, so that a bad one is
/// skipped (and said, with its line) while the others apply.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ViewFile {
    #[serde(default)]
    view: Vec<toml::Spanned<toml::Table>>,
}

/// What a views file gave: the views that can be used, and why the others
/// cannot.
#[derive(Debug, Default)]
pub struct ViewsRead {
    pub views: Vec<Declared>,
    pub skipped: Vec<ViewFileError>,
}

/// What a declared view shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DeclaredKind {
    Seq,
    Set,
    Text,
    Bytes,
    Map,
    Value,
    Summary,
}

/// One type's declared view.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Declared {
    /// The type's name, without its path or generic arguments.
    #[serde(rename = "type")]
    pub type_name: String,
    pub kind: DeclaredKind,
    pub pointer: Option<String>,
    pub length: Option<String>,
    /// The generic parameter that types the elements, when the pointer's
    /// own pointee type does not (`T` of `Vec<T>`, whose buffer is `u8`).
    pub element: Option<String>,
    pub entries: Option<String>,
    pub key: Option<String>,
    pub value: Option<String>,
    pub field: Option<String>,
    pub format: Option<String>,
}

/// Why a views file, or one view in it, could not be used: one line, the
/// file and line first.
#[derive(Debug, thiserror::Error)]
pub enum ViewFileError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    /// Not TOML, or not a list of `[[view]]`s: nothing in it is used.
    #[error("{path}:{line}: {message}")]
    Parse {
        path: PathBuf,
        line: usize,
        message: String,
    },
    /// One `[[view]]` that is not a view: that one is skipped.
    #[error("{path}:{line}: the view of {type_name}: {message}")]
    View {
        path: PathBuf,
        line: usize,
        type_name: String,
        message: String,
    },
    #[error("{path}:{line}: the {kind:?} view of {type_name} needs `{needs}`")]
    Incomplete {
        path: PathBuf,
        line: usize,
        type_name: String,
        kind: DeclaredKind,
        needs: &'static str,
    },
}

/// The line (from 1) of byte `at` of `text`.
fn line_at(text: &str, at: usize) -> usize {
    text[..at.min(text.len())].matches('\n').count() + 1
}

/// Reads one views file: its views, and each one skipped with why. A file
/// that cannot be read or parsed at all is an error.
pub fn read(path: &Path) -> Result<ViewsRead, ViewFileError> {
    let text = std::fs::read_to_string(path).map_err(|source| ViewFileError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let file: ViewFile = toml::from_str(&text).map_err(|e| ViewFileError::Parse {
        path: path.to_path_buf(),
        line: e.span().map_or(1, |s| line_at(&text, s.start)),
        message: e.message().trim().replace('\n', " "),
    })?;
    let mut out = ViewsRead::default();
    for entry in file.view {
        let line = line_at(&text, entry.span().start);
        let table = entry.into_inner();
        let type_name = match table.get("type") {
            Some(toml::Value::String(t)) => t.clone(),
            _ => "a type not named".to_string(),
        };
        match Declared::deserialize(toml::Value::Table(table)) {
            Ok(d) => match missing(&d) {
                None => out.views.push(d),
                Some(needs) => out.skipped.push(ViewFileError::Incomplete {
                    path: path.to_path_buf(),
                    line,
                    type_name,
                    kind: d.kind,
                    needs,
                }),
            },
            Err(e) => out.skipped.push(ViewFileError::View {
                path: path.to_path_buf(),
                line,
                type_name,
                message: e.message().trim().replace('\n', " "),
            }),
        }
    }
    Ok(out)
}

/// The first field `d`'s kind needs and `d` lacks.
fn missing(d: &Declared) -> Option<&'static str> {
    let needs: &[(&'static str, &Option<String>)] = match d.kind {
        DeclaredKind::Seq | DeclaredKind::Set | DeclaredKind::Text | DeclaredKind::Bytes => {
            &[("pointer", &d.pointer), ("length", &d.length)]
        }
        DeclaredKind::Map => &[
            ("entries", &d.entries),
            ("key", &d.key),
            ("value", &d.value),
        ],
        DeclaredKind::Value => &[("field", &d.field)],
        DeclaredKind::Summary => &[("format", &d.format)],
    };
    needs.iter().find(|(_, v)| v.is_none()).map(|(n, _)| *n)
}

/// The files to read, in order of precedence.
pub fn view_files() -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::env::var_os("PMDB_VIEWS")
        .map(|v| std::env::split_paths(&v).collect())
        .unwrap_or_default();
    if let Ok(cwd) = std::env::current_dir()
        && let Some(project) = cwd
            .ancestors()
            .map(|d| d.join(".pmdb").join("views.toml"))
            .find(|p| p.is_file())
    {
        out.push(project);
    }
    let config = std::env::var_os("XDG_CONFIG_HOME")
        .filter(|d| !d.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(".config")));
    if let Some(config) = config {
        out.push(config.join("pmdb").join("views.toml"));
    }
    out.retain(|p| p.is_file());
    out
}

/// The declared views, and why each file that could not be used was not.
struct Loaded {
    views: Vec<Declared>,
    problems: Vec<String>,
}

/// Every views file, read once: a file that cannot be used is skipped, and
/// said so ([`problems`]).
fn loaded() -> &'static Loaded {
    static LOADED: OnceLock<Loaded> = OnceLock::new();
    LOADED.get_or_init(|| {
        let mut out = Loaded {
            views: Vec::new(),
            problems: Vec::new(),
        };
        for path in view_files() {
            match read(&path) {
                Ok(read) => {
                    out.views.extend(read.views);
                    out.problems
                        .extend(read.skipped.iter().map(|e| format!("view not used: {e}")));
                }
                Err(e) => out.problems.push(format!("views file not used: {e}")),
            }
        }
        out
    })
}

fn declared() -> &'static [Declared] {
    &loaded().views
}

/// Why views files were skipped, one line each (the clients show them).
pub fn problems() -> &'static [String] {
    &loaded().problems
}

/// The declared view of `v`, if a file names its type and its fields fit.
pub fn view(dbg: &DebugInfo, v: &Val, ty: &Type) -> Option<View> {
    let views = declared();
    if views.is_empty() {
        return None;
    }
    let short = types::short_name(&ty.name);
    let base = short.split('<').next().unwrap_or("");
    let d = views.iter().find(|d| {
        let wanted = d.type_name.rsplit("::").next().unwrap_or("");
        wanted == base || wanted == short
    })?;
    apply(dbg, v, d)
}

fn apply(dbg: &DebugInfo, v: &Val, d: &Declared) -> Option<View> {
    match d.kind {
        DeclaredKind::Seq | DeclaredKind::Set | DeclaredKind::Text | DeclaredKind::Bytes => {
            let mut target = pointee(dbg, &path(dbg, v, d.pointer.as_deref()?)?)?;
            if let Some(param) = &d.element {
                target.ty = Some(types::get(dbg, v.ty?).param(param)?);
            }
            let len = number(dbg, &path(dbg, v, d.length.as_deref()?)?)?;
            let Place::Mem(ptr) = target.place else {
                return None;
            };
            let view = match d.kind {
                DeclaredKind::Text => View::Str(Str { ptr, len }),
                DeclaredKind::Bytes => View::Bytes(Bytes(Str { ptr, len })),
                DeclaredKind::Set => {
                    let stride = types::get(dbg, target.ty?).size;
                    View::Items(Items {
                        shape: Shape::Set,
                        len,
                        walk: Arc::new(Entries {
                            ptr,
                            stride,
                            key: (0, target.ty),
                            value: None,
                        }),
                    })
                }
                _ => View::Seq(Seq {
                    ptr,
                    len,
                    elem: target.ty,
                }),
            };
            Some(checked(len, view))
        }
        DeclaredKind::Map => {
            let entries = path(dbg, v, d.entries.as_deref()?)?;
            let ety = types::get(dbg, entries.ty?);
            let (ptr, len, elem) = match families::view(dbg, &entries, &ety) {
                View::Seq(Seq { ptr, len, elem }) => (ptr, len, elem?),
                View::Array(Array { elem, count }) => match entries.place {
                    Place::Mem(ptr) => (ptr, count, elem?),
                    _ => return None,
                },
                _ => return None,
            };
            let entry_ty = types::get(dbg, elem);
            let key = offset_of(dbg, &entry_ty, d.key.as_deref()?)?;
            let value = offset_of(dbg, &entry_ty, d.value.as_deref()?)?;
            Some(checked(
                len,
                View::Items(Items {
                    shape: Shape::Map,
                    len,
                    walk: Arc::new(Entries {
                        ptr,
                        stride: entry_ty.size,
                        key,
                        value: Some(value),
                    }),
                }),
            ))
        }
        DeclaredKind::Value => {
            let inner = path(dbg, v, d.field.as_deref()?)?;
            Some(View::Wrapper(Wrapper {
                show: Show::Child(0),
                kids: vec![("value".into(), inner)],
                pointer: false,
            }))
        }
        DeclaredKind::Summary => {
            let format = d.format.as_deref()?;
            let mut text = String::new();
            let mut rest = format;
            while let Some(open) = rest.find('{') {
                text.push_str(&rest[..open]);
                let close = rest[open..].find('}')? + open;
                let kid = path(dbg, v, &rest[open + 1..close])?;
                text.push_str(&crate::values::render::describe(dbg, String::new(), &kid).preview);
                rest = &rest[close + 1..];
            }
            text.push_str(rest);
            let ty = types::get(dbg, v.ty?);
            let Kind::Struct { fields, .. } = &ty.kind else {
                return None;
            };
            let kids = fields
                .iter()
                .map(|f| {
                    let name = tuple_index(&f.name).unwrap_or(&f.name).to_string();
                    (name, Val::new(v.place.at(f.offset), f.ty))
                })
                .collect();
            Some(View::Wrapper(Wrapper {
                show: Show::Text(text),
                kids,
                pointer: false,
            }))
        }
    }
}

/// The value at a dotted field path (`0` names tuple field `__0`).
fn path(dbg: &DebugInfo, v: &Val, dotted: &str) -> Option<Val> {
    let mut cur = v.clone();
    for name in dotted.split('.').filter(|n| !n.is_empty()) {
        let ty = types::get(dbg, cur.ty?);
        cur =
            field(dbg, &cur, &ty, name).or_else(|| field(dbg, &cur, &ty, &format!("__{name}")))?;
    }
    Some(cur)
}

/// A field's offset inside an entry, and its type.
fn offset_of(
    dbg: &DebugInfo,
    entry: &Type,
    dotted: &str,
) -> Option<(u64, Option<crate::dwarf::debuginfo::DieRef>)> {
    let mut offset = 0;
    let mut ty = entry.clone();
    let mut at = None;
    for name in dotted.split('.').filter(|n| !n.is_empty()) {
        let f = ty
            .field(name)
            .or_else(|| ty.field(&format!("__{name}")))?
            .clone();
        offset += f.offset;
        at = f.ty;
        ty = (*types::get(dbg, f.ty?)).clone();
    }
    Some((offset, at))
}

/// What a pointer field points to: a raw pointer, or a struct around one
/// (`NonNull`, `Box`, `Unique`).
fn pointee(dbg: &DebugInfo, v: &Val) -> Option<Val> {
    crate::values::std_views::deref(dbg, v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bad_view_is_skipped_and_said_and_the_others_apply() {
        let dir = std::env::temp_dir().join(format!("pmdb-views-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("views.toml");
        std::fs::write(
            &file,
            [
                "[[view]]",
                "type = \"a::Samples\"",
                "kind = \"seq\"",
                "pointer = \"data\"",
                "length = \"count\"",
                "",
                "[[view]]",
                "type = \"Scores\"",
                "kind = \"map\"",
                "key = \"name\"",
                "",
                "[[view]]",
                "type = \"X\"",
                "kind = \"tree\"",
                "",
                "[[view]]",
                "type = \"Label\"",
                "kind = \"value\"",
                "field = \"text\"",
                "colour = \"red\"",
            ]
            .join("\n"),
        )
        .unwrap();
        let read = read(&file).unwrap();
        let types: Vec<&str> = read.views.iter().map(|d| d.type_name.as_str()).collect();
        assert_eq!(types, ["a::Samples"]);
        assert_eq!(read.views[0].kind, DeclaredKind::Seq);
        let said: Vec<String> = read.skipped.iter().map(|e| e.to_string()).collect();
        let f = file.display();
        assert_eq!(
            said,
            [
                format!("{f}:7: the Map view of Scores needs `entries`"),
                format!(
                    "{f}:12: the view of X: unknown variant `tree`, expected one of `seq`, `set`, `text`, `bytes`, `map`, `value`, `summary`"
                ),
                format!(
                    "{f}:16: the view of Label: unknown field `colour`, expected one of `type`, `kind`, `pointer`, `length`, `element`, `entries`, `key`, `value`, `field`, `format`"
                ),
            ]
        );

        // Not TOML at all: nothing in it is used, and where it breaks is said.
        std::fs::write(&file, "[[view]]\ntype = \"A\"\nkind = seq\n").unwrap();
        let e = super::read(&file).unwrap_err().to_string();
        assert_eq!(
            e,
            format!("{f}:3: string values must be quoted, expected literal string")
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
