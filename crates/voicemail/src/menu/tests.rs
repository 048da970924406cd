//! The menu with fixed instants: every branch, driven like the shell drives it.

use std::collections::BTreeSet;

use chrono::{NaiveDate, TimeDelta};
use proptest::prelude::*;

use super::*;
use crate::caller_greeting;
use crate::greeting::VoicemailReason;
use crate::say::PROMPTS;

fn t0() -> DateTime<Utc> {
    "2026-11-23T07:00:00Z".parse().unwrap()
}

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 23).unwrap()
}

fn local(text: &str) -> NaiveDateTime {
    NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M").unwrap()
}

fn message(id: i64, number: &str, received: &str, folder: Folder) -> MessageInfo {
    MessageInfo {
        id,
        caller_number: number.to_owned(),
        caller_name: None,
        received_at: local(received),
        duration: Duration::from_secs(20),
        folder,
    }
}

/// Three new messages (given newest first, played oldest first) and one saved.
fn box_messages() -> Vec<MessageInfo> {
    vec![
        message(11, "+7 916 123-45-67", "2026-11-23 14:05", Folder::New),
        message(12, "101", "2026-11-22 09:30", Folder::New),
        message(13, "", "2026-03-03 18:00", Folder::New),
        message(21, "+74951112233", "2026-11-20 08:00", Folder::Saved),
    ]
}

fn setup(pin: Option<&str>, messages: Vec<MessageInfo>) -> MenuSetup {
    MenuSetup {
        mailbox: "101".to_owned(),
        pin: pin.map(str::to_owned),
        max_pin_attempts: 3,
        messages,
        greetings: Greetings::default(),
        today: today(),
    }
}

fn p(name: &'static str) -> Say {
    Say::Prompt(name)
}

