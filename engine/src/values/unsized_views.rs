//! Pointers to unsized values: `Box<[T]>`, `Box<str>`, `&S<[T]>`,
//! `Box<S<dyn Trait>>`, and the `RcInner<[T]>`, `RcInner<str>`,
//! `ArcInner<dyn Trait>` behind `Rc` and `Arc`.
//!
//! DWARF describes a fat pointer as a struct of `data_ptr` and `length` (or
//! `pointer` and `vtable`) whose pointee type stands for the unsized value
//! with its tail cut down to one element (`RcInner<[u32]>` ends in one
//! `value: u32`; `Packet<dyn Named>` ends in a zero-sized `dyn Named`). The
//! pointer's metadata travels with the pointee ([`Meta`]), so that the tail
//! is shown as what it is: `len` elements, `len` bytes of text, or the
//! concrete type the vtable names, placed at that type's alignment.

use crate::dwarf::debuginfo::DebugInfo;
use crate::dwarf::types::{self, Field, Kind, Type};
use crate::memory::place::Place;
use crate::memory::unavailable::Unavailable;
use crate::values::families;
use crate::values::shapes::{Seq, Show, Str, Wrapper};
use crate::values::views::{Val, View, checked, type_of};

/// What an unsized value's pointer carried beside its address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Meta {
    /// The value is `[T]`: this many elements of the value's type.
    Slice(u64),
    /// The value is `str`: this many bytes of UTF-8.
    Str(u64),
    /// The value is a struct whose last field is unsized, with this metadata.
    Tail(Tail),
}

/// A custom DST's metadata: its tail's length, or its vtable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tail {
    Len(u64),
    Vtable(u64),
}

/// The value a fat pointer points to, typed and with its metadata; `None`
/// when `ty` is not a fat pointer (or `&str`, `&[T]`, which views know).
pub fn target(dbg: &DebugInfo, v: &Val, ty: &Type) -> Option<Val> {
    let written = pointee_written(&ty.name)?;
    let fields = ty.struct_fields()?;
    if fields.len() != 2 {
        return None;
    }
    let (data, meta) = (&fields[0], &fields[1]);
    let pointee = match types::get(dbg, data.ty?).kind {
        Kind::Pointer { pointee } => pointee,
        _ => return None,
    };
    let addr = v.place.word(&dbg.mem, data.offset).ok()?;
    let word = v.place.word(&dbg.mem, meta.offset).ok()?;
    let meta = match (data.name.as_str(), meta.name.as_str()) {
        ("data_ptr", "length") if written == "str" => Meta::Str(word),
        ("data_ptr", "length") if is_slice(written) => Meta::Slice(word),
        ("data_ptr", "length") => Meta::Tail(Tail::Len(word)),
        ("pointer", "vtable") if written.starts_with("dyn ") => {
            return Some(match crate::dwarf::globals::vtable_type(dbg, word) {
                Some(concrete) => Val::new(Place::Mem(addr), Some(concrete)),
                None => Val::new(Place::Missing(Unavailable::UnknownVtable(word)), None),
            });
        }
        ("pointer", "vtable") => Meta::Tail(Tail::Vtable(word)),
        _ => return None,
    };
    Some(Val::with_meta(Place::Mem(addr), pointee, meta))
}

/// The view of a fat pointer views do not otherwise know: `Box<[T]>` and
/// `Box<str>` as their elements or text, a pointer to a custom DST as a
/// pointer to it, a raw one (`*const [T]`) as its address over its pointee.
pub fn view(dbg: &DebugInfo, v: &Val, ty: &Type) -> Option<View> {
    let target = target(dbg, v, ty)?;
    if ty.name.starts_with('*') {
        // A raw pointer is its address, and keeps its `*` step.
        let addr = match target.place {
            Place::Mem(a) => a,
            _ => 0,
        };
        return Some(View::Wrapper(Wrapper {
            show: Show::Text(format!("{addr:#x}")),
            kids: vec![("*".into(), target)],
            pointer: true,
        }));
    }
    match target.meta {
        Some(Meta::Slice(_) | Meta::Str(_)) => {
            let tty = type_of(dbg, &target);
            Some(families::view(dbg, &target, &tty))
        }
        _ => Some(View::Wrapper(Wrapper {
            show: Show::Child(0),
            kids: vec![("*".into(), target)],
            pointer: true,
        })),
    }
}

/// The view of a value that is itself unsized (`[T]` or `str` behind a
/// pointer); `None` for sized values and custom DSTs, which are structs.
pub fn own_view(v: &Val) -> Option<View> {
    let Place::Mem(ptr) = v.place else {
        return None;
    };
    match v.meta? {
        Meta::Slice(len) => Some(checked(
            len,
            View::Seq(Seq {
                ptr,
                len,
                elem: v.ty,
            }),
        )),
        Meta::Str(len) => Some(checked(len, View::Str(Str { ptr, len }))),
        Meta::Tail(_) => None,
    }
}

/// The type as written for an unsized value: `[u32]`, `str`.
pub fn type_name(dbg: &DebugInfo, v: &Val, ty: &Type) -> Option<String> {
    match v.meta? {
        Meta::Slice(_) => Some(format!(
            "[{}]",
            crate::values::render::display_type(dbg, ty)
        )),
        Meta::Str(_) => Some("str".into()),
        Meta::Tail(_) => None,
    }
}

