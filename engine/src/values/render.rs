//! Values as the debugger sees them: a [`Val`]'s shape ([`ValueInfo`] minus
//! its handle), its bounded one-line preview in `{:?}` style, its children a
//! page at a time, and its full transfer for `fetch`.

use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};
use wire::{ValueInfo, ValueKind};

use crate::dwarf::debuginfo::DebugInfo;
use crate::dwarf::types::{self, Kind, Type};
use crate::memory::place::Place;
use crate::memory::read::MAX_READ;
use crate::memory::unavailable::Unavailable;
use crate::values::views::{self, Shape, Show, Style, Val, View, tuple_index};

/// Most children one request may ask for.
pub const MAX_PAGE: u64 = 10_000;
/// Previews stop growing past this many bytes and end in `..`.
pub const PREVIEW_LIMIT: usize = 100;
/// Composite values nested deeper than this preview as `{ .. }`.
const PREVIEW_DEPTH: u32 = 3;
/// Elements shown in a sequence's preview.
const PREVIEW_ELEMENTS: u64 = 16;
/// String bytes read for a preview.
const PREVIEW_STR_BYTES: u64 = 64;
/// Nodes a full transfer may hold.
const FETCH_NODES: u64 = 1_000_000;

/// A value's shape, without a handle (the server adds one).
pub fn describe(dbg: &DebugInfo, name: String, v: &Val) -> ValueInfo {
    let ty = views::type_of(dbg, v);
    let view = views::view(dbg, v, &ty);
    let mut preview = String::new();
    write_preview(dbg, v, &ty, &view, &mut preview, 0);
    let (kind, len) = match &view {
        View::Scalar(enc, _) => (
            match enc {
                types::Encoding::Signed | types::Encoding::Unsigned => ValueKind::Int,
                types::Encoding::Float => ValueKind::Float,
                types::Encoding::Bool => ValueKind::Bool,
                types::Encoding::Char => ValueKind::Char,
                types::Encoding::Unit => ValueKind::Unit,
            },
            None,
        ),
        View::Str { len, .. } | View::Bytes { len, .. } => (ValueKind::Str, Some(*len)),
        View::Seq { len, .. } => (ValueKind::Sequence, Some(*len)),
        View::Array { count, .. } => (ValueKind::Array, Some(*count)),
        View::Pointer { .. } => (ValueKind::Pointer, None),
        View::Fields { style, variant, .. } => (
            if *variant {
                ValueKind::Enum
            } else if *style == Style::Anonymous {
                ValueKind::Tuple
            } else {
                ValueKind::Struct
            },
            None,
        ),
        View::CEnum(_) => (ValueKind::Enum, None),
        View::Function(_) => (ValueKind::Function, None),
        View::Items { shape, len, .. } => (
            if *shape == Shape::Map {
                ValueKind::Map
            } else {
                ValueKind::Sequence
            },
            Some(*len),
        ),
        View::Wrapper { pointer, .. } => (
            if *pointer {
                ValueKind::Pointer
            } else {
                ValueKind::Struct
            },
            None,
        ),
        View::Entry(kv) => {
            // An entry reads as its value, named by its key.
            let value = describe(dbg, name, &kv.1);
            return ValueInfo {
                child_count: 2,
                ..value
            };
        }
        View::Error(_) => (ValueKind::Error, None),
    };
    ValueInfo {
        name,
        type_name: crate::values::unsized_views::type_name(dbg, v, &ty)
            .unwrap_or_else(|| display_type(dbg, &ty)),
        kind,
        preview,
        len,
        handle: None,
        child_count: child_count(&view),
        shadowed: false,
    }
}

/// The type as written in source: short paths, arrays as `[T; N]`.
pub fn display_type(dbg: &DebugInfo, ty: &Type) -> String {
    match &ty.kind {
        Kind::Array { elem, count } if ty.name.is_empty() => {
            let elem = elem.map_or_else(|| "?".into(), |e| display_type(dbg, &types::get(dbg, e)));
            format!("[{elem}; {}]", count.unwrap_or(0))
        }
        _ => types::short_name(&ty.name),
    }
}

