//! Scenarios as the operator writes them, under `[scenario.NAME]` in the main TOML.
//!
//! Step targets are plain step names here; [`Flows::new`](super::Flows::new) checks them
//! all at once and reports every mistake with its key path.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

/// How a step that hands the call to someone (a dial, a queue, a hook) ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// A person took the call: the flow is done, so it never leads to another step.
    Answered,
    /// Rang out without an answer.
    NoAnswer,
    /// The callee was busy.
    Busy,
    /// Not registered, logged out, or nobody in the queue.
    Unavailable,
    /// Waited too long (a queue's maximum wait).
    Timeout,
    /// The caller pressed something that means nothing here.
    InvalidInput,
    /// A lookup found nothing (no responsible manager for this caller).
    NotFound,
    /// Something broke: the call goes back to the scenario.
    Failed,
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Outcome::Answered => "answered",
            Outcome::NoAnswer => "no answer",
            Outcome::Busy => "busy",
            Outcome::Unavailable => "unavailable",
            Outcome::Timeout => "timeout",
            Outcome::InvalidInput => "invalid input",
            Outcome::NotFound => "not found",
            Outcome::Failed => "failed",
        })
    }
}

/// One scenario: where a call starts, where it goes when nothing else applies, its steps.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScenarioConfig {
    /// The first step.
    pub entry: String,
    /// Where any outcome that no step maps goes (usually the operator), so nothing
    /// dead-ends.
    pub default: String,
    /// The schedule (`[schedule.NAME]`) for `schedule` steps that name none and for the
    /// `greeting` prompt.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schedule: Option<String>,
    /// The steps by name: `[scenario.NAME.steps.STEP]`.
    pub steps: BTreeMap<String, StepConfig>,
}

/// What one step does; `kind = "..."` selects it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum StepConfig {
    /// Branch on the schedule's mode.
    Schedule(ScheduleStep),
    /// Play prompts, then go on.
    Play(PlayStep),
    /// Play a prompt and act on the digits the caller presses.
    Menu(MenuStep),
    /// Ring one extension (and, if asked, its mobile at the same time).
    Dial(DialStep),
    /// Ring several extensions: all at once, or one after another.
    RingGroup(RingGroupStep),
    /// Ring an outside number through the trunk.
    Forward(ForwardStep),
    /// Hand the call to a queue (executed by the ACD) and wait for its outcome.
    Queue(QueueStep),
    /// Ask the responsible-manager service (ICM) and wait for its outcome.
    Responsible(ResponsibleStep),
    /// Leave a message in a voicemail box; the flow ends there.
    Voicemail(VoicemailStep),
    /// Set a call attribute.
    Set(SetStep),
    /// Continue in another scenario, at its entry.
    Goto(GotoStep),
    /// End the call.
    Hangup(HangupStep),
}

impl StepConfig {
    /// The `kind` as written in the file.
    pub fn kind(&self) -> &'static str {
        match self {
            StepConfig::Schedule(_) => "schedule",
            StepConfig::Play(_) => "play",
            StepConfig::Menu(_) => "menu",
            StepConfig::Dial(_) => "dial",
            StepConfig::RingGroup(_) => "ring_group",
            StepConfig::Forward(_) => "forward",
            StepConfig::Queue(_) => "queue",
            StepConfig::Responsible(_) => "responsible",
            StepConfig::Voicemail(_) => "voicemail",
            StepConfig::Set(_) => "set",
            StepConfig::Goto(_) => "goto",
            StepConfig::Hangup(_) => "hangup",
        }
    }
}

/// `kind = "schedule"`: one target per mode; a mode left out goes to the default.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScheduleStep {
    /// The schedule's name; the scenario's `schedule` when left out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schedule: Option<String>,
    /// The step for working hours.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub day: Option<String>,
    /// The step for the lunch break.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lunch: Option<String>,
    /// The step outside working hours.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub night: Option<String>,
    /// The step on holidays.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub holiday: Option<String>,
}

