//! Voicemail e-mails through a real SMTP server (aiosmtpd) on loopback: plain, STARTTLS and
//! TLS, with and without a login; what the server received is parsed back with mail-parser,
//! and failures are checked to come out transient or permanent as the retry logic needs.

mod common;

use std::net::TcpListener;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use common::{parsed_email, plain_config, wav, ServerOptions, SmtpServer, PASSWORD, USER};
use mail_parser::MimeHeaders;
use sb_mail::{FailureKind, Language, Mailer, Security, SendError, SmtpConfig, VoicemailEmail};

const OWNER: &str = "anna@office.test";

fn voicemail(wav: Vec<u8>, duration: Duration) -> VoicemailEmail {
    VoicemailEmail {
        to: format!("Anna Smirnova <{OWNER}>"),
        mailbox: "101".into(),
        caller_number: "+74951234567".into(),
        caller_name: Some("Ivan Petrov".into()),
        received_at: DateTime::parse_from_rfc3339("2026-11-23T19:30:05Z")
            .expect("time")
            .with_timezone(&Utc),
        timezone: chrono_tz::Europe::Moscow,
        duration,
        wav,
        language: Language::En,
    }
}

/// Sends one voicemail with a one-second recording and checks, from the bytes the server
/// stored, every header, the body and the attachment.
async fn send_and_check(server: &SmtpServer, config: &SmtpConfig) -> common::Received {
    let recording = wav(8000);
    let mailer = Mailer::new(config).expect("mailer");
    mailer
        .send_voicemail(&voicemail(recording.clone(), Duration::from_millis(42_300)))
        .await
        .unwrap_or_else(|e| panic!("send failed: {e}\nserver log:\n{}", server.log()));

    let mut received = server.received();
    assert_eq!(received.len(), 1, "one e-mail per voicemail");
    let message = received.remove(0);
    assert_eq!(message.mail_from, "pbx@switchboard.test");
    assert_eq!(message.rcpt_tos, vec![OWNER.to_string()]);

    let parsed = parsed_email(
        &message.raw,
        "Voicemail from +74951234567 (Ivan Petrov), 0:42",
        &[
            "+74951234567",
            "Ivan Petrov",
            "2026-11-23 22:30:05 MSK",
            "0:42",
            "101",
        ],
    );
    let from = parsed.from().and_then(|a| a.first()).expect("From");
    assert_eq!(from.name(), Some("Office PBX"));
    assert_eq!(from.address(), Some("pbx@switchboard.test"));
    let to = parsed.to().and_then(|a| a.first()).expect("To");
    assert_eq!(to.name(), Some("Anna Smirnova"));
    assert_eq!(to.address(), Some(OWNER));
    assert_eq!(
        parsed.date().map(|d| d.to_timestamp()),
        Some(
            voicemail(Vec::new(), Duration::ZERO)
                .received_at
                .timestamp()
        )
    );

    assert_eq!(parsed.attachment_count(), 1);
    let attachment = parsed.attachment(0).expect("attachment");
    assert_eq!(
        attachment.attachment_name(),
        Some("voicemail-20261123-223005-74951234567.wav")
    );
    let content_type = attachment.content_type().expect("attachment type");
    assert_eq!(
        (content_type.ctype(), content_type.subtype()),
        ("audio", Some("wav"))
    );
    assert!(
        attachment.contents() == recording.as_slice(),
        "the decoded attachment differs from the WAV sent ({} bytes received, {} sent)",
        attachment.contents().len(),
        recording.len()
    );
    message
}

#[tokio::test]
async fn plain_smtp_delivers_headers_body_and_recording() {
    let Some(server) = SmtpServer::start(ServerOptions::default()) else {
        return;
    };
    let received = send_and_check(&server, &server.config()).await;
    assert!(!received.tls);
    assert_eq!(received.login, None);
}

/// A server speaking `security` and requiring a login gets the e-mail over TLS, logged in.
async fn delivered_over_tls_with_login(security: Security) {
    let Some(server) = SmtpServer::with_login(security) else {
        return;
    };
    let config = server.config_with_login(USER, PASSWORD);
    let received = send_and_check(&server, &config).await;
    assert!(received.tls, "the message came over plain text");
    assert_eq!(received.login.as_deref(), Some(USER));
}

#[tokio::test]
async fn starttls_with_login() {
    delivered_over_tls_with_login(Security::Starttls).await;
}

#[tokio::test]
async fn implicit_tls_with_login() {
    delivered_over_tls_with_login(Security::Tls).await;
}

#[tokio::test]
async fn zero_length_message_still_gets_its_email() {
    let Some(server) = SmtpServer::start(ServerOptions::default()) else {
        return;
    };
    let header_only = wav(0);
    let mailer = Mailer::new(&server.config()).expect("mailer");
    mailer
        .send_voicemail(&voicemail(header_only.clone(), Duration::ZERO))
        .await
        .expect("send");

    let received = server.received();
    assert_eq!(received.len(), 1);
    let parsed = parsed_email(
        &received[0].raw,
        "Voicemail from +74951234567 (Ivan Petrov), 0:00",
        &["+74951234567", "without leaving a message"],
    );
    let attachment = parsed
        .attachment(0)
        .expect("the empty recording is attached");
    assert_eq!(attachment.contents(), header_only.as_slice());
}

