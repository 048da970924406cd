//! A real SMTP server for the tests: `smtp_server.py` beside this folder, which runs aiosmtpd
//! (Debian's `python3-aiosmtpd`, installed by `scripts/install-test-peers.sh`) on a loopback
//! port the kernel picks, and stores what it receives for the test to read back.
//!
//! Debian's interpreter is named by path: a pyenv `python3` earlier in `PATH` does not see
//! Debian's Python packages.
//!
//! The switchboard binary's mailer tests include this file too (`#[path]`), so it finds the
//! script from either crate's directory and uses no item of either crate.

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use mail_parser::{Message, MessageParser};
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, KeyUsagePurpose};
use sb_mail::{Secret, Security, SmtpConfig};
use tempfile::TempDir;

const PYTHON: &str = "/usr/bin/python3";

/// Set (to anything) where the peers must be installed, so a missing one fails the test
/// instead of skipping it.
const REQUIRE_PEERS: &str = "SWITCHBOARD_REQUIRE_PEERS";

/// The sender every test configures.
pub const FROM: &str = "Office PBX <pbx@switchboard.test>";

/// What the test server asks of its clients.
#[derive(Default)]
pub struct ServerOptions {
    /// Plain, STARTTLS (required) or TLS from the first byte.
    pub security: Option<Security>,
    /// User and password the server requires.
    pub login: Option<(&'static str, &'static str)>,
    /// Address answered with 550 at RCPT TO.
    pub reject: Option<&'static str>,
    /// Address answered with 450 at RCPT TO.
    pub defer: Option<&'static str>,
    /// Port to listen on instead of one the kernel picks: a server that comes back up where
    /// the client found nobody before.
    pub port: Option<u16>,
}

/// One running server process; killed when dropped.
pub struct SmtpServer {
    child: Child,
    port: u16,
    security: Security,
    dir: TempDir,
}

/// One message as the server stored it.
pub struct Received {
    /// The bytes after DATA, exactly as received.
    pub raw: Vec<u8>,
    /// MAIL FROM.
    pub mail_from: String,
    /// The accepted RCPT TO addresses.
    pub rcpt_tos: Vec<String>,
    /// The user the client logged in as.
    pub login: Option<String>,
    /// Whether the connection was encrypted when the message came.
    pub tls: bool,
}

/// The user the servers started by [`SmtpServer::with_login`] accept.
pub const USER: &str = "pbx-user";
/// That user's password.
pub const PASSWORD: &str = "s3cr3t-pa55";

impl SmtpServer {
    /// A server speaking `security` that requires the login [`USER`] / [`PASSWORD`]; `None`
    /// as for [`SmtpServer::start`].
    pub fn with_login(security: Security) -> Option<SmtpServer> {
        SmtpServer::start(ServerOptions {
            security: Some(security),
            login: Some((USER, PASSWORD)),
            ..ServerOptions::default()
        })
    }

    /// Starts a server, or returns `None` (after saying why) when aiosmtpd is not installed
    /// and [`REQUIRE_PEERS`] is not set.
    pub fn start(options: ServerOptions) -> Option<SmtpServer> {
        if !aiosmtpd_installed() {
            assert!(
                std::env::var_os(REQUIRE_PEERS).is_none(),
                "python3-aiosmtpd is not installed ({PYTHON} cannot import aiosmtpd) and \
                 {REQUIRE_PEERS} is set: run scripts/install-test-peers.sh"
            );
            eprintln!(
                "SKIPPED: python3-aiosmtpd is not installed ({PYTHON} cannot import aiosmtpd); \
                 run scripts/install-test-peers.sh, or set {REQUIRE_PEERS}=1 to fail instead"
            );
            return None;
        }
        let dir = tempfile::tempdir().expect("temp dir for the SMTP server");
        let received = dir.path().join("received");
        std::fs::create_dir(&received).expect("received dir");
        let security = options.security.unwrap_or(Security::None);

        // `crates/mail` or `crates/switchboard`: both are siblings of `crates/mail`.
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../mail/tests/smtp_server.py");
        let mut command = Command::new(PYTHON);
        command.arg(script).arg(&received);
        match security {
            Security::None => {}
            Security::Starttls | Security::Tls => {
                let (cert, key) = write_certificates(dir.path());
                let flag = if security == Security::Tls {
                    "--tls"
                } else {
                    "--starttls"
                };
                command.arg(flag).arg(cert).arg(key);
            }
        }
        if let Some((user, password)) = options.login {
            command.args(["--login", user, password]);
        }
        if let Some(address) = options.reject {
            command.args(["--reject", address]);
        }
        if let Some(address) = options.defer {
            command.args(["--defer", address]);
        }
        if let Some(port) = options.port {
            command.args(["--port", &port.to_string()]);
        }
        let log = File::create(dir.path().join("server.log")).expect("server log");
        let mut child = command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(log)
            .spawn()
            .expect("start smtp_server.py");

        let stdout = child.stdout.take().expect("server stdout");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut line = String::new();
            let read = BufReader::new(stdout).read_line(&mut line);
            // The receiver is gone only if the test already gave up waiting.
            let _ = tx.send(read.map(|_| line));
        });
        let line = rx.recv_timeout(Duration::from_secs(20));
        let port = match line {
            Ok(Ok(line)) => line
                .trim()
                .strip_prefix("PORT ")
                .and_then(|port| port.parse().ok()),
            _ => None,
        };
        let mut server = SmtpServer {
            child,
            port: 0,
            security,
            dir,
        };
        match port {
            Some(port) => server.port = port,
            None => panic!("the SMTP server did not start:\n{}", server.log()),
        }
        Some(server)
    }

    /// `[email]` for this server: its port and security, its CA, no login.
    pub fn config(&self) -> SmtpConfig {
        SmtpConfig {
            security: self.security,
            ca_file: (self.security != Security::None).then(|| self.ca_file()),
            hello_name: Some("pbx.switchboard.test".into()),
            ..plain_config(self.port, 10)
        }
    }

    /// [`Self::config`] with a login.
    pub fn config_with_login(&self, user: &str, password: &str) -> SmtpConfig {
        SmtpConfig {
            username: Some(user.into()),
            password: Some(Secret::new(password)),
            ..self.config()
        }
    }

    /// The PEM file of the CA that signed the server's certificate.
    pub fn ca_file(&self) -> PathBuf {
        self.dir.path().join("ca.pem")
    }

    /// The messages stored so far, in the order received.
    pub fn received(&self) -> Vec<Received> {
        let dir = self.dir.path().join("received");
        let mut received = Vec::new();
        for n in 1.. {
            let meta = dir.join(format!("{n}.json"));
            let Ok(meta) = std::fs::read(&meta) else {
                break;
            };
            let meta: serde_json::Value = serde_json::from_slice(&meta).expect("envelope JSON");
            let raw = std::fs::read(dir.join(format!("{n}.eml"))).expect("stored message");
            let text = |key: &str| meta[key].as_str().map(str::to_string);
            received.push(Received {
                raw,
                mail_from: text("mail_from").unwrap_or_default(),
                rcpt_tos: meta["rcpt_tos"]
                    .as_array()
                    .map(|list| {
                        list.iter()
                            .filter_map(|a| a.as_str().map(str::to_string))
                            .collect()
                    })
                    .unwrap_or_default(),
                login: text("login"),
                tls: meta["tls"].as_bool().unwrap_or(false),
            });
        }
        received
    }

    /// What the server wrote to stderr, for failure messages.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("server.log")).unwrap_or_default()
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        // Already gone is fine: the point is that it does not outlive the test.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn aiosmtpd_installed() -> bool {
    Command::new(PYTHON)
        .args(["-c", "import aiosmtpd.smtp"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success())
}

