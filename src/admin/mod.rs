//! The Admin API client (reqwest): reads a gateway into a [`crate::state::State`] and writes
//! changes, speaking only Kong's endpoints unless the target advertises gwctl's extensions.
//!
//! - [`client`]: one HTTP client with retries, backoff, an optional request-rate cap and
//!   request counting; every failure becomes one [`AdminError`].
//! - [`info`]: `GET /` — version, and the gwctl extensions (revision, batch) if advertised.
//! - [`read`]: every kind listed with `size=1000`, following `offset`, kinds in parallel.
//! - [`paths`]: where each kind's entities are written and deleted, derived from the registry.

pub mod client;
pub mod config;
pub mod error;
pub mod info;
pub mod paths;
pub mod rate;
pub mod read;
pub mod schemas;

pub use client::AdminClient;
pub use config::ClientConfig;
pub use error::AdminError;
pub use info::{Extensions, GatewayInfo};
pub use read::{ReadOptions, Snapshot, read_gateway};
