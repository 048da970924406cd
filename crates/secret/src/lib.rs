//! Credentials that must never reach a log, a trace or a panic message: the SMTP password
//! (`sb-mail`) and the CRM tokens and webhook addresses (`sb-icm`). One type for both, so
//! both hide a credential the same way.

use std::fmt;

use serde::Deserialize;

/// A credential, or a URL with one inside (a Bitrix24 inbound webhook). Its `Debug` and
/// `Display` print `***`, so a config or a source can be logged whole; only
/// [`Secret::expose`] gives the text, at the one place that sends it.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    /// Wraps a credential.
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// The credential itself, for the login or request that carries it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn never_printed() {
        for text in ["hunter2", "https://x.bitrix24.ru/rest/1/s3cr3t/"] {
            let secret = Secret::new(text);
            assert_eq!(
                format!("{secret} {secret:?} {:?}", Some(&secret)),
                "*** *** Some(***)"
            );
            assert_eq!(secret.expose(), text);
        }
    }
}
