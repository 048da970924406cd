//! What can go wrong in the store, each variant naming its cause so the operator's log line
//! says which file, which call, which message or which column to look at.

use std::path::PathBuf;

use sqlx::error::ErrorKind;

/// An error from the call store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The data directory could not be created (permissions, a file in the way, a full disk).
    #[error("cannot create data directory {}: {source}", path.display())]
    CreateDir {
        path: PathBuf,
        source: std::io::Error,
    },
    /// The database file could not be opened or created.
    #[error("cannot open database {}: {source}", path.display())]
    Open { path: PathBuf, source: sqlx::Error },
    /// The schema could not be brought up to date (a newer Switchboard wrote it, or a
    /// migration failed half-way).
    #[error("cannot migrate database {}: {source}", path.display())]
    Migrate {
        path: PathBuf,
        source: sqlx::migrate::MigrateError,
    },
    /// One call could not be written.
    #[error("cannot insert call {id}: {source}")]
    Insert { id: String, source: sqlx::Error },
    /// A batch of calls could not be started or committed as one transaction; none of it
    /// was written.
    #[error("cannot write a batch of {count} calls: {source}")]
    Batch { count: usize, source: sqlx::Error },
    /// Reading calls back failed.
    #[error("cannot read calls: {source}")]
    Read { source: sqlx::Error },
    /// An id prefix given to [`Store::find_call`](crate::Store::find_call) begins the ids of
    /// more than one call; `candidates` are the first few of them (in id order), `more` says
    /// whether there are others.
    #[error(
        "call id prefix {prefix:?} is ambiguous: it begins the ids of {}{}; type more of the id",
        candidates.join(", "),
        if *more { ", ..." } else { "" }
    )]
    AmbiguousId {
        prefix: String,
        candidates: Vec<String>,
        more: bool,
    },
    /// A row holds a value Switchboard never writes (edited by hand, or a disk fault).
    #[error("call {id} in the database has an invalid {column}: {detail}")]
    Invalid {
        id: String,
        column: &'static str,
        detail: String,
    },
    /// A statement on voicemail, callback tasks or the e-mail outbox failed; `action` says
    /// what was being done ("mark voicemail message 7 new").
    #[error("cannot {action}: {source}")]
    Database { action: String, source: sqlx::Error },
    /// A row of voicemail, callback tasks or the e-mail outbox holds a value Switchboard
    /// never writes (edited by hand, or a disk fault).
    #[error("{table} row {id} has an invalid {column}: {detail}")]
    InvalidRow {
        table: &'static str,
        id: i64,
        column: &'static str,
        detail: String,
    },
    /// A voicemail file or directory could not be created, read, moved or removed.
    #[error("cannot {action} {}: {source}", path.display())]
    File {
        action: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },
    /// The store was opened in memory and given no voicemail directory
    /// ([`Store::with_voicemail_dir`](crate::Store::with_voicemail_dir)).
    #[error("this store has no voicemail directory")]
    NoVoicemailDir,
    /// Voicemail recovery found message rows but their directory missing, or without a single
    /// entry (every row's box directory is made before its row, and never removed): the disk
    /// holding it did not mount, or the data directory moved. Recovery stops here rather than
    /// drop every message as having lost its file.
    #[error(
        "the voicemail directory {} is {}, yet the database lists {rows} voicemail messages: \
         is the disk holding it mounted? Nothing was changed. Make the files available and \
         start again (or, if they are truly lost, delete those rows from voicemail_messages)",
        dir.display(),
        if *missing { "missing" } else { "empty" }
    )]
    VoicemailDirGone {
        /// The voicemail directory.
        dir: PathBuf,
        /// Whether it is missing (rather than empty).
        missing: bool,
        /// How many message rows there are.
        rows: usize,
    },
    /// [`Store::finish_message`](crate::Store::finish_message) was called for a message that
    /// is not being recorded: unknown, finished already, or settled by recovery.
    #[error("voicemail message {id} is not being recorded")]
    NotRecording { id: i64 },
    /// The recorder reported a message done, but its file is not there; the message's row
    /// has been removed, so no message lists without its audio.
    #[error("voicemail message {id} has no file at {}; the message is dropped", path.display())]
    MessageFileMissing { id: i64, path: PathBuf },
    /// A callback task would be a second open task for a number that has one; the engine
    /// should have merged into the open task
    /// ([`Store::open_task_for`](crate::Store::open_task_for)).
    #[error("number {number} already has an open callback task")]
    OpenTaskExists { number: String },
    /// A callback task's kind is empty or contains a comma, which the comma-separated
    /// `kinds` column could not read back as written.
    #[error("callback task kind {kind:?} cannot be stored: it is empty or contains a comma")]
    InvalidKind { kind: String },
}

impl StoreError {
    /// Whether trying the same write again may succeed: a busy or locked database, a full
    /// disk or a pool timeout may clear, a constraint violation (a duplicate call id) never will.
    pub(crate) fn is_transient(&self) -> bool {
        let source = match self {
            StoreError::Insert { source, .. } | StoreError::Batch { source, .. } => source,
            _ => return false,
        };
        match source.as_database_error() {
            Some(db) => matches!(db.kind(), ErrorKind::Other),
            None => true,
        }
    }
}
