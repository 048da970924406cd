//! The figures of a past interval, rebuilt from the records the engine emitted and the shell
//! logged ([`Action::QueueEvent`](crate::Action::QueueEvent) and
//! [`Action::AgentState`](crate::Action::AgentState)).
//!
//! The counting is the live engine's own ([`IntervalCounters::observe`], [`Occupancy`]), so a
//! report read back from the log for an interval agrees with the one the engine would have
//! taken live for it, whatever interval is asked for later (an hour, a shift, a day).

use std::collections::HashMap;
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};

use crate::action::{AgentOccupancy, QueueEvent};
use crate::config::{QueueConfig, DEFAULT_SERVICE_LEVEL_SECS};
use crate::stats::{IntervalCounters, IntervalReport, Occupancy, QueueInterval};

/// How an agent counted for occupancy from `at` on, as logged from
/// [`Action::AgentState`](crate::Action::AgentState).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentRecord {
    /// When the agent's standing changed.
    pub at: DateTime<Utc>,
    /// The agent.
    pub agent: String,
    /// The standing from then on.
    pub occupancy: AgentOccupancy,
}

/// A queue to report and its service-level threshold T.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportedQueue {
    /// The queue's name.
    pub name: String,
    /// Answered within this counts as within the service level.
    pub service_level: Duration,
}

impl ReportedQueue {
    /// The queue as configured, with its threshold.
    pub fn of(queue: &QueueConfig) -> ReportedQueue {
        ReportedQueue {
            name: queue.name.clone(),
            service_level: Duration::from_secs(u64::from(queue.service_level)),
        }
    }
}

/// The reports of `[from, to)` in intervals of `step` (at least a second; the last one
/// shorter when `step` does not divide the span), in one pass over the records.
///
/// - `queues`: the queues to report, in this order, even without a record; records of a queue
///   not listed (one removed from the configuration since) are reported after them, counted
///   with the default threshold.
/// - `events`: the queue records in time order; those outside `[from, to)` are left out.
/// - `agents`: each agent's last record before `from` (how it stood when the span began)
///   and the records after, in time order; records at or after `to` are left out.
pub fn replay(
    queues: &[ReportedQueue],
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    step: TimeDelta,
    events: &[QueueEvent],
    agents: &[AgentRecord],
) -> Vec<IntervalReport> {
    let step = step.max(TimeDelta::seconds(1));
    let mut events = events.iter().skip_while(|e| e.at < from).peekable();
    let mut agents = agents.iter().peekable();
    let mut standing = Standing::default();
    // How each agent stood when the span began: the counts, with the clock not started.
    while let Some(record) = agents.next_if(|r| r.at < from) {
        standing.change(None, record);
    }
    standing.occupancy.advance(from);
    let mut reports = Vec::new();
    let mut start = from;
    while start < to {
        let end = (start + step).min(to);
        let mut reported: Vec<(QueueInterval, Duration)> = queues
            .iter()
            .map(|queue| (interval(&queue.name), queue.service_level))
            .collect();
        while let Some(event) = events.next_if(|e| e.at < end) {
            observe(&mut reported, event);
        }
        while let Some(record) = agents.next_if(|r| r.at < end) {
            standing.change(Some(record.at), record);
        }
        reports.push(IntervalReport {
            from: Some(start),
            to: end,
            queues: reported.into_iter().map(|(queue, _)| queue).collect(),
            occupancy: standing.occupancy.take(end),
        });
        start = end;
    }
    reports
}

/// Counts `event` for its queue, a queue not reported yet added with the default threshold.
fn observe(reported: &mut Vec<(QueueInterval, Duration)>, event: &QueueEvent) {
    let index = match reported.iter().position(|(q, _)| q.queue == event.queue) {
        Some(index) => index,
        None => {
            let default = Duration::from_secs(u64::from(DEFAULT_SERVICE_LEVEL_SECS));
            reported.push((interval(&event.queue), default));
            reported.len() - 1
        }
    };
    let (queue, threshold) = &mut reported[index];
    queue.counters.observe(&event.kind, *threshold);
}

