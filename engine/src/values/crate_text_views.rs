//! Views of the crates' types whose `{:?}` is a line of text read from
//! their fields: `regex` (`Regex`, `bytes::Regex` as `Regex("…")`,
//! `RegexSet` as `RegexSet([…])`), `url::Url` as `Url("…")`, `chrono`
//! (`DateTime`, `NaiveDateTime`, `NaiveDate`, `NaiveTime`) and `time`
//! (`OffsetDateTime`, `PrimitiveDateTime`, `UtcDateTime`) date-times in
//! RFC 3339's form, and `http` (`Uri` as its text, `HeaderMap` as its
//! names and values in order, `HeaderValue`).
//!
//! Each is recognised by its name *and* the fields its crate's source
//! declares (read from DWARF, never at fixed offsets): another layout under
//! the same name is shown raw, or, where a field only that crate has says
//! it is the crate's type in a version whose layout pmdb does not know,
//! as one line saying so with the raw fields as children
//! ([`unknown_layout`]). Checked against regex 1.13.2, url 2.5.2, chrono
//! 0.4.45, time 0.3.55 and http 1.5.0 (`demo-services`).

use std::ops::Range;
use std::sync::Arc;

use wire::ValueKind;

use crate::dwarf::debuginfo::DebugInfo;
use crate::dwarf::types::{self, Kind, Type};
use crate::memory::place::Place;
use crate::memory::unavailable::Unavailable;
use crate::values::core_views;
use crate::values::families;
use crate::values::render::{Data, Fetch, Preview, Shown, Typed};
use crate::values::shapes::{CEnum, Said, Show, Wrapper};
use crate::values::std_views::{
    Zone, date_text, days_to_year, deep_number, field, inner, is_leap, number, rfc3339, signed,
    time_text, unknown_layout,
};
use crate::values::views::{Val, View};

/// Bytes of one part of a URI or a header read for its text.
const MAX_TEXT: u64 = 4096;
/// Headers of one `HeaderMap` read (entries and extra values, each).
const MAX_HEADERS: u64 = 10_000;

/// The view of `v`, whose type is named `base` (no path, no generic
/// arguments), if it is one of the crates' we know.
pub fn view(dbg: &DebugInfo, v: &Val, ty: &Type, base: &str) -> Option<View> {
    match base {
        "Regex" => regex(dbg, v, ty, "Regex", "pattern", "Arc<str"),
        "RegexSet" => regex(dbg, v, ty, "RegexSet", "patterns", "Arc<[String"),
        "Url" => url(dbg, v, ty),
        "DateTime" => chrono_date_time(dbg, v, ty),
        "NaiveDateTime" => {
            let (secs, nanos) = chrono_naive(dbg, v, ty)?;
            said(rfc3339(secs, nanos, Zone::Naive), dbg, v, ty)
        }
        "NaiveDate" => {
            let days = chrono_date(dbg, v, ty)?;
            said(date_text(days), dbg, v, ty)
        }
        "NaiveTime" => {
            let (secs, nanos) = chrono_time(dbg, v, ty)?;
            said(time_text(secs, nanos), dbg, v, ty)
        }
        "OffsetDateTime" | "PlainDateTime" | "UtcDateTime" => time_date_time(dbg, v, ty, base),
        "Uri" => uri(dbg, v, ty),
        "HeaderMap" => header_map(dbg, v, ty),
        "HeaderValue" => {
            let (text, value) = header_value(dbg, v, ty)?;
            let kids = raw_fields(dbg, v, ty);
            Some(View::Own(Arc::new(Said { text, value, kids })))
        }
        _ => None,
    }
}

/// `v`'s fields as they are laid out, named as in the source.
fn raw_fields(dbg: &DebugInfo, v: &Val, ty: &Type) -> Vec<(String, Val)> {
    let Kind::Struct { fields, .. } = &ty.kind else {
        return Vec::new();
    };
    fields
        .iter()
        .filter_map(|f| Some((f.name.clone(), field(dbg, v, ty, &f.name)?)))
        .collect()
}

/// `text`, with `v`'s fields as its children.
fn said(text: String, dbg: &DebugInfo, v: &Val, ty: &Type) -> Option<View> {
    Some(View::Own(Arc::new(Said::text(
        text,
        raw_fields(dbg, v, ty),
    ))))
}

