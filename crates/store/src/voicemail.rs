//! Voicemail messages: each one a row of `voicemail_messages` and a WAV file
//! (`<voicemail dir>/<box>/msg-<id>.wav`, see `src/mailbox.rs`), kept so that a crash at any
//! moment leaves either a complete message or none, never a row without its file.
//!
//! A message's life, and what a crash at each point leaves for
//! [`Store::recover_voicemail`] (`src/recovery.rs`), which runs before the server serves:
//!
//! 1. [`Store::begin_message`] commits a row in state `recording` and hands out the final path.
//!    A crash now leaves a row alone: recovery deletes it.
//! 2. The media layer's recorder writes `.msg-<id>.wav.<random>.part` beside that path; on
//!    commit it finalises the header, syncs and renames the file into place. A crash while it
//!    writes leaves the row and a `.part` whose header still says 0 bytes: recovery repairs the
//!    header from the file's length and renames it into place, since a partial message is
//!    still what the caller said. A crash after the rename leaves the row and the final file:
//!    recovery reads its length and makes it `new`.
//! 3. [`Store::finish_message`] makes the row `new` and queues its e-mails in one transaction.
//! 4. [`Store::delete_message`] first marks the row `deleting` (gone from every listing),
//!    then removes the file, then the row. A crash between leaves a `deleting` row, with or
//!    without its file: recovery removes both. So a deletion, once begun, always completes,
//!    and no listing ever shows a message whose file is already gone.
//!
//! Only `new` and `saved` rows are messages to the rest of Switchboard; `recording` and
//! `deleting` rows are never listed.

use std::io::ErrorKind;
use std::path::PathBuf;
use std::time::Duration;

use chrono::{DateTime, Utc};
use sqlx::SqliteConnection;

use crate::error::StoreError;
use crate::mailbox::{box_dir_name, message_file_name};
use crate::outbox::queue_emails;
use crate::store::Store;

/// The columns a [`MessageRow`] reads.
const SELECT_MESSAGE: &str = "SELECT id, mailbox, caller_number, caller_name, call_id, \
     received_at, duration_ms, state FROM voicemail_messages";

/// What is known of a message when the caller hears the beep.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewMessage {
    /// The box it is left in.
    pub mailbox: String,
    /// The caller's number, as signalled.
    pub caller_number: String,
    /// The caller's display name, when the call had one.
    pub caller_name: Option<String>,
    /// Switchboard's id of the call the message comes from, to find its call record.
    pub call_id: String,
    /// When the recording began.
    pub received_at: DateTime<Utc>,
}

/// A message being recorded: its id, and the path its recorder must commit the WAV file to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageSlot {
    /// The message's id, for [`Store::finish_message`].
    pub id: i64,
    /// The final path of the WAV file.
    pub path: PathBuf,
}

/// Whether the box owner has listened to a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MessageState {
    /// Not yet listened to: it lights the message-waiting lamp.
    New,
    /// Listened to and kept.
    Saved,
}

/// A message as the voicemail menu, the API and the mailer read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredMessage {
    /// The message's id.
    pub id: i64,
    /// The box it was left in.
    pub mailbox: String,
    /// The caller's number, as signalled.
    pub caller_number: String,
    /// The caller's display name, when the call had one.
    pub caller_name: Option<String>,
    /// Switchboard's id of the call it came from.
    pub call_id: String,
    /// When the recording began, to the millisecond.
    pub received_at: DateTime<Utc>,
    /// How long the recording is, to the millisecond.
    pub duration: Duration,
    /// Whether it has been listened to.
    pub state: MessageState,
    /// Its WAV file.
    pub path: PathBuf,
}

/// How many messages a box holds, for its message-waiting lamp and the menu's "you have ...".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct MessageCounts {
    /// Messages not yet listened to.
    pub new: u32,
    /// Messages listened to and kept.
    pub saved: u32,
}

/// Makes message `id`, if it is still being recorded, new and `duration` long, within the
/// caller's transaction; the rows changed (0 if it was not being recorded). Finishing a
/// message and recovering one after a crash both publish it this way.
pub(crate) async fn mark_new(
    conn: &mut SqliteConnection,
    id: i64,
    duration: Duration,
) -> Result<u64, sqlx::Error> {
    let updated = sqlx::query(
        "UPDATE voicemail_messages SET state = 'new', duration_ms = ?2 \
         WHERE id = ?1 AND state = 'recording'",
    )
    .bind(id)
    .bind(duration_millis(duration))
    .execute(conn)
    .await?;
    Ok(updated.rows_affected())
}