fn ps(names: &[&'static str]) -> Vec<Say> {
    names.iter().map(|&name| p(name)).collect()
}

fn play(id: u32, items: Vec<Say>) -> Action {
    Action::Play { id, items }
}

/// A call as the shell drives it: the clock, and the playback to report done.
struct Call {
    menu: Menu,
    now: DateTime<Utc>,
    play: Option<u32>,
}

impl Call {
    fn start(setup: MenuSetup) -> (Call, Vec<Action>) {
        let (menu, actions) = Menu::new(setup);
        let mut call = Call {
            menu,
            now: t0(),
            play: None,
        };
        call.track(&actions);
        (call, actions)
    }

    /// A call past the counts, waiting at the main menu.
    fn at_main_menu(messages: Vec<MessageInfo>) -> Call {
        let (mut call, _) = Call::start(setup(None, messages));
        call.done();
        call
    }

    /// At the main menu of `box_messages()`, `1` pressed: the oldest new message (13)
    /// plays, as playback 2.
    fn at_first_new_message() -> Call {
        let mut call = Call::at_main_menu(box_messages());
        call.key('1');
        call
    }

    /// Three silences each repeat `menu` (as the shell reports each playback done), and the
    /// fourth says goodbye.
    fn assert_silences_then_goodbye(&mut self, menu: Vec<Say>) {
        for _ in 0..3 {
            assert_eq!(said(&self.wait(6)), menu);
            self.done();
        }
        assert_eq!(said(&self.wait(6)), ps(&["vm-goodbye"]));
    }

    fn track(&mut self, actions: &[Action]) {
        for action in actions {
            if let Action::Play { id, .. } = action {
                self.play = Some(*id);
            }
        }
    }

    fn send(&mut self, event: Event) -> Vec<Action> {
        let actions = self.menu.handle(event, self.now);
        self.track(&actions);
        actions
    }

    /// The last playback ends.
    fn done(&mut self) -> Vec<Action> {
        let id = self.play.expect("something was played");
        self.send(Event::PlayDone(id))
    }

    fn key(&mut self, key: char) -> Vec<Action> {
        self.send(Event::Digit(key))
    }

    fn keys(&mut self, keys: &str) -> Vec<Action> {
        let mut actions = Vec::new();
        for key in keys.chars() {
            actions.extend(self.key(key));
        }
        actions
    }

    /// `seconds` pass and the timer fires.
    fn wait(&mut self, seconds: i64) -> Vec<Action> {
        self.now += TimeDelta::seconds(seconds);
        self.send(Event::TimerFired)
    }

    fn timer(&self, seconds: i64) -> Action {
        Action::SetTimer {
            at: self.now + TimeDelta::seconds(seconds),
        }
    }
}

/// What the last playback of `actions` says.
/// What a key answers while playback 2 plays (the first after the main menu): it stops,
/// `acted` is done, and `items` are said as playback 3.
fn cut_short(acted: Option<Action>, items: Vec<Say>) -> Vec<Action> {
    let mut actions = vec![Action::StopPlay { id: 2 }];
    actions.extend(acted);
    actions.push(play(3, items));
    actions
}

fn said(actions: &[Action]) -> Vec<Say> {
    actions
        .iter()
        .rev()
        .find_map(|action| match action {
            Action::Play { items, .. } => Some(items.clone()),
            _ => None,
        })
        .unwrap_or_default()
}

/// What an empty box says once the PIN is right: no messages, then the main menu.
fn empty_box_welcome() -> Vec<Say> {
    vec![Say::MessageCounts { new: 0, saved: 0 }, p("vm-main-menu")]
}

fn main_menu_items() -> Vec<Say> {
    ps(&["vm-main-menu"])
}

// ---- PIN ----

#[test]
fn the_pin_is_asked_then_the_counts_and_the_main_menu() {
    let (mut call, actions) = Call::start(setup(Some("4321"), box_messages()));
    assert_eq!(actions, [play(1, ps(&["vm-enter-pin"]))]);
    assert!(!call.menu.is_finished());
    assert_eq!(call.menu.mailbox(), "101");
    // The prompt ends: the first key is awaited.
    assert_eq!(call.done(), [call.timer(6)]);
    call.now += TimeDelta::seconds(2);
    // Each digit waits for the next.
    assert_eq!(call.key('4'), [call.timer(4)]);
    assert_eq!(call.keys("32"), [call.timer(4), call.timer(4)]);
    assert_eq!(call.key('1'), [call.timer(4)]);
    assert_eq!(
        call.key('#'),
        [play(
            2,
            vec![Say::MessageCounts { new: 3, saved: 1 }, p("vm-main-menu")]
        )]
    );
    assert_eq!(call.done(), [call.timer(6)]);
}

#[test]
fn a_box_without_pin_starts_with_the_counts() {
    let (_, actions) = Call::start(setup(None, box_messages()));
    assert_eq!(
        actions,
        [play(
            1,
            vec![Say::MessageCounts { new: 3, saved: 1 }, p("vm-main-menu")]
        )]
    );
}

#[test]
fn typing_over_the_pin_prompt_stops_it() {
    let (mut call, _) = Call::start(setup(Some("4321"), Vec::new()));
    assert_eq!(call.key('4'), [Action::StopPlay { id: 1 }, call.timer(4)]);
    // The stopped playback's end, if the shell reports it anyway, changes nothing.
    assert_eq!(call.send(Event::PlayDone(1)), []);
    call.keys("321");
    assert_eq!(said(&call.key('#')), empty_box_welcome());
}

#[test]
fn a_pause_ends_the_pin_like_the_pound_key() {
    let (mut call, _) = Call::start(setup(Some("4321"), Vec::new()));
    call.done();
    call.keys("4321");
    // A timer that fires early (an old one) is ignored.
    assert_eq!(call.wait(3), []);
    assert_eq!(said(&call.wait(1)), empty_box_welcome());
}

#[test]
fn a_wrong_pin_is_said_and_asked_again() {
    let (mut call, _) = Call::start(setup(Some("4321"), Vec::new()));
    call.done();
    assert_eq!(
        call.keys("1111#").last(),
        Some(&play(2, ps(&["vm-wrong-pin", "vm-enter-pin"])))
    );
    call.done();
    call.keys("4321");
    assert_eq!(said(&call.key('#')), empty_box_welcome());
}

#[test]
fn three_wrong_pins_say_goodbye_and_hang_up() {
    let (mut call, _) = Call::start(setup(Some("4321"), box_messages()));
    call.keys("1#");
    call.keys("12#");
    // An empty entry counts too.
    assert_eq!(
        call.key('#').last(),
        Some(&play(4, ps(&["vm-wrong-pin", "vm-goodbye"])))
    );
    // Goodbye cannot be interrupted, not even by the right PIN.
    assert_eq!(call.keys("4321#"), []);
    assert_eq!(call.wait(60), []);
    assert!(!call.menu.is_finished());
    assert_eq!(call.done(), [Action::Hangup]);
    assert!(call.menu.is_finished());
    // Over: nothing more happens.
    assert_eq!(call.key('1'), []);
    assert_eq!(call.send(Event::PlayDone(4)), []);
    assert_eq!(call.send(Event::RecordDone { kept: true }), []);
}

#[test]
fn silence_at_the_pin_prompt_counts_as_an_attempt() {
    let (mut call, _) = Call::start(setup(Some("4321"), Vec::new()));
    call.done();
    assert_eq!(call.wait(6), [play(2, ps(&["vm-enter-pin"]))]);
    call.done();
    assert_eq!(call.wait(6), [play(3, ps(&["vm-enter-pin"]))]);
    call.done();
    assert_eq!(call.wait(6), [play(4, ps(&["vm-goodbye"]))]);
    assert_eq!(call.done(), [Action::Hangup]);
}

#[test]
fn at_least_one_pin_attempt_is_allowed() {
    let mut config = setup(Some("4321"), Vec::new());
    config.max_pin_attempts = 0;
    let (mut call, _) = Call::start(config);
    assert_eq!(said(&call.keys("4321#")), empty_box_welcome());
    let mut config = setup(Some("4321"), Vec::new());
    config.max_pin_attempts = 0;
    let (mut call, _) = Call::start(config);
    assert_eq!(said(&call.keys("9#")), ps(&["vm-wrong-pin", "vm-goodbye"]));
}

#[test]
fn a_stuck_key_ends_the_pin_entry() {
    let (mut call, _) = Call::start(setup(Some("4321"), Vec::new()));
    let actions = call.keys(&"1".repeat(MAX_ENTRY));
    assert_eq!(said(&actions), ps(&["vm-wrong-pin", "vm-enter-pin"]));
}

// ---- Main menu ----

#[test]
fn no_key_repeats_the_main_menu_three_times_then_goodbye() {
    let mut call = Call::at_main_menu(box_messages());
    for id in 2..=4 {
        assert_eq!(call.wait(6), [play(id, main_menu_items())]);
        call.done();
    }
    assert_eq!(call.wait(6), [play(5, ps(&["vm-goodbye"]))]);
    assert_eq!(call.done(), [Action::Hangup]);
}

#[test]
fn a_key_resets_the_silence_count() {
    let mut call = Call::at_main_menu(box_messages());
    call.wait(6);
    call.done();
    call.wait(6);
    call.done();
    call.key('5');
    call.done();
    call.assert_silences_then_goodbye(main_menu_items());
}

#[test]
fn an_unknown_key_is_invalid_and_the_menu_plays_again() {
    let mut call = Call::at_main_menu(box_messages());
    for key in ['3', '#', '9', 'A'] {
        assert_eq!(
            said(&call.key(key)),
            ps(&["invalid-choice", "vm-main-menu"]),
            "{key}"
        );
    }
}

#[test]
fn star_exits() {
    let mut call = Call::at_main_menu(box_messages());
    assert_eq!(call.key('*'), [play(2, ps(&["vm-goodbye"]))]);
    assert_eq!(call.done(), [Action::Hangup]);
}

#[test]
fn a_key_during_the_counts_acts_at_once() {
    let (mut call, _) = Call::start(setup(None, box_messages()));
    let actions = call.key('*');
    assert_eq!(
        actions,
        [Action::StopPlay { id: 1 }, play(2, ps(&["vm-goodbye"]))]
    );
}

#[test]
fn an_empty_box_says_so() {
    let (mut call, actions) = Call::start(setup(None, Vec::new()));
    assert_eq!(said(&actions), empty_box_welcome());
    assert_eq!(
        said(&call.key('1')),
        ps(&["vm-you-have", "vm-no-new-messages", "vm-main-menu"])
    );
    assert_eq!(
        said(&call.key('2')),
        ps(&["vm-you-have", "vm-no-saved-messages", "vm-main-menu"])
    );
}

// ---- Messages ----

fn envelope(number: u32, from: Vec<Say>, hour: u32, minute: u32, day: Option<Say>) -> Vec<Say> {
    let mut items = vec![p("vm-message"), Say::Number(number)];
    items.extend(from);
    items.extend([p("vm-received-at"), Say::Time { hour, minute }]);
    items.extend(day);
    items
}

fn first_new_message() -> Vec<Say> {
    let mut items = envelope(
        1,
        ps(&["vm-from-unknown"]),
        18,
        0,
        Some(Say::Date { day: 3, month: 3 }),
    );
    items.push(Say::Message(13));
    items
}

fn second_new_message() -> Vec<Say> {
    let from = vec![p("vm-from"), Say::Digits("101".into())];
    let mut items = envelope(2, from, 9, 30, Some(p("vm-yesterday")));
    items.push(Say::Message(12));
    items
}

fn third_new_message() -> Vec<Say> {
    let from = vec![p("vm-from"), Say::Digits("79161234567".into())];
    let mut items = envelope(3, from, 14, 5, None);
    items.push(Say::Message(11));
    items
}

#[test]
fn new_messages_play_oldest_first_with_their_envelopes() {
    let mut call = Call::at_main_menu(box_messages());
    assert_eq!(call.key('1'), [play(2, first_new_message())]);
    // Heard to the end: saved, and the message menu.
    assert_eq!(
        call.done(),
        [Action::MarkSaved(13), play(3, ps(&["vm-message-menu"]))]
    );
    assert_eq!(call.done(), [call.timer(6)]);
    assert_eq!(call.key('#'), [play(4, second_new_message())]);
    call.done();
    assert_eq!(
        call.key('#'),
        [Action::StopPlay { id: 5 }, play(6, third_new_message())]
    );
    call.done();
    assert_eq!(
        call.key('#'),
        [
            Action::StopPlay { id: 7 },
            play(8, ps(&["vm-no-more-messages", "vm-main-menu"]))
        ]
    );
    // All heard: none new, four saved, in date order.
    assert_eq!(
        said(&call.key('1')),
        ps(&["vm-you-have", "vm-no-new-messages", "vm-main-menu"])
    );
    let mut actions = call.key('2');
    let mut heard = Vec::new();
    while let Some(Say::Message(id)) = said(&actions).last().cloned() {
        heard.push(id);
        actions = call.key('#');
    }
    assert_eq!(heard, [13, 21, 12, 11]);
}

#[test]
fn the_saved_folder_lists_heard_messages_by_date() {
    let mut call = Call::at_first_new_message();
    call.done(); // 13 heard
    call.key('*'); // back to the main menu
    let mut heard = Vec::new();
    let mut actions = call.key('2');
    while let Some(Say::Message(id)) = said(&actions).last().cloned() {
        heard.push(id);
        actions = call.key('#');
    }
    // 13 (March) and 21 (20 November); 11 and 12 are still new.
    assert_eq!(heard, [13, 21]);
    assert_eq!(said(&actions), ps(&["vm-no-more-messages", "vm-main-menu"]));
}

#[test]
fn a_key_during_the_envelope_acts_on_the_message() {
    let mut call = Call::at_first_new_message();
    // Skipped before it was heard to the end: acting on it counts as heard.
    assert_eq!(
        call.key('#'),
        cut_short(Some(Action::MarkSaved(13)), second_new_message())
    );
}

#[test]
fn a_message_cut_off_stays_new() {
    let mut call = Call::at_main_menu(box_messages());
    let actions = call.key('1');
    assert!(!actions.iter().any(|a| matches!(a, Action::MarkSaved(_))));
    // The caller hangs up now: the shell drops the menu, and 13 was never marked.
}

#[test]
fn deleting_moves_on_and_is_never_saved() {
    let mut call = Call::at_first_new_message();
    let mut expected = vec![p("vm-deleted")];
    expected.extend(second_new_message());
    assert_eq!(call.key('7'), cut_short(Some(Action::Delete(13)), expected));
    // The other two, heard, then the counts show the deletion.
    call.done();
    call.key('#');
    call.done();
    call.key('*');
    call.key('0');
    call.key('*');
    assert_eq!(
        said(&call.key('1')),
        ps(&["vm-you-have", "vm-no-new-messages", "vm-main-menu"])
    );
    let mut actions = call.key('2');
    let mut heard = Vec::new();
    while let Some(Say::Message(id)) = said(&actions).last().cloned() {
        heard.push(id);
        actions = call.key('#');
    }
    assert_eq!(heard, [21, 12, 11]);
}

#[test]
fn deleting_the_last_message_returns_to_the_main_menu() {
    let mut call = Call::at_main_menu(vec![message(5, "102", "2026-11-23 08:00", Folder::New)]);
    call.key('1');
    call.done();
    call.done();
    assert_eq!(
        call.key('7'),
        [
            Action::Delete(5),
            play(
                4,
                ps(&["vm-deleted", "vm-no-more-messages", "vm-main-menu"])
            )
        ]
    );
    // MarkSaved came first (heard to the end), then the delete: the box is empty.
    assert_eq!(
        said(&call.key('1')),
        ps(&["vm-you-have", "vm-no-new-messages", "vm-main-menu"])
    );
    assert_eq!(
        said(&call.key('2')),
        ps(&["vm-you-have", "vm-no-saved-messages", "vm-main-menu"])
    );
}

#[test]
fn save_marks_a_new_message_and_moves_on() {
    let mut call = Call::at_first_new_message();
    let mut expected = vec![p("vm-saved")];
    expected.extend(second_new_message());
    assert_eq!(
        call.key('9'),
        cut_short(Some(Action::MarkSaved(13)), expected)
    );
    // Heard to the end, then saved: marked once, when heard.
    assert_eq!(
        call.done(),
        [Action::MarkSaved(12), play(4, ps(&["vm-message-menu"]))]
    );
    let mut expected = vec![p("vm-saved")];
    expected.extend(third_new_message());
    assert_eq!(
        call.key('9'),
        [Action::StopPlay { id: 4 }, play(5, expected)]
    );
    call.done();
    call.done();
    assert_eq!(
        call.key('9'),
        [play(
            7,
            ps(&["vm-saved", "vm-no-more-messages", "vm-main-menu"])
        )]
    );
}

#[test]
fn saving_a_saved_message_changes_nothing_stored() {
    let mut call = Call::at_main_menu(box_messages());
    let actions = call.key('2');
    assert_eq!(said(&actions).last(), Some(&Say::Message(21)));
    assert_eq!(
        call.key('9'),
        cut_short(
            None,
            ps(&["vm-saved", "vm-no-more-messages", "vm-main-menu"])
        )
    );
}

#[test]
fn five_replays_the_recording() {
    let mut call = Call::at_first_new_message();
    call.done();
    assert_eq!(
        call.key('5'),
        [Action::StopPlay { id: 3 }, play(4, vec![Say::Message(13)])]
    );
    assert_eq!(call.done(), [play(5, ps(&["vm-message-menu"]))]);
    // Replayed over its own replay, before it was heard: marked then.
    let mut call = Call::at_first_new_message();
    assert_eq!(
        call.key('5'),
        cut_short(Some(Action::MarkSaved(13)), vec![Say::Message(13)])
    );
}

#[test]
fn three_calls_the_caller_back() {
    let mut call = Call::at_main_menu(box_messages());
    call.keys("1#");
    assert_eq!(
        call.key('3'),
        [
            Action::StopPlay { id: 3 },
            Action::MarkSaved(12),
            Action::CallBack {
                number: "101".into()
            }
        ]
    );
    assert!(call.menu.is_finished());
    assert_eq!(call.key('1'), []);
}

#[test]
fn a_withheld_number_cannot_be_called_back() {
    let mut call = Call::at_first_new_message();
    assert_eq!(
        call.key('3'),
        cut_short(None, ps(&["invalid-choice", "vm-message-menu"]))
    );
    assert!(!call.menu.is_finished());
}

#[test]
fn star_returns_to_the_main_menu() {
    let mut call = Call::at_first_new_message();
    call.done();
    assert_eq!(
        call.key('*'),
        [Action::StopPlay { id: 3 }, play(4, main_menu_items())]
    );
}

#[test]
fn an_unknown_key_at_a_message_replays_the_message_menu() {
    let mut call = Call::at_first_new_message();
    let actions = call.key('0');
    assert_eq!(
        actions,
        cut_short(None, ps(&["invalid-choice", "vm-message-menu"]))
    );
    // Not acted on: the message is not marked.
    assert_eq!(call.done(), [call.timer(6)]);
}

#[test]
fn silence_at_the_message_menu_repeats_it_then_goodbye() {
    let mut call = Call::at_first_new_message();
    call.done();
    call.done();
    call.assert_silences_then_goodbye(ps(&["vm-message-menu"]));
}

#[test]
fn dates_are_said_relative_to_today() {
    let messages = vec![
        message(1, "1", "2026-11-23 00:00", Folder::New),
        message(2, "2", "2026-11-22 23:59", Folder::New),
        message(3, "3", "2025-11-23 12:30", Folder::New),
        message(4, "4", "2026-11-24 07:15", Folder::New),
    ];
    let mut call = Call::at_main_menu(messages);
    let mut actions = call.key('1');
    let mut seen = Vec::new();
    while let Some(Say::Message(_)) = said(&actions).last() {
        let items = said(&actions);
        seen.push(items[items.len() - 3..items.len() - 1].to_vec());
        actions = call.key('#');
    }
    assert_eq!(
        seen,
        [
            // A year ago: day and month.
            vec![
                Say::Time {
                    hour: 12,
                    minute: 30
                },
                Say::Date { day: 23, month: 11 }
            ],
            vec![
                Say::Time {
                    hour: 23,
                    minute: 59
                },
                p("vm-yesterday")
            ],
            vec![p("vm-received-at"), Say::Time { hour: 0, minute: 0 }],
            // A clock that was wrong: a date in the future is said as a date.
            vec![
                Say::Time {
                    hour: 7,
                    minute: 15
                },
                Say::Date { day: 24, month: 11 }
            ],
        ]
    );
}

#[test]
fn messages_received_at_the_same_minute_keep_their_id_order() {
    let messages = vec![
        message(9, "1", "2026-11-23 10:00", Folder::New),
        message(3, "2", "2026-11-23 10:00", Folder::New),
    ];
    let mut call = Call::at_main_menu(messages);
    assert_eq!(said(&call.key('1')).last(), Some(&Say::Message(3)));
    assert_eq!(said(&call.key('#')).last(), Some(&Say::Message(9)));
}

// ---- Options ----

fn at_options() -> Call {
    let mut call = Call::at_main_menu(box_messages());
    assert_eq!(said(&call.key('0')), ps(&["vm-options-menu"]));
    call.done();
    call
}

#[test]
fn recording_a_greeting() {
    for (key, what) in [
        ('1', GreetingKind::Unavailable),
        ('2', GreetingKind::Busy),
        ('3', GreetingKind::Name),
    ] {
        let mut call = at_options();
        assert_eq!(
            call.key(key),
            [play(3, vec![p("vm-record-after-tone"), Say::Beep])]
        );
        // The instructions and the tone cannot be interrupted.
        assert_eq!(call.keys("#5*"), []);
        assert_eq!(call.done(), [Action::Record { what }, call.timer(120)]);
        // Digits other than # do not stop the recording.
        assert_eq!(call.keys("123*"), []);
        assert_eq!(call.key('#'), [Action::StopRecord]);
        assert_eq!(call.key('#'), []);
        assert_eq!(call.wait(200), [], "the stop was already sent");
        assert_eq!(
            call.send(Event::RecordDone { kept: true }),
            [play(4, ps(&["vm-greeting-saved", "vm-options-menu"]))]
        );
        assert!(call.menu.greetings.has(what));
    }
}

#[test]
fn an_empty_recording_is_not_saved() {
    let mut call = at_options();
    call.key('1');
    call.done();
    // The shell ended it (silence).
    assert_eq!(
        call.send(Event::RecordDone { kept: false }),
        [play(4, ps(&["vm-nothing-recorded", "vm-options-menu"]))]
    );
    assert!(!call.menu.greetings.unavailable);
    // The recording's timer, fired later, is ignored.
    assert_eq!(call.wait(200), []);
}

#[test]
fn a_recording_stops_at_the_longest_length() {
    let mut call = at_options();
    call.key('2');
    call.done();
    assert_eq!(call.wait(119), []);
    assert_eq!(call.wait(1), [Action::StopRecord]);
    assert_eq!(call.key('#'), []);
    assert_eq!(
        said(&call.send(Event::RecordDone { kept: true })),
        ps(&["vm-greeting-saved", "vm-options-menu"])
    );
}

#[test]
fn events_out_of_place_are_ignored() {
    let mut call = at_options();
    assert_eq!(call.send(Event::RecordDone { kept: true }), []);
    assert_eq!(call.send(Event::PlayDone(99)), []);
    assert!(!call.menu.greetings.unavailable);
}

#[test]
fn a_temporary_greeting_is_recorded_then_managed() {
    let mut call = at_options();
    // None yet: 4 records it at once.
    assert_eq!(said(&call.key('4')), [p("vm-record-after-tone"), Say::Beep]);
    assert_eq!(
        call.done()[0],
        Action::Record {
            what: GreetingKind::Temporary
        }
    );
    call.send(Event::RecordDone { kept: true });
    // Now 4 opens its menu.
    assert_eq!(
        call.key('4'),
        [
            Action::StopPlay { id: 4 },
            play(5, ps(&["vm-temporary-menu"]))
        ]
    );
    assert_eq!(
        said(&call.key('8')),
        ps(&["invalid-choice", "vm-temporary-menu"])
    );
    assert_eq!(said(&call.key('*')), ps(&["vm-options-menu"]));
    call.key('4');
    assert_eq!(said(&call.key('1')), [p("vm-record-after-tone"), Say::Beep]);
    assert_eq!(
        call.done()[0],
        Action::Record {
            what: GreetingKind::Temporary
        }
    );
}

#[test]
fn a_temporary_greeting_is_removed() {
    let mut config = setup(None, Vec::new());
    config.greetings.temporary = true;
    let (mut call, _) = Call::start(config);
    call.key('0');
    call.key('4');
    assert_eq!(
        call.key('2'),
        [
            Action::StopPlay { id: 3 },
            Action::RemoveGreeting(GreetingKind::Temporary),
            play(4, ps(&["vm-greeting-removed", "vm-options-menu"]))
        ]
    );
    // Gone: 4 records a new one.
    assert_eq!(said(&call.key('4')), [p("vm-record-after-tone"), Say::Beep]);
}

#[test]
fn silence_at_the_options_and_temporary_menus() {
    let mut call = at_options();
    assert_eq!(said(&call.wait(6)), ps(&["vm-options-menu"]));
    let mut config = setup(None, Vec::new());
    config.greetings.temporary = true;
    let (mut call, _) = Call::start(config);
    call.keys("04");
    call.done();
    call.assert_silences_then_goodbye(ps(&["vm-temporary-menu"]));
}

#[test]
fn options_star_and_unknown_keys() {
    let mut call = at_options();
    assert_eq!(
        said(&call.key('7')),
        ps(&["invalid-choice", "vm-options-menu"])
    );
    assert_eq!(
        said(&call.key('#')),
        ps(&["invalid-choice", "vm-options-menu"])
    );
    assert_eq!(said(&call.key('*')), main_menu_items());
}

#[test]
fn changing_the_pin() {
    let mut call = at_options();
    assert_eq!(call.key('5'), [play(3, ps(&["vm-new-pin"]))]);
    call.done();
    call.keys("2468");
    assert_eq!(call.key('#'), [play(4, ps(&["vm-repeat-pin"]))]);
    assert_eq!(
        call.keys("2468#").last(),
        Some(&play(5, ps(&["vm-pin-changed", "vm-options-menu"])))
    );
    let actions = {
        let mut call = at_options();
        call.keys("5");
        call.keys("2468#");
        call.keys("2468#")
    };
    assert!(actions.contains(&Action::SetPin("2468".into())));
}

#[test]
fn new_pins_that_do_not_match_are_refused() {
    let mut call = at_options();
    call.keys("51234#");
    let actions = call.keys("1235#");
    assert!(!actions.iter().any(|a| matches!(a, Action::SetPin(_))));
    assert_eq!(said(&actions), ps(&["vm-pin-mismatch", "vm-options-menu"]));
}

#[test]
fn new_pins_must_have_four_to_eight_digits() {
    for pin in ["123", "123456789", "12*4", ""] {
        let mut call = at_options();
        call.key('5');
        let actions = call.keys(&format!("{pin}#"));
        assert_eq!(
            said(&actions),
            ps(&["vm-pin-invalid", "vm-options-menu"]),
            "{pin:?}"
        );
    }
    for pin in ["1234", "12345678"] {
        let mut call = at_options();
        call.key('5');
        call.keys(&format!("{pin}#"));
        let actions = call.keys(&format!("{pin}#"));
        assert!(actions.contains(&Action::SetPin(pin.into())), "{pin}");
    }
}

#[test]
fn new_pin_entries_may_end_with_a_pause() {
    let mut call = at_options();
    call.key('5');
    call.keys("97531");
    assert_eq!(said(&call.wait(4)), ps(&["vm-repeat-pin"]));
    call.done();
    call.keys("97531");
    let actions = call.wait(4);
    assert_eq!(actions[0], Action::SetPin("97531".into()));
    // Saying nothing at all is an invalid PIN.
    let mut call = at_options();
    call.key('5');
    call.done();
    assert_eq!(
        said(&call.wait(6)),
        ps(&["vm-pin-invalid", "vm-options-menu"])
    );
}

// ---- The whole vocabulary ----

/// A tour through every branch: every prompt of [`PROMPTS`] is used by the menu or the
/// caller's greeting, and nothing else is.
#[test]
fn every_prompt_is_used() {
    let mut used = BTreeSet::new();
    let mut collect = |actions: Vec<Action>| {
        for items in actions.iter().filter_map(|a| match a {
            Action::Play { items, .. } => Some(items.clone()),
            _ => None,
        }) {
            for item in items {
                if let Say::Prompt(name) = item {
                    used.insert(name);
                }
            }
        }
    };
    let mut config = setup(Some("4321"), box_messages());
    config.greetings.temporary = true;
    let (mut call, actions) = Call::start(config);
    collect(actions);
    let tour = [
        "1#",    // wrong PIN
        "4321#", // the counts
        "1",     // message 13: unknown caller
        "7",     // deleted; message 12: yesterday
        "9",     // saved; message 11
        "0",     // invalid
        "#",     // no more messages
        "1",     // no new messages
        "0",     // options
        "4",     // the temporary greeting's menu
        "2",     // removed
        "1",     // record after the tone ...
    ];
    for keys in tour {
        collect(call.keys(keys));
    }
    collect(call.done());
    collect(call.send(Event::RecordDone { kept: false }));
    collect(call.keys("3"));
    collect(call.done());
    collect(call.send(Event::RecordDone { kept: true }));
    for keys in ["5123#", "51234#", "1234#", "51234#", "4321#", "*", "*"] {
        collect(call.keys(keys));
    }
    let mut empty = Call::at_main_menu(Vec::new());
    collect(empty.key('2'));
    for reason in [VoicemailReason::Busy, VoicemailReason::Unavailable] {
        let name_only = Greetings {
            name: true,
            ..Greetings::default()
        };
        for item in caller_greeting(&name_only, reason) {
            if let Say::Prompt(name) = item {
                used.insert(name);
            }
        }
    }
    let all: BTreeSet<&str> = PROMPTS.into_iter().collect();
    assert_eq!(all.len(), PROMPTS.len(), "a prompt listed twice");
    let missing: Vec<_> = all.difference(&used).collect();
    assert!(missing.is_empty(), "never used: {missing:?}");
    let unknown: Vec<_> = used.difference(&all).collect();
    assert!(unknown.is_empty(), "not in PROMPTS: {unknown:?}");
}

// ---- Any sequence of events ----

#[derive(Debug, Clone)]
enum Step {
    Key(char),
    Done,
    StaleDone,
    Wait(i64),
    Recorded(bool),
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        4 => prop::sample::select(vec!['0', '1', '2', '3', '4', '5', '7', '9', '*', '#', 'x'])
            .prop_map(Step::Key),
        3 => Just(Step::Done),
        1 => Just(Step::StaleDone),
        2 => (0..200i64).prop_map(Step::Wait),
        1 => any::<bool>().prop_map(Step::Recorded),
    ]
}

