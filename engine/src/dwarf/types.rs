//! Types from DWARF: a type DIE read once into a small model (base types,
//! structs with their fields and Rust enum variant parts, C-like enums,
//! pointers, arrays, unions), cached by the DIE's offset.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use crate::dwarf::debuginfo::{DebugInfo, DieRef};

/// How a base type's bytes are read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Signed,
    Unsigned,
    Float,
    Bool,
    Char,
    Unit,
}

/// A member of a struct, union or variant, at a byte offset.
#[derive(Debug, Clone)]
pub struct Field {
    pub name: String,
    pub offset: u64,
    pub ty: Option<DieRef>,
}

/// One variant of a Rust enum: the discriminant value that selects it (none
/// for the default, dataful variant) and the member holding its fields.
#[derive(Debug, Clone)]
pub struct Variant {
    pub discr: Option<u64>,
    pub member: Field,
}

/// A Rust enum's variant part: where the discriminant lives, and the variants.
#[derive(Debug, Clone)]
pub struct Variants {
    pub discr: Option<Field>,
    pub variants: Vec<Variant>,
}

impl Variants {
    /// The variant whose discriminant (`size` bytes, read as `raw`) is
    /// `raw`, else the one without a discriminant (the niche's dataful one).
    pub fn active(&self, raw: u64, size: u64) -> Option<&Variant> {
        let mask = if size >= 8 {
            u64::MAX
        } else {
            (1u64 << (size * 8)) - 1
        };
        self.variants
            .iter()
            .find(|var| var.discr.is_some_and(|d| d & mask == raw & mask))
            .or_else(|| self.variants.iter().find(|var| var.discr.is_none()))
    }
}

/// What a type is.
#[derive(Debug, Clone)]
pub enum Kind {
    Base(Encoding),
    Struct {
        fields: Vec<Field>,
        variants: Option<Variants>,
    },
    Union {
        fields: Vec<Field>,
    },
    CEnum {
        signed: bool,
        values: Vec<(String, i128)>,
    },
    Pointer {
        pointee: Option<DieRef>,
    },
    Array {
        elem: Option<DieRef>,
        count: Option<u64>,
    },
    Function,
    Unknown,
}

/// A type as the agent uses it.
#[derive(Debug, Clone)]
pub struct Type {
    /// The DWARF name (`Vec<i32, alloc::alloc::Global>`, `&str`, `Point`).
    pub name: String,
    pub size: u64,
    pub kind: Kind,
    /// Generic parameters by name (`T` of `Vec<T>`).
    pub params: Vec<(String, DieRef)>,
}

impl Type {
    pub fn field(&self, name: &str) -> Option<&Field> {
        match &self.kind {
            Kind::Struct { fields, .. } | Kind::Union { fields } => {
                fields.iter().find(|f| f.name == name)
            }
            _ => None,
        }
    }

    /// A plain struct's fields: `None` for an enum (a struct with a variant
    /// part), a union or any other kind.
    pub fn struct_fields(&self) -> Option<&[Field]> {
        match &self.kind {
            Kind::Struct {
                fields,
                variants: None,
            } => Some(fields),
            _ => None,
        }
    }

    /// A Rust enum's variant part, if this is one.
    pub fn variants(&self) -> Option<&Variants> {
        match &self.kind {
            Kind::Struct { variants, .. } => variants.as_ref(),
            _ => None,
        }
    }

    pub fn param(&self, name: &str) -> Option<DieRef> {
        self.params.iter().find(|(n, _)| n == name).map(|(_, t)| *t)
    }

    fn unknown(name: String) -> Type {
        Type {
            name,
            size: 0,
            kind: Kind::Unknown,
            params: Vec::new(),
        }
    }
}

/// Types read so far, by DIE (one per engine's executable).
pub type Cache = Mutex<HashMap<DieRef, Arc<Type>>>;

/// A base type the agent synthesises (for values such as a lock's state that
/// have no DIE of their own), under an offset no DWARF DIE can have.
pub fn builtin(dbg: &DebugInfo, enc: Encoding) -> DieRef {
    let (offset, name, size) = match enc {
        Encoding::Bool => (usize::MAX, "bool", 1),
        Encoding::Unsigned => (usize::MAX - 1, "usize", 8),
        Encoding::Signed => (usize::MAX - 2, "isize", 8),
        Encoding::Float => (usize::MAX - 3, "f64", 8),
        Encoding::Char => (usize::MAX - 4, "char", 4),
        Encoding::Unit => (usize::MAX - 5, "()", 0),
    };
    let at = gimli::DebugInfoOffset(offset);
    dbg.types
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .entry(at)
        .or_insert_with(|| {
            Arc::new(Type {
                name: name.into(),
                size,
                kind: Kind::Base(enc),
                params: Vec::new(),
            })
        });
    at
}

