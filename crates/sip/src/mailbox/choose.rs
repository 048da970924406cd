//! `*98`: which voicemail box the caller wants, keyed in; decided without I/O.
//!
//! `*97` needs no choice (the phone's own box), but a box must also be reachable from
//! another phone (a colleague's desk, a meeting room), and a shared box from its owners'
//! phones. So `*98` asks "enter the mailbox number, then the pound key", and the caller
//! keys, ended by `#` or a pause:
//! - an extension number: that extension's own box;
//! - `0`: a shared box (`[[mailbox]]`) the caller looks after (`owners`): `0` alone the
//!   first of them in the configuration, `0` and `N` the N-th (`02#` the second). Shared
//!   boxes have names, not numbers, and a keypad cannot spell a name; who looks after each
//!   is already configured, so no box needs a number of its own.
//!
//! A box then asks its PIN in the menu. A box without a PIN opens only for its owners:
//! for them the phone is the proof, as with `*97`; for anyone else nothing would be.
//! A box that does not exist or may not be opened is "not a valid choice" and asked
//! again, with no hint of which boxes exist; after `[voicemail] pin_attempts` failed
//! entries (empty ones count), "goodbye" and the call ends, as for a wrong PIN.

use chrono::{DateTime, Utc};
use sb_config::{Config, MailboxView};
use sb_voicemail::menu::{Prompter, INTER_DIGIT_TIMEOUT, NO_INPUT_TIMEOUT};
use sb_voicemail::{Action, Event, Say};
use std::time::Duration;

/// "Please enter the mailbox number, then press the pound key."
pub(crate) const ENTER_MAILBOX: &str = "vm-enter-mailbox";

/// Keys of one entry beyond which it is taken as complete: a stuck key cannot grow it
/// without end.
const MAX_ENTRY: usize = 16;

/// The box `keyed` names for `caller` (an extension number), if any; see the module
/// documentation.
pub(crate) fn keyed_box(config: &Config, caller: &str, keyed: &str) -> Option<MailboxView> {
    if config.extension(keyed).is_some() {
        return config.mailbox(keyed);
    }
    let position = match keyed.strip_prefix('0')? {
        "" => 1,
        rest if rest.bytes().all(|b| b.is_ascii_digit()) => rest.parse::<usize>().ok()?,
        _ => return None,
    };
    let name = &config
        .mailboxes
        .iter()
        .filter(|m| m.owners.iter().any(|owner| owner == caller))
        .nth(position.checked_sub(1)?)?
        .name;
    config.mailbox(name)
}

/// Whether `caller` may open `mailbox`, whose PIN (as stored or configured) is `pin`.
pub(crate) fn may_open(mailbox: &MailboxView, caller: &str, pin: Option<&str>) -> bool {
    pin.is_some() || mailbox.owners.iter().any(|owner| owner == caller)
}

/// What one event did to the entry.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Step {
    /// What the shell must do, as for the menu.
    pub actions: Vec<Action>,
    /// The entry is complete: the digits keyed. The shell opens the box, or calls
    /// [`BoxEntry::refused`].
    pub keyed: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    /// The prompt plays, or the caller keys.
    Asking,
    /// An entry is complete and with the shell.
    Keyed,
    /// "Goodbye" is playing; then the call ends.
    Goodbye,
    Finished,
}

/// The caller keying a box number: an engine like [`sb_voicemail::Menu`], driven the same
/// way (its actions are a subset of the menu's) with one more outcome, [`Step::keyed`].
#[derive(Debug)]
pub(crate) struct BoxEntry {
    max_attempts: u32,
    /// Failed entries so far.
    attempts: u32,
    entry: String,
    stage: Stage,
    prompter: Prompter,
}

impl BoxEntry {
    /// Asks for the box number; after `max_attempts` failed entries (at least 1) the call
    /// ends.
    pub fn new(max_attempts: u32) -> (BoxEntry, Vec<Action>) {
        let mut entry = BoxEntry {
            max_attempts: max_attempts.max(1),
            attempts: 0,
            entry: String::new(),
            stage: Stage::Asking,
            prompter: Prompter::default(),
        };
        let mut out = Vec::new();
        entry.play(vec![Say::Prompt(ENTER_MAILBOX)], &mut out);
        (entry, out)
    }

