//! The `*97` "listen to my voicemail" phone menu, as an engine without I/O.
//!
//! A [`Menu`] is one call of a mailbox owner: [`Menu::new`] takes a snapshot of the box and
//! returns the first actions; [`Menu::handle`] takes each [`Event`] with `now` and returns
//! what to do next. The engine keeps its own copy of the snapshot up to date (a message
//! heard moves to saved, a deleted one is gone), so the shell only carries the actions out.
//!
//! # What the owner hears
//! - **PIN** (when the box has one): "enter your PIN", digits ended by `#` or by a pause.
//!   A wrong PIN is said and asked again; after `max_pin_attempts` wrong or empty entries,
//!   "goodbye" and the call ends.
//! - **Counts**, once: "you have 3 new messages and 2 saved messages".
//! - **Main menu**: `1` new messages, `2` saved messages, `0` mailbox options, `*` exit.
//! - **A message**: its envelope (number, caller's digits, time, and the day when not
//!   today: "yesterday" or day and month), the recording, then the message menu: `5`
//!   replay, `7` delete, `9` save, `3` call the caller back, `#` next, `*` main menu. After
//!   the last message, "no more messages" and the main menu. Oldest messages come first.
//! - **Options**: `1` unavailable greeting, `2` busy greeting, `3` name, `4` temporary
//!   greeting (when one exists, a menu: `1` record again, `2` remove), `5` change PIN,
//!   `*` main menu. A recording is "record after the tone, press # when done", the tone,
//!   then [`Action::Record`]. A new PIN is typed twice, each ended by `#`; it must be
//!   [`PIN_LENGTH`] digits.
//! - A key a menu does not know: "not a valid choice" and the menu again. No key for
//!   [`NO_INPUT_TIMEOUT`]: the menu again, at most [`MENU_REPEATS`] times, then goodbye,
//!   so a forgotten phone does not hold the line.
//!
//! A new message becomes saved ([`Action::MarkSaved`]) once heard to the end or once the
//! owner acts on it with any key but `7`: a message cut off by a hang-up stays new.
//!
//! # Barge-in
//! A key pressed during a menu prompt, a PIN prompt, or a message and its envelope stops
//! the playback ([`Action::StopPlay`]) and acts at once, so a regular user never waits for
//! a prompt to end (`#` during an envelope skips the message, `7` deletes it). Two playbacks cannot be interrupted, and keys pressed
//! during them are ignored: "record after the tone" with its tone (the owner must hear
//! when recording starts) and "goodbye".
//!
//! # What the shell does
//! - [`Action::Play`]: play the items in order, then report [`Event::PlayDone`] with its
//!   id. [`Action::StopPlay`]: stop it at once; no `PlayDone` is expected, and one that
//!   arrives anyway is ignored, as is any for an earlier playback.
//! - [`Action::SetTimer`]: report [`Event::TimerFired`] at that instant, replacing any
//!   earlier timer. There is no cancel: a timer that fires when nothing waits for it, or
//!   early, is ignored, because the engine compares `now` with its own deadline.
//! - Report every key as [`Event::Digit`], also during a recording (`#` ends it).
//! - [`Action::Hangup`] and [`Action::CallBack`] end the menu; a caller hanging up needs no
//!   event: drop the engine.

use std::collections::BTreeSet;
use std::ops::RangeInclusive;
use std::time::Duration;

use chrono::{DateTime, Datelike, NaiveDate, NaiveDateTime, TimeDelta, Timelike, Utc};
use serde::{Deserialize, Serialize};

use crate::greeting::{GreetingKind, Greetings};
use crate::say::Say;

#[cfg(test)]
mod tests;

/// How long a menu or a PIN prompt waits for the first key after it has been played.
pub const NO_INPUT_TIMEOUT: Duration = Duration::from_secs(6);

/// How long PIN entry waits for the next digit before taking the digits so far, for
/// phones where `#` is awkward to reach.
pub const INTER_DIGIT_TIMEOUT: Duration = Duration::from_secs(4);

/// How many times a menu is repeated when no key is pressed, before goodbye.
pub const MENU_REPEATS: u32 = 3;

/// The longest greeting recording; the engine stops it then.
pub const MAX_RECORDING: Duration = Duration::from_secs(120);

