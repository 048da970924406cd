//! The SQLite database behind Switchboard: opening it, migrating it, the `calls` table and
//! the `call_trace` table beside it (`migrations/0002_call_trace.sql`).
//!
//! Times are stored as INTEGER milliseconds since the Unix epoch, UTC (see
//! `migrations/0001_calls.sql` for why), so a [`CallRecord`] comes back from the database with
//! its times, its trace's included, truncated to the millisecond.

use std::path::{Path, PathBuf};
use std::str::FromStr;

use chrono::{DateTime, Utc};
use sqlx::sqlite::{
    SqliteArguments, SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions,
    SqliteSynchronous,
};
use sqlx::{Sqlite, SqliteConnection};

use crate::error::StoreError;
use crate::record::{CallParty, CallRecord, TraceLine};

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

const INSERT_TRACE_LINE: &str =
    "INSERT INTO call_trace (call_id, position, at, step, text) VALUES (?1, ?2, ?3, ?4, ?5)";

/// One call's trace, in order: a range seek on the primary key (call_id, position).
const SELECT_TRACE: &str =
    "SELECT at, step, text FROM call_trace WHERE call_id = ?1 ORDER BY position";

/// The shortest beginning of a Switchboard id that [`Store::find_call`] accepts in place of the
/// whole id: eight characters of a UUID, as `git` shortens hashes, leave a collision unlikely
/// among millions of calls, and a shorter one would be a guess.
pub const MIN_ID_PREFIX: usize = 8;

/// How many candidates an [`StoreError::AmbiguousId`] names at most.
const AMBIGUOUS_CANDIDATES: usize = 5;

/// The columns a [`CallRow`] reads; the derived durations are not read back, the record
/// computes them.
const SELECT_CALL: &str = "SELECT
        id, sip_call_id,
        caller_number, caller_name, caller_endpoint,
        callee_number, callee_name, callee_endpoint,
        started_at, answered_at, ended_at,
        disposition, hangup_by, sip_cause, reason
    FROM calls";

/// The voicemail directory's name inside the data directory: each box's messages and
/// greetings are files below it (`src/mailbox.rs`).
pub const VOICEMAIL_DIR: &str = "voicemail";

/// Switchboard's database, and the voicemail files whose rows it holds. Cheap to clone: clones
/// share one connection pool, so the SIP layer, the background writer and the API can each
/// hold one.
#[derive(Debug, Clone)]
pub struct Store {
    pub(crate) pool: SqlitePool,
    /// Where voicemail audio lives; `None` for an in-memory store not given one, whose
    /// voicemail calls then fail with [`StoreError::NoVoicemailDir`].
    pub(crate) voicemail_dir: Option<PathBuf>,
}