fn interval(queue: &str) -> QueueInterval {
    QueueInterval {
        queue: queue.to_owned(),
        counters: IntervalCounters::default(),
    }
}

/// Every agent's standing as the records tell it, and the occupancy they add up to.
#[derive(Default)]
struct Standing<'a> {
    agents: HashMap<&'a str, (bool, bool)>,
    occupancy: Occupancy,
}

impl<'a> Standing<'a> {
    /// `record` changes its agent's standing: at its time, or (`None`) before the clock runs.
    fn change(&mut self, at: Option<DateTime<Utc>>, record: &'a AgentRecord) {
        let after = (record.occupancy.staffed, record.occupancy.busy);
        let before = self
            .agents
            .insert(record.agent.as_str(), after)
            .unwrap_or_default();
        self.occupancy.change(at, before, after);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::action::{Outcome, QueueEventKind};

    fn t(secs: i64) -> DateTime<Utc> {
        DateTime::<Utc>::UNIX_EPOCH + TimeDelta::seconds(secs)
    }

    fn answered(at: i64, queue: &str, waited: u64) -> QueueEvent {
        QueueEvent {
            at: t(at),
            queue: queue.into(),
            call: format!("c{at}"),
            kind: QueueEventKind::Ended {
                outcome: Outcome::Connected {
                    agent: "101".into(),
                },
                waited: Duration::from_secs(waited),
            },
        }
    }

    fn standing(at: i64, staffed: bool, busy: bool) -> AgentRecord {
        AgentRecord {
            at: t(at),
            agent: "101".into(),
            occupancy: AgentOccupancy { staffed, busy },
        }
    }

    #[test]
    fn only_the_interval_counts_and_a_removed_queue_comes_last() {
        let queues = [ReportedQueue {
            name: "sales".into(),
            service_level: Duration::from_secs(10),
        }];
        let events = [
            answered(99, "sales", 1),
            answered(100, "sales", 5),
            answered(150, "sales", 30),
            answered(160, "old", 15),
            answered(200, "sales", 1),
        ];
        let report = &replay(
            &queues,
            t(100),
            t(200),
            TimeDelta::seconds(100),
            &events,
            &[],
        )[0];
        assert_eq!(report.from, Some(t(100)));
        let names: Vec<&str> = report.queues.iter().map(|q| q.queue.as_str()).collect();
        assert_eq!(names, ["sales", "old"]);
        let sales = &report.queues[0].counters;
        assert_eq!((sales.answered, sales.answered_in_threshold), (2, 1));
        let old = &report.queues[1].counters;
        assert_eq!(
            (old.answered, old.answered_in_threshold),
            (1, 1),
            "the default 20 s threshold"
        );
        assert_eq!(report.occupancy, None, "nobody staffed");
    }

    #[test]
    fn occupancy_starts_from_the_standing_before_the_interval() {
        let agents = [
            standing(0, true, false),
            standing(150, true, true),
            standing(250, false, false),
        ];
        let whole = |to: i64| {
            replay(
                &[],
                t(100),
                t(to),
                TimeDelta::seconds(to - 100),
                &[],
                &agents,
            )
        };
        assert_eq!(
            whole(200)[0].occupancy,
            Some(0.5),
            "busy 50 s of 100 s staffed"
        );
        assert_eq!(
            whole(300)[0].occupancy,
            Some(100.0 / 150.0),
            "staffed until 250"
        );
        let halves = replay(&[], t(100), t(300), TimeDelta::seconds(100), &[], &agents);
        let occupancy: Vec<Option<f64>> = halves.iter().map(|r| r.occupancy).collect();
        assert_eq!(
            occupancy,
            [Some(0.5), Some(1.0)],
            "busy 150..250 of staffed 200..250"
        );
    }
}
