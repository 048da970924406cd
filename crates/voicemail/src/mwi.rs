//! The message-waiting body of RFC 3842: what a SIP NOTIFY of the `message-summary` event
//! carries to light (or put out) a phone's message lamp.
//!
//! The body, `application/simple-message-summary`, is a few header-like lines ending in
//! CRLF (RFC 3842 section 5.2):
//!
//! ```text
//! Messages-Waiting: yes
//! Message-Account: sip:101@pbx.example.com
//! Voice-Message: 2/8 (0/0)
//! ```
//!
//! `yes` when any message is new; then, per kind of message (RFC 3458's
//! message-context-class), the new and old counts and optionally, in parentheses, how
//! many of those are urgent. Optional message headers may follow after an empty line.
//!
//! `MessageSummary::to_string()` (its [`Display`](fmt::Display)) builds the body;
//! [`MessageSummary::parse`] reads one, as phones read it: header names and `yes`/`no` in
//! any case, whitespace and folded lines allowed, bare LF line ends accepted, unknown
//! lines and the optional message headers skipped, and counts checked (digits only, at
//! most 2^32-1).

use std::fmt;

use thiserror::Error;

/// The body's media type, for the NOTIFY's `Content-Type`.
pub const CONTENT_TYPE: &str = "application/simple-message-summary";

/// The `Event` header value of message-waiting subscriptions and notifications.
pub const EVENT: &str = "message-summary";

/// A message-summary body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageSummary {
    /// Whether any message is new: the lamp.
    pub waiting: bool,
    /// The mailbox's address (`sip:101@pbx.example.com`), which the phone may call to
    /// listen.
    pub account: Option<String>,
    /// The counts per kind of message, in order.
    pub lines: Vec<SummaryLine>,
}

/// The counts of one kind of message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SummaryLine {
    /// Which kind.
    pub class: MessageClass,
    /// Messages not yet heard.
    pub new: u32,
    /// Messages heard and kept.
    pub old: u32,
    /// How many of the new and old are urgent, when the sender says.
    pub urgent: Option<Urgent>,
}

/// Urgent messages among a line's new and old ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Urgent {
    /// Urgent new messages.
    pub new: u32,
    /// Urgent old messages.
    pub old: u32,
}

/// A kind of message, RFC 3458's message-context-class.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MessageClass {
    /// `Voice-Message`: voicemail, the only kind this PBX sends.
    Voice,
    /// `Fax-Message`.
    Fax,
    /// `Pager-Message`.
    Pager,
    /// `Multimedia-Message`.
    Multimedia,
    /// `Text-Message`.
    Text,
    /// `None`: messages of no particular kind.
    None,
}

impl MessageClass {
    /// Every kind, in RFC 3458's order.
    pub const ALL: [MessageClass; 6] = [
        MessageClass::Voice,
        MessageClass::Fax,
        MessageClass::Pager,
        MessageClass::Multimedia,
        MessageClass::Text,
        MessageClass::None,
    ];

    /// The line's name in the body, as conventionally capitalised.
    pub fn header(self) -> &'static str {
        match self {
            MessageClass::Voice => "Voice-Message",
            MessageClass::Fax => "Fax-Message",
            MessageClass::Pager => "Pager-Message",
            MessageClass::Multimedia => "Multimedia-Message",
            MessageClass::Text => "Text-Message",
            MessageClass::None => "None",
        }
    }

    fn from_header(name: &str) -> Option<MessageClass> {
        MessageClass::ALL
            .into_iter()
            .find(|class| class.header().eq_ignore_ascii_case(name))
    }
}

