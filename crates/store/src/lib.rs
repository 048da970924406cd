//! Switchboard's database: migrations, call records, voicemail, callback tasks and the
//! e-mail outbox.
//!
//! [`Store`] opens the SQLite database and reads and writes the `calls` table and each call's
//! routing trace (`call_trace`); [`spawn_writer`] puts a background task in front of it so
//! the SIP layer hands a finished call to a [`CallRecordSink`] and never waits on the disk;
//! [`format_calls_table`] renders calls for `switchboard calls`, [`format_trace`] one call
//! for `switchboard trace`.
//!
//! Voicemail messages are a row and a WAV file each, kept consistent across crashes
//! (`voicemail.rs`; [`Store::recover_voicemail`] at start-up, `recovery.rs`); boxes keep
//! their greetings and a PIN set by phone (`mailbox.rs`); a greeting may also be uploaded
//! as a WAV file ([`Store::install_greeting`], `greeting_upload.rs`). Callback tasks
//! (`tasks.rs`, kept as the callback engine's `Task` in `task_codec.rs`,
//! [`format_tasks_table`] for `switchboard tasks`) and the notification e-mails of messages
//! (`outbox.rs`) are plain rows the engines' shells read and write.

mod error;
mod greeting_upload;
mod history;
mod mailbox;
mod outbox;
mod queue_log;
mod queue_log_codec;
mod queue_log_writer;
mod record;
mod recovery;
mod store;
mod table;
mod task_codec;
mod tasks;
#[cfg(test)]
mod test_support;
mod trace;
mod voicemail;
mod writer;

pub use error::StoreError;
pub use greeting_upload::{GreetingError, MAX_GREETING_BYTES, MAX_UPLOADED_GREETING};
pub use history::{AnsweredCall, MAX_FORMS};
pub use mailbox::{greeting_kind_name, parse_greeting_kind, UnknownGreetingKind};
pub use outbox::OutboxRow;
pub use queue_log::{default_report_start, QueueLog, QueueLogEntry};
pub use queue_log_writer::{spawn_queue_log, QueueLogSink, QUEUE_LOG_CAPACITY};
pub use record::{CallParty, CallRecord, Disposition, HangupBy, TraceLine, UnknownName};
pub use recovery::{DropReason, DroppedMessage, MovedFile, RecoveredMessage, RecoveryReport};
pub use store::{Store, DATABASE_FILE, MIN_ID_PREFIX, VOICEMAIL_DIR};
pub use table::{format_calls_table, format_table, format_tasks_table};
pub use task_codec::{HandClosing, UnknownAssignee};
pub use tasks::{Assignee, TaskClosed, TaskFilter, TaskRow};
pub use trace::format_trace;
pub use voicemail::{MessageCounts, MessageSlot, MessageState, NewMessage, StoredMessage};
pub use writer::{spawn_writer, CallRecordSink, QUEUE_CAPACITY};