/// A greeting shorter than this (its trailing silence left out) is taken as nothing said:
/// even a recorded name is longer. A take by phone this short keeps the old greeting; an
/// uploaded file this short is refused.
pub const MIN_GREETING: Duration = Duration::from_millis(500);

/// Allowed lengths of a new PIN: short enough to type, long enough not to guess at once.
pub const PIN_LENGTH: RangeInclusive<usize> = 4..=8;

/// Keys of one PIN entry beyond which it is taken as complete: a stuck key cannot grow
/// it without end.
const MAX_ENTRY: usize = 32;

/// The folder a message is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Folder {
    /// Not heard yet: these light the phone's message lamp.
    New,
    /// Heard or saved by the owner.
    Saved,
}

/// One voicemail message, as the shell's storage knows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageInfo {
    /// The message's key in storage; actions name messages by it.
    pub id: i64,
    /// Who called, as received (`+79161234567`, `101`, or empty when withheld); its
    /// digits are read out, and it is the number a call back dials.
    pub caller_number: String,
    /// The caller's display name, if any; not spoken (there is no recording of it), kept
    /// so the shell's snapshot type is the whole message.
    pub caller_name: Option<String>,
    /// When it was left, in the mailbox's local time: that is the time spoken.
    pub received_at: NaiveDateTime,
    /// How long the recording is.
    pub duration: Duration,
    /// Its folder at the start of the call.
    pub folder: Folder,
}

/// What the menu needs to know at the start of the call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MenuSetup {
    /// The box, for the shell: actions name messages by id, the box by this.
    pub mailbox: String,
    /// The box's PIN; `None` asks for none (a box whose owner chose so). A PIN that is
    /// set is always asked, from any phone.
    pub pin: Option<String>,
    /// Wrong or empty PIN entries before goodbye (at least 1 is used).
    pub max_pin_attempts: u32,
    /// The box's messages in both folders, in any order.
    pub messages: Vec<MessageInfo>,
    /// Which greetings are recorded.
    pub greetings: Greetings,
    /// Today's date in the mailbox's local time, so a message of today is said without a
    /// date and yesterday's as "yesterday".
    pub today: NaiveDate,
}

/// What the shell must do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Play the items in order and report [`Event::PlayDone`] with `id` when done.
    Play {
        /// Names this playback in `PlayDone` and `StopPlay`.
        id: u32,
        /// What to say.
        items: Vec<Say>,
    },
    /// Stop playback `id` at once (a key was pressed); no `PlayDone` is needed.
    StopPlay {
        /// The playback to stop.
        id: u32,
    },
    /// Report [`Event::TimerFired`] at `at`; replaces any earlier timer.
    SetTimer {
        /// When to fire.
        at: DateTime<Utc>,
    },
    /// Start recording the owner's greeting of this kind, until [`Action::StopRecord`]
    /// or the shell's own end (silence, the caller hung up); then report
    /// [`Event::RecordDone`]. A recording kept replaces the old one.
    Record {
        /// Which greeting is recorded.
        what: GreetingKind,
    },
    /// End the recording in progress (the owner pressed `#`, or it reached
    /// [`MAX_RECORDING`]).
    StopRecord,
    /// Move message `id` to the saved folder.
    MarkSaved(i64),
    /// Delete message `id`.
    Delete(i64),
    /// Store this as the box's new PIN; it is [`PIN_LENGTH`] ASCII digits.
    SetPin(String),
    /// Delete the owner's greeting of this kind.
    RemoveGreeting(GreetingKind),
    /// Connect the owner to this number (the caller of a message, as received); the menu
    /// is over.
    CallBack {
        /// The number to dial.
        number: String,
    },
    /// End the call; the menu is over.
    Hangup,
}

/// What happened on the call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// Playback `id` ended (or could not play: the menu goes on either way).
    PlayDone(u32),
    /// The owner pressed a key: `0`-`9`, `*`, `#` (others are taken as invalid keys).
    Digit(char),
    /// The last [`Action::SetTimer`] fired.
    TimerFired,
    /// The recording of the last [`Action::Record`] ended.
    RecordDone {
        /// Whether a recording was kept; `false` when it was empty (silence, too short),
        /// and the old greeting, if any, stays.
        kept: bool,
    },
}

