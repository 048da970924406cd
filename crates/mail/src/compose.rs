//! One voicemail to one e-mail: who called, when (in the box owner's time zone), how long,
//! with the recording attached. No I/O and no clock, so every wording is tested exactly.

use std::fmt;
use std::str::FromStr;
use std::time::{Duration, SystemTime};

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use lettre::message::header::ContentType;
use lettre::message::{Attachment, Mailbox, MultiPart, SinglePart};
use lettre::Message;
use serde::Deserialize;

/// The language of the box owner, for the subject and the body.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Language {
    /// Russian.
    Ru,
    /// English.
    #[default]
    En,
}

/// Everything the owner of a voicemail box needs to know about one new message.
#[derive(Clone)]
pub struct VoicemailEmail {
    /// The owner's address (`Name <user@example.com>` or `user@example.com`).
    pub to: String,
    /// The box the message was left in (its number or name), for owners of several boxes.
    pub mailbox: String,
    /// The caller's number as received; empty when the caller hid it.
    pub caller_number: String,
    /// The caller's name, from the SIP display name or the CRM, when known.
    pub caller_name: Option<String>,
    /// When the message was left.
    pub received_at: DateTime<Utc>,
    /// The owner's time zone: the body shows local time, as a person reads it.
    pub timezone: Tz,
    /// Length of the recording; zero when the caller hung up without speaking.
    pub duration: Duration,
    /// The recording as a WAV file; attached unless empty.
    pub wav: Vec<u8>,
    /// Language of the subject and the body.
    pub language: Language,
}

/// Prints the recording's size, not its bytes, so a voicemail can be logged.
impl fmt::Debug for VoicemailEmail {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VoicemailEmail")
            .field("to", &self.to)
            .field("mailbox", &self.mailbox)
            .field("caller_number", &self.caller_number)
            .field("caller_name", &self.caller_name)
            .field("received_at", &self.received_at)
            .field("timezone", &self.timezone)
            .field("duration", &self.duration)
            .field("wav_bytes", &self.wav.len())
            .field("language", &self.language)
            .finish()
    }
}

/// Why a voicemail could not be turned into an e-mail; sending it again cannot help.
#[derive(Debug, thiserror::Error)]
pub enum ComposeError {
    /// The box's e-mail address is wrong: the operator must fix it.
    #[error("{0:?} is not an e-mail address")]
    NotAnAddress(String),
    /// lettre refused to assemble the message.
    #[error("cannot build the e-mail: {0}")]
    Build(String),
}

/// The e-mail for one voicemail, from `from`: subject with the caller and the length, a
/// plain-text body in the box's language, and the WAV attached as `audio/wav`.
///
/// A message of zero length still gets its e-mail: the caller's number is the message.
/// The `Date` is when the voicemail was left, and the `Message-ID` is derived from it, so a
/// retry after a lost answer from the server is recognised as the same e-mail.
pub fn compose(email: &VoicemailEmail, from: &Mailbox) -> Result<Message, ComposeError> {
    let to = Mailbox::from_str(email.to.trim())
        .map_err(|_| ComposeError::NotAnAddress(email.to.clone()))?;
    let words = Words::for_language(email.language);
    let local = email.received_at.with_timezone(&email.timezone);
    let number = one_line(&email.caller_number);
    let name = email
        .caller_name
        .as_deref()
        .map(one_line)
        .filter(|name| !name.is_empty());
    let caller = match (number.is_empty(), &name) {
        (true, None) => words.unknown_number.to_string(),
        (true, Some(name)) => format!("{} ({name})", words.unknown_number),
        (false, None) => number.clone(),
        (false, Some(name)) => format!("{number} ({name})"),
    };
    let length = clock_length(email.duration);
    let subject = format!("{} {caller}, {length}", words.subject);

    let mut body = format!(
        "{}\n\n{}{caller}\n{}{}\n{}{length}\n{}{}\n\n",
        words.heading,
        words.caller,
        words.received,
        local.format(words.time_format),
        words.length,
        words.mailbox,
        one_line(&email.mailbox),
    );
    body.push_str(if email.duration.is_zero() {
        words.empty_note
    } else if email.wav.is_empty() {
        words.no_recording_note
    } else {
        words.attached_note
    });
    body.push('\n');

    let digits: String = number.chars().filter(char::is_ascii_digit).collect();
    let digits = if digits.is_empty() {
        "unknown".to_string()
    } else {
        digits
    };
    let mut parts = MultiPart::mixed().singlepart(SinglePart::plain(body));
    if !email.wav.is_empty() {
        let file_name = format!("voicemail-{}-{digits}.wav", local.format("%Y%m%d-%H%M%S"));
        let audio =
            ContentType::parse("audio/wav").map_err(|e| ComposeError::Build(e.to_string()))?;
        parts = parts.singlepart(Attachment::new(file_name).body(email.wav.clone(), audio));
    }
    let message_id = format!(
        "<voicemail.{}.{digits}.{}@{}>",
        email.received_at.format("%Y%m%dT%H%M%S%.3fZ"),
        id_safe(&email.mailbox),
        from.email.domain(),
    );
    Message::builder()
        .from(from.clone())
        .to(to)
        .subject(subject)
        .date(SystemTime::from(email.received_at))
        .message_id(Some(message_id))
        .multipart(parts)
        .map_err(|e| ComposeError::Build(e.to_string()))
}

