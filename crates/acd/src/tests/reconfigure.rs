//! A new configuration in place ([`Acd::reconfigure`]): what is kept, what changes, and
//! when each new setting starts to apply.

use super::*;

/// Reconfigures at `secs` with these queues; the actions join the log and the engine's
/// invariants hold after.
fn reload(sim: &mut Sim, secs: i64, queues: Vec<QueueConfig>) -> Vec<Action> {
    reload_with(
        sim,
        secs,
        AcdConfig {
            queues,
            ..AcdConfig::default()
        },
    )
}

fn reload_with(sim: &mut Sim, secs: i64, config: AcdConfig) -> Vec<Action> {
    let actions = sim.acd.reconfigure(config, t(secs)).unwrap();
    sim.log.extend(actions.iter().cloned());
    sim.acd.check_invariants().unwrap();
    actions
}

fn pause(sim: &mut Sim, secs: i64, agent: &str) -> Vec<Action> {
    let event = Event::AgentPause {
        agent: agent.into(),
        reason: "lunch".into(),
    };
    sim.at(secs, event)
}

fn unpause(sim: &mut Sim, secs: i64, agent: &str) -> Vec<Action> {
    sim.at(
        secs,
        Event::AgentUnpause {
            agent: agent.into(),
        },
    )
}

fn refusals(actions: &[Action]) -> Vec<Refusal> {
    actions
        .iter()
        .filter_map(|a| match a {
            Action::Refused { reason, .. } => Some(reason.clone()),
            _ => None,
        })
        .collect()
}

fn failed_offers(actions: &[Action]) -> Vec<(String, RingFailure)> {
    actions
        .iter()
        .filter_map(|a| match a {
            Action::QueueEvent(QueueEvent {
                kind: QueueEventKind::OfferFailed { agent, why },
                ..
            }) => Some((agent.clone(), *why)),
            _ => None,
        })
        .collect()
}

#[test]
fn waiting_callers_keep_places_waits_priorities_and_callbacks() {
    let mut q = queue("q", Strategy::RingAll, &["101"]);
    q.callback_key = Some('*');
    let mut sim = Sim::new(vec![q.clone()]);
    sim.join(0, "c0", "q");
    sim.answer(4, "c0", "101");
    sim.end(5, "c0");
    pause(&mut sim, 5, "101");
    sim.join(6, "c1", "q");
    sim.join_with(7, "c2", "q", 5);
    sim.join(8, "c3", "q");
    let digit = Event::CallerPressedKey {
        call: "c3".into(),
        digit: '*',
    };
    sim.at(9, digit);
    let callers = sim.acd.queue_callers("q", t(10)).unwrap();
    let estimate = sim.acd.estimated_wait("q", 2);
    assert!(estimate.is_some());

    q.strategy = Strategy::Linear;
    q.wrapup = 30;
    let actions = reload(&mut sim, 10, vec![q]);
    assert!(outcomes(&actions).is_empty(), "{actions:?}");
    assert_eq!(sim.acd.queue_callers("q", t(10)).unwrap(), callers);
    let order: Vec<&str> = callers.iter().map(|(call, _)| call.as_str()).collect();
    assert_eq!(order, ["c2", "c1", "c3"]);
    assert!(callers[2].1.callback);
    assert_eq!(sim.acd.estimated_wait("q", 2), estimate);
    assert_eq!(rung(&unpause(&mut sim, 20, "101"), "c2"), ["101"]);
}

#[test]
fn new_timeouts_apply_to_the_next_timer_armed() {
    let mut q = queue("q", Strategy::RingAll, &["101"]);
    q.ring_timeout = 15;
    q.retry = 0;
    q.max_wait = Some(100);
    let mut sim = Sim::new(vec![q.clone()]);
    sim.join(0, "c1", "q");
    q.ring_timeout = 5;
    q.max_wait = Some(30);
    reload(&mut sim, 5, vec![q]);
    assert_eq!(
        sim.acd.next_deadline(),
        Some(t(15)),
        "the attempt keeps 15 s"
    );
    assert_eq!(rung(&sim.tick(15), "c1"), ["101"], "rung again");
    assert_eq!(
        sim.acd.next_deadline(),
        Some(t(20)),
        "the next attempt has 5 s"
    );
    sim.join(16, "c2", "q");
    let actions = sim.tick(46);
    assert_eq!(
        outcomes(&actions),
        [("c2".into(), Outcome::Left(LeaveReason::Timeout))],
        "c2 joined with max_wait 30, c1 keeps 100"
    );
    let actions = sim.tick(100);
    assert_eq!(
        outcomes(&actions),
        [("c1".into(), Outcome::Left(LeaveReason::Timeout))]
    );
}