    /// Feeds one event; events that fit nothing the entry waits for are ignored.
    pub fn handle(&mut self, event: Event, now: DateTime<Utc>) -> Step {
        let mut step = Step::default();
        match event {
            Event::PlayDone(id) if self.prompter.finish_play(id) => {
                if self.stage == Stage::Goodbye {
                    self.stage = Stage::Finished;
                    step.actions.push(Action::Hangup);
                } else if self.stage == Stage::Asking {
                    self.set_timer(NO_INPUT_TIMEOUT, now, &mut step.actions);
                }
            }
            Event::Digit(key) if self.stage == Stage::Asking => {
                self.prompter.interrupt(&mut step.actions);
                if key != '#' {
                    self.entry.push(key);
                    if self.entry.len() < MAX_ENTRY {
                        self.set_timer(INTER_DIGIT_TIMEOUT, now, &mut step.actions);
                        return step;
                    }
                }
                self.complete(&mut step);
            }
            Event::TimerFired if self.stage == Stage::Asking && self.prompter.take_due(now) => {
                self.complete(&mut step);
            }
            _ => {}
        }
        step
    }

    /// The box keyed cannot be opened: asked again, or goodbye after the last attempt.
    pub fn refused(&mut self) -> Vec<Action> {
        let mut out = Vec::new();
        self.attempts += 1;
        if self.attempts >= self.max_attempts {
            self.stage = Stage::Goodbye;
            let items = vec![Say::Prompt("invalid-choice"), Say::Prompt("vm-goodbye")];
            self.play(items, &mut out);
        } else {
            self.stage = Stage::Asking;
            let items = vec![Say::Prompt("invalid-choice"), Say::Prompt(ENTER_MAILBOX)];
            self.play(items, &mut out);
        }
        out
    }

    /// The entry so far is the answer; an empty one is a failed attempt at once.
    fn complete(&mut self, step: &mut Step) {
        let keyed = std::mem::take(&mut self.entry);
        if keyed.is_empty() {
            step.actions.extend(self.refused());
        } else {
            self.stage = Stage::Keyed;
            step.keyed = Some(keyed);
        }
    }

    fn play(&mut self, items: Vec<Say>, out: &mut Vec<Action>) {
        self.prompter.play(items, out);
    }