fn child_count(view: &View) -> u64 {
    match view {
        View::Seq { len, .. } => *len,
        View::Array { count, .. } => *count,
        View::Pointer {
            target, pointee, ..
        } => u64::from(*target != 0 && pointee.is_some()),
        View::Fields { fields, .. } => fields.len() as u64,
        View::Items { len, .. } => *len,
        View::Wrapper { kids, .. } => kids.len() as u64,
        View::Entry(_) => 2,
        _ => 0,
    }
}

/// A page of children: `count` from `start`, as (name, value).
pub fn children(dbg: &DebugInfo, v: &Val, start: u64, count: u64) -> Vec<(String, Val)> {
    let ty = views::type_of(dbg, v);
    let view = views::view(dbg, v, &ty);
    let total = child_count(&view);
    let end = start.saturating_add(count).min(total);
    let range = start.min(end)..end;
    match view {
        View::Seq { ptr, elem, .. } => {
            let size = elem.map_or(0, |e| types::get(dbg, e).size);
            range
                .map(|i| {
                    let place = Place::Mem(ptr.wrapping_add(i.wrapping_mul(size)));
                    (format!("[{i}]"), Val::new(place, elem))
                })
                .collect()
        }
        View::Array { elem, .. } => {
            let size = elem.map_or(0, |e| types::get(dbg, e).size);
            range
                .map(|i| {
                    let place = v.place.at(i * size);
                    (format!("[{i}]"), Val::new(place, elem))
                })
                .collect()
        }
        View::Pointer {
            target, pointee, ..
        } => range
            .map(|_| {
                let place = Place::Mem(target);
                ("*".to_string(), Val::new(place, pointee))
            })
            .collect(),
        View::Items { shape, walk, .. } => {
            let items = match crate::values::walk::items(
                &dbg.mem,
                &walk,
                range.start,
                range.end - range.start,
            ) {
                Ok(items) => items,
                Err(e) => vec![Val::new(Place::Missing(e), None)],
            };
            items
                .into_iter()
                .zip(range.start..)
                .map(|(item, i)| {
                    let name = match (&item.entry, shape, &walk) {
                        (_, _, crate::values::walk::Walk::Picked(p)) => p.name(dbg, i, &item),
                        (Some(kv), Shape::Map, _) => short_preview(dbg, &kv.0),
                        _ => format!("[{i}]"),
                    };
                    (name, item)
                })
                .collect()
        }
        View::Wrapper { kids, .. } => kids[range.start as usize..range.end as usize].to_vec(),
        View::Entry(kv) => {
            let (k, v) = *kv;
            [("key".to_string(), k), ("value".to_string(), v)]
                [range.start as usize..range.end as usize]
                .to_vec()
        }
        View::Fields { fields, base, .. } => fields[range.start as usize..range.end as usize]
            .iter()
            .map(|f| {
                let name = tuple_index(&f.name).unwrap_or(&f.name).to_string();
                (
                    name,
                    crate::values::unsized_views::member(dbg, v, &ty, f, base),
                )
            })
            .collect(),
        _ => Vec::new(),
    }
}