/// What the menu waits for.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Stage {
    /// PIN entry; `attempts` wrong or empty entries so far.
    Pin {
        attempts: u32,
    },
    Main,
    /// A message of `list` (indexes into the messages, in folder order) is current.
    Message {
        list: Vec<usize>,
        at: usize,
        part: Part,
    },
    Options,
    /// The temporary greeting's menu.
    Temporary,
    /// New PIN entry; `first` is the first entry once typed.
    NewPin {
        first: Option<String>,
    },
    /// "Record after the tone" is playing; then the recording starts.
    RecordIntro(GreetingKind),
    Recording {
        what: GreetingKind,
        /// `StopRecord` was sent; waiting for `RecordDone`.
        stopping: bool,
    },
    /// "Goodbye" is playing; then the call ends.
    Goodbye,
    Finished,
}

/// Which playback of the current message is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Part {
    /// The envelope and the recording (or the recording alone, on replay).
    Recording,
    /// The message menu.
    Menu,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Message {
    info: MessageInfo,
    deleted: bool,
}

/// The playback and the wait of an engine driven by [`Event`]s that answers with
/// [`Action`]s: the menu and the SIP layer's `*98` box entry number their playbacks and keep
/// their deadline with this one type, so both ignore a late `PlayDone` or `TimerFired` the
/// same way.
#[derive(Debug, Clone)]
pub struct Prompter {
    /// The playback that a key or its end acts on.
    playing: Option<u32>,
    next_play: u32,
    /// When the current wait ends.
    deadline: Option<DateTime<Utc>>,
}

impl Default for Prompter {
    fn default() -> Self {
        Prompter {
            playing: None,
            next_play: 1,
            deadline: None,
        }
    }
}

impl Prompter {
    /// Plays `items` as a new playback, ending any wait.
    pub fn play(&mut self, items: Vec<Say>, out: &mut Vec<Action>) {
        let id = self.next_play;
        self.next_play = self.next_play.wrapping_add(1);
        self.playing = Some(id);
        self.deadline = None;
        out.push(Action::Play { id, items });
    }

    /// Waits `after` from `now`; a timer firing before then is early and ignored.
    pub fn set_timer(&mut self, after: Duration, now: DateTime<Utc>, out: &mut Vec<Action>) {
        let at = TimeDelta::from_std(after)
            .ok()
            .and_then(|after| now.checked_add_signed(after))
            .unwrap_or(DateTime::<Utc>::MAX_UTC);
        self.deadline = Some(at);
        out.push(Action::SetTimer { at });
    }

    /// Whether `id` is the playback now playing; it is then over. `false` for a stale one.
    pub fn finish_play(&mut self, id: u32) -> bool {
        let current = self.playing == Some(id);
        if current {
            self.playing = None;
        }
        current
    }

    /// Whether the wait has ended at `now`; it is then over. `false` without a wait or early.
    pub fn take_due(&mut self, now: DateTime<Utc>) -> bool {
        let due = self.deadline.is_some_and(|at| now >= at);
        if due {
            self.deadline = None;
        }
        due
    }

    /// A key cuts short what plays and the wait.
    pub fn interrupt(&mut self, out: &mut Vec<Action>) {
        if let Some(id) = self.playing.take() {
            out.push(Action::StopPlay { id });
        }
        self.deadline = None;
    }

    /// Ends the wait without anything else.
    pub fn cancel_timer(&mut self) {
        self.deadline = None;
    }
}

/// One mailbox owner's call in the voicemail menu; pure: no clock, no I/O.
#[derive(Debug, Clone)]
pub struct Menu {
    mailbox: String,
    pin: Option<String>,
    max_pin_attempts: u32,
    /// Oldest first; deleted ones stay, marked, so list indexes stay valid.
    messages: Vec<Message>,
    greetings: Greetings,
    today: NaiveDate,
    stage: Stage,
    /// What plays and when the current wait for a key (or the recording) ends.
    prompter: Prompter,
    /// Keys of the PIN being typed.
    entry: String,
    /// Menu timeouts in a row.
    silences: u32,
}

