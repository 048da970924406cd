//! The I/O edge: where the engine's [`Step::Ask`](crate::resolve::Step::Ask) is carried
//! out. Each adapter is thin: one documented endpoint or two, the answer mapped to a
//! [`Person`]; mapping people to extensions, caching, time-outs between sources and
//! breakers are the engine's and the shell's.

mod amocrm;
mod bitrix24;
mod generic;
mod history;
mod http;
mod megaplan;

use async_trait::async_trait;

use crate::person::Person;

/// URL checks for the config, done as the adapters will use the URLs.
pub(crate) mod http_checks {
    pub(crate) use super::generic::check_template as template;
    pub(crate) use super::http::base_url;
}

pub use amocrm::AmoCrm;
pub use bitrix24::Bitrix24;
pub use generic::GenericHttp;
pub use history::{AnsweredCall, CallHistory, HistoryError, HistorySource, MemoryHistory};
pub use http::HttpClient;
pub use megaplan::Megaplan;

/// A place to look the responsible person up in.
#[async_trait]
pub trait Source: Send + Sync {
    /// Who is responsible for `e164` (`+74951234567`): `None` when the source does not
    /// know the number or nobody is responsible.
    async fn lookup(&self, e164: &str) -> Result<Option<Person>, SourceError>;
}

/// Why a source could not answer. The text goes to the trace and the log, so it never
/// holds a URL (a Bitrix24 webhook URL is a credential) or a token.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SourceError {
    /// The service answered with an error status.
    #[error("HTTP {0}")]
    Status(u16),
    /// No answer: connection refused, reset, DNS.
    #[error("{0}")]
    Transport(String),
    /// The request's own time limit passed.
    #[error("timed out")]
    Timeout,
    /// An answer not in the documented shape.
    #[error("unexpected answer: {0}")]
    Protocol(String),
    /// The service answered with its own error code (Bitrix24's `QUERY_LIMIT_EXCEEDED`,
    /// which may come with HTTP 200).
    #[error("error {0}")]
    Refused(String),
    /// The PBX's call history could not be read.
    #[error("{0}")]
    History(String),
    /// The HTTP client could not be built (no TLS roots).
    #[error("HTTP client: {0}")]
    Setup(String),
}

/// The digits a CRM's full-text search is given: the last ten, which is the national
/// significant number in Russia, the US and the UK, so the contact is found however the
/// manager typed its prefix (`+7`, `8`, or none).
pub(crate) fn search_digits(e164: &str) -> &str {
    let digits = e164.trim_start_matches('+');
    &digits[digits.len().saturating_sub(10)..]
}

/// Whether a phone as stored in a CRM (`8 (495) 123-45-67`) is the caller: its digits end
/// with [`search_digits`]. Full-text searches match notes and other fields too.
pub(crate) fn same_phone(stored: &str, e164: &str) -> bool {
    let digits: String = stored.chars().filter(char::is_ascii_digit).collect();
    let wanted = search_digits(e164);
    !wanted.is_empty() && digits.ends_with(wanted)
}
