//! The bundled gateway (`gwctl serve`): Admin API, SQLite store, proxy and plugins.

pub mod admin_api;
pub mod plugins;
pub mod proxy;
pub mod server;
pub mod snapshot;
pub mod store;
