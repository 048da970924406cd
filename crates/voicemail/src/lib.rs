//! Voicemail, missed calls and callbacks, decided without I/O: no customer is forgotten.
//!
//! Everything here is a pure function of its inputs and an injected `now`; nothing reads a
//! clock, a file or a socket. The shell (SIP, RTP, the database) feeds events in and
//! carries actions out, so every rule is tested at fixed instants in microseconds.
//!
//! - [`menu`]: the `*97` "listen to my voicemail" phone menu: PIN, message counts,
//!   playing, saving, deleting and calling back, greetings and PIN changes. Drive a
//!   [`Menu`] with [`Menu::new`] and [`Menu::handle`].
//! - [`greeting`]: which greeting a caller hears before leaving a message.
//! - [`mwi`]: the RFC 3842 `application/simple-message-summary` body that lights a
//!   phone's message lamp, built and parsed.
//! - [`tasks`]: callback tasks: every voicemail, unanswered outside call and call
//!   abandoned in a queue opens or updates one task per number, assigned to someone, until
//!   an answered call with that number (or a person) closes it.
//!
//! What the caller hears is said in language-neutral [`Say`] items; the shell turns them
//! into prompt files with `sb_media::audio::say`, which knows each language's grammar.
//!
//! ```
//! use chrono::{DateTime, NaiveDate, Utc};
//! use sb_voicemail::{Action, Event, Greetings, Menu, MenuSetup, Say};
//!
//! let now: DateTime<Utc> = "2026-11-23T07:00:00Z".parse().unwrap();
//! let setup = MenuSetup {
//!     mailbox: "101".into(),
//!     pin: Some("4321".into()),
//!     max_pin_attempts: 3,
//!     messages: Vec::new(),
//!     greetings: Greetings::default(),
//!     today: NaiveDate::from_ymd_opt(2026, 11, 23).unwrap(),
//! };
//! let (mut menu, actions) = Menu::new(setup);
//! assert_eq!(actions, [Action::Play { id: 1, items: vec![Say::Prompt("vm-enter-pin")] }]);
//! // The owner types the PIN over the prompt: the first key stops it.
//! let actions = menu.handle(Event::Digit('4'), now);
//! assert_eq!(actions[0], Action::StopPlay { id: 1 });
//! for key in ['3', '2', '1'] {
//!     menu.handle(Event::Digit(key), now);
//! }
//! let actions = menu.handle(Event::Digit('#'), now);
//! assert_eq!(actions, [Action::Play {
//!     id: 2,
//!     items: vec![Say::MessageCounts { new: 0, saved: 0 }, Say::Prompt("vm-main-menu")],
//! }]);
//! ```

pub mod greeting;
pub mod menu;
pub mod mwi;
mod say;
pub mod tasks;

pub use greeting::{caller_greeting, GreetingKind, Greetings, VoicemailReason};
pub use menu::{Action, Event, Folder, Menu, MenuSetup, MessageInfo};
pub use say::{Say, PROMPTS};
