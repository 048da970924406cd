//! Validation errors of schedules and scenarios, each naming the key path of the mistake.
//!
//! An operator fixing a config wants every mistake at once, not one per attempt, and wants
//! to find it in the file; so errors are collected into [`PathErrors`], one line each,
//! like `schedule.main.mon[1]: "14:00-13:00" ends before it starts` or
//! `scenario.main.steps.menu.digits.12: "12" is not one DTMF key`.

use std::fmt;

/// One mistake in a schedule's or a scenario's configuration.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{path}: {message}")]
pub struct PathError {
    /// The key path as written in the file: `schedule.main.mon[1]`,
    /// `scenario.main.steps.menu.fallback`.
    pub path: String,
    /// What is wrong, quoting the offending value.
    pub message: String,
}

impl PathError {
    pub(crate) fn new(path: impl Into<String>, message: impl ToString) -> Self {
        PathError {
            path: path.into(),
            message: message.to_string(),
        }
    }
}

/// Every mistake found, in the order of the config's fields; never empty.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", Lines(&self.errors))]
pub struct PathErrors {
    errors: Vec<PathError>,
}

impl PathErrors {
    /// `None` when there is nothing to report, so callers cannot build an empty error.
    pub(crate) fn from_vec(errors: Vec<PathError>) -> Option<Self> {
        (!errors.is_empty()).then_some(PathErrors { errors })
    }

    /// The mistakes, for callers that merge them into a larger report.
    pub fn errors(&self) -> &[PathError] {
        &self.errors
    }
}

impl IntoIterator for PathErrors {
    type Item = PathError;
    type IntoIter = std::vec::IntoIter<PathError>;

    fn into_iter(self) -> Self::IntoIter {
        self.errors.into_iter()
    }
}

/// Displays errors one per line.
struct Lines<'a>(&'a [PathError]);

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn displays_one_error_per_line() {
        let errors = PathErrors::from_vec(vec![
            PathError::new("schedule.main.time_zone", "unknown time zone \"Mars/Base\""),
            PathError::new("schedule.main.lunch", "\"x\" is not a time interval"),
        ])
        .unwrap();
        assert_eq!(
            errors.to_string(),
            "schedule.main.time_zone: unknown time zone \"Mars/Base\"\n\
             schedule.main.lunch: \"x\" is not a time interval"
        );
        assert_eq!(errors.errors().len(), 2);
        assert_eq!(errors.into_iter().count(), 2);
    }

    #[test]
    fn nothing_to_report_is_not_an_error() {
        assert_eq!(PathErrors::from_vec(Vec::new()), None);
    }
}
