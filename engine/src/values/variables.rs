//! A frame's variables: the arguments and locals of its function (or inlined
//! call) whose lexical scope contains the frame's pc, in declaration order,
//! each placed by evaluating its DWARF location against the frame. A name
//! bound more than once is listed at its visible (innermost) binding,
//! followed by the bindings it shadows, innermost first, marked shadowed.

use wire::FrameInfo;

use crate::dwarf::debuginfo::{DebugInfo, DieRef, R};
use crate::memory::place::Place;
use crate::memory::process::Regs;
use crate::memory::unavailable::Unavailable;
use crate::values::views::Val;

/// A frame as the agent keeps it: what the user sees, plus what is needed to
/// find its locals later.
#[derive(Debug, Clone)]
pub struct Frame {
    pub info: FrameInfo,
    /// The machine frame's stack pointer while its callee runs.
    pub sp: u64,
    /// The link-time address used for lookups (pc − 1 for return addresses).
    pub probe: u64,
    /// The function's (or inlined call's) DIE.
    pub die: Option<DieRef>,
    /// Registers known in this frame (DWARF numbering).
    pub regs: Regs,
}

/// One variable of a frame.
#[derive(Debug, Clone)]
pub struct Var {
    pub name: String,
    pub val: Val,
    /// Hidden by a later binding of the same name.
    pub shadowed: bool,
}

/// The variables in scope at `frame`, arguments first.
pub fn frame_vars(dbg: &DebugInfo, frame: &Frame) -> Result<Vec<Var>, Unavailable> {
    let die = frame.die.ok_or(Unavailable::NoDebugInfo)?;
    let unit = dbg.unit_of(die).ok_or(Unavailable::NoDebugInfo)?;
    let offset = dbg.local(unit, die).ok_or(Unavailable::NoDebugInfo)?;
    let mut tree = unit.entries_tree(Some(offset))?;
    let root = tree.root()?;
    let mut vars = Vec::new();
    collect(dbg, unit, root, frame, &mut vars, 0)?;
    // Arguments first, then locals, each in declaration order.
    vars.sort_by_key(|(is_arg, _)| !*is_arg);
    Ok(with_shadowed(vars.into_iter().map(|(_, v)| v).collect()))
}

/// Each visible binding followed by those it shadows, innermost first. In
/// declaration order the last binding of a name is the visible one: every
/// scope collected contains the pc, so later ones are nested deeper.
fn with_shadowed(vars: Vec<Var>) -> Vec<Var> {
    let mut out = Vec::with_capacity(vars.len());
    for (i, var) in vars.iter().enumerate() {
        if vars[i + 1..].iter().any(|later| later.name == var.name) {
            continue; // listed after the binding that hides it
        }
        out.push(var.clone());
        out.extend(
            vars[..i]
                .iter()
                .rev()
                .filter(|v| v.name == var.name)
                .map(|v| Var {
                    shadowed: true,
                    ..v.clone()
                }),
        );
    }
    out
}

