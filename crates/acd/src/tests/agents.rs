//! Agents: states, wrap-up, auto-pause, ringinuse, login and logout, registration.

use super::*;

#[test]
fn an_agent_goes_through_ringing_on_call_wrap_up_and_back() {
    let mut q = queue("q", Strategy::RingAll, &["101"]);
    q.wrapup = 10;
    let mut sim = Sim::new(vec![q]);
    assert_eq!(sim.state("101"), AgentState::Available);
    sim.join(0, "c1", "q");
    sim.answer(2, "c1", "101");
    sim.end(30, "c1");
    sim.tick(40);
    let changes: Vec<AgentState> = states(&sim.log).into_iter().map(|(_, s)| s).collect();
    assert_eq!(
        changes,
        [
            AgentState::Ringing,
            AgentState::OnCall,
            AgentState::WrapUp,
            AgentState::Available
        ]
    );
}

#[test]
fn no_call_is_offered_during_wrap_up() {
    let mut q = queue("q", Strategy::RingAll, &["101"]);
    q.wrapup = 10;
    let mut sim = Sim::new(vec![q]);
    sim.join(0, "c1", "q");
    sim.answer(0, "c1", "101");
    sim.end(20, "c1");
    assert!(rung(&sim.join(25, "c2", "q"), "c2").is_empty());
    assert_eq!(sim.acd.next_deadline(), Some(t(30)));
    assert_eq!(rung(&sim.tick(30), "c2"), ["101"]);
}

#[test]
fn an_agents_own_wrap_up_replaces_the_queues() {
    let mut q = queue("q", Strategy::RingAll, &["101", "102"]);
    q.wrapup = 10;
    let mut sim = Sim::with(AcdConfig {
        queues: vec![q],
        agents: vec![AgentConfig {
            id: "101".into(),
            wrapup: Some(45),
        }],
        seed: 0,
    });
    sim.join(0, "a", "q");
    sim.answer(0, "a", "101");
    sim.join(0, "b", "q");
    sim.answer(0, "b", "102");
    sim.end(5, "a");
    sim.end(5, "b");
    sim.tick(15);
    assert_eq!(sim.state("102"), AgentState::Available);
    assert_eq!(sim.state("101"), AgentState::WrapUp);
    sim.tick(50);
    assert_eq!(sim.state("101"), AgentState::Available);
}

#[test]
fn auto_pause_after_unanswered_offers_in_a_row() {
    let mut q = queue("q", Strategy::RingAll, &["101"]);
    q.autopause = Some(2);
    q.ring_timeout = 10;
    q.retry = 0;
    let mut sim = Sim::new(vec![q]);
    sim.join(0, "c1", "q");
    sim.tick(10); // rang out, rung again at once
    assert_eq!(sim.state("101"), AgentState::Ringing);
    let actions = sim.tick(20);
    assert!(
        states(&actions).contains(&("101".into(), AgentState::Paused(AUTO_PAUSE_REASON.into())))
    );
    assert!(rung(&actions, "c1").is_empty());
    // Unpausing offers the waiting caller again.
    let actions = sim.at(
        30,
        Event::AgentUnpause {
            agent: "101".into(),
        },
    );
    assert_eq!(rung(&actions, "c1"), ["101"]);
}

#[test]
fn an_answer_resets_the_unanswered_count() {
    let mut q = queue("q", Strategy::RingAll, &["101"]);
    q.autopause = Some(2);
    q.retry = 0;
    let mut sim = Sim::new(vec![q]);
    sim.join(0, "c1", "q");
    sim.at(
        1,
        Event::AgentNoAnswer {
            call: "c1".into(),
            agent: "101".into(),
        },
    );
    sim.answer(2, "c1", "101");
    sim.end(3, "c1");
    sim.join(4, "c2", "q");
    sim.at(
        5,
        Event::AgentNoAnswer {
            call: "c2".into(),
            agent: "101".into(),
        },
    );
    assert_eq!(
        sim.state("101"),
        AgentState::Ringing,
        "one miss since the answer"
    );
    // Busy does not count as unanswered.
    sim.at(
        6,
        Event::AgentBusy {
            call: "c2".into(),
            agent: "101".into(),
        },
    );
    assert_eq!(sim.state("101"), AgentState::Ringing);
}

