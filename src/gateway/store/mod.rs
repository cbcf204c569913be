//! The configuration store: one trait, SQLite behind it.