impl Menu {
    /// Starts the menu: the PIN prompt, or straight to the counts and the main menu when
    /// the box has no PIN.
    pub fn new(setup: MenuSetup) -> (Menu, Vec<Action>) {
        let mut messages: Vec<Message> = setup
            .messages
            .into_iter()
            .map(|info| Message {
                info,
                deleted: false,
            })
            .collect();
        messages.sort_by_key(|m| (m.info.received_at, m.info.id));
        // A snapshot naming one message twice would play it twice and act on it twice.
        let mut ids = BTreeSet::new();
        messages.retain(|m| ids.insert(m.info.id));
        let mut menu = Menu {
            mailbox: setup.mailbox,
            pin: setup.pin,
            max_pin_attempts: setup.max_pin_attempts.max(1),
            messages,
            greetings: setup.greetings,
            today: setup.today,
            stage: Stage::Finished,
            prompter: Prompter::default(),
            entry: String::new(),
            silences: 0,
        };
        let mut out = Vec::new();
        if menu.pin.is_some() {
            menu.stage = Stage::Pin { attempts: 0 };
            menu.play(vec![Say::Prompt("vm-enter-pin")], &mut out);
        } else {
            menu.logged_in(&mut out);
        }
        (menu, out)
    }

    /// Feeds one event; events that fit nothing the menu waits for are ignored.
    pub fn handle(&mut self, event: Event, now: DateTime<Utc>) -> Vec<Action> {
        let mut out = Vec::new();
        match event {
            Event::PlayDone(id) if self.prompter.finish_play(id) => {
                self.play_done(now, &mut out);
            }
            Event::Digit(key) => self.key(key, now, &mut out),
            Event::TimerFired if self.prompter.take_due(now) => {
                self.timeout(&mut out);
            }
            Event::RecordDone { kept } => self.recorded(kept, &mut out),
            _ => {}
        }
        out
    }

    /// The box this menu is for.
    pub fn mailbox(&self) -> &str {
        &self.mailbox
    }

    /// Whether the menu is over: hung up or calling back.
    pub fn is_finished(&self) -> bool {
        self.stage == Stage::Finished
    }

    fn play(&mut self, items: Vec<Say>, out: &mut Vec<Action>) {
        self.prompter.play(items, out);
    }

    fn set_timer(&mut self, after: Duration, now: DateTime<Utc>, out: &mut Vec<Action>) {
        self.prompter.set_timer(after, now, out);
    }

    fn play_done(&mut self, now: DateTime<Utc>, out: &mut Vec<Action>) {
        match self.stage.clone() {
            Stage::Goodbye => {
                out.push(Action::Hangup);
                self.stage = Stage::Finished;
            }
            Stage::RecordIntro(what) => {
                out.push(Action::Record { what });
                self.stage = Stage::Recording {
                    what,
                    stopping: false,
                };
                self.set_timer(MAX_RECORDING, now, out);
            }
            Stage::Message {
                list,
                at,
                part: Part::Recording,
            } => {
                if let Some(&index) = list.get(at) {
                    self.heard(index, out);
                }
                self.stage = Stage::Message {
                    list,
                    at,
                    part: Part::Menu,
                };
                self.play(vec![Say::Prompt("vm-message-menu")], out);
            }
            _ => self.set_timer(NO_INPUT_TIMEOUT, now, out),
        }
    }

    fn key(&mut self, key: char, now: DateTime<Utc>, out: &mut Vec<Action>) {
        let stage = self.stage.clone();
        match stage {
            Stage::Goodbye | Stage::RecordIntro(_) | Stage::Finished => return,
            Stage::Recording { what, stopping } => {
                if key == '#' && !stopping {
                    self.stop_recording(what, out);
                }
                return;
            }
            _ => {}
        }
        self.prompter.interrupt(out);
        self.silences = 0;
        match stage {
            Stage::Pin { attempts } => {
                if let Some(entry) = self.collect(key, now, out) {
                    self.check_pin(entry, attempts, out);
                }
            }
            Stage::NewPin { first } => {
                if let Some(entry) = self.collect(key, now, out) {
                    self.new_pin(first, entry, out);
                }
            }
            Stage::Main => self.main_key(key, out),
            Stage::Message { list, at, .. } => self.message_key(list, at, key, out),
            Stage::Options => self.options_key(key, out),
            Stage::Temporary => self.temporary_key(key, out),
            Stage::Goodbye | Stage::RecordIntro(_) | Stage::Recording { .. } | Stage::Finished => {}
        }
    }

