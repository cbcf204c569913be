//! The registry rendered for others: Kong's `/schemas` JSON shape and JSON Schema files.

pub mod json_schema;
pub mod kong;
