//! The shapes a [`View`](crate::values::views::View) takes, each with every
//! answer a client gets about a value of that shape ([`Shown`]): its kind
//! and length, how many children it has and a page of them, its one-line
//! preview in `{:?}` style, and its full transfer. A family of views picks
//! a shape; one that shows a type its own way implements [`Shown`] itself
//! (as `crate_views` does for a UUID).

use std::ops::Range;
use std::sync::Arc;

use wire::ValueKind;

use crate::dwarf::debuginfo::DieRef;
use crate::dwarf::types::{self, Encoding, Field};
use crate::memory::place::Place;
use crate::memory::read::{MAX_READ, Memory};
use crate::memory::unavailable::Unavailable;
use crate::values::render::{Data, Fetch, Preview, Shown, Typed};
use crate::values::unsized_views;
use crate::values::views::Val;
use crate::values::walk::Walk;

/// String bytes read for a preview.
const PREVIEW_STR_BYTES: u64 = 64;

/// A scalar of a DWARF base type: `42`, `-1.5`, `true`, `'x'`, `()`.
#[derive(Debug, Clone, Copy)]
pub struct Scalar {
    pub enc: Encoding,
    pub size: u64,
}

impl Shown for Scalar {
    fn kind(&self) -> (ValueKind, Option<u64>) {
        let kind = match self.enc {
            Encoding::Signed | Encoding::Unsigned => ValueKind::Int,
            Encoding::Float => ValueKind::Float,
            Encoding::Bool => ValueKind::Bool,
            Encoding::Char => ValueKind::Char,
            Encoding::Unit => ValueKind::Unit,
        };
        (kind, None)
    }

    fn preview(&self, it: &Typed<'_>, p: &mut Preview<'_>) {
        match scalar_text(&it.dbg.mem, &it.v.place, self.enc, self.size) {
            Ok(s) => p.push(&s),
            Err(e) => p.push(&e.to_string()),
        }
    }

    fn fetch(&self, it: &Typed<'_>, _: &mut Fetch<'_>) -> Result<Data, Unavailable> {
        let (mem, place) = (&it.dbg.mem, &it.v.place);
        Ok(match self.enc {
            Encoding::Unit => Data::Nil,
            Encoding::Bool => Data::Bool(place.uint(mem, 0, 1)? != 0),
            Encoding::Float => match self.size {
                4 => Data::Float(f32::from_bits(place.uint(mem, 0, 4)? as u32) as f64),
                _ => Data::Float(f64::from_bits(place.uint(mem, 0, 8)? as u64)),
            },
            Encoding::Char => {
                let raw = place.uint(mem, 0, 4)? as u32;
                let c = char::from_u32(raw).ok_or(Unavailable::InvalidChar(raw))?;
                Data::Str(c.to_string())
            }
            _ => match scalar_number(mem, place, self.enc, self.size)? {
                Ok(i) => i64::try_from(i).map_or_else(|_| Data::Big(i.to_string()), Data::Int),
                Err(u) => u64::try_from(u).map_or_else(|_| Data::Big(u.to_string()), Data::UInt),
            },
        })
    }
}

/// UTF-8 text at `ptr`, `len` bytes.
#[derive(Debug, Clone, Copy)]
pub struct Str {
    pub ptr: u64,
    pub len: u64,
}

impl Shown for Str {
    fn kind(&self) -> (ValueKind, Option<u64>) {
        (ValueKind::Str, Some(self.len))
    }

    /// Text is a leaf: its length counts bytes, not children.
    fn count(&self) -> u64 {
        0
    }

    fn preview(&self, it: &Typed<'_>, p: &mut Preview<'_>) {
        self.preview_as(it, p, |bytes| format!("{:?}", utf8_prefix(bytes)));
    }

    fn fetch(&self, it: &Typed<'_>, _: &mut Fetch<'_>) -> Result<Data, Unavailable> {
        let bytes = self.whole(it)?;
        Ok(Data::Str(String::from_utf8_lossy(&bytes).into_owned()))
    }
}

