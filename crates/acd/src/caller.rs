//! One caller in a queue, and the order of the line.

use std::cmp::Reverse;
use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use crate::agent::AgentIdx;

/// A caller's place in a line: higher priority first, then who joined first (the
/// sequence number grows with every join, so it orders joins without comparing times).
pub(crate) type LineKey = (Reverse<i32>, u64);

/// The timers a caller may have, one of each at most.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum CallerTimer {
    /// The current attempt rings out.
    RingOut = 0,
    /// `ring_progressive` adds the next agent.
    Step = 1,
    /// The pause after an unanswered attempt (or a failed call back) ends.
    Retry = 2,
    /// `max_wait`.
    MaxWait = 3,
    /// The next position announcement.
    Announce = 4,
    /// The next periodic message.
    Periodic = 5,
    /// The next `escalation` step.
    Escalate = 6,
}

pub(crate) const CALLER_TIMERS: usize = 7;

/// What the caller is doing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum CallerState {
    /// Waiting for an agent: eligible for an offer.
    Waiting,
    /// Agents are being offered the call.
    Ringing {
        /// The agents still ringing.
        agents: Vec<AgentIdx>,
    },
    /// Resting after an unanswered attempt or a failed call back.
    Retry,
    /// The agent answered a callback offer; the caller is being called.
    CallingBack { agent: AgentIdx },
}

/// One caller.
#[derive(Debug, Clone)]
pub(crate) struct Caller {
    pub call: String,
    pub queue: usize,
    pub priority: i32,
    pub number: String,
    /// Keys that take this caller out, each to a step of its scenario.
    pub exit_keys: BTreeMap<char, String>,
    pub joined: DateTime<Utc>,
    pub seq: u64,
    /// The place when joining, for the wait estimate.
    pub position_at_join: usize,
    /// Whether the call is still up; false once a callback was asked for.
    pub live: bool,
    pub state: CallerState,
    /// The highest penalty the caller may be offered to now; `None` is every level.
    pub max_penalty: Option<u32>,
    /// The next `escalation` step to apply.
    pub escalation_step: usize,
    /// The next periodic message to play.
    pub periodic_next: usize,
    /// Call backs made so far.
    pub callbacks: u32,
    pub deadlines: [Option<DateTime<Utc>>; CALLER_TIMERS],
}

impl Caller {
    pub fn key(&self) -> LineKey {
        (Reverse(self.priority), self.seq)
    }

    /// Whether the caller may use an agent of this penalty now.
    pub fn reaches(&self, penalty: u32) -> bool {
        self.max_penalty.is_none_or(|max| penalty <= max)
    }
}