/// `regex::Regex { meta, pattern: Arc<str> }` (both `Regex`es of regex
/// 1.8 and later) and `RegexSet { meta, patterns: Arc<[String]> }`:
/// `Label(…)` around the pattern's preview, as their `{:?}` writes it.
/// A `meta` field without the pattern beside it is regex's in a layout
/// pmdb does not know (regex before 1.8 has neither).
fn regex(
    dbg: &DebugInfo,
    v: &Val,
    ty: &Type,
    label: &str,
    name: &str,
    holds: &str,
) -> Option<View> {
    let meta = ty.field("meta")?;
    let meta_ty = types::get(dbg, meta.ty?);
    if types::short_name(&meta_ty.name) != "Regex" {
        return None;
    }
    let pattern = ty.field(name).and_then(|f| {
        let pty = types::get(dbg, f.ty?);
        types::short_name(&pty.name)
            .starts_with(holds)
            .then_some(())?;
        field(dbg, v, ty, name)
    });
    let Some(pattern) = pattern else {
        return Some(unknown_layout(dbg, v, label));
    };
    Some(View::Wrapper(Wrapper {
        show: Show::Tuple {
            label: label.into(),
            shown: 0,
        },
        kids: vec![(name.into(), pattern)],
        pointer: false,
    }))
}

/// `url::Url { serialization: String, scheme_end, .. }`: the URL is its
/// serialization.
fn url(dbg: &DebugInfo, v: &Val, ty: &Type) -> Option<View> {
    ty.field("scheme_end")?;
    ty.field("host_start")?;
    let text = field(dbg, v, ty, "serialization")?;
    if types::short_name(&types::get(dbg, text.ty?).name) != "String" {
        return Some(unknown_layout(dbg, v, "Url"));
    }
    Some(View::Wrapper(Wrapper {
        show: Show::Tuple {
            label: "Url".into(),
            shown: 0,
        },
        kids: vec![("serialization".into(), text)],
        pointer: false,
    }))
}

/// chrono's `NaiveDate { yof }` (`ymdf` before 0.4.35): the year above
/// bit 13, the day of the year in bits 4 to 12. Days since 1970.
fn chrono_date(dbg: &DebugInfo, v: &Val, ty: &Type) -> Option<i64> {
    let packed = field(dbg, v, ty, "yof").or_else(|| field(dbg, v, ty, "ymdf"))?;
    let raw = deep_number(dbg, &packed)? as u32 as i32;
    let year = i64::from(raw >> 13);
    let ordinal = i64::from((raw & 0b1_1111_1111_0000) >> 4);
    let days_in_year = if is_leap(year) { 366 } else { 365 };
    (1..=days_in_year)
        .contains(&ordinal)
        .then(|| days_to_year(year) + ordinal - 1)
}

/// chrono's `NaiveTime { secs, frac }`: seconds of the day, and
/// nanoseconds (past a second in a leap second).
fn chrono_time(dbg: &DebugInfo, v: &Val, ty: &Type) -> Option<(u32, u32)> {
    let secs = number(dbg, &field(dbg, v, ty, "secs")?)?;
    let frac = number(dbg, &field(dbg, v, ty, "frac")?)?;
    (secs < 86_400 && frac < 2_000_000_000).then_some((secs as u32, frac as u32))
}

/// chrono's `NaiveDateTime { date, time }` as seconds since 1970 and
/// nanoseconds.
fn chrono_naive(dbg: &DebugInfo, v: &Val, ty: &Type) -> Option<(i64, u32)> {
    let date = field(dbg, v, ty, "date")?;
    let time = field(dbg, v, ty, "time")?;
    let days = chrono_date(dbg, &date, &types::get(dbg, date.ty?))?;
    let (secs, nanos) = chrono_time(dbg, &time, &types::get(dbg, time.ty?))?;
    Some((days * 86_400 + i64::from(secs), nanos))
}