/// The type whose DIE is at `at`, read on first use.
pub fn get(dbg: &DebugInfo, at: DieRef) -> Arc<Type> {
    if let Some(t) = dbg.types.lock().unwrap_or_else(|p| p.into_inner()).get(&at) {
        return t.clone();
    }
    let t = Arc::new(read(dbg, at, 0).unwrap_or_else(|| Type::unknown("<unknown type>".into())));
    dbg.types
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .insert(at, t.clone());
    t
}

fn read(dbg: &DebugInfo, at: DieRef, depth: u32) -> Option<Type> {
    let unit = dbg.unit_of(at)?;
    let offset = dbg.local(unit, at)?;
    let mut tree = unit.entries_tree(Some(offset)).ok()?;
    let root = tree.root().ok()?;
    let entry = root.entry().clone();
    let name = dbg.die_name(unit, &entry).unwrap_or_default();
    let size = entry
        .attr_value(gimli::DW_AT_byte_size)
        .ok()
        .flatten()
        .and_then(|v| v.udata_value())
        .unwrap_or(0);
    let ty_attr =
        |e: &gimli::DebuggingInformationEntry<crate::dwarf::debuginfo::R>| dbg.die_type(unit, e);
    let mut params = Vec::new();
    let kind = match entry.tag() {
        gimli::DW_TAG_base_type => {
            let enc = entry.attr_value(gimli::DW_AT_encoding).ok().flatten();
            Kind::Base(match enc {
                _ if name == "()" || size == 0 => Encoding::Unit,
                Some(gimli::AttributeValue::Encoding(e)) => match e {
                    gimli::DW_ATE_signed | gimli::DW_ATE_signed_char => Encoding::Signed,
                    gimli::DW_ATE_float => Encoding::Float,
                    gimli::DW_ATE_boolean => Encoding::Bool,
                    gimli::DW_ATE_UTF => Encoding::Char,
                    _ => Encoding::Unsigned,
                },
                _ => Encoding::Unsigned,
            })
        }
        gimli::DW_TAG_structure_type | gimli::DW_TAG_union_type => {
            let mut fields = Vec::new();
            let mut variants = None;
            let mut children = root.children();
            while let Ok(Some(child)) = children.next() {
                let e = child.entry().clone();
                match e.tag() {
                    gimli::DW_TAG_member => {
                        if let Some(f) = field(dbg, unit, &e) {
                            fields.push(f)
                        }
                    }
                    gimli::DW_TAG_template_type_parameter => {
                        if let (Some(n), Some(t)) = (dbg.die_name(unit, &e), ty_attr(&e)) {
                            params.push((n, t));
                        }
                    }
                    gimli::DW_TAG_variant_part => variants = variant_part(dbg, unit, child),
                    _ => {}
                }
            }
            if entry.tag() == gimli::DW_TAG_union_type {
                Kind::Union { fields }
            } else {
                Kind::Struct { fields, variants }
            }
        }
        gimli::DW_TAG_enumeration_type => {
            let signed = ty_attr(&entry)
                .filter(|_| depth < 8)
                .and_then(|t| read(dbg, t, depth + 1))
                .is_some_and(|t| matches!(t.kind, Kind::Base(Encoding::Signed)));
            let mut values = Vec::new();
            let mut children = root.children();
            while let Ok(Some(child)) = children.next() {
                let e = child.entry();
                if e.tag() != gimli::DW_TAG_enumerator {
                    continue;
                }
                let v = e.attr_value(gimli::DW_AT_const_value).ok().flatten();
                let v = match v {
                    Some(gimli::AttributeValue::Sdata(s)) => Some(s as i128),
                    Some(v) => v.udata_value().map(|u| u as i128),
                    None => None,
                };
                if let (Some(n), Some(v)) = (dbg.die_name(unit, e), v) {
                    values.push((n, v));
                }
            }
            Kind::CEnum { signed, values }
        }
        gimli::DW_TAG_pointer_type
        | gimli::DW_TAG_reference_type
        | gimli::DW_TAG_rvalue_reference_type => Kind::Pointer {
            pointee: ty_attr(&entry),
        },
        gimli::DW_TAG_array_type => {
            let mut count = None;
            let mut children = root.children();
            while let Ok(Some(child)) = children.next() {
                let e = child.entry();
                if e.tag() == gimli::DW_TAG_subrange_type {
                    count = e
                        .attr_value(gimli::DW_AT_count)
                        .ok()
                        .flatten()
                        .and_then(|v| v.udata_value())
                        .or_else(|| {
                            e.attr_value(gimli::DW_AT_upper_bound)
                                .ok()
                                .flatten()
                                .and_then(|v| v.udata_value())
                                .map(|u| u + 1)
                        });
                    break;
                }
            }
            Kind::Array {
                elem: ty_attr(&entry),
                count,
            }
        }
        gimli::DW_TAG_subroutine_type => Kind::Function,
        gimli::DW_TAG_typedef | gimli::DW_TAG_const_type | gimli::DW_TAG_volatile_type => {
            if depth > 16 {
                return None;
            }
            return ty_attr(&entry).and_then(|t| read(dbg, t, depth + 1));
        }
        _ => Kind::Unknown,
    };
    let size = match &kind {
        Kind::Pointer { .. } if size == 0 => 8,
        Kind::Array { elem, count } if size == 0 => match (elem, count) {
            (Some(e), Some(c)) if depth < 8 => {
                read(dbg, *e, depth + 1).map_or(0, |t| t.size.saturating_mul(*c))
            }
            _ => 0,
        },
        _ => size,
    };
    Some(Type {
        name,
        size,
        kind,
        params,
    })
}

