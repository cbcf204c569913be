//! gwctl: configuration as code for API gateways.
//!
//! Data flows one way: files are loaded into a [`state::State`], the gateway is read into
//! another, [`plan`] diffs them, and [`apply`] makes the gateway match. The [`gateway`] module
//! is the bundled gateway (`gwctl serve`). Everything is generic over the [`kinds`] registry.

pub mod admin;
pub mod apply;
pub mod cli;
pub mod gateway;
pub mod kinds;
pub mod memory;
pub mod plan;
pub mod state;
#[cfg(test)]
mod test_corpus;
