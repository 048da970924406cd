//! The e-mail outbox: one row per voicemail notification to send, queued in the transaction
//! that makes its message exist (`src/voicemail.rs`, `src/recovery.rs`), so a mail server that
//! is down, or a restart, delays an e-mail but never loses it.
//!
//! The mailer polls [`Store::due_emails`], tries each, and records the outcome: sent, tried
//! again later, or given up (kept with its error for the record, never retried). Deleting a
//! message deletes its e-mails, sent or not: there is nothing left to attach.

use chrono::{DateTime, Utc};
use sqlx::SqliteConnection;

use crate::error::StoreError;
use crate::store::Store;

/// An e-mail of the outbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxRow {
    /// The e-mail's id, to record its outcome.
    pub id: i64,
    /// The voicemail message it announces ([`Store::message`] has the rest).
    pub message_id: i64,
    /// The recipient.
    pub address: String,
    /// Attempts made so far, failed or not.
    pub attempts: u32,
    /// When it is (next) due; `None` once sent or given up.
    pub next_attempt_at: Option<DateTime<Utc>>,
    /// Why the last attempt failed, for the operator.
    pub last_error: Option<String>,
    /// When it was sent.
    pub sent_at: Option<DateTime<Utc>>,
}

/// Queues one e-mail per distinct address in `addresses` for message `message_id`, due at
/// once (at the message's start, a time already past), inside the caller's transaction.
pub(crate) async fn queue_emails(
    conn: &mut SqliteConnection,
    message_id: i64,
    addresses: &[String],
) -> Result<(), sqlx::Error> {
    for (n, address) in addresses.iter().enumerate() {
        if addresses[..n].contains(address) {
            continue;
        }
        sqlx::query(
            "INSERT INTO email_outbox (message_id, address, next_attempt_at) \
             SELECT id, ?2, received_at FROM voicemail_messages WHERE id = ?1",
        )
        .bind(message_id)
        .bind(address)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// The unsent e-mails due by `?1`, the longest-waiting first: a range of `email_outbox_due`.
const SELECT_DUE: &str = "SELECT id, message_id, address, attempts, next_attempt_at, \
     last_error, sent_at FROM email_outbox \
     WHERE next_attempt_at IS NOT NULL AND next_attempt_at <= ?1 \
     ORDER BY next_attempt_at, id LIMIT ?2";

impl Store {
    /// At most `limit` e-mails to try now: unsent, not given up, due at or before `now`,
    /// the longest-waiting first.
    pub async fn due_emails(
        &self,
        now: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<OutboxRow>, StoreError> {
        let rows: Vec<EmailRow> = sqlx::query_as(SELECT_DUE)
            .bind(now.timestamp_millis())
            .bind(limit)
            .fetch_all(&self.pool)
            .await
            .map_err(|source| StoreError::Database {
                action: "read the due e-mails".to_owned(),
                source,
            })?;
        rows.into_iter().map(EmailRow::into_outbox_row).collect()
    }

    /// Records that e-mail `id` was sent at `at`; `false` if it was not pending (unknown,
    /// sent or given up already).
    pub async fn mark_email_sent(&self, id: i64, at: DateTime<Utc>) -> Result<bool, StoreError> {
        self.settle_email(
            id,
            "UPDATE email_outbox SET attempts = attempts + 1, next_attempt_at = NULL, \
             sent_at = ?2 WHERE id = ?1 AND next_attempt_at IS NOT NULL",
            at.timestamp_millis(),
            None,
            "record as sent",
        )
        .await
    }

    /// Records a failed attempt at e-mail `id` and when to try again; `false` if it was not
    /// pending.
    pub async fn reschedule_email(
        &self,
        id: i64,
        next_at: DateTime<Utc>,
        error: &str,
    ) -> Result<bool, StoreError> {
        self.settle_email(
            id,
            "UPDATE email_outbox SET attempts = attempts + 1, next_attempt_at = ?2, \
             last_error = ?3 WHERE id = ?1 AND next_attempt_at IS NOT NULL",
            next_at.timestamp_millis(),
            Some(error),
            "reschedule",
        )
        .await
    }

    /// Records a last failed attempt at e-mail `id` (an address the server refuses, too many
    /// attempts): it stays, with its error, for the record, and is never tried again. `false`
    /// if it was not pending.
    pub async fn give_up_email(&self, id: i64, error: &str) -> Result<bool, StoreError> {
        let updated = sqlx::query(
            "UPDATE email_outbox SET attempts = attempts + 1, next_attempt_at = NULL, \
             last_error = ?2 WHERE id = ?1 AND next_attempt_at IS NOT NULL",
        )
        .bind(id)
        .bind(error)
        .execute(&self.pool)
        .await
        .map_err(|source| StoreError::Database {
            action: format!("give up e-mail {id}"),
            source,
        })?;
        Ok(updated.rows_affected() > 0)
    }

    /// How many e-mails wait to be sent, due or not: a health figure for the operator.
    pub async fn pending_email_count(&self) -> Result<u64, StoreError> {
        let count: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM email_outbox WHERE next_attempt_at IS NOT NULL",
        )
        .fetch_one(&self.pool)
        .await
        .map_err(|source| StoreError::Database {
            action: "count the pending e-mails".to_owned(),
            source,
        })?;
        Ok(count.unsigned_abs())
    }

    /// Runs `sql` (an update of a pending e-mail bound as `id`, `time`, `error`).
    async fn settle_email(
        &self,
        id: i64,
        sql: &str,
        time: i64,
        error: Option<&str>,
        action: &str,
    ) -> Result<bool, StoreError> {
        let updated = sqlx::query(sql)
            .bind(id)
            .bind(time)
            .bind(error)
            .execute(&self.pool)
            .await
            .map_err(|source| StoreError::Database {
                action: format!("{action} e-mail {id}"),
                source,
            })?;
        Ok(updated.rows_affected() > 0)
    }
}

/// An `email_outbox` row as SQLite types it.
#[derive(sqlx::FromRow)]
struct EmailRow {
    id: i64,
    message_id: i64,
    address: String,
    attempts: i64,
    next_attempt_at: Option<i64>,
    last_error: Option<String>,
    sent_at: Option<i64>,
}

impl EmailRow {
    fn into_outbox_row(self) -> Result<OutboxRow, StoreError> {
        let id = self.id;
        let time = |column, millis: Option<i64>| {
            millis
                .map(|millis| {
                    DateTime::<Utc>::from_timestamp_millis(millis).ok_or_else(|| {
                        StoreError::InvalidRow {
                            table: "email_outbox",
                            id,
                            column,
                            detail: format!("{millis} ms is out of range"),
                        }
                    })
                })
                .transpose()
        };
        Ok(OutboxRow {
            id,
            message_id: self.message_id,
            address: self.address,
            attempts: u32::try_from(self.attempts).map_err(|_| StoreError::InvalidRow {
                table: "email_outbox",
                id,
                column: "attempts",
                detail: format!("{} is not a count", self.attempts),
            })?,
            next_attempt_at: time("next_attempt_at", self.next_attempt_at)?,
            last_error: self.last_error,
            sent_at: time("sent_at", self.sent_at)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::test_support::{at, finished_message, voicemail_store};

    /// A finished message in box 101 received `secs` after the test clock's start, with
    /// e-mails to `addresses`; its id.
    async fn message(store: &Store, secs: i64, addresses: &[&str]) -> i64 {
        finished_message(store, "101", secs, 10, Duration::ZERO, addresses)
            .await
            .id
    }

    fn addresses(rows: &[OutboxRow]) -> Vec<&str> {
        rows.iter().map(|row| row.address.as_str()).collect()
    }

    #[tokio::test]
    async fn e_mails_are_due_from_their_message_oldest_first() {
        let (_temp, store) = voicemail_store().await;
        let later = message(&store, 60, &["later@example.com"]).await;
        let earlier = message(&store, 0, &["a@example.com", "b@example.com"]).await;
        assert_eq!(store.pending_email_count().await.expect("count"), 3);

        assert!(store.due_emails(at(-1), 10).await.expect("due").is_empty());
        let due = store.due_emails(at(60), 10).await.expect("due");
        assert_eq!(
            addresses(&due),
            ["a@example.com", "b@example.com", "later@example.com"]
        );
        assert_eq!(
            due[0],
            OutboxRow {
                id: due[0].id,
                message_id: earlier,
                address: "a@example.com".to_owned(),
                attempts: 0,
                next_attempt_at: Some(at(0)),
                last_error: None,
                sent_at: None,
            }
        );
        assert_eq!(due[2].message_id, later);
        assert_eq!(
            addresses(&store.due_emails(at(60), 2).await.expect("due")),
            ["a@example.com", "b@example.com"]
        );
    }

    #[tokio::test]
    async fn sent_rescheduled_and_given_up_e_mails() {
        let (_temp, store) = voicemail_store().await;
        message(
            &store,
            0,
            &["sent@example.com", "retry@example.com", "bad@example.com"],
        )
        .await;
        let due = store.due_emails(at(0), 10).await.expect("due");
        let [sent, retry, bad] = [&due[0], &due[1], &due[2]].map(|row| row.id);

        assert!(store.mark_email_sent(sent, at(5)).await.expect("sent"));
        assert!(store
            .reschedule_email(retry, at(300), "421 try again later")
            .await
            .expect("reschedule"));
        assert!(store
            .give_up_email(bad, "550 no such user")
            .await
            .expect("give up"));
        assert_eq!(store.pending_email_count().await.expect("count"), 1);
        assert!(store.due_emails(at(299), 10).await.expect("due").is_empty());

        let due = store.due_emails(at(300), 10).await.expect("due");
        assert_eq!(
            due,
            [OutboxRow {
                id: retry,
                message_id: due[0].message_id,
                address: "retry@example.com".to_owned(),
                attempts: 1,
                next_attempt_at: Some(at(300)),
                last_error: Some("421 try again later".to_owned()),
                sent_at: None,
            }]
        );
        // Settled e-mails stay settled.
        assert!(!store.mark_email_sent(bad, at(6)).await.expect("sent"));
        assert!(!store
            .reschedule_email(sent, at(9), "x")
            .await
            .expect("reschedule"));
        assert!(!store.give_up_email(sent, "x").await.expect("give up"));
        assert!(!store.mark_email_sent(9_999, at(6)).await.expect("unknown"));

        let kept: (i64, Option<i64>, Option<String>, Option<i64>) = sqlx::query_as(
            "SELECT attempts, next_attempt_at, last_error, sent_at FROM email_outbox WHERE id = ?1",
        )
        .bind(bad)
        .fetch_one(&store.pool)
        .await
        .expect("the given-up e-mail is kept");
        assert_eq!(kept, (1, None, Some("550 no such user".to_owned()), None));
        let sent_at: Option<i64> =
            sqlx::query_scalar("SELECT sent_at FROM email_outbox WHERE id = ?1")
                .bind(sent)
                .fetch_one(&store.pool)
                .await
                .expect("sent");
        assert_eq!(sent_at, Some(at(5).timestamp_millis()));
    }

    /// The mailer polls every few seconds for the life of the server: a seek, never a scan
    /// of every e-mail ever sent.
    #[tokio::test]
    async fn due_e_mails_are_a_range_of_an_index() {
        let store = Store::open_in_memory().await.expect("open");
        let plan: Vec<(i64, i64, i64, String)> =
            sqlx::query_as(&format!("EXPLAIN QUERY PLAN {SELECT_DUE}"))
                .fetch_all(&store.pool)
                .await
                .expect("plan");
        let plan: Vec<String> = plan.into_iter().map(|step| step.3).collect();
        assert_eq!(
            plan,
            ["SEARCH email_outbox USING INDEX email_outbox_due \
             (next_attempt_at>? AND next_attempt_at<?)"]
        );
    }
}
