//! What the distributor asks of the shell, and the records it keeps for statistics.

use std::fmt;
use std::time::Duration;

use chrono::{DateTime, Utc};

/// Why a caller left the queue without an agent, each an outcome the scenario routes
/// (`timeout`, `full`, ...), like a dial step's `no_answer`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum LeaveReason {
    /// Waited `max_wait`.
    Timeout,
    /// Turned away at the door: `max_len` callers were waiting.
    Full,
    /// Turned away at the door by `join_empty`.
    JoinEmpty,
    /// Sent away by `leave_when_empty`: the last agent left.
    LeaveEmpty,
    /// Pressed an exit key; the scenario goes on at `step`.
    ExitKey {
        /// The key.
        digit: char,
        /// The step the key leads to.
        step: String,
    },
    /// Asked to be called back: the call may end, the queue keeps the place.
    Callback,
    /// No queue has that name.
    NoSuchQueue,
}

impl fmt::Display for LeaveReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LeaveReason::Timeout => f.write_str("timeout"),
            LeaveReason::Full => f.write_str("full"),
            LeaveReason::JoinEmpty => f.write_str("join_empty"),
            LeaveReason::LeaveEmpty => f.write_str("leave_empty"),
            LeaveReason::ExitKey { step, .. } => write!(f, "exit_key:{step}"),
            LeaveReason::Callback => f.write_str("callback"),
            LeaveReason::NoSuchQueue => f.write_str("no_such_queue"),
        }
    }
}

/// How a caller's time in the queue ended: every caller who joins ends with exactly one.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Outcome {
    /// An agent has the call (directly, or on a call back).
    Connected {
        /// The agent.
        agent: String,
    },
    /// The caller hung up first.
    Abandoned,
    /// The caller left for a reason; [`LeaveReason::Callback`] is never final.
    Left(LeaveReason),
    /// Every call back failed.
    CallbackFailed,
}

/// Why an offer to an agent ended without an answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RingFailure {
    /// The agent's phone gave up.
    NoAnswer,
    /// The attempt's `ring_timeout` passed.
    Timeout,
    /// Busy elsewhere.
    Busy,
    /// Declined.
    Rejected,
    /// The agent logged out or became unreachable while ringing.
    Gone,
    /// The caller was taken by another agent, hung up or left.
    Cancelled,
}

/// What a queue record says happened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QueueEventKind {
    /// The caller entered at `position` (1 is next).
    Joined {
        /// The caller's priority.
        priority: i32,
        /// The place in the line.
        position: usize,
    },
    /// An agent was offered the call.
    Offered {
        /// The agent.
        agent: String,
    },
    /// An offer ended without an answer.
    OfferFailed {
        /// The agent.
        agent: String,
        /// Why.
        why: RingFailure,
    },
    /// The caller asked for a callback and keeps the place.
    CallbackRequested,
    /// An agent answered a callback offer; the caller is being called.
    CallbackStarted {
        /// The agent.
        agent: String,
        /// The call back's number, from 1.
        attempt: u32,
    },
    /// The caller's time in the queue ended, after `waited`.
    Ended {
        /// How.
        outcome: Outcome,
        /// From joining to the outcome.
        waited: Duration,
    },
    /// A connected call ended after `talk`; its agent goes to wrap-up.
    Completed {
        /// The agent.
        agent: String,
        /// From answer to hang-up.
        talk: Duration,
        /// The wrap-up the agent was given.
        wrapup: Duration,
    },
}

/// One record for the statistics and the call log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueEvent {
    /// When.
    pub at: DateTime<Utc>,
    /// The queue.
    pub queue: String,
    /// The call.
    pub call: String,
    /// What.
    pub kind: QueueEventKind,
}

/// An agent's state as the wallboard and the API show it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum AgentState {
    /// In no queue.
    LoggedOut,
    /// Logged in, phone not registered.
    Unreachable,
    /// Logged in, waiting for a call.
    Available,
    /// Being offered a call.
    Ringing,
    /// Talking (on one call or more with `ringinuse`).
    OnCall,
    /// Resting after a call.
    WrapUp,
    /// Paused, with the reason (`auto-pause` after unanswered offers).
    Paused(String),
}