/// The fixed wording of one language.
struct Words {
    subject: &'static str,
    heading: &'static str,
    caller: &'static str,
    received: &'static str,
    length: &'static str,
    mailbox: &'static str,
    unknown_number: &'static str,
    time_format: &'static str,
    attached_note: &'static str,
    empty_note: &'static str,
    no_recording_note: &'static str,
}

impl Words {
    fn for_language(language: Language) -> &'static Words {
        match language {
            Language::En => &EN,
            Language::Ru => &RU,
        }
    }
}

static EN: Words = Words {
    subject: "Voicemail from",
    heading: "You have a new voicemail.",
    caller: "Caller:   ",
    received: "Received: ",
    length: "Length:   ",
    mailbox: "Mailbox:  ",
    unknown_number: "unknown number",
    time_format: "%Y-%m-%d %H:%M:%S %Z",
    attached_note: "The recording is attached.",
    empty_note: "The caller hung up without leaving a message.",
    no_recording_note: "The recording could not be attached; it is kept on the PBX.",
};

static RU: Words = Words {
    subject: "Голосовое сообщение от",
    heading: "Вам новое голосовое сообщение.",
    caller: "Звонил:       ",
    received: "Время:        ",
    length: "Длительность: ",
    mailbox: "Ящик:         ",
    unknown_number: "номер скрыт",
    time_format: "%d.%m.%Y %H:%M:%S %Z",
    attached_note: "Запись во вложении.",
    empty_note: "Абонент положил трубку, не оставив сообщения.",
    no_recording_note: "Запись не приложена; она хранится на АТС.",
};

/// Text from the network (a SIP display name) on one line: a CR or LF in it must not reach a
/// header or break the body's layout.
fn one_line(text: &str) -> String {
    text.split(char::is_control)
        .flat_map(str::split_whitespace)
        .collect::<Vec<_>>()
        .join(" ")
}

/// `m:ss`, or `h:mm:ss` from an hour on, rounded to the nearest second.
fn clock_length(duration: Duration) -> String {
    let seconds = (duration.as_millis() + 500) / 1000;
    let (hours, minutes, seconds) = (seconds / 3600, seconds / 60 % 60, seconds % 60);
    if hours > 0 {
        format!("{hours}:{minutes:02}:{seconds:02}")
    } else {
        format!("{minutes}:{seconds:02}")
    }
}

