//! Voicemail notification e-mails: the worker that empties the store's e-mail outbox through
//! the `[email]` server.
//!
//! The outbox row of an e-mail is written in the transaction that finishes its message
//! (`sb_store`, `outbox.rs`), so this worker only has to keep trying: it wakes when the SIP
//! layer announces a new message and every [`POLL_EVERY`] for the retries that fall due, sends
//! what is due one e-mail at a time, and records each outcome before it goes on. A mail server
//! that is down delays an e-mail by [`RetryPolicy`]; only a refusal by the server (5xx), a
//! message deleted before its e-mail went, or three days of failed attempts give one up, and
//! the row stays with its error for the record. Without `[email]` nothing is tried and nothing
//! is dropped: the e-mails wait for a reload that configures a server.
//!
//! No database transaction is held while the server is talked to: each outcome is one short
//! update, so the SIP layer's writes never wait on SMTP.

use std::io::ErrorKind;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use sb_config::Config;
use sb_mail::{FailureKind, Mailer, RetryPolicy, SmtpConfig, Tz, VoicemailEmail};
use sb_store::{OutboxRow, Store, StoreError};
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;
use tracing::{error, info, warn};

/// How often the outbox is read without a wake: retries fall due with no event to announce
/// them, and a minute is the shortest retry delay.
const POLL_EVERY: Duration = Duration::from_secs(30);

/// E-mails read from the outbox at a time: a round goes on batch after batch, so this bounds
/// memory (each e-mail carries its recording), not how many are sent.
const BATCH: u32 = 20;

/// The reason recorded for an e-mail whose message is gone: there is nothing left to send.
const DELETED: &str = "the message was deleted before its e-mail went";

/// Sends the voicemail e-mails of the outbox until `stop` is cancelled.
///
/// - `config`: the live configuration, read at each round, so a reload that adds, changes or
///   removes `[email]` takes effect at the next round.
/// - `wake`: notified by the SIP layer when a message is left (`SipSettings::mail_wake`).
/// - `clock`: the PBX's time (`PbxClock::now`), by which retries fall due.
///
/// A round runs at start (e-mails left queued by the previous run), on every wake, and every
/// [`POLL_EVERY`]. A round that `stop` cuts off mid-conversation leaves its e-mail due: it is
/// sent at the next start, at worst a second time, with the same Message-ID.
pub async fn run<C, K>(
    store: Store,
    config: C,
    wake: Arc<Notify>,
    clock: K,
    stop: CancellationToken,
) where
    C: Fn() -> Arc<Config>,
    K: Fn() -> DateTime<Utc>,
{
    let mut outbox = Outbox::new(store);
    loop {
        let snapshot = config();
        tokio::select! {
            biased;
            () = stop.cancelled() => return,
            result = outbox.round(&snapshot, &clock) => {
                if let Err(e) = result {
                    warn!(error = %e, "voicemail e-mails: the outbox cannot be read or updated; trying again later");
                }
            }
        }
        // A wake during the round left a permit in `Notify`: the next round starts at once.
        tokio::select! {
            biased;
            () = stop.cancelled() => return,
            () = wake.notified() => {}
            () = tokio::time::sleep(POLL_EVERY) => {}
        }
    }
}

/// The worker's state between rounds: the store, and the mailer built from the `[email]`
/// table last seen.
struct Outbox {
    store: Store,
    policy: RetryPolicy,
    server: Server,
    /// Whether the e-mails waiting for a server were counted in the log since `[email]`
    /// went missing (at start, or by a reload): once, not every round.
    absence_told: bool,
}

/// The mail server as configured.
enum Server {
    /// No `[email]`: e-mails wait.
    None,
    /// An `[email]` table no mailer could be built from (its `ca_file` unreadable): e-mails
    /// wait, and the mailer is built again each round, since the file may be fixed on disk.
    Broken(SmtpConfig),
    /// The mailer of this `[email]` table.
    Ready(SmtpConfig, Arc<Mailer>),
}

/// What became of one e-mail of the outbox in a round.
#[derive(Debug, PartialEq, Eq)]
enum Outcome {
    /// The server took it.
    Sent,
    /// Not sent; due again at `at`.
    Retry { at: DateTime<Utc>, error: String },
    /// Not sent, and never tried again.
    GaveUp { error: String },
}