/// A throwaway CA (written to `ca.pem`) and a certificate it signed for 127.0.0.1 and
/// localhost; returns the server's certificate and key files.
fn write_certificates(dir: &Path) -> (PathBuf, PathBuf) {
    let ca_key = KeyPair::generate().expect("CA key");
    let mut ca = CertificateParams::new(Vec::<String>::new()).expect("CA params");
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.distinguished_name
        .push(DnType::CommonName, "Switchboard test CA");
    ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    let ca_cert = ca.self_signed(&ca_key).expect("CA certificate");
    let issuer = Issuer::new(ca, ca_key);

    let key = KeyPair::generate().expect("server key");
    let mut params = CertificateParams::new(vec!["127.0.0.1".to_string(), "localhost".to_string()])
        .expect("server params");
    params
        .distinguished_name
        .push(DnType::CommonName, "mail.test");
    let cert = params.signed_by(&key, &issuer).expect("server certificate");

    let (cert_file, key_file) = (dir.join("server.pem"), dir.join("server.key"));
    std::fs::write(dir.join("ca.pem"), ca_cert.pem()).expect("write CA");
    std::fs::write(&cert_file, cert.pem()).expect("write certificate");
    std::fs::write(&key_file, key.serialize_pem()).expect("write key");
    (cert_file, key_file)
}

/// A mono 8 kHz 16-bit WAV of `samples` pseudo-random samples: every byte value occurs, so
/// a lossy transfer encoding would show.
pub fn wav(samples: usize) -> Vec<u8> {
    let data_len = u32::try_from(samples * 2).expect("small WAV");
    let mut wav = Vec::with_capacity(44 + samples * 2);
    wav.extend_from_slice(b"RIFF");
    wav.extend_from_slice(&(36 + data_len).to_le_bytes());
    wav.extend_from_slice(b"WAVEfmt ");
    wav.extend_from_slice(&16u32.to_le_bytes());
    wav.extend_from_slice(&1u16.to_le_bytes()); // PCM
    wav.extend_from_slice(&1u16.to_le_bytes()); // mono
    wav.extend_from_slice(&8000u32.to_le_bytes());
    wav.extend_from_slice(&16000u32.to_le_bytes());
    wav.extend_from_slice(&2u16.to_le_bytes());
    wav.extend_from_slice(&16u16.to_le_bytes());
    wav.extend_from_slice(b"data");
    wav.extend_from_slice(&data_len.to_le_bytes());
    let mut state: u32 = 0x2545_f491;
    for _ in 0..samples {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        wav.extend_from_slice(&(state as u16).to_le_bytes());
    }
    wav
}

/// `raw` parsed, once its subject is checked to be `subject` and its text body to hold each
/// of `expected`: what every delivery test checks first of the e-mail a voicemail became.
pub fn parsed_email<'a>(raw: &'a [u8], subject: &str, expected: &[&str]) -> Message<'a> {
    let parsed = MessageParser::default()
        .parse(raw)
        .expect("the server received a parsable e-mail");
    assert_eq!(parsed.subject(), Some(subject));
    let body = parsed.body_text(0).expect("a text body");
    for text in expected {
        assert!(body.contains(text), "{text:?} not in the body:\n{body}");
    }
    drop(body);
    parsed
}

/// `[email]` for a plain server on `port` of this machine, giving up after `timeout_secs`: a
/// server started here, or a port where nobody answers.
pub fn plain_config(port: u16, timeout_secs: u64) -> SmtpConfig {
    SmtpConfig {
        host: "127.0.0.1".into(),
        port: Some(port),
        security: Security::None,
        username: None,
        password: None,
        from: FROM.into(),
        ca_file: None,
        timeout_secs,
        hello_name: None,
    }
}