/// A mailbox name reduced to what a Message-ID's left part may hold.
fn id_safe(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn voicemail() -> VoicemailEmail {
        VoicemailEmail {
            to: "Anna <anna@example.com>".into(),
            mailbox: "101".into(),
            caller_number: "+74951234567".into(),
            caller_name: Some("Ivan Petrov".into()),
            received_at: DateTime::parse_from_rfc3339("2026-11-23T19:30:05Z")
                .expect("time")
                .with_timezone(&Utc),
            timezone: chrono_tz::Europe::Moscow,
            duration: Duration::from_millis(41_600),
            wav: b"RIFF....WAVEfmt ".to_vec(),
            language: Language::En,
        }
    }

    fn from() -> Mailbox {
        "Office PBX <pbx@example.com>".parse().expect("from")
    }

    fn text(message: &Message) -> String {
        String::from_utf8_lossy(&message.formatted()).into_owned()
    }

    /// The message as a mail reader sees it, decoded by an independent parser.
    fn parsed(message: &Message) -> mail_parser::Message<'static> {
        mail_parser::MessageParser::default()
            .parse(&message.formatted())
            .expect("parsable message")
            .into_owned()
    }

    #[test]
    fn english_headers_and_attachment_name() {
        use mail_parser::MimeHeaders;

        let message = compose(&voicemail(), &from()).expect("compose");
        let mail = parsed(&message);
        assert_eq!(
            mail.subject(),
            Some("Voicemail from +74951234567 (Ivan Petrov), 0:42")
        );
        let to = mail.to().and_then(|a| a.first()).expect("To");
        assert_eq!(
            (to.name(), to.address()),
            (Some("Anna"), Some("anna@example.com"))
        );
        let date = mail.date().expect("Date");
        assert_eq!(date.to_rfc3339(), "2026-11-23T19:30:05Z");
        assert_eq!(
            mail.message_id(),
            Some("voicemail.20261123T193005.000Z.74951234567.101@example.com")
        );
        let attachment = mail.attachment(0).expect("attachment");
        assert_eq!(
            attachment.attachment_name(),
            Some("voicemail-20261123-223005-74951234567.wav")
        );
        let kind = attachment.content_type().expect("Content-Type");
        assert_eq!((kind.ctype(), kind.subtype()), ("audio", Some("wav")));
        assert_eq!(attachment.contents(), b"RIFF....WAVEfmt ");
        let envelope = message.envelope();
        assert_eq!(envelope.to().len(), 1);
        assert_eq!(envelope.to()[0].to_string(), "anna@example.com");
    }

    #[test]
    fn english_body_shows_local_time() {
        let mail = parsed(&compose(&voicemail(), &from()).expect("compose"));
        let body = mail.body_text(0).expect("body");
        for line in [
            "Caller:   +74951234567 (Ivan Petrov)",
            "Received: 2026-11-23 22:30:05 MSK",
            "Length:   0:42",
            "Mailbox:  101",
            "The recording is attached.",
        ] {
            assert!(body.contains(line), "{line:?} not in {body}");
        }
    }

    #[test]
    fn russian_wording() {
        let mut email = voicemail();
        email.language = Language::Ru;
        email.caller_name = Some("Иван Петров".into());
        let mail = parsed(&compose(&email, &from()).expect("compose"));
        assert_eq!(
            mail.subject(),
            Some("Голосовое сообщение от +74951234567 (Иван Петров), 0:42")
        );
        let body = mail.body_text(0).expect("body");
        for line in [
            "Звонил:       +74951234567 (Иван Петров)",
            "Время:        23.11.2026 22:30:05 MSK",
            "Длительность: 0:42",
            "Ящик:         101",
            "Запись во вложении.",
        ] {
            assert!(body.contains(line), "{line:?} not in {body}");
        }
    }

    #[test]
    fn zero_length_message_still_names_the_caller() {
        let mut email = voicemail();
        email.duration = Duration::ZERO;
        email.caller_name = None;
        let mail = parsed(&compose(&email, &from()).expect("compose"));
        assert_eq!(mail.subject(), Some("Voicemail from +74951234567, 0:00"));
        let body = mail.body_text(0).expect("body");
        assert!(
            body.lines().any(|line| line == "Caller:   +74951234567"),
            "{body}"
        );
        assert!(body.contains("hung up without leaving a message"), "{body}");
    }

    #[test]
    fn hidden_number_and_missing_recording() {
        let mut email = voicemail();
        email.caller_number = String::new();
        email.wav = Vec::new();
        email.duration = Duration::from_secs(3725);
        let message = compose(&email, &from()).expect("compose");
        let mail = parsed(&message);
        assert_eq!(
            mail.subject(),
            Some("Voicemail from unknown number (Ivan Petrov), 1:02:05")
        );
        assert_eq!(mail.attachment_count(), 0);
        assert!(mail
            .body_text(0)
            .is_some_and(|body| body.contains("could not be attached")));
        assert!(mail
            .message_id()
            .is_some_and(|id| id.contains(".unknown.101@")));
    }

    #[test]
    fn a_display_name_cannot_inject_headers() {
        let mut email = voicemail();
        email.caller_name = Some("Eve\r\nBcc: victim@example.com".into());
        let message = compose(&email, &from()).expect("compose");
        let raw = text(&message);
        assert!(!raw.contains("\r\nBcc:"), "{raw}");
        let mail = parsed(&message);
        assert_eq!(mail.bcc(), None);
        assert_eq!(
            mail.subject(),
            Some("Voicemail from +74951234567 (Eve Bcc: victim@example.com), 0:42")
        );
    }

    #[test]
    fn a_bad_address_is_refused() {
        let mut email = voicemail();
        email.to = "anna at example".into();
        assert!(matches!(
            compose(&email, &from()),
            Err(ComposeError::NotAnAddress(address)) if address == "anna at example"
        ));
    }

    #[test]
    fn debug_shows_the_size_of_the_recording() {
        let printed = format!("{:?}", voicemail());
        assert!(printed.contains("wav_bytes: 16"), "{printed}");
    }

    #[test]
    fn lengths() {
        assert_eq!(clock_length(Duration::ZERO), "0:00");
        assert_eq!(clock_length(Duration::from_millis(499)), "0:00");
        assert_eq!(clock_length(Duration::from_millis(500)), "0:01");
        assert_eq!(clock_length(Duration::from_secs(59)), "0:59");
        assert_eq!(clock_length(Duration::from_secs(600)), "10:00");
        assert_eq!(clock_length(Duration::from_secs(3600)), "1:00:00");
    }
}