#[test]
fn ringinuse_off_never_offers_an_agent_on_a_call() {
    let sales = queue("sales", Strategy::RingAll, &["101"]);
    let mut support = queue("support", Strategy::RingAll, &["101"]);
    support.ringinuse = false;
    let mut sim = Sim::new(vec![sales, support]);
    sim.join(0, "a", "sales");
    sim.answer(0, "a", "101");
    assert!(rung(&sim.join(1, "b", "support"), "b").is_empty());
    assert!(rung(&sim.join(2, "c", "sales"), "c").is_empty());
    // Ringinuse on: the agent on a call is offered, one offer at a time.
    let sales = queue("sales", Strategy::RingAll, &["101"]);
    let mut support = queue("support", Strategy::RingAll, &["101"]);
    support.ringinuse = true;
    let mut sim = Sim::new(vec![sales, support]);
    sim.join(0, "a", "sales");
    sim.answer(0, "a", "101");
    assert_eq!(rung(&sim.join(1, "b", "support"), "b"), ["101"]);
    assert!(
        rung(&sim.join(2, "c", "support"), "c").is_empty(),
        "already ringing"
    );
    // On a call and answering a second one: support offers the agent the next caller.
    let actions = sim.answer(3, "b", "101");
    assert_eq!(rung(&actions, "c"), ["101"]);
    sim.hang_up(4, "c");
    assert_eq!(sim.state("101"), AgentState::OnCall);
    assert_eq!(rung(&sim.join(5, "d", "support"), "d"), ["101"]);
    sim.hang_up(6, "d");
    assert!(rung(&sim.join(7, "e", "sales"), "e").is_empty());
}

#[test]
fn dynamic_agents_log_in_and_out() {
    let mut sim = Sim::new(vec![queue("q", Strategy::RingAll, &[])]);
    assert!(rung(&sim.join(0, "c1", "q"), "c1").is_empty());
    let actions = sim.at(
        1,
        Event::AgentLogin {
            agent: "500".into(),
            queue: "q".into(),
            penalty: 0,
            weight: 1,
        },
    );
    assert_eq!(rung(&actions, "c1"), ["500"]);
    // Logging out while ringing stops the phone; the caller rests and waits again.
    let actions = sim.at(
        2,
        Event::AgentLogout {
            agent: "500".into(),
            queue: Some("q".into()),
        },
    );
    assert_eq!(cancelled(&actions, "c1"), ["500"]);
    assert_eq!(sim.state("500"), AgentState::LoggedOut);
    assert!(rung(&sim.tick(10), "c1").is_empty());
}

#[test]
fn requests_that_cannot_be_done_are_refused() {
    let mut sim = Sim::new(vec![queue("q", Strategy::RingAll, &["101"])]);
    let refused = |actions: Vec<Action>| match actions.as_slice() {
        [Action::Refused { reason, .. }] => reason.clone(),
        other => panic!("{other:?}"),
    };
    let login = Event::AgentLogin {
        agent: "101".into(),
        queue: "nope".into(),
        penalty: 0,
        weight: 1,
    };
    assert_eq!(
        refused(sim.at(0, login)),
        Refusal::NoSuchQueue("nope".into())
    );
    let logout = Event::AgentLogout {
        agent: "101".into(),
        queue: Some("q".into()),
    };
    assert_eq!(
        refused(sim.at(0, logout)),
        Refusal::StaticMember("q".into())
    );
    let logout = Event::AgentLogout {
        agent: "101".into(),
        queue: None,
    };
    assert_eq!(
        refused(sim.at(0, logout)),
        Refusal::StaticMember("q".into())
    );
    let logout = Event::AgentLogout {
        agent: "999".into(),
        queue: None,
    };
    assert_eq!(
        refused(sim.at(0, logout)),
        Refusal::NoSuchAgent("999".into())
    );
    let pause = Event::AgentPause {
        agent: "999".into(),
        reason: "x".into(),
    };
    assert_eq!(
        refused(sim.at(0, pause)),
        Refusal::NoSuchAgent("999".into())
    );
    sim.at(
        0,
        Event::AgentLogin {
            agent: "500".into(),
            queue: "q".into(),
            penalty: 0,
            weight: 1,
        },
    );
    sim.at(
        0,
        Event::AgentLogout {
            agent: "500".into(),
            queue: None,
        },
    );
    let logout = Event::AgentLogout {
        agent: "500".into(),
        queue: Some("q".into()),
    };
    assert_eq!(refused(sim.at(0, logout)), Refusal::NotLoggedIn("q".into()));
    // The refusal reads well.
    assert_eq!(
        Refusal::StaticMember("q".into()).to_string(),
        "agent is a static member of \"q\" and cannot log out of it"
    );
}

