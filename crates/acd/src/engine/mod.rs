//! The distributor: every queue, agent and caller, driven by events and `now`.
//!
//! One [`Acd`] holds all queues because queues share agents: which caller an agent gets
//! next is a decision across queues. [`Acd::handle`] first fires the timers due by `now`
//! (each at its own instant, so a late tick changes nothing), then applies the event, then
//! settles: offers every caller an agent may take. After settling, no eligible caller
//! reaches an available agent; every decision keeps that true, which is why a freed agent
//! only looks at the heads of its own queues and a new caller only at the first level of
//! its own queue.

mod agents;
mod callers;
mod configure;
mod dispatch;
mod invariants;
mod ringing;
mod timers;
mod views;

pub use agents::AUTO_PAUSE_REASON;

use std::collections::HashMap;
use std::time::Duration;

use chrono::{DateTime, Utc};
use rand_chacha::ChaCha8Rng;
use rand_core::SeedableRng;

pub use views::{CallerView, QueueFigures};

use crate::action::{Action, QueueEvent, QueueEventKind};
use crate::agent::{Agent, AgentIdx};
use crate::caller::Caller;
use crate::config::AcdConfig;
use crate::event::Event;
use crate::queue::Queue;
use crate::stats::Occupancy;
use crate::timers::Timers;
use crate::validate::{validate, ConfigErrors};

/// A call put through, until it ends.
#[derive(Debug, Clone)]
struct Connected {
    agent: AgentIdx,
    queue: usize,
    answered: DateTime<Utc>,
}

/// The automatic call distributor; pure: no clock, no I/O.
///
/// ```
/// use chrono::{DateTime, Utc};
/// use sb_acd::{Acd, AcdConfig, Action, Event, QueueConfig, MemberEntry};
///
/// let mut sales = QueueConfig::new("sales");
/// sales.members = vec![MemberEntry::Plain("101".into())];
/// let mut acd = Acd::new(AcdConfig { queues: vec![sales], ..Default::default() }).unwrap();
///
/// let now: DateTime<Utc> = "2026-11-23T07:00:00Z".parse().unwrap();
/// let actions = acd.handle(
///     Event::CallerJoined {
///         call: "c1".into(),
///         queue: "sales".into(),
///         priority: 0,
///         number: "+7900".into(),
///         exit_keys: Default::default(),
///     },
///     now,
/// );
/// assert!(actions.iter().any(|a| matches!(a, Action::RingAgents { agents, .. } if agents == &["101"])));
/// // The attempt rings out after the queue's ring_timeout (15 s by default).
/// assert_eq!(acd.next_deadline(), Some(now + chrono::TimeDelta::seconds(15)));
/// ```
#[derive(Debug, Clone)]
pub struct Acd {
    /// Every queue ever configured. Callers, memberships, calls put through and timers name
    /// a queue by its index here, so a queue is never removed: one taken out of the
    /// configuration is retired in its place.
    queues: Vec<Queue>,
    /// The queues of the configuration in force, by name; retired queues are not here.
    queue_index: HashMap<String, usize>,
    agents: Vec<Agent>,
    agent_index: HashMap<String, AgentIdx>,
    /// `[[agent]] wrapup`, for the agents created later too.
    wrapup_overrides: HashMap<String, u32>,
    callers: HashMap<u64, Caller>,
    by_call: HashMap<String, u64>,
    connected: HashMap<String, Connected>,
    timers: Timers,
    rng: ChaCha8Rng,
    next_seq: u64,
    pending_agents: Vec<AgentIdx>,
    pending_callers: Vec<u64>,
    /// Retired queues whose line just emptied: their members leave them when settling.
    closing: Vec<usize>,
    occupancy: Occupancy,
    interval_start: Option<DateTime<Utc>>,
}

impl Acd {
    /// A distributor with the static members logged in, reachable and available. A
    /// configuration can be replaced later without losing a caller: [`Acd::reconfigure`].
    pub fn new(config: AcdConfig) -> Result<Acd, ConfigErrors> {
        validate(&config)?;
        let mut acd = Acd {
            queues: Vec::new(),
            queue_index: HashMap::new(),
            agents: Vec::new(),
            agent_index: HashMap::new(),
            wrapup_overrides: HashMap::new(),
            callers: HashMap::new(),
            by_call: HashMap::new(),
            connected: HashMap::new(),
            timers: Timers::default(),
            rng: ChaCha8Rng::seed_from_u64(config.seed),
            next_seq: 0,
            pending_agents: Vec::new(),
            pending_callers: Vec::new(),
            closing: Vec::new(),
            occupancy: Occupancy::default(),
            interval_start: None,
        };
        acd.set_agent_settings(&config.agents);
        for queue in config.queues {
            acd.add_queue(queue);
        }
        let mut ignored = Vec::new();
        for idx in 0..acd.agents.len() as AgentIdx {
            acd.refresh_agent(idx, None, &mut ignored);
        }
        acd.pending_agents.clear();
        Ok(acd)
    }