fn write_preview(dbg: &DebugInfo, v: &Val, ty: &Type, view: &View, out: &mut String, depth: u32) {
    let deep = depth >= PREVIEW_DEPTH;
    match view {
        View::Scalar(enc, size) => match views::scalar_text(&dbg.mem, &v.place, *enc, *size) {
            Ok(s) => out.push_str(&s),
            Err(e) => out.push_str(&e.to_string()),
        },
        View::Str { ptr, len } => {
            let want = (*len).min(PREVIEW_STR_BYTES);
            match Place::Mem(*ptr).read(&dbg.mem, 0, want as usize) {
                Ok(bytes) => {
                    let text = utf8_prefix(&bytes);
                    out.push_str(&format!("{text:?}"));
                    if want < *len {
                        out.push_str("..");
                    }
                }
                Err(e) => out.push_str(&e.to_string()),
            }
        }
        View::Bytes { ptr, len } => {
            let want = (*len).min(PREVIEW_STR_BYTES);
            match Place::Mem(*ptr).read(&dbg.mem, 0, want as usize) {
                Ok(bytes) => {
                    out.push_str(&format!("b\"{}\"", bytes.escape_ascii()));
                    if want < *len {
                        out.push_str("..");
                    }
                }
                Err(e) => out.push_str(&e.to_string()),
            }
        }
        View::Seq { .. } | View::Array { .. } => write_items(dbg, v, view, out, depth, ('[', ']')),
        View::Pointer {
            target,
            pointee,
            raw,
        } => {
            if *raw || pointee.is_none() {
                out.push_str(&format!("{target:#x}"));
            } else if *target == 0 {
                out.push_str("<null>");
            } else if deep {
                out.push_str("&..");
            } else {
                let kid = Val::new(Place::Mem(*target), *pointee);
                preview_into(dbg, &kid, out, depth + 1);
            }
        }
        View::Fields { label, style, .. } => {
            out.push_str(label);
            let (open, close) = match style {
                Style::Unit => return,
                Style::Named => (" { ", " }"),
                Style::Tuple | Style::Anonymous => ("(", ")"),
            };
            if deep {
                out.push_str(if *style == Style::Named {
                    " { .. }"
                } else {
                    "(..)"
                });
                return;
            }
            out.push_str(open);
            let kids = children(dbg, v, 0, u64::MAX);
            for (i, (name, kid)) in kids.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                if out.len() >= PREVIEW_LIMIT {
                    out.push_str("..");
                    break;
                }
                if *style == Style::Named {
                    out.push_str(name);
                    out.push_str(": ");
                }
                preview_into(dbg, kid, out, depth + 1);
            }
            if *style == Style::Anonymous && kids.len() == 1 {
                out.push(',');
            }
            out.push_str(close);
        }
        View::Items { shape, .. } => {
            let brackets = if *shape == Shape::Seq {
                ('[', ']')
            } else {
                ('{', '}')
            };
            write_items(dbg, v, view, out, depth, brackets);
        }
        View::Wrapper { show, kids, .. } => match show {
            Show::Child(i) => match kids.get(*i) {
                Some((_, kid)) => preview_into(dbg, kid, out, depth),
                None => out.push_str("<empty>"),
            },
            Show::Text(t) | Show::Literal(t) => out.push_str(t),
            Show::Struct { label, shown, more } => {
                out.push_str(label);
                if deep {
                    out.push_str(" { .. }");
                    return;
                }
                out.push_str(" { ");
                for (n, i) in shown.iter().enumerate() {
                    let Some((name, kid)) = kids.get(*i) else {
                        continue;
                    };
                    if n > 0 {
                        out.push_str(", ");
                    }
                    out.push_str(name);
                    out.push_str(": ");
                    preview_into(dbg, kid, out, depth + 1);
                }
                out.push_str(if *more { ", .. }" } else { " }" });
            }
        },
        View::Entry(kv) => preview_into(dbg, &kv.1, out, depth),
        View::CEnum(name) => out.push_str(name),
        View::Function(addr) => {
            let name = dbg.symbol_name(addr.wrapping_sub(dbg.bias));
            out.push_str(&name.unwrap_or_else(|| format!("{addr:#x}")));
        }
        View::Error(e) => out.push_str(&e.to_string()),
    }
    let _ = ty;
}

/// `[a, b, ..]`, `{a, b}` or `{k: v, ..}`: the first elements, cut at the
/// preview's length budget.
fn write_items(
    dbg: &DebugInfo,
    v: &Val,
    view: &View,
    out: &mut String,
    depth: u32,
    brackets: (char, char),
) {
    let (open, close) = brackets;
    out.push(open);
    if depth >= PREVIEW_DEPTH {
        out.push_str("..");
        out.push(close);
        return;
    }
    let kids = children(dbg, v, 0, PREVIEW_ELEMENTS);
    for (i, (_, kid)) in kids.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        if out.len() >= PREVIEW_LIMIT {
            out.push_str("..");
            break;
        }
        match &kid.entry {
            Some(kv) => {
                preview_into(dbg, &kv.0, out, depth + 1);
                out.push_str(": ");
                preview_into(dbg, &kv.1, out, depth + 1);
            }
            None => preview_into(dbg, kid, out, depth + 1),
        }
    }
    if (kids.len() as u64) < child_count(view) && out.len() < PREVIEW_LIMIT {
        out.push_str(", ..");
    }
    out.push(close);
}

