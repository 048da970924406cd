//! The figures of a past interval, rebuilt from the records the engine emitted and the shell
//! logged ([`Action::QueueEvent`](crate::Action::QueueEvent) and
//! [`Action::AgentState`](crate::Action::AgentState)).
//!
//! The counting is the live engine's own ([`IntervalCounters::observe`], [`Occupancy`]), so a
//! report read back from the log for an interval agrees with the one the engine would have
//! taken live for it, whatever interval is asked for later (an hour, a shift, a day).

use std::collections::HashMap;
use std::time::Duration;

use chrono::{DateTime, Utc};

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

/// The report of `[from, to)`.
///
/// - `queues`: the queues to report, in this order, even without a record; records of a queue
///   not listed (one removed from the configuration since) are reported after them, counted
///   with the default threshold.
/// - `events`: the queue records; those outside `[from, to)` are left out.
/// - `agents`: each agent's last record before `from` (how it stood when the interval began)
///   and the records after, in time order; records at or after `to` are left out.
pub fn replay(
    queues: &[ReportedQueue],
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    events: &[QueueEvent],
    agents: &[AgentRecord],
) -> IntervalReport {
    let mut reported: Vec<(QueueInterval, Duration)> = queues
        .iter()
        .map(|queue| (interval(&queue.name), queue.service_level))
        .collect();
    for event in events.iter().filter(|e| e.at >= from && e.at < to) {
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
    IntervalReport {
        from: Some(from),
        to,
        queues: reported.into_iter().map(|(queue, _)| queue).collect(),
        occupancy: occupancy(from, to, agents),
    }
}

fn interval(queue: &str) -> QueueInterval {
    QueueInterval {
        queue: queue.to_owned(),
        counters: IntervalCounters::default(),
    }
}

/// Busy over staffed agent time in `[from, to)`: the standings before `from` set the counts
/// with the clock not started, the changes inside advance it.
fn occupancy(from: DateTime<Utc>, to: DateTime<Utc>, agents: &[AgentRecord]) -> Option<f64> {
    let mut standing: HashMap<&str, (bool, bool)> = HashMap::new();
    let mut occupancy = Occupancy::default();
    let mut started = false;
    for record in agents.iter().filter(|r| r.at < to) {
        let now = if record.at < from {
            None
        } else {
            if !started {
                occupancy.advance(from);
                started = true;
            }
            Some(record.at)
        };
        let after = (record.occupancy.staffed, record.occupancy.busy);
        let before = standing
            .insert(record.agent.as_str(), after)
            .unwrap_or_default();
        occupancy.change(now, before, after);
    }
    if !started {
        occupancy.advance(from);
    }
    occupancy.take(to)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::action::{Outcome, QueueEventKind};
    use chrono::TimeDelta;

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
        let report = replay(&queues, t(100), t(200), &events, &[]);
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
        let report = replay(&[], t(100), t(200), &[], &agents);
        assert_eq!(report.occupancy, Some(0.5), "busy 50 s of 100 s staffed");
        let report = replay(&[], t(100), t(300), &[], &agents);
        assert_eq!(report.occupancy, Some(100.0 / 150.0), "staffed until 250");
    }
}
