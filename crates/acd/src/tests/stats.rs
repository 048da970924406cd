//! Interval statistics from the queue records, and occupancy.

use std::time::Duration;

use super::*;

#[test]
fn interval_figures_follow_their_definitions() {
    let mut q = queue("q", Strategy::RingAll, &["101", "102"]);
    q.service_level = 20;
    q.wrapup = 10;
    q.max_len = Some(5);
    let mut sim = Sim::new(vec![q]);
    // c1 answered after 10 s (in threshold), talks 60 s.
    sim.join(0, "c1", "q");
    sim.answer(10, "c1", "101");
    sim.end(70, "c1");
    // c2 answered after 30 s (late), talks 30 s.
    sim.join(100, "c2", "q");
    sim.at(
        101,
        Event::AgentNoAnswer {
            call: "c2".into(),
            agent: "101".into(),
        },
    );
    sim.at(
        101,
        Event::AgentNoAnswer {
            call: "c2".into(),
            agent: "102".into(),
        },
    );
    sim.tick(106);
    sim.answer(130, "c2", "102");
    sim.end(160, "c2");
    // c3 hangs up after 5 s (a short abandon), c4 after 40 s.
    sim.at(
        200,
        Event::AgentPause {
            agent: "101".into(),
            reason: "x".into(),
        },
    );
    sim.at(
        200,
        Event::AgentPause {
            agent: "102".into(),
            reason: "x".into(),
        },
    );
    sim.join(200, "c3", "q");
    sim.hang_up(205, "c3");
    sim.join(210, "c4", "q");
    // With c4, five wait; a sixth is turned away.
    for i in 0..4 {
        sim.join(211, &format!("w{i}"), "q");
    }
    sim.join(212, "full", "q");
    sim.hang_up(250, "c4");

    let report = sim.acd.take_interval(t(300));
    assert_eq!(report.from, Some(t(0)));
    assert_eq!(report.to, t(300));
    let counters = report.queues[0].counters;
    assert_eq!(
        counters,
        IntervalCounters {
            offered: 8,
            refused: 1,
            answered: 2,
            answered_in_threshold: 1,
            abandoned: 2,
            abandoned_in_threshold: 1,
            left: 0,
            answered_wait: Duration::from_secs(40),
            completed: 2,
            talk: Duration::from_secs(90),
            wrapup: Duration::from_secs(20),
        }
    );
    assert_eq!(counters.service_level(), Some(0.5));
    // 1 in threshold over 2 answered + 1 late abandon.
    assert_eq!(counters.service_level_abandon_aware(), Some(1.0 / 3.0));
    assert_eq!(counters.asa(), Some(Duration::from_secs(20)));
    assert_eq!(counters.aht(), Some(Duration::from_secs(55)));
    assert_eq!(counters.abandonment_rate(), Some(0.25));
    // The next interval starts empty.
    let next = sim.acd.take_interval(t(400));
    assert_eq!(next.from, Some(t(300)));
    assert_eq!(next.queues[0].counters, IntervalCounters::default());
    assert_eq!(IntervalCounters::default().service_level(), None);
}

#[test]
fn occupancy_is_busy_time_over_staffed_time() {
    let mut q = queue("q", Strategy::RingAll, &["101", "102"]);
    q.wrapup = 10;
    let mut sim = Sim::new(vec![q]);
    sim.tick(0);
    // 101 talks 0..40 and wraps up 40..50; 102 stays idle; both staffed for 100 s.
    sim.join(0, "c1", "q");
    sim.answer(0, "c1", "101");
    sim.end(40, "c1");
    sim.tick(100);
    let report = sim.acd.take_interval(t(100));
    assert_eq!(report.occupancy, Some(50.0 / 200.0));
    // 102 paused for the whole next interval: staffed 100 s (101 only), busy 0.
    sim.at(
        100,
        Event::AgentPause {
            agent: "102".into(),
            reason: "x".into(),
        },
    );
    let report = sim.acd.take_interval(t(200));
    assert_eq!(report.occupancy, Some(0.0));
}

#[test]
fn every_record_names_its_queue_call_and_instant() {
    let mut sim = Sim::new(vec![queue("q", Strategy::RingAll, &["101"])]);
    sim.join(0, "c1", "q");
    sim.answer(3, "c1", "101");
    sim.end(9, "c1");
    let records: Vec<(DateTime<Utc>, QueueEventKind)> = sim
        .log
        .iter()
        .filter_map(|a| match a {
            Action::QueueEvent(e) => {
                assert_eq!((e.queue.as_str(), e.call.as_str()), ("q", "c1"));
                Some((e.at, e.kind.clone()))
            }
            _ => None,
        })
        .collect();
    assert_eq!(
        records,
        [
            (
                t(0),
                QueueEventKind::Joined {
                    priority: 0,
                    position: 1
                }
            ),
            (
                t(0),
                QueueEventKind::Offered {
                    agent: "101".into()
                }
            ),
            (
                t(3),
                QueueEventKind::Ended {
                    outcome: connected("101"),
                    waited: Duration::from_secs(3)
                }
            ),
            (
                t(9),
                QueueEventKind::Completed {
                    agent: "101".into(),
                    talk: Duration::from_secs(6),
                    wrapup: Duration::ZERO
                }
            ),
        ]
    );
}
