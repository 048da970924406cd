//! The I/O edge: one SMTP conversation per e-mail with the configured server, and a verdict
//! the caller can schedule retries by.

use std::fmt;
use std::time::Duration;

use lettre::message::Mailbox;
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::transport::smtp::extension::ClientId;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::CertificateDer;

use crate::compose::{compose, ComposeError, VoicemailEmail};
use crate::config::{ConfigError, Security, SmtpConfig};
use crate::retry::FailureKind;

/// Bytes a server must take per second for a large e-mail not to count as hung: 64 KiB/s
/// (about 0.5 Mbit/s), so a 3 MB recording gets some 45 s on top of `timeout_secs`.
const SLOWEST_BYTES_PER_SEC: u64 = 64 * 1024;

/// Sends e-mails through the server of an [`SmtpConfig`]: a new connection per e-mail (a few
/// voicemails an hour need no pool), encrypted as configured, with the login if one is set.
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    server: String,
    timeout: Duration,
}

/// Names the server, never the login.
impl fmt::Debug for Mailer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Mailer")
            .field("server", &self.server)
            .field("from", &self.from.to_string())
            .field("timeout", &self.timeout)
            .finish()
    }
}

/// Why an e-mail did not reach the server; [`SendError::kind`] says whether to try again.
#[derive(Debug, thiserror::Error)]
pub enum SendError {
    /// The server was unreachable, broke off, failed TLS, or answered 4xx.
    #[error("e-mail not sent through {server} (will retry): {cause}")]
    Transient {
        /// `host:port (security)`.
        server: String,
        /// lettre's account of the failure.
        cause: lettre::transport::smtp::Error,
    },
    /// The server answered too slowly: the attempt was abandoned.
    #[error("e-mail not sent through {server} (will retry): no answer within {limit:?}")]
    TimedOut {
        /// `host:port (security)`.
        server: String,
        /// How long the attempt was given.
        limit: Duration,
    },
    /// The server refused the login (530, 534, 535, 538 of RFC 4954). The e-mail itself is
    /// fine: it goes through once the operator fixes `email.username`/`email.password`, so
    /// this counts as transient and the notification waits instead of being dropped.
    #[error("e-mail not sent through {server} (will retry): login refused, check email.username and email.password: {cause}")]
    Login {
        /// `host:port (security)`.
        server: String,
        /// lettre's account of the refusal, with the server's code and text.
        cause: lettre::transport::smtp::Error,
    },
    /// The server refused the e-mail with 5xx: the recipient does not exist, or the message
    /// is too large or not acceptable.
    #[error("e-mail refused by {server}: {cause}")]
    Permanent {
        /// `host:port (security)`.
        server: String,
        /// lettre's account of the refusal, with the server's code and text.
        cause: lettre::transport::smtp::Error,
    },
    /// The voicemail could not be made into an e-mail (a bad recipient address).
    #[error("e-mail not composed: {0}")]
    Compose(#[from] ComposeError),
}

impl SendError {
    /// Whether the same e-mail may go through on a later attempt (see [`crate::RetryPolicy`]).
    pub fn kind(&self) -> FailureKind {
        match self {
            SendError::Transient { .. } | SendError::TimedOut { .. } | SendError::Login { .. } => {
                FailureKind::Transient
            }
            SendError::Permanent { .. } | SendError::Compose(_) => FailureKind::Permanent,
        }
    }
}

impl Mailer {
    /// A mailer for `config`, after [`SmtpConfig::validate`]; reads `ca_file` now, so a
    /// missing or wrong CA file is reported at start-up, not at the first voicemail.
    pub fn new(config: &SmtpConfig) -> Result<Mailer, ConfigError> {
        config.validate()?;
        let from = config.from_mailbox()?;
        let port = config.port();
        let timeout = Duration::from_secs(config.timeout_secs);
        let tls = match config.security {
            Security::None => Tls::None,
            Security::Starttls => Tls::Required(tls_parameters(config)?),
            Security::Tls => Tls::Wrapper(tls_parameters(config)?),
        };
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&config.host)
            .port(port)
            .tls(tls)
            .timeout(Some(timeout));
        if let Some(name) = &config.hello_name {
            builder = builder.hello_name(ClientId::Domain(name.clone()));
        }
        if let (Some(user), Some(password)) = (&config.username, &config.password) {
            builder = builder.credentials(Credentials::new(
                user.clone(),
                password.expose().to_string(),
            ));
        }
        let security = match config.security {
            Security::None => "none",
            Security::Starttls => "starttls",
            Security::Tls => "tls",
        };
        Ok(Mailer {
            transport: builder.build(),
            from,
            server: format!("{}:{port} ({security})", config.host),
            timeout,
        })
    }

    /// The configured sender, for [`compose`].
    pub fn from_address(&self) -> &Mailbox {
        &self.from
    }

