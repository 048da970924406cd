//! What the caller hears, in items that do not depend on the language.
//!
//! The engines say "message 3, received at 14:05 yesterday" as a list of [`Say`] items; the
//! shell turns each into prompt files of the caller's language with
//! `sb_media::audio::say`, where the grammar lives (Russian number agreement, English
//! a.m./p.m., the order of day and month). So a new language is a change to the prompt
//! set only, never to a decision.

use crate::greeting::GreetingKind;

/// One piece of a playback.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Say {
    /// A prompt of the shipped catalogue, played whole; always one of [`PROMPTS`].
    Prompt(&'static str),
    /// A number as words (`say::say_number`).
    Number(u32),
    /// A telephone number read digit by digit (`say::say_number` of each digit); only
    /// ASCII digits, never empty.
    Digits(String),
    /// "You have 3 new messages and 2 saved messages", or "you have no messages"
    /// (`say::message_counts`).
    MessageCounts {
        /// Messages in the new folder.
        new: u32,
        /// Messages in the saved folder.
        saved: u32,
    },
    /// A time of day, local to the mailbox (`say::time_of_day`): 0..=23 and 0..=59.
    Time {
        /// The hour, 0..=23.
        hour: u32,
        /// The minute, 0..=59.
        minute: u32,
    },
    /// A day of the year, like "March 3rd" (`say::date`): 1..=31 and 1..=12.
    Date {
        /// The day of the month, 1..=31.
        day: u32,
        /// The month, 1..=12.
        month: u32,
    },
    /// The recording of voicemail message `id`.
    Message(i64),
    /// The mailbox owner's recording of this kind (it exists: the engines only say it then).
    Greeting(GreetingKind),
    /// The short tone that tells the caller recording starts now.
    Beep,
}

/// Every prompt name a [`Say::Prompt`] of this crate can hold, so the shell can check its
/// prompt directory at startup; a test checks each is in `prompts/texts.tsv` in every
/// language and is really used.
pub const PROMPTS: [&str; 31] = [
    "invalid-choice",
    "vm-enter-pin",
    "vm-wrong-pin",
    "vm-goodbye",
    "vm-main-menu",
    "vm-you-have",
    "vm-no-new-messages",
    "vm-no-saved-messages",
    "vm-message",
    "vm-from",
    "vm-from-unknown",
    "vm-received-at",
    "vm-yesterday",
    "vm-message-menu",
    "vm-deleted",
    "vm-saved",
    "vm-no-more-messages",
    "vm-options-menu",
    "vm-temporary-menu",
    "vm-record-after-tone",
    "vm-greeting-saved",
    "vm-nothing-recorded",
    "vm-greeting-removed",
    "vm-new-pin",
    "vm-repeat-pin",
    "vm-pin-changed",
    "vm-pin-mismatch",
    "vm-pin-invalid",
    "vm-leave-message",
    "vm-is-unavailable",
    "vm-is-busy",
];