fn collect(
    dbg: &DebugInfo,
    unit: &gimli::Unit<R>,
    node: gimli::EntriesTreeNode<R>,
    frame: &Frame,
    out: &mut Vec<(bool, Var)>,
    depth: u32,
) -> Result<(), Unavailable> {
    if depth > 64 {
        return Ok(());
    }
    let mut children = node.children();
    while let Some(child) = children.next()? {
        let entry = child.entry();
        match entry.tag() {
            gimli::DW_TAG_formal_parameter | gimli::DW_TAG_variable => {
                let artificial = |e: &gimli::DebuggingInformationEntry<R>| {
                    matches!(
                        e.attr_value(gimli::DW_AT_artificial),
                        Ok(Some(gimli::AttributeValue::Flag(true)))
                    )
                };
                // An inlined call's variables name their abstract origin.
                let origin = entry
                    .attr_value(gimli::DW_AT_abstract_origin)
                    .ok()
                    .flatten()
                    .and_then(|v| match v {
                        gimli::AttributeValue::UnitRef(o) => unit.entry(o).ok(),
                        _ => None,
                    });
                let named = origin.as_ref().unwrap_or(entry);
                let Some(name) = dbg
                    .die_name(unit, entry)
                    .or_else(|| dbg.die_name(unit, named))
                else {
                    continue;
                };
                if artificial(entry) || artificial(named) {
                    continue;
                }
                let ty = [entry, named].iter().find_map(|e| dbg.die_type(unit, e));
                let place = locate(dbg, unit, entry, frame);
                let is_arg = entry.tag() == gimli::DW_TAG_formal_parameter;
                out.push((
                    is_arg,
                    Var {
                        name,
                        val: Val::new(place, ty),
                        shadowed: false,
                    },
                ));
            }
            gimli::DW_TAG_lexical_block if in_ranges(dbg, unit, entry, frame.probe) => {
                collect(dbg, unit, child, frame, out, depth + 1)?;
            }
            _ => {}
        }
    }
    Ok(())
}

fn in_ranges(
    dbg: &DebugInfo,
    unit: &gimli::Unit<R>,
    entry: &gimli::DebuggingInformationEntry<R>,
    probe: u64,
) -> bool {
    let Ok(mut ranges) = dbg.dwarf_for(unit).die_ranges(unit, entry) else {
        return false;
    };
    while let Ok(Some(r)) = ranges.next() {
        if r.begin <= probe && probe < r.end {
            return true;
        }
    }
    false
}

/// Where a variable is at this frame's pc.
fn locate(
    dbg: &DebugInfo,
    unit: &gimli::Unit<R>,
    entry: &gimli::DebuggingInformationEntry<R>,
    frame: &Frame,
) -> Place {
    let expr = match entry.attr_value(gimli::DW_AT_location) {
        Ok(Some(gimli::AttributeValue::Exprloc(e))) => e,
        Ok(Some(gimli::AttributeValue::LocationListsRef(off))) => {
            match location_at(dbg, unit, off, frame.probe) {
                Some(e) => e,
                None => return Place::Missing(Unavailable::OptimizedOut),
            }
        }
        _ => return Place::Missing(Unavailable::OptimizedOut),
    };
    evaluate(dbg, unit, expr, frame.sp, &frame.regs)
}

fn location_at(
    dbg: &DebugInfo,
    unit: &gimli::Unit<R>,
    offset: gimli::LocationListsOffset<usize>,
    probe: u64,
) -> Option<gimli::Expression<R>> {
    let mut list = dbg.dwarf_for(unit).locations(unit, offset).ok()?;
    while let Ok(Some(entry)) = list.next() {
        if entry.range.begin <= probe && probe < entry.range.end {
            return Some(entry.data);
        }
    }
    None
}