#[test]
fn a_static_member_added_is_logged_in_as_the_engine_knows_the_agent() {
    let q = queue("q", Strategy::RingAll, &["101"]);
    let other = queue("o", Strategy::RingAll, &["103"]);
    let mut sim = Sim::new(vec![q, other.clone()]);
    pause(&mut sim, 0, "101");
    let away = Event::AgentUnreachable {
        agent: "103".into(),
    };
    sim.at(0, away);
    sim.join(1, "c1", "q");
    let q = queue("q", Strategy::RingAll, &["101", "102", "103"]);
    let actions = reload(&mut sim, 5, vec![q, other]);
    assert_eq!(rung(&actions, "c1"), ["102"], "101 paused, 103 unreachable");
    assert_eq!(sim.state("103"), AgentState::Unreachable);
    let figures = sim.acd.queue_figures("q", t(5)).unwrap();
    assert_eq!(
        (figures.logged_in, figures.paused, figures.unreachable),
        (3, 1, 1)
    );
    let logout = Event::AgentLogout {
        agent: "102".into(),
        queue: Some("q".into()),
    };
    assert_eq!(
        refusals(&sim.at(6, logout)),
        [Refusal::StaticMember("q".into())]
    );
}

#[test]
fn a_static_member_removed_is_logged_out_but_not_one_who_logged_in() {
    let q = queue("q", Strategy::RingAll, &["101", "102"]);
    let mut sim = Sim::new(vec![q]);
    let login = Event::AgentLogin {
        agent: "103".into(),
        queue: "q".into(),
        penalty: 0,
        weight: 1,
    };
    sim.at(0, login);
    assert_eq!(rung(&sim.join(1, "c1", "q"), "c1"), ["101", "102", "103"]);
    let actions = reload(&mut sim, 5, vec![queue("q", Strategy::RingAll, &["101"])]);
    assert_eq!(cancelled(&actions, "c1"), ["102"]);
    assert_eq!(failed_offers(&actions), [("102".into(), RingFailure::Gone)]);
    assert!(states(&actions).contains(&("102".into(), AgentState::LoggedOut)));
    assert_eq!(sim.state("103"), AgentState::Ringing, "logged in by itself");
    assert_eq!(sim.acd.queue_figures("q", t(5)).unwrap().logged_in, 2);
    assert_eq!(
        outcomes(&sim.answer(6, "c1", "103")),
        [("c1".into(), connected("103"))]
    );
}

#[test]
fn kept_members_take_their_new_penalties_and_a_login_listed_becomes_static() {
    let mut q = queue("q", Strategy::Linear, &[]);
    q.members = vec![member("101", 0), member("102", 1)];
    let mut sim = Sim::new(vec![q.clone()]);
    let login = Event::AgentLogin {
        agent: "103".into(),
        queue: "q".into(),
        penalty: 5,
        weight: 1,
    };
    sim.at(0, login);
    assert_eq!(sim.serve(1, "a", "q"), "101");
    q.members = vec![member("101", 2), member("102", 1), member("103", 0)];
    reload(&mut sim, 2, vec![q]);
    assert_eq!(sim.serve(3, "b", "q"), "103");
    let logout = Event::AgentLogout {
        agent: "103".into(),
        queue: Some("q".into()),
    };
    assert_eq!(
        refusals(&sim.at(4, logout)),
        [Refusal::StaticMember("q".into())]
    );
    pause(&mut sim, 5, "103");
    assert_eq!(sim.serve(6, "c", "q"), "102", "penalty 1 before 2");
}

#[test]
fn member_order_follows_the_new_list() {
    let mut sim = Sim::new(vec![queue("q", Strategy::Linear, &["101", "102"])]);
    assert_eq!(sim.serve(0, "a", "q"), "101");
    reload(
        &mut sim,
        1,
        vec![queue("q", Strategy::Linear, &["102", "101"])],
    );
    assert_eq!(sim.serve(2, "b", "q"), "102");
}