    /// Applies one event at `now` and returns what the shell must do, in order.
    pub fn handle(&mut self, event: Event, now: DateTime<Utc>) -> Vec<Action> {
        let mut out = Vec::new();
        self.interval_start.get_or_insert(now);
        self.fire_due(now, &mut out);
        self.apply(event, now, &mut out);
        self.settle(now, &mut out);
        out
    }

    /// When the next timer is due: call [`Acd::handle`] with [`Event::Tick`] then.
    pub fn next_deadline(&self) -> Option<DateTime<Utc>> {
        self.timers.next()
    }

    fn apply(&mut self, event: Event, now: DateTime<Utc>, out: &mut Vec<Action>) {
        match event {
            Event::CallerJoined {
                call,
                queue,
                priority,
                number,
                exit_keys,
            } => {
                let joining = callers::Joining {
                    call,
                    queue,
                    priority,
                    number,
                    exit_keys,
                };
                self.join(joining, now, out)
            }
            Event::CallerLeft { call } => self.caller_left(&call, now, out),
            Event::CallerPressedKey { call, digit } => self.key(&call, digit, now, out),
            Event::AgentAnswered { call, agent } => self.answered(&call, &agent, now, out),
            Event::AgentNoAnswer { call, agent } => {
                self.ring_failed(&call, &agent, crate::RingFailure::NoAnswer, now, out)
            }
            Event::AgentBusy { call, agent } => {
                self.ring_failed(&call, &agent, crate::RingFailure::Busy, now, out)
            }
            Event::AgentRejected { call, agent } => {
                self.ring_failed(&call, &agent, crate::RingFailure::Rejected, now, out)
            }
            Event::CallEnded { call } => self.call_ended(&call, now, out),
            Event::AgentLogin {
                agent,
                queue,
                penalty,
                weight,
            } => self.login(&agent, &queue, penalty, weight, now, out),
            Event::AgentLogout { agent, queue } => self.logout(&agent, queue.as_deref(), now, out),
            Event::AgentPause { agent, reason } => self.pause(&agent, Some(reason), now, out),
            Event::AgentUnpause { agent } => self.pause(&agent, None, now, out),
            Event::AgentReachable { agent } => self.reachable(&agent, true, now, out),
            Event::AgentUnreachable { agent } => self.reachable(&agent, false, now, out),
            Event::AgentInUse { agent, in_use } => self.in_use(&agent, in_use, now, out),
            Event::CallbackAnswered { call } => self.callback_answered(&call, now, out),
            Event::CallbackFailed { call } => self.callback_failed(&call, now, out),
            Event::Tick => {}
        }
    }

    /// Emits a queue record and counts it.
    fn record(
        &mut self,
        queue: usize,
        call: &str,
        kind: QueueEventKind,
        now: DateTime<Utc>,
        out: &mut Vec<Action>,
    ) {
        let q = &mut self.queues[queue];
        let threshold = Duration::from_secs(u64::from(q.config.service_level));
        q.interval.observe(&kind, threshold);
        out.push(Action::QueueEvent(QueueEvent {
            at: now,
            queue: q.config.name.clone(),
            call: call.to_owned(),
            kind,
        }));
    }

    fn agent_idx_or_create(&mut self, id: &str) -> AgentIdx {
        if let Some(&idx) = self.agent_index.get(id) {
            return idx;
        }
        let idx = self.agents.len() as AgentIdx;
        let wrapup = self.wrapup_overrides.get(id).copied();
        self.agents.push(Agent::new(id.to_owned(), wrapup));
        self.agent_index.insert(id.to_owned(), idx);
        idx
    }
}

/// Whole seconds from `from` to `to`, never negative.
pub(crate) fn elapsed(from: DateTime<Utc>, to: DateTime<Utc>) -> Duration {
    (to - from).to_std().unwrap_or_default()
}

/// `now` plus whole seconds.
pub(crate) fn after(now: DateTime<Utc>, secs: u32) -> DateTime<Utc> {
    now + chrono::TimeDelta::seconds(i64::from(secs))
}