#[test]
fn an_unreachable_agent_is_not_offered_and_stops_ringing() {
    let mut q = queue("q", Strategy::RingAll, &["101", "102"]);
    q.retry = 0;
    let mut sim = Sim::new(vec![q]);
    sim.join(0, "c1", "q");
    let actions = sim.at(
        1,
        Event::AgentUnreachable {
            agent: "101".into(),
        },
    );
    assert_eq!(cancelled(&actions, "c1"), ["101"]);
    assert_eq!(sim.state("101"), AgentState::Unreachable);
    sim.at(
        2,
        Event::AgentNoAnswer {
            call: "c1".into(),
            agent: "102".into(),
        },
    );
    // Rung again at once (retry 0), but only 102.
    assert_eq!(rung(&sim.log[sim.log.len() - 4..], "c1"), ["102"]);
    sim.hang_up(3, "c1");
    let actions = sim.at(
        4,
        Event::AgentReachable {
            agent: "101".into(),
        },
    );
    assert_eq!(states(&actions), [("101".into(), AgentState::Available)]);
    // Phones of people who are not agents are ignored.
    assert!(sim
        .at(
            5,
            Event::AgentReachable {
                agent: "999".into()
            }
        )
        .is_empty());
}

#[test]
fn a_pause_while_ringing_lets_the_ring_go_on() {
    let mut sim = Sim::new(vec![queue("q", Strategy::RingAll, &["101"])]);
    sim.join(0, "c1", "q");
    let actions = sim.at(
        1,
        Event::AgentPause {
            agent: "101".into(),
            reason: "lunch".into(),
        },
    );
    assert!(cancelled(&actions, "c1").is_empty());
    let actions = sim.answer(2, "c1", "101");
    assert_eq!(outcomes(&actions), [("c1".into(), connected("101"))]);
    sim.end(3, "c1");
    assert_eq!(sim.state("101"), AgentState::Paused("lunch".into()));
    assert!(rung(&sim.join(4, "c2", "q"), "c2").is_empty());
}

#[test]
fn an_agent_on_a_direct_call_is_offered_only_with_ringinuse() {
    let plain = queue("plain", Strategy::RingAll, &["101"]);
    let mut in_use = queue("in_use", Strategy::RingAll, &["101"]);
    in_use.ringinuse = true;
    let mut sim = Sim::new(vec![plain, in_use]);
    let actions = sim.at(
        0,
        Event::AgentInUse {
            agent: "101".into(),
            in_use: true,
        },
    );
    assert_eq!(states(&actions), [("101".into(), AgentState::OnCall)]);
    assert!(rung(&sim.join(1, "a", "plain"), "a").is_empty());
    assert_eq!(rung(&sim.join(2, "b", "in_use"), "b"), ["101"]);
    sim.hang_up(3, "b");
    // The direct call ends: the waiting caller of "plain" is offered.
    let actions = sim.at(
        4,
        Event::AgentInUse {
            agent: "101".into(),
            in_use: false,
        },
    );
    assert_eq!(rung(&actions, "a"), ["101"]);
}
