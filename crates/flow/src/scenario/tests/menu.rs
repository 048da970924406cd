//! Menus: keys, barge-in, direct extension dialling, retries and fallbacks.

use super::*;

#[test]
fn menu_digits_select_queues_and_the_operator() {
    let now = at(MORNING);
    // `2` and `0` start no extension number: they act at once and stop the prompt.
    for (digit, expected) in [('2', queue("support")), ('0', dial("101"))] {
        let mut call = at_the_menu(now);
        assert_eq!(
            call.on_event(Event::Digit(digit), now + secs(1)),
            [Action::StopPlay { id: 2 }, expected]
        );
    }
    let mut call = at_the_menu(now);
    call.on_event(Event::Digit('2'), now);
    assert_eq!(
        texts(&call)[6..],
        ["menu: digit 2 → support", "queue support"]
    );
}

#[test]
fn a_menu_key_that_starts_an_extension_waits_for_the_next_digit() {
    let now = at(MORNING);
    let mut call = at_the_menu(now);
    let digit_at = now + secs(2);
    assert_eq!(
        call.on_event(Event::Digit('1'), digit_at),
        [
            Action::StopPlay { id: 2 },
            Action::SetTimer {
                at: digit_at + secs(3)
            }
        ]
    );
    // An early or stale timer changes nothing.
    assert!(call
        .on_event(Event::TimerFired, digit_at + secs(2))
        .is_empty());
    assert_eq!(
        call.on_event(Event::TimerFired, digit_at + secs(3)),
        [queue("sales")]
    );
    assert_eq!(call.trace().last().unwrap().text, "queue sales");
}

#[test]
fn an_extension_number_dialled_during_the_menu_rings_it() {
    let now = at(MORNING);
    let mut call = at_the_menu(now);
    call.on_event(Event::Digit('1'), now);
    assert_eq!(
        call.on_event(Event::Digit('0'), now + secs(1)),
        [Action::SetTimer { at: now + secs(4) }]
    );
    assert_eq!(
        call.on_event(Event::Digit('4'), now + secs(2)),
        [dial("104")]
    );
    // The old timer fires into a dial: ignored.
    assert!(call.on_event(Event::TimerFired, now + secs(4)).is_empty());
    // 104 does not answer: the default, Anna.
    assert_eq!(
        call.on_event(Event::DialOutcome(Outcome::NoAnswer), now + secs(17)),
        [dial("101")]
    );
    assert_eq!(
        texts(&call)[6..],
        [
            "menu: extension 104 dialled",
            "dial 104 (15 s)",
            "dial 104: no answer after 15 s → operator (default)",
            "dial 101 (15 s)",
        ]
    );
}

#[test]
fn direct_dialling_works_after_the_prompt_too() {
    let now = at(MORNING);
    let mut call = at_the_menu(now);
    let end = now + secs(6);
    assert_eq!(
        call.on_event(Event::PlayFinished(2), end),
        [Action::SetTimer { at: end + secs(5) }]
    );
    for (i, digit) in ['1', '0'].into_iter().enumerate() {
        call.on_event(Event::Digit(digit), end + secs(i as i64 + 1));
    }
    // The no-input deadline has been replaced by the inter-digit one.
    assert!(call.on_event(Event::TimerFired, end + secs(4)).is_empty());
    assert_eq!(
        call.on_event(Event::Digit('9'), end + secs(4)),
        [dial("109")]
    );
}

#[test]
fn invalid_input_replays_the_menu_then_goes_to_the_fallback() {
    let now = at(MORNING);
    let mut call = at_the_menu(now);
    // `5` starts no extension and is no key: invalid at once.
    assert_eq!(
        call.on_event(Event::Digit('5'), now),
        [
            Action::StopPlay { id: 2 },
            play(&["invalid-choice", "menu-default"], 3)
        ]
    );
    // `10` is a partial extension number: invalid when the inter-digit wait runs out.
    call.on_event(Event::Digit('1'), now + secs(1));
    call.on_event(Event::Digit('0'), now + secs(2));
    assert_eq!(
        call.on_event(Event::TimerFired, now + secs(5)),
        [dial("101")]
    );
    assert_eq!(
        texts(&call)[6..],
        [
            "menu: invalid input \"5\" (1 of 1)",
            "menu: invalid input \"10\", no retries left → operator",
            "dial 101 (15 s)",
        ]
    );
}

