//! One agent as the engine keeps it: memberships, presence, and what the agent is doing.
//!
//! The state shown to people ([`AgentState`]) is derived, never stored on its own: it
//! follows from presence (logged in, reachable, paused) and activity (ringing, calls,
//! wrap-up), so the two cannot disagree. Whether the agent may be offered a call of a
//! queue is derived the same way ([`Agent::offerable`]) and mirrored in the queue's index
//! of available agents by the engine after every change.

use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::action::AgentState;

/// An index into the engine's agents; agents are never removed, so it stays valid.
pub(crate) type AgentIdx = u32;

/// How far a membership is from taking calls, for the `join_empty` and
/// `leave_when_empty` rules (each rule asks "is any member at least this ready?").
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Readiness {
    /// Logged in, phone not registered.
    Unreachable = 0,
    /// Registered but paused.
    Paused = 1,
    /// Registered and unpaused (possibly busy).
    Ready = 2,
}

/// The agent's place in one queue.
#[derive(Debug, Clone)]
pub(crate) struct Membership {
    /// The queue, an index into the engine's queues.
    pub queue: usize,
    pub penalty: u32,
    /// The share under `weighted_random`.
    pub weight: u32,
    /// Member order: static members in file order, then logins in turn.
    pub order: u64,
    /// Static members cannot log out.
    pub is_static: bool,
    /// Calls of this queue completed, for `fewest_calls`.
    pub calls: u32,
    /// Talk time in this queue, for `least_talk_time`.
    pub talk: Duration,
    /// Whether the agent is in the queue's index of available agents now.
    pub indexed: bool,
    /// The readiness counted in the queue's counters now; none before the first count.
    pub counted: Option<Readiness>,
}

/// One agent.
#[derive(Debug, Clone)]
pub(crate) struct Agent {
    pub id: String,
    /// Logged-in memberships only.
    pub memberships: Vec<Membership>,
    /// Registered; assumed until the shell says otherwise, as a phone with an unknown
    /// state is assumed to ring.
    pub reachable: bool,
    pub paused: Option<String>,
    /// The caller (sequence number) being offered to the agent.
    pub ringing: Option<u64>,
    /// Queue calls the agent is on (more than one only with `ringinuse`).
    pub calls: u32,
    /// On a call outside the queues, as the shell reports with
    /// [`Event::AgentInUse`](crate::Event::AgentInUse).
    pub in_use_elsewhere: bool,
    /// Until when the agent rests after the last call.
    pub wrapup_until: Option<DateTime<Utc>>,
    /// When the agent's last queue call ended, for `longest_idle`.
    pub last_call_end: Option<DateTime<Utc>>,
    /// Offers left unanswered in a row, for `autopause`.
    pub unanswered: u32,
    /// `[[agent]] wrapup`.
    pub wrapup_override: Option<u32>,
    /// The state last announced with [`Action::AgentState`](crate::Action::AgentState).
    pub shown: AgentState,
    /// (staffed, busy) as last counted for occupancy.
    pub occupancy: (bool, bool),
}

impl Agent {
    pub fn new(id: String, wrapup_override: Option<u32>) -> Self {
        Agent {
            id,
            memberships: Vec::new(),
            reachable: true,
            paused: None,
            ringing: None,
            calls: 0,
            in_use_elsewhere: false,
            wrapup_until: None,
            last_call_end: None,
            unanswered: 0,
            wrapup_override,
            shown: AgentState::LoggedOut,
            occupancy: (false, false),
        }
    }

    pub fn membership(&self, queue: usize) -> Option<&Membership> {
        self.memberships.iter().find(|m| m.queue == queue)
    }

    pub fn membership_mut(&mut self, queue: usize) -> Option<&mut Membership> {
        self.memberships.iter_mut().find(|m| m.queue == queue)
    }

    /// The state to show.
    pub fn state(&self) -> AgentState {
        if self.ringing.is_some() {
            AgentState::Ringing
        } else if self.calls > 0 || (self.in_use_elsewhere && !self.memberships.is_empty()) {
            AgentState::OnCall
        } else if self.memberships.is_empty() {
            AgentState::LoggedOut
        } else if !self.reachable {
            AgentState::Unreachable
        } else if self.wrapup_until.is_some() {
            AgentState::WrapUp
        } else if let Some(reason) = &self.paused {
            AgentState::Paused(reason.clone())
        } else {
            AgentState::Available
        }
    }

    pub fn readiness(&self) -> Readiness {
        if !self.reachable {
            Readiness::Unreachable
        } else if self.paused.is_some() {
            Readiness::Paused
        } else {
            Readiness::Ready
        }
    }

    /// Whether a call of a queue with this `ringinuse` may be offered now. Never while
    /// ringing: one offer at a time is what makes "who has this call" unambiguous.
    pub fn offerable(&self, ringinuse: bool) -> bool {
        self.reachable
            && self.paused.is_none()
            && self.ringing.is_none()
            && self.wrapup_until.is_none()
            && ((self.calls == 0 && !self.in_use_elsewhere) || ringinuse)
    }

    /// Whether the agent counts as busy for occupancy: talking or wrapping up on queue
    /// calls (a direct call is not queue work).
    pub fn is_busy(&self) -> bool {
        self.calls > 0 || self.wrapup_until.is_some()
    }

    /// Whether the agent counts as staffed for occupancy: logged in, reachable and
    /// unpaused, or busy with a call whatever else.
    pub fn is_staffed(&self) -> bool {
        self.is_busy() || (!self.memberships.is_empty() && self.reachable && self.paused.is_none())
    }
}