/// `kind = "play"`: prompt names; `greeting` stands for `greeting-morning`,
/// `greeting-day` or `greeting-evening` by the scenario schedule's local hour.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlayStep {
    /// Played in order; at least one.
    pub prompts: Vec<String>,
    /// Whether to answer the call before playing (the default). `answer = false` plays
    /// the prompts as early media (183 Session Progress) on a call not yet answered, so
    /// the caller is not charged for hearing "all lines are busy" before a dial or a
    /// queue; the first later step that needs an answered call answers it.
    #[serde(default = "yes", skip_serializing_if = "is_true")]
    pub answer: bool,
    /// The step after the prompts; the default when left out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
}

/// `kind = "menu"`: an auto-attendant menu.
///
/// Digits are taken while the prompt plays (barge-in). The timeout runs from the end of
/// the prompt. A digit with no meaning, or silence until the timeout, counts one failure;
/// up to `retries` failures replay the prompt (after `invalid_prompts` or
/// `timeout_prompts`), the next one goes to `fallback`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MenuStep {
    /// The menu prompt; at least one name.
    pub prompts: Vec<String>,
    /// One DTMF key (`0`-`9`, `*`, `#`) to the step it selects.
    #[serde(default)]
    pub digits: BTreeMap<String, String>,
    /// Seconds of silence after the prompt before it counts as no input.
    #[serde(default = "default_menu_timeout")]
    pub timeout: u32,
    /// How many failures replay the menu before `fallback`.
    #[serde(default = "default_retries")]
    pub retries: u32,
    /// Played before the menu is repeated after a key with no meaning.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub invalid_prompts: Vec<String>,
    /// Played before the menu is repeated after silence.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub timeout_prompts: Vec<String>,
    /// Where the call goes when the retries are used up; the default when left out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fallback: Option<String>,
    /// Whether an extension number dialled during the menu rings that extension. A key
    /// that also starts an extension number waits up to 3 s for the next digit.
    #[serde(default)]
    pub direct_dial: bool,
}

fn default_menu_timeout() -> u32 {
    5
}

fn default_retries() -> u32 {
    2
}

/// `kind = "dial"`: ring one extension.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DialStep {
    /// The extension number; it must exist.
    pub extension: String,
    /// Also ring the extension's mobile through the trunk, at the same time: whoever
    /// answers first has the call. The extension must have a mobile.
    #[serde(default, skip_serializing_if = "is_false")]
    pub mobile: bool,
    /// Seconds to ring before `no_answer`.
    #[serde(default = "default_ring_timeout")]
    pub timeout: u32,
    /// Outcome to step, such as `{ busy = "voicemail" }`; `answered` ends the flow.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub on: BTreeMap<Outcome, String>,
    /// The step for any outcome not in `on`; the default when left out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
}

/// The ring timeout of `dial` steps and of extensions dialled from a menu.
pub const DEFAULT_RING_TIMEOUT: u32 = 15;

fn default_ring_timeout() -> u32 {
    DEFAULT_RING_TIMEOUT
}

fn is_default_ring_timeout(timeout: &u32) -> bool {
    *timeout == DEFAULT_RING_TIMEOUT
}

impl Default for ResponsibleStep {
    fn default() -> Self {
        ResponsibleStep {
            mobile: false,
            timeout: DEFAULT_RING_TIMEOUT,
            on: BTreeMap::new(),
            next: None,
        }
    }
}

/// How a ring group rings its members.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RingStrategy {
    /// Every member at once, for `member_timeout` seconds (the default).
    #[default]
    All,
    /// One member after another, always from the first listed.
    InOrder,
    /// One after another, starting after the member who answered the group's last call,
    /// so the calls spread over the members.
    RoundRobin,
}

/// `kind = "ring_group"`: ring several extensions.
///
/// With `all`, one dial rings every member. With `in_order` and `round_robin`, members
/// ring one at a time for `member_timeout` seconds each; a member who does not answer,
/// is busy or is not registered is skipped. When every member was tried the step's
/// outcome is `no_answer` if any member rang out, else `busy` if any was busy, else
/// `unavailable`, routed by `on`, then `next`, then the default.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RingGroupStep {
    /// Extension numbers, in ringing order; at least one, each existing, none twice.
    pub members: Vec<String>,
    /// `all`, `in_order` or `round_robin`.
    #[serde(default)]
    pub strategy: RingStrategy,
    /// Seconds each member rings (with `all`, how long the whole group rings).
    #[serde(default = "default_ring_timeout")]
    pub member_timeout: u32,
    /// Outcome to step; `answered` ends the flow.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub on: BTreeMap<Outcome, String>,
    /// The step for any outcome not in `on`; the default when left out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
}

