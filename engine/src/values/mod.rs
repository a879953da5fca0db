//! Values as a Rust programmer sees them: a typed place ([`views::Val`])
//! classified into a [`views::View`] by the families of views, in order —
//! [`declared_views`] (`views.toml`), std's ([`views`], [`std_views`]), the
//! crates' ([`crate_views`]), unsized pointees ([`unsized_views`]) — with
//! containers paged by [`walk`] and expression results by [`picked`];
//! rendered as previews, pages of children and full transfers by
//! [`render`]; and a frame's variables placed by [`variables`].
//!
//! Uses `memory` and `dwarf`.

pub mod crate_views;
pub mod declared_views;
pub mod picked;
pub mod render;
pub mod std_views;
pub mod unsized_views;
pub mod variables;
pub mod views;
pub mod walk;
