//! `veiling`: a reverse-auction engine for selective purchasing of care.
//!
//! See `ARCHITECTURE.md` for the codemap and the invariants.

pub mod config;
pub mod core;
pub mod log;
pub mod render;
pub mod rng;
pub mod script;
pub mod server;
pub mod simulate;
pub mod tender;
pub mod time;
