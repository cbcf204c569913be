//! State files: loading, merging, env substitution, source spans, and the flat state.

pub mod model;

pub use model::{Entity, MASK, Origin, State};