#[test]
fn the_round_robin_goes_on_after_the_member_who_left() {
    let members = ["101", "102", "103"];
    let mut sim = Sim::new(vec![queue("q", Strategy::RoundRobin, &members)]);
    assert_eq!(sim.serve(0, "a", "q"), "101");
    assert_eq!(sim.serve(1, "b", "q"), "102");
    reload(
        &mut sim,
        2,
        vec![queue("q", Strategy::RoundRobin, &["101", "103"])],
    );
    assert_eq!(sim.serve(3, "c", "q"), "103");
    assert_eq!(sim.serve(4, "d", "q"), "101");
}

#[test]
fn agent_wrap_up_settings_are_replaced_but_a_running_wrap_up_keeps_its_end() {
    let mut q = queue("q", Strategy::RingAll, &["101"]);
    q.wrapup = 10;
    let agents = |wrapup| {
        vec![AgentConfig {
            id: "101".into(),
            wrapup: Some(wrapup),
        }]
    };
    let mut sim = Sim::with(AcdConfig {
        queues: vec![q.clone()],
        agents: agents(45),
        seed: 0,
    });
    sim.serve(0, "a", "q");
    let config = AcdConfig {
        queues: vec![q],
        agents: agents(5),
        seed: 0,
    };
    reload_with(&mut sim, 1, config);
    sim.tick(44);
    assert_eq!(sim.state("101"), AgentState::WrapUp);
    sim.tick(45);
    assert_eq!(sim.state("101"), AgentState::Available);
    sim.serve(50, "b", "q");
    sim.tick(54);
    assert_eq!(sim.state("101"), AgentState::WrapUp);
    sim.tick(55);
    assert_eq!(sim.state("101"), AgentState::Available);
}

#[test]
fn a_new_queue_is_added_with_its_members_as_the_engine_knows_them() {
    let q = queue("q", Strategy::RingAll, &["101"]);
    let mut sim = Sim::new(vec![q.clone()]);
    pause(&mut sim, 0, "101");
    sim.join(1, "c1", "q");
    let new = queue("new", Strategy::RingAll, &["101", "102"]);
    let actions = reload(&mut sim, 2, vec![q, new]);
    assert!(rings(&actions).is_empty(), "c1 still waits: {actions:?}");
    assert_eq!(rung(&sim.join(3, "n1", "new"), "n1"), ["102"], "101 paused");
    assert_eq!(sim.acd.queue_figures("new", t(3)).unwrap().logged_in, 2);
    assert_eq!(sim.acd.queue_figures("q", t(3)).unwrap().waiting, 1);
}

#[test]
fn a_removed_queue_serves_its_callers_then_its_members_leave() {
    let q = queue("q", Strategy::RingAll, &["101"]);
    let other = queue("o", Strategy::RingAll, &["102"]);
    let mut sim = Sim::new(vec![q, other.clone()]);
    pause(&mut sim, 0, "101");
    sim.join(1, "c1", "q");
    let actions = reload(&mut sim, 5, vec![other]);
    assert!(outcomes(&actions).is_empty() && leaves(&actions).is_empty());
    assert_eq!(sim.acd.caller("c1", t(5)).unwrap().position, 1);
    assert_eq!(sim.acd.queue_figures("q", t(5)), None);

    let actions = sim.join(6, "c2", "q");
    assert_eq!(leaves(&actions), [("c2".into(), LeaveReason::NoSuchQueue)]);
    let login = Event::AgentLogin {
        agent: "102".into(),
        queue: "q".into(),
        penalty: 0,
        weight: 1,
    };
    assert_eq!(
        refusals(&sim.at(7, login)),
        [Refusal::NoSuchQueue("q".into())]
    );

    assert_eq!(rung(&unpause(&mut sim, 10, "101"), "c1"), ["101"]);
    let actions = sim.answer(12, "c1", "101");
    assert_eq!(outcomes(&actions), [("c1".into(), connected("101"))]);
    assert_eq!(sim.state("101"), AgentState::OnCall);
    sim.acd.check_invariants().unwrap();
    sim.end(20, "c1");
    assert_eq!(sim.state("101"), AgentState::LoggedOut, "q is closed");
    sim.acd.check_invariants().unwrap();
}