/// chrono's `DateTime<Tz> { datetime, offset }`, its `datetime` in UTC:
/// with `Utc` as `…Z`, with a `FixedOffset { local_minus_utc }` (as
/// `Local`'s is) in that offset's local time. Another time zone's offset
/// is a layout pmdb does not know.
fn chrono_date_time(dbg: &DebugInfo, v: &Val, ty: &Type) -> Option<View> {
    let datetime = field(dbg, v, ty, "datetime")?;
    let offset = field(dbg, v, ty, "offset")?;
    let dty = types::get(dbg, datetime.ty?);
    if types::short_name(&dty.name) != "NaiveDateTime" {
        return None;
    }
    let Some((secs, nanos)) = chrono_naive(dbg, &datetime, &dty) else {
        return Some(unknown_layout(dbg, v, "DateTime"));
    };
    let oty = types::get(dbg, offset.ty?);
    let zone = match types::short_name(&oty.name).as_str() {
        "Utc" if oty.size == 0 => Zone::Z,
        "FixedOffset" => {
            let off = signed(dbg, &field(dbg, &offset, &oty, "local_minus_utc")?)?;
            if off.abs() >= 86_400 {
                return Some(unknown_layout(dbg, v, "DateTime"));
            }
            Zone::Offset(off as i32)
        }
        _ => return Some(unknown_layout(dbg, v, "DateTime")),
    };
    said(rfc3339(secs, nanos, zone), dbg, v, ty)
}

/// time's `Time { nanosecond, second, minute, hour, .. }` (ranged
/// integers) as seconds of the day and nanoseconds.
fn time_time(dbg: &DebugInfo, t: &Val) -> Option<(u32, u32)> {
    let ty = types::get(dbg, t.ty?);
    let part = |name: &str| deep_number(dbg, &field(dbg, t, &ty, name)?);
    let (h, m, s, ns) = (
        part("hour")?,
        part("minute")?,
        part("second")?,
        part("nanosecond")?,
    );
    (h < 24 && m < 60 && s < 60 && ns < 1_000_000_000)
        .then_some(((h * 3600 + m * 60 + s) as u32, ns as u32))
}

/// time's `Date { value: NonZero<i32> }` as days since 1970: the year
/// above bit 10, whether it is a leap year in bit 9, the day of the year
/// below (time 0.3.55; that bit checks the year read).
fn time_date(dbg: &DebugInfo, d: &Val) -> Option<i64> {
    let ty = types::get(dbg, d.ty?);
    let raw = deep_number(dbg, &field(dbg, d, &ty, "value")?)? as u32 as i32;
    let year = i64::from(raw >> 10);
    let leap = (raw >> 9) & 1 == 1;
    let ordinal = i64::from(raw & 0x1FF);
    let days_in_year = if is_leap(year) { 366 } else { 365 };
    (leap == is_leap(year) && (1..=days_in_year).contains(&ordinal))
        .then(|| days_to_year(year) + ordinal - 1)
}

/// time's `UtcOffset { seconds, minutes, hours }` (ranged `i8`s) in
/// seconds east of UTC.
fn time_offset(dbg: &DebugInfo, o: &Val) -> Option<i32> {
    let ty = types::get(dbg, o.ty?);
    let part = |name: &str| -> Option<i32> {
        let raw = deep_number(dbg, &field(dbg, o, &ty, name)?)?;
        Some(i32::from(raw as u8 as i8))
    };
    let (h, m, s) = (part("hours")?, part("minutes")?, part("seconds")?);
    (h.abs() <= 25 && m.abs() < 60 && s.abs() < 60).then_some(h * 3600 + m * 60 + s)
}

/// time's `PlainDateTime { time, date }` (`PrimitiveDateTime`, the name
/// since time 0.3.45), `UtcDateTime { inner }` and `OffsetDateTime {
/// local_date_time, offset }` (its time local to its offset).
fn time_date_time(dbg: &DebugInfo, v: &Val, ty: &Type, base: &str) -> Option<View> {
    let plain = match base {
        "PlainDateTime" => v.clone(),
        "UtcDateTime" => field(dbg, v, ty, "inner")?,
        _ => field(dbg, v, ty, "local_date_time")?,
    };
    let pty = types::get(dbg, plain.ty?);
    if types::short_name(&pty.name) != "PlainDateTime" {
        return None;
    }
    let local = (|| {
        let days = time_date(dbg, &field(dbg, &plain, &pty, "date")?)?;
        let (secs, nanos) = time_time(dbg, &field(dbg, &plain, &pty, "time")?)?;
        Some((days * 86_400 + i64::from(secs), nanos))
    })();
    let offset = match base {
        "OffsetDateTime" => field(dbg, v, ty, "offset").and_then(|o| time_offset(dbg, &o)),
        _ => Some(0),
    };
    let (Some((local, nanos)), Some(off)) = (local, offset) else {
        return Some(unknown_layout(dbg, v, base));
    };
    let text = match (base, off) {
        ("PlainDateTime", _) => rfc3339(local, nanos, Zone::Naive),
        (_, 0) => rfc3339(local, nanos, Zone::Z),
        (_, off) => rfc3339(local - i64::from(off), nanos, Zone::Offset(off)),
    };
    said(text, dbg, v, ty)
}