/// `kind = "forward"`: ring an outside number (a mobile, another office) through the trunk.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ForwardStep {
    /// The number: digits, optionally after `+` (`+79000000101`).
    pub number: String,
    /// Seconds to ring before `no_answer`; longer than for an extension, because a call
    /// through a carrier takes a few seconds to start ringing.
    #[serde(default = "default_forward_timeout")]
    pub timeout: u32,
    /// Outcome to step; `answered` ends the flow.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub on: BTreeMap<Outcome, String>,
    /// The step for any outcome not in `on`; the default when left out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
}

/// The ring timeout of `forward` steps.
pub const DEFAULT_FORWARD_TIMEOUT: u32 = 30;

fn default_forward_timeout() -> u32 {
    DEFAULT_FORWARD_TIMEOUT
}

fn yes() -> bool {
    true
}

fn is_true(value: &bool) -> bool {
    *value
}

fn is_false(value: &bool) -> bool {
    !*value
}

/// `kind = "queue"`: hand the call to a queue and route on how it ended.
///
/// While waiting, the caller may press one of `exit_keys` to leave the queue for that
/// key's step (`exit_keys = { 0 = "operator", 9 = "voicemail" }`): a way out that the
/// caller chooses, where `on` routes what the queue decided. The queue's own
/// `callback_key`, when it has one, ends the call and keeps the caller's place until an
/// agent calls back, so no exit key may be that key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QueueStep {
    /// The queue's name.
    pub queue: String,
    /// One DTMF key (`0`-`9`, `*`, `#`) to the step the caller leaves the queue for.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub exit_keys: BTreeMap<String, String>,
    /// Outcome to step; `answered` ends the flow.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub on: BTreeMap<Outcome, String>,
    /// The step for any outcome not in `on`; the default when left out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
}

/// `kind = "responsible"`: the responsible manager of the caller, if any.
///
/// The shell asks the responsible-manager service (ICM) while the caller hears ringback;
/// a manager found is rung like a `dial` step (`timeout` seconds, with the mobile too when
/// `mobile`). The outcome routes as usual: `answered` ends the flow, `not_found` (nobody
/// responsible), `no_answer`, `busy` and `unavailable` (not registered) go to `on`/`next`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResponsibleStep {
    /// Also ring the manager's mobile through the trunk, when they have one.
    #[serde(default, skip_serializing_if = "is_false")]
    pub mobile: bool,
    /// Seconds to ring the manager before `no_answer`.
    #[serde(
        default = "default_ring_timeout",
        skip_serializing_if = "is_default_ring_timeout"
    )]
    pub timeout: u32,
    /// Outcome to step, such as `{ not_found = "menu" }`; `answered` ends the flow.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub on: BTreeMap<Outcome, String>,
    /// The step for any outcome not in `on`; the default when left out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
}

/// `kind = "voicemail"`: the caller leaves a message; the flow ends.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VoicemailStep {
    /// The voicemail box.
    #[serde(rename = "box")]
    pub mailbox: String,
}

/// `kind = "set"`: `attribute = value` on the call, for records and later steps.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SetStep {
    /// The attribute's name.
    pub attribute: String,
    /// Its new value.
    pub value: String,
    /// The step after; the default when left out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
}

/// `kind = "goto"`: continue at another scenario's entry, under its default.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GotoStep {
    /// The scenario's name.
    pub scenario: String,
}

/// `kind = "hangup"`: end the call with a cause for the records.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HangupStep {
    /// Why, such as `closed`; `normal` when left out.
    #[serde(default = "default_cause")]
    pub cause: String,
}

fn default_cause() -> String {
    "normal".to_owned()
}