/// Field `f` of struct `v` (at `base` inside it): for a custom DST, its
/// unsized tail as the metadata says; otherwise the field where it lies.
pub fn member(dbg: &DebugInfo, v: &Val, ty: &Type, f: &Field, base: u64) -> Val {
    let plain = || Val::new(v.place.at(base + f.offset), f.ty);
    let Some(Meta::Tail(tail)) = v.meta else {
        return plain();
    };
    if base != 0 || !tail_field(ty).is_some_and(|t| t.name == f.name && t.offset == f.offset) {
        return plain();
    }
    let Place::Mem(addr) = v.place else {
        return plain();
    };
    let fty = f.ty.map(|t| types::get(dbg, t));
    let fname = fty.as_ref().map_or("", |t| t.name.as_str());
    match tail {
        Tail::Vtable(vtable) => {
            // The tail starts at the concrete type's alignment.
            let align = match dbg.mem.read_word(vtable.wrapping_add(16)) {
                Ok(a) if a.is_power_of_two() && a <= 1 << 16 => a,
                Ok(_) => return Val::new(Place::Missing(Unavailable::UnknownVtable(vtable)), None),
                Err(e) => return Val::new(Place::Missing(e.into()), None),
            };
            let at = Place::Mem(addr.wrapping_add(f.offset.next_multiple_of(align)));
            if fname.starts_with("dyn ") {
                match crate::dwarf::globals::vtable_type(dbg, vtable) {
                    Some(concrete) => Val::new(at, Some(concrete)),
                    None => Val::new(Place::Missing(Unavailable::UnknownVtable(vtable)), None),
                }
            } else {
                Val::with_meta(at, f.ty, Meta::Tail(tail))
            }
        }
        Tail::Len(len) => {
            let at = Place::Mem(addr.wrapping_add(f.offset));
            let meta = if unsized_arg(fname).is_some() {
                Meta::Tail(tail)
            } else if unsized_arg(&ty.name) == Some("str") {
                Meta::Str(len)
            } else {
                Meta::Slice(len)
            };
            Val::with_meta(at, f.ty, meta)
        }
    }
}

/// A DST's unsized field: the last in memory (a zero-sized marker at the
/// same offset yields to it).
fn tail_field(ty: &Type) -> Option<&Field> {
    let fields = ty.struct_fields()?;
    let end = fields.iter().map(|f| f.offset).max()?;
    let last: Vec<&Field> = fields.iter().filter(|f| f.offset == end).collect();
    last.iter()
        .rev()
        .find(|f| !f.name.starts_with("_marker") && f.name != "phantom")
        .or(last.last())
        .copied()
}

/// The pointee as written in a pointer type's name: `&S<[u8]>` → `S<[u8]>`,
/// `alloc::boxed::Box<[u32], alloc::alloc::Global>` → `[u32]`.
fn pointee_written(name: &str) -> Option<&str> {
    for prefix in ["&mut ", "&", "*const ", "*mut "] {
        if let Some(rest) = name.strip_prefix(prefix) {
            return Some(rest);
        }
    }
    let args = name
        .strip_prefix("alloc::boxed::Box<")
        .or_else(|| name.strip_prefix("Box<"))?
        .strip_suffix('>')?;
    generic_args(args).into_iter().next()
}

/// `T` of `[T]` (not of `[T; N]`).
fn is_slice(written: &str) -> bool {
    written
        .strip_prefix('[')
        .and_then(|s| s.strip_suffix(']'))
        .is_some_and(|inner| generic_args_split(inner, ';').len() == 1)
}

/// The last generic argument of `name` that is unsized (`str`, `[T]`,
/// `dyn Trait`): what makes a struct of that name a DST.
fn unsized_arg(name: &str) -> Option<&str> {
    let open = name.find('<')?;
    let args = name[open + 1..].strip_suffix('>')?;
    generic_args(args)
        .into_iter()
        .rev()
        .find(|a| *a == "str" || is_slice(a) || a.starts_with("dyn "))
}

/// Top-level, comma-separated generic arguments.
fn generic_args(args: &str) -> Vec<&str> {
    generic_args_split(args, ',')
}

fn generic_args_split(args: &str, sep: char) -> Vec<&str> {
    let mut out = Vec::new();
    let mut depth = 0i32;
    let mut start = 0;
    for (i, c) in args.char_indices() {
        match c {
            '<' | '[' | '(' => depth += 1,
            '>' | ']' | ')' => depth -= 1,
            c if c == sep && depth == 0 => {
                out.push(args[start..i].trim());
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(args[start..].trim());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pointees_are_read_from_pointer_names() {
        assert_eq!(pointee_written("&demo::S<[u8]>"), Some("demo::S<[u8]>"));
        assert_eq!(pointee_written("&mut str"), Some("str"));
        assert_eq!(
            pointee_written("*const alloc::rc::RcInner<dyn core::fmt::Debug>"),
            Some("alloc::rc::RcInner<dyn core::fmt::Debug>")
        );
        assert_eq!(
            pointee_written("alloc::boxed::Box<[u32], alloc::alloc::Global>"),
            Some("[u32]")
        );
        assert_eq!(
            pointee_written("alloc::boxed::Box<demo::P<dyn demo::N>, alloc::alloc::Global>"),
            Some("demo::P<dyn demo::N>")
        );
        assert_eq!(pointee_written("Vec<u8>"), None);
    }

    #[test]
    fn unsized_arguments_are_told_from_sized_ones() {
        assert!(is_slice("[u32]"));
        assert!(is_slice("[(u8, [u8; 2])]"));
        assert!(!is_slice("[u8; 4]"));
        assert_eq!(unsized_arg("RcInner<str>"), Some("str"));
        assert_eq!(unsized_arg("Packet<[u8]>"), Some("[u8]"));
        assert_eq!(unsized_arg("Packet<dyn a::B>"), Some("dyn a::B"));
        assert_eq!(unsized_arg("Wrapper<[u8; 4]>"), None);
        assert_eq!(unsized_arg("Wrapper<Box<[u8]>>"), None);
        assert_eq!(unsized_arg("u8"), None);
    }
}
