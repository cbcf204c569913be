//! JSON Schema (draft 2020-12) of state files and plugin configs, generated from the registry.
