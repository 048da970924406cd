//! Callers: the order of the line, announcements, and every way of leaving.

use std::time::Duration;

use super::*;

/// One agent, kept busy by call "busy" so callers wait.
fn busy_queue(config: QueueConfig) -> Sim {
    let mut sim = Sim::new(vec![config]);
    sim.join(0, "busy", "q");
    sim.answer(0, "busy", "101");
    sim
}

fn one_agent() -> QueueConfig {
    queue("q", Strategy::RingAll, &["101"])
}

#[test]
fn callers_are_served_in_order_of_joining() {
    let mut sim = busy_queue(one_agent());
    for (i, call) in ["c1", "c2", "c3"].iter().enumerate() {
        sim.join(1 + i as i64, call, "q");
    }
    let mut served = Vec::new();
    let mut current = "busy".to_owned();
    for i in 0..3 {
        let actions = sim.end(10 + i, &current);
        let (call, _) = rings(&actions).remove(0);
        sim.answer(10 + i, &call, "101");
        served.push(call.clone());
        current = call;
    }
    assert_eq!(served, strings(&["c1", "c2", "c3"]));
}

#[test]
fn a_vip_jumps_ahead_of_everyone_waiting() {
    let mut sim = busy_queue(one_agent());
    sim.join(1, "c1", "q");
    sim.join(2, "c2", "q");
    sim.join_with(3, "vip", "q", 10);
    sim.join_with(4, "vip2", "q", 10);
    sim.join_with(5, "low", "q", -1);
    let line: Vec<(String, usize)> = sim
        .acd
        .queue_callers("q", t(6))
        .unwrap()
        .into_iter()
        .map(|(call, view)| (call, view.position))
        .collect();
    assert_eq!(
        line,
        [
            ("vip".into(), 1),
            ("vip2".into(), 2),
            ("c1".into(), 3),
            ("c2".into(), 4),
            ("low".into(), 5)
        ]
    );
    let position = |sim: &Sim, call: &str| sim.acd.caller(call, t(6)).unwrap().position;
    assert_eq!(position(&sim, "vip"), 1);
    assert_eq!(position(&sim, "vip2"), 2);
    assert_eq!(position(&sim, "c1"), 3);
    assert_eq!(position(&sim, "c2"), 4);
    assert_eq!(position(&sim, "low"), 5);
    // The joined record tells the place at joining.
    let joined: Vec<usize> = sim
        .log
        .iter()
        .filter_map(|a| match a {
            Action::QueueEvent(QueueEvent {
                kind: QueueEventKind::Joined { position, .. },
                ..
            }) => Some(*position),
            _ => None,
        })
        .collect();
    assert_eq!(joined, [1, 1, 2, 1, 2, 5]);
    let actions = sim.end(10, "busy");
    assert_eq!(rung(&actions, "vip"), ["101"]);
}

#[test]
fn an_unanswered_attempt_rests_the_caller_then_rings_again() {
    let mut q = one_agent();
    q.ring_timeout = 10;
    q.retry = 3;
    let mut sim = Sim::new(vec![q]);
    sim.join(0, "c1", "q");
    let actions = sim.tick(10);
    assert_eq!(cancelled(&actions, "c1"), ["101"]);
    assert_eq!(sim.state("101"), AgentState::Available);
    assert!(rung(&sim.tick(12), "c1").is_empty());
    assert_eq!(rung(&sim.tick(13), "c1"), ["101"]);
    // A busy or rejecting agent ends the attempt the same way.
    sim.at(
        14,
        Event::AgentBusy {
            call: "c1".into(),
            agent: "101".into(),
        },
    );
    assert_eq!(rung(&sim.tick(17), "c1"), ["101"]);
    let actions = sim.at(
        18,
        Event::AgentRejected {
            call: "c1".into(),
            agent: "101".into(),
        },
    );
    assert!(
        cancelled(&actions, "c1").is_empty(),
        "the phone already stopped"
    );
    assert_eq!(rung(&sim.tick(21), "c1"), ["101"]);
}

#[test]
fn while_one_caller_rests_the_agent_takes_the_next() {
    let mut q = one_agent();
    q.retry = 30;
    let mut sim = Sim::new(vec![q]);
    sim.join(0, "c1", "q");
    sim.join(1, "c2", "q");
    let actions = sim.at(
        2,
        Event::AgentNoAnswer {
            call: "c1".into(),
            agent: "101".into(),
        },
    );
    assert_eq!(rung(&actions, "c2"), ["101"]);
}