#[tokio::test]
async fn russian_box_gets_a_russian_email() {
    let Some(server) = SmtpServer::start(ServerOptions::default()) else {
        return;
    };
    let mut email = voicemail(wav(800), Duration::from_secs(5));
    email.language = Language::Ru;
    email.caller_name = Some("Иван Петров".into());
    Mailer::new(&server.config())
        .expect("mailer")
        .send_voicemail(&email)
        .await
        .expect("send");

    let received = server.received();
    parsed_email(
        &received[0].raw,
        "Голосовое сообщение от +74951234567 (Иван Петров), 0:05",
        &[
            "Звонил:",
            "Иван Петров",
            "23.11.2026 22:30:05 MSK",
            "Запись во вложении.",
        ],
    );
}

/// The error of sending one voicemail to a server started with `options`, which must refuse
/// it (`expected` says how), and the server; `None` where the test peers are not installed.
async fn refused_by(options: ServerOptions, expected: &str) -> Option<(SmtpServer, SendError)> {
    let server = SmtpServer::start(options)?;
    let error = Mailer::new(&server.config())
        .expect("mailer")
        .send_voicemail(&voicemail(wav(80), Duration::from_secs(1)))
        .await
        .expect_err(expected);
    Some((server, error))
}

#[tokio::test]
async fn rejected_recipient_is_permanent() {
    let options = ServerOptions {
        reject: Some(OWNER),
        ..ServerOptions::default()
    };
    let Some((server, error)) = refused_by(options, "550 for the recipient").await else {
        return;
    };
    assert_eq!(error.kind(), FailureKind::Permanent, "{error}");
    assert!(matches!(error, SendError::Permanent { .. }), "{error:?}");
    assert!(error.to_string().contains("550"), "{error}");
    assert!(server.received().is_empty());
}

#[tokio::test]
async fn deferred_recipient_is_transient() {
    let options = ServerOptions {
        defer: Some(OWNER),
        ..ServerOptions::default()
    };
    let Some((_server, error)) = refused_by(options, "450 for the recipient").await else {
        return;
    };
    assert_eq!(error.kind(), FailureKind::Transient, "{error}");
    assert!(error.to_string().contains("450"), "{error}");
}

#[tokio::test]
async fn wrong_password_waits_for_the_operator_and_is_not_printed() {
    let Some(server) = SmtpServer::with_login(Security::Starttls) else {
        return;
    };
    let config = server.config_with_login(USER, "wr0ng-pa55");
    let mailer = Mailer::new(&config).expect("mailer");
    let error = mailer
        .send_voicemail(&voicemail(wav(80), Duration::from_secs(1)))
        .await
        .expect_err("535 for the login");
    assert!(matches!(error, SendError::Login { .. }), "{error:?}");
    assert_eq!(error.kind(), FailureKind::Transient);
    for printed in [
        error.to_string(),
        format!("{error:?}"),
        format!("{mailer:?}"),
    ] {
        assert!(!printed.contains("wr0ng"), "password printed: {printed}");
    }
    assert!(server.received().is_empty());
}

#[tokio::test]
async fn server_without_the_private_ca_is_not_trusted() {
    let Some(server) = SmtpServer::start(ServerOptions {
        security: Some(Security::Starttls),
        ..ServerOptions::default()
    }) else {
        return;
    };
    let config = SmtpConfig {
        ca_file: None,
        ..server.config()
    };
    let error = Mailer::new(&config)
        .expect("mailer")
        .send_voicemail(&voicemail(wav(80), Duration::from_secs(1)))
        .await
        .expect_err("unknown CA");
    assert!(matches!(error, SendError::Transient { .. }), "{error:?}");
    assert!(error.to_string().contains("certificate"), "{error}");
    assert!(server.received().is_empty());
}

#[tokio::test]
async fn server_down_is_transient() {
    let port = {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.local_addr().expect("address").port()
    };
    let error = Mailer::new(&plain_config(port, 5))
        .expect("mailer")
        .send_voicemail(&voicemail(wav(80), Duration::from_secs(1)))
        .await
        .expect_err("nothing listens");
    assert!(matches!(error, SendError::Transient { .. }), "{error:?}");
    assert_eq!(error.kind(), FailureKind::Transient);
}

#[tokio::test]
async fn server_that_never_greets_times_out_as_transient() {
    // Listening, so the TCP connect succeeds, but never accepting nor greeting.
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("address").port();
    let started = Instant::now();
    let error = Mailer::new(&plain_config(port, 1))
        .expect("mailer")
        .send_voicemail(&voicemail(wav(80), Duration::from_secs(1)))
        .await
        .expect_err("no greeting");
    assert!(matches!(error, SendError::TimedOut { .. }), "{error:?}");
    assert_eq!(error.kind(), FailureKind::Transient);
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "gave up only after {:?}",
        started.elapsed()
    );
    drop(listener);
}