#[test]
fn no_input_replays_the_menu_then_goes_to_the_fallback() {
    let now = at(MORNING);
    let mut call = at_the_menu(now);
    call.on_event(Event::PlayFinished(2), now + secs(6));
    assert_eq!(
        call.on_event(Event::TimerFired, now + secs(11)),
        [play(&["menu-default"], 3)]
    );
    assert_eq!(
        call.on_event(Event::PlayFinished(3), now + secs(17)),
        [Action::SetTimer { at: now + secs(22) }]
    );
    assert_eq!(
        call.on_event(Event::TimerFired, now + secs(22)),
        [dial("101")]
    );
    assert_eq!(
        texts(&call)[6..],
        [
            "menu: timeout (1 of 1)",
            "menu: timeout, no retries left → operator",
            "dial 101 (15 s)",
        ]
    );
}

const PLAIN_MENU: &str = r##"
    [scenario.m]
    entry = "menu"
    default = "operator"
    [scenario.m.steps.menu]
    kind = "menu"
    prompts = ["menu"]
    digits = { 1 = "sales", "#" = "operator" }
    timeout = 4
    retries = 2
    timeout_prompts = ["no-choice"]
    invalid_prompts = ["invalid"]
    [scenario.m.steps.sales]
    kind = "queue"
    queue = "sales"
    [scenario.m.steps.operator]
    kind = "dial"
    extension = "101"
"##;

#[test]
fn without_direct_dial_every_key_acts_at_once() {
    let now = at(MORNING);
    let (mut call, actions) = call_in(PLAIN_MENU, "m", now);
    assert_eq!(actions, [Action::Answer, play(&["menu"], 1)]);
    // `1` starts extension numbers, but direct dialling is off: sales at once.
    assert_eq!(
        call.on_event(Event::Digit('1'), now),
        [Action::StopPlay { id: 1 }, queue("sales")]
    );
    let (mut call, _) = call_in(PLAIN_MENU, "m", now);
    assert_eq!(
        call.on_event(Event::Digit('#'), now),
        [Action::StopPlay { id: 1 }, dial("101")]
    );
}

#[test]
fn retries_count_timeouts_and_invalid_input_together_and_use_their_prompts() {
    let now = at(MORNING);
    let (mut call, _) = call_in(PLAIN_MENU, "m", now);
    call.on_event(Event::PlayFinished(1), now);
    assert_eq!(
        call.on_event(Event::TimerFired, now + secs(4)),
        [play(&["no-choice", "menu"], 2)]
    );
    assert_eq!(
        call.on_event(Event::Digit('7'), now + secs(5)),
        [Action::StopPlay { id: 2 }, play(&["invalid", "menu"], 3)]
    );
    // No fallback: the third failure goes to the default.
    assert_eq!(
        call.on_event(Event::Digit('1'), now + secs(6))[1],
        queue("sales"),
        "a good key still works on a retry"
    );
    let (mut call, _) = call_in(PLAIN_MENU, "m", now);
    for (i, digit) in ['7', '8', '9'].into_iter().enumerate() {
        call.on_event(Event::Digit(digit), now + secs(i as i64));
    }
    assert_eq!(
        texts(&call)[2..],
        [
            "menu: invalid input \"7\" (1 of 2)",
            "menu: invalid input \"8\" (2 of 2)",
            "menu: invalid input \"9\", no retries left → operator (default)",
            "dial 101 (15 s)",
        ]
    );
}

#[test]
fn an_extension_that_also_starts_a_longer_one_rings_when_the_caller_stops() {
    let flows = Flows::new(
        BTreeMap::from([("main".to_owned(), demo_main_scenario())]),
        BTreeMap::from([("main".to_owned(), demo_schedule())]),
        ["10", "101", "104"].map(|n| (n.to_owned(), None)).into(),
    )
    .unwrap();
    let now = at(MORNING);
    let (mut call, _) = CallFlow::start(Arc::new(flows), "main", now, BTreeMap::new());
    call.on_event(Event::PlayFinished(1), now);
    call.on_event(Event::HookOutcome(Outcome::NotFound), now);
    call.on_event(Event::Digit('1'), now);
    assert_eq!(
        call.on_event(Event::Digit('0'), now + secs(1)),
        [Action::SetTimer { at: now + secs(4) }]
    );
    assert_eq!(
        call.on_event(Event::TimerFired, now + secs(4)),
        [dial("10")]
    );
}