impl Store {
    /// Opens (creating when missing) `switchboard.db` in `data_dir`, creating the directory too,
    /// and brings its schema up to date, so a first start on an empty disk just works.
    /// Voicemail lives in [`VOICEMAIL_DIR`] beside the database, created with the first message.
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
        let store = Store::migrated(pool, path).await?;
        Ok(store.with_voicemail_dir(data_dir.join(VOICEMAIL_DIR)))
    }

    /// Opens a fresh, empty, migrated database that lives in memory, for tests and for a
    /// demonstration run that should leave nothing on disk. It disappears with the last clone.
    /// It has no voicemail directory until given one with [`Store::with_voicemail_dir`].
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
        Ok(Store {
            pool,
            voicemail_dir: None,
        })
    }

    /// This store with its voicemail files in `dir` (created with the first message): how a
    /// test or a demonstration gives an in-memory database a place for audio, and how a
    /// deployment puts audio on another disk than the database.
    pub fn with_voicemail_dir(self, dir: impl Into<PathBuf>) -> Store {
        Store {
            voicemail_dir: Some(dir.into()),
            ..self
        }
    }

    /// Writes one call with its trace, in one transaction: the call's row and its trace
    /// appear together or not at all. The SIP layer should not call this on its own path (it
    /// waits on the disk); it submits to a [`CallRecordSink`](crate::CallRecordSink) instead.
    pub async fn insert_call(&self, record: &CallRecord) -> Result<(), StoreError> {
        let insert_error = |source: sqlx::Error| StoreError::Insert {
            id: record.id.clone(),
            source,
        };
        let mut tx = self.pool.begin().await.map_err(insert_error)?;
        insert_with_trace(&mut tx, record).await?;
        tx.commit().await.map_err(insert_error)
    }

    /// Writes several calls, each with its trace, in one transaction: all of them or none.
    /// One commit for many rows is what lets the writer keep up with bursts of hang-ups.
    pub async fn insert_calls(&self, records: &[CallRecord]) -> Result<(), StoreError> {
        let batch_error = |source: sqlx::Error| StoreError::Batch {
            count: records.len(),
            source,
        };
        let mut tx = self.pool.begin().await.map_err(batch_error)?;
        for record in records {
            insert_with_trace(&mut tx, record).await?;
        }
        tx.commit().await.map_err(batch_error)
    }

    /// The `limit` most recent calls, newest first by start time (calls that started in the
    /// same millisecond: the one written last first), for `switchboard calls` and the history.
    ///
    /// Their traces are left empty, whatever was stored, so a long list stays one cheap
    /// query; [`Store::call`] reads one call with its trace.
    pub async fn recent_calls(&self, limit: u32) -> Result<Vec<CallRecord>, StoreError> {
        let sql = format!("{SELECT_CALL} ORDER BY started_at DESC, rowid DESC LIMIT ?1");
        let rows: Vec<CallRow> = sqlx::query_as(&sql)
            .bind(limit)
            .fetch_all(&self.pool)
            .await
            .map_err(|source| StoreError::Read { source })?;
        rows.into_iter().map(CallRow::into_record).collect()
    }

    /// The call with Switchboard's id `id`, with its trace, if there is one (the API).
    ///
    /// The row and its trace are read in one transaction, so they are of one moment.
    pub async fn call(&self, id: &str) -> Result<Option<CallRecord>, StoreError> {
        let read_error = |source: sqlx::Error| StoreError::Read { source };
        let mut tx = self.pool.begin().await.map_err(read_error)?;
        let sql = format!("{SELECT_CALL} WHERE id = ?1");
        let row: Option<CallRow> = sqlx::query_as(&sql)
            .bind(id)
            .fetch_optional(&mut *tx)
            .await
            .map_err(read_error)?;
        let Some(row) = row else {
            return Ok(None);
        };
        let trace: Vec<TraceRow> = sqlx::query_as(SELECT_TRACE)
            .bind(id)
            .fetch_all(&mut *tx)
            .await
            .map_err(read_error)?;
        tx.commit().await.map_err(read_error)?;
        let mut record = row.into_record()?;
        record.trace = trace
            .into_iter()
            .map(|line| line.into_line(&record.id))
            .collect::<Result<_, _>>()?;
        Ok(Some(record))
    }

    /// The call an operator means by `key`, with its trace (`switchboard trace KEY`): the call
    /// whose Switchboard id is `key`; else the one whose SIP Call-ID is `key` (the most recent
    /// if a Call-ID was seen more than once); else, when `key` has at least
    /// [`MIN_ID_PREFIX`] characters, the one call whose id begins with `key`.
    ///
    /// `Ok(None)` when nothing matches; [`StoreError::AmbiguousId`] when `key` begins the ids
    /// of several calls.
    pub async fn find_call(&self, key: &str) -> Result<Option<CallRecord>, StoreError> {
        if let Some(record) = self.call(key).await? {
            return Ok(Some(record));
        }
        let read_error = |source: sqlx::Error| StoreError::Read { source };
        let by_sip_call_id: Option<String> = sqlx::query_scalar(
            "SELECT id FROM calls WHERE sip_call_id = ?1 \
             ORDER BY started_at DESC, rowid DESC LIMIT 1",
        )
        .bind(key)
        .fetch_optional(&self.pool)
        .await
        .map_err(read_error)?;
        if let Some(id) = by_sip_call_id {
            return self.call(&id).await;
        }
        if key.chars().count() < MIN_ID_PREFIX {
            return Ok(None);
        }
        let mut ids: Vec<String> =
            sqlx::query_scalar("SELECT id FROM calls WHERE id GLOB ?1 ORDER BY id LIMIT ?2")
                .bind(glob_prefix(key))
                .bind(AMBIGUOUS_CANDIDATES as i64 + 1)
                .fetch_all(&self.pool)
                .await
                .map_err(read_error)?;
        match ids.as_slice() {
            [] => Ok(None),
            [id] => self.call(id).await,
            _ => {
                let more = ids.len() > AMBIGUOUS_CANDIDATES;
                ids.truncate(AMBIGUOUS_CANDIDATES);
                Err(StoreError::AmbiguousId {
                    prefix: key.to_owned(),
                    candidates: ids,
                    more,
                })
            }
        }
    }
}