/// Evaluates a location expression with what a frame of a debug build has:
/// the stack pointer (also the frame base) and memory.
fn evaluate(
    dbg: &DebugInfo,
    unit: &gimli::Unit<R>,
    expr: gimli::Expression<R>,
    sp: u64,
    regs: &crate::memory::process::Regs,
) -> Place {
    let reg = |r: gimli::Register| -> Option<u64> {
        if usize::from(r.0) == crate::memory::process::RSP {
            return Some(sp);
        }
        regs.get(r.0 as usize)
    };
    let optimized = || Place::Missing(Unavailable::OptimizedOut);
    let mut eval = expr.evaluation(unit.encoding());
    let mut step = eval.evaluate();
    loop {
        let state = match step {
            Ok(s) => s,
            Err(_) => return optimized(),
        };
        step = match state {
            gimli::EvaluationResult::Complete => break,
            gimli::EvaluationResult::RequiresFrameBase => eval.resume_with_frame_base(sp),
            gimli::EvaluationResult::RequiresRegister { register, .. } => match reg(register) {
                Some(v) => eval.resume_with_register(gimli::Value::Generic(v)),
                None => return optimized(),
            },
            gimli::EvaluationResult::RequiresMemory { address, size, .. } => {
                match dbg.mem.read_uint(address, size as usize) {
                    Ok(v) => eval.resume_with_memory(gimli::Value::Generic(v as u64)),
                    Err(e) => return e.into(),
                }
            }
            gimli::EvaluationResult::RequiresRelocatedAddress(a) => {
                eval.resume_with_relocated_address(a.wrapping_add(dbg.bias))
            }
            // Split DWARF: addresses by index into the skeleton's `.debug_addr`.
            gimli::EvaluationResult::RequiresIndexedAddress { index, relocate } => {
                match dbg.dwarf_for(unit).address(unit, index) {
                    Ok(a) if relocate => eval.resume_with_indexed_address(a.wrapping_add(dbg.bias)),
                    Ok(a) => eval.resume_with_indexed_address(a),
                    Err(_) => return optimized(),
                }
            }
            _ => return optimized(),
        };
    }
    let pieces = eval.result();
    match pieces.as_slice() {
        [piece] if piece.size_in_bits.is_none() => match &piece.location {
            gimli::Location::Address { address } => Place::Mem(*address),
            gimli::Location::Value {
                value: gimli::Value::Generic(v),
            } => Place::Bytes(v.to_le_bytes().to_vec()),
            gimli::Location::Bytes { value } => Place::Bytes(value.slice().to_vec()),
            gimli::Location::Register { register } => match reg(*register) {
                Some(v) => Place::Bytes(v.to_le_bytes().to_vec()),
                None => optimized(),
            },
            _ => optimized(),
        },
        pieces if pieces.len() > 1 => assemble(dbg, pieces, &reg).unwrap_or_else(optimized),
        _ => optimized(),
    }
}

/// A value split into pieces (`DW_OP_piece`): each piece read from where it
/// lives; any piece that cannot be read makes the whole value unknown rather
/// than partly wrong.
fn assemble(
    dbg: &DebugInfo,
    pieces: &[gimli::Piece<R>],
    reg: &dyn Fn(gimli::Register) -> Option<u64>,
) -> Option<Place> {
    let mut bytes = Vec::new();
    for piece in pieces {
        let bits = piece.size_in_bits?;
        if bits % 8 != 0 || piece.bit_offset.is_some_and(|o| o != 0) {
            return None;
        }
        let len = (bits / 8) as usize;
        let part = match &piece.location {
            gimli::Location::Address { address } => dbg.mem.read(*address, len).ok()?,
            gimli::Location::Register { register } => {
                reg(*register)?.to_le_bytes().get(..len)?.to_vec()
            }
            gimli::Location::Value {
                value: gimli::Value::Generic(v),
            } => v.to_le_bytes().get(..len)?.to_vec(),
            gimli::Location::Bytes { value } => value.slice().get(..len)?.to_vec(),
            _ => return None,
        };
        bytes.extend_from_slice(&part);
    }
    Some(Place::Bytes(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn var(name: &str, n: u8) -> Var {
        Var {
            name: name.into(),
            val: Val::new(Place::Bytes(vec![n]), None),
            shadowed: false,
        }
    }

    #[test]
    fn shadowed_bindings_follow_the_visible_one_innermost_first() {
        let vars = vec![
            var("x", 1),
            var("y", 2),
            var("x", 3),
            var("z", 4),
            var("x", 5),
        ];
        let got: Vec<(String, Place, bool)> = with_shadowed(vars)
            .into_iter()
            .map(|v| (v.name, v.val.place, v.shadowed))
            .collect();
        let want =
            |name: &str, n: u8, shadowed: bool| (name.to_string(), Place::Bytes(vec![n]), shadowed);
        assert_eq!(
            got,
            [
                want("y", 2, false),
                want("z", 4, false),
                want("x", 5, false),
                want("x", 3, true),
                want("x", 1, true),
            ]
        );
    }
}
