//! The SQLite database behind Switchboard: opening it, migrating it, and the `calls` table.
//!
//! Times are stored as INTEGER milliseconds since the Unix epoch, UTC (see
//! `migrations/0001_calls.sql` for why), so a [`CallRecord`] comes back from the database with
//! its times truncated to the millisecond.

use std::path::{Path, PathBuf};
use std::str::FromStr;

use chrono::{DateTime, Utc};
use sqlx::sqlite::{
    SqliteArguments, SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions,
    SqliteSynchronous,
};
use sqlx::Sqlite;

use crate::error::StoreError;
use crate::record::{CallParty, CallRecord};

/// The database file's name inside the data directory.
pub const DATABASE_FILE: &str = "switchboard.db";

/// Connections to a database file: SQLite writes one at a time, so more only serve readers
/// (the API and `switchboard calls`) while the writer holds the lock.
const FILE_POOL_CONNECTIONS: u32 = 4;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!();

const INSERT_CALL: &str = "INSERT INTO calls (
        id, sip_call_id,
        caller_number, caller_name, caller_endpoint,
        callee_number, callee_name, callee_endpoint,
        started_at, answered_at, ended_at, duration_secs, billable_secs,
        disposition, hangup_by, sip_cause, reason
    ) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)";

/// The columns a [`CallRow`] reads; the derived durations are not read back, the record
/// computes them.
const SELECT_CALL: &str = "SELECT
        id, sip_call_id,
        caller_number, caller_name, caller_endpoint,
        callee_number, callee_name, callee_endpoint,
        started_at, answered_at, ended_at,
        disposition, hangup_by, sip_cause, reason
    FROM calls";

/// Switchboard's database. Cheap to clone: clones share one connection pool, so the SIP layer,
/// the background writer and the API can each hold one.
#[derive(Debug, Clone)]
pub struct Store {
    pool: SqlitePool,
}

impl Store {
    /// Opens (creating when missing) `switchboard.db` in `data_dir`, creating the directory too,
    /// and brings its schema up to date, so a first start on an empty disk just works.
    ///
    /// The database runs in WAL mode with `synchronous=NORMAL`: readers never block the writer,
    /// and a commit costs no fsync; a power cut may lose the last commits, never corrupt the file.
    pub async fn open(data_dir: &Path) -> Result<Store, StoreError> {
        tokio::fs::create_dir_all(data_dir)
            .await
            .map_err(|source| StoreError::CreateDir {
                path: data_dir.to_owned(),
                source,
            })?;
        let path = data_dir.join(DATABASE_FILE);
        let options = SqliteConnectOptions::new()
            .filename(&path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal);
        let pool = SqlitePoolOptions::new()
            .max_connections(FILE_POOL_CONNECTIONS)
            .connect_with(options)
            .await
            .map_err(|source| StoreError::Open {
                path: path.clone(),
                source,
            })?;
        Store::migrated(pool, path).await
    }

    /// Opens a fresh, empty, migrated database that lives in memory, for tests and for a
    /// demonstration run that should leave nothing on disk. It disappears with the last clone.
    pub async fn open_in_memory() -> Result<Store, StoreError> {
        let path = PathBuf::from(":memory:");
        // sqlx names each `sqlite::memory:` database uniquely, so two stores never share one.
        let options = SqliteConnectOptions::from_str("sqlite::memory:").map_err(|source| {
            StoreError::Open {
                path: path.clone(),
                source,
            }
        })?;
        // One connection kept forever: an in-memory database dies with its last connection.
        let pool = SqlitePoolOptions::new()
            .max_connections(1)
            .min_connections(1)
            .idle_timeout(None)
            .max_lifetime(None)
            .connect_with(options)
            .await
            .map_err(|source| StoreError::Open {
                path: path.clone(),
                source,
            })?;
        Store::migrated(pool, path).await
    }

