//! What the operator writes: `[[queue]]` and `[[agent]]` tables, read with serde.
//!
//! Every key but `name` has a default, so the short form the configuration already uses
//! (`name`, `number`, `members = ["101", "102"]`) stays valid and means what it meant:
//! static members at penalty 0, rung all at once. Durations are whole seconds, as
//! everywhere else in the file; `0` turns a periodic feature off.

use serde::Deserialize;

/// The whole distributor: its queues, the agents with settings of their own, and the seed
/// of the random strategies.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AcdConfig {
    /// Seeds the generator of the `random` and `weighted_random` strategies: one seed, one
    /// sequence of choices, so a replayed day decides the same way.
    #[serde(default)]
    pub seed: u64,
    /// `[[queue]]`.
    #[serde(default, rename = "queue")]
    pub queues: Vec<QueueConfig>,
    /// `[[agent]]`: only agents with a setting of their own need a table.
    #[serde(default, rename = "agent")]
    pub agents: Vec<AgentConfig>,
}

/// How a queue picks among the available agents of one penalty level.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Strategy {
    /// Every available agent rings; the first to answer has the call.
    #[default]
    RingAll,
    /// The next agent after the one offered the previous call, in member order.
    RoundRobin,
    /// The first available agent in member order.
    Linear,
    /// The agent whose last queue call ended longest ago (never = longest).
    LongestIdle,
    /// The agent who completed the fewest calls of this queue.
    FewestCalls,
    /// The agent with the least talk time in this queue.
    LeastTalkTime,
    /// Any available agent, uniformly.
    Random,
    /// Any available agent, in proportion to the member's `weight`.
    WeightedRandom,
    /// The first agent in member order, then one more every `progressive_step` seconds
    /// while none answers.
    RingProgressive,
}

impl Strategy {
    /// The name a configuration writes (`strategy = "round_robin"`), for writing a queue
    /// back to TOML and for showing it in the API.
    pub fn name(self) -> &'static str {
        match self {
            Strategy::RingAll => "ring_all",
            Strategy::RoundRobin => "round_robin",
            Strategy::Linear => "linear",
            Strategy::LongestIdle => "longest_idle",
            Strategy::FewestCalls => "fewest_calls",
            Strategy::LeastTalkTime => "least_talk_time",
            Strategy::Random => "random",
            Strategy::WeightedRandom => "weighted_random",
            Strategy::RingProgressive => "ring_progressive",
        }
    }
}

/// When a queue counts as empty, for `join_empty` and `leave_when_empty`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EmptyRule {
    /// Never: callers join and wait whatever the agents do.
    #[default]
    Never,
    /// When no member is logged in.
    NoMembers,
    /// When no logged-in member is reachable (registered).
    Unreachable,
    /// When no logged-in, reachable member is unpaused.
    Paused,
}

/// From `after` seconds of waiting, the caller may also be offered to members up to
/// `max_penalty` (Asterisk's penalty rules).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Escalation {
    /// Seconds of waiting.
    pub after: u32,
    /// The new highest penalty a caller may reach.
    pub max_penalty: u32,
}

/// A static member as written: a bare extension (`"101"`) or a table.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
pub enum MemberEntry {
    /// `"101"`: penalty 0, weight 1.
    Plain(String),
    /// `{ agent = "101", penalty = 1, weight = 2 }`.
    Detailed(MemberConfig),
}

impl MemberEntry {
    /// The member's settings, defaults filled in.
    pub fn settings(&self) -> MemberConfig {
        match self {
            MemberEntry::Plain(agent) => MemberConfig {
                agent: agent.clone(),
                penalty: 0,
                weight: default_weight(),
            },
            MemberEntry::Detailed(member) => member.clone(),
        }
    }
}

/// One member of a queue.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MemberConfig {
    /// The agent (the extension number).
    pub agent: String,
    /// Lower rings first: members of penalty 1 ring only when no member of penalty 0 is
    /// available (or, with `escalation`, only for callers who waited long enough).
    #[serde(default)]
    pub penalty: u32,
    /// The member's share under `weighted_random`.
    #[serde(default = "default_weight")]
    pub weight: u32,
}

fn default_weight() -> u32 {
    1
}

