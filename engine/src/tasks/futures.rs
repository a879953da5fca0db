//! A future's chain of awaits: an `async fn`'s (or block's) state machine
//! is an enum whose suspend variants (`Suspend0`, …) hold the locals kept
//! across each await and the awaited future itself (`__awaitee`); rustc
//! records each suspend variant's await line as its `DW_AT_decl_line`.
//! Following `__awaitee` from the outermost future gives the frames.

use std::sync::Arc;

use crate::dwarf::debuginfo::DebugInfo;
use crate::tasks::dwarf::Indexes;
use crate::tasks::nav;
use crate::values::views::Val;

/// Most futures followed in one chain.
const MAX_DEPTH: usize = 64;

/// One future of a chain, shaped like a thread's frame.
#[derive(Debug, Clone)]
pub struct AsyncFrame {
    /// The async fn (`demo::order`), or the async block
    /// (`demo::serve::{async_block#0}`), or for a future that is not an
    /// async fn's state machine (a leaf: `Sleep`, a channel), its type.
    pub function: Arc<str>,
    /// Where it is suspended: the await's file and line.
    pub file: Option<Arc<str>>,
    pub line: Option<u32>,
    /// The state machine's active variant, whose fields are the locals
    /// (and arguments) held across that await: read by [`AsyncFrame::locals`]
    /// on request, so a list of 10,000 tasks builds none of them.
    pub held: Option<Val>,
    /// Not started yet, returned, or panicked: the state's name.
    pub state: Option<String>,
    /// The future itself (a leaf's value: the `Sleep`, the `Acquire`).
    pub future: Option<Val>,
}

/// The frames of the chain starting at `future`, innermost first.
pub fn chain(dbg: &DebugInfo, indexes: &Indexes, future: Val) -> Vec<AsyncFrame> {
    let mut out = Vec::with_capacity(4);
    let mut cur = Some(future);
    while let Some(fut) = cur.take() {
        let Some(fut) = nav::unwrap_box(dbg, &fut) else {
            break;
        };
        if out.len() >= MAX_DEPTH {
            break;
        }
        let Some(ty) = nav::ty(dbg, &fut) else { break };
        let Some(die) = fut.ty else { break };
        let is_async =
            ty.name.starts_with("{async_fn_env#") || ty.name.starts_with("{async_block_env#");
        if !is_async {
            out.push(AsyncFrame {
                function: indexes.name(die, || crate::values::render::display_type(dbg, &ty)),
                file: None,
                line: None,
                held: None,
                state: None,
                future: Some(fut.clone()),
            });
            break;
        }
        let function = indexes.name(die, || {
            function_name(&indexes.path(dbg, die).unwrap_or_else(|| ty.name.clone()))
        });
        let Some((variant, val)) = nav::variant(dbg, &fut) else {
            out.push(AsyncFrame {
                function,
                file: None,
                line: None,
                held: None,
                state: Some("unknown state".into()),
                future: Some(fut.clone()),
            });
            break;
        };
        let (file, line) = variant
            .member
            .ty
            .map(|t| indexes.declared(dbg, die, t))
            .unwrap_or((None, None));
        let vty = nav::ty(dbg, &val);
        if let Some(crate::dwarf::types::Kind::Struct { fields, .. }) =
            vty.as_deref().map(|t| &t.kind)
            && let Some(f) = fields.iter().find(|f| f.name == "__awaitee")
        {
            cur = Some(Val::new(val.place.at(f.offset), f.ty));
        }
        let name = nav::variant_name(dbg, &variant);
        let name = name.as_str();
        let suspended = name.starts_with("Suspend");
        out.push(AsyncFrame {
            function,
            file: if suspended { file } else { None },
            line: if suspended { line } else { None },
            held: Some(val),
            future: Some(fut.clone()),
            state: (!suspended).then(|| match name {
                "Unresumed" => "not started".to_string(),
                other => other.to_lowercase(),
            }),
        });
    }
    out.reverse();
    out
}

impl AsyncFrame {
    /// The locals (and arguments) held across the await, each once, in
    /// declaration order; not the compiler's own (`__awaitee`, drop flags).
    pub fn locals(&self, dbg: &DebugInfo) -> Vec<(String, Val)> {
        let Some(held) = &self.held else {
            return Vec::new();
        };
        let mut locals: Vec<(String, Val)> = Vec::new();
        let ty = nav::ty(dbg, held);
        if let Some(crate::dwarf::types::Kind::Struct { fields, .. }) =
            ty.as_deref().map(|t| &t.kind)
        {
            for f in fields {
                if !f.name.starts_with("__") && !locals.iter().any(|(n, _)| *n == f.name) {
                    locals.push((f.name.clone(), Val::new(held.place.at(f.offset), f.ty)));
                }
            }
        }
        locals
    }
}

/// `demo::order` for `demo::order::{async_fn_env#0}`; an async block keeps
/// its place (`demo::serve::{async_block#0}`).
fn function_name(path: &str) -> String {
    if let Some(fun) = path.strip_suffix("::{async_fn_env#0}") {
        return fun.to_string();
    }
    path.replace("{async_block_env#", "{async_block#")
        .replace("{async_fn_env#", "{async_fn#")
}

#[cfg(test)]
mod tests {
    use super::function_name;

    #[test]
    fn async_fn_names() {
        assert_eq!(
            function_name("demo::order::{async_fn_env#0}"),
            "demo::order"
        );
        assert_eq!(
            function_name("demo::serve::{async_block_env#1}"),
            "demo::serve::{async_block#1}"
        );
    }
}
