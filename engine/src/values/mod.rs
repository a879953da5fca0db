//! Values as a Rust programmer sees them. A typed place ([`views::Val`])
//! gets its [`views::View`] in one place, [`families`]: from what the value
//! itself says, its DWARF kind, and for a struct the families of views, in
//! order — [`declared_views`] (`views.toml`), [`core_views`] (strings,
//! slices, vectors, `dyn`; raw structs and enums), [`std_views`],
//! [`crate_views`], [`crate_text_views`], [`unsized_views`]. Each family
//! registers what it recognises and the view it gives; a view is one of the
//! [`shapes`], each
//! of which renders, previews, counts and pages itself ([`render::Shown`]),
//! containers through a [`walk`]. [`render`] asks those questions of any
//! value; [`picked`] holds an expression's picked items, and [`variables`]
//! places a frame's variables.
//!
//! Uses `memory` and `dwarf`.

pub mod core_views;
pub mod crate_text_views;
pub mod crate_views;
pub mod declared_views;
pub mod families;
pub mod picked;
pub mod render;
pub mod shapes;
pub mod std_views;
pub mod unsized_views;
pub mod variables;
pub mod views;
pub mod walk;
