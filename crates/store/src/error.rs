//! What can go wrong in the store, each variant naming its cause so the operator's log line
//! says which file, which call or which column to look at.

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