    fn timeout(&mut self, out: &mut Vec<Action>) {
        match self.stage.clone() {
            Stage::Pin { attempts } => {
                let entry = std::mem::take(&mut self.entry);
                if entry.is_empty() {
                    self.pin_failed(attempts, Vec::new(), out);
                } else {
                    self.check_pin(entry, attempts, out);
                }
            }
            Stage::NewPin { first } => {
                let entry = std::mem::take(&mut self.entry);
                self.new_pin(first, entry, out);
            }
            Stage::Recording {
                what,
                stopping: false,
            } => self.stop_recording(what, out),
            Stage::Main => self.silence("vm-main-menu", out),
            Stage::Options => self.silence("vm-options-menu", out),
            Stage::Temporary => self.silence("vm-temporary-menu", out),
            Stage::Message {
                part: Part::Menu, ..
            } => self.silence("vm-message-menu", out),
            Stage::Message {
                part: Part::Recording,
                ..
            }
            | Stage::RecordIntro(_)
            | Stage::Recording { .. }
            | Stage::Goodbye
            | Stage::Finished => {}
        }
    }

    /// No key at a menu: repeat it, or after [`MENU_REPEATS`] repeats say goodbye.
    fn silence(&mut self, menu: &'static str, out: &mut Vec<Action>) {
        self.silences += 1;
        if self.silences > MENU_REPEATS {
            self.goodbye(Vec::new(), out);
        } else {
            self.play(vec![Say::Prompt(menu)], out);
        }
    }

    fn goodbye(&mut self, mut items: Vec<Say>, out: &mut Vec<Action>) {
        items.push(Say::Prompt("vm-goodbye"));
        self.stage = Stage::Goodbye;
        self.play(items, out);
    }

    /// Adds a key to the PIN being typed; the entry once complete (`#`, or too long).
    fn collect(&mut self, key: char, now: DateTime<Utc>, out: &mut Vec<Action>) -> Option<String> {
        if key != '#' {
            self.entry.push(key);
            if self.entry.len() < MAX_ENTRY {
                self.set_timer(INTER_DIGIT_TIMEOUT, now, out);
                return None;
            }
        }
        Some(std::mem::take(&mut self.entry))
    }

    fn check_pin(&mut self, entry: String, attempts: u32, out: &mut Vec<Action>) {
        if self.pin.as_ref() == Some(&entry) {
            self.logged_in(out);
        } else {
            self.pin_failed(attempts, vec![Say::Prompt("vm-wrong-pin")], out);
        }
    }

    /// One more wrong (or, with no `said`, empty) PIN entry.
    fn pin_failed(&mut self, attempts: u32, mut said: Vec<Say>, out: &mut Vec<Action>) {
        let attempts = attempts + 1;
        if attempts >= self.max_pin_attempts {
            return self.goodbye(said, out);
        }
        said.push(Say::Prompt("vm-enter-pin"));
        self.stage = Stage::Pin { attempts };
        self.play(said, out);
    }

    fn logged_in(&mut self, out: &mut Vec<Action>) {
        let items = vec![
            Say::MessageCounts {
                new: self.count(Folder::New),
                saved: self.count(Folder::Saved),
            },
            Say::Prompt("vm-main-menu"),
        ];
        self.main_menu(items, out);
    }

    fn count(&self, folder: Folder) -> u32 {
        let n = self
            .messages
            .iter()
            .filter(|m| !m.deleted && m.info.folder == folder)
            .count();
        u32::try_from(n).unwrap_or(u32::MAX)
    }

    fn main_menu(&mut self, items: Vec<Say>, out: &mut Vec<Action>) {
        self.stage = Stage::Main;
        self.play(items, out);
    }

    fn main_key(&mut self, key: char, out: &mut Vec<Action>) {
        match key {
            '1' => self.open(Folder::New, out),
            '2' => self.open(Folder::Saved, out),
            '0' => self.options(Vec::new(), out),
            '*' => self.goodbye(Vec::new(), out),
            _ => self.main_menu(
                vec![Say::Prompt("invalid-choice"), Say::Prompt("vm-main-menu")],
                out,
            ),
        }
    }

