//! `[voicemail]` and `[[mailbox]]`: where callers leave messages, and who hears them.
//!
//! Every extension has a box of its own, named by its number, with the extension's
//! `voicemail_pin` and `email`; shared boxes (the office's `general` box) are
//! `[[mailbox]]` tables with owners, whose phones' lamps light for its messages and to
//! whom its callback tasks fall.

use crate::media::Language;
use serde::{Deserialize, Serialize};

/// How messages are recorded and spoken about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Voicemail {
    /// The longest message, in seconds: a caller who talks on is cut off with the message
    /// kept.
    pub max_message_secs: u64,
    /// A caller silent this long has finished (or left the phone off the hook), seconds.
    pub silence_secs: u64,
    /// Wrong PINs in a row before the listening call is ended.
    pub pin_attempts: u32,
    /// The time zone in which message times are spoken and e-mailed (IANA name).
    pub timezone: String,
    /// Whether a direct call to an extension that nobody answers within
    /// `ring_timeout_secs`, that finds the person busy, or that finds no phone registered
    /// goes to the extension's own box, for every extension that does not say otherwise
    /// (its `voicemail_on_no_answer`). Off by default, so such a call rings for
    /// `[pbx] ring_timeout_secs` and the caller is told the person is unavailable.
    pub on_no_answer: bool,
    /// How long such a call rings before the box takes it, seconds (5 to 300); each
    /// extension may set its own (`voicemail_ring_timeout_secs`).
    pub ring_timeout_secs: u32,
}

impl Default for Voicemail {
    fn default() -> Self {
        Voicemail {
            max_message_secs: 180,
            silence_secs: 7,
            pin_attempts: 3,
            timezone: "Europe/Moscow".into(),
            on_no_answer: false,
            ring_timeout_secs: 20,
        }
    }
}

/// `[[mailbox]]`: a shared voicemail box.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Mailbox {
    /// What `voicemail` steps call it (`box = "general"`): letters, digits, `-`, `_`; not
    /// an extension number, since every extension's own box is named by its number.
    pub name: String,
    /// The PIN asked when listening, 4 to 8 digits; a PIN changed by phone replaces it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pin: Option<String>,
    /// The extensions that look after the box: their lamps light for its new messages.
    /// Its callback tasks are the box's, for whoever reads it, unless the caller's
    /// responsible manager is known.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub owners: Vec<String>,
    /// Where each new message is e-mailed, with the recording attached.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub email: Vec<String>,
    /// The language of the box's prompts and e-mails; left out, `[media] language`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language: Option<Language>,
}

/// A voicemail box as the PBX uses it, whether an extension's own or a shared one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailboxView {
    /// The box's name: the extension number or the `[[mailbox]]` name.
    pub name: String,
    /// The configured PIN (a PIN changed by phone, kept in the database, wins).
    pub pin: Option<String>,
    /// Whose lamps light and who is assigned its tasks.
    pub owners: Vec<String>,
    /// Where new messages are e-mailed.
    pub email: Vec<String>,
    /// The box's language.
    pub language: Language,
}

/// A PIN is 4 to 8 digits: short enough to key in, long enough not to be guessed in the
/// three tries a caller gets.
const PIN_DIGITS: std::ops::RangeInclusive<usize> = 4..=8;

