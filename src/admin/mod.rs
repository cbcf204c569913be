//! The Admin API client (reqwest): reads a gateway into a [`crate::state::State`] and writes
//! changes, speaking only Kong's endpoints unless the target advertises gwctl's extensions.