/// A short preview, for naming map entries by their key.
pub fn short_preview(dbg: &DebugInfo, v: &Val) -> String {
    let mut out = String::new();
    preview_into(dbg, v, &mut out, PREVIEW_DEPTH - 1);
    out
}

fn preview_into(dbg: &DebugInfo, v: &Val, out: &mut String, depth: u32) {
    let ty = views::type_of(dbg, v);
    let view = views::view(dbg, v, &ty);
    write_preview(dbg, v, &ty, &view, out, depth);
}

/// The longest valid UTF-8 prefix (a preview may cut a character in half).
fn utf8_prefix(bytes: &[u8]) -> String {
    match std::str::from_utf8(bytes) {
        Ok(s) => s.to_string(),
        Err(e) if e.error_len().is_none() => {
            String::from_utf8_lossy(&bytes[..e.valid_up_to()]).into_owned()
        }
        Err(_) => String::from_utf8_lossy(bytes).into_owned(),
    }
}

/// A fully transferred value, serialized as MessagePack so that a local serde
/// type of the same shape decodes it.
#[derive(Debug, Clone, PartialEq)]
pub enum Data {
    Nil,
    Bool(bool),
    Int(i64),
    UInt(u64),
    /// Integers beyond 64 bits, as decimal text.
    Big(String),
    Float(f64),
    Str(String),
    Seq(Vec<Data>),
    /// Struct fields (string keys) or map entries (any keys).
    Map(Vec<(Data, Data)>),
}

impl Serialize for Data {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Data::Nil => s.serialize_unit(),
            Data::Bool(b) => s.serialize_bool(*b),
            Data::Int(i) => s.serialize_i64(*i),
            Data::UInt(u) => s.serialize_u64(*u),
            Data::Big(t) | Data::Str(t) => s.serialize_str(t),
            Data::Float(f) => s.serialize_f64(*f),
            Data::Seq(items) => {
                let mut seq = s.serialize_seq(Some(items.len()))?;
                for item in items {
                    seq.serialize_element(item)?;
                }
                seq.end()
            }
            Data::Map(entries) => {
                let mut map = s.serialize_map(Some(entries.len()))?;
                for (k, v) in entries {
                    map.serialize_entry(k, v)?;
                }
                map.end()
            }
        }
    }
}

/// The whole value, bounded to [`FETCH_NODES`] nodes.
pub fn fetch(dbg: &DebugInfo, v: &Val) -> Result<Data, Unavailable> {
    let mut budget = FETCH_NODES;
    fetch_in(dbg, v, &mut budget, 0)
}

