//! Ring groups: all at once, in order, and round robin with its memory across calls.

use super::*;

/// The group `team` of scenario `r` with the given strategy, 103-105.
fn group(strategy: &str) -> String {
    format!(
        r#"
        [scenario.r]
        entry = "team"
        default = "operator"
        [scenario.r.steps.team]
        kind = "ring_group"
        members = ["103", "104", "105"]
        strategy = "{strategy}"
        member_timeout = 20
        on = {{ no_answer = "mail", busy = "bye" }}
        [scenario.r.steps.mail]
        kind = "voicemail"
        box = "sales"
        [scenario.r.steps.bye]
        kind = "hangup"
        cause = "busy"
        [scenario.r.steps.operator]
        kind = "dial"
        extension = "101"
        next = "mail"
    "#
    )
}

fn ring(member: &str) -> Action {
    dial_for(&[ext(member)], 20)
}

#[test]
fn all_rings_every_member_in_one_dial() {
    let now = at(MORNING);
    let (mut call, actions) = call_in(&group("all"), "r", now);
    assert_eq!(
        actions,
        [dial_for(&[ext("103"), ext("104"), ext("105")], 20)]
    );
    assert_eq!(
        call.on_event(Event::DialOutcome(Outcome::NoAnswer), now + secs(20)),
        [
            Action::Answer,
            Action::Voicemail {
                mailbox: "sales".into()
            }
        ]
    );
    assert_eq!(
        texts(&call),
        [
            "scenario r",
            "ring group team: 103, 104, 105 at once (20 s)",
            "ring group team: no answer after 20 s → mail",
            "voicemail sales",
        ]
    );
}

#[test]
fn in_order_tries_each_member_and_routes_no_answer_after_the_last() {
    let now = at(MORNING);
    let (mut call, actions) = call_in(&group("in_order"), "r", now);
    assert_eq!(actions, [ring("103")]);
    assert_eq!(
        call.on_event(Event::DialOutcome(Outcome::NoAnswer), now + secs(20)),
        [ring("104")]
    );
    // Busy and unregistered members are answered at once by the shell, so skipped.
    assert_eq!(
        call.on_event(Event::DialOutcome(Outcome::Busy), now + secs(20)),
        [ring("105")]
    );
    assert_eq!(
        call.on_event(Event::DialOutcome(Outcome::Unavailable), now + secs(20)),
        [
            Action::Answer,
            Action::Voicemail {
                mailbox: "sales".into()
            }
        ]
    );
    assert_eq!(
        texts(&call),
        [
            "scenario r",
            "ring group team: ring 103 (20 s)",
            "ring group team: 103 no answer after 20 s",
            "ring group team: ring 104 (20 s)",
            "ring group team: 104 busy",
            "ring group team: ring 105 (20 s)",
            "ring group team: 105 unavailable",
            "ring group team: no answer → mail",
            "voicemail sales",
        ]
    );
}

#[test]
fn the_groups_outcome_is_busy_then_unavailable_when_nobody_rang_out() {
    let now = at(MORNING);
    let outcomes = |first, second, third| {
        let (mut call, _) = call_in(&group("in_order"), "r", now);
        call.on_event(Event::DialOutcome(first), now);
        call.on_event(Event::DialOutcome(second), now);
        let actions = call.on_event(Event::DialOutcome(third), now);
        (actions, texts(&call)[7].to_owned())
    };
    let (actions, line) = outcomes(Outcome::Unavailable, Outcome::Busy, Outcome::Failed);
    assert_eq!(
        actions,
        [Action::Hangup {
            cause: "busy".into()
        }]
    );
    assert_eq!(line, "ring group team: busy → bye");
    let (actions, line) = outcomes(Outcome::Unavailable, Outcome::Failed, Outcome::Unavailable);
    assert_eq!(actions, [dial("101")]);
    assert_eq!(line, "ring group team: unavailable → operator (default)");
}

#[test]
fn an_answer_ends_the_flow_and_in_order_starts_at_the_first_again() {
    let now = at(MORNING);
    let flows = Arc::new(flows_from(&group("in_order")).unwrap());
    let (mut call, _) = CallFlow::start(flows.clone(), "r", now, BTreeMap::new());
    call.on_event(Event::DialOutcome(Outcome::NoAnswer), now);
    assert!(call
        .on_event(Event::DialOutcome(Outcome::Answered), now)
        .is_empty());
    assert!(call.is_finished());
    assert_eq!(
        call.trace().last().unwrap().text,
        "ring group team: 104 answered"
    );
    assert_eq!(flows.ring_memory().last_answered("r/team"), None);
    let (_, actions) = CallFlow::start(flows, "r", now, BTreeMap::new());
    assert_eq!(actions, [ring("103")]);
}