/// Milliseconds for the database; a recording longer than 292 million years is clamped.
pub(crate) fn duration_millis(duration: Duration) -> i64 {
    i64::try_from(duration.as_millis()).unwrap_or(i64::MAX)
}

impl Store {
    /// Starts a message: creates its box's directory and commits its row in state
    /// `recording`. The caller records to the returned path (through the media layer's
    /// recorder, which commits by rename) and then calls [`Store::finish_message`].
    pub async fn begin_message(&self, message: &NewMessage) -> Result<MessageSlot, StoreError> {
        let dir = self.box_dir(&message.mailbox)?;
        tokio::fs::create_dir_all(&dir)
            .await
            .map_err(|source| StoreError::File {
                action: "create voicemail box directory",
                path: dir.clone(),
                source,
            })?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO voicemail_messages \
             (mailbox, caller_number, caller_name, call_id, received_at, state) \
             VALUES (?1, ?2, ?3, ?4, ?5, 'recording') RETURNING id",
        )
        .bind(&message.mailbox)
        .bind(&message.caller_number)
        .bind(&message.caller_name)
        .bind(&message.call_id)
        .bind(message.received_at.timestamp_millis())
        .fetch_one(&self.pool)
        .await
        .map_err(|source| StoreError::Database {
            action: format!(
                "begin a voicemail message in box {} from call {}",
                message.mailbox, message.call_id
            ),
            source,
        })?;
        Ok(MessageSlot {
            id,
            path: dir.join(message_file_name(id)),
        })
    }

    /// Completes message `id` after its recorder committed the file: in one transaction the
    /// message becomes `new` with its `duration`, and one notification e-mail per address in
    /// `emails` is queued (an address listed twice gets one), so an e-mail is never lost for
    /// a message that exists.
    ///
    /// If the file is not there, the row is removed and [`StoreError::MessageFileMissing`]
    /// returned: a message without audio is not a message. [`StoreError::NotRecording`] if `id`
    /// is not a message being recorded.
    pub async fn finish_message(
        &self,
        id: i64,
        duration: Duration,
        emails: &[String],
    ) -> Result<(), StoreError> {
        let db_error = |action: &str| {
            let action = format!("{action} voicemail message {id}");
            move |source| StoreError::Database { action, source }
        };
        let mailbox: Option<String> = sqlx::query_scalar(
            "SELECT mailbox FROM voicemail_messages WHERE id = ?1 AND state = 'recording'",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await
        .map_err(db_error("read"))?;
        let Some(mailbox) = mailbox else {
            return Err(StoreError::NotRecording { id });
        };
        let path = self.box_dir(&mailbox)?.join(message_file_name(id));
        let present = match tokio::fs::metadata(&path).await {
            Ok(meta) => meta.is_file(),
            Err(err) if err.kind() == ErrorKind::NotFound => false,
            Err(source) => {
                return Err(StoreError::File {
                    action: "read voicemail message",
                    path,
                    source,
                })
            }
        };
        if !present {
            sqlx::query("DELETE FROM voicemail_messages WHERE id = ?1 AND state = 'recording'")
                .bind(id)
                .execute(&self.pool)
                .await
                .map_err(db_error("drop"))?;
            return Err(StoreError::MessageFileMissing { id, path });
        }

        let mut tx = self.pool.begin().await.map_err(db_error("finish"))?;
        let updated = mark_new(&mut tx, id, duration)
            .await
            .map_err(db_error("finish"))?;
        if updated == 0 {
            // Finished by someone else since the check; the transaction rolls back on drop.
            return Err(StoreError::NotRecording { id });
        }
        queue_emails(&mut tx, id, emails)
            .await
            .map_err(db_error("queue e-mails of"))?;
        tx.commit().await.map_err(db_error("finish"))
    }

    /// The messages of `mailbox`, new and saved, oldest first, as the voicemail menu plays
    /// them. A message still being recorded is not listed.
    pub async fn messages(&self, mailbox: &str) -> Result<Vec<StoredMessage>, StoreError> {
        let sql = format!(
            "{SELECT_MESSAGE} WHERE mailbox = ?1 AND state IN ('new', 'saved') \
             ORDER BY received_at, id"
        );
        let rows: Vec<MessageRow> = sqlx::query_as(&sql)
            .bind(mailbox)
            .fetch_all(&self.pool)
            .await
            .map_err(|source| StoreError::Database {
                action: format!("read the messages of voicemail box {mailbox}"),
                source,
            })?;
        rows.into_iter().map(|row| row.into_message(self)).collect()
    }

    /// Message `id` if it is new or saved (the API, the mailer); `None` while it is being
    /// recorded or deleted, or when there is none.
    pub async fn message(&self, id: i64) -> Result<Option<StoredMessage>, StoreError> {
        let sql = format!("{SELECT_MESSAGE} WHERE id = ?1 AND state IN ('new', 'saved')");
        let row: Option<MessageRow> = sqlx::query_as(&sql)
            .bind(id)
            .fetch_optional(&self.pool)
            .await
            .map_err(|source| StoreError::Database {
                action: format!("read voicemail message {id}"),
                source,
            })?;
        row.map(|row| row.into_message(self)).transpose()
    }

    /// The WAV file of message `id` if it is new or saved, for a player or an attachment.
    pub async fn message_path(&self, id: i64) -> Result<Option<PathBuf>, StoreError> {
        Ok(self.message(id).await?.map(|message| message.path))
    }

    /// Marks message `id` as listened to and kept; `false` if there is no such message. A
    /// saved message stays saved.
    pub async fn mark_saved(&self, id: i64) -> Result<bool, StoreError> {
        let updated = sqlx::query(
            "UPDATE voicemail_messages SET state = 'saved' \
             WHERE id = ?1 AND state IN ('new', 'saved')",
        )
        .bind(id)
        .execute(&self.pool)
        .await
        .map_err(|source| StoreError::Database {
            action: format!("save voicemail message {id}"),
            source,
        })?;
        Ok(updated.rows_affected() > 0)
    }

    /// How many new and saved messages `mailbox` holds: what its message-waiting lamp shows.
    pub async fn counts(&self, mailbox: &str) -> Result<MessageCounts, StoreError> {
        let rows: Vec<(String, u32)> = sqlx::query_as(
            "SELECT state, COUNT(*) FROM voicemail_messages \
             WHERE mailbox = ?1 AND state IN ('new', 'saved') GROUP BY state",
        )
        .bind(mailbox)
        .fetch_all(&self.pool)
        .await
        .map_err(|source| StoreError::Database {
            action: format!("count the messages of voicemail box {mailbox}"),
            source,
        })?;
        let mut counts = MessageCounts::default();
        for (state, count) in rows {
            match state.as_str() {
                "new" => counts.new = count,
                _ => counts.saved = count,
            }
        }
        Ok(counts)
    }

    /// Deletes message `id`, its file and its queued e-mails; `false` if there is no such
    /// message (or it is still being recorded).
    ///
    /// Order, so that a crash at any point converges (module documentation): the row is
    /// marked `deleting` first, which hides it; then the file goes; then the row. If removing
    /// the file fails, the error is returned and the row stays hidden until
    /// [`Store::recover_voicemail`] finishes the deletion at the next start.
    pub async fn delete_message(&self, id: i64) -> Result<bool, StoreError> {
        let db_error = |source| StoreError::Database {
            action: format!("delete voicemail message {id}"),
            source,
        };
        // Without a directory the file could not be removed: fail before hiding the row.
        let root = self.voicemail_root()?;
        let mailbox: Option<String> = sqlx::query_scalar(
            "UPDATE voicemail_messages SET state = 'deleting' \
             WHERE id = ?1 AND state IN ('new', 'saved') RETURNING mailbox",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await
        .map_err(db_error)?;
        let Some(mailbox) = mailbox else {
            return Ok(false);
        };
        let path = root
            .join(box_dir_name(&mailbox))
            .join(message_file_name(id));
        match tokio::fs::remove_file(&path).await {
            Ok(()) => {}
            Err(err) if err.kind() == ErrorKind::NotFound => {}
            Err(source) => {
                return Err(StoreError::File {
                    action: "delete voicemail message",
                    path,
                    source,
                })
            }
        }
        sqlx::query("DELETE FROM voicemail_messages WHERE id = ?1")
            .bind(id)
            .execute(&self.pool)
            .await
            .map_err(db_error)?;
        Ok(true)
    }
}

/// A `voicemail_messages` row as SQLite types it, before the checks that make it a
/// [`StoredMessage`].
#[derive(sqlx::FromRow)]
struct MessageRow {
    id: i64,
    mailbox: String,
    caller_number: String,
    caller_name: Option<String>,
    call_id: String,
    received_at: i64,
    duration_ms: i64,
    state: String,
}

impl MessageRow {
    fn into_message(self, store: &Store) -> Result<StoredMessage, StoreError> {
        let invalid = |column, detail: String| StoreError::InvalidRow {
            table: "voicemail_messages",
            id: self.id,
            column,
            detail,
        };
        let received_at =
            DateTime::<Utc>::from_timestamp_millis(self.received_at).ok_or_else(|| {
                invalid(
                    "received_at",
                    format!("{} ms is out of range", self.received_at),
                )
            })?;
        let duration = u64::try_from(self.duration_ms)
            .map(Duration::from_millis)
            .map_err(|_| invalid("duration_ms", format!("{} is negative", self.duration_ms)))?;
        let state = match self.state.as_str() {
            "new" => MessageState::New,
            "saved" => MessageState::Saved,
            other => {
                return Err(invalid(
                    "state",
                    format!("{other:?} is not a message's state"),
                ))
            }
        };
        let path = store
            .box_dir(&self.mailbox)?
            .join(message_file_name(self.id));
        Ok(StoredMessage {
            id: self.id,
            mailbox: self.mailbox,
            caller_number: self.caller_number,
            caller_name: self.caller_name,
            call_id: self.call_id,
            received_at,
            duration,
            state,
            path,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{
        at, begin, finished_message, new_message, voicemail_store, write_committed_wav,
    };

    #[tokio::test]
    async fn a_finished_message_is_listed_with_its_e_mails_queued() {
        let (_temp, store) = voicemail_store().await;
        let slot = begin(&store, "101", 0).await;
        assert_eq!(
            slot.path,
            store
                .box_dir("101")
                .expect("dir")
                .join(format!("msg-{}.wav", slot.id))
        );
        assert!(slot.path.parent().expect("dir").is_dir());
        // Being recorded, it is not a message yet.
        assert!(store.messages("101").await.expect("list").is_empty());
        assert_eq!(store.message(slot.id).await.expect("read"), None);
        assert_eq!(
            store.counts("101").await.expect("count"),
            MessageCounts::default()
        );

        write_committed_wav(&slot.path, 8_000 * 3 / 2);
        let emails = [
            "anna@example.com".to_owned(),
            "boss@example.com".to_owned(),
            "anna@example.com".to_owned(),
        ];
        store
            .finish_message(slot.id, Duration::from_millis(1_500), &emails)
            .await
            .expect("finish");

        let message = store
            .message(slot.id)
            .await
            .expect("read")
            .expect("a message");
        assert_eq!(
            message,
            StoredMessage {
                id: slot.id,
                mailbox: "101".to_owned(),
                caller_number: "+79161234567".to_owned(),
                caller_name: Some("Ivan".to_owned()),
                call_id: "call-0".to_owned(),
                received_at: at(0),
                duration: Duration::from_millis(1_500),
                state: MessageState::New,
                path: slot.path.clone(),
            }
        );
        assert_eq!(store.messages("101").await.expect("list"), [message]);
        assert_eq!(
            store.message_path(slot.id).await.expect("path"),
            Some(slot.path)
        );
        assert_eq!(
            store.counts("101").await.expect("count"),
            MessageCounts { new: 1, saved: 0 }
        );
        let mut addresses: Vec<String> = store
            .due_emails(at(0), 10)
            .await
            .expect("due")
            .into_iter()
            .map(|email| {
                assert_eq!(email.message_id, slot.id);
                email.address
            })
            .collect();
        addresses.sort();
        assert_eq!(addresses, ["anna@example.com", "boss@example.com"]);
    }

    #[tokio::test]
    async fn a_message_whose_file_is_missing_is_dropped_with_an_error() {
        let (_temp, store) = voicemail_store().await;
        let slot = begin(&store, "101", 0).await;
        let err = store
            .finish_message(
                slot.id,
                Duration::from_secs(3),
                &["anna@example.com".to_owned()],
            )
            .await
            .expect_err("no file");
        assert!(
            matches!(&err, StoreError::MessageFileMissing { id, path }
                if *id == slot.id && *path == slot.path),
            "{err:?}"
        );
        assert!(
            err.to_string().contains(&slot.path.display().to_string()),
            "{err}"
        );
        assert_eq!(store.pending_email_count().await.expect("count"), 0);
        // The row is gone: finishing again finds nothing being recorded.
        write_committed_wav(&slot.path, 10);
        let err = store
            .finish_message(slot.id, Duration::ZERO, &[])
            .await
            .expect_err("gone");
        assert!(matches!(err, StoreError::NotRecording { .. }), "{err:?}");
    }

    #[tokio::test]
    async fn a_message_is_finished_once() {
        let (_temp, store) = voicemail_store().await;
        let slot = finished_message(&store, "101", 0, 0, Duration::ZERO, &["a@example.com"]).await;
        let err = store
            .finish_message(
                slot.id,
                Duration::from_secs(1),
                &["a@example.com".to_owned()],
            )
            .await
            .expect_err("finished already");
        assert_eq!(
            err.to_string(),
            format!("voicemail message {} is not being recorded", slot.id)
        );
        assert_eq!(store.pending_email_count().await.expect("count"), 1);
        let err = store
            .finish_message(9_999, Duration::ZERO, &[])
            .await
            .expect_err("unknown");
        assert!(
            matches!(err, StoreError::NotRecording { id: 9_999 }),
            "{err:?}"
        );
    }

    #[tokio::test]
    async fn messages_are_listed_oldest_first_per_box_and_counted_by_state() {
        let (_temp, store) = voicemail_store().await;
        let mut ids = Vec::new();
        for (mailbox, secs) in [("101", 60), ("101", 0), ("102", 30), ("101", 120)] {
            let slot =
                finished_message(&store, mailbox, secs, 100, Duration::from_millis(12), &[]).await;
            ids.push(slot.id);
        }
        // One more, still being recorded.
        store
            .begin_message(&new_message("101", 10))
            .await
            .expect("begin");

        let listed = |messages: Vec<StoredMessage>| -> Vec<i64> {
            messages.into_iter().map(|message| message.id).collect()
        };
        assert_eq!(
            listed(store.messages("101").await.expect("list")),
            [ids[1], ids[0], ids[3]]
        );
        assert_eq!(listed(store.messages("102").await.expect("list")), [ids[2]]);
        assert!(store.messages("103").await.expect("list").is_empty());

        assert!(store.mark_saved(ids[1]).await.expect("save"));
        assert!(store.mark_saved(ids[1]).await.expect("save again"));
        assert!(!store.mark_saved(9_999).await.expect("unknown"));
        assert_eq!(
            store.counts("101").await.expect("count"),
            MessageCounts { new: 2, saved: 1 }
        );
        assert_eq!(
            store
                .message(ids[1])
                .await
                .expect("read")
                .expect("message")
                .state,
            MessageState::Saved
        );
        // Saving keeps a message in its place.
        assert_eq!(
            listed(store.messages("101").await.expect("list")),
            [ids[1], ids[0], ids[3]]
        );
    }

    #[tokio::test]
    async fn a_deleted_message_loses_its_file_and_its_e_mails() {
        let (_temp, store) = voicemail_store().await;
        let slot = finished_message(
            &store,
            "101",
            0,
            100,
            Duration::from_millis(12),
            &["a@example.com"],
        )
        .await;
        let recording = begin(&store, "101", 5).await;

        assert!(store.delete_message(slot.id).await.expect("delete"));
        assert!(!slot.path.exists());
        assert_eq!(store.message(slot.id).await.expect("read"), None);
        assert_eq!(store.pending_email_count().await.expect("count"), 0);
        assert!(!store.delete_message(slot.id).await.expect("delete again"));
        // A message being recorded cannot be deleted under its recorder.
        assert!(!store.delete_message(recording.id).await.expect("delete"));
        let rows: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM voicemail_messages")
            .fetch_one(&store.pool)
            .await
            .expect("count");
        assert_eq!(rows, 1, "only the recording row is left");
    }

    #[tokio::test]
    async fn ids_are_never_reused() {
        let (_temp, store) = voicemail_store().await;
        let first = finished_message(&store, "101", 0, 1, Duration::ZERO, &[]).await;
        store.delete_message(first.id).await.expect("delete");
        let second = begin(&store, "101", 1).await;
        assert!(second.id > first.id);
    }

    #[tokio::test]
    async fn without_a_voicemail_directory_nothing_is_begun() {
        let store = Store::open_in_memory().await.expect("open");
        let err = store
            .begin_message(&new_message("101", 0))
            .await
            .expect_err("no directory");
        assert!(matches!(err, StoreError::NoVoicemailDir), "{err:?}");
        let rows: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM voicemail_messages")
            .fetch_one(&store.pool)
            .await
            .expect("count");
        assert_eq!(rows, 0);
    }
}