/// Why a body could not be read.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum MwiError {
    /// The required status line is missing.
    #[error("no Messages-Waiting line")]
    MissingStatus,
    /// The status line appears twice, so the lamp's state is ambiguous.
    #[error("Messages-Waiting appears twice")]
    DuplicateStatus,
    /// The status is neither `yes` nor `no`.
    #[error("Messages-Waiting must be yes or no, not {0:?}")]
    BadStatus(String),
    /// The account line has no address.
    #[error("Message-Account has no address")]
    EmptyAccount,
    /// A count line is not `new/old` or `new/old (new/old)` with counts up to 2^32-1.
    #[error("{header}: {value:?} is not new/old or new/old (urgent new/urgent old)")]
    BadCounts {
        /// The line's name.
        header: &'static str,
        /// Its value.
        value: String,
    },
    /// A line is not `name: value`.
    #[error("not a header line: {0:?}")]
    Malformed(String),
}

impl MessageSummary {
    /// A voicemail box's summary: waiting when any message is new, with the urgent counts
    /// `(0/0)` that phones expect and this PBX does not track.
    pub fn voice(account: impl Into<String>, new: u32, old: u32) -> MessageSummary {
        MessageSummary {
            waiting: new > 0,
            account: Some(account.into()),
            lines: vec![SummaryLine {
                class: MessageClass::Voice,
                new,
                old,
                urgent: Some(Urgent { new: 0, old: 0 }),
            }],
        }
    }

    /// The voicemail counts, if the body has them.
    pub fn voice_counts(&self) -> Option<SummaryLine> {
        self.lines
            .iter()
            .find(|line| line.class == MessageClass::Voice)
            .copied()
    }

    /// Reads a body (see the module documentation for what is tolerated).
    pub fn parse(body: &str) -> Result<MessageSummary, MwiError> {
        let mut waiting = None;
        let mut account = None;
        let mut lines = Vec::new();
        for line in header_lines(body)? {
            let Some((name, value)) = line.split_once(':') else {
                return Err(MwiError::Malformed(line));
            };
            let name = name.trim_end_matches([' ', '\t']);
            let value = value.trim();
            if name.eq_ignore_ascii_case("Messages-Waiting") {
                let status = if value.eq_ignore_ascii_case("yes") {
                    true
                } else if value.eq_ignore_ascii_case("no") {
                    false
                } else {
                    return Err(MwiError::BadStatus(value.to_owned()));
                };
                if waiting.replace(status).is_some() {
                    return Err(MwiError::DuplicateStatus);
                }
            } else if name.eq_ignore_ascii_case("Message-Account") {
                if value.is_empty() {
                    return Err(MwiError::EmptyAccount);
                }
                account = Some(value.to_owned());
            } else if let Some(class) = MessageClass::from_header(name) {
                lines.push(summary_line(class, value)?);
            }
        }
        let waiting = waiting.ok_or(MwiError::MissingStatus)?;
        Ok(MessageSummary {
            waiting,
            account,
            lines,
        })
    }
}

/// The body, CRLF line ends. Control characters in the account are left out, so a bad
/// configuration cannot add lines to it.
impl fmt::Display for MessageSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let status = if self.waiting { "yes" } else { "no" };
        write!(f, "Messages-Waiting: {status}\r\n")?;
        if let Some(account) = &self.account {
            let account: String = account.chars().filter(|c| !c.is_control()).collect();
            write!(f, "Message-Account: {account}\r\n")?;
        }
        for line in &self.lines {
            write!(f, "{}: {}/{}", line.class.header(), line.new, line.old)?;
            if let Some(urgent) = line.urgent {
                write!(f, " ({}/{})", urgent.new, urgent.old)?;
            }
            f.write_str("\r\n")?;
        }
        Ok(())
    }
}

/// The body's lines before the first empty one (after it come message headers), folded
/// lines joined.
fn header_lines(body: &str) -> Result<Vec<String>, MwiError> {
    let mut lines: Vec<String> = Vec::new();
    for line in body.split('\n') {
        let line = line.strip_suffix('\r').unwrap_or(line);
        if line.is_empty() {
            break;
        }
        if line.starts_with([' ', '\t']) {
            let Some(last) = lines.last_mut() else {
                return Err(MwiError::Malformed(line.to_owned()));
            };
            last.push(' ');
            last.push_str(line.trim_start());
        } else {
            lines.push(line.to_owned());
        }
    }
    Ok(lines)
}

