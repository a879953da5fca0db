//! The locals tree: values as rows, children fetched from the agent the first
//! time a row is expanded, long containers paged in with a "more" row.

use wire::RemoteValue;

/// Children fetched per page when a value is expanded.
pub const PAGE: u64 = 100;

struct Node {
    value: RemoteValue,
    /// Whose children are listed: the value, or the struct a reference or
    /// `Box` points to ([`RemoteValue::expansion`]); set on first expansion.
    source: Option<RemoteValue>,
    depth: usize,
    expanded: bool,
    /// Fetched children, in order; `None` until first expanded.
    children: Option<Vec<usize>>,
    /// Why the children could not be fetched.
    error: Option<String>,
}

/// One visible row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Row {
    Value(usize),
    /// "… N more" under node `parent`.
    More {
        parent: usize,
        remaining: u64,
    },
}

/// A frame's locals as an expandable tree.
#[derive(Default)]
pub struct Tree {
    nodes: Vec<Node>,
    roots: Vec<usize>,
    pub selected: usize,
    /// Only roots whose name contains this are shown.
    pub filter: String,
}

/// What a row shows.
pub struct RowView<'a> {
    pub depth: usize,
    pub marker: &'static str,
    /// The name, `x (shadowed)` for a binding a later one hides.
    pub name: std::borrow::Cow<'a, str>,
    pub type_name: &'a str,
    pub preview: &'a str,
    pub more: Option<u64>,
    pub error: Option<&'a str>,
}

impl Tree {
    pub fn new(locals: Vec<RemoteValue>) -> Tree {
        let mut t = Tree::default();
        for v in locals {
            let i = t.push(v, 0);
            t.roots.push(i);
        }
        t
    }

    fn push(&mut self, value: RemoteValue, depth: usize) -> usize {
        self.nodes.push(Node {
            value,
            source: None,
            depth,
            expanded: false,
            children: None,
            error: None,
        });
        self.nodes.len() - 1
    }

    /// The rows currently visible, in order.
    pub fn rows(&self) -> Vec<Row> {
        let mut out = Vec::new();
        for &r in &self.roots {
            if self.filter.is_empty() || self.nodes[r].value.name().contains(&self.filter) {
                self.walk(r, &mut out);
            }
        }
        out
    }

    fn walk(&self, i: usize, out: &mut Vec<Row>) {
        out.push(Row::Value(i));
        let n = &self.nodes[i];
        if !n.expanded {
            return;
        }
        if let Some(kids) = &n.children {
            for &k in kids {
                self.walk(k, out);
            }
            let listed = n.source.as_ref().unwrap_or(&n.value);
            let remaining = listed.child_count().saturating_sub(kids.len() as u64);
            if remaining > 0 {
                out.push(Row::More {
                    parent: i,
                    remaining,
                });
            }
        }
    }

    pub fn view(&self, row: Row) -> RowView<'_> {
        match row {
            Row::Value(i) => {
                let n = &self.nodes[i];
                RowView {
                    depth: n.depth,
                    marker: if n.value.child_count() == 0 {
                        " "
                    } else if n.expanded {
                        "▾"
                    } else {
                        "▸"
                    },
                    name: if n.value.info.shadowed {
                        format!("{} (shadowed)", n.value.name()).into()
                    } else {
                        n.value.name().into()
                    },
                    type_name: n.value.type_name(),
                    preview: n.value.preview(),
                    more: None,
                    error: n.error.as_deref(),
                }
            }
            Row::More { parent, remaining } => RowView {
                depth: self.nodes[parent].depth + 1,
                marker: " ",
                name: "".into(),
                type_name: "",
                preview: "",
                more: Some(remaining),
                error: None,
            },
        }
    }

    pub fn selected_row(&self) -> Option<Row> {
        self.rows().get(self.selected).copied()
    }

    /// The selected value, if a value row is selected.
    pub fn selected_value(&self) -> Option<&RemoteValue> {
        match self.selected_row()? {
            Row::Value(i) => Some(&self.nodes[i].value),
            Row::More { .. } => None,
        }
    }

    pub fn move_by(&mut self, delta: isize) {
        let len = self.rows().len();
        if len == 0 {
            self.selected = 0;
            return;
        }
        self.selected = (self.selected as isize + delta).clamp(0, len as isize - 1) as usize;
    }

    /// Expands the selected row (fetching its first page), or loads the next
    /// page for a "more" row.
    pub fn expand(&mut self) {
        match self.selected_row() {
            Some(Row::Value(i)) => self.open(i),
            Some(Row::More { parent, .. }) => self.fetch_page(parent),
            None => {}
        }
    }

    fn open(&mut self, i: usize) {
        if self.nodes[i].value.child_count() == 0 {
            return;
        }
        if self.nodes[i].children.is_none() {
            match self.nodes[i].value.expansion() {
                Ok(source) => self.nodes[i].source = Some(source),
                Err(e) => {
                    self.nodes[i].error = Some(e.to_string());
                    return;
                }
            }
            self.nodes[i].children = Some(Vec::new());
            self.fetch_page(i);
        }
        self.nodes[i].expanded = true;
    }

    fn fetch_page(&mut self, i: usize) {
        let start = self.nodes[i].children.as_ref().map_or(0, Vec::len) as u64;
        let listed = self.nodes[i]
            .source
            .as_ref()
            .unwrap_or(&self.nodes[i].value);
        match listed.children(start, PAGE) {
            Ok(kids) => {
                let depth = self.nodes[i].depth + 1;
                let ids: Vec<usize> = kids.into_iter().map(|k| self.push(k, depth)).collect();
                self.nodes[i]
                    .children
                    .get_or_insert_with(Vec::new)
                    .extend(ids);
                self.nodes[i].error = None;
            }
            Err(e) => self.nodes[i].error = Some(e.to_string()),
        }
    }

    /// Collapses the selected row, or moves to its parent if it is closed.
    pub fn collapse(&mut self) {
        let rows = self.rows();
        let Some(row) = rows.get(self.selected).copied() else {
            return;
        };
        let i = match row {
            Row::Value(i) if self.nodes[i].expanded => {
                self.nodes[i].expanded = false;
                return;
            }
            Row::Value(i) => i,
            Row::More { parent, .. } => {
                if let Some(p) = rows.iter().position(|r| *r == Row::Value(parent)) {
                    self.selected = p;
                }
                return;
            }
        };
        let depth = self.nodes[i].depth;
        if depth == 0 {
            return;
        }
        if let Some(p) = rows[..self.selected]
            .iter()
            .rposition(|r| matches!(r, Row::Value(j) if self.nodes[*j].depth < depth))
        {
            self.selected = p;
        }
    }
}
