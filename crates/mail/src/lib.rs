//! Voicemail notification by e-mail over SMTP: every message left in a voicemail box reaches
//! its owner's inbox, with the recording attached and the caller named in the body.
//!
//! - [`SmtpConfig`]: the `[email]` table of the PBX's TOML (server, security, login, sender).
//! - [`compose`]: one [`VoicemailEmail`] to one MIME message, in the box's language; no I/O.
//! - [`Mailer`]: the thin async shell that hands a message to the configured server and says
//!   whether a failure is worth retrying ([`FailureKind`]).
//! - [`RetryPolicy`]: when to try again after a failure, as a pure function of the attempts
//!   made and `now`, so a mail server that is down delays a notification but never loses it.

mod compose;
mod config;
mod mailer;
mod retry;

/// The time zone of [`VoicemailEmail::timezone`], so callers name it without their own
/// `chrono-tz` dependency (and cannot end up with a second, different version of it).
pub use chrono_tz::Tz;
pub use compose::{compose, ComposeError, Language, VoicemailEmail};
pub use config::{ConfigError, Security, SmtpConfig};
pub use mailer::{Mailer, SendError};
pub use retry::{FailureKind, RetryPolicy};
pub use sb_secret::Secret;
