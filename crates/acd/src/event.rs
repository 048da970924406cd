//! What the shell tells the distributor: callers, agents' phones, feature codes, the API.
//!
//! Calls and agents are named by the shell's own strings (a call id, an extension
//! number). An event about a call or an agent the engine no longer knows is ignored: a
//! late "no answer" racing a hang-up is normal life in a PBX, not an error. Requests that
//! a person makes (log in, pause) and that cannot be done answer with
//! [`Action::Refused`](crate::Action::Refused), so the API can say why.

use std::collections::BTreeMap;

/// One input to [`Acd::handle`](crate::Acd::handle).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// A call enters a queue.
    CallerJoined {
        /// The call's id.
        call: String,
        /// The queue's name.
        queue: String,
        /// Higher goes first: a caller of priority 10 is ahead of every caller of 0.
        priority: i32,
        /// The caller's number, for the agent's screen and for a callback; empty when the
        /// caller's number is unknown, and then the callback key does nothing.
        number: String,
        /// Keys that take this caller out of the queue, each to a step of the caller's
        /// scenario ([`LeaveReason::ExitKey`](crate::LeaveReason::ExitKey)). They come with
        /// the caller, not the queue, because one queue serves several scenarios. A key
        /// that is also the queue's `callback_key` leaves the queue: the configuration
        /// refuses that pairing, and the scenario's own choice is the nearer one.
        exit_keys: BTreeMap<char, String>,
    },
    /// The caller hung up while waiting (or ringing agents): abandoned.
    CallerLeft {
        /// The call.
        call: String,
    },
    /// The caller pressed a key while waiting.
    CallerPressedKey {
        /// The call.
        call: String,
        /// The key.
        digit: char,
    },
    /// An agent rung for `call` answered.
    AgentAnswered {
        /// The call.
        call: String,
        /// The agent.
        agent: String,
    },
    /// An agent rung for `call` did not answer (its phone gave up first).
    AgentNoAnswer {
        /// The call.
        call: String,
        /// The agent.
        agent: String,
    },
    /// An agent rung for `call` was busy on a call the distributor does not know of.
    AgentBusy {
        /// The call.
        call: String,
        /// The agent.
        agent: String,
    },
    /// An agent rung for `call` declined it.
    AgentRejected {
        /// The call.
        call: String,
        /// The agent.
        agent: String,
    },
    /// A connected call ended (either side hung up); its agent goes to wrap-up.
    CallEnded {
        /// The call.
        call: String,
    },
    /// An agent logs in to a queue (feature code *45, the API).
    AgentLogin {
        /// The agent.
        agent: String,
        /// The queue.
        queue: String,
        /// The agent's penalty in that queue.
        penalty: u32,
        /// The agent's share of that queue's calls under `weighted_random` (1 when not
        /// configured).
        weight: u32,
    },
    /// An agent logs out of one queue, or of every queue when `queue` is `None` (*46).
    AgentLogout {
        /// The agent.
        agent: String,
        /// The queue, or all.
        queue: Option<String>,
    },
    /// An agent pauses: no offers until unpaused.
    AgentPause {
        /// The agent.
        agent: String,
        /// Why (lunch, training), shown on the wallboard.
        reason: String,
    },
    /// An agent unpauses.
    AgentUnpause {
        /// The agent.
        agent: String,
    },
    /// An agent's phone registered.
    AgentReachable {
        /// The agent.
        agent: String,
    },
    /// An agent's phone is no longer registered.
    AgentUnreachable {
        /// The agent.
        agent: String,
    },
    /// An agent's phone is on a call the distributor does not know of (a direct call),
    /// or no longer: with `ringinuse` off such an agent is not offered queue calls.
    AgentInUse {
        /// The agent.
        agent: String,
        /// Whether the phone is on such a call now.
        in_use: bool,
    },
    /// A call back started by [`Action::StartCallback`](crate::Action::StartCallback)
    /// reached the caller: agent and caller are talking.
    CallbackAnswered {
        /// The call (the id of the original call).
        call: String,
    },
    /// A call back did not reach the caller.
    CallbackFailed {
        /// The call.
        call: String,
    },
    /// Nothing happened but time went by: timers due by `now` fire (every event fires
    /// them first, so a late tick is harmless).
    Tick,
}
