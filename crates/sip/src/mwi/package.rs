//! The `message-summary` event package (RFC 3842) as the notifier sees it: which `Event`
//! values name it, its body, and how long a subscription to it lasts. Pure functions,
//! tested without sockets. The body format itself is `sb_voicemail::mwi`'s.

use sb_voicemail::mwi::MessageSummary;
pub(crate) use sb_voicemail::mwi::{CONTENT_TYPE, EVENT};

/// RFC 3842 §3.4 suggests one hour when the subscriber asks for no particular duration;
/// the `[pbx]` limits still apply.
const DEFAULT_EXPIRES_SECS: u32 = 3600;

/// How many voice messages a mailbox holds, as the phone's lamp shows them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MessageCounts {
    /// Messages nobody listened to yet: these light the lamp.
    pub new: u32,
    /// Messages already heard and kept.
    pub old: u32,
}

impl MessageCounts {
    /// Whether the lamp is on (`Messages-Waiting: yes`).
    pub fn waiting(&self) -> bool {
        self.new > 0
    }
}

/// Whether an `Event:` value names this package; parameters (`;id=...`) are ignored.
pub(crate) fn is_message_summary(event: &str) -> bool {
    event
        .split(';')
        .next()
        .is_some_and(|name| name.trim().eq_ignore_ascii_case(EVENT))
}

/// The NOTIFY body for `account` (`sip:101@domain`). Urgent messages are not tracked, so
/// their counts are always `(0/0)`.
pub(crate) fn body(account: &str, counts: MessageCounts) -> String {
    MessageSummary::voice(account, counts.new, counts.old).to_string()
}

/// The subscription durations the PBX grants: the registration limits of `[pbx]`, so an
/// operator tunes refresh traffic in one place.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Limits {
    pub min: u32,
    pub max: u32,
}

impl Limits {
    pub fn from_pbx(pbx: &sb_config::Pbx) -> Self {
        Limits {
            min: pbx.register_min_expires,
            max: pbx.register_max_expires,
        }
    }

    /// What the PBX answers to a SUBSCRIBE asking for `asked` seconds (`None`: no `Expires`).
    pub fn grant(self, asked: Option<u32>) -> Grant {
        match asked {
            Some(0) => Grant::Unsubscribe,
            Some(secs) if secs < self.min => Grant::TooBrief { min: self.min },
            Some(secs) => Grant::Seconds(secs.min(self.max)),
            None => Grant::Seconds(DEFAULT_EXPIRES_SECS.min(self.max).max(self.min)),
        }
    }
}

/// The answer to a requested subscription duration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Grant {
    /// Subscribed (or refreshed) for this many seconds.
    Seconds(u32),
    /// `Expires: 0`: end the subscription (or, on a new one, send the state once).
    Unsubscribe,
    /// 423 Interval Too Brief with `Min-Expires`, as for REGISTER.
    TooBrief { min: u32 },
}

/// An `Expires` header that is not a number of seconds: the SUBSCRIBE gets 400.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct BadExpires;

/// The `Expires` value of a request: `Ok(None)` when absent. Values beyond 2^32-1 are taken
/// as 2^32-1 and then clamped like any other.
pub(crate) fn parse_expires(value: Option<&str>) -> Result<Option<u32>, BadExpires> {
    match value.map(str::trim) {
        None => Ok(None),
        Some(text) if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) => {
            Ok(Some(text.parse::<u32>().unwrap_or(u32::MAX)))
        }
        Some(_) => Err(BadExpires),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMITS: Limits = Limits { min: 60, max: 3600 };

    #[test]
    fn durations_are_clamped_like_registrations() {
        assert_eq!(LIMITS.grant(Some(600)), Grant::Seconds(600));
        assert_eq!(LIMITS.grant(Some(60)), Grant::Seconds(60));
        assert_eq!(LIMITS.grant(Some(86_400)), Grant::Seconds(3600));
        assert_eq!(LIMITS.grant(Some(59)), Grant::TooBrief { min: 60 });
        assert_eq!(LIMITS.grant(Some(0)), Grant::Unsubscribe);
        assert_eq!(LIMITS.grant(None), Grant::Seconds(3600));
        let short = Limits { min: 30, max: 300 };
        assert_eq!(short.grant(None), Grant::Seconds(300));
        let long = Limits {
            min: 7200,
            max: 9000,
        };
        assert_eq!(long.grant(None), Grant::Seconds(7200));
    }

    #[test]
    fn expires_header_values() {
        assert_eq!(parse_expires(None), Ok(None));
        assert_eq!(parse_expires(Some(" 600 ")), Ok(Some(600)));
        assert_eq!(parse_expires(Some("0")), Ok(Some(0)));
        assert_eq!(parse_expires(Some("99999999999")), Ok(Some(u32::MAX)));
        assert_eq!(parse_expires(Some("-1")), Err(BadExpires));
        assert_eq!(parse_expires(Some("soon")), Err(BadExpires));
        assert_eq!(parse_expires(Some("")), Err(BadExpires));
    }

    #[test]
    fn event_names() {
        assert!(is_message_summary("message-summary"));
        assert!(is_message_summary(" Message-Summary ;id=1"));
        assert!(!is_message_summary("presence"));
        assert!(!is_message_summary("message-summary-x"));
        assert!(!is_message_summary(""));
    }

    #[test]
    fn body_follows_rfc_3842() {
        let lit = body("sip:101@pbx", MessageCounts { new: 2, old: 8 });
        assert_eq!(
            lit,
            "Messages-Waiting: yes\r\nMessage-Account: sip:101@pbx\r\nVoice-Message: 2/8 (0/0)\r\n"
        );
        let dark = body("sip:101@pbx", MessageCounts { new: 0, old: 3 });
        assert!(dark.starts_with("Messages-Waiting: no\r\n"));
        assert!(dark.contains("Voice-Message: 0/3 (0/0)\r\n"));
    }
}
