//! The other step kinds, every outcome, and events that do not fit.

use super::*;

const DIALS: &str = r#"
    [scenario.d]
    entry = "try"
    default = "operator"
    [scenario.d.steps.try]
    kind = "dial"
    extension = "104"
    timeout = 20
    on = { busy = "busy", unavailable = "mail" }
    next = "other"
    [scenario.d.steps.busy]
    kind = "hangup"
    cause = "busy"
    [scenario.d.steps.mail]
    kind = "voicemail"
    box = "104"
    [scenario.d.steps.other]
    kind = "queue"
    queue = "sales"
    [scenario.d.steps.operator]
    kind = "dial"
    extension = "101"
"#;

#[test]
fn each_dial_outcome_goes_where_it_is_mapped() {
    let now = at(MORNING);
    let (mut call, actions) = call_in(DIALS, "d", now);
    assert_eq!(actions, [dial_for(&[ext("104")], 20)]);
    assert!(call
        .on_event(Event::DialOutcome(Outcome::Answered), now)
        .is_empty());
    assert!(call.is_finished());
    assert_eq!(
        texts(&call),
        ["scenario d", "dial 104 (20 s)", "dial 104: answered"]
    );

    let cases = [
        (
            Outcome::Busy,
            vec![Action::Hangup {
                cause: "busy".into(),
            }],
            "dial 104: busy → busy",
        ),
        (
            Outcome::Unavailable,
            vec![
                Action::Answer,
                Action::Voicemail {
                    mailbox: "104".into(),
                },
            ],
            "dial 104: unavailable → mail",
        ),
        (
            Outcome::NoAnswer,
            vec![queue("sales")],
            "dial 104: no answer after 20 s → other",
        ),
        (
            Outcome::Failed,
            vec![queue("sales")],
            "dial 104: failed → other",
        ),
    ];
    for (outcome, expected, line) in cases {
        let (mut call, _) = call_in(DIALS, "d", now);
        assert_eq!(
            call.on_event(Event::DialOutcome(outcome), now),
            expected,
            "{outcome}"
        );
        assert_eq!(texts(&call)[2], line);
    }
}

#[test]
fn an_outcome_the_default_step_cannot_route_hangs_up_with_a_reason() {
    let now = at(MORNING);
    let (mut call, _) = call_in(DIALS, "d", now);
    call.on_event(Event::DialOutcome(Outcome::Failed), now);
    call.on_event(Event::HookOutcome(Outcome::Timeout), now);
    assert_eq!(
        call.on_event(Event::DialOutcome(Outcome::Busy), now),
        [Action::Hangup {
            cause: "unrouted".into()
        }]
    );
    assert!(call.is_finished());
    assert_eq!(
        texts(&call)[3..],
        [
            "queue sales",
            "queue sales: timeout → operator (default)",
            "dial 101 (15 s)",
            "dial 101: busy at the default step; hanging up (unrouted)",
        ]
    );
}

const STEPS: &str = r#"
    [scenario.a]
    entry = "hours"
    default = "bye"
    [scenario.a.steps.hours]
    kind = "schedule"
    schedule = "main"
    day = "mark"
    [scenario.a.steps.mark]
    kind = "set"
    attribute = "vip"
    value = "yes"
    next = "jump"
    [scenario.a.steps.jump]
    kind = "goto"
    scenario = "b"
    [scenario.a.steps.bye]
    kind = "hangup"

    [scenario.b]
    entry = "hello"
    default = "closed"
    [scenario.b.steps.hello]
    kind = "play"
    prompts = ["hello", "wait"]
    [scenario.b.steps.closed]
    kind = "hangup"
    cause = "closed"
"#;

#[test]
fn set_goto_play_and_hangup_and_a_mode_left_out() {
    let now = at(MORNING);
    let attrs = BTreeMap::from([("caller".to_owned(), "+74951234567".to_owned())]);
    let flows = Arc::new(flows_from(STEPS).unwrap());
    let (mut call, actions) = CallFlow::start(flows.clone(), "a", now, attrs);
    assert_eq!(
        actions,
        [
            Action::SetAttribute {
                name: "vip".into(),
                value: "yes".into()
            },
            Action::Answer,
            play(&["hello", "wait"], 1),
        ]
    );
    assert_eq!(call.scenario(), "b");
    assert_eq!(call.attributes()["vip"], "yes");
    assert_eq!(call.attributes()["caller"], "+74951234567");
    // `play` without `next` goes to the default of the scenario it is in now.
    assert_eq!(
        call.on_event(Event::PlayFinished(1), now),
        [Action::Hangup {
            cause: "closed".into()
        }]
    );
    assert_eq!(
        texts(&call),
        [
            "scenario a",
            "schedule: day (10:05 Europe/Moscow, Mon) → mark",
            "set vip = yes",
            "goto scenario b → hello",
            "play hello, wait",
            "play: done → closed (default)",
            "hangup: closed",
        ]
    );
    // At night the schedule step has no branch: the default.
    let (call, actions) = CallFlow::start(flows, "a", at(NIGHT), BTreeMap::new());
    assert_eq!(
        actions,
        [Action::Hangup {
            cause: "normal".into()
        }]
    );
    assert_eq!(
        texts(&call)[1],
        "schedule: night (19:30 Europe/Moscow, Mon) → bye (default)"
    );
}

