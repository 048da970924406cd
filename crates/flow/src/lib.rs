//! Call scenarios for Switchboard, decided without I/O.
//!
//! Every decision here is a pure function of configuration, state and an injected `now`:
//! no clock is read, no socket is opened. That is what lets a routing rule be tested at
//! any instant and a day of traffic be replayed with a virtual clock (see DESIGN.md).
//!
//! - [`schedule`]: working hours, lunch, holidays and manual overrides: which [`Mode`]
//!   (day, lunch, night, holiday) a scenario is in, which greeting fits the hour, and when
//!   the mode next changes.
//!
//! - [`scenario`]: the call-flow graph (schedule branches, prompts, menus, dials, queue
//!   and responsible-manager hooks, voicemail) and the engine that walks one call through
//!   it, with a routing trace of every decision.
//!
//! [`Mode`]: schedule::Mode

pub mod error;
pub mod scenario;
pub mod schedule;
