//! Where the panes stand, below both the state and the drawing: the area
//! each pane was last drawn in (drawing records it, mouse hits read it) and
//! which rows of a list a pane of some height shows.

use ratatui::layout::Rect;

/// Where each pane was last drawn, for mouse hits.
#[derive(Debug, Clone, Copy, Default)]
pub struct Areas {
    pub traceback: Rect,
    pub locals: Rect,
    pub source: Rect,
    pub output: Rect,
    pub threads: Rect,
}

/// The window of `height` rows from `len` that keeps `selected` visible.
pub fn window(selected: usize, len: usize, height: usize) -> std::ops::Range<usize> {
    if height == 0 {
        return 0..0;
    }
    let start = selected
        .saturating_sub(height - 1)
        .min(len.saturating_sub(height));
    start..len.min(start + height)
}