impl Str {
    /// The first bytes as `write` shows them, then `..` if there are more.
    fn preview_as(&self, it: &Typed<'_>, p: &mut Preview<'_>, write: fn(&[u8]) -> String) {
        let want = self.len.min(PREVIEW_STR_BYTES);
        match Place::Mem(self.ptr).read(&it.dbg.mem, 0, want as usize) {
            Ok(bytes) => {
                p.push(&write(&bytes));
                if want < self.len {
                    p.push("..");
                }
            }
            Err(e) => p.push(&e.to_string()),
        }
    }

    /// All the bytes, for a full transfer.
    fn whole(&self, it: &Typed<'_>) -> Result<Vec<u8>, Unavailable> {
        if self.len > MAX_READ as u64 {
            return Err(Unavailable::StringTooLarge(self.len));
        }
        Place::Mem(self.ptr).read(&it.dbg.mem, 0, self.len as usize)
    }
}

/// A platform string (`OsString`, `PathBuf`, `&Path`): the bytes a [`Str`]
/// names, written as `{:?}` of an `OsStr` writes them, each byte that is not
/// UTF-8 as `\xNN` (`"a\xFFb"`); transferred as text when it is UTF-8,
/// else as its bytes.
#[derive(Debug, Clone, Copy)]
pub struct OsStr(pub Str);

impl Shown for OsStr {
    fn kind(&self) -> (ValueKind, Option<u64>) {
        self.0.kind()
    }

    fn count(&self) -> u64 {
        0
    }

    fn preview(&self, it: &Typed<'_>, p: &mut Preview<'_>) {
        let Str { ptr, len } = self.0;
        let want = len.min(PREVIEW_STR_BYTES);
        match Place::Mem(ptr).read(&it.dbg.mem, 0, want as usize) {
            Ok(bytes) if want < len => {
                p.push(&os_debug(whole_chars(&bytes)));
                p.push("..");
            }
            Ok(bytes) => p.push(&os_debug(&bytes)),
            Err(e) => p.push(&e.to_string()),
        }
    }

    fn text_bytes(&self) -> Option<(u64, u64)> {
        Some((self.0.ptr, self.0.len))
    }

    /// Its text when it is UTF-8, else its bytes: never a string with
    /// bytes replaced.
    fn fetch(&self, it: &Typed<'_>, _: &mut Fetch<'_>) -> Result<Data, Unavailable> {
        let bytes = self.0.whole(it)?;
        Ok(match String::from_utf8(bytes) {
            Ok(text) => Data::Str(text),
            Err(e) => Data::Seq(
                e.into_bytes()
                    .into_iter()
                    .map(|b| Data::UInt(u64::from(b)))
                    .collect(),
            ),
        })
    }
}

/// `bytes` less a character the preview's cut left unfinished at its end
/// (bytes that are not UTF-8 stay: they are the string's own).
fn whole_chars(bytes: &[u8]) -> &[u8] {
    let tail = bytes
        .utf8_chunks()
        .last()
        .map_or(&[][..], |chunk| chunk.invalid());
    let unfinished = std::str::from_utf8(tail).is_err_and(|e| e.error_len().is_none());
    if unfinished && bytes.ends_with(tail) {
        &bytes[..bytes.len() - tail.len()]
    } else {
        bytes
    }
}

/// `bytes` as `{:?}` of an `OsStr` on Unix: valid runs escaped as a `str`'s
/// `{:?}`, every other byte `\xNN`.
fn os_debug(bytes: &[u8]) -> String {
    let mut out = String::from("\"");
    for chunk in bytes.utf8_chunks() {
        for c in chunk.valid().chars() {
            match c {
                '\'' => out.push('\''),
                c => out.extend(c.escape_debug()),
            }
        }
        for b in chunk.invalid() {
            out.push_str(&format!("\\x{b:02X}"));
        }
    }
    out.push('"');
    out
}

/// A byte string (`Bytes`, `BytesMut`): the bytes a [`Str`] names, written
/// `b"…"` and transferred as numbers.
#[derive(Debug, Clone, Copy)]
pub struct Bytes(pub Str);

impl Shown for Bytes {
    fn kind(&self) -> (ValueKind, Option<u64>) {
        self.0.kind()
    }

    fn count(&self) -> u64 {
        self.0.count()
    }

    fn preview(&self, it: &Typed<'_>, p: &mut Preview<'_>) {
        self.0
            .preview_as(it, p, |bytes| format!("b\"{}\"", bytes.escape_ascii()));
    }

