//! Normalise, match, diff, order, render and mask: from two states to a plan.
//!
//! - [`normalise`]: the canonical form both sides are compared in.
//! - [`matching`]: files' entities matched to the gateway's by id or natural key.
//! - [`diff`]: the [`Plan`]: creates/updates parent-first, deletes child-first.
//! - [`mask`]: every secret shown as `[masked]`.
//! - [`render`]: human, JSON and markdown output.

pub mod diff;
pub mod mask;
pub mod matching;
pub mod model;
pub mod names;
pub mod normalise;
pub mod remote;
pub mod render;
pub mod saved;

pub use diff::{DiffOptions, plan};
pub use matching::MatchError;
pub use model::{Change, Op, Phase, Plan, Summary};
