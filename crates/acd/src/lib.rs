//! The automatic call distributor: queues, agents, strategies and service-level
//! statistics, as an engine without I/O.
//!
//! [`Acd`] takes an [`Event`] and `now` and returns [`Action`]s; it reads no clock, opens
//! no socket and starts no task, like `quinn-proto` under `quinn`. The shell rings phones,
//! plays prompts and calls [`Acd::handle`] with [`Event::Tick`] at
//! [`Acd::next_deadline`]. A day of traffic replays through the same engine with a
//! virtual clock, and every routing rule is tested with fixed instants.
//!
//! - [`AcdConfig`], [`QueueConfig`]: `[[queue]]` and `[[agent]]` tables (serde); the keys
//!   `name`, `number` and `members` keep their meaning.
//! - Who gets a call: penalties first (the lowest level with an available agent the
//!   caller may reach, `escalation` widening the reach as the caller waits), then the
//!   queue's [`Strategy`] within that level. Callers are served by priority, then in
//!   order of joining; queues sharing an agent by `weight`, then the longest wait.
//! - Every caller who joins ends with exactly one [`Outcome`], recorded in a
//!   [`QueueEvent`]; the [`IntervalCounters`] count those records.
//!
//! ```
//! use chrono::{DateTime, TimeDelta, Utc};
//! use sb_acd::{Acd, AcdConfig, Action, Event, Outcome, QueueEventKind};
//!
//! let config: AcdConfig = toml::from_str(r#"
//!     seed = 7
//!
//!     [[queue]]
//!     name = "support"
//!     number = "701"
//!     strategy = "longest_idle"
//!     members = ["101", { agent = "102", penalty = 1 }]
//!     ring_timeout = 20
//!     wrapup = 10
//!     max_wait = 300
//!     callback_key = "*"
//!     escalation = [{ after = 60, max_penalty = 1 }]
//!     max_penalty = 0
//!
//!     [[agent]]
//!     id = "101"
//!     wrapup = 30
//! "#).unwrap();
//! let mut acd = Acd::new(config).unwrap();
//! let t0: DateTime<Utc> = "2026-11-23T07:00:00Z".parse().unwrap();
//!
//! // 0 takes this caller to the scenario's step "operator".
//! let joined = Event::CallerJoined {
//!     call: "c1".into(), queue: "support".into(), priority: 0, number: "+79001234567".into(),
//!     exit_keys: [('0', "operator".to_owned())].into(),
//! };
//! let actions = acd.handle(joined, t0);
//! assert!(actions.contains(&Action::RingAgents {
//!     call: "c1".into(), agents: vec!["101".into()], caller: "+79001234567".into(),
//! }));
//!
//! let answered = Event::AgentAnswered { call: "c1".into(), agent: "101".into() };
//! let actions = acd.handle(answered, t0 + TimeDelta::seconds(4));
//! assert!(actions.iter().any(|a| matches!(a, Action::QueueEvent(e)
//!     if matches!(&e.kind, QueueEventKind::Ended { outcome: Outcome::Connected { .. }, .. }))));
//! ```

mod action;
mod agent;
mod caller;
mod config;
mod engine;
mod event;
mod line;
mod queue;
mod replay;
mod stats;
mod strategy;
mod timers;
mod validate;

#[cfg(test)]
mod tests;

pub use action::{
    Action, AgentOccupancy, AgentState, LeaveReason, Outcome, QueueEvent, QueueEventKind, Refusal,
    RingFailure, Whisper,
};
pub use config::{
    AcdConfig, AgentConfig, EmptyRule, Escalation, MemberConfig, MemberEntry, QueueConfig,
    Strategy, DEFAULT_SERVICE_LEVEL_SECS,
};
pub use engine::{Acd, CallerView, QueueFigures};
pub use event::Event;
pub use replay::{replay, AgentRecord, ReportedQueue};
pub use stats::{IntervalCounters, IntervalReport, QueueInterval};
pub use validate::{ConfigError, ConfigErrors};

/// The pause reason of an agent paused by `autopause`.
pub use engine::AUTO_PAUSE_REASON;
