//! Applying a plan: ordered, bounded-parallel per-entity writes, or one atomic batch.