    fn set_timer(&mut self, after: Duration, now: DateTime<Utc>, out: &mut Vec<Action>) {
        self.prompter.set_timer(after, now, out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeDelta;

    fn at(secs: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_795_000_000 + secs, 0).unwrap()
    }

    fn config() -> Config {
        let mut config = sb_config::demo();
        let mut second = config.mailboxes[0].clone();
        second.name = "support".into();
        second.pin = None;
        second.owners = vec!["106".into(), "101".into()];
        config.mailboxes.push(second);
        config
    }

    fn keyed(entry: &mut BoxEntry, keys: &str, now: DateTime<Utc>) -> Step {
        let mut last = Step::default();
        for key in keys.chars() {
            last = entry.handle(Event::Digit(key), now);
        }
        last
    }

    #[test]
    fn extension_numbers_open_their_own_boxes() {
        let config = config();
        let view = keyed_box(&config, "101", "104").expect("a box");
        assert_eq!(view.name, "104");
        assert_eq!(view.pin.as_deref(), Some("1104"));
        assert_eq!(keyed_box(&config, "101", "101").unwrap().name, "101");
        assert_eq!(keyed_box(&config, "101", "999"), None);
        assert_eq!(keyed_box(&config, "101", "*97"), None);
    }

    #[test]
    fn zero_opens_the_shared_boxes_one_looks_after_in_order() {
        let config = config();
        assert_eq!(keyed_box(&config, "101", "0").unwrap().name, "general");
        assert_eq!(keyed_box(&config, "101", "01").unwrap().name, "general");
        assert_eq!(keyed_box(&config, "101", "02").unwrap().name, "support");
        assert_eq!(keyed_box(&config, "101", "03"), None);
        assert_eq!(keyed_box(&config, "101", "00"), None);
        assert_eq!(keyed_box(&config, "101", "0x"), None);
        // 106 looks after `support` only; 102 after none.
        assert_eq!(keyed_box(&config, "106", "0").unwrap().name, "support");
        assert_eq!(keyed_box(&config, "102", "0"), None);
        assert_eq!(
            keyed_box(&config, "101", "099999999999999999999999999"),
            None
        );
    }

    #[test]
    fn a_box_without_a_pin_opens_only_for_its_owners() {
        let config = config();
        let support = config.mailbox("support").unwrap();
        assert!(may_open(&support, "106", None));
        assert!(!may_open(&support, "102", None));
        assert!(may_open(&support, "102", Some("4321")));
    }

    #[test]
    fn keys_over_the_prompt_stop_it_and_pound_ends_the_entry() {
        let (mut entry, actions) = BoxEntry::new(3);
        assert_eq!(
            actions,
            [Action::Play {
                id: 1,
                items: vec![Say::Prompt(ENTER_MAILBOX)]
            }]
        );
        let step = entry.handle(Event::Digit('1'), at(0));
        assert_eq!(step.actions[0], Action::StopPlay { id: 1 });
        assert_eq!(step.keyed, None);
        let step = keyed(&mut entry, "04#", at(1));
        assert_eq!(step.keyed.as_deref(), Some("104"));
        // Nothing more until the shell decides.
        assert_eq!(entry.handle(Event::Digit('5'), at(2)), Step::default());
    }

    #[test]
    fn a_pause_after_digits_ends_the_entry_and_a_silent_caller_is_asked_again() {
        let (mut entry, _) = BoxEntry::new(2);
        let step = entry.handle(Event::PlayDone(1), at(0));
        assert_eq!(
            step.actions,
            [Action::SetTimer {
                at: at(0) + TimeDelta::from_std(NO_INPUT_TIMEOUT).unwrap()
            }]
        );
        // A timer that fires early is ignored.
        assert_eq!(entry.handle(Event::TimerFired, at(1)), Step::default());
        let step = entry.handle(Event::TimerFired, at(6));
        assert_eq!(
            step.actions,
            [Action::Play {
                id: 2,
                items: vec![Say::Prompt("invalid-choice"), Say::Prompt(ENTER_MAILBOX)]
            }]
        );
        keyed(&mut entry, "10", at(7));
        let step = entry.handle(Event::TimerFired, at(11));
        assert_eq!(step.keyed.as_deref(), Some("10"));
    }

    #[test]
    fn refusals_end_in_goodbye_then_hangup() {
        let (mut entry, _) = BoxEntry::new(2);
        assert_eq!(keyed(&mut entry, "5#", at(0)).keyed.as_deref(), Some("5"));
        assert_eq!(
            entry.refused(),
            [Action::Play {
                id: 2,
                items: vec![Say::Prompt("invalid-choice"), Say::Prompt(ENTER_MAILBOX)]
            }]
        );
        let step = keyed(&mut entry, "#", at(1));
        assert_eq!(step.keyed, None, "an empty entry is no box");
        assert_eq!(
            step.actions.last(),
            Some(&Action::Play {
                id: 3,
                items: vec![Say::Prompt("invalid-choice"), Say::Prompt("vm-goodbye")]
            })
        );
        // Goodbye cannot be interrupted; its end hangs up.
        assert_eq!(entry.handle(Event::Digit('1'), at(2)), Step::default());
        assert_eq!(
            entry.handle(Event::PlayDone(3), at(3)).actions,
            [Action::Hangup]
        );
    }

    #[test]
    fn a_stuck_key_ends_the_entry() {
        let (mut entry, _) = BoxEntry::new(3);
        let step = keyed(&mut entry, &"1".repeat(MAX_ENTRY), at(0));
        assert_eq!(step.keyed.map(|k| k.len()), Some(MAX_ENTRY));
    }
}