fn fetch_in(dbg: &DebugInfo, v: &Val, budget: &mut u64, depth: u32) -> Result<Data, Unavailable> {
    if *budget == 0 {
        return Err(Unavailable::TooManyElements(FETCH_NODES));
    }
    if depth > 64 {
        return Err(Unavailable::NestedTooDeeply);
    }
    *budget -= 1;
    let ty = views::type_of(dbg, v);
    let view = views::view(dbg, v, &ty);
    let all = |budget: &mut u64| -> Result<Vec<Data>, Unavailable> {
        let total = child_count(&view);
        if total > *budget {
            return Err(Unavailable::TooManyElements(total));
        }
        children(dbg, v, 0, total)
            .iter()
            .map(|(_, kid)| fetch_in(dbg, kid, budget, depth + 1))
            .collect()
    };
    Ok(match &view {
        View::Scalar(enc, size) => match enc {
            types::Encoding::Unit => Data::Nil,
            types::Encoding::Bool => Data::Bool(v.place.uint(&dbg.mem, 0, 1)? != 0),
            types::Encoding::Float => match size {
                4 => Data::Float(f32::from_bits(v.place.uint(&dbg.mem, 0, 4)? as u32) as f64),
                _ => Data::Float(f64::from_bits(v.place.uint(&dbg.mem, 0, 8)? as u64)),
            },
            types::Encoding::Char => {
                let c = {
                    let raw = v.place.uint(&dbg.mem, 0, 4)? as u32;
                    char::from_u32(raw).ok_or(Unavailable::InvalidChar(raw))?
                };
                Data::Str(c.to_string())
            }
            _ => match views::scalar_number(&dbg.mem, &v.place, *enc, *size)? {
                Ok(i) => i64::try_from(i).map_or_else(|_| Data::Big(i.to_string()), Data::Int),
                Err(u) => u64::try_from(u).map_or_else(|_| Data::Big(u.to_string()), Data::UInt),
            },
        },
        View::Str { ptr, len } => {
            if *len > MAX_READ as u64 {
                return Err(Unavailable::StringTooLarge(*len));
            }
            let bytes = Place::Mem(*ptr).read(&dbg.mem, 0, *len as usize)?;
            Data::Str(String::from_utf8_lossy(&bytes).into_owned())
        }
        View::Bytes { ptr, len } => {
            if *len > MAX_READ as u64 {
                return Err(Unavailable::StringTooLarge(*len));
            }
            let bytes = Place::Mem(*ptr).read(&dbg.mem, 0, *len as usize)?;
            Data::Seq(
                bytes
                    .into_iter()
                    .map(|b| Data::UInt(u64::from(b)))
                    .collect(),
            )
        }
        View::Seq { .. } | View::Array { .. } => Data::Seq(all(budget)?),
        View::Pointer { target, raw, .. } if *raw => Data::UInt(*target),
        View::Pointer { .. } => match children(dbg, v, 0, 1).pop() {
            Some((_, kid)) => fetch_in(dbg, &kid, budget, depth + 1)?,
            None => return Err(Unavailable::NullPointer),
        },
        View::Fields {
            label,
            style,
            variant,
            fields,
            ..
        } => {
            let items = all(budget)?;
            let names = fields.iter().map(|f| Data::Str(f.name.clone()));
            let body = match style {
                Style::Unit => Data::Nil,
                Style::Named => Data::Map(names.zip(items).collect()),
                Style::Tuple if items.len() == 1 => items.into_iter().next().unwrap_or(Data::Nil),
                Style::Tuple | Style::Anonymous => Data::Seq(items),
            };
            let option = ty.name.starts_with("Option<");
            match (variant, style) {
                (false, _) => body,
                (true, _) if option => body,
                (true, Style::Unit) => Data::Str(label.clone()),
                (true, _) => Data::Map(vec![(Data::Str(label.clone()), body)]),
            }
        }
        View::CEnum(name) => Data::Str(name.clone()),
        View::Function(addr) => Data::UInt(*addr),
        View::Items { shape, .. } => {
            let items = all(budget)?;
            if *shape == Shape::Map {
                Data::Map(
                    items
                        .into_iter()
                        .map(|kv| match kv {
                            Data::Seq(mut pair) if pair.len() == 2 => {
                                let v = pair.pop().unwrap_or(Data::Nil);
                                (pair.pop().unwrap_or(Data::Nil), v)
                            }
                            other => (other, Data::Nil),
                        })
                        .collect(),
                )
            } else {
                Data::Seq(items)
            }
        }
        View::Entry(kv) => Data::Seq(vec![
            fetch_in(dbg, &kv.0, budget, depth + 1)?,
            fetch_in(dbg, &kv.1, budget, depth + 1)?,
        ]),
        View::Wrapper { show, kids, .. } => match show {
            Show::Child(i) => match kids.get(*i) {
                Some((_, kid)) => fetch_in(dbg, kid, budget, depth + 1)?,
                None => Data::Nil,
            },
            Show::Struct { shown, .. } => {
                let mut map = Vec::new();
                for i in shown {
                    if let Some((name, kid)) = kids.get(*i) {
                        map.push((
                            Data::Str(name.clone()),
                            fetch_in(dbg, kid, budget, depth + 1)?,
                        ));
                    }
                }
                Data::Map(map)
            }
            Show::Literal(t) => Data::Str(t.clone()),
            Show::Text(_) if kids.is_empty() => Data::Nil,
            Show::Text(_) => Data::Map(
                kids.iter()
                    .map(|(name, kid)| {
                        Ok((
                            Data::Str(name.clone()),
                            fetch_in(dbg, kid, budget, depth + 1)?,
                        ))
                    })
                    .collect::<Result<_, Unavailable>>()?,
            ),
        },
        View::Error(e) => return Err(e.clone()),
    })
}