    /// Starts on the first message of `folder`, or says the folder is empty.
    fn open(&mut self, folder: Folder, out: &mut Vec<Action>) {
        let list: Vec<usize> = (0..self.messages.len())
            .filter(|&i| !self.messages[i].deleted && self.messages[i].info.folder == folder)
            .collect();
        if list.is_empty() {
            let none = match folder {
                Folder::New => "vm-no-new-messages",
                Folder::Saved => "vm-no-saved-messages",
            };
            let items = vec![
                Say::Prompt("vm-you-have"),
                Say::Prompt(none),
                Say::Prompt("vm-main-menu"),
            ];
            return self.main_menu(items, out);
        }
        self.show(list, 0, Vec::new(), out);
    }

    /// Plays message `at` of `list` with its envelope, after `items`.
    fn show(&mut self, list: Vec<usize>, at: usize, mut items: Vec<Say>, out: &mut Vec<Action>) {
        if let Some(message) = list.get(at).map(|&index| &self.messages[index].info) {
            items.extend(self.envelope(at, message));
            items.push(Say::Message(message.id));
        }
        self.stage = Stage::Message {
            list,
            at,
            part: Part::Recording,
        };
        self.play(items, out);
    }

    /// "Message 2, from 8 9 1 6 ..., received at 14:05 yesterday".
    fn envelope(&self, at: usize, message: &MessageInfo) -> Vec<Say> {
        let number = u32::try_from(at + 1).unwrap_or(u32::MAX);
        let mut items = vec![Say::Prompt("vm-message"), Say::Number(number)];
        let digits = caller_digits(message);
        if digits.is_empty() {
            items.push(Say::Prompt("vm-from-unknown"));
        } else {
            items.extend([Say::Prompt("vm-from"), Say::Digits(digits)]);
        }
        let received = message.received_at;
        items.extend([
            Say::Prompt("vm-received-at"),
            Say::Time {
                hour: received.hour(),
                minute: received.minute(),
            },
        ]);
        let day = received.date();
        if day != self.today {
            items.push(if Some(day) == self.today.pred_opt() {
                Say::Prompt("vm-yesterday")
            } else {
                Say::Date {
                    day: day.day(),
                    month: day.month(),
                }
            });
        }
        items
    }

    fn message_key(&mut self, list: Vec<usize>, at: usize, key: char, out: &mut Vec<Action>) {
        let Some(&index) = list.get(at) else {
            return self.main_menu(vec![Say::Prompt("vm-main-menu")], out);
        };
        let id = self.messages[index].info.id;
        match key {
            '5' => {
                self.heard(index, out);
                self.stage = Stage::Message {
                    list,
                    at,
                    part: Part::Recording,
                };
                self.play(vec![Say::Message(id)], out);
            }
            '7' => {
                out.push(Action::Delete(id));
                self.messages[index].deleted = true;
                self.next(list, at, vec![Say::Prompt("vm-deleted")], out);
            }
            '9' => {
                self.heard(index, out);
                self.next(list, at, vec![Say::Prompt("vm-saved")], out);
            }
            '3' if !caller_digits(&self.messages[index].info).is_empty() => {
                self.heard(index, out);
                out.push(Action::CallBack {
                    number: self.messages[index].info.caller_number.clone(),
                });
                self.stage = Stage::Finished;
            }
            '#' => {
                self.heard(index, out);
                self.next(list, at, Vec::new(), out);
            }
            '*' => {
                self.heard(index, out);
                self.main_menu(vec![Say::Prompt("vm-main-menu")], out);
            }
            _ => {
                self.stage = Stage::Message {
                    list,
                    at,
                    part: Part::Menu,
                };
                let items = vec![
                    Say::Prompt("invalid-choice"),
                    Say::Prompt("vm-message-menu"),
                ];
                self.play(items, out);
            }
        }
    }

    /// The message after `at`, or "no more messages" and the main menu, after `items`.
    fn next(&mut self, list: Vec<usize>, at: usize, mut items: Vec<Say>, out: &mut Vec<Action>) {
        if at + 1 < list.len() {
            return self.show(list, at + 1, items, out);
        }
        items.extend([
            Say::Prompt("vm-no-more-messages"),
            Say::Prompt("vm-main-menu"),
        ]);
        self.main_menu(items, out);
    }