/// `new/old` or `new/old (urgent new/urgent old)`, spaces allowed around the marks.
fn summary_line(class: MessageClass, value: &str) -> Result<SummaryLine, MwiError> {
    let bad = || MwiError::BadCounts {
        header: class.header(),
        value: value.to_owned(),
    };
    let (counts, urgent) = match value.split_once('(') {
        Some((counts, rest)) => {
            let inner = rest.trim_end().strip_suffix(')').ok_or_else(bad)?;
            let (new, old) = pair(inner).ok_or_else(bad)?;
            (counts, Some(Urgent { new, old }))
        }
        None => (value, None),
    };
    let (new, old) = pair(counts).ok_or_else(bad)?;
    Ok(SummaryLine {
        class,
        new,
        old,
        urgent,
    })
}

fn pair(text: &str) -> Option<(u32, u32)> {
    let (first, second) = text.split_once('/')?;
    Some((count(first)?, count(second)?))
}

fn count(text: &str) -> Option<u32> {
    let text = text.trim();
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn a_voice_summary_is_the_rfc_body_with_crlf() {
        assert_eq!(
            MessageSummary::voice("sip:101@pbx.example.com", 2, 8).to_string(),
            "Messages-Waiting: yes\r\n\
             Message-Account: sip:101@pbx.example.com\r\n\
             Voice-Message: 2/8 (0/0)\r\n"
        );
        // Old messages alone do not light the lamp.
        assert_eq!(
            MessageSummary::voice("sip:101@pbx", 0, 3).to_string(),
            "Messages-Waiting: no\r\nMessage-Account: sip:101@pbx\r\nVoice-Message: 0/3 (0/0)\r\n"
        );
    }

    #[test]
    fn the_account_cannot_inject_lines() {
        let summary = MessageSummary::voice("sip:101@pbx\r\nMessages-Waiting: no", 1, 0);
        let body = summary.to_string();
        assert_eq!(body.matches("\r\n").count(), 3, "{body:?}");
        let parsed = MessageSummary::parse(&body).unwrap();
        assert!(parsed.waiting);
        assert_eq!(
            parsed.account.as_deref(),
            Some("sip:101@pbxMessages-Waiting: no")
        );
    }

    #[test]
    fn parses_the_rfc_example_with_message_headers() {
        let body = "Messages-Waiting: yes\r\n\
                    Message-Account: sip:alice@vmail.example.com\r\n\
                    Voice-Message: 4/8 (1/2)\r\n\
                    \r\n\
                    Message-ID: 31415926535897932384@example.com\r\n\
                    Voice-Message: 99/99\r\n";
        let summary = MessageSummary::parse(body).unwrap();
        assert_eq!(
            summary,
            MessageSummary {
                waiting: true,
                account: Some("sip:alice@vmail.example.com".into()),
                lines: vec![SummaryLine {
                    class: MessageClass::Voice,
                    new: 4,
                    old: 8,
                    urgent: Some(Urgent { new: 1, old: 2 }),
                }],
            }
        );
    }

    #[test]
    fn parsing_is_as_tolerant_as_phones() {
        // Any case, spaces around the marks, bare LF, a folded line, unknown lines,
        // several classes, no account.
        let body = "messages-waiting :  NO\n\
                    X-Vendor: 7\n\
                    voice-message: 0 / 2\n\
                    \t( 0 / 1 )\n\
                    Fax-Message: 1/0\n";
        let summary = MessageSummary::parse(body).unwrap();
        assert!(!summary.waiting);
        assert_eq!(summary.account, None);
        assert_eq!(
            summary.lines,
            [
                SummaryLine {
                    class: MessageClass::Voice,
                    new: 0,
                    old: 2,
                    urgent: Some(Urgent { new: 0, old: 1 }),
                },
                SummaryLine {
                    class: MessageClass::Fax,
                    new: 1,
                    old: 0,
                    urgent: None,
                },
            ]
        );
        assert_eq!(summary.voice_counts(), Some(summary.lines[0]));
        let fax_only = MessageSummary::parse("Messages-Waiting: yes\r\nFax-Message: 1/0\r\n");
        assert_eq!(fax_only.unwrap().voice_counts(), None);
    }

    #[test]
    fn bad_bodies_are_refused_with_the_reason() {
        let cases: [(&str, MwiError); 11] = [
            ("", MwiError::MissingStatus),
            ("Voice-Message: 1/0\r\n", MwiError::MissingStatus),
            (
                "Messages-Waiting: maybe\r\n",
                MwiError::BadStatus("maybe".into()),
            ),
            (
                "Messages-Waiting: yes\r\nMessages-Waiting: no\r\n",
                MwiError::DuplicateStatus,
            ),
            (
                "Messages-Waiting: yes\r\nMessage-Account:  \r\n",
                MwiError::EmptyAccount,
            ),
            (
                "Messages-Waiting yes\r\n",
                MwiError::Malformed("Messages-Waiting yes".into()),
            ),
            (
                " Messages-Waiting: yes\r\n",
                MwiError::Malformed(" Messages-Waiting: yes".into()),
            ),
            (
                "Messages-Waiting: yes\r\nVoice-Message: 1\r\n",
                bad_voice("1"),
            ),
            (
                "Messages-Waiting: yes\r\nVoice-Message: -1/0\r\n",
                bad_voice("-1/0"),
            ),
            (
                "Messages-Waiting: yes\r\nVoice-Message: 4294967296/0\r\n",
                bad_voice("4294967296/0"),
            ),
            (
                "Messages-Waiting: yes\r\nVoice-Message: 1/0 (0/0\r\n",
                bad_voice("1/0 (0/0"),
            ),
        ];
        for (body, expected) in cases {
            assert_eq!(MessageSummary::parse(body), Err(expected), "{body:?}");
        }
        for value in ["+1/0", "1/0 (a/0)", "1/0 (0/0) x", "/", "1/2/3"] {
            let body = format!("Messages-Waiting: yes\r\nVoice-Message: {value}\r\n");
            assert_eq!(
                MessageSummary::parse(&body),
                Err(bad_voice(value)),
                "{value}"
            );
        }
        assert_eq!(
            MessageSummary::parse("Messages-Waiting: yes\r\nVoice-Message: 4294967295/0\r\n")
                .unwrap()
                .voice_counts()
                .map(|line| line.new),
            Some(u32::MAX)
        );
        assert_eq!(
            MwiError::BadStatus("maybe".into()).to_string(),
            "Messages-Waiting must be yes or no, not \"maybe\""
        );
    }

    fn bad_voice(value: &str) -> MwiError {
        MwiError::BadCounts {
            header: "Voice-Message",
            value: value.to_owned(),
        }
    }

    fn summary_line() -> impl Strategy<Value = SummaryLine> {
        (
            0..MessageClass::ALL.len(),
            any::<u32>(),
            any::<u32>(),
            prop::option::of((any::<u32>(), any::<u32>())),
        )
            .prop_map(|(class, new, old, urgent)| SummaryLine {
                class: MessageClass::ALL[class],
                new,
                old,
                urgent: urgent.map(|(new, old)| Urgent { new, old }),
            })
    }

    proptest! {
        #[test]
        fn every_summary_round_trips(
            waiting in any::<bool>(),
            account in prop::option::of("sips?:[a-z0-9.]{1,12}@[a-z0-9.-]{1,20}(;[a-z]+=[a-z0-9]+)?"),
            lines in prop::collection::vec(summary_line(), 0..8),
        ) {
            let summary = MessageSummary { waiting, account, lines };
            let body = summary.to_string();
            prop_assert!(body.ends_with("\r\n"));
            prop_assert!(!body.replace("\r\n", "").contains(['\r', '\n']));
            prop_assert_eq!(MessageSummary::parse(&body), Ok(summary));
        }

        #[test]
        fn any_text_is_read_or_refused_without_panic(body in "[a-zA-Z:/() \r\n\t0-9-]{0,200}") {
            let _ = MessageSummary::parse(&body);
        }
    }
}
