//! The errors a configuration can have, each naming where in the file it is.
//!
//! An operator fixing a file wants every mistake at once, each pointing at its key, rather
//! than one error per attempt; so errors are collected into [`ConfigErrors`], one line each.

use std::fmt;

/// One mistake in a configuration.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{path}: {message}")]
pub struct ConfigError {
    /// The key path of the mistake, as written in the file: `extension[3].number`,
    /// `pbx.ring_timeout_secs`, `did[0].trunk` (arrays of tables count from 0). For a file
    /// that cannot be read, the file's path.
    pub path: String,
    /// What is wrong, for a person to read.
    pub message: String,
}

impl ConfigError {
    /// A mistake at `path`.
    pub fn new(path: impl Into<String>, message: impl Into<String>) -> Self {
        ConfigError {
            path: path.into(),
            message: message.into(),
        }
    }
}

/// All the mistakes found in a configuration; never empty.
///
/// Displayed as one line per mistake, in the order of the file's sections.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", Lines(.errors))]
pub struct ConfigErrors {
    errors: Vec<ConfigError>,
}

impl ConfigErrors {
    /// Wraps the mistakes found; `None` when there are none, so that an empty error cannot
    /// be made.
    pub(crate) fn from_vec(errors: Vec<ConfigError>) -> Option<Self> {
        (!errors.is_empty()).then_some(ConfigErrors { errors })
    }

    /// The mistakes, in the order found.
    pub fn errors(&self) -> &[ConfigError] {
        &self.errors
    }
}

impl From<ConfigError> for ConfigErrors {
    fn from(error: ConfigError) -> Self {
        ConfigErrors {
            errors: vec![error],
        }
    }
}

impl IntoIterator for ConfigErrors {
    type Item = ConfigError;
    type IntoIter = std::vec::IntoIter<ConfigError>;

    fn into_iter(self) -> Self::IntoIter {
        self.errors.into_iter()
    }
}

/// Displays errors one per line.
struct Lines<'a>(&'a [ConfigError]);

impl fmt::Display for Lines<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, error) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            write!(f, "{error}")?;
        }
        Ok(())
    }
}
