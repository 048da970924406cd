//! Scenario `main` of the demo office, branch by branch, and the trace of a whole call.

use super::*;

#[test]
fn working_hours_greet_by_time_of_day_then_ask_for_the_manager() {
    let cases = [
        (MORNING, "greeting-morning"),
        ("2026-11-23T11:30:00+03:00", "greeting-day"),
        ("2026-11-23T17:30:00+03:00", "greeting-evening"),
    ];
    for (time, greeting) in cases {
        let now = at(time);
        let (mut call, actions) = demo_call(now);
        assert_eq!(actions, [Action::Answer, play(&[greeting], 1)], "{time}");
        assert_eq!(
            call.on_event(Event::PlayFinished(1), now),
            [Action::Responsible {
                timeout: std::time::Duration::from_secs(15),
                mobile: false
            }]
        );
        assert!(call
            .on_event(Event::HookOutcome(Outcome::Answered), now)
            .is_empty());
        assert!(call.is_finished());
        assert_eq!(call.trace().last().unwrap().text, "responsible: answered");
    }
}

#[test]
fn lunch_announces_then_the_sales_queue_then_anna_then_voicemail() {
    let now = at(LUNCH);
    let (mut call, actions) = demo_call(now);
    assert_eq!(actions, [Action::Answer, play(&["lunch"], 1)]);
    assert_eq!(
        call.on_event(Event::PlayFinished(1), now + secs(4)),
        [queue("sales")]
    );
    let later = now + secs(64);
    assert_eq!(
        call.on_event(Event::HookOutcome(Outcome::NoAnswer), later),
        [dial("101")]
    );
    assert_eq!(
        call.on_event(Event::DialOutcome(Outcome::NoAnswer), later + secs(15)),
        [Action::Voicemail {
            mailbox: "general".into()
        }]
    );
    assert!(call.is_finished());
    assert_eq!(
        texts(&call),
        [
            "scenario main",
            "schedule: lunch (13:05 Europe/Moscow, Mon) → lunch",
            "play lunch",
            "queue sales",
            "queue sales: no answer → operator (default)",
            "dial 101 (15 s)",
            "dial 101: no answer after 15 s → voicemail",
            "voicemail general",
        ]
    );
}

#[test]
fn night_and_holidays_play_the_night_greeting_then_voicemail() {
    for (time, reason) in [
        (NIGHT, "schedule: night (19:30 Europe/Moscow, Mon) → night"),
        (
            "2027-01-01T10:00:00+03:00",
            "schedule: holiday \"New Year holidays\" (2027-01-01 Europe/Moscow) → night",
        ),
    ] {
        let now = at(time);
        let (mut call, actions) = demo_call(now);
        assert_eq!(actions, [Action::Answer, play(&["night"], 1)]);
        assert_eq!(
            call.on_event(Event::PlayFinished(1), now),
            [Action::Voicemail {
                mailbox: "general".into()
            }]
        );
        assert_eq!(
            texts(&call),
            ["scenario main", reason, "play night", "voicemail general"]
        );
        assert!(call.is_finished());
    }
}

#[test]
fn a_manual_override_changes_the_branch() {
    let mut flows = demo_flows();
    flows.set_override(
        "main",
        Some(Override {
            mode: Mode::Night,
            until: None,
            set_by: "101".into(),
        }),
    );
    let now = at(MORNING);
    let (call, actions) = CallFlow::start(Arc::new(flows.clone()), "main", now, BTreeMap::new());
    assert_eq!(actions, [Action::Answer, play(&["night"], 1)]);
    assert!(
        texts(&call)[1].starts_with("schedule: override night by 101"),
        "{:?}",
        texts(&call)
    );
    flows.set_override("main", None);
    let (_, actions) = CallFlow::start(Arc::new(flows), "main", now, BTreeMap::new());
    assert_eq!(actions, [Action::Answer, play(&["greeting-morning"], 1)]);
}

#[test]
fn a_failed_hook_returns_the_call_to_the_scenario() {
    // The manager busy, not answering or not registered: back to the menu, like a caller
    // nobody is responsible for.
    for outcome in [
        Outcome::Failed,
        Outcome::Busy,
        Outcome::NoAnswer,
        Outcome::Unavailable,
        Outcome::Timeout,
    ] {
        let now = at(MORNING);
        let (mut call, _) = demo_call(now);
        call.on_event(Event::PlayFinished(1), now);
        assert_eq!(
            call.on_event(Event::HookOutcome(outcome), now),
            [play(&["menu-default"], 2)]
        );
        assert_eq!(texts(&call)[4], format!("responsible: {outcome} → menu"));
    }
}

#[test]
fn the_trace_of_a_whole_call() {
    let now = at(MORNING);
    let mut call = at_the_menu(now);
    call.on_event(Event::PlayFinished(2), now + secs(8));
    call.on_event(Event::TimerFired, now + secs(13));
    call.on_event(Event::Digit('2'), now + secs(15));
    call.on_event(Event::HookOutcome(Outcome::Answered), now + secs(40));
    let lines: Vec<String> = call
        .trace()
        .iter()
        .map(|entry| {
            let time = entry
                .at
                .with_timezone(&chrono_tz::Europe::Moscow)
                .format("%H:%M:%S");
            format!("{time} [{}] {}", entry.step, entry.text)
        })
        .collect();
    assert_eq!(
        lines,
        [
            "10:05:00 [] scenario main",
            "10:05:00 [hours] schedule: day (10:05 Europe/Moscow, Mon) → greeting",
            "10:05:00 [greeting] play greeting-morning",
            "10:05:00 [manager] responsible manager lookup",
            "10:05:00 [manager] responsible: not found → menu",
            "10:05:00 [menu] menu menu-default",
            "10:05:13 [menu] menu: timeout (1 of 1)",
            "10:05:15 [menu] menu: digit 2 → support",
            "10:05:15 [support] queue support",
            "10:05:40 [support] queue support: answered",
        ]
    );
}
