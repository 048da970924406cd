//! Declarative call flows: a scenario is a graph of named steps, and every step ends with
//! an [`Outcome`] that leads to a next step or to the scenario's `default`, so no call
//! dead-ends in silence.
//!
//! - [`ScenarioConfig`] and [`StepConfig`]: what the operator writes under
//!   `[scenario.NAME]`, one table per step under `[scenario.NAME.steps.STEP]` with
//!   `kind = "..."` choosing what it does.
//! - [`Flows::new`]: checks all scenarios against the schedules and the extension
//!   numbers, every mistake reported at once with its key path ([`PathErrors`](crate::error::PathErrors)).
//! - [`CallFlow`]: one call's walk, pure: [`CallFlow::start`] and
//!   [`CallFlow::on_event`] take `now` and return [`Action`]s; [`CallFlow::trace`] tells
//!   why the call went where it went.
//!
//! How outcomes route: a `dial`, `ring_group`, `forward`, `queue` or `responsible` step
//! looks the outcome up in its `on` table, then uses its `next`, then the scenario
//! `default`; `answered` ends the flow (a person has the call). A `schedule` mode left out, a `play` or `set` without `next`
//! and a `menu` without `fallback` also go to the default. An outcome the default step
//! itself cannot route hangs up with cause `unrouted`, with the reason in the trace.
//!
//! ```
//! use std::collections::BTreeMap;
//! use std::sync::Arc;
//! use std::time::Duration;
//!
//! use sb_flow::scenario::{Action, CallFlow, DialTarget, Event, Flows, Outcome, ScenarioConfig};
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
//!     exit_keys = { 0 = "operator" }  # the caller may leave the queue for Anna
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
//!     mobile = true             # her mobile rings too, through the trunk
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
//! // Extension number → mobile.
//! let extensions: BTreeMap<String, Option<String>> = (101..=109)
//!     .map(|n: u32| (n.to_string(), Some(format!("+79000000{n}"))))
//!     .collect();
//! let schedules = BTreeMap::from([("main".to_owned(), demo_schedule())]);
//! let flows = Arc::new(Flows::new(file.scenario, schedules, extensions).unwrap());
//!
//! // Monday 13:05 in Moscow: lunch.
//! let now = "2026-11-23T10:05:00Z".parse().unwrap();
//! let (mut call, actions) = CallFlow::start(flows.clone(), "main", now, BTreeMap::new());
//! assert_eq!(actions, [Action::Answer, Action::Play { prompts: vec!["lunch".into()], id: 1 }]);
//! let actions = call.on_event(Event::PlayFinished(1), now);
//! assert_eq!(actions, [Action::Queue {
//!     name: "sales".into(),
//!     exit_keys: [('0', "operator".into())].into(),
//! }]);
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
//!
//! // Monday 10:05: the greeting, the menu, and 0 rings Anna's desk and mobile at once.
//! let now = "2026-11-23T07:05:00Z".parse().unwrap();
//! let (mut call, _) = CallFlow::start(flows, "main", now, BTreeMap::new());
//! let actions = call.on_event(Event::PlayFinished(1), now);
//! assert_eq!(actions, [Action::Play { prompts: vec!["menu-default".into()], id: 2 }]);
//! let actions = call.on_event(Event::Digit('0'), now);
//! assert_eq!(actions, [
//!     Action::StopPlay { id: 2 },
//!     Action::Dial {
//!         targets: vec![
//!             DialTarget::Extension("101".into()),
//!             DialTarget::Outside("+79000000101".into()),
//!         ],
//!         timeout: Duration::from_secs(15),
//!     },
//! ]);
//! ```

mod config;
mod demo;
mod engine;
mod ring_memory;
mod validate;

#[cfg(test)]
mod tests;

pub use config::{
    DialStep, ForwardStep, GotoStep, HangupStep, MenuStep, Outcome, PlayStep, QueueStep,
    ResponsibleStep, RingGroupStep, RingStrategy, ScenarioConfig, ScheduleStep, SetStep,
    StepConfig, VoicemailStep, DEFAULT_FORWARD_TIMEOUT, DEFAULT_RING_TIMEOUT,
};
pub use demo::{demo_extensions, demo_flows, demo_main_scenario, DEMO_MAIN_TOML};
pub use engine::{Action, CallFlow, DialTarget, Event, TraceEntry, INTER_DIGIT_TIMEOUT};
pub use ring_memory::RingMemory;
pub use validate::Flows;
