//! The `[email]` table: which SMTP server takes the voicemail notifications, and how.

use std::path::PathBuf;
use std::str::FromStr;

use lettre::message::Mailbox;
use sb_secret::Secret;
use serde::Deserialize;

/// Where the table sits in the PBX's TOML, for error messages that name the key to fix.
const TABLE: &str = "email";

/// How long one delivery attempt may wait for the server before it counts as failed, unless
/// configured: long enough for a slow submission server, short enough not to stall retries.
const DEFAULT_TIMEOUT_SECS: u64 = 30;

/// The SMTP server that sends the notifications, read from `[email]`.
///
/// ```toml
/// [email]
/// host = "smtp.example.com"
/// security = "starttls"        # "none" | "starttls" | "tls"; port 25 / 587 / 465 by default
/// username = "pbx@example.com"
/// password = "secret"
/// from = "Office PBX <pbx@example.com>"
/// ca_file = "/etc/switchboard/mail-ca.pem"   # only for a server with a private CA
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SmtpConfig {
    /// Name or IP address of the server; also the name its TLS certificate must carry.
    pub host: String,
    /// TCP port; when absent, the usual one for [`SmtpConfig::security`] (see [`Self::port`]).
    #[serde(default)]
    pub port: Option<u16>,
    /// Whether and how the connection is encrypted.
    #[serde(default)]
    pub security: Security,
    /// Login name, when the server wants a login (most submission servers do).
    #[serde(default)]
    pub username: Option<String>,
    /// Password for [`Self::username`]; printed as `***`.
    #[serde(default)]
    pub password: Option<Secret>,
    /// Sender address, with an optional display name: `Office PBX <pbx@example.com>`.
    pub from: String,
    /// PEM file with the CA certificate(s) of a server whose certificate no public CA signed;
    /// trusted in addition to the system's CAs.
    #[serde(default)]
    pub ca_file: Option<PathBuf>,
    /// Seconds to wait for the server before an attempt fails and is retried later.
    #[serde(default = "default_timeout_secs")]
    pub timeout_secs: u64,
    /// Name sent in EHLO; some servers insist on a resolvable one. Default: the address
    /// literal `[127.0.0.1]`, which RFC 5321 allows for a client without a known name.
    #[serde(default)]
    pub hello_name: Option<String>,
}

fn default_timeout_secs() -> u64 {
    DEFAULT_TIMEOUT_SECS
}

/// Encryption of the connection to the mail server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Security {
    /// Plain text, for a relay on the same machine or network (port 25).
    None,
    /// Plain connection upgraded by STARTTLS before anything else is sent; refused if the
    /// server does not offer it, so a man in the middle cannot downgrade it (port 587).
    #[default]
    Starttls,
    /// TLS from the first byte, "SMTPS" (port 465).
    Tls,
}

impl Security {
    /// The port servers listen on for this kind of connection.
    pub fn default_port(self) -> u16 {
        match self {
            Security::None => 25,
            Security::Starttls => 587,
            Security::Tls => 465,
        }
    }
}

/// A mistake in `[email]`, naming the key, e.g. `email.from: "x" is not an address`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{TABLE}.{key}: {message}")]
pub struct ConfigError {
    key: &'static str,
    message: String,
}

impl ConfigError {
    pub(crate) fn new(key: &'static str, message: impl Into<String>) -> Self {
        ConfigError {
            key,
            message: message.into(),
        }
    }

    /// The key at fault, without the table name (`from`, `ca_file`, ...).
    pub fn key(&self) -> &'static str {
        self.key
    }

    /// What is wrong with the key, without the key: for configuration readers that print
    /// the path their own way.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl SmtpConfig {
    /// The configured port, or the usual one for the security chosen.
    pub fn port(&self) -> u16 {
        self.port.unwrap_or(self.security.default_port())
    }

    /// The sender as an address, checked by [`Self::validate`].
    pub fn from_mailbox(&self) -> Result<Mailbox, ConfigError> {
        Mailbox::from_str(self.from.trim())
            .map_err(|_| ConfigError::new("from", format!("{:?} is not an address", self.from)))
    }

    /// Checks what can be checked without the network or the disk, so a typo is reported when
    /// the configuration is loaded, not when the first voicemail is left.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if !is_host_name(&self.host) {
            return Err(ConfigError::new(
                "host",
                format!(
                    "{:?} is not a host name (write the name alone, e.g. smtp.example.com)",
                    self.host
                ),
            ));
        }
        if self.port == Some(0) {
            return Err(ConfigError::new("port", "0 is not a port"));
        }
        match (&self.username, &self.password) {
            (Some(user), _) if user.trim().is_empty() => {
                return Err(ConfigError::new("username", "is empty"));
            }
            (Some(_), None) => {
                return Err(ConfigError::new("password", "is missing for the username"));
            }
            (None, Some(_)) => {
                return Err(ConfigError::new("username", "is missing for the password"));
            }
            _ => {}
        }
        if self.security == Security::None && self.username.is_some() && !is_loopback(&self.host) {
            return Err(ConfigError::new(
                "security",
                format!(
                    "\"none\" would send the password to {} in clear text; use \"starttls\" or \"tls\"",
                    self.host
                ),
            ));
        }
        self.from_mailbox()?;
        if let Some(path) = &self.ca_file {
            if path.as_os_str().is_empty() {
                return Err(ConfigError::new("ca_file", "is empty"));
            }
        }
        if self.timeout_secs == 0 {
            return Err(ConfigError::new("timeout_secs", "must be at least 1"));
        }
        if let Some(name) = &self.hello_name {
            if !is_host_name(name) {
                return Err(ConfigError::new(
                    "hello_name",
                    format!("{name:?} is not a host name"),
                ));
            }
        }
        Ok(())
    }
}