impl AgentState {
    /// The state's one spelling, for the API, the console and the queue log.
    pub fn name(&self) -> &'static str {
        match self {
            AgentState::LoggedOut => "logged_out",
            AgentState::Unreachable => "unreachable",
            AgentState::Available => "available",
            AgentState::Ringing => "ringing",
            AgentState::OnCall => "on_call",
            AgentState::WrapUp => "wrap_up",
            AgentState::Paused(_) => "paused",
        }
    }

    /// Why paused, when paused.
    pub fn reason(&self) -> Option<&str> {
        match self {
            AgentState::Paused(reason) => Some(reason),
            _ => None,
        }
    }

    /// The state [`name`](Self::name) spells, with its pause `reason`.
    pub fn from_name(name: &str, reason: Option<&str>) -> Option<AgentState> {
        Some(match name {
            "logged_out" => AgentState::LoggedOut,
            "unreachable" => AgentState::Unreachable,
            "available" => AgentState::Available,
            "ringing" => AgentState::Ringing,
            "on_call" => AgentState::OnCall,
            "wrap_up" => AgentState::WrapUp,
            "paused" => AgentState::Paused(reason.unwrap_or_default().to_owned()),
            _ => return None,
        })
    }
}

/// How an agent counts for occupancy: staffed (logged in, reachable and unpaused, or busy
/// whatever else) and busy (talking or wrapping up on queue calls).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct AgentOccupancy {
    /// Counts in the staffed time.
    pub staffed: bool,
    /// Counts in the busy time.
    pub busy: bool,
}

/// What the queue name and wait tell the agent before the caller is put through.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Whisper {
    /// The queue's name.
    pub queue: String,
    /// Whole seconds the caller waited.
    pub waited_secs: u64,
}

/// One thing for the shell to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Ring these agents for the call; report each one's answer, no answer, busy or
    /// rejection. The engine times the attempt out itself ([`Action::CancelRinging`]).
    RingAgents {
        /// The call.
        call: String,
        /// The agents, in the order chosen.
        agents: Vec<String>,
        /// The caller's number, for the agents' screens.
        caller: String,
    },
    /// Stop ringing these agents for the call.
    CancelRinging {
        /// The call.
        call: String,
        /// The agents.
        agents: Vec<String>,
    },
    /// Put the caller through to the agent who answered, after the whisper.
    Connect {
        /// The call.
        call: String,
        /// The agent.
        agent: String,
        /// What to whisper to the agent.
        whisper: Whisper,
    },
    /// Tell the caller the place in the line and the estimated wait.
    PlayPosition {
        /// The call.
        call: String,
        /// 1 is next.
        position: usize,
        /// The estimate from recent real waits; `None` before any caller was answered.
        estimated_wait: Option<Duration>,
    },
    /// Play a periodic message to the caller.
    PlayPeriodic {
        /// The call.
        call: String,
        /// The message's prompt name.
        message: String,
    },
    /// The caller leaves the queue; the scenario routes `reason`. With
    /// [`LeaveReason::Callback`] the call may end but the place is kept.
    Leave {
        /// The call.
        call: String,
        /// Why.
        reason: LeaveReason,
    },
    /// The agent answered a callback offer: call the caller back with the agent on the
    /// line, and report [`Event::CallbackAnswered`](crate::Event::CallbackAnswered) or
    /// [`Event::CallbackFailed`](crate::Event::CallbackFailed).
    StartCallback {
        /// The original call's id, which names the callback.
        call: String,
        /// The agent waiting on the line.
        agent: String,
        /// The number to call.
        number: String,
        /// The call back's number, from 1.
        attempt: u32,
    },
    /// An agent's displayed state, or how it counts for occupancy, changed: the shell
    /// shows the state and logs the whole, from which [`replay`](crate::replay())
    /// rebuilds occupancy exactly as the engine counts it.
    AgentState {
        /// When: a timer's due time when one fired (a wrap-up ending), which may be before
        /// the `now` of the event that found it due.
        at: DateTime<Utc>,
        /// The agent.
        agent: String,
        /// The new state.
        state: AgentState,
        /// Whether the agent now counts as staffed, and as busy, for occupancy. Not
        /// derived from `state`: an agent wrapping up whose phone went away shows as
        /// unreachable and is still busy.
        occupancy: AgentOccupancy,
    },
    /// A record for the statistics.
    QueueEvent(QueueEvent),
    /// A request could not be done.
    Refused {
        /// The agent or call the request was about.
        subject: String,
        /// Why.
        reason: Refusal,
    },
}

/// Why a request was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// No queue has that name.
    #[error("no queue {0:?}")]
    NoSuchQueue(String),
    /// The engine does not know the agent.
    #[error("no agent {0:?}")]
    NoSuchAgent(String),
    /// Static members stay logged in; they can pause.
    #[error("agent is a static member of {0:?} and cannot log out of it")]
    StaticMember(String),
    /// The agent is not logged in to the queue.
    #[error("agent is not logged in to {0:?}")]
    NotLoggedIn(String),
    /// A call with that id is already in a queue.
    #[error("call is already queued")]
    DuplicateCall,
}
