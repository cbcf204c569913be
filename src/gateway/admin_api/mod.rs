//! The Kong-compatible Admin API (axum), generic over the kinds registry.
