//! Declarative call flows: a scenario is a graph of named steps, and every step ends with
//! an [`Outcome`] that leads to a next step or to the scenario's `default`, so no call
//! dead-ends in silence.
//!
//! - [`ScenarioConfig`] and [`StepConfig`]: what the operator writes under
//!   `[scenario.NAME]`, one table per step under `[scenario.NAME.steps.STEP]` with
//!   `kind = "..."` choosing what it does.
//! - [`Flows::new`]: checks all scenarios against the schedules and the extension
//!   numbers, every mistake reported at once with its key path ([`PathErrors`]).
//! - [`CallFlow`]: one call's walk, pure: [`CallFlow::start`] and
//!   [`CallFlow::on_event`] take `now` and return [`Action`]s; [`CallFlow::trace`] tells
//!   why the call went where it went.
//!
//! How outcomes route: a `dial`, `queue` or `responsible` step looks the outcome up in its
//! `on` table, then uses its `next`, then the scenario `default`; `answered` ends the flow
//! (a person has the call). A `schedule` mode left out, a `play` or `set` without `next`
//! and a `menu` without `fallback` also go to the default. An outcome the default step
//! itself cannot route hangs up with cause `unrouted`, with the reason in the trace.
//!
//! ```
//! use std::collections::{BTreeMap, BTreeSet};
//! use std::sync::Arc;
//!
//! use sb_flow::scenario::{Action, CallFlow, Event, Flows, Outcome, ScenarioConfig};
//! use sb_flow::schedule::demo_schedule;
//!
//! #[derive(serde::Deserialize)]
//! struct File {
//!     scenario: BTreeMap<String, ScenarioConfig>,
//! }
//!
//! let file: File = toml::from_str(r#"
//!     [scenario.main]
//!     entry = "hours"
//!     default = "operator"      # any outcome no step maps
//!     schedule = "main"         # [schedule.main]; also picks the greeting
//!
//!     [scenario.main.steps.hours]
//!     kind = "schedule"
//!     day = "greeting"
//!     lunch = "lunch"           # a mode left out goes to the default
//!
//!     [scenario.main.steps.greeting]
//!     kind = "play"
//!     prompts = ["greeting"]    # greeting-morning, -day or -evening by the hour
//!     next = "menu"
//!
//!     [scenario.main.steps.menu]
//!     kind = "menu"
//!     prompts = ["menu-default"]
//!     digits = { 1 = "sales", 0 = "operator" }
//!     timeout = 5               # seconds after the prompt
//!     retries = 2               # replays before the fallback
//!     invalid_prompts = ["invalid-choice"]
//!     timeout_prompts = ["no-choice"]
//!     fallback = "operator"
//!     direct_dial = true        # 101..109 ring that extension
//!
//!     [scenario.main.steps.sales]
//!     kind = "queue"
//!     queue = "sales"
//!     on = { timeout = "voicemail" }
//!
//!     [scenario.main.steps.lunch]
//!     kind = "play"
//!     prompts = ["lunch"]
//!     next = "sales"
//!
//!     [scenario.main.steps.operator]
//!     kind = "dial"
//!     extension = "101"
//!     timeout = 15              # the default
//!     on = { busy = "voicemail", no_answer = "voicemail" }
//!     next = "closed"           # any other outcome
//!
//!     [scenario.main.steps.voicemail]
//!     kind = "voicemail"
//!     box = "general"
//!
//!     [scenario.main.steps.closed]
//!     kind = "hangup"
//!     cause = "closed"
//! "#).unwrap();
//!
//! let extensions: BTreeSet<String> = (101..=109).map(|n: u32| n.to_string()).collect();
//! let schedules = BTreeMap::from([("main".to_owned(), demo_schedule())]);
//! let flows = Arc::new(Flows::new(file.scenario, schedules, extensions).unwrap());
//!
//! // Monday 13:05 in Moscow: lunch.
//! let now = "2026-11-23T10:05:00Z".parse().unwrap();
//! let (mut call, actions) = CallFlow::start(flows, "main", now, BTreeMap::new());
//! assert_eq!(actions, [Action::Answer, Action::Play { prompts: vec!["lunch".into()], id: 1 }]);
//! let actions = call.on_event(Event::PlayFinished(1), now);
//! assert_eq!(actions, [Action::Queue { name: "sales".into() }]);
//! let actions = call.on_event(Event::HookOutcome(Outcome::Timeout), now);
//! assert_eq!(actions, [Action::Voicemail { mailbox: "general".into() }]);
//! let trace: Vec<&str> = call.trace().iter().map(|entry| entry.text.as_str()).collect();
//! assert_eq!(trace, [
//!     "scenario main",
//!     "schedule: lunch (13:05 Europe/Moscow, Mon) → lunch",
//!     "play lunch",
//!     "queue sales",
//!     "queue sales: timeout → voicemail",
//!     "voicemail general",
//! ]);
//! ```

mod config;
mod demo;
mod engine;
mod validate;

#[cfg(test)]
mod tests;

pub use config::{
    DialStep, GotoStep, HangupStep, MenuStep, Outcome, PlayStep, QueueStep, ResponsibleStep,
    ScenarioConfig, ScheduleStep, SetStep, StepConfig, VoicemailStep, DEFAULT_RING_TIMEOUT,
};
pub use demo::{demo_extensions, demo_flows, demo_main_scenario, DEMO_MAIN_TOML};
pub use engine::{Action, CallFlow, Event, TraceEntry, INTER_DIGIT_TIMEOUT};
pub use validate::Flows;
