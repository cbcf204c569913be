//! Plugin runtime behaviour, one file per plugin, behind one phase-hook trait.
