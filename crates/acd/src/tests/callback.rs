//! Callbacks: the caller hangs up and keeps the place; the agent rings first, then the
//! caller is called back, with retries.

use super::*;

fn callback_queue() -> QueueConfig {
    let mut q = queue("q", Strategy::RingAll, &["101"]);
    q.callback_key = Some('*');
    q.callback_attempts = 2;
    q.callback_pause = 60;
    q.announce_frequency = 30;
    q
}

/// "busy" holds 101; c1 and c2 wait; c1 asks for a callback at 5.
fn asked() -> Sim {
    let mut sim = Sim::new(vec![callback_queue()]);
    sim.join(0, "busy", "q");
    sim.answer(0, "busy", "101");
    sim.join(1, "c1", "q");
    sim.join(2, "c2", "q");
    let actions = sim.at(
        5,
        Event::CallerPressedKey {
            call: "c1".into(),
            digit: '*',
        },
    );
    assert_eq!(leaves(&actions), [("c1".into(), LeaveReason::Callback)]);
    assert!(
        outcomes(&actions).is_empty(),
        "a callback is not an outcome yet"
    );
    sim
}

#[test]
fn the_caller_keeps_the_place_after_hanging_up() {
    let mut sim = asked();
    let view = sim.acd.caller("c1", t(10)).unwrap();
    assert_eq!((view.position, view.callback), (1, true));
    assert_eq!(sim.acd.queue_figures("q", t(10)).unwrap().callbacks, 1);
    // Nothing is played to a call that is gone; c2 still hears its position.
    let actions = sim.tick(32);
    assert_eq!(
        actions,
        [Action::PlayPosition {
            call: "c2".into(),
            position: 2,
            estimated_wait: Some(std::time::Duration::ZERO)
        }]
    );
}

#[test]
fn the_agent_rings_first_then_the_caller_is_called_back() {
    let mut sim = asked();
    let actions = sim.end(40, "busy");
    assert_eq!(rung(&actions, "c1"), ["101"], "c1 is still first");
    let actions = sim.answer(41, "c1", "101");
    assert_eq!(
        actions
            .iter()
            .filter(|a| matches!(a, Action::StartCallback { .. }))
            .collect::<Vec<_>>(),
        [&Action::StartCallback {
            call: "c1".into(),
            agent: "101".into(),
            number: "+7900c1".into(),
            attempt: 1
        }]
    );
    assert_eq!(sim.state("101"), AgentState::OnCall);
    let actions = sim.at(50, Event::CallbackAnswered { call: "c1".into() });
    assert_eq!(outcomes(&actions), [("c1".into(), connected("101"))]);
    assert!(leaves(&actions).is_empty());
    // The call ends like any other.
    let actions = sim.end(100, "c1");
    assert!(actions.iter().any(|a| matches!(
        a,
        Action::QueueEvent(QueueEvent {
            kind: QueueEventKind::Completed { .. },
            ..
        })
    )));
    assert_eq!(rung(&actions, "c2"), ["101"]);
}

#[test]
fn a_failed_call_back_frees_the_agent_and_retries_later_in_place() {
    let mut sim = asked();
    sim.end(40, "busy");
    sim.answer(41, "c1", "101");
    let actions = sim.at(60, Event::CallbackFailed { call: "c1".into() });
    // No wrap-up (nobody talked): the agent takes c2 at once.
    assert_eq!(rung(&actions, "c2"), ["101"]);
    sim.answer(61, "c2", "101");
    sim.end(70, "c2");
    // c1 rests callback_pause (60 s) and keeps position 1.
    assert_eq!(sim.acd.caller("c1", t(70)).unwrap().position, 1);
    assert!(rung(&sim.tick(119), "c1").is_empty());
    assert_eq!(rung(&sim.tick(120), "c1"), ["101"]);
    let actions = sim.answer(121, "c1", "101");
    assert!(actions
        .iter()
        .any(|a| matches!(a, Action::StartCallback { attempt: 2, .. })));
    // The second failure is the last (callback_attempts = 2).
    let actions = sim.at(130, Event::CallbackFailed { call: "c1".into() });
    assert_eq!(outcomes(&actions), [("c1".into(), Outcome::CallbackFailed)]);
    assert_eq!(sim.state("101"), AgentState::Available);
    assert!(sim.acd.caller("c1", t(130)).is_none());
}

#[test]
fn an_agent_hanging_up_during_the_call_back_is_a_failed_attempt() {
    let mut sim = asked();
    sim.end(40, "busy");
    sim.answer(41, "c1", "101");
    let actions = sim.end(45, "c1");
    assert!(outcomes(&actions).is_empty());
    assert_eq!(rung(&actions, "c2"), ["101"]);
}

#[test]
fn a_callback_caller_leaves_when_the_queue_empties() {
    let mut q = callback_queue();
    q.leave_when_empty = EmptyRule::Paused;
    let mut sim = Sim::new(vec![q]);
    sim.join(0, "busy", "q");
    sim.answer(0, "busy", "101");
    sim.join(1, "c1", "q");
    sim.at(
        2,
        Event::CallerPressedKey {
            call: "c1".into(),
            digit: '*',
        },
    );
    let actions = sim.at(
        3,
        Event::AgentPause {
            agent: "101".into(),
            reason: "x".into(),
        },
    );
    assert_eq!(
        outcomes(&actions),
        [("c1".into(), Outcome::Left(LeaveReason::LeaveEmpty))]
    );
    assert!(leaves(&actions).is_empty(), "the call is already gone");
}

#[test]
fn a_caller_without_a_number_cannot_ask_for_a_callback() {
    let mut sim = Sim::new(vec![callback_queue()]);
    sim.join(0, "busy", "q");
    sim.answer(0, "busy", "101");
    sim.at(
        1,
        Event::CallerJoined {
            call: "anonymous".into(),
            queue: "q".into(),
            priority: 0,
            number: String::new(),
            exit_keys: Default::default(),
        },
    );
    let actions = sim.at(
        2,
        Event::CallerPressedKey {
            call: "anonymous".into(),
            digit: '*',
        },
    );
    assert!(actions.is_empty(), "{actions:?}");
    assert!(!sim.acd.caller("anonymous", t(2)).unwrap().callback);
}