#[test]
fn max_wait_ends_with_timeout_even_while_ringing() {
    let mut q = one_agent();
    q.max_wait = Some(60);
    q.ring_timeout = 100;
    let mut sim = Sim::new(vec![q]);
    sim.join(0, "c1", "q");
    let actions = sim.tick(60);
    assert_eq!(cancelled(&actions, "c1"), ["101"]);
    assert_eq!(leaves(&actions), [("c1".into(), LeaveReason::Timeout)]);
    assert_eq!(
        outcomes(&actions),
        [("c1".into(), Outcome::Left(LeaveReason::Timeout))]
    );
    assert_eq!(sim.acd.next_deadline(), None, "no timer of c1 is left");
}

#[test]
fn a_full_queue_turns_the_caller_away() {
    let mut q = one_agent();
    q.max_len = Some(2);
    let mut sim = busy_queue(q);
    sim.join(1, "c1", "q");
    sim.join(2, "c2", "q");
    let actions = sim.join(3, "c3", "q");
    assert_eq!(leaves(&actions), [("c3".into(), LeaveReason::Full)]);
    assert_eq!(sim.acd.waiting_callers(), 2);
}

#[test]
fn join_empty_turns_callers_away_by_its_rule() {
    let cases = [
        (EmptyRule::Never, None),
        (EmptyRule::NoMembers, Some("logout")),
        (EmptyRule::Unreachable, Some("unreachable")),
        (EmptyRule::Paused, Some("pause")),
    ];
    for (rule, refusing) in cases {
        for change in ["logout", "unreachable", "pause"] {
            let mut q = queue("q", Strategy::RingAll, &[]);
            q.join_empty = rule;
            let mut sim = Sim::new(vec![q]);
            sim.at(
                0,
                Event::AgentLogin {
                    agent: "101".into(),
                    queue: "q".into(),
                    penalty: 0,
                    weight: 1,
                },
            );
            let event = match change {
                "logout" => Event::AgentLogout {
                    agent: "101".into(),
                    queue: None,
                },
                "unreachable" => Event::AgentUnreachable {
                    agent: "101".into(),
                },
                _ => Event::AgentPause {
                    agent: "101".into(),
                    reason: "lunch".into(),
                },
            };
            sim.at(1, event);
            let actions = sim.join(2, "c1", "q");
            // Each rule also counts the states before it as empty.
            let order = ["logout", "unreachable", "pause"];
            let refused = refusing.is_some_and(|r| {
                order.iter().position(|c| *c == change) <= order.iter().position(|c| *c == r)
            });
            let expected: Vec<(String, LeaveReason)> = if refused {
                vec![("c1".into(), LeaveReason::JoinEmpty)]
            } else {
                vec![]
            };
            assert_eq!(leaves(&actions), expected, "{rule:?} after {change}");
        }
    }
}

#[test]
fn leave_when_empty_sends_waiting_callers_away_when_the_last_agent_goes() {
    let mut q = one_agent();
    q.leave_when_empty = EmptyRule::Paused;
    let mut sim = busy_queue(q);
    sim.join(1, "c1", "q");
    sim.join(2, "c2", "q");
    // Pausing while on a call: nobody is left unpaused.
    let actions = sim.at(
        3,
        Event::AgentPause {
            agent: "101".into(),
            reason: "done".into(),
        },
    );
    assert_eq!(
        leaves(&actions),
        [
            ("c1".into(), LeaveReason::LeaveEmpty),
            ("c2".into(), LeaveReason::LeaveEmpty)
        ]
    );
    assert_eq!(sim.acd.waiting_callers(), 0);
}

#[test]
fn an_exit_key_leaves_to_its_step_and_other_keys_do_nothing() {
    let mut sim = busy_queue(one_agent());
    sim.at(
        1,
        Event::CallerJoined {
            call: "c1".into(),
            queue: "q".into(),
            priority: 0,
            number: "+7900c1".into(),
            exit_keys: [('0', "operator".to_owned())].into(),
        },
    );
    sim.join(1, "c2", "q");
    // The keys are the caller's own: another caller's 0 means nothing.
    assert!(sim
        .at(
            2,
            Event::CallerPressedKey {
                call: "c2".into(),
                digit: '0'
            }
        )
        .is_empty());
    assert!(sim
        .at(
            2,
            Event::CallerPressedKey {
                call: "c1".into(),
                digit: '5'
            }
        )
        .is_empty());
    let actions = sim.at(
        3,
        Event::CallerPressedKey {
            call: "c1".into(),
            digit: '0',
        },
    );
    let reason = LeaveReason::ExitKey {
        digit: '0',
        step: "operator".into(),
    };
    assert_eq!(leaves(&actions), [("c1".into(), reason.clone())]);
    assert_eq!(outcomes(&actions), [("c1".into(), Outcome::Left(reason))]);
}