/// The bytes a `bytes::Bytes { ptr, len, data, vtable }` (or http's
/// `ByteStr { bytes }`, `Authority { data }`) holds, at most `MAX_TEXT` of them; `None` when it is laid out
/// otherwise or its memory is unreadable.
fn bytes_of(dbg: &DebugInfo, v: &Val) -> Option<(Vec<u8>, bool)> {
    // Authority { data: ByteStr { bytes: Bytes } }
    let mut b = v.clone();
    let mut ty = types::get(dbg, b.ty?);
    for _ in 0..2 {
        let Some(next) = ["bytes", "data"]
            .into_iter()
            .find(|n| ty.field(n).is_some())
        else {
            break;
        };
        if ty.field("vtable").is_some() {
            break;
        }
        b = field(dbg, &b, &ty, next)?;
        ty = types::get(dbg, b.ty?);
    }
    ty.field("vtable")?;
    let ptr_f = ty.field("ptr")?;
    let at = core_views::first_pointer(dbg, ptr_f.ty?, 0)?;
    let ptr = b.place.word(&dbg.mem, ptr_f.offset + at).ok()?;
    let len = number(dbg, &field(dbg, &b, &ty, "len")?)?;
    let want = len.min(MAX_TEXT);
    let bytes = Place::Mem(ptr).read(&dbg.mem, 0, want as usize).ok()?;
    Some((bytes, want < len))
}

/// `http::Uri { scheme, authority, path_and_query }` as its `{:?}` (its
/// `Display`) writes it: `https://example.com:8443/api/v1?x=1`.
fn uri(dbg: &DebugInfo, v: &Val, ty: &Type) -> Option<View> {
    let scheme = field(dbg, v, ty, "scheme")?;
    let authority = field(dbg, v, ty, "authority")?;
    let pq = field(dbg, v, ty, "path_and_query")?;
    let text = (|| {
        let sty = types::get(dbg, scheme.ty?);
        let inner_scheme = field(dbg, &scheme, &sty, "inner")?;
        let (label, fields, base) = core_views::active_variant(dbg, &inner_scheme)?;
        let scheme_text = match label.as_str() {
            "None" => None,
            "Standard" => {
                let f = fields.first()?;
                let protocol = Val::new(inner_scheme.place.at(base + f.offset), f.ty);
                let pty = types::get(dbg, protocol.ty?);
                match families::view(dbg, &protocol, &pty) {
                    View::CEnum(CEnum(name)) if name == "Http" || name == "Https" => {
                        Some(name.to_lowercase())
                    }
                    _ => return None,
                }
            }
            "Other" => {
                let f = fields.first()?;
                let boxed = Val::new(inner_scheme.place.at(base + f.offset), f.ty);
                let target = crate::values::std_views::deref(dbg, &boxed)?;
                let (b, cut) = bytes_of(dbg, &target)?;
                Some(text_of(&b, cut))
            }
            _ => return None,
        };
        let (auth, auth_cut) = bytes_of(dbg, &authority)?;
        let pq_ty = types::get(dbg, pq.ty?);
        let (data, data_cut) = bytes_of(dbg, &field(dbg, &pq, &pq_ty, "data")?)?;
        let query = number(dbg, &field(dbg, &pq, &pq_ty, "query")?)?;
        let mut out = String::new();
        if let Some(s) = &scheme_text {
            out.push_str(s);
            out.push_str("://");
        }
        out.push_str(&text_of(&auth, auth_cut));
        // `Uri::path`: none without a scheme and a path; `/` for an empty one.
        let path_end = if query == u64::from(u16::MAX) {
            data.len()
        } else {
            (query as usize).min(data.len())
        };
        if !data.is_empty() || scheme_text.is_some() {
            match &data[..path_end] {
                [] => out.push('/'),
                path => out.push_str(&String::from_utf8_lossy(path)),
            }
        }
        out.push_str(&text_of(&data[path_end..], data_cut));
        Some(out)
    })();
    match text {
        Some(text) => said(text, dbg, v, ty),
        None => Some(unknown_layout(dbg, v, "Uri")),
    }
}