impl Outbox {
    fn new(store: Store) -> Outbox {
        Outbox {
            store,
            policy: RetryPolicy::default(),
            server: Server::None,
            absence_told: false,
        }
    }

    /// Tries the e-mails due by `clock`, oldest first, with the server of `config`, logs
    /// each outcome and returns them in order. A failure worth retrying ends the round: the
    /// server (or the disk) is in trouble, and the next round, [`POLL_EVERY`] later, is soon
    /// enough for the rest.
    async fn round<K: Fn() -> DateTime<Utc>>(
        &mut self,
        config: &Config,
        clock: &K,
    ) -> Result<Vec<(OutboxRow, Outcome)>, StoreError> {
        let Some(mailer) = self.mailer(config.email.as_ref()).await? else {
            return Ok(Vec::new());
        };
        // Checked when the configuration was loaded; UTC is only a fallback that cannot occur.
        let timezone = config.voicemail.timezone.parse().unwrap_or(Tz::UTC);
        let mut deliveries = Vec::new();
        loop {
            let due = self.store.due_emails(clock(), BATCH).await?;
            let more = due.len() == BATCH as usize;
            for row in due {
                let outcome = self.deliver(&mailer, config, timezone, &row, clock).await?;
                log(&row, &outcome);
                let trouble = matches!(outcome, Outcome::Retry { .. });
                deliveries.push((row, outcome));
                if trouble {
                    return Ok(deliveries);
                }
            }
            if !more {
                return Ok(deliveries);
            }
        }
    }

    /// The mailer for `email`, built anew when the table changed; `None` while e-mails must
    /// wait (no `[email]`, or one that cannot be used), which is logged once per change.
    async fn mailer(
        &mut self,
        email: Option<&SmtpConfig>,
    ) -> Result<Option<Arc<Mailer>>, StoreError> {
        let Some(email) = email else {
            self.server = Server::None;
            if !self.absence_told {
                let pending = self.store.pending_email_count().await?;
                if pending > 0 {
                    warn!(
                        pending,
                        "{pending} voicemail e-mails wait for an [email] server"
                    );
                }
                self.absence_told = true;
            }
            return Ok(None);
        };
        self.absence_told = false;
        let retrying = match &self.server {
            Server::Ready(current, mailer) if current == email => return Ok(Some(mailer.clone())),
            Server::Broken(current) => current == email,
            _ => false,
        };
        match Mailer::new(email) {
            Ok(mailer) => {
                info!(server = %email.host, port = email.port(), "voicemail e-mails go through this server");
                let mailer = Arc::new(mailer);
                self.server = Server::Ready(email.clone(), mailer.clone());
                Ok(Some(mailer))
            }
            Err(e) => {
                if !retrying {
                    // A ConfigError names the key and the file, never the password.
                    error!(error = %e, "voicemail e-mails wait: the [email] server cannot be used");
                }
                self.server = Server::Broken(email.clone());
                Ok(None)
            }
        }
    }

    /// Sends the e-mail of `row` and records the outcome. `Err` only when the outcome could
    /// not be recorded: the row is then still due, and the round stops.
    async fn deliver<K: Fn() -> DateTime<Utc>>(
        &self,
        mailer: &Mailer,
        config: &Config,
        timezone: Tz,
        row: &OutboxRow,
        clock: &K,
    ) -> Result<Outcome, StoreError> {
        let message = match self.store.message(row.message_id).await {
            Ok(Some(message)) => message,
            Ok(None) => return self.give_up(row, DELETED.to_owned()).await,
            Err(e) => {
                let error = format!("cannot read the message: {e}");
                return self
                    .failed(row, FailureKind::Transient, error, clock())
                    .await;
            }
        };
        let wav = match tokio::fs::read(&message.path).await {
            Ok(wav) => wav,
            Err(e) if e.kind() == ErrorKind::NotFound => {
                let error = format!("the recording {} is missing", message.path.display());
                return self.give_up(row, error).await;
            }
            Err(e) => {
                let error = format!("cannot read {}: {e}", message.path.display());
                return self
                    .failed(row, FailureKind::Transient, error, clock())
                    .await;
            }
        };
        let email = VoicemailEmail {
            to: row.address.clone(),
            language: language(config, &message.mailbox),
            mailbox: message.mailbox,
            caller_number: message.caller_number,
            caller_name: message.caller_name,
            received_at: message.received_at,
            timezone,
            duration: message.duration,
            wav,
        };
        match mailer.send_voicemail(&email).await {
            Ok(()) => {
                self.store.mark_email_sent(row.id, clock()).await?;
                Ok(Outcome::Sent)
            }
            Err(e) => self.failed(row, e.kind(), e.to_string(), clock()).await,
        }
    }

