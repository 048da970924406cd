//! Reading a configuration from TOML text or a file, then validating it.
//!
//! TOML and type errors stop at the first one (serde cannot go on past a value it could not
//! read), but each still names its key path and line; once the text is read, validation
//! reports every mistake at once.

use crate::error::{ConfigError, ConfigErrors};
use crate::locate;
use crate::model::Config;
use std::path::Path;

/// Reads and validates a configuration from TOML text.
///
/// Errors name the key path (`pbx.ring_timeout_secs`, `extension[3].number`), and for
/// TOML syntax and type errors also the line and column. Unknown keys are errors, so a
/// misspelt key is reported instead of being silently ignored.
pub fn parse(text: &str) -> Result<Config, ConfigErrors> {
    let config = deserialize(text)?;
    config.validate()?;
    Ok(config)
}

/// Reads and validates the configuration file at `path`.
///
/// A file that cannot be read is an error whose path is the file's path, so the operator
/// sees which file and why (missing, no permission, not UTF-8).
pub fn load_file(path: &Path) -> Result<Config, ConfigErrors> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        ConfigError::new(
            path.display().to_string(),
            format!("cannot read the configuration file: {e}"),
        )
    })?;
    parse(&text)
}

fn deserialize(text: &str) -> Result<Config, ConfigError> {
    let deserializer = toml::Deserializer::parse(text).map_err(|e| {
        // A syntax error: no structure exists yet, so the key path is read from the text.
        let path = e
            .span()
            .map(|span| locate::key_path(text, span.start))
            .unwrap_or_default();
        toml_error(text, path, &e)
    })?;
    serde_path_to_error::deserialize(deserializer).map_err(|e| {
        let path = e.path().to_string();
        toml_error(text, path, e.inner())
    })
}

/// A TOML error at `path`, with its line and column when toml knows them.
///
/// serde says a missing key as "missing field `password`" at the table's path; the key
/// itself is moved into the path (`extension[1].password`) so that every error points at
/// the key to write.
fn toml_error(text: &str, path: String, error: &toml::de::Error) -> ConfigError {
    let mut path = if path == "." { String::new() } else { path };
    let mut message = error.message().to_string();
    if let Some(key) = missing_field(&message) {
        path = if path.is_empty() {
            key.to_string()
        } else {
            format!("{path}.{key}")
        };
        message = "is required but missing".to_string();
    }
    if let Some(span) = error.span() {
        let at = locate::position(text, span.start);
        message = format!("{message} (line {}, column {})", at.line, at.column);
    }
    if path.is_empty() {
        path = "(top level)".to_string();
    }
    ConfigError::new(path, message)
}

/// The key of serde's "missing field `key`" message.
fn missing_field(message: &str) -> Option<&str> {
    message.strip_prefix("missing field `")?.strip_suffix('`')
}