#[test]
fn hanging_up_abandons_and_stops_the_ringing() {
    let mut sim = Sim::new(vec![queue("q", Strategy::RingAll, &["101", "102"])]);
    sim.join(0, "c1", "q");
    let actions = sim.hang_up(4, "c1");
    assert_eq!(cancelled(&actions, "c1"), strings(&["101", "102"]));
    assert_eq!(outcomes(&actions), [("c1".into(), Outcome::Abandoned)]);
    assert!(leaves(&actions).is_empty(), "nobody is left to route");
    assert_eq!(sim.state("101"), AgentState::Available);
    // Late events about the call are ignored.
    assert!(sim.answer(5, "c1", "101").is_empty());
    assert!(sim.hang_up(6, "c1").is_empty());
}

#[test]
fn an_unknown_queue_and_a_duplicate_call_are_answered() {
    let mut sim = Sim::new(vec![one_agent()]);
    let actions = sim.join(0, "c1", "nope");
    assert_eq!(leaves(&actions), [("c1".into(), LeaveReason::NoSuchQueue)]);
    sim.join(1, "c2", "q");
    let actions = sim.join(2, "c2", "q");
    assert_eq!(
        actions,
        [Action::Refused {
            subject: "c2".into(),
            reason: Refusal::DuplicateCall
        }]
    );
}

#[test]
fn position_and_estimated_wait_are_announced_every_period() {
    let mut q = one_agent();
    q.announce_frequency = 30;
    let mut sim = busy_queue(q);
    sim.join(1, "c1", "q");
    sim.join(2, "c2", "q");
    // The only answered caller so far ("busy") waited 0 s.
    let actions = sim.tick(31);
    assert_eq!(
        actions,
        [Action::PlayPosition {
            call: "c1".into(),
            position: 1,
            estimated_wait: Some(Duration::ZERO)
        }]
    );
    // c1 is answered at 40 after 39 s at position 1: with "busy", 19.5 s per place.
    sim.end(40, "busy");
    sim.answer(40, "c1", "101");
    let actions = sim.tick(62);
    assert_eq!(
        actions,
        [Action::PlayPosition {
            call: "c2".into(),
            position: 1,
            estimated_wait: Some(Duration::from_secs(20))
        }]
    );
    assert_eq!(
        sim.acd.estimated_wait("q", 3),
        Some(Duration::from_secs(59))
    );
    // Before any answer there is no estimate.
    let fresh = Sim::new(vec![one_agent()]);
    assert_eq!(fresh.acd.estimated_wait("q", 1), None);
}

#[test]
fn periodic_messages_play_in_turn() {
    let mut q = one_agent();
    q.periodic_messages = strings(&["ad-1", "ad-2"]);
    q.periodic_frequency = 20;
    let mut sim = busy_queue(q);
    sim.join(0, "c1", "q");
    let mut played = Vec::new();
    for at in [20, 40, 60] {
        for action in sim.tick(at) {
            if let Action::PlayPeriodic { message, .. } = action {
                played.push(message);
            }
        }
    }
    assert_eq!(played, strings(&["ad-1", "ad-2", "ad-1"]));
}

#[test]
fn a_late_tick_fires_every_timer_at_its_own_instant() {
    let mut q = one_agent();
    q.announce_frequency = 10;
    q.max_wait = Some(25);
    let mut sim = busy_queue(q);
    sim.join(0, "c1", "q");
    let actions = sim.tick(100);
    let announced = actions
        .iter()
        .filter(|a| matches!(a, Action::PlayPosition { .. }))
        .count();
    assert_eq!(announced, 2, "at 10 and 20, not after the timeout at 25");
    let waited = actions.iter().find_map(|a| match a {
        Action::QueueEvent(QueueEvent {
            at,
            kind: QueueEventKind::Ended { waited, .. },
            ..
        }) => Some((*at, *waited)),
        _ => None,
    });
    assert_eq!(waited, Some((t(25), Duration::from_secs(25))));
}

#[test]
fn live_figures_count_the_line_and_the_team() {
    let mut q = queue("q", Strategy::RingAll, &["101", "102", "103", "104"]);
    q.wrapup = 60;
    let mut sim = Sim::new(vec![q]);
    sim.join(0, "a", "q");
    sim.answer(0, "a", "101");
    sim.join(1, "b", "q");
    sim.answer(1, "b", "102");
    sim.end(2, "b");
    sim.at(
        3,
        Event::AgentPause {
            agent: "103".into(),
            reason: "lunch".into(),
        },
    );
    sim.at(
        3,
        Event::AgentUnreachable {
            agent: "104".into(),
        },
    );
    sim.join(10, "c", "q");
    sim.join(15, "d", "q");
    let figures = sim.acd.queue_figures("q", t(40)).unwrap();
    assert_eq!(
        figures,
        QueueFigures {
            waiting: 2,
            callbacks: 0,
            longest_wait: Duration::from_secs(30),
            logged_in: 4,
            available: 0,
            busy: 2,
            paused: 1,
            unreachable: 1,
        }
    );
    assert!(sim.acd.queue_figures("nope", t(40)).is_none());
}