    /// Records a failed attempt at `row`: due again when the retry policy says, or given up.
    async fn failed(
        &self,
        row: &OutboxRow,
        kind: FailureKind,
        error: String,
        now: DateTime<Utc>,
    ) -> Result<Outcome, StoreError> {
        let attempts = row.attempts.saturating_add(1);
        match self.policy.next_attempt(attempts, kind, now) {
            Some(at) => {
                self.store.reschedule_email(row.id, at, &error).await?;
                Ok(Outcome::Retry { at, error })
            }
            None if kind == FailureKind::Transient => {
                self.give_up(row, format!("gave up after {attempts} attempts: {error}"))
                    .await
            }
            None => self.give_up(row, error).await,
        }
    }

    async fn give_up(&self, row: &OutboxRow, error: String) -> Result<Outcome, StoreError> {
        self.store.give_up_email(row.id, &error).await?;
        Ok(Outcome::GaveUp { error })
    }
}

/// The language of the e-mail: the box's, or the PBX's for a box no longer configured.
fn language(config: &Config, mailbox: &str) -> sb_mail::Language {
    let language = config
        .mailbox(mailbox)
        .map_or(config.media.language, |view| view.language);
    match language {
        sb_config::Language::En => sb_mail::Language::En,
        sb_config::Language::Ru => sb_mail::Language::Ru,
    }
}

/// One line per e-mail for the operator. The errors are `SendError`s and the mailer's own
/// words: they name the server and its answer, never the login.
fn log(row: &OutboxRow, outcome: &Outcome) {
    let (outbox, message, to) = (row.id, row.message_id, &row.address);
    match outcome {
        Outcome::Sent => info!(outbox, message, %to, "voicemail e-mail sent"),
        Outcome::Retry { at, error } => {
            warn!(outbox, message, %to, retry_at = %at, %error, "voicemail e-mail not sent; will retry");
        }
        Outcome::GaveUp { error } => {
            warn!(outbox, message, %to, %error, "voicemail e-mail given up");
        }
    }
}

/// sb-mail's real SMTP server (aiosmtpd) for the tests below, shared rather than copied.
#[cfg(test)]
#[path = "../../mail/tests/common/mod.rs"]
mod smtp_server;

#[cfg(test)]
mod tests {
    use std::future::Future;
    use std::sync::Mutex;
    use std::time::Instant;

    use sb_mail::Security;
    use sb_store::NewMessage;
    use tempfile::TempDir;

    use super::smtp_server::{
        parsed_email, plain_config, wav, ServerOptions, SmtpServer, PASSWORD, USER,
    };
    use super::*;

    const OWNER: &str = "anna@office.test";