fn any_message() -> impl Strategy<Value = MessageInfo> {
    (
        1..50i64,
        prop::sample::select(vec!["", "101", "+79161234567", "anonymous"]),
        0..2000i64,
        any::<bool>(),
    )
        .prop_map(|(id, number, minutes_ago, new)| MessageInfo {
            id,
            caller_number: number.to_owned(),
            caller_name: None,
            received_at: local("2026-11-23 12:00") - TimeDelta::minutes(minutes_ago * 7),
            duration: Duration::from_secs(10),
            folder: if new { Folder::New } else { Folder::Saved },
        })
}

proptest! {
    /// Whatever the owner and the shell do: no panic, only catalogued prompts, fresh
    /// playback ids, every message marked saved or deleted at most once and never both,
    /// and nothing after the menu is over.
    #[test]
    fn any_sequence_of_events_is_handled(
        pin in prop::option::of(Just("4321".to_owned())),
        temporary in any::<bool>(),
        messages in prop::collection::vec(any_message(), 0..6),
        steps in prop::collection::vec(step(), 0..120),
    ) {
        let mut config = setup(pin.as_deref(), messages);
        config.greetings.temporary = temporary;
        let (mut call, first) = Call::start(config);
        let mut all = first;
        let mut finished = false;
        for step in steps {
            let actions = match step {
                Step::Key(key) => call.key(key),
                Step::Done => match call.play {
                    Some(_) => call.done(),
                    None => Vec::new(),
                },
                Step::StaleDone => call.send(Event::PlayDone(0)),
                Step::Wait(seconds) => call.wait(seconds),
                Step::Recorded(kept) => call.send(Event::RecordDone { kept }),
            };
            if finished {
                prop_assert!(actions.is_empty(), "{actions:?} after the end");
            }
            finished = call.menu.is_finished();
            all.extend(actions);
        }
        let mut last_id = 0;
        let mut marked = BTreeSet::new();
        let mut deleted = BTreeSet::new();
        for action in &all {
            match action {
                Action::Play { id, items } => {
                    prop_assert!(*id > last_id);
                    last_id = *id;
                    for item in items {
                        match item {
                            Say::Prompt(name) => prop_assert!(PROMPTS.contains(name), "{name}"),
                            Say::Digits(digits) => prop_assert!(
                                !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())
                            ),
                            Say::Time { hour, minute } => prop_assert!(*hour < 24 && *minute < 60),
                            Say::Date { day, month } => {
                                prop_assert!((1..=31).contains(day) && (1..=12).contains(month));
                            }
                            _ => {}
                        }
                    }
                }
                Action::MarkSaved(id) => {
                    prop_assert!(marked.insert(*id));
                    prop_assert!(!deleted.contains(id));
                }
                Action::Delete(id) => prop_assert!(deleted.insert(*id)),
                Action::SetPin(pin) => prop_assert!(is_valid_pin(pin)),
                _ => {}
            }
        }
    }

    /// Silence alone always ends the call: a forgotten phone does not hold the line.
    #[test]
    fn silence_always_ends_the_call(
        pin in prop::option::of(Just("4321".to_owned())),
        keys in "[0-9*#]{0,12}",
    ) {
        let (mut call, _) = Call::start(setup(pin.as_deref(), box_messages()));
        call.keys(&keys);
        for _ in 0..200 {
            if call.menu.is_finished() {
                break;
            }
            if call.play.is_some() {
                call.done();
            }
            call.wait(130);
            call.send(Event::RecordDone { kept: false });
        }
        prop_assert!(call.menu.is_finished());
    }
}
