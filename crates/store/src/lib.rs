//! Switchboard's database: migrations and call records.
//!
//! [`Store`] opens the SQLite database and reads and writes the `calls` table and each call's
//! routing trace (`call_trace`); [`spawn_writer`] puts a background task in front of it so
//! the SIP layer hands a finished call to a [`CallRecordSink`] and never waits on the disk;
//! [`format_calls_table`] renders calls for `switchboard calls`, [`format_trace`] one call
//! for `switchboard trace`.

mod error;
mod history;
mod record;
mod store;
mod table;
#[cfg(test)]
mod test_support;
mod trace;
mod writer;

pub use error::StoreError;
pub use history::{AnsweredCall, MAX_FORMS};
pub use record::{CallParty, CallRecord, Disposition, HangupBy, TraceLine, UnknownName};
pub use store::{Store, DATABASE_FILE, MIN_ID_PREFIX};
pub use table::format_calls_table;
pub use trace::format_trace;
pub use writer::{spawn_writer, CallRecordSink, QUEUE_CAPACITY};