    /// Composes the e-mail for `voicemail` and sends it.
    pub async fn send_voicemail(&self, voicemail: &VoicemailEmail) -> Result<(), SendError> {
        let message = compose(voicemail, &self.from)?;
        self.send(&message).await
    }

    /// Hands `message` to the server in one SMTP conversation. The whole conversation is
    /// bounded (lettre bounds only the TCP connect): `timeout_secs`, plus time for the
    /// message's size at 64 KiB/s, so a server that accepts and then hangs costs one
    /// attempt, not a stuck notifier.
    pub async fn send(&self, message: &Message) -> Result<(), SendError> {
        let raw = message.formatted();
        let size_allowance = (raw.len() as u64).div_ceil(SLOWEST_BYTES_PER_SEC);
        let limit = self.timeout + Duration::from_secs(size_allowance);
        let sent =
            tokio::time::timeout(limit, self.transport.send_raw(message.envelope(), &raw)).await;
        match sent {
            Ok(Ok(_)) => Ok(()),
            Ok(Err(cause)) if is_login_refusal(&cause) => Err(SendError::Login {
                server: self.server.clone(),
                cause,
            }),
            Ok(Err(cause)) if cause.is_permanent() => Err(SendError::Permanent {
                server: self.server.clone(),
                cause,
            }),
            Ok(Err(cause)) => Err(SendError::Transient {
                server: self.server.clone(),
                cause,
            }),
            Err(_) => Err(SendError::TimedOut {
                server: self.server.clone(),
                limit,
            }),
        }
    }
}

/// The AUTH replies of RFC 4954 that mean "your login is wrong", not "your e-mail is wrong".
fn is_login_refusal(error: &lettre::transport::smtp::Error) -> bool {
    error
        .status()
        .is_some_and(|code| matches!(u16::from(code), 530 | 534 | 535 | 538))
}

/// TLS towards `config.host`: the system's CAs, plus those of `ca_file` for a private CA.
fn tls_parameters(config: &SmtpConfig) -> Result<TlsParameters, ConfigError> {
    let mut builder = TlsParameters::builder(config.host.clone());
    if let Some(path) = &config.ca_file {
        let shown = path.display();
        let pem = std::fs::read(path)
            .map_err(|e| ConfigError::new("ca_file", format!("cannot read {shown}: {e}")))?;
        let certificates = CertificateDer::pem_slice_iter(&pem)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| ConfigError::new("ca_file", format!("{shown}: {e}")))?;
        if certificates.is_empty() {
            return Err(ConfigError::new(
                "ca_file",
                format!("{shown} holds no PEM certificate"),
            ));
        }
        for certificate in certificates {
            let certificate = Certificate::from_der(certificate.to_vec())
                .map_err(|e| ConfigError::new("ca_file", format!("{shown}: {e}")))?;
            builder = builder.add_root_certificate(certificate);
        }
    }
    let key = if config.ca_file.is_some() {
        "ca_file"
    } else {
        "security"
    };
    builder
        .build()
        .map_err(|e| ConfigError::new(key, format!("TLS set-up failed: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use sb_secret::Secret;
    use std::path::PathBuf;

    fn config() -> SmtpConfig {
        SmtpConfig {
            host: "smtp.example.com".into(),
            port: None,
            security: Security::Starttls,
            username: Some("pbx".into()),
            password: Some(Secret::new("s3cr3t-pa55")),
            from: "PBX <pbx@example.com>".into(),
            ca_file: None,
            timeout_secs: 30,
            hello_name: None,
        }
    }

    #[test]
    fn debug_names_the_server_not_the_login() {
        let mailer = Mailer::new(&config()).expect("mailer");
        let printed = format!("{mailer:?}");
        assert!(
            printed.contains("smtp.example.com:587 (starttls)"),
            "{printed}"
        );
        assert!(!printed.contains("s3cr3t"), "{printed}");
    }

    #[test]
    fn a_bad_config_is_refused() {
        let mut bad = config();
        bad.from = "nobody".into();
        assert_eq!(
            Mailer::new(&bad).map(|_| ()).map_err(|e| e.key()),
            Err("from")
        );
    }

    #[test]
    fn ca_file_problems_name_the_key_and_the_file() {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut with_ca = config();

        let missing = dir.path().join("missing.pem");
        with_ca.ca_file = Some(missing.clone());
        let error = Mailer::new(&with_ca).expect_err("missing CA file");
        assert_eq!(error.key(), "ca_file");
        assert!(
            error.to_string().contains(&missing.display().to_string()),
            "{error}"
        );

        let empty: PathBuf = dir.path().join("empty.pem");
        std::fs::write(&empty, "not a certificate\n").expect("write");
        with_ca.ca_file = Some(empty);
        let error = Mailer::new(&with_ca).expect_err("no certificate");
        assert!(
            error.to_string().contains("holds no PEM certificate"),
            "{error}"
        );
    }
}