fn field(
    dbg: &DebugInfo,
    unit: &gimli::Unit<crate::dwarf::debuginfo::R>,
    e: &gimli::DebuggingInformationEntry<crate::dwarf::debuginfo::R>,
) -> Option<Field> {
    // Static members (no location) are not part of the value.
    let offset = match e.attr_value(gimli::DW_AT_data_member_location).ok()? {
        Some(v) => v.udata_value()?,
        None if e.attr_value(gimli::DW_AT_external).ok()?.is_some() => return None,
        None => 0,
    };
    Some(Field {
        name: dbg.die_name(unit, e).unwrap_or_default(),
        offset,
        ty: dbg.die_type(unit, e),
    })
}

fn variant_part(
    dbg: &DebugInfo,
    unit: &gimli::Unit<crate::dwarf::debuginfo::R>,
    node: gimli::EntriesTreeNode<crate::dwarf::debuginfo::R>,
) -> Option<Variants> {
    let discr_at = match node.entry().attr_value(gimli::DW_AT_discr).ok()? {
        Some(gimli::AttributeValue::UnitRef(o)) => Some(o),
        _ => None,
    };
    let mut discr = None;
    let mut variants = Vec::new();
    let mut children = node.children();
    while let Ok(Some(child)) = children.next() {
        let e = child.entry().clone();
        match e.tag() {
            gimli::DW_TAG_member if Some(e.offset()) == discr_at => discr = field(dbg, unit, &e),
            gimli::DW_TAG_variant => {
                let value = e
                    .attr_value(gimli::DW_AT_discr_value)
                    .ok()
                    .flatten()
                    .and_then(|v| match v {
                        gimli::AttributeValue::Sdata(s) => Some(s as u64),
                        v => v.udata_value(),
                    });
                let mut members = child.children();
                while let Ok(Some(m)) = members.next() {
                    if m.entry().tag() == gimli::DW_TAG_member {
                        if let Some(member) = field(dbg, unit, m.entry()) {
                            variants.push(Variant {
                                discr: value,
                                member,
                            });
                        }
                        break;
                    }
                }
            }
            _ => {}
        }
    }
    Some(Variants { discr, variants })
}

/// The type name as a Rust programmer writes it: paths dropped, the default
/// allocator argument dropped (`alloc::vec::Vec<alloc::string::String,
/// alloc::alloc::Global>` → `Vec<String>`).
pub fn short_name(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut word = String::new();
    let mut chars = name.chars().peekable();
    while let Some(c) = chars.next() {
        if c.is_alphanumeric() || c == '_' {
            word.push(c);
        } else if c == ':' && chars.peek() == Some(&':') {
            chars.next();
            word.clear(); // a path segment: drop it
        } else {
            out.push_str(&word);
            word.clear();
            out.push(c);
        }
    }
    out.push_str(&word);
    for alloc in [", Global>", ", Global)", ", RandomState>"] {
        while let Some(i) = out.find(alloc) {
            out.replace_range(i..i + alloc.len() - 1, "");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::short_name;

    #[test]
    fn short_names_read_like_source() {
        assert_eq!(
            short_name("alloc::vec::Vec<alloc::string::String, alloc::alloc::Global>"),
            "Vec<String>"
        );
        assert_eq!(short_name("&demo::bank::Account"), "&Account");
        assert_eq!(
            short_name("core::option::Option<alloc::boxed::Box<demo::Node, alloc::alloc::Global>>"),
            "Option<Box<Node>>"
        );
        assert_eq!(short_name("(i32, &str)"), "(i32, &str)");
        assert_eq!(short_name("[u8; 3]"), "[u8; 3]");
    }
}