    fn fetch(&self, it: &Typed<'_>, _: &mut Fetch<'_>) -> Result<Data, Unavailable> {
        let bytes = self.0.whole(it)?;
        Ok(Data::Seq(
            bytes
                .into_iter()
                .map(|b| Data::UInt(u64::from(b)))
                .collect(),
        ))
    }
}

/// A value whose `{:?}` is one line of text its family composed from the
/// fields it read (an address, a date, a URI): that text is its preview,
/// and its full transfer unless the family says otherwise; its children
/// are those fields, raw.
#[derive(Debug, Clone)]
pub struct Said {
    pub text: String,
    pub value: Data,
    pub kids: Vec<(String, Val)>,
}

impl Said {
    /// Shown and transferred as `text`.
    pub fn text(text: String, kids: Vec<(String, Val)>) -> Said {
        Said {
            value: Data::Str(text.clone()),
            text,
            kids,
        }
    }
}

impl Shown for Said {
    fn kind(&self) -> (ValueKind, Option<u64>) {
        (ValueKind::Struct, None)
    }

    fn count(&self) -> u64 {
        self.kids.len() as u64
    }

    fn page(&self, _: &Typed<'_>, range: Range<u64>) -> Vec<(String, Val)> {
        self.kids[range.start as usize..range.end as usize].to_vec()
    }

    fn preview(&self, _: &Typed<'_>, p: &mut Preview<'_>) {
        p.push(&self.text);
    }

    fn fetch(&self, _: &Typed<'_>, _: &mut Fetch<'_>) -> Result<Data, Unavailable> {
        Ok(self.value.clone())
    }
}

/// `len` elements of `elem` from `ptr` (Vec, slices).
#[derive(Debug, Clone, Copy)]
pub struct Seq {
    pub ptr: u64,
    pub len: u64,
    pub elem: Option<DieRef>,
}

impl Shown for Seq {
    fn kind(&self) -> (ValueKind, Option<u64>) {
        (ValueKind::Sequence, Some(self.len))
    }

    fn page(&self, it: &Typed<'_>, range: Range<u64>) -> Vec<(String, Val)> {
        strided(it, &Place::Mem(self.ptr), self.elem, range)
    }
}

/// An inline array: `count` elements of `elem` where the value is.
#[derive(Debug, Clone, Copy)]
pub struct Array {
    pub elem: Option<DieRef>,
    pub count: u64,
}

impl Shown for Array {
    fn kind(&self) -> (ValueKind, Option<u64>) {
        (ValueKind::Array, Some(self.count))
    }

    fn page(&self, it: &Typed<'_>, range: Range<u64>) -> Vec<(String, Val)> {
        strided(it, &it.v.place, self.elem, range)
    }
}

/// Elements `range` of `elem`, one stride apart from `start`.
fn strided(
    it: &Typed<'_>,
    start: &Place,
    elem: Option<DieRef>,
    range: Range<u64>,
) -> Vec<(String, Val)> {
    let size = elem.map_or(0, |e| types::get(it.dbg, e).size);
    range
        .map(|i| {
            (
                format!("[{i}]"),
                Val::new(start.at(i.wrapping_mul(size)), elem),
            )
        })
        .collect()
}

/// A reference, `Box`, or raw pointer.
#[derive(Debug, Clone, Copy)]
pub struct Pointer {
    pub target: u64,
    pub pointee: Option<DieRef>,
    pub raw: bool,
}

impl Shown for Pointer {
    fn kind(&self) -> (ValueKind, Option<u64>) {
        (ValueKind::Pointer, None)
    }

    fn count(&self) -> u64 {
        u64::from(self.target != 0 && self.pointee.is_some())
    }

    fn page(&self, _: &Typed<'_>, range: Range<u64>) -> Vec<(String, Val)> {
        range
            .map(|_| {
                let place = Place::Mem(self.target);
                ("*".to_string(), Val::new(place, self.pointee))
            })
            .collect()
    }

    fn preview(&self, _: &Typed<'_>, p: &mut Preview<'_>) {
        if self.raw || self.pointee.is_none() {
            p.push(&format!("{:#x}", self.target));
        } else if self.target == 0 {
            p.push("<null>");
        } else if p.deep() {
            p.push("&..");
        } else {
            p.value(&Val::new(Place::Mem(self.target), self.pointee));
        }
    }