#[test]
fn a_removed_queue_nobody_waits_in_closes_at_once() {
    let q = queue("q", Strategy::RingAll, &["101"]);
    let other = queue("o", Strategy::RingAll, &["102"]);
    let mut sim = Sim::new(vec![q, other.clone()]);
    let actions = reload(&mut sim, 5, vec![other]);
    assert_eq!(states(&actions), [("101".into(), AgentState::LoggedOut)]);
    let report = sim.acd.take_interval(t(6));
    let names: Vec<&str> = report.queues.iter().map(|q| q.queue.as_str()).collect();
    assert_eq!(names, ["o"], "nothing happened in q");
}

#[test]
fn a_removed_queue_configured_again_comes_back_with_its_callers() {
    let q = queue("q", Strategy::RingAll, &["101"]);
    let other = queue("o", Strategy::RingAll, &["102"]);
    let mut sim = Sim::new(vec![q.clone(), other.clone()]);
    pause(&mut sim, 0, "101");
    sim.join(1, "c1", "q");
    reload(&mut sim, 5, vec![other.clone()]);
    reload(&mut sim, 6, vec![other, q]);
    assert_eq!(sim.acd.queue_figures("q", t(6)).unwrap().waiting, 1);
    let actions = sim.join(7, "c2", "q");
    assert!(actions.iter().any(|a| matches!(
        a,
        Action::QueueEvent(QueueEvent {
            kind: QueueEventKind::Joined { position: 2, .. },
            ..
        })
    )));
    assert_eq!(rung(&unpause(&mut sim, 8, "101"), "c1"), ["101"]);
}

#[test]
fn the_generator_and_the_counters_carry_on() {
    let q = queue("q", Strategy::Random, &["101", "102", "103", "104"]);
    let config = |seed| AcdConfig {
        queues: vec![q.clone()],
        agents: Vec::new(),
        seed,
    };
    let mut plain = Sim::with(config(7));
    let mut reloaded = Sim::with(config(7));
    for i in 0..8 {
        if i == 4 {
            reload_with(&mut reloaded, i, config(99));
        }
        let call = format!("c{i}");
        assert_eq!(
            plain.serve(i, &call, "q"),
            reloaded.serve(i, &call, "q"),
            "call {i}"
        );
    }
    let report = reloaded.acd.take_interval(t(10));
    assert_eq!(report.queues[0].counters.answered, 8);
}

#[test]
fn a_configuration_with_errors_changes_nothing() {
    let mut q = queue("q", Strategy::RingAll, &["101"]);
    q.ring_timeout = 15;
    let mut sim = Sim::new(vec![q.clone()]);
    sim.join(0, "c1", "q");
    let twice = AcdConfig {
        queues: vec![queue("q", Strategy::Linear, &[]), q],
        ..AcdConfig::default()
    };
    let errors = sim.acd.reconfigure(twice, t(20)).unwrap_err();
    assert_eq!(errors.0, [ConfigError::DuplicateQueue("q".into())]);
    assert_eq!(sim.acd.next_deadline(), Some(t(15)), "no timer fired");
    assert_eq!(sim.acd.queue_figures("q", t(20)).unwrap().logged_in, 1);
}

#[test]
fn ringinuse_turned_off_stops_ringing_an_agent_on_a_call() {
    let mut q = queue("q", Strategy::RingAll, &["101"]);
    q.ringinuse = true;
    let mut sim = Sim::new(vec![q.clone()]);
    sim.join(0, "a", "q");
    sim.answer(1, "a", "101");
    assert_eq!(rung(&sim.join(2, "b", "q"), "b"), ["101"]);
    q.ringinuse = false;
    let actions = reload(&mut sim, 3, vec![q]);
    assert_eq!(cancelled(&actions, "b"), ["101"]);
    assert_eq!(failed_offers(&actions), [("101".into(), RingFailure::Busy)]);
    assert_eq!(sim.state("101"), AgentState::OnCall);
}

#[test]
fn leave_when_empty_set_by_a_reload_applies_at_once() {
    let mut q = queue("q", Strategy::RingAll, &["101"]);
    let mut sim = Sim::new(vec![q.clone()]);
    let away = Event::AgentUnreachable {
        agent: "101".into(),
    };
    sim.at(0, away);
    sim.join(1, "c1", "q");
    q.leave_when_empty = EmptyRule::Unreachable;
    let actions = reload(&mut sim, 2, vec![q]);
    assert_eq!(leaves(&actions), [("c1".into(), LeaveReason::LeaveEmpty)]);
    assert_eq!(
        outcomes(&actions),
        [("c1".into(), Outcome::Left(LeaveReason::LeaveEmpty))]
    );
}
