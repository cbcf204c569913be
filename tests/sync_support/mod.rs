//! Test support for the sync tests: a small in-memory Admin API that behaves like Kong for
//! what gwctl calls (paging with `offset`, PUT upserts by id, nested collections, 404 on
//! `/targets`, unique natural keys → 409, restricting foreign keys → 400), records every
//! request, can advertise gwctl's batch extension and can be told to refuse entities tagged
//! `fail`. Generic over the registry, like the code it tests.

#![allow(dead_code)]

pub mod cli;
pub mod fake_gateway;
pub mod gateway;
