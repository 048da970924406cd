//! Read-only views for the wallboard and the API: live figures, positions, the interval
//! report. None of them changes a decision, so they may be asked at any time.

use std::time::Duration;

use chrono::{DateTime, Utc};

use super::{elapsed, Acd};
use crate::action::{AgentOccupancy, AgentState};
use crate::caller::CallerState;
use crate::stats::{IntervalCounters, IntervalReport, QueueInterval};

/// A queue's figures now.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct QueueFigures {
    /// Callers in the line, callbacks included.
    pub waiting: usize,
    /// Of `waiting`, callers who asked for a callback.
    pub callbacks: usize,
    /// The longest wait so far of a caller in the line.
    pub longest_wait: Duration,
    /// Members logged in.
    pub logged_in: usize,
    /// Members who may be offered a call of this queue now.
    pub available: usize,
    /// Members ringing, talking or wrapping up.
    pub busy: usize,
    /// Members paused.
    pub paused: usize,
    /// Members whose phones are not registered.
    pub unreachable: usize,
}

/// A caller as the API shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallerView {
    /// The queue.
    pub queue: String,
    /// The place in the line, from 1.
    pub position: usize,
    /// The wait so far.
    pub waited: Duration,
    /// Whether agents are ringing for the caller now.
    pub ringing: bool,
    /// Whether the caller asked for a callback.
    pub callback: bool,
}

impl Acd {
    /// The figures of queue `name` at `now`; `None` for an unknown queue, or one taken out
    /// of the configuration.
    pub fn queue_figures(&self, name: &str, now: DateTime<Utc>) -> Option<QueueFigures> {
        let queue = &self.queues[*self.queue_index.get(name)?];
        let mut figures = QueueFigures {
            waiting: queue.line.len(),
            longest_wait: queue
                .by_join
                .first()
                .map_or(Duration::ZERO, |seq| elapsed(self.callers[seq].joined, now)),
            logged_in: queue.members.len(),
            available: queue.levels.values().map(|level| level.len()).sum(),
            ..QueueFigures::default()
        };
        figures.callbacks = queue
            .line
            .iter()
            .filter(|(_, seq)| !self.callers[seq].live)
            .count();
        for &idx in &queue.members {
            match self.agents[idx as usize].state() {
                AgentState::Ringing | AgentState::OnCall | AgentState::WrapUp => figures.busy += 1,
                AgentState::Paused(_) => figures.paused += 1,
                AgentState::Unreachable => figures.unreachable += 1,
                AgentState::Available | AgentState::LoggedOut => {}
            }
        }
        Some(figures)
    }

    /// An agent's state; `None` for an agent the engine never heard of.
    pub fn agent_state(&self, agent: &str) -> Option<AgentState> {
        let idx = *self.agent_index.get(agent)?;
        Some(self.agents[idx as usize].state())
    }

    /// Every agent the engine knows with its state, in the order they became known.
    pub fn agent_states(&self) -> impl Iterator<Item = (&str, AgentState)> {
        self.agents.iter().map(|a| (a.id.as_str(), a.state()))
    }

    /// Every agent with its state and how it counts for occupancy now (as last announced):
    /// where a log of [`Action::AgentState`](crate::Action::AgentState) starts, since the
    /// engine announces changes only and none for the members it is built with.
    pub fn agent_standings(&self) -> impl Iterator<Item = (&str, AgentState, AgentOccupancy)> {
        self.agents.iter().map(|a| {
            let (staffed, busy) = a.occupancy;
            (a.id.as_str(), a.state(), AgentOccupancy { staffed, busy })
        })
    }

    /// A caller still in a queue (callbacks included).
    pub fn caller(&self, call: &str, now: DateTime<Utc>) -> Option<CallerView> {
        let caller = &self.callers[self.by_call.get(call)?];
        let queue = &self.queues[caller.queue];
        Some(CallerView {
            queue: queue.config.name.clone(),
            position: queue.position(&caller.key()),
            waited: elapsed(caller.joined, now),
            ringing: matches!(caller.state, CallerState::Ringing { .. }),
            callback: !caller.live,
        })
    }

    /// The callers of queue `name` in line order (callbacks included), for the wallboard.
    pub fn queue_callers(
        &self,
        name: &str,
        now: DateTime<Utc>,
    ) -> Option<Vec<(String, CallerView)>> {
        let queue = &self.queues[*self.queue_index.get(name)?];
        let views = queue
            .line
            .iter()
            .enumerate()
            .map(|(i, (_, seq))| {
                let caller = &self.callers[seq];
                let view = CallerView {
                    queue: name.to_owned(),
                    position: i + 1,
                    waited: elapsed(caller.joined, now),
                    ringing: matches!(caller.state, CallerState::Ringing { .. }),
                    callback: !caller.live,
                };
                (caller.call.clone(), view)
            })
            .collect();
        Some(views)
    }

    /// The estimated wait of a caller at `position` in queue `name`, from recent waits.
    pub fn estimated_wait(&self, name: &str, position: usize) -> Option<Duration> {
        let queue = &self.queues[*self.queue_index.get(name)?];
        queue.estimator.estimate(position)
    }

    /// Callers waiting in all queues.
    pub fn waiting_callers(&self) -> usize {
        self.callers.len()
    }

    /// Pending timers, for tests and the benchmark.
    pub fn pending_timers(&self) -> usize {
        self.timers.len()
    }

    /// The counters since the last report (or the first event), and a fresh interval.
    /// Handle [`Event::Tick`](crate::Event::Tick) at `now` first, so that timers due by
    /// then (a wrap-up ending) are counted where they belong. Queues come in the order
    /// they were first configured; a queue taken out of the configuration
    /// ([`Acd::reconfigure`]) only when something happened in it.
    pub fn take_interval(&mut self, now: DateTime<Utc>) -> IntervalReport {
        let from = self.interval_start.replace(now);
        let queues = self
            .queues
            .iter_mut()
            .filter(|queue| !queue.retired || queue.interval != IntervalCounters::default())
            .map(|queue| QueueInterval {
                queue: queue.config.name.clone(),
                counters: std::mem::take(&mut queue.interval),
            })
            .collect();
        IntervalReport {
            from,
            to: now,
            queues,
            occupancy: self.occupancy.take(now),
        }
    }
}