    async fn migrated(pool: SqlitePool, path: PathBuf) -> Result<Store, StoreError> {
        MIGRATOR
            .run(&pool)
            .await
            .map_err(|source| StoreError::Migrate { path, source })?;
        Ok(Store { pool })
    }

    /// Writes one call. The SIP layer should not call this on its own path (it waits on the
    /// disk); it submits to a [`CallRecordSink`](crate::CallRecordSink) instead.
    pub async fn insert_call(&self, record: &CallRecord) -> Result<(), StoreError> {
        insert_query(record)
            .execute(&self.pool)
            .await
            .map_err(|source| StoreError::Insert {
                id: record.id.clone(),
                source,
            })?;
        Ok(())
    }

    /// Writes several calls in one transaction: all of them or none. One commit for many
    /// rows is what lets the writer keep up with bursts of hang-ups.
    pub async fn insert_calls(&self, records: &[CallRecord]) -> Result<(), StoreError> {
        let batch_error = |source: sqlx::Error| StoreError::Batch {
            count: records.len(),
            source,
        };
        let mut tx = self.pool.begin().await.map_err(batch_error)?;
        for record in records {
            insert_query(record)
                .execute(&mut *tx)
                .await
                .map_err(|source| StoreError::Insert {
                    id: record.id.clone(),
                    source,
                })?;
        }
        tx.commit().await.map_err(batch_error)
    }

    /// The `limit` most recent calls, newest first by start time (calls that started in the
    /// same millisecond: the one written last first), for `switchboard calls` and the history.
    pub async fn recent_calls(&self, limit: u32) -> Result<Vec<CallRecord>, StoreError> {
        let sql = format!("{SELECT_CALL} ORDER BY started_at DESC, rowid DESC LIMIT ?1");
        let rows: Vec<CallRow> = sqlx::query_as(&sql)
            .bind(limit)
            .fetch_all(&self.pool)
            .await
            .map_err(|source| StoreError::Read { source })?;
        rows.into_iter().map(CallRow::into_record).collect()
    }

    /// The call with Switchboard's id `id`, if there is one (`switchboard trace ID`, the API).
    pub async fn call(&self, id: &str) -> Result<Option<CallRecord>, StoreError> {
        let sql = format!("{SELECT_CALL} WHERE id = ?1");
        let row: Option<CallRow> = sqlx::query_as(&sql)
            .bind(id)
            .fetch_optional(&self.pool)
            .await
            .map_err(|source| StoreError::Read { source })?;
        row.map(CallRow::into_record).transpose()
    }
}

fn insert_query(record: &CallRecord) -> sqlx::query::Query<'_, Sqlite, SqliteArguments<'_>> {
    sqlx::query(INSERT_CALL)
        .bind(&record.id)
        .bind(&record.sip_call_id)
        .bind(&record.caller.number)
        .bind(&record.caller.name)
        .bind(&record.caller.endpoint)
        .bind(&record.callee.number)
        .bind(&record.callee.name)
        .bind(&record.callee.endpoint)
        .bind(record.started_at.timestamp_millis())
        .bind(record.answered_at.map(|at| at.timestamp_millis()))
        .bind(record.ended_at.timestamp_millis())
        .bind(record.duration_secs())
        .bind(record.billable_secs())
        .bind(record.disposition.as_str())
        .bind(record.hangup_by.as_str())
        .bind(i64::from(record.sip_cause))
        .bind(&record.reason)
}

/// A `calls` row as SQLite types it, before the checks that make it a [`CallRecord`].
#[derive(sqlx::FromRow)]
struct CallRow {
    id: String,
    sip_call_id: String,
    caller_number: String,
    caller_name: Option<String>,
    caller_endpoint: Option<String>,
    callee_number: String,
    callee_name: Option<String>,
    callee_endpoint: Option<String>,
    started_at: i64,
    answered_at: Option<i64>,
    ended_at: i64,
    disposition: String,
    hangup_by: String,
    sip_cause: i64,
    reason: String,
}

