//! Where a DID's calls go: the `kind:name` text of [`Did::target`] as a type. Internal
//! numbers ([`Internal::target`]) name their targets the same way.
//!
//! The file keeps the target as one short string (`queue:sales`) because it reads well;
//! the code that routes a call matches on [`DidTarget`] instead of splitting strings.

use crate::model::{Did, Internal};

/// Where a DID's calls go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DidTarget<'a> {
    /// `extension:101`: ring that extension.
    Extension(&'a str),
    /// `queue:sales`: put the call in that queue.
    Queue(&'a str),
    /// `scenario:main`: run that call-flow scenario.
    Scenario(&'a str),
}

/// Why a target text is not a target.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TargetError {
    /// The part before `:` is not a kind of target, or there is no `:`.
    #[error("{0:?} must be extension:NUMBER, queue:NAME or scenario:NAME")]
    UnknownKind(String),
    /// Nothing after the `:`.
    #[error("{0:?} names no {1}")]
    EmptyName(String, &'static str),
}

impl<'a> DidTarget<'a> {
    /// Reads `extension:N`, `queue:NAME` or `scenario:NAME`. Only the form is checked here;
    /// whether the extension or queue exists is [`Config::validate`](crate::Config::validate)'s
    /// business.
    pub fn parse(text: &'a str) -> Result<Self, TargetError> {
        let unknown = || TargetError::UnknownKind(text.to_string());
        let (kind, name) = text.split_once(':').ok_or_else(unknown)?;
        let (target, kind) = match kind {
            "extension" => (DidTarget::Extension(name), "extension"),
            "queue" => (DidTarget::Queue(name), "queue"),
            "scenario" => (DidTarget::Scenario(name), "scenario"),
            _ => return Err(unknown()),
        };
        if name.trim().is_empty() {
            return Err(TargetError::EmptyName(text.to_string(), kind));
        }
        Ok(target)
    }
}

impl Did {
    /// This DID's target as a [`DidTarget`]; always `Ok` in a validated configuration.
    pub fn parsed_target(&self) -> Result<DidTarget<'_>, TargetError> {
        DidTarget::parse(&self.target)
    }
}

impl Internal {
    /// This internal number's target, written like a DID's; always `Ok` in a validated
    /// configuration.
    pub fn parsed_target(&self) -> Result<DidTarget<'_>, TargetError> {
        DidTarget::parse(&self.target)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_each_kind() {
        assert_eq!(
            DidTarget::parse("extension:101"),
            Ok(DidTarget::Extension("101"))
        );
        assert_eq!(
            DidTarget::parse("queue:sales"),
            Ok(DidTarget::Queue("sales"))
        );
        assert_eq!(
            DidTarget::parse("scenario:main"),
            Ok(DidTarget::Scenario("main"))
        );
    }

    #[test]
    fn rejects_an_unknown_kind_or_no_colon() {
        for text in ["queu:sales", "sales", ""] {
            assert_eq!(
                DidTarget::parse(text),
                Err(TargetError::UnknownKind(text.to_string()))
            );
        }
    }

    #[test]
    fn rejects_an_empty_name() {
        let error = DidTarget::parse("scenario: ").unwrap_err();
        assert_eq!(error.to_string(), r#""scenario: " names no scenario"#);
    }
}