/// One `[[queue]]`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QueueConfig {
    /// The unique name that targets (`queue:sales`) refer to.
    pub name: String,
    /// The internal number that reaches the queue; the distributor does not use it.
    #[serde(default)]
    pub number: String,
    /// Static members: logged in from the start, they cannot log out (only pause).
    #[serde(default)]
    pub members: Vec<MemberEntry>,
    /// How an agent is picked within a penalty level.
    #[serde(default)]
    pub strategy: Strategy,
    /// Seconds one attempt rings before it is given up.
    #[serde(default = "default_ring_timeout")]
    pub ring_timeout: u32,
    /// Seconds a caller waits after an attempt nobody answered before the next one.
    #[serde(default = "default_retry")]
    pub retry: u32,
    /// Seconds an agent rests after a call of this queue before the next offer.
    #[serde(default)]
    pub wrapup: u32,
    /// Seconds a caller may wait before leaving with `timeout`; none when absent.
    #[serde(default)]
    pub max_wait: Option<u32>,
    /// Callers waiting at most; the next one leaves with `full`. None when absent.
    #[serde(default)]
    pub max_len: Option<u32>,
    /// When a new caller is turned away with `join_empty`.
    #[serde(default)]
    pub join_empty: EmptyRule,
    /// When waiting callers are sent away with `leave_empty`.
    #[serde(default)]
    pub leave_when_empty: EmptyRule,
    /// Whether an agent already on a call may be offered one of this queue's calls.
    #[serde(default)]
    pub ringinuse: bool,
    /// Offers an agent leaves unanswered in a row before being paused; none when absent.
    #[serde(default)]
    pub autopause: Option<u32>,
    /// Seconds between announcements of position and estimated wait; 0 is off.
    #[serde(default)]
    pub announce_frequency: u32,
    /// Messages played in turn to waiting callers.
    #[serde(default)]
    pub periodic_messages: Vec<String>,
    /// Seconds between periodic messages; 0 is off.
    #[serde(default)]
    pub periodic_frequency: u32,
    /// Queues sharing an agent: the heavier queue's caller is offered first.
    #[serde(default)]
    pub weight: u32,
    /// The highest penalty a new caller may reach; every level when absent.
    #[serde(default)]
    pub max_penalty: Option<u32>,
    /// Raises `max_penalty` as a caller waits, in order of `after`.
    #[serde(default)]
    pub escalation: Vec<Escalation>,
    /// Seconds between agents added by `ring_progressive`.
    #[serde(default = "default_progressive_step")]
    pub progressive_step: u32,
    /// The service-level threshold T: answered within T seconds counts as in service.
    #[serde(default = "default_service_level")]
    pub service_level: u32,
    /// The key that asks for a callback: the caller may hang up and keeps the place. Keys
    /// that leave the queue belong to the scenario step that queued the call (they lead to
    /// its steps), so they come with each caller ([`Event::CallerJoined`]).
    ///
    /// [`Event::CallerJoined`]: crate::Event::CallerJoined
    #[serde(default)]
    pub callback_key: Option<char>,
    /// Calls back to the caller before giving up.
    #[serde(default = "default_callback_attempts")]
    pub callback_attempts: u32,
    /// Seconds between two calls back.
    #[serde(default = "default_callback_pause")]
    pub callback_pause: u32,
    /// Whether the agent who answers hears an announcement before the caller is put
    /// through (Asterisk's `announce` and `reportholdtime`): `agent_announcement` (or a
    /// generic "a call from the queue"), then how long the caller waited. An agent of
    /// several queues then knows which one rings and how impatient the caller may be. The
    /// distributor only reports the wait ([`Whisper`]); the shell plays it.
    ///
    /// [`Whisper`]: crate::Whisper
    #[serde(default)]
    pub announce_to_agent: bool,
    /// The prompt that names the queue to its agents ("a call for sales"), played instead
    /// of the generic one when `announce_to_agent` is on.
    #[serde(default)]
    pub agent_announcement: Option<String>,
}

fn default_ring_timeout() -> u32 {
    15
}
fn default_retry() -> u32 {
    5
}
fn default_progressive_step() -> u32 {
    5
}
/// The service-level threshold T when a queue names none: 20 s, the call-centre convention
/// (80 % answered within 20 s).
pub const DEFAULT_SERVICE_LEVEL_SECS: u32 = 20;

fn default_service_level() -> u32 {
    DEFAULT_SERVICE_LEVEL_SECS
}
fn default_callback_attempts() -> u32 {
    3
}
fn default_callback_pause() -> u32 {
    60
}

impl QueueConfig {
    /// A queue with every default, for tests and code that builds configurations.
    pub fn new(name: &str) -> Self {
        QueueConfig {
            name: name.to_owned(),
            number: String::new(),
            members: Vec::new(),
            strategy: Strategy::default(),
            ring_timeout: default_ring_timeout(),
            retry: default_retry(),
            wrapup: 0,
            max_wait: None,
            max_len: None,
            join_empty: EmptyRule::Never,
            leave_when_empty: EmptyRule::Never,
            ringinuse: false,
            autopause: None,
            announce_frequency: 0,
            periodic_messages: Vec::new(),
            periodic_frequency: 0,
            weight: 0,
            max_penalty: None,
            escalation: Vec::new(),
            progressive_step: default_progressive_step(),
            service_level: default_service_level(),
            callback_key: None,
            callback_attempts: default_callback_attempts(),
            callback_pause: default_callback_pause(),
            announce_to_agent: false,
            agent_announcement: None,
        }
    }
}

/// One `[[agent]]`: settings that follow the agent into every queue.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AgentConfig {
    /// The agent (the extension number).
    pub id: String,
    /// Wrap-up seconds that replace every queue's `wrapup` for this agent.
    #[serde(default)]
    pub wrapup: Option<u32>,
}
