//! The queue step's ways out that the caller chooses: exit keys and the callback.

use super::*;

const QUEUE: &str = r##"
    [scenario.q]
    entry = "wait"
    default = "bye"
    [scenario.q.steps.wait]
    kind = "queue"
    queue = "sales"
    exit_keys = { 0 = "operator", "#" = "mail" }
    on = { timeout = "mail" }
    [scenario.q.steps.operator]
    kind = "dial"
    extension = "101"
    [scenario.q.steps.mail]
    kind = "voicemail"
    box = "sales"
    [scenario.q.steps.bye]
    kind = "hangup"
"##;

#[test]
fn the_queue_is_told_the_exit_keys_and_a_key_leads_to_its_step() {
    let now = at(MORNING);
    let (mut call, actions) = call_in(QUEUE, "q", now);
    assert_eq!(
        actions,
        [Action::Queue {
            name: "sales".into(),
            exit_keys: [('#', "mail".to_owned()), ('0', "operator".to_owned())].into(),
        }]
    );
    assert_eq!(
        call.on_event(Event::QueueExitKey('0'), now + secs(20)),
        [dial("101")]
    );
    assert_eq!(
        texts(&call),
        [
            "scenario q",
            "queue sales",
            "queue sales: key 0 → operator",
            "dial 101 (15 s)"
        ]
    );

    let (mut call, _) = call_in(QUEUE, "q", now);
    assert_eq!(
        call.on_event(Event::QueueExitKey('#'), now),
        [
            Action::Answer,
            Action::Voicemail {
                mailbox: "sales".into()
            }
        ]
    );
}

#[test]
fn a_key_the_step_does_not_list_is_invalid_input() {
    let now = at(MORNING);
    let (mut call, _) = call_in(QUEUE, "q", now);
    assert_eq!(
        call.on_event(Event::QueueExitKey('5'), now),
        [Action::Hangup {
            cause: "normal".into()
        }]
    );
    assert_eq!(
        texts(&call)[2],
        "queue sales: key 5 (no exit key) → bye (default)"
    );
}

#[test]
fn a_callback_ends_the_flow_and_says_so_in_the_trace() {
    let now = at(MORNING);
    let (mut call, _) = call_in(QUEUE, "q", now);
    let number = "79161234567".to_owned();
    assert!(call
        .on_event(Event::QueueCallback { number }, now)
        .is_empty());
    assert!(call.is_finished(), "the queue has the caller now");
    assert_eq!(
        texts(&call)[2],
        "queue sales: callback to 79161234567 requested, place kept"
    );
    // Nothing routes the call any more: not the queue's outcome, not a key.
    assert!(call
        .on_event(Event::HookOutcome(Outcome::Timeout), now)
        .is_empty());
    assert!(call.on_event(Event::QueueExitKey('0'), now).is_empty());
}

#[test]
fn queue_events_outside_a_queue_step_are_ignored() {
    let now = at(MORNING);
    let (mut call, _) = call_in(DIAL_FIRST, "d", now);
    assert!(call.on_event(Event::QueueExitKey('0'), now).is_empty());
    let number = "79161234567".to_owned();
    assert!(call
        .on_event(Event::QueueCallback { number }, now)
        .is_empty());
    assert_eq!(texts(&call), ["scenario d", "dial 104 (15 s)"]);
}

const DIAL_FIRST: &str = r#"
    [scenario.d]
    entry = "try"
    default = "try"
    [scenario.d.steps.try]
    kind = "dial"
    extension = "104"
"#;

#[test]
fn exit_keys_are_checked_with_their_key_paths() {
    let found = errors(
        r#"
        [scenario.x]
        entry = "q"
        default = "bye"
        [scenario.x.steps.q]
        kind = "queue"
        queue = "sales"
        exit_keys = { 10 = "bye", a = "bye", 0 = "nowhere", 9 = "only_by_key" }
        [scenario.x.steps.only_by_key]
        kind = "hangup"
        [scenario.x.steps.bye]
        kind = "hangup"
    "#,
    );
    assert_eq!(
        found,
        [
            "scenario.x.steps.q.exit_keys.0: no step \"nowhere\"",
            "scenario.x.steps.q.exit_keys.10: \"10\" is not one DTMF key (0-9, *, #)",
            "scenario.x.steps.q.exit_keys.a: \"a\" is not one DTMF key (0-9, *, #)",
        ],
        "a step reached only by an exit key is reachable"
    );
}