    fn fetch(&self, it: &Typed<'_>, f: &mut Fetch<'_>) -> Result<Data, Unavailable> {
        if self.raw {
            return Ok(Data::UInt(self.target));
        }
        match self.page(it, 0..self.count()).pop() {
            Some((_, kid)) => f.value(&kid),
            None => Err(Unavailable::NullPointer),
        }
    }
}

/// How a struct-like value's fields are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// `Point { x: 1, y: 2 }`
    Named,
    /// `Meters(3.5)`, `Some(42)`
    Tuple,
    /// `(1, 2)`
    Anonymous,
    /// `Empty`, `None`
    Unit,
}

/// Fields (already placed relative to the value) written in `style`, under
/// `label` (the struct or variant name).
#[derive(Debug, Clone)]
pub struct Fields {
    pub label: String,
    pub style: Style,
    pub fields: Vec<Field>,
    pub base: u64,
    pub variant: bool,
}

impl Shown for Fields {
    fn kind(&self) -> (ValueKind, Option<u64>) {
        let kind = match (self.variant, self.style) {
            (true, _) => ValueKind::Enum,
            (false, Style::Anonymous) => ValueKind::Tuple,
            (false, _) => ValueKind::Struct,
        };
        (kind, None)
    }

    fn count(&self) -> u64 {
        self.fields.len() as u64
    }

    fn page(&self, it: &Typed<'_>, range: Range<u64>) -> Vec<(String, Val)> {
        self.fields[range.start as usize..range.end as usize]
            .iter()
            .map(|f| {
                let name = tuple_index(&f.name).unwrap_or(&f.name).to_string();
                (
                    name,
                    unsized_views::member(it.dbg, it.v, it.ty, f, self.base),
                )
            })
            .collect()
    }

    fn preview(&self, it: &Typed<'_>, p: &mut Preview<'_>) {
        p.push(&self.label);
        let (open, close) = match self.style {
            Style::Unit => return,
            Style::Named => (" { ", " }"),
            Style::Tuple | Style::Anonymous => ("(", ")"),
        };
        if p.deep() {
            p.push(if self.style == Style::Named {
                " { .. }"
            } else {
                "(..)"
            });
            return;
        }
        p.push(open);
        let kids = self.page(it, 0..self.count());
        p.list(&kids, |p, name, kid| {
            if self.style == Style::Named {
                p.push(name);
                p.push(": ");
            }
            p.value(kid);
        });
        if self.style == Style::Anonymous && kids.len() == 1 {
            p.push(",");
        }
        p.push(close);
    }

    fn fetch(&self, it: &Typed<'_>, f: &mut Fetch<'_>) -> Result<Data, Unavailable> {
        let items = f.all(self.count(), |r| self.page(it, r))?;
        let names = self.fields.iter().map(|f| Data::Str(f.name.clone()));
        let body = match self.style {
            Style::Unit => Data::Nil,
            Style::Named => Data::Map(names.zip(items).collect()),
            Style::Tuple if items.len() == 1 => items.into_iter().next().unwrap_or(Data::Nil),
            Style::Tuple | Style::Anonymous => Data::Seq(items),
        };
        let option = it.ty.name.starts_with("Option<");
        Ok(match (self.variant, self.style) {
            (false, _) => body,
            (true, _) if option => body,
            (true, Style::Unit) => Data::Str(self.label.clone()),
            (true, _) => Data::Map(vec![(Data::Str(self.label.clone()), body)]),
        })
    }
}