    /// 2026-11-23 19:30:05 UTC (22:30:05 in Moscow, the demo's voicemail time zone) plus
    /// `secs`.
    fn at(secs: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_795_462_205 + secs, 0).expect("a time in range")
    }

    /// The demo configuration (box 101 in Russian) with `email` as its `[email]` table.
    fn config(email: Option<SmtpConfig>) -> Config {
        let mut config = sb_config::demo();
        config.email = email;
        config
    }

    /// A loopback port nobody listens on (for now): a mail server that is down.
    fn free_port() -> u16 {
        std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .expect("a free port")
            .port()
    }

    /// A database and voicemail directory on a real temporary disk.
    async fn store() -> (TempDir, Store) {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = Store::open(dir.path()).await.expect("open the store");
        (dir, store)
    }

    /// Ivan Petrov (+74951234567) leaves a 1 s message in box 101, `secs` after [`at`]`(0)`,
    /// to be e-mailed to `to`: its id and its WAV file's bytes.
    async fn leave_message(store: &Store, secs: i64, to: &[&str]) -> (i64, Vec<u8>) {
        let slot = store
            .begin_message(&NewMessage {
                mailbox: "101".into(),
                caller_number: "+74951234567".into(),
                caller_name: Some("Ivan Petrov".into()),
                call_id: format!("call-{secs}"),
                received_at: at(secs),
            })
            .await
            .expect("begin a message");
        let recording = wav(8000);
        std::fs::write(&slot.path, &recording).expect("write the recording");
        let to: Vec<String> = to.iter().map(|address| (*address).to_owned()).collect();
        store
            .finish_message(slot.id, Duration::from_secs(1), &to)
            .await
            .expect("finish the message");
        (slot.id, recording)
    }

    /// One round at `now`, as (address, outcome) pairs.
    async fn round(
        outbox: &mut Outbox,
        config: &Config,
        now: DateTime<Utc>,
    ) -> Vec<(String, Outcome)> {
        outbox
            .round(config, &|| now)
            .await
            .expect("a round")
            .into_iter()
            .map(|(row, outcome)| (row.address, outcome))
            .collect()
    }

    async fn pending(store: &Store) -> u64 {
        store.pending_email_count().await.expect("count")
    }

    /// Waits (up to 20 s) for `check`, polling: the worker runs on its own task.
    async fn eventually<F, Fut>(what: &str, check: F)
    where
        F: Fn() -> Fut,
        Fut: Future<Output = bool>,
    {
        let deadline = Instant::now() + Duration::from_secs(20);
        while !check().await {
            assert!(Instant::now() < deadline, "timed out waiting until {what}");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    #[tokio::test]
    async fn a_finished_message_is_mailed_with_its_recording_and_caller() {
        let Some(server) = SmtpServer::start(ServerOptions::default()) else {
            return;
        };
        let (_dir, store) = store().await;
        let (_, recording) = leave_message(&store, 0, &[OWNER]).await;
        let config = config(Some(server.config()));
        let mut outbox = Outbox::new(store.clone());

        assert_eq!(
            round(&mut outbox, &config, at(1)).await,
            [(OWNER.to_owned(), Outcome::Sent)]
        );
        assert_eq!(pending(&store).await, 0);
        assert!(
            round(&mut outbox, &config, at(86_400)).await.is_empty(),
            "one e-mail per message and address"
        );

        let received = server.received();
        assert_eq!(received.len(), 1, "{}", server.log());
        assert_eq!(received[0].mail_from, "pbx@switchboard.test");
        assert_eq!(received[0].rcpt_tos, [OWNER]);
        // Box 101 speaks the demo's language, Russian; the time is Moscow's.
        let parsed = parsed_email(
            &received[0].raw,
            "Голосовое сообщение от +74951234567 (Ivan Petrov), 0:01",
            &[
                "+74951234567",
                "Ivan Petrov",
                "23.11.2026 22:30:05 MSK",
                "101",
            ],
        );
        assert_eq!(parsed.attachment_count(), 1);
        let attachment = parsed.attachment(0).expect("the recording");
        assert!(
            attachment.contents() == recording.as_slice(),
            "the attachment ({} bytes) differs from the WAV file ({} bytes)",
            attachment.contents().len(),
            recording.len()
        );
    }

    /// The worker itself: its first round finds the server down, and the retry it scheduled
    /// goes through once the server is up, in a round the wake starts when the clock says
    /// the retry is due.
    #[tokio::test]
    async fn a_mail_server_that_was_down_gets_the_e_mail_once_it_is_up() {
        let port = free_port();
        let (_dir, store) = store().await;
        leave_message(&store, 0, &[OWNER]).await;
        let config = Arc::new(config(Some(plain_config(port, 10))));
        let now = Arc::new(Mutex::new(at(1)));
        let wake = Arc::new(Notify::new());
        let stop = CancellationToken::new();
        let worker = tokio::spawn(run(
            store.clone(),
            move || config.clone(),
            wake.clone(),
            {
                let now = now.clone();
                move || *now.lock().expect("the test clock")
            },
            stop.clone(),
        ));

        let store = &store;
        eventually("the first attempt is rescheduled", || async move {
            store.due_emails(at(1), 10).await.expect("due").is_empty()
        })
        .await;
        let due = store.due_emails(at(61), 10).await.expect("due");
        assert_eq!(due.len(), 1, "due again a minute later");
        assert_eq!(due[0].attempts, 1);
        assert!(
            due[0]
                .last_error
                .as_deref()
                .is_some_and(|e| e.contains("will retry")),
            "{:?}",
            due[0].last_error
        );

        let server = SmtpServer::start(ServerOptions {
            port: Some(port),
            ..ServerOptions::default()
        });
        if let Some(server) = server {
            *now.lock().expect("the test clock") = at(61);
            wake.notify_one();
            eventually("the retry delivers the e-mail", || async move {
                pending(store).await == 0
            })
            .await;
            assert_eq!(server.received().len(), 1, "{}", server.log());
        }
        stop.cancel();
        tokio::time::timeout(Duration::from_secs(10), worker)
            .await
            .expect("the worker stops when told")
            .expect("the worker does not panic");
    }

    #[tokio::test]
    async fn a_refused_address_is_given_up_and_the_others_still_go() {
        const NOBODY: &str = "nobody@office.test";
        let Some(server) = SmtpServer::start(ServerOptions {
            reject: Some(NOBODY),
            ..ServerOptions::default()
        }) else {
            return;
        };
        let (_dir, store) = store().await;
        leave_message(&store, 0, &[NOBODY, OWNER]).await;
        let config = config(Some(server.config()));
        let mut outbox = Outbox::new(store.clone());

        let outcomes = round(&mut outbox, &config, at(1)).await;
        assert_eq!(outcomes.len(), 2, "{outcomes:?}");
        assert_eq!(outcomes[0].0, NOBODY);
        match &outcomes[0].1 {
            Outcome::GaveUp { error } => assert!(error.contains("550"), "{error}"),
            other => panic!("a 550 must be given up, not {other:?}"),
        }
        assert_eq!(outcomes[1], (OWNER.to_owned(), Outcome::Sent));
        assert_eq!(pending(&store).await, 0);
        assert!(round(&mut outbox, &config, at(4 * 86_400)).await.is_empty());
        let received = server.received();
        assert_eq!(received.len(), 1);
        assert_eq!(received[0].rcpt_tos, [OWNER]);
    }

    /// A message deleted while its e-mail waited, whether its deletion was interrupted or
    /// raced the worker, and a message whose file is gone: each e-mail is given up with the
    /// reason, and nothing is sent (nobody listens at the server's port: a send would be
    /// retried, not given up).
    #[tokio::test]
    async fn an_e_mail_without_its_message_or_recording_is_given_up() {
        let (_dir, store) = store().await;
        let config = config(Some(plain_config(free_port(), 10)));
        let mut outbox = Outbox::new(store.clone());

        // A deletion that could not remove the file (here a directory in its place) leaves
        // the message hidden, with its e-mail, until the next start finishes it.
        let (interrupted, _) = leave_message(&store, 0, &["a@office.test"]).await;
        let path = store
            .message_path(interrupted)
            .await
            .expect("read")
            .expect("a message");
        std::fs::remove_file(&path).expect("remove the recording");
        std::fs::create_dir(&path).expect("a directory in its place");
        assert!(store.delete_message(interrupted).await.is_err());
        assert_eq!(pending(&store).await, 1);

        let (lost_file, _) = leave_message(&store, 10, &["b@office.test"]).await;
        let path = store
            .message_path(lost_file)
            .await
            .expect("read")
            .expect("a message");
        std::fs::remove_file(&path).expect("remove the recording");

        let outcomes = round(&mut outbox, &config, at(20)).await;
        assert_eq!(
            outcomes,
            [
                (
                    "a@office.test".to_owned(),
                    Outcome::GaveUp {
                        error: DELETED.to_owned()
                    }
                ),
                (
                    "b@office.test".to_owned(),
                    Outcome::GaveUp {
                        error: format!("the recording {} is missing", path.display())
                    }
                ),
            ]
        );
        assert_eq!(pending(&store).await, 0);

        // A message deleted after its e-mail was read from the outbox.
        let (raced, _) = leave_message(&store, 30, &["c@office.test"]).await;
        let row = store.due_emails(at(40), 10).await.expect("due").remove(0);
        assert!(store.delete_message(raced).await.expect("delete"));
        let Server::Ready(_, mailer) = &outbox.server else {
            panic!("the round built a mailer");
        };
        let timezone = Tz::Europe__Moscow;
        let outcome = outbox
            .deliver(mailer, &config, timezone, &row, &|| at(40))
            .await
            .expect("no store error");
        assert_eq!(
            outcome,
            Outcome::GaveUp {
                error: DELETED.to_owned()
            }
        );
    }

    /// Without `[email]` nothing is tried and nothing is dropped; a reload that adds the
    /// table sends what waited.
    #[tokio::test]
    async fn without_an_email_server_e_mails_wait_for_one() {
        let (_dir, store) = store().await;
        leave_message(&store, 0, &[OWNER]).await;
        let mut outbox = Outbox::new(store.clone());

        assert!(round(&mut outbox, &config(None), at(10 * 86_400))
            .await
            .is_empty());
        assert_eq!(pending(&store).await, 1);
        let due = store.due_emails(at(1), 10).await.expect("due");
        assert_eq!((due.len(), due[0].attempts), (1, 0), "untouched");

        let Some(server) = SmtpServer::start(ServerOptions::default()) else {
            return;
        };
        assert_eq!(
            round(&mut outbox, &config(Some(server.config())), at(10 * 86_400)).await,
            [(OWNER.to_owned(), Outcome::Sent)]
        );
        assert_eq!(server.received().len(), 1);
    }

    /// A wrong password is the operator's to fix, not the e-mail's fault: retried, with an
    /// error that never shows the password; the corrected `[email]` gets a new mailer, which
    /// logs in over STARTTLS (the server offers no login in clear text).
    #[tokio::test]
    async fn a_refused_login_is_retried_until_the_configuration_is_fixed() {
        let Some(server) = SmtpServer::with_login(Security::Starttls) else {
            return;
        };
        let (_dir, store) = store().await;
        leave_message(&store, 0, &[OWNER]).await;
        let mut outbox = Outbox::new(store.clone());

        let wrong = config(Some(server.config_with_login(USER, "wr0ng-pa55")));
        let outcomes = round(&mut outbox, &wrong, at(1)).await;
        match &outcomes[..] {
            [(_, Outcome::Retry { at: next, error })] => {
                assert_eq!(*next, at(61));
                assert!(error.contains("login refused"), "{error}");
                assert!(!error.contains("wr0ng-pa55"), "{error}");
            }
            other => panic!("a refused login must be retried, not {other:?}"),
        }
        let fixed = config(Some(server.config_with_login(USER, PASSWORD)));
        assert_eq!(
            round(&mut outbox, &fixed, at(61)).await,
            [(OWNER.to_owned(), Outcome::Sent)]
        );
        let received = server.received();
        assert_eq!(received.len(), 1);
        assert_eq!(received[0].login.as_deref(), Some(USER));
        assert!(received[0].tls, "the login went over STARTTLS");
    }

    /// The attempts counted in the outbox drive the retry policy: with the server down for
    /// good, the e-mail is given up after three days of retries, saying so.
    #[tokio::test]
    async fn a_server_down_for_three_days_has_the_e_mail_given_up() {
        let (_dir, store) = store().await;
        leave_message(&store, 0, &[OWNER]).await;
        let config = config(Some(plain_config(free_port(), 10)));
        let mut outbox = Outbox::new(store.clone());

        let mut now = at(1);
        let mut rounds = 0;
        let error = loop {
            rounds += 1;
            let mut outcomes = round(&mut outbox, &config, now).await;
            assert_eq!(outcomes.len(), 1, "{outcomes:?}");
            match outcomes.remove(0).1 {
                Outcome::Retry { at, .. } => now = at,
                Outcome::GaveUp { error } => break error,
                Outcome::Sent => panic!("nobody listens"),
            }
        };
        assert_eq!(rounds, 75);
        assert!(now - at(1) <= chrono::TimeDelta::days(3));
        assert!(error.starts_with("gave up after 75 attempts: "), "{error}");
        assert_eq!(pending(&store).await, 0);
    }
}
