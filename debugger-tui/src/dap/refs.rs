//! The numbers DAP hands back and forth: frame ids and `variablesReference`s.
//! Both are small positive integers (an index + 1 into a table), whatever the
//! agent's `FrameId`s and handles look like: one frame id per `FrameId`, one
//! locals and one registers scope per frame, one reference per pmdb handle.

use std::collections::HashMap;

use wire::{FrameId, Handle};

use super::translate::Paths;

/// What a `variablesReference` stands for.
#[derive(Debug, PartialEq)]
pub enum Node<V> {
    /// The locals of the frame with this DAP frame id.
    Locals(i64),
    /// The registers of the frame with this DAP frame id.
    Registers(i64),
    /// A value with children, and how to name it.
    Value { value: V, paths: Option<Paths> },
}

/// A frame's scopes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scope {
    Locals,
    Registers,
}

/// The tables; `F` is a frame, `V` a value.
#[derive(Debug)]
pub struct Refs<F, V> {
    frames: Vec<F>,
    frame_ids: HashMap<FrameId, i64>,
    nodes: Vec<Node<V>>,
    by_handle: HashMap<Handle, i64>,
    scopes: HashMap<(i64, Scope), i64>,
}

impl<F, V> Default for Refs<F, V> {
    fn default() -> Self {
        Refs {
            frames: Vec::new(),
            frame_ids: HashMap::new(),
            nodes: Vec::new(),
            by_handle: HashMap::new(),
            scopes: HashMap::new(),
        }
    }
}

impl<F, V> Refs<F, V> {
    /// The DAP id of the frame `key`, registering it (`frame()`) the first time.
    pub fn frame_id(&mut self, key: FrameId, frame: impl FnOnce() -> F) -> i64 {
        if let Some(&id) = self.frame_ids.get(&key) {
            return id;
        }
        self.frames.push(frame());
        let id = self.frames.len() as i64;
        self.frame_ids.insert(key, id);
        id
    }

    /// The frame with DAP id `id`.
    pub fn frame(&self, id: i64) -> Option<&F> {
        usize::try_from(id.saturating_sub(1))
            .ok()
            .and_then(|i| self.frames.get(i))
    }

    /// The reference of scope `scope` of frame `id` (None: no such frame).
    pub fn scope(&mut self, id: i64, scope: Scope) -> Option<i64> {
        self.frame(id)?;
        Some(*self.scopes.entry((id, scope)).or_insert_with(|| {
            self.nodes.push(match scope {
                Scope::Locals => Node::Locals(id),
                Scope::Registers => Node::Registers(id),
            });
            self.nodes.len() as i64
        }))
    }

    /// The reference of the value with pmdb handle `handle`, registering it
    /// (`value()`, reached by `paths`) the first time.
    pub fn value(
        &mut self,
        handle: Handle,
        value: impl FnOnce() -> V,
        paths: Option<Paths>,
    ) -> i64 {
        if let Some(&r) = self.by_handle.get(&handle) {
            return r;
        }
        self.nodes.push(Node::Value {
            value: value(),
            paths,
        });
        let r = self.nodes.len() as i64;
        self.by_handle.insert(handle, r);
        r
    }

    /// What `reference` stands for.
    pub fn node(&self, reference: i64) -> Option<&Node<V>> {
        usize::try_from(reference.saturating_sub(1))
            .ok()
            .and_then(|i| self.nodes.get(i))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_small_positive_and_stable() {
        let mut r: Refs<&str, &str> = Refs::default();
        let a = FrameId {
            thread: 4_000_000_000,
            index: 10,
        };
        let b = FrameId {
            thread: 4_000_000_000,
            index: 11,
        };
        assert_eq!(r.frame_id(a, || "withdraw"), 1);
        assert_eq!(r.frame_id(b, || "transfer"), 2);
        assert_eq!(r.frame_id(a, || unreachable!()), 1);
        assert_eq!(r.frame(2), Some(&"transfer"));
        assert_eq!((r.frame(0), r.frame(3)), (None, None));

        // One scope per frame, one reference per handle, all in one numbering.
        assert_eq!(r.scope(1, Scope::Locals), Some(1));
        assert_eq!(
            r.value(1 << 40, || "account", Some(Paths::root("account"))),
            2
        );
        assert_eq!(r.scope(2, Scope::Locals), Some(3));
        assert_eq!(r.scope(1, Scope::Locals), Some(1));
        assert_eq!(r.scope(9, Scope::Locals), None);
        assert_eq!(r.value(1 << 40, || unreachable!(), None), 2);
        assert_eq!(r.node(1), Some(&Node::Locals(1)));
        // A frame's registers are a scope of their own.
        assert_eq!(r.scope(1, Scope::Registers), Some(4));
        assert_eq!(r.scope(1, Scope::Registers), Some(4));
        assert_eq!(r.scope(9, Scope::Registers), None);
        assert_eq!(r.node(4), Some(&Node::Registers(1)));
        assert_eq!(
            r.node(2),
            Some(&Node::Value {
                value: "account",
                paths: Some(Paths::root("account"))
            })
        );
        assert_eq!((r.node(0), r.node(-5), r.node(5)), (None, None, None));
        assert_eq!((r.node(i64::MIN), r.frame(i64::MIN)), (None, None));
    }
}