    /// The owner has heard message `index`: a new one moves to saved.
    fn heard(&mut self, index: usize, out: &mut Vec<Action>) {
        let message = &mut self.messages[index];
        if message.info.folder == Folder::New && !message.deleted {
            message.info.folder = Folder::Saved;
            out.push(Action::MarkSaved(message.info.id));
        }
    }

    fn options(&mut self, mut items: Vec<Say>, out: &mut Vec<Action>) {
        items.push(Say::Prompt("vm-options-menu"));
        self.stage = Stage::Options;
        self.play(items, out);
    }

    fn options_key(&mut self, key: char, out: &mut Vec<Action>) {
        match key {
            '1' => self.record(GreetingKind::Unavailable, out),
            '2' => self.record(GreetingKind::Busy, out),
            '3' => self.record(GreetingKind::Name, out),
            '4' if self.greetings.temporary => {
                self.stage = Stage::Temporary;
                self.play(vec![Say::Prompt("vm-temporary-menu")], out);
            }
            '4' => self.record(GreetingKind::Temporary, out),
            '5' => {
                self.entry.clear();
                self.stage = Stage::NewPin { first: None };
                self.play(vec![Say::Prompt("vm-new-pin")], out);
            }
            '*' => self.main_menu(vec![Say::Prompt("vm-main-menu")], out),
            _ => self.options(vec![Say::Prompt("invalid-choice")], out),
        }
    }

    fn temporary_key(&mut self, key: char, out: &mut Vec<Action>) {
        match key {
            '1' => self.record(GreetingKind::Temporary, out),
            '2' => {
                out.push(Action::RemoveGreeting(GreetingKind::Temporary));
                self.greetings.set(GreetingKind::Temporary, false);
                self.options(vec![Say::Prompt("vm-greeting-removed")], out);
            }
            '*' => self.options(Vec::new(), out),
            _ => {
                self.stage = Stage::Temporary;
                let items = vec![
                    Say::Prompt("invalid-choice"),
                    Say::Prompt("vm-temporary-menu"),
                ];
                self.play(items, out);
            }
        }
    }

    fn record(&mut self, what: GreetingKind, out: &mut Vec<Action>) {
        self.stage = Stage::RecordIntro(what);
        self.play(vec![Say::Prompt("vm-record-after-tone"), Say::Beep], out);
    }

    fn stop_recording(&mut self, what: GreetingKind, out: &mut Vec<Action>) {
        self.prompter.cancel_timer();
        self.stage = Stage::Recording {
            what,
            stopping: true,
        };
        out.push(Action::StopRecord);
    }

    fn recorded(&mut self, kept: bool, out: &mut Vec<Action>) {
        let Stage::Recording { what, .. } = self.stage else {
            return;
        };
        self.prompter.cancel_timer();
        let said = if kept {
            self.greetings.set(what, true);
            "vm-greeting-saved"
        } else {
            "vm-nothing-recorded"
        };
        self.options(vec![Say::Prompt(said)], out);
    }

    /// A complete new-PIN entry: the first is checked and asked again; the second must
    /// match it.
    fn new_pin(&mut self, first: Option<String>, entry: String, out: &mut Vec<Action>) {
        match first {
            None if is_valid_pin(&entry) => {
                self.stage = Stage::NewPin { first: Some(entry) };
                self.play(vec![Say::Prompt("vm-repeat-pin")], out);
            }
            None => self.options(vec![Say::Prompt("vm-pin-invalid")], out),
            Some(first) if first == entry => {
                out.push(Action::SetPin(entry));
                self.options(vec![Say::Prompt("vm-pin-changed")], out);
            }
            Some(_) => self.options(vec![Say::Prompt("vm-pin-mismatch")], out),
        }
    }
}

/// The digits of the caller's number, what is read out; empty when it has none.
fn caller_digits(message: &MessageInfo) -> String {
    message
        .caller_number
        .chars()
        .filter(char::is_ascii_digit)
        .collect()
}

fn is_valid_pin(pin: &str) -> bool {
    PIN_LENGTH.contains(&pin.len()) && pin.bytes().all(|b| b.is_ascii_digit())
}