/// The checks of `[voicemail]`, `[[mailbox]]`, the extensions' PINs and e-mail addresses,
/// and of the boxes `voicemail` steps name; each error at its key path.
pub(crate) fn check(config: &crate::Config) -> Vec<crate::ConfigError> {
    let mut errors = Vec::new();
    let mut add =
        |path: String, message: String| errors.push(crate::ConfigError::new(path, message));
    let vm = &config.voicemail;
    if !(1..=3600).contains(&vm.max_message_secs) {
        add(
            "voicemail.max_message_secs".into(),
            "must be 1 to 3600".into(),
        );
    }
    if !(1..=60).contains(&vm.silence_secs) {
        add("voicemail.silence_secs".into(), "must be 1 to 60".into());
    }
    if !(1..=10).contains(&vm.pin_attempts) {
        add("voicemail.pin_attempts".into(), "must be 1 to 10".into());
    }
    if vm.timezone.parse::<chrono_tz::Tz>().is_err() {
        add(
            "voicemail.timezone".into(),
            format!(
                "{:?} is not an IANA time zone (like \"Europe/Moscow\")",
                vm.timezone
            ),
        );
    }
    for (i, extension) in config.extensions.iter().enumerate() {
        if let Some(pin) = &extension.voicemail_pin {
            if let Some(problem) = pin_problem(pin) {
                add(format!("extension[{i}].voicemail_pin"), problem);
            }
        }
        if let Some(email) = &extension.email {
            if !is_address(email) {
                add(
                    format!("extension[{i}].email"),
                    format!("{email:?} is not an e-mail address"),
                );
            }
        }
    }
    if let Some(Err(e)) = config.email.as_ref().map(sb_mail::SmtpConfig::validate) {
        add(format!("email.{}", e.key()), e.message().to_owned());
    }
    let mut names = std::collections::HashSet::new();
    for (i, mailbox) in config.mailboxes.iter().enumerate() {
        let at = format!("mailbox[{i}]");
        if !is_box_name(&mailbox.name) {
            add(
                format!("{at}.name"),
                format!("{:?} must be letters, digits, '-' or '_'", mailbox.name),
            );
        } else if config.extension(&mailbox.name).is_some() {
            add(
                format!("{at}.name"),
                format!(
                    "{:?} is an extension number, whose own box it already is",
                    mailbox.name
                ),
            );
        } else if !names.insert(mailbox.name.as_str()) {
            add(
                format!("{at}.name"),
                format!("{:?} is used by an earlier mailbox", mailbox.name),
            );
        }
        if let Some(problem) = mailbox.pin.as_deref().and_then(pin_problem) {
            add(format!("{at}.pin"), problem);
        }
        for (j, owner) in mailbox.owners.iter().enumerate() {
            if config.extension(owner).is_none() {
                add(
                    format!("{at}.owners[{j}]"),
                    format!("unknown extension {owner:?}"),
                );
            }
        }
        for (j, email) in mailbox.email.iter().enumerate() {
            if !is_address(email) {
                add(
                    format!("{at}.email[{j}]"),
                    format!("{email:?} is not an e-mail address"),
                );
            }
        }
    }
    for (scenario, flow) in &config.scenarios {
        for (step, config_step) in &flow.steps {
            if let sb_flow::scenario::StepConfig::Voicemail(voicemail) = config_step {
                if config.mailbox(&voicemail.mailbox).is_none() {
                    add(
                        format!("scenario.{scenario}.steps.{step}.box"),
                        format!(
                            "unknown mailbox {:?}: an extension number or a [[mailbox]] name",
                            voicemail.mailbox
                        ),
                    );
                }
            }
        }
    }
    errors
}

fn pin_problem(pin: &str) -> Option<String> {
    let digits = !pin.is_empty() && pin.bytes().all(|b| b.is_ascii_digit());
    (!digits || !PIN_DIGITS.contains(&pin.len())).then(|| {
        format!(
            "must be {} to {} digits",
            PIN_DIGITS.start(),
            PIN_DIGITS.end()
        )
    })
}

/// A box name becomes a directory name, so it is kept to characters that are safe there.
fn is_box_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// `local@domain` with no spaces or angle brackets: what SMTP will accept as a recipient.
/// Full RFC 5322 syntax is the mail library's to check; this catches the slips.
fn is_address(text: &str) -> bool {
    let Some((local, domain)) = text.rsplit_once('@') else {
        return false;
    };
    !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !text
            .chars()
            .any(|c| c.is_whitespace() || c == '<' || c == '>' || c == ',')
}