/// A DNS name or an IP address: no scheme, no port, no spaces.
fn is_host_name(host: &str) -> bool {
    host.parse::<std::net::IpAddr>().is_ok()
        || (!host.is_empty()
            && host
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_')))
}

fn is_loopback(host: &str) -> bool {
    host == "localhost"
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(toml_text: &str) -> Result<SmtpConfig, toml::de::Error> {
        toml::from_str(toml_text)
    }

    fn minimal() -> SmtpConfig {
        parse("host = \"smtp.example.com\"\nfrom = \"pbx@example.com\"").expect("minimal config")
    }

    #[test]
    fn defaults_follow_security() {
        let config = minimal();
        assert_eq!(config.security, Security::Starttls);
        assert_eq!(config.port(), 587);
        assert_eq!(config.timeout_secs, 30);
        assert_eq!(config.validate(), Ok(()));

        let tls = parse("host = \"h\"\nfrom = \"a@b.c\"\nsecurity = \"tls\"").expect("tls");
        assert_eq!(tls.port(), 465);
        let plain = parse("host = \"h\"\nfrom = \"a@b.c\"\nsecurity = \"none\"").expect("none");
        assert_eq!(plain.port(), 25);
        let explicit = parse("host = \"h\"\nfrom = \"a@b.c\"\nport = 2525").expect("port");
        assert_eq!(explicit.port(), 2525);
    }

    #[test]
    fn full_table_parses_and_hides_the_password() {
        let config = parse(
            r#"
            host = "smtp.example.com"
            port = 587
            security = "starttls"
            username = "pbx@example.com"
            password = "s3cr3t-pa55"
            from = "Office PBX <pbx@example.com>"
            ca_file = "/etc/switchboard/ca.pem"
            timeout_secs = 10
            hello_name = "pbx.example.com"
            "#,
        )
        .expect("full config");
        assert_eq!(config.validate(), Ok(()));
        let from = config.from_mailbox().expect("from");
        assert_eq!(from.name.as_deref(), Some("Office PBX"));
        assert_eq!(from.email.to_string(), "pbx@example.com");
        let printed = format!("{config:?}");
        assert!(!printed.contains("s3cr3t"), "{printed}");
        assert!(printed.contains("***"), "{printed}");
    }

    #[test]
    fn unknown_keys_and_values_are_refused() {
        let typo = parse("host = \"h\"\nfrom = \"a@b.c\"\npasword = \"x\"");
        assert!(typo.is_err_and(|e| e.to_string().contains("pasword")));
        let security = parse("host = \"h\"\nfrom = \"a@b.c\"\nsecurity = \"ssl\"");
        assert!(security.is_err_and(|e| e.to_string().contains("ssl")));
    }

    #[test]
    fn errors_name_the_key() {
        let mut config = minimal();
        config.from = "x".into();
        assert_eq!(
            config.validate().map_err(|e| e.to_string()),
            Err("email.from: \"x\" is not an address".to_string())
        );

        let mut config = minimal();
        config.host = "smtp://smtp.example.com".into();
        assert_eq!(config.validate().map_err(|e| e.key()), Err("host"));
        config.host = "smtp.example.com:587".into();
        assert_eq!(config.validate().map_err(|e| e.key()), Err("host"));
        config.host = "::1".into();
        assert_eq!(config.validate(), Ok(()));

        let mut config = minimal();
        config.port = Some(0);
        assert_eq!(config.validate().map_err(|e| e.key()), Err("port"));

        let mut config = minimal();
        config.username = Some("pbx".into());
        assert_eq!(config.validate().map_err(|e| e.key()), Err("password"));

        let mut config = minimal();
        config.password = Some(Secret::new("pw"));
        assert_eq!(config.validate().map_err(|e| e.key()), Err("username"));

        let mut config = minimal();
        config.timeout_secs = 0;
        assert_eq!(config.validate().map_err(|e| e.key()), Err("timeout_secs"));

        let mut config = minimal();
        config.hello_name = Some("my pbx".into());
        assert_eq!(config.validate().map_err(|e| e.key()), Err("hello_name"));
    }

    #[test]
    fn no_password_in_clear_text_except_to_this_machine() {
        let mut config = minimal();
        config.security = Security::None;
        config.username = Some("pbx".into());
        config.password = Some(Secret::new("s3cr3t-pa55"));
        let error = config
            .validate()
            .expect_err("clear-text login to a remote host");
        assert_eq!(error.key(), "security");
        assert!(!error.to_string().contains("s3cr3t"), "{error}");

        config.host = "127.0.0.1".into();
        assert_eq!(config.validate(), Ok(()));
        config.host = "localhost".into();
        assert_eq!(config.validate(), Ok(()));
    }
}
