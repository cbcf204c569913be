//! Applying a plan: ordered, bounded-parallel per-entity writes ([`executor`]), or the whole
//! plan as one all-or-nothing batch when the target advertises gwctl's batch extension
//! ([`batch`]). Either way the result is an [`Outcome`](crate::plan::model::Outcome): one
//! status per change.

pub mod batch;
pub mod executor;
pub mod progress;
pub mod request;

pub use executor::{ApplyOptions, apply};
