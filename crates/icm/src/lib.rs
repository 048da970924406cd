//! Responsible-manager resolution (ICM): who at the office owns this caller, so the call
//! rings that manager first.
//!
//! - [`number`]: caller numbers to E.164 with the home numbering (country 7, area 495).
//! - [`resolve`]: the engine, without I/O: one lookup over the ordered sources, with
//!   exclusions, a cache of answers and a circuit breaker per source, each step traced.
//! - [`source`]: the I/O edge: the [`Source`] trait and its adapters (call history,
//!   amoCRM, Bitrix24, Megaplan, a generic HTTP service).
//! - [`Icm`]: the thin async shell that drives the engine with real sources and a clock.
//! - [`IcmConfig`]: the `[icm]` table of the PBX's TOML.

pub mod config;
pub mod number;
mod person;
pub mod resolve;
mod service;
pub mod source;

pub use config::IcmConfig;
pub use person::{Employee, Person, SourceId};
pub use sb_secret::Secret;
pub use service::{system_clock, Clock, Icm, Resolution};
pub use source::{Source, SourceError};