#[test]
fn the_caller_hanging_up_ends_the_flow_and_later_events_do_nothing() {
    let now = at(MORNING);
    let mut call = at_the_menu(now);
    assert!(call.on_event(Event::CallerHungUp, now).is_empty());
    assert!(call.is_finished());
    assert!(call.on_event(Event::Digit('2'), now).is_empty());
    assert!(call.on_event(Event::TimerFired, now + secs(60)).is_empty());
    assert_eq!(call.trace().last().unwrap().text, "caller hung up");
}

#[test]
fn events_that_do_not_fit_the_step_are_ignored() {
    let now = at(MORNING);
    let (mut call, _) = demo_call(now);
    // Playing the greeting: digits, timers, outcomes and other playbacks change nothing.
    for event in [
        Event::Digit('1'),
        Event::TimerFired,
        Event::DialOutcome(Outcome::Answered),
        Event::HookOutcome(Outcome::Answered),
        Event::PlayFinished(7),
    ] {
        assert!(call.on_event(event, now).is_empty());
    }
    assert_eq!(call.step(), "greeting");
    assert_eq!(
        call.on_event(Event::PlayFinished(1), now),
        [Action::Responsible {
            timeout: std::time::Duration::from_secs(15),
            mobile: false
        }]
    );
    // Waiting for the hook: a dial outcome is not its outcome.
    assert!(call
        .on_event(Event::DialOutcome(Outcome::NotFound), now)
        .is_empty());
    assert!(!call.is_finished());
}

#[test]
fn an_unknown_scenario_hangs_up_rather_than_leave_silence() {
    let now = at(MORNING);
    let (call, actions) = CallFlow::start(Arc::new(demo_flows()), "nope", now, BTreeMap::new());
    assert_eq!(
        actions,
        [Action::Hangup {
            cause: "no_route".into()
        }]
    );
    assert!(call.is_finished());
    assert_eq!(
        texts(&call),
        ["no scenario \"nope\"; hanging up (no_route)"]
    );
}

#[test]
fn the_engine_guards_against_loops_validation_would_refuse() {
    let spin: ScenarioConfig = toml::from_str(
        r#"
        entry = "a"
        default = "a"
        [steps.a]
        kind = "set"
        attribute = "x"
        value = "1"
    "#,
    )
    .unwrap();
    // Built directly, skipping `Flows::new`, which refuses this.
    let flows = Flows {
        scenarios: BTreeMap::from([("spin".to_owned(), spin)]),
        schedules: BTreeMap::new(),
        overrides: BTreeMap::new(),
        extensions: demo_extensions(),
        ring_memory: RingMemory::new(),
    };
    let (call, actions) = CallFlow::start(Arc::new(flows), "spin", at(MORNING), BTreeMap::new());
    // `set` without `next` at the default step itself: hung up, not spun.
    assert_eq!(
        actions.last(),
        Some(&Action::Hangup {
            cause: "unrouted".into()
        })
    );
    assert!(call.is_finished());

    let two: ScenarioConfig = toml::from_str(
        r#"
        entry = "a"
        default = "b"
        [steps.a]
        kind = "set"
        attribute = "x"
        value = "1"
        next = "b"
        [steps.b]
        kind = "set"
        attribute = "y"
        value = "2"
        next = "a"
    "#,
    )
    .unwrap();
    let flows = Flows {
        scenarios: BTreeMap::from([("two".to_owned(), two)]),
        schedules: BTreeMap::new(),
        overrides: BTreeMap::new(),
        extensions: demo_extensions(),
        ring_memory: RingMemory::new(),
    };
    let (call, actions) = CallFlow::start(Arc::new(flows), "two", at(MORNING), BTreeMap::new());
    assert_eq!(actions.len(), 65);
    assert_eq!(
        actions.last(),
        Some(&Action::Hangup {
            cause: "loop".into()
        })
    );
    assert!(call.is_finished());
}