/// Bytes of a URI's part as text, `..` after them when they were cut.
fn text_of(bytes: &[u8], cut: bool) -> String {
    let mut s = String::from_utf8_lossy(bytes).into_owned();
    if cut {
        s.push_str("..");
    }
    s
}

/// `http::HeaderValue { inner: Bytes, is_sensitive }` as its `{:?}`
/// writes it (`"text/html"`, `Sensitive`), transferred as its text (its
/// bytes when they are not UTF-8).
fn header_value(dbg: &DebugInfo, v: &Val, ty: &Type) -> Option<(String, Data)> {
    let sensitive = number(dbg, &field(dbg, v, ty, "is_sensitive")?)? != 0;
    let (bytes, cut) = bytes_of(dbg, &field(dbg, v, ty, "inner")?)?;
    let mut text = String::new();
    if sensitive {
        text.push_str("Sensitive");
    } else {
        text.push('"');
        for &b in &bytes {
            match b {
                b'"' => text.push_str("\\\""),
                b'\t' | 32..=126 => text.push(b as char),
                _ => text.push_str(&format!("\\x{b:x}")),
            }
        }
        text.push('"');
    }
    if cut {
        text.push_str("..");
    }
    let value = match String::from_utf8(bytes) {
        Ok(s) => Data::Str(s),
        Err(e) => Data::Seq(
            e.into_bytes()
                .into_iter()
                .map(|b| Data::UInt(u64::from(b)))
                .collect(),
        ),
    };
    Some((text, value))
}

/// A `HeaderName { inner: Repr }`'s text: a standard header's variant
/// (`ContentType`) as http spells it, or a custom one's bytes.
fn header_name(dbg: &DebugInfo, name: &Val) -> Option<String> {
    let nty = types::get(dbg, name.ty?);
    let repr = field(dbg, name, &nty, "inner")?;
    let (label, fields, base) = core_views::active_variant(dbg, &repr)?;
    let f = fields.first()?;
    let payload = Val::new(repr.place.at(base + f.offset), f.ty);
    match label.as_str() {
        "Standard" => {
            let pty = types::get(dbg, payload.ty?);
            let View::CEnum(CEnum(variant)) = families::view(dbg, &payload, &pty) else {
                return None;
            };
            if variant.starts_with('<') {
                return None;
            }
            Some(standard_header(&variant))
        }
        "Custom" => {
            // Custom(ByteStr)
            let pty = types::get(dbg, payload.ty?);
            let bytes = field(dbg, &payload, &pty, "__0")?;
            let (b, cut) = bytes_of(dbg, &bytes)?;
            Some(text_of(&b, cut))
        }
        _ => None,
    }
}

/// A standard header's name from its `StandardHeader` variant, as http
/// spells each of its 81: `ContentType` is `content-type`, and
/// `SecWebSocketKey` is `sec-websocket-key`.
fn standard_header(variant: &str) -> String {
    let mut out = String::new();
    for (i, c) in variant.char_indices() {
        if c.is_ascii_uppercase() && i > 0 {
            out.push('-');
        }
        out.push(c.to_ascii_lowercase());
    }
    out.replace("web-socket", "websocket")
}