/// A GLOB pattern matching the strings that begin with `prefix`: its own `*`, `?` and `[`
/// bracketed so they match themselves. The index on `calls.id` serves it as a range.
fn glob_prefix(prefix: &str) -> String {
    let mut pattern = String::with_capacity(prefix.len() + 1);
    for c in prefix.chars() {
        if matches!(c, '*' | '?' | '[') {
            pattern.push('[');
            pattern.push(c);
            pattern.push(']');
        } else {
            pattern.push(c);
        }
    }
    pattern.push('*');
    pattern
}

/// Inserts `record`'s row and then its trace on `conn`, inside the caller's transaction.
async fn insert_with_trace(
    conn: &mut SqliteConnection,
    record: &CallRecord,
) -> Result<(), StoreError> {
    let insert_error = |source: sqlx::Error| StoreError::Insert {
        id: record.id.clone(),
        source,
    };
    insert_query(record)
        .execute(&mut *conn)
        .await
        .map_err(insert_error)?;
    for (position, line) in (0_i64..).zip(&record.trace) {
        sqlx::query(INSERT_TRACE_LINE)
            .bind(&record.id)
            .bind(position)
            .bind(line.at.timestamp_millis())
            .bind(&line.step)
            .bind(&line.text)
            .execute(&mut *conn)
            .await
            .map_err(insert_error)?;
    }
    Ok(())
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

/// A `call_trace` row as SQLite types it, before it becomes a [`TraceLine`].
#[derive(sqlx::FromRow)]
struct TraceRow {
    at: i64,
    step: String,
    text: String,
}

impl TraceRow {
    fn into_line(self, call_id: &str) -> Result<TraceLine, StoreError> {
        let at =
            DateTime::<Utc>::from_timestamp_millis(self.at).ok_or_else(|| StoreError::Invalid {
                id: call_id.to_owned(),
                column: "call_trace.at",
                detail: format!("{} ms is out of range", self.at),
            })?;
        Ok(TraceLine {
            at,
            step: self.step,
            text: self.text,
        })
    }
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
            trace: Vec::new(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::{Disposition, HangupBy};
    use crate::test_support::{answered_call, at, query_plan, traced_call};
    use chrono::TimeDelta;

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
                "calls_sip_call_id",
                "calls_started_at"
            ]
        );

        store
            .insert_call(&traced_call("kept", 0))
            .await
            .expect("insert");
        store.pool.close().await;
        let reopened = Store::open(&data_dir).await.expect("reopen");
        assert_eq!(
            reopened.call("kept").await.expect("read"),
            Some(traced_call("kept", 0))
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

    async fn trace_rows(store: &Store) -> Vec<(String, i64, i64, String, String)> {
        sqlx::query_as(
            "SELECT call_id, position, at, step, text FROM call_trace ORDER BY call_id, position",
        )
        .fetch_all(&store.pool)
        .await
        .expect("raw trace rows")
    }

    #[tokio::test]
    async fn a_trace_reads_back_in_its_order_to_the_millisecond() {
        let store = Store::open_in_memory().await.expect("open");
        let mut record = traced_call("traced", 0);
        // Out of time order on purpose: the trace keeps the order it was given in.
        record.trace.push(TraceLine {
            at: at(0) + TimeDelta::milliseconds(1),
            step: "support".to_owned(),
            text: "clock stepped back".to_owned(),
        });
        store.insert_call(&record).await.expect("insert");
        store
            .insert_call(&answered_call("direct", 60))
            .await
            .expect("insert");

        assert_eq!(store.call("traced").await.expect("read"), Some(record));
        let direct = store.call("direct").await.expect("read").expect("present");
        assert!(direct.trace.is_empty());

        let base = at(0).timestamp_millis();
        let raw = trace_rows(&store).await;
        let raw: Vec<(i64, i64, &str)> = raw
            .iter()
            .map(|(call_id, position, at, step, _)| {
                assert_eq!(call_id, "traced");
                (*position, at - base, step.as_str())
            })
            .collect();
        assert_eq!(
            raw,
            [
                (0, 3, ""),
                (1, 2_481, "lunch"),
                (2, 7_999, "support"),
                (3, 1, "support")
            ]
        );
    }

    #[tokio::test]
    async fn finer_than_a_millisecond_is_truncated_in_a_trace() {
        let store = Store::open_in_memory().await.expect("open");
        let mut record = traced_call("fine", 0);
        record.trace[0].at = at(0) + TimeDelta::microseconds(2_999);
        store.insert_call(&record).await.expect("insert");
        let read = store.call("fine").await.expect("read").expect("present");
        assert_eq!(read.trace[0].at, at(0) + TimeDelta::milliseconds(2));
    }

    #[tokio::test]
    async fn recent_calls_leave_traces_empty() {
        let store = Store::open_in_memory().await.expect("open");
        store
            .insert_calls(&[traced_call("a", 0), traced_call("b", 10)])
            .await
            .expect("insert");
        let recent = store.recent_calls(10).await.expect("read");
        assert_eq!(recent.len(), 2);
        assert!(recent.iter().all(|call| call.trace.is_empty()));
    }

    /// A trigger refuses one trace line, so a write fails after its call's row went in.
    async fn refuse_trace_text(store: &Store, text: &str) {
        sqlx::query(&format!(
            "CREATE TRIGGER refuse BEFORE INSERT ON call_trace WHEN NEW.text = '{text}' \
             BEGIN SELECT RAISE(ABORT, 'refused by the test'); END"
        ))
        .execute(&store.pool)
        .await
        .expect("create trigger");
    }

    #[tokio::test]
    async fn a_call_and_its_trace_are_written_together_or_not_at_all() {
        let store = Store::open_in_memory().await.expect("open");
        refuse_trace_text(&store, "menu: digit 2 → support").await;

        let err = store
            .insert_call(&traced_call("one", 0))
            .await
            .expect_err("the second trace line is refused");
        assert!(
            matches!(&err, StoreError::Insert { id, .. } if id == "one"),
            "{err:?}"
        );
        assert_eq!(store.call("one").await.expect("read"), None);

        let mut direct = answered_call("direct", 10);
        direct.sip_call_id = "direct-in-batch".to_owned();
        let err = store
            .insert_calls(&[direct, traced_call("two", 20)])
            .await
            .expect_err("the batch fails on its second call's trace");
        assert!(
            matches!(&err, StoreError::Insert { id, .. } if id == "two"),
            "{err:?}"
        );
        assert!(store.recent_calls(10).await.expect("read").is_empty());
        assert!(trace_rows(&store).await.is_empty());

        sqlx::query("DROP TRIGGER refuse")
            .execute(&store.pool)
            .await
            .expect("drop trigger");
        store
            .insert_call(&traced_call("one", 0))
            .await
            .expect("insert");
        assert_eq!(
            store.call("one").await.expect("read"),
            Some(traced_call("one", 0))
        );
    }

    #[tokio::test]
    async fn a_corrupt_trace_time_is_an_error_naming_call_and_column() {
        let store = Store::open_in_memory().await.expect("open");
        store
            .insert_call(&traced_call("damaged", 0))
            .await
            .expect("insert");
        sqlx::query("UPDATE call_trace SET at = ?1 WHERE position = 1")
            .bind(i64::MAX)
            .execute(&store.pool)
            .await
            .expect("damage the row");
        let err = store.call("damaged").await.expect_err("must fail");
        assert!(
            matches!(&err, StoreError::Invalid { id, column: "call_trace.at", .. } if id == "damaged"),
            "{err:?}"
        );
    }

    async fn found_id(store: &Store, key: &str) -> Option<String> {
        store
            .find_call(key)
            .await
            .unwrap_or_else(|err| panic!("find_call({key:?}): {err}"))
            .map(|record| record.id)
    }

    #[tokio::test]
    async fn find_call_by_id_sip_call_id_or_unique_prefix() {
        let store = Store::open_in_memory().await.expect("open");
        let mut first = traced_call("0b6c1f2e-5a4d-4c3b-9e8f-7a6b5c4d3e2f", 0);
        first.sip_call_id = "a84b4c76e66710@pc33.example.com".to_owned();
        let mut second = answered_call("0b6c1f2e-ffff-4c3b-9e8f-7a6b5c4d3e2f", 10);
        // A Call-ID that is another call's id: the id wins.
        second.sip_call_id = "9d8c7b6a-1234-4cde-8f00-aabbccddeeff".to_owned();
        let third = answered_call("9d8c7b6a-1234-4cde-8f00-aabbccddeeff", 20);
        // The same Call-ID seen twice: the most recent call.
        let mut older = answered_call("5e5e5e5e-0000-4000-8000-000000000001", 30);
        older.sip_call_id = "again@192.0.2.10".to_owned();
        let mut newer = answered_call("5e5e5e5e-0000-4000-8000-000000000002", 40);
        newer.sip_call_id = "again@192.0.2.10".to_owned();
        // An id that is a prefix of another one: typed whole, it is not ambiguous.
        let short = answered_call("7a7a7a7a", 50);
        let long = answered_call("7a7a7a7a-0000", 60);
        store
            .insert_calls(&[first.clone(), second, third, older, newer, short, long])
            .await
            .expect("insert");

        // The exact id, with the trace.
        assert_eq!(
            store.find_call(&first.id).await.expect("find"),
            Some(first.clone())
        );
        assert_eq!(
            found_id(&store, "9d8c7b6a-1234-4cde-8f00-aabbccddeeff")
                .await
                .as_deref(),
            Some("9d8c7b6a-1234-4cde-8f00-aabbccddeeff")
        );
        assert_eq!(
            found_id(&store, "7a7a7a7a").await.as_deref(),
            Some("7a7a7a7a")
        );
        // The SIP Call-ID, with the trace.
        assert_eq!(
            store
                .find_call("a84b4c76e66710@pc33.example.com")
                .await
                .expect("find"),
            Some(first)
        );
        assert_eq!(
            found_id(&store, "again@192.0.2.10").await.as_deref(),
            Some("5e5e5e5e-0000-4000-8000-000000000002")
        );
        // A unique prefix of eight characters or more.
        assert_eq!(
            found_id(&store, "9d8c7b6a").await.as_deref(),
            Some("9d8c7b6a-1234-4cde-8f00-aabbccddeeff")
        );
        assert_eq!(
            found_id(&store, "0b6c1f2e-5a").await.as_deref(),
            Some("0b6c1f2e-5a4d-4c3b-9e8f-7a6b5c4d3e2f")
        );
        // Too short, unknown, or a wildcard that must match itself.
        assert_eq!(found_id(&store, "9d8c7b6").await, None);
        assert_eq!(found_id(&store, "ffffffff").await, None);
        assert_eq!(found_id(&store, "").await, None);
        assert_eq!(found_id(&store, "9d8c7b6a*").await, None);
        assert_eq!(found_id(&store, "9d8c7b6?-").await, None);
        assert_eq!(found_id(&store, "[9]d8c7b6a").await, None);
    }

    #[tokio::test]
    async fn an_ambiguous_prefix_is_an_error_naming_it_and_the_candidates() {
        let store = Store::open_in_memory().await.expect("open");
        let calls: Vec<CallRecord> = (0..7)
            .map(|n| answered_call(&format!("0b6c1f2e-{n}"), n))
            .collect();
        store.insert_calls(&calls[..2]).await.expect("insert");
        let err = store.find_call("0b6c1f2e").await.expect_err("ambiguous");
        assert!(
            matches!(&err, StoreError::AmbiguousId { prefix, candidates, more: false }
                if prefix == "0b6c1f2e" && candidates == &["0b6c1f2e-0", "0b6c1f2e-1"]),
            "{err:?}"
        );
        assert_eq!(
            err.to_string(),
            "call id prefix \"0b6c1f2e\" is ambiguous: it begins the ids of \
             0b6c1f2e-0, 0b6c1f2e-1; type more of the id"
        );

        store.insert_calls(&calls[2..]).await.expect("insert");
        let err = store.find_call("0b6c1f2e-").await.expect_err("ambiguous");
        assert_eq!(
            err.to_string(),
            "call id prefix \"0b6c1f2e-\" is ambiguous: it begins the ids of \
             0b6c1f2e-0, 0b6c1f2e-1, 0b6c1f2e-2, 0b6c1f2e-3, 0b6c1f2e-4, ...; type more of the id"
        );
        assert_eq!(
            found_id(&store, "0b6c1f2e-6").await.as_deref(),
            Some("0b6c1f2e-6")
        );
    }

    async fn query_plan_bound(store: &Store, sql: &str, value: &str) -> Vec<String> {
        let plan: Vec<(i64, i64, i64, String)> =
            sqlx::query_as(&format!("EXPLAIN QUERY PLAN {sql}"))
                .bind(value)
                .fetch_all(&store.pool)
                .await
                .expect("query plan");
        plan.into_iter().map(|step| step.3).collect()
    }

    /// `switchboard trace` must stay instant at ten million calls: every lookup seeks.
    #[tokio::test]
    async fn trace_lookups_walk_an_index() {
        let store = Store::open_in_memory().await.expect("open");
        assert_eq!(
            query_plan_bound(&store, SELECT_TRACE, "x").await,
            ["SEARCH call_trace USING PRIMARY KEY (call_id=?)"]
        );
        let by_sip = query_plan_bound(
            &store,
            "SELECT id FROM calls WHERE sip_call_id = ?1 ORDER BY started_at DESC, rowid DESC LIMIT 1",
            "x",
        )
        .await;
        assert_eq!(
            by_sip[0],
            "SEARCH calls USING INDEX calls_sip_call_id (sip_call_id=?)"
        );
        let by_prefix = query_plan_bound(
            &store,
            "SELECT id FROM calls WHERE id GLOB ?1 ORDER BY id LIMIT 6",
            &glob_prefix("0b6c1f2e"),
        )
        .await;
        assert_eq!(
            by_prefix,
            ["SEARCH calls USING COVERING INDEX sqlite_autoindex_calls_1 (id>? AND id<?)"]
        );
    }

    #[test]
    fn glob_prefixes_match_wildcards_literally() {
        assert_eq!(glob_prefix("0b6c1f2e"), "0b6c1f2e*");
        assert_eq!(glob_prefix("a*b?c[d]"), "a[*]b[?]c[[]d]*");
    }

    /// A database written by a Switchboard before traces existed keeps its calls and gains
    /// the trace table and the Call-ID index on its next start.
    #[tokio::test]
    async fn a_database_from_before_traces_is_upgraded_in_place() {
        let temp = tempfile::tempdir().expect("temp dir");
        let first_only = temp.path().join("migrations");
        std::fs::create_dir(&first_only).expect("mkdir");
        std::fs::write(
            first_only.join("0001_calls.sql"),
            include_str!("../migrations/0001_calls.sql"),
        )
        .expect("copy 0001");
        let data_dir = temp.path().join("data");
        std::fs::create_dir(&data_dir).expect("mkdir");
        let options = SqliteConnectOptions::new()
            .filename(data_dir.join(DATABASE_FILE))
            .create_if_missing(true);
        let pool = SqlitePool::connect_with(options).await.expect("connect");
        sqlx::migrate::Migrator::new(first_only.as_path())
            .await
            .expect("read 0001")
            .run(&pool)
            .await
            .expect("migrate to 0001");
        sqlx::query(
            "INSERT INTO calls VALUES ('old', 'old@192.0.2.10', '101', NULL, NULL, '700', NULL, \
             NULL, 0, NULL, 5000, 5, 0, 'NO ANSWER', 'caller', 487, 'caller cancelled')",
        )
        .execute(&pool)
        .await
        .expect("an old call");
        pool.close().await;

        let store = Store::open(&data_dir).await.expect("open and upgrade");
        let old = store
            .find_call("old@192.0.2.10")
            .await
            .expect("find")
            .expect("the old call is kept");
        assert_eq!(old.id, "old");
        assert!(old.trace.is_empty());
        store
            .insert_call(&traced_call("new", 0))
            .await
            .expect("insert");
        assert_eq!(
            store.call("new").await.expect("read"),
            Some(traced_call("new", 0))
        );
    }
}