#[test]
fn round_robin_starts_after_the_member_who_answered_last() {
    let now = at(MORNING);
    let flows = Arc::new(flows_from(&group("round_robin")).unwrap());
    let start = || CallFlow::start(flows.clone(), "r", now, BTreeMap::new());

    // The first call starts at the top; 104 answers.
    let (mut call, actions) = start();
    assert_eq!(actions, [ring("103")]);
    assert_eq!(
        call.on_event(Event::DialOutcome(Outcome::NoAnswer), now),
        [ring("104")]
    );
    call.on_event(Event::DialOutcome(Outcome::Answered), now);
    assert_eq!(
        flows.ring_memory().last_answered("r/team").as_deref(),
        Some("104")
    );

    // The next starts at 105 and wraps round to 103, 104.
    let (mut call, actions) = start();
    assert_eq!(actions, [ring("105")]);
    assert_eq!(
        call.on_event(Event::DialOutcome(Outcome::Busy), now),
        [ring("103")]
    );
    assert_eq!(
        call.on_event(Event::DialOutcome(Outcome::Answered), now),
        []
    );
    assert_eq!(
        texts(&call),
        [
            "scenario r",
            "ring group team: round robin from 105 (104 answered last)",
            "ring group team: ring 105 (20 s)",
            "ring group team: 105 busy",
            "ring group team: ring 103 (20 s)",
            "ring group team: 103 answered",
        ]
    );

    // 103 answered last: the order is 104, 105, 103.
    let (_, actions) = start();
    assert_eq!(actions, [ring("104")]);

    // A call nobody answers changes nothing.
    let (mut call, _) = start();
    for _ in 0..3 {
        call.on_event(Event::DialOutcome(Outcome::NoAnswer), now);
    }
    assert_eq!(
        flows.ring_memory().last_answered("r/team").as_deref(),
        Some("103")
    );
}

#[test]
fn the_ring_memory_survives_a_reload_and_forgets_members_who_left() {
    let now = at(MORNING);
    let old = flows_from(&group("round_robin")).unwrap();
    old.ring_memory().record_answer("r/team", "103");
    // The shell builds new flows from the reloaded file and carries the memory over.
    let new = flows_from(&group("round_robin"))
        .unwrap()
        .with_ring_memory(old.ring_memory());
    let (_, actions) = CallFlow::start(Arc::new(new), "r", now, BTreeMap::new());
    assert_eq!(actions, [ring("104")]);
    // Without it, a reload starts at the top.
    let fresh = flows_from(&group("round_robin")).unwrap();
    let (_, actions) = CallFlow::start(Arc::new(fresh), "r", now, BTreeMap::new());
    assert_eq!(actions, [ring("103")]);

    // The member who answered last is no longer in the group: start at the top.
    let memory = RingMemory::new();
    memory.record_answer("r/team", "109");
    let flows = flows_from(&group("round_robin"))
        .unwrap()
        .with_ring_memory(memory.clone());
    let (call, actions) = CallFlow::start(Arc::new(flows), "r", now, BTreeMap::new());
    assert_eq!(actions, [ring("103")]);
    assert_eq!(texts(&call)[1], "ring group team: ring 103 (20 s)");
    memory.clear();
    assert_eq!(memory.last_answered("r/team"), None);
}

#[test]
fn events_that_are_not_dial_outcomes_do_not_move_the_group() {
    let now = at(MORNING);
    let (mut call, _) = call_in(&group("in_order"), "r", now);
    for event in [
        Event::HookOutcome(Outcome::NoAnswer),
        Event::TimerFired,
        Event::Digit('1'),
        Event::PlayFinished(1),
    ] {
        assert!(call.on_event(event, now).is_empty());
    }
    assert_eq!(
        call.on_event(Event::DialOutcome(Outcome::NoAnswer), now),
        [ring("104")]
    );
    assert!(call.on_event(Event::CallerHungUp, now).is_empty());
    assert!(call.is_finished());
}

#[test]
fn a_ring_group_reads_with_its_defaults() {
    let step: RingGroupStep = toml::from_str("members = [\"103\"]").unwrap();
    assert_eq!(step.strategy, RingStrategy::All);
    assert_eq!(step.member_timeout, DEFAULT_RING_TIMEOUT);
    let bad = toml::from_str::<RingGroupStep>("members = []\nstrategy = \"random\"");
    assert!(bad.unwrap_err().to_string().contains("random"));
    let written = toml::to_string(&StepConfig::RingGroup(RingGroupStep {
        strategy: RingStrategy::RoundRobin,
        ..step
    }))
    .unwrap();
    assert!(written.contains("kind = \"ring_group\""), "{written}");
    assert!(written.contains("strategy = \"round_robin\""), "{written}");
}

#[test]
fn an_empty_group_built_without_validation_goes_to_the_default() {
    let mut flows = flows_from(&group("in_order")).unwrap();
    let scenario = flows.scenarios.get_mut("r").unwrap();
    let Some(StepConfig::RingGroup(team)) = scenario.steps.get_mut("team") else {
        panic!()
    };
    team.members.clear();
    let (call, actions) = CallFlow::start(Arc::new(flows), "r", at(MORNING), BTreeMap::new());
    assert_eq!(actions, [dial("101")]);
    assert_eq!(
        texts(&call)[1],
        "ring group team: no members → operator (default)"
    );
}