/// `__0` → `0`: rustc names tuple fields `__N`.
pub fn tuple_index(name: &str) -> Option<&str> {
    name.strip_prefix("__")
        .filter(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

/// A C-like enum's variant name (or its number when unknown).
#[derive(Debug, Clone)]
pub struct CEnum(pub String);

impl Shown for CEnum {
    fn kind(&self) -> (ValueKind, Option<u64>) {
        (ValueKind::Enum, None)
    }

    fn preview(&self, _: &Typed<'_>, p: &mut Preview<'_>) {
        p.push(&self.0);
    }

    fn fetch(&self, _: &Typed<'_>, _: &mut Fetch<'_>) -> Result<Data, Unavailable> {
        Ok(Data::Str(self.0.clone()))
    }
}

/// A function pointer, at its runtime address.
#[derive(Debug, Clone, Copy)]
pub struct Function(pub u64);

impl Shown for Function {
    fn kind(&self) -> (ValueKind, Option<u64>) {
        (ValueKind::Function, None)
    }

    fn preview(&self, it: &Typed<'_>, p: &mut Preview<'_>) {
        let addr = self.0;
        let name = it.dbg.symbol_name(addr.wrapping_sub(it.dbg.bias));
        p.push(&name.unwrap_or_else(|| format!("{addr:#x}")));
    }

    fn fetch(&self, _: &Typed<'_>, _: &mut Fetch<'_>) -> Result<Data, Unavailable> {
        Ok(Data::UInt(self.0))
    }
}

/// How a container of items is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// `[1, 2]`
    Seq,
    /// `{1, 2}`
    Set,
    /// `{"a": 1}`
    Map,
}

/// Items found by walking a container's storage (`len` of them).
#[derive(Debug, Clone)]
pub struct Items {
    pub shape: Shape,
    pub len: u64,
    pub walk: Arc<dyn Walk>,
}

impl Shown for Items {
    fn kind(&self) -> (ValueKind, Option<u64>) {
        let kind = if self.shape == Shape::Map {
            ValueKind::Map
        } else {
            ValueKind::Sequence
        };
        (kind, Some(self.len))
    }

    fn page(&self, it: &Typed<'_>, range: Range<u64>) -> Vec<(String, Val)> {
        let items = match self.walk.items(&it.dbg.mem, range.clone()) {
            Ok(items) => items,
            Err(e) => vec![Val::new(Place::Missing(e), None)],
        };
        items
            .into_iter()
            .zip(range.start..)
            .map(|(item, i)| {
                let name = self.walk.name(it.dbg, i, &item).unwrap_or_else(|| {
                    match (&item.entry, self.shape) {
                        (Some(kv), Shape::Map) => {
                            crate::values::render::short_preview(it.dbg, &kv.0)
                        }
                        _ => format!("[{i}]"),
                    }
                });
                (name, item)
            })
            .collect()
    }

    fn preview(&self, it: &Typed<'_>, p: &mut Preview<'_>) {
        let brackets = if self.shape == Shape::Seq {
            ('[', ']')
        } else {
            ('{', '}')
        };
        p.items(self.count(), |r| self.page(it, r), brackets);
    }

    fn fetch(&self, it: &Typed<'_>, f: &mut Fetch<'_>) -> Result<Data, Unavailable> {
        let items = f.all(self.count(), |r| self.page(it, r))?;
        if self.shape != Shape::Map {
            return Ok(Data::Seq(items));
        }
        Ok(Data::Map(
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
        ))
    }
}

/// What a std wrapper's preview shows.
#[derive(Debug, Clone)]
pub enum Show {
    /// The preview of child `i`, as `{:?}` of `Rc`, `Pin`, `Cow`, atomics does.
    Child(usize),
    /// `Label { a: .., b: .. }` from the named children, then `, ..` if `more`.
    Struct {
        label: String,
        shown: Vec<usize>,
        more: bool,
    },
    /// `Label(..)` around the preview of child `i`, as `{:?}` of a one-field
    /// tuple struct writes it (`Regex("^a+$")`, `Url("https://…")`).
    Tuple { label: String, shown: usize },
    /// Fixed text.
    Text(String),
}

/// A std wrapper (`Rc`, `Cell`, `Mutex`, …): its preview and children.
#[derive(Debug, Clone)]
pub struct Wrapper {
    pub show: Show,
    pub kids: Vec<(String, Val)>,
    pub pointer: bool,
}

impl Shown for Wrapper {
    fn kind(&self) -> (ValueKind, Option<u64>) {
        let kind = if self.pointer {
            ValueKind::Pointer
        } else {
            ValueKind::Struct
        };
        (kind, None)
    }

    fn count(&self) -> u64 {
        self.kids.len() as u64
    }

    fn page(&self, _: &Typed<'_>, range: Range<u64>) -> Vec<(String, Val)> {
        self.kids[range.start as usize..range.end as usize].to_vec()
    }

    fn preview(&self, _: &Typed<'_>, p: &mut Preview<'_>) {
        match &self.show {
            Show::Child(i) => match self.kids.get(*i) {
                Some((_, kid)) => p.same(kid),
                None => p.push("<empty>"),
            },
            Show::Text(t) => p.push(t),
            Show::Tuple { label, shown } => {
                p.push(label);
                p.push("(");
                match self.kids.get(*shown) {
                    Some((_, kid)) => p.value(kid),
                    None => p.push("<empty>"),
                }
                p.push(")");
            }
            Show::Struct { label, shown, more } => {
                p.push(label);
                if p.deep() {
                    p.push(" { .. }");
                    return;
                }
                p.push(" { ");
                for (n, i) in shown.iter().enumerate() {
                    let Some((name, kid)) = self.kids.get(*i) else {
                        continue;
                    };
                    if n > 0 {
                        p.push(", ");
                    }
                    p.push(name);
                    p.push(": ");
                    p.value(kid);
                }
                p.push(if *more { ", .. }" } else { " }" });
            }
        }
    }

    fn fetch(&self, _: &Typed<'_>, f: &mut Fetch<'_>) -> Result<Data, Unavailable> {
        let kids = &self.kids;
        Ok(match &self.show {
            Show::Child(i) | Show::Tuple { shown: i, .. } => match kids.get(*i) {
                Some((_, kid)) => f.value(kid)?,
                None => Data::Nil,
            },
            Show::Struct { shown, .. } => {
                let mut map = Vec::new();
                for i in shown {
                    if let Some((name, kid)) = kids.get(*i) {
                        map.push((Data::Str(name.clone()), f.value(kid)?));
                    }
                }
                Data::Map(map)
            }
            Show::Text(_) if kids.is_empty() => Data::Nil,
            Show::Text(_) => Data::Map(
                kids.iter()
                    .map(|(name, kid)| Ok((Data::Str(name.clone()), f.value(kid)?)))
                    .collect::<Result<_, Unavailable>>()?,
            ),
        })
    }
}

/// A map entry, which reads as its value, named by its key.
#[derive(Debug, Clone)]
pub struct Entry(pub Box<(Val, Val)>);

impl Shown for Entry {
    fn kind(&self) -> (ValueKind, Option<u64>) {
        (ValueKind::Map, None)
    }

    fn count(&self) -> u64 {
        2
    }

    fn page(&self, _: &Typed<'_>, range: Range<u64>) -> Vec<(String, Val)> {
        let (k, v) = (self.0.0.clone(), self.0.1.clone());
        [("key".to_string(), k), ("value".to_string(), v)][range.start as usize..range.end as usize]
            .to_vec()
    }

    fn preview(&self, _: &Typed<'_>, p: &mut Preview<'_>) {
        p.same(&self.0.1);
    }

    fn fetch(&self, _: &Typed<'_>, f: &mut Fetch<'_>) -> Result<Data, Unavailable> {
        Ok(Data::Seq(vec![f.value(&self.0.0)?, f.value(&self.0.1)?]))
    }

    fn reads_as(&self) -> Option<&Val> {
        Some(&self.0.1)
    }
}

/// A value that cannot be shown: its text says why.
impl Shown for Unavailable {
    fn kind(&self) -> (ValueKind, Option<u64>) {
        (ValueKind::Error, None)
    }

    fn preview(&self, _: &Typed<'_>, p: &mut Preview<'_>) {
        p.push(&self.to_string());
    }

    fn fetch(&self, _: &Typed<'_>, _: &mut Fetch<'_>) -> Result<Data, Unavailable> {
        Err(self.clone())
    }
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

/// A two's-complement integer of `size` bytes, widened.
pub fn sign_extend(raw: u128, size: u64) -> i128 {
    let bits = (size.clamp(1, 16) * 8) as u32;
    let shift = 128 - bits;
    ((raw << shift) as i128) >> shift
}

/// Reads a scalar as text in `{:?}` style.
pub fn scalar_text(
    mem: &Memory,
    place: &Place,
    enc: Encoding,
    size: u64,
) -> Result<String, Unavailable> {
    if enc == Encoding::Unit {
        return Ok("()".into());
    }
    let raw = place.uint(mem, 0, size)?;
    Ok(match enc {
        Encoding::Signed => sign_extend(raw, size).to_string(),
        Encoding::Unsigned => raw.to_string(),
        Encoding::Bool => match raw {
            0 => "false".into(),
            1 => "true".into(),
            n => format!("<invalid bool {n}>"),
        },
        Encoding::Char => match char::from_u32(raw as u32) {
            Some(c) => format!("{c:?}"),
            None => format!("<invalid char {raw:#x}>"),
        },
        Encoding::Float => match size {
            4 => format!("{:?}", f32::from_bits(raw as u32)),
            8 => format!("{:?}", f64::from_bits(raw as u64)),
            _ => format!("<{size}-byte float>"),
        },
        Encoding::Unit => unreachable!(),
    })
}

/// Signed scalars as i128, unsigned as u128 (for full transfers).
pub fn scalar_number(
    mem: &Memory,
    place: &Place,
    enc: Encoding,
    size: u64,
) -> Result<Result<i128, u128>, Unavailable> {
    let raw = place.uint(mem, 0, size)?;
    Ok(match enc {
        Encoding::Signed => Ok(sign_extend(raw, size)),
        _ => Err(raw),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::memory::process::{Object, Process, ReadError};

    /// No memory at all: these values are held as bytes.
    struct NoProcess;

    impl Process for NoProcess {
        fn read_into(&self, addr: u64, _: &mut [u8]) -> Result<(), ReadError> {
            Err(ReadError::Unreadable(addr))
        }
        fn objects(&self) -> Vec<Object> {
            Vec::new()
        }
    }

    #[test]
    fn scalars_read_in_debug_style() {
        let p = |b: &[u8]| Place::Bytes(b.to_vec());
        let mem = Memory::new(std::sync::Arc::new(NoProcess));
        assert_eq!(
            scalar_text(&mem, &p(&[0xf8]), Encoding::Signed, 1).unwrap(),
            "-8"
        );
        assert_eq!(
            scalar_text(&mem, &p(&[0xff; 16]), Encoding::Unsigned, 16).unwrap(),
            u128::MAX.to_string()
        );
        assert_eq!(
            scalar_text(&mem, &p(&(-0.00225f64).to_le_bytes()), Encoding::Float, 8).unwrap(),
            "-0.00225"
        );
        assert_eq!(
            scalar_text(&mem, &p(&1.5f32.to_le_bytes()), Encoding::Float, 4).unwrap(),
            "1.5"
        );
        assert_eq!(
            scalar_text(&mem, &p(&('é' as u32).to_le_bytes()), Encoding::Char, 4).unwrap(),
            "'é'"
        );
        assert_eq!(
            scalar_text(&mem, &p(&[1]), Encoding::Bool, 1).unwrap(),
            "true"
        );
        assert_eq!(
            scalar_text(&mem, &p(&[7]), Encoding::Bool, 1).unwrap(),
            "<invalid bool 7>"
        );
        assert_eq!(scalar_text(&mem, &p(&[]), Encoding::Unit, 0).unwrap(), "()");
        assert_eq!(sign_extend(0x80, 1), -128);
    }

    #[test]
    fn platform_strings_read_as_their_debug() {
        assert_eq!(os_debug(b"/tmp/a\xFFb"), r#""/tmp/a\xFFb""#);
        assert_eq!(os_debug("café \"'\n".as_bytes()), r#""café \"'\n""#);
        // An unfinished character at the end is the string's own...
        assert_eq!(os_debug(b"\xE2\x82"), r#""\xE2\x82""#);
        // ...unless a preview's cut made it: then it is left out.
        assert_eq!(whole_chars(b"ab\xE2\x82"), b"ab");
        assert_eq!(whole_chars(b"a\xFF"), b"a\xFF");
        assert_eq!(whole_chars("é".as_bytes()), "é".as_bytes());
    }

    #[test]
    fn tuple_fields_are_recognised() {
        assert_eq!(tuple_index("__0"), Some("0"));
        assert_eq!(tuple_index("__12"), Some("12"));
        assert_eq!(tuple_index("__x"), None);
        assert_eq!(tuple_index("x"), None);
    }
}
