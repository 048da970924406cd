//! The engine with fixed instants: seconds after 2026-11-23 10:00 Moscow (07:00 UTC).

mod agents;
mod callback;
mod callers;
mod config;
mod fairness;
mod penalties;
mod reconfigure;
mod stats;
mod strategies;

use chrono::{DateTime, TimeDelta, Utc};

use crate::*;

/// `secs` seconds after the start of the test day.
pub(super) fn t(secs: i64) -> DateTime<Utc> {
    "2026-11-23T07:00:00Z".parse::<DateTime<Utc>>().unwrap() + TimeDelta::seconds(secs)
}

/// A queue with these static members (penalty 0) and strategy.
pub(super) fn queue(name: &str, strategy: Strategy, members: &[&str]) -> QueueConfig {
    let mut config = QueueConfig::new(name);
    config.strategy = strategy;
    config.members = members
        .iter()
        .map(|m| MemberEntry::Plain((*m).to_owned()))
        .collect();
    config
}

/// A member with a penalty.
pub(super) fn member(agent: &str, penalty: u32) -> MemberEntry {
    MemberEntry::Detailed(MemberConfig {
        agent: agent.to_owned(),
        penalty,
        weight: 1,
    })
}

/// The engine and every action it returned, in order.
pub(super) struct Sim {
    pub acd: Acd,
    pub log: Vec<Action>,
}

impl Sim {
    pub fn new(queues: Vec<QueueConfig>) -> Sim {
        Sim::with(AcdConfig {
            queues,
            ..AcdConfig::default()
        })
    }

    pub fn with(config: AcdConfig) -> Sim {
        Sim {
            acd: Acd::new(config).unwrap(),
            log: Vec::new(),
        }
    }

    pub fn at(&mut self, secs: i64, event: Event) -> Vec<Action> {
        let actions = self.acd.handle(event, t(secs));
        self.log.extend(actions.iter().cloned());
        actions
    }

    pub fn join(&mut self, secs: i64, call: &str, queue: &str) -> Vec<Action> {
        self.join_with(secs, call, queue, 0)
    }

    pub fn join_with(&mut self, secs: i64, call: &str, queue: &str, priority: i32) -> Vec<Action> {
        let event = Event::CallerJoined {
            call: call.to_owned(),
            queue: queue.to_owned(),
            priority,
            number: format!("+7900{call}"),
            exit_keys: Default::default(),
        };
        self.at(secs, event)
    }

    pub fn answer(&mut self, secs: i64, call: &str, agent: &str) -> Vec<Action> {
        let event = Event::AgentAnswered {
            call: call.to_owned(),
            agent: agent.to_owned(),
        };
        self.at(secs, event)
    }

    pub fn end(&mut self, secs: i64, call: &str) -> Vec<Action> {
        self.at(
            secs,
            Event::CallEnded {
                call: call.to_owned(),
            },
        )
    }

    pub fn hang_up(&mut self, secs: i64, call: &str) -> Vec<Action> {
        self.at(
            secs,
            Event::CallerLeft {
                call: call.to_owned(),
            },
        )
    }

    pub fn tick(&mut self, secs: i64) -> Vec<Action> {
        self.at(secs, Event::Tick)
    }

    /// Joins, answers by whoever rang first and ends the call at once: one completed call.
    pub fn serve(&mut self, secs: i64, call: &str, queue: &str) -> String {
        let actions = self.join(secs, call, queue);
        let agent = rung(&actions, call)[0].clone();
        self.answer(secs, call, &agent);
        self.end(secs, call);
        agent
    }

    pub fn state(&self, agent: &str) -> AgentState {
        self.acd.agent_state(agent).unwrap()
    }
}

/// The agents rung for `call`, in order.
pub(super) fn rung(actions: &[Action], call: &str) -> Vec<String> {
    actions
        .iter()
        .filter_map(|a| match a {
            Action::RingAgents {
                call: c, agents, ..
            } if c == call => Some(agents.clone()),
            _ => None,
        })
        .flatten()
        .collect()
}

/// Every ring: (call, agents).
pub(super) fn rings(actions: &[Action]) -> Vec<(String, Vec<String>)> {
    actions
        .iter()
        .filter_map(|a| match a {
            Action::RingAgents { call, agents, .. } => Some((call.clone(), agents.clone())),
            _ => None,
        })
        .collect()
}

/// The agents whose ringing for `call` was cancelled.
pub(super) fn cancelled(actions: &[Action], call: &str) -> Vec<String> {
    actions
        .iter()
        .filter_map(|a| match a {
            Action::CancelRinging { call: c, agents } if c == call => Some(agents.clone()),
            _ => None,
        })
        .flatten()
        .collect()
}

/// Every final outcome: (call, outcome).
pub(super) fn outcomes(actions: &[Action]) -> Vec<(String, Outcome)> {
    actions
        .iter()
        .filter_map(|a| match a {
            Action::QueueEvent(QueueEvent {
                call,
                kind: QueueEventKind::Ended { outcome, .. },
                ..
            }) => Some((call.clone(), outcome.clone())),
            _ => None,
        })
        .collect()
}

/// Every `Leave`: (call, reason).
pub(super) fn leaves(actions: &[Action]) -> Vec<(String, LeaveReason)> {
    actions
        .iter()
        .filter_map(|a| match a {
            Action::Leave { call, reason } => Some((call.clone(), reason.clone())),
            _ => None,
        })
        .collect()
}

/// Every agent state change: (agent, state).
pub(super) fn states(actions: &[Action]) -> Vec<(String, AgentState)> {
    actions
        .iter()
        .filter_map(|a| match a {
            Action::AgentState { agent, state, .. } => Some((agent.clone(), state.clone())),
            _ => None,
        })
        .collect()
}

pub(super) fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| (*s).to_owned()).collect()
}

pub(super) fn connected(agent: &str) -> Outcome {
    Outcome::Connected {
        agent: agent.to_owned(),
    }
}