impl CallRow {
    fn into_record(self) -> Result<CallRecord, StoreError> {
        let id = self.id;
        let invalid = |column: &'static str, detail: String| StoreError::Invalid {
            id: id.clone(),
            column,
            detail,
        };
        let time = |column: &'static str, millis: i64| {
            DateTime::<Utc>::from_timestamp_millis(millis)
                .ok_or_else(|| invalid(column, format!("{millis} ms is out of range")))
        };
        let started_at = time("started_at", self.started_at)?;
        let answered_at = self
            .answered_at
            .map(|millis| time("answered_at", millis))
            .transpose()?;
        let ended_at = time("ended_at", self.ended_at)?;
        let disposition = self
            .disposition
            .parse()
            .map_err(|err| invalid("disposition", format!("{err}")))?;
        let hangup_by = self
            .hangup_by
            .parse()
            .map_err(|err| invalid("hangup_by", format!("{err}")))?;
        let sip_cause = u16::try_from(self.sip_cause).map_err(|_| {
            invalid(
                "sip_cause",
                format!("{} is not a SIP status", self.sip_cause),
            )
        })?;
        Ok(CallRecord {
            id,
            sip_call_id: self.sip_call_id,
            caller: CallParty {
                number: self.caller_number,
                name: self.caller_name,
                endpoint: self.caller_endpoint,
            },
            callee: CallParty {
                number: self.callee_number,
                name: self.callee_name,
                endpoint: self.callee_endpoint,
            },
            started_at,
            answered_at,
            ended_at,
            disposition,
            hangup_by,
            sip_cause,
            reason: self.reason,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::{Disposition, HangupBy};
    use crate::test_support::answered_call;

    #[tokio::test]
    async fn open_creates_the_directory_and_migrates_a_fresh_file() {
        let temp = tempfile::tempdir().expect("temp dir");
        let data_dir = temp.path().join("nested").join("data");
        let store = Store::open(&data_dir).await.expect("open");
        assert!(data_dir.join(DATABASE_FILE).is_file());

        let journal: String = sqlx::query_scalar("PRAGMA journal_mode")
            .fetch_one(&store.pool)
            .await
            .expect("journal_mode");
        assert_eq!(journal, "wal");
        let synchronous: i64 = sqlx::query_scalar("PRAGMA synchronous")
            .fetch_one(&store.pool)
            .await
            .expect("synchronous");
        assert_eq!(synchronous, 1, "synchronous=NORMAL");
        let mut indexes: Vec<String> = sqlx::query_scalar(
            "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'calls' \
             AND name NOT LIKE 'sqlite_autoindex_%'",
        )
        .fetch_all(&store.pool)
        .await
        .expect("indexes");
        indexes.sort();
        assert_eq!(
            indexes,
            [
                "calls_callee_number_started_at",
                "calls_caller_number_started_at",
                "calls_started_at"
            ]
        );

        store
            .insert_call(&answered_call("kept", 0))
            .await
            .expect("insert");
        store.pool.close().await;
        let reopened = Store::open(&data_dir).await.expect("reopen");
        assert_eq!(
            reopened.call("kept").await.expect("read"),
            Some(answered_call("kept", 0))
        );
    }

    #[tokio::test]
    async fn open_names_the_path_it_could_not_create() {
        let temp = tempfile::tempdir().expect("temp dir");
        let in_the_way = temp.path().join("data");
        std::fs::write(&in_the_way, "a file, not a directory").expect("write file");
        let err = Store::open(&in_the_way).await.expect_err("must fail");
        assert!(matches!(err, StoreError::CreateDir { .. }), "{err:?}");
        assert!(
            err.to_string().contains(&in_the_way.display().to_string()),
            "{err}"
        );
    }

    #[tokio::test]
    async fn a_call_reads_back_as_written() {
        let store = Store::open_in_memory().await.expect("open");
        let mut record = answered_call("4f1e", 0);
        record.callee.name = None;
        record.callee.endpoint = Some("trunk:carrier".to_owned());
        record.hangup_by = HangupBy::System;
        record.sip_cause = 408;
        record.reason = "rtp timeout".to_owned();
        store.insert_call(&record).await.expect("insert");
        assert_eq!(store.call("4f1e").await.expect("read"), Some(record));
        assert_eq!(store.call("no-such-call").await.expect("read"), None);
    }

    #[tokio::test]
    async fn recent_calls_are_newest_first_and_limited() {
        let store = Store::open_in_memory().await.expect("open");
        let calls = [
            answered_call("middle", 60),
            answered_call("oldest", 0),
            answered_call("newest", 120),
        ];
        store.insert_calls(&calls).await.expect("insert");
        let ids = |records: Vec<CallRecord>| -> Vec<String> {
            records.into_iter().map(|record| record.id).collect()
        };
        assert_eq!(
            ids(store.recent_calls(10).await.expect("read")),
            ["newest", "middle", "oldest"]
        );
        assert_eq!(
            ids(store.recent_calls(2).await.expect("read")),
            ["newest", "middle"]
        );
        assert!(store.recent_calls(0).await.expect("read").is_empty());
    }

    async fn query_plan(store: &Store, sql: &str) -> Vec<String> {
        let plan: Vec<(i64, i64, i64, String)> =
            sqlx::query_as(&format!("EXPLAIN QUERY PLAN {sql}"))
                .fetch_all(&store.pool)
                .await
                .expect("query plan");
        plan.into_iter().map(|step| step.3).collect()
    }

    /// At ten million rows a sort or a full scan is seconds; these lookups must walk an index.
    #[tokio::test]
    async fn call_lookups_walk_an_index_without_sorting() {
        let store = Store::open_in_memory().await.expect("open");
        let recent = format!("{SELECT_CALL} ORDER BY started_at DESC, rowid DESC LIMIT 1");
        assert_eq!(
            query_plan(&store, &recent).await,
            ["SCAN calls USING INDEX calls_started_at"]
        );
        for side in ["caller", "callee"] {
            let last_answered = format!(
                "{SELECT_CALL} WHERE {side}_number = ?1 AND disposition = 'ANSWERED' \
                 ORDER BY started_at DESC LIMIT 1"
            );
            assert_eq!(
                query_plan(&store, &last_answered).await,
                [format!(
                    "SEARCH calls USING INDEX calls_{side}_number_started_at ({side}_number=?)"
                )]
            );
        }
    }

    #[tokio::test]
    async fn an_unanswered_call_has_null_answered_at_and_nothing_billable() {
        let store = Store::open_in_memory().await.expect("open");
        let mut record = answered_call("missed", 0);
        record.answered_at = None;
        record.disposition = Disposition::NoAnswer;
        record.hangup_by = HangupBy::Caller;
        record.sip_cause = 487;
        store.insert_call(&record).await.expect("insert");

        let (answered_at, duration, billable): (Option<i64>, i64, i64) = sqlx::query_as(
            "SELECT answered_at, duration_secs, billable_secs FROM calls WHERE id = 'missed'",
        )
        .fetch_one(&store.pool)
        .await
        .expect("raw row");
        assert_eq!((answered_at, duration, billable), (None, 125, 0));
        let read = store.call("missed").await.expect("read").expect("present");
        assert_eq!(read.answered_at, None);
        assert_eq!(read.billable_secs(), 0);
    }

    #[tokio::test]
    async fn a_corrupt_row_is_an_error_naming_call_and_column() {
        let store = Store::open_in_memory().await.expect("open");
        store
            .insert_call(&answered_call("damaged", 0))
            .await
            .expect("insert");
        sqlx::query("UPDATE calls SET ended_at = ?1 WHERE id = 'damaged'")
            .bind(i64::MAX)
            .execute(&store.pool)
            .await
            .expect("damage the row");
        let err = store.call("damaged").await.expect_err("must fail");
        assert!(
            matches!(&err, StoreError::Invalid { id, column: "ended_at", .. } if id == "damaged"),
            "{err:?}"
        );
    }
}