/// `http::HeaderMap { entries: Vec<Bucket>, extra_values: Vec<ExtraValue>,
/// .. }`: each entry's name and value, then the values appended under the
/// same name (`links`, through `extra_values`), in the order its iterator
/// gives them.
fn header_map(dbg: &DebugInfo, v: &Val, ty: &Type) -> Option<View> {
    ty.field("indices")?;
    ty.field("mask")?;
    let entries = field(dbg, v, ty, "entries")?;
    let extra = field(dbg, v, ty, "extra_values")?;
    let read = || -> Option<Vec<(String, Val)>> {
        let ety = types::get(dbg, entries.ty?);
        let (eptr, elen) = core_views::vec_parts(dbg, &entries, &ety)?;
        let bucket = types::get(dbg, ety.param("T")?);
        let xty = types::get(dbg, extra.ty?);
        let (xptr, xlen) = core_views::vec_parts(dbg, &extra, &xty)?;
        let extra_ty = types::get(dbg, xty.param("T")?);
        if elen > MAX_HEADERS || xlen > MAX_HEADERS {
            return None;
        }
        let key = bucket.field("key")?;
        let value = bucket.field("value")?;
        let links = bucket.field("links")?;
        let x_value = extra_ty.field("value")?;
        let x_next = extra_ty.field("next")?;
        let mut out = Vec::new();
        for i in 0..elen {
            let at = eptr + i * bucket.size;
            let name = header_name(dbg, &Val::new(Place::Mem(at + key.offset), key.ty))?;
            out.push((
                name.clone(),
                Val::new(Place::Mem(at + value.offset), value.ty),
            ));
            let links = Val::new(Place::Mem(at + links.offset), links.ty);
            let (label, fields, base) = core_views::active_variant(dbg, &links)?;
            if label != "Some" {
                continue;
            }
            let l = fields.first()?;
            let lval = Val::new(links.place.at(base + l.offset), l.ty);
            let mut next = number(dbg, &inner(dbg, &lval, &["next"])?)?;
            // A chain through extra values, ended by a link to an entry.
            for _ in 0..=xlen {
                if next >= xlen {
                    return None;
                }
                let x = xptr + next * extra_ty.size;
                out.push((
                    name.clone(),
                    Val::new(Place::Mem(x + x_value.offset), x_value.ty),
                ));
                let link = Val::new(Place::Mem(x + x_next.offset), x_next.ty);
                let (label, fields, base) = core_views::active_variant(dbg, &link)?;
                if label != "Extra" {
                    break;
                }
                let f = fields.first()?;
                next = number(dbg, &Val::new(link.place.at(base + f.offset), f.ty))?;
            }
        }
        Some(out)
    };
    Some(match read() {
        Some(headers) => View::Own(Arc::new(Headers(headers))),
        None => unknown_layout(dbg, v, "HeaderMap"),
    })
}

/// A `HeaderMap`'s headers in order, each named by its header's name; a
/// name appended to twice is there twice, as its `{:?}` shows it.
#[derive(Debug)]
struct Headers(Vec<(String, Val)>);

impl Shown for Headers {
    fn kind(&self) -> (ValueKind, Option<u64>) {
        (ValueKind::Map, Some(self.0.len() as u64))
    }

    fn page(&self, _: &Typed<'_>, range: Range<u64>) -> Vec<(String, Val)> {
        self.0[range.start as usize..range.end as usize]
            .iter()
            .map(|(name, value)| (format!("{name:?}"), value.clone()))
            .collect()
    }

    fn preview(&self, it: &Typed<'_>, p: &mut Preview<'_>) {
        p.push("{");
        if p.deep() {
            p.push("..}");
            return;
        }
        let kids = self.page(it, 0..self.0.len() as u64);
        p.list(&kids, |p, name, value| {
            p.push(name);
            p.push(": ");
            p.value(value);
        });
        p.push("}");
    }

    /// `[[name, value], …]`: a name may come more than once.
    fn fetch(&self, _: &Typed<'_>, f: &mut Fetch<'_>) -> Result<Data, Unavailable> {
        self.0
            .iter()
            .map(|(name, value)| Ok(Data::Seq(vec![Data::Str(name.clone()), f.value(value)?])))
            .collect::<Result<_, Unavailable>>()
            .map(Data::Seq)
    }
}

#[cfg(test)]
mod tests {
    use super::standard_header;

    #[test]
    fn standard_headers_as_http_spells_them() {
        assert_eq!(standard_header("Accept"), "accept");
        assert_eq!(standard_header("ContentType"), "content-type");
        assert_eq!(standard_header("XXssProtection"), "x-xss-protection");
        assert_eq!(standard_header("Etag"), "etag");
        assert_eq!(
            standard_header("SecWebSocketAccept"),
            "sec-websocket-accept"
        );
        assert_eq!(
            standard_header("AccessControlAllowOrigin"),
            "access-control-allow-origin"
        );
    }
}
