//! Callback tasks: numbers someone should call back, one open task per number, merging its
//! missed calls, abandoned calls and voicemail while it is open.
//!
//! The store keeps rows and nothing more. The rules (what merges into an open task, who is
//! assigned, what closes a task) are the callback engine's, which does no I/O: the shell reads
//! the open task with [`Store::open_task_for`], lets the engine decide, and writes the outcome
//! back with [`Store::insert_task`] or [`Store::update_task`]. The database guarantees what
//! the engine relies on: at most one open task per number (a partial unique index), and the
//! lookups it makes on every missed call are index seeks. How the engine's task is kept in a
//! row, and read back, is `task_codec.rs`.

use std::time::Duration;

use chrono::{DateTime, Utc};
use sqlx::error::BoxDynError;
use sqlx::sqlite::SqliteArguments;
use sqlx::Arguments as _;

use crate::error::StoreError;
use crate::store::Store;
use crate::voicemail::duration_millis;

/// The columns a [`TaskDbRow`] reads.
const SELECT_TASK: &str = "SELECT id, number, name, first_at, last_at, attempts, \
     longest_wait_ms, kinds, recordings, assignee_kind, assignee, assignee_reason, \
     closed_at, closed_by, last_call_id FROM callback_tasks";

/// Most recent activity first; the id breaks ties, so the order is the same every time.
const NEWEST_FIRST: &str = "ORDER BY last_at DESC, id DESC";

/// A callback task as the engine and `switchboard tasks` see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskRow {
    /// The task's id; [`Store::insert_task`] ignores it and returns the one given.
    pub id: i64,
    /// The outside number to call back.
    pub number: String,
    /// The caller's name, when a call or the CRM gave one.
    pub name: Option<String>,
    /// When the first event of the task happened.
    pub first_at: DateTime<Utc>,
    /// When the latest event happened.
    pub last_at: DateTime<Utc>,
    /// How many times the number called without reaching anyone.
    pub attempts: u32,
    /// The longest the caller waited on one of those calls.
    pub longest_wait: Duration,
    /// The kinds of call merged, in the order they first happened, as `task_codec.rs` writes
    /// them (`voicemail:general/7`, `missed:101`, `abandoned:sales/3`). None may be empty or
    /// contain a comma.
    pub kinds: Vec<String>,
    /// The voicemail messages the caller left, oldest first.
    pub recordings: Vec<i64>,
    /// Who should call back, if anybody is assigned yet.
    pub assignee: Option<Assignee>,
    /// How the task was closed; `None` while it is open.
    pub closed: Option<TaskClosed>,
    /// Switchboard's id of the latest call of the task, to find its record and trace.
    pub last_call_id: Option<String>,
}

/// Who should call a number back, and why them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assignee {
    /// What `value` names: `extension` (a person), `mailbox` (a shared voicemail box) or
    /// `queue` (its agents).
    pub kind: String,
    /// The extension number, queue or group name.
    pub value: String,
    /// Why, for the person reading the task (`responsible manager (from history)`).
    pub reason: String,
}

/// When and by whom a task was closed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskClosed {
    /// When it was closed.
    pub at: DateTime<Utc>,
    /// Who closed it and how (`by hand: anna`, `answered inbound call <call id>: 104`).
    pub by: String,
}

/// Which tasks [`Store::tasks`] lists, most recent activity first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TaskFilter {
    /// Open tasks: the callback work list.
    Open,
    /// Every task, open or closed.
    All,
    /// Open tasks assigned to one assignee: one person's callbacks.
    OpenAssignedTo {
        /// The assignee's [`Assignee::kind`].
        kind: String,
        /// The assignee's [`Assignee::value`].
        value: String,
    },
    /// Every task, open or closed, assigned to one assignee.
    AssignedTo {
        /// The assignee's [`Assignee::kind`].
        kind: String,
        /// The assignee's [`Assignee::value`].
        value: String,
    },
}

/// The comma-separated `kinds` column, or the error naming a kind it could not hold.
fn joined_kinds(kinds: &[String]) -> Result<String, StoreError> {
    if let Some(kind) = kinds
        .iter()
        .find(|kind| kind.is_empty() || kind.contains(','))
    {
        return Err(StoreError::InvalidKind { kind: kind.clone() });
    }
    Ok(kinds.join(","))
}

/// The comma-separated `recordings` column.
fn joined_recordings(recordings: &[i64]) -> String {
    recordings
        .iter()
        .map(i64::to_string)
        .collect::<Vec<_>>()
        .join(",")
}

/// Maps a write's error: a second open task for a number is [`StoreError::OpenTaskExists`].
fn write_error(task: &TaskRow, action: &str) -> impl FnOnce(sqlx::Error) -> StoreError {
    let number = task.number.clone();
    let action = format!("{action} the callback task for {number}");
    move |source| {
        if source
            .as_database_error()
            .is_some_and(|db| db.is_unique_violation())
        {
            StoreError::OpenTaskExists { number }
        } else {
            StoreError::Database { action, source }
        }
    }
}

/// The columns [`task_arguments`] gives values for, in its order: inserting and
/// overwriting a task write the same columns from one list, so the two cannot disagree.
const TASK_COLUMNS: [&str; 15] = [
    "number",
    "name",
    "first_at",
    "last_at",
    "attempts",
    "longest_wait_ms",
    "kinds",
    "recordings",
    "assignee_kind",
    "assignee",
    "assignee_reason",
    "state",
    "closed_at",
    "closed_by",
    "last_call_id",
];

/// The values of `task`'s [`TASK_COLUMNS`], in order, for `?1` to `?15`; or the error naming
/// a kind the row could not hold.
fn task_arguments(task: &TaskRow) -> Result<SqliteArguments<'_>, StoreError> {
    let kinds = joined_kinds(&task.kinds)?;
    let assignee = task.assignee.as_ref();
    let closed = task.closed.as_ref();
    let mut arguments = SqliteArguments::default();
    let add = || -> Result<(), BoxDynError> {
        arguments.add(&task.number)?;
        arguments.add(&task.name)?;
        arguments.add(task.first_at.timestamp_millis())?;
        arguments.add(task.last_at.timestamp_millis())?;
        arguments.add(task.attempts)?;
        arguments.add(duration_millis(task.longest_wait))?;
        arguments.add(kinds)?;
        arguments.add(joined_recordings(&task.recordings))?;
        arguments.add(assignee.map(|a| &a.kind))?;
        arguments.add(assignee.map(|a| &a.value))?;
        arguments.add(assignee.map(|a| &a.reason))?;
        arguments.add(if closed.is_some() { "closed" } else { "open" })?;
        arguments.add(closed.map(|c| c.at.timestamp_millis()))?;
        arguments.add(closed.map(|c| &c.by))?;
        arguments.add(&task.last_call_id)?;
        Ok(())
    };
    add().map_err(|source| encode_error(task, source))?;
    Ok(arguments)
}

/// A value of `task` that could not be bound (none of its types can fail to; kept an error,
/// not a panic, since the driver's signature allows it).
fn encode_error(task: &TaskRow, source: BoxDynError) -> StoreError {
    StoreError::Database {
        action: format!("bind the callback task for {}", task.number),
        source: sqlx::Error::Encode(source),
    }
}

impl Store {
    /// The open task for `number`, if there is one: what a new missed call merges into.
    pub async fn open_task_for(&self, number: &str) -> Result<Option<TaskRow>, StoreError> {
        let sql = format!("{SELECT_TASK} WHERE number = ?1 AND state = 'open'");
        let row: Option<TaskDbRow> = sqlx::query_as(&sql)
            .bind(number)
            .fetch_optional(&self.pool)
            .await
            .map_err(|source| StoreError::Database {
                action: format!("read the open callback task for {number}"),
                source,
            })?;
        row.map(TaskDbRow::into_task).transpose()
    }

    /// The open tasks of any of `numbers` (the forms a carrier writes one number in),
    /// most recent activity first; one statement however many forms.
    pub async fn open_tasks_for_numbers(
        &self,
        numbers: &[String],
    ) -> Result<Vec<TaskRow>, StoreError> {
        if numbers.is_empty() {
            return Ok(Vec::new());
        }
        let placeholders = vec!["?"; numbers.len()].join(", ");
        let sql = format!(
            "{SELECT_TASK} WHERE number IN ({placeholders}) AND state = 'open' {NEWEST_FIRST}"
        );
        let mut query = sqlx::query_as::<_, TaskDbRow>(&sql);
        for number in numbers {
            query = query.bind(number);
        }
        let rows = query
            .fetch_all(&self.pool)
            .await
            .map_err(|source| StoreError::Database {
                action: format!("read the open callback tasks for {}", numbers.join(", ")),
                source,
            })?;
        rows.into_iter().map(TaskDbRow::into_task).collect()
    }

    /// Writes a new task and returns its id (`task.id` is ignored).
    /// [`StoreError::OpenTaskExists`] if it is open and its number has an open task already.
    pub async fn insert_task(&self, task: &TaskRow) -> Result<i64, StoreError> {
        let placeholders: Vec<String> = (1..=TASK_COLUMNS.len()).map(|n| format!("?{n}")).collect();
        let sql = format!(
            "INSERT INTO callback_tasks ({}) VALUES ({}) RETURNING id",
            TASK_COLUMNS.join(", "),
            placeholders.join(", ")
        );
        sqlx::query_scalar_with(&sql, task_arguments(task)?)
            .fetch_one(&self.pool)
            .await
            .map_err(write_error(task, "insert"))
    }

    /// Overwrites task `task.id` with `task`; `false` if there is no such task.
    /// [`StoreError::OpenTaskExists`] if that would reopen a task whose number has another
    /// open task.
    pub async fn update_task(&self, task: &TaskRow) -> Result<bool, StoreError> {
        self.overwrite_task(task, "").await
    }

    /// Overwrites task `task.id` with `task` if it is still open; `false` if it is not (closed
    /// meanwhile, by hand or by a call, or unknown), and then nothing changes. What a merge
    /// writes: a task closed between reading and writing it must stay closed, so the caller
    /// reads again and merges into whatever is open now.
    pub async fn update_open_task(&self, task: &TaskRow) -> Result<bool, StoreError> {
        self.overwrite_task(task, " AND state = 'open'").await
    }

    /// Overwrites the row of `task.id` when it also meets `condition` (SQL after the id's).
    async fn overwrite_task(&self, task: &TaskRow, condition: &str) -> Result<bool, StoreError> {
        let id_placeholder = TASK_COLUMNS.len() + 1;
        let assignments: Vec<String> = TASK_COLUMNS
            .iter()
            .enumerate()
            .map(|(n, column)| format!("{column} = ?{}", n + 1))
            .collect();
        let sql = format!(
            "UPDATE callback_tasks SET {} WHERE id = ?{id_placeholder}{condition}",
            assignments.join(", ")
        );
        let mut arguments = task_arguments(task)?;
        arguments
            .add(task.id)
            .map_err(|source| encode_error(task, source))?;
        let updated = sqlx::query_with(&sql, arguments)
            .execute(&self.pool)
            .await
            .map_err(write_error(task, "update"))?;
        Ok(updated.rows_affected() > 0)
    }

    /// Closes task `id` at `at`, by `by`; `false` if it was not open (unknown or closed).
    pub async fn close_task(
        &self,
        id: i64,
        at: DateTime<Utc>,
        by: &str,
    ) -> Result<bool, StoreError> {
        let updated = sqlx::query(
            "UPDATE callback_tasks SET state = 'closed', closed_at = ?2, closed_by = ?3 \
             WHERE id = ?1 AND state = 'open'",
        )
        .bind(id)
        .bind(at.timestamp_millis())
        .bind(by)
        .execute(&self.pool)
        .await
        .map_err(|source| StoreError::Database {
            action: format!("close callback task {id}"),
            source,
        })?;
        Ok(updated.rows_affected() > 0)
    }

    /// Closes the open task for `number`, if any, at `at`, by `by` (the number got through,
    /// or was called back); the id of the task closed.
    pub async fn close_open_task_for(
        &self,
        number: &str,
        at: DateTime<Utc>,
        by: &str,
    ) -> Result<Option<i64>, StoreError> {
        sqlx::query_scalar(
            "UPDATE callback_tasks SET state = 'closed', closed_at = ?2, closed_by = ?3 \
             WHERE number = ?1 AND state = 'open' RETURNING id",
        )
        .bind(number)
        .bind(at.timestamp_millis())
        .bind(by)
        .fetch_optional(&self.pool)
        .await
        .map_err(|source| StoreError::Database {
            action: format!("close the open callback task for {number}"),
            source,
        })
    }

    /// At most `limit` tasks chosen by `filter`, most recent activity first, for
    /// `switchboard tasks` and the API.
    pub async fn tasks(&self, filter: &TaskFilter, limit: u32) -> Result<Vec<TaskRow>, StoreError> {
        let (sql, bound) = tasks_query(filter);
        let mut query = sqlx::query_as::<_, TaskDbRow>(&sql);
        for value in bound {
            query = query.bind(value);
        }
        let rows = query
            .bind(limit)
            .fetch_all(&self.pool)
            .await
            .map_err(|source| StoreError::Database {
                action: "read callback tasks".to_owned(),
                source,
            })?;
        rows.into_iter().map(TaskDbRow::into_task).collect()
    }

    /// Task `id`, open or closed.
    pub async fn task(&self, id: i64) -> Result<Option<TaskRow>, StoreError> {
        let sql = format!("{SELECT_TASK} WHERE id = ?1");
        let row: Option<TaskDbRow> = sqlx::query_as(&sql)
            .bind(id)
            .fetch_optional(&self.pool)
            .await
            .map_err(|source| StoreError::Database {
                action: format!("read callback task {id}"),
                source,
            })?;
        row.map(TaskDbRow::into_task).transpose()
    }
}

/// The statement listing the tasks `filter` chooses, and the values it binds before the
/// limit (bound last).
fn tasks_query(filter: &TaskFilter) -> (String, Vec<&str>) {
    match filter {
        TaskFilter::Open => (
            format!("{SELECT_TASK} WHERE state = 'open' {NEWEST_FIRST} LIMIT ?1"),
            Vec::new(),
        ),
        TaskFilter::All => (format!("{SELECT_TASK} {NEWEST_FIRST} LIMIT ?1"), Vec::new()),
        TaskFilter::OpenAssignedTo { kind, value } => (
            format!(
                "{SELECT_TASK} WHERE assignee_kind = ?1 AND assignee = ?2 AND state = 'open' \
                 {NEWEST_FIRST} LIMIT ?3"
            ),
            vec![kind.as_str(), value.as_str()],
        ),
        TaskFilter::AssignedTo { kind, value } => (
            format!(
                "{SELECT_TASK} WHERE assignee_kind = ?1 AND assignee = ?2 \
                 {NEWEST_FIRST} LIMIT ?3"
            ),
            vec![kind.as_str(), value.as_str()],
        ),
    }
}

/// A `callback_tasks` row as SQLite types it, before the checks that make it a [`TaskRow`].
#[derive(sqlx::FromRow)]
struct TaskDbRow {
    id: i64,
    number: String,
    name: Option<String>,
    first_at: i64,
    last_at: i64,
    attempts: i64,
    longest_wait_ms: i64,
    kinds: String,
    recordings: String,
    assignee_kind: Option<String>,
    assignee: Option<String>,
    assignee_reason: Option<String>,
    closed_at: Option<i64>,
    closed_by: Option<String>,
    last_call_id: Option<String>,
}

impl TaskDbRow {
    fn into_task(self) -> Result<TaskRow, StoreError> {
        let id = self.id;
        let invalid = |column, detail: String| StoreError::InvalidRow {
            table: "callback_tasks",
            id,
            column,
            detail,
        };
        let time = |column, millis: i64| {
            DateTime::<Utc>::from_timestamp_millis(millis)
                .ok_or_else(|| invalid(column, format!("{millis} ms is out of range")))
        };
        let recordings = if self.recordings.is_empty() {
            Vec::new()
        } else {
            self.recordings
                .split(',')
                .map(|id| id.parse())
                .collect::<Result<_, _>>()
                .map_err(|_| {
                    invalid(
                        "recordings",
                        format!("{:?} is not a list of ids", self.recordings),
                    )
                })?
        };
        let assignee = match (self.assignee_kind, self.assignee, self.assignee_reason) {
            (Some(kind), Some(value), Some(reason)) => Some(Assignee {
                kind,
                value,
                reason,
            }),
            _ => None,
        };
        let closed = match (self.closed_at, self.closed_by) {
            (Some(at), Some(by)) => Some(TaskClosed {
                at: time("closed_at", at)?,
                by,
            }),
            _ => None,
        };
        Ok(TaskRow {
            id,
            number: self.number,
            name: self.name,
            first_at: time("first_at", self.first_at)?,
            last_at: time("last_at", self.last_at)?,
            attempts: u32::try_from(self.attempts)
                .map_err(|_| invalid("attempts", format!("{} is not a count", self.attempts)))?,
            longest_wait: u64::try_from(self.longest_wait_ms)
                .map(Duration::from_millis)
                .map_err(|_| {
                    invalid(
                        "longest_wait_ms",
                        format!("{} is negative", self.longest_wait_ms),
                    )
                })?,
            kinds: if self.kinds.is_empty() {
                Vec::new()
            } else {
                self.kinds.split(',').map(str::to_owned).collect()
            },
            recordings,
            assignee,
            closed,
            last_call_id: self.last_call_id,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{at, missed_call_task as task, query_plan};

    fn ids(tasks: &[TaskRow]) -> Vec<i64> {
        tasks.iter().map(|task| task.id).collect()
    }

    #[tokio::test]
    async fn a_task_reads_back_as_written_and_merges_by_update() {
        let store = Store::open_in_memory().await.expect("open");
        assert_eq!(
            store.open_task_for("+79161234567").await.expect("read"),
            None
        );
        let id = store
            .insert_task(&task("+79161234567", 0))
            .await
            .expect("insert");
        let mut open = store
            .open_task_for("+79161234567")
            .await
            .expect("read")
            .expect("open task");
        assert_eq!(
            open,
            TaskRow {
                id,
                ..task("+79161234567", 0)
            }
        );

        open.last_at = at(600);
        open.attempts = 2;
        open.kinds.push("voicemail".to_owned());
        open.recordings = vec![7, 12];
        open.assignee = None;
        open.name = None;
        assert!(store.update_task(&open).await.expect("update"));
        assert_eq!(store.task(id).await.expect("read"), Some(open.clone()));
        assert!(!store
            .update_task(&TaskRow { id: 9_999, ..open })
            .await
            .expect("update unknown"));
        assert_eq!(store.task(9_999).await.expect("read"), None);
    }

    #[tokio::test]
    async fn a_number_has_at_most_one_open_task() {
        let store = Store::open_in_memory().await.expect("open");
        let first = store
            .insert_task(&task("+79161234567", 0))
            .await
            .expect("insert");
        let err = store
            .insert_task(&task("+79161234567", 60))
            .await
            .expect_err("second open task");
        assert!(
            matches!(&err, StoreError::OpenTaskExists { number } if number == "+79161234567"),
            "{err:?}"
        );

        assert!(store
            .close_task(first, at(120), "extension:104")
            .await
            .expect("close"));
        assert!(!store
            .close_task(first, at(130), "again")
            .await
            .expect("close again"));
        let second = store
            .insert_task(&task("+79161234567", 300))
            .await
            .expect("insert");
        assert_eq!(
            store
                .open_task_for("+79161234567")
                .await
                .expect("read")
                .map(|t| t.id),
            Some(second)
        );
        // Reopening the closed one while the second is open is refused too.
        let mut reopened = store.task(first).await.expect("read").expect("task");
        assert_eq!(
            reopened.closed,
            Some(TaskClosed {
                at: at(120),
                by: "extension:104".to_owned()
            })
        );
        reopened.closed = None;
        let err = store.update_task(&reopened).await.expect_err("reopen");
        assert!(matches!(err, StoreError::OpenTaskExists { .. }), "{err:?}");
        // A closed task can be written as closed whatever else is open.
        let closed = TaskRow {
            closed: Some(TaskClosed {
                at: at(400),
                by: "import".to_owned(),
            }),
            ..task("+79161234567", 350)
        };
        store.insert_task(&closed).await.expect("insert closed");
    }

    #[tokio::test]
    async fn a_merge_never_reopens_a_task_closed_meanwhile() {
        let store = Store::open_in_memory().await.expect("open");
        let id = store
            .insert_task(&task("+79161234567", 0))
            .await
            .expect("insert");
        let mut merged = store.task(id).await.expect("read").expect("task");
        merged.attempts = 2;
        assert!(store.update_open_task(&merged).await.expect("update"));
        assert_eq!(store.task(id).await.expect("read"), Some(merged.clone()));

        assert!(store
            .close_task(id, at(60), "by hand: anna")
            .await
            .expect("close"));
        merged.attempts = 3;
        assert!(!store.update_open_task(&merged).await.expect("refused"));
        let kept = store.task(id).await.expect("read").expect("task");
        assert_eq!((kept.attempts, kept.closed.is_some()), (2, true));
    }

    #[tokio::test]
    async fn the_open_task_of_a_number_is_closed_by_number() {
        let store = Store::open_in_memory().await.expect("open");
        let id = store
            .insert_task(&task("+79161234567", 0))
            .await
            .expect("insert");
        assert_eq!(
            store
                .close_open_task_for("+79161234567", at(60), "answered call")
                .await
                .expect("close"),
            Some(id)
        );
        assert_eq!(
            store
                .close_open_task_for("+79161234567", at(61), "answered call")
                .await
                .expect("close"),
            None
        );
        assert_eq!(
            store.open_task_for("+79161234567").await.expect("read"),
            None
        );
        let closed = store.task(id).await.expect("read").expect("kept");
        assert_eq!(closed.closed.expect("closed").by, "answered call");
    }

    #[tokio::test]
    async fn open_tasks_of_any_form_of_a_number() {
        let store = Store::open_in_memory().await.expect("open");
        let plus = store
            .insert_task(&task("+74951234567", 0))
            .await
            .expect("insert");
        let eight = store
            .insert_task(&task("84951234567", 60))
            .await
            .expect("insert");
        store
            .insert_task(&task("74957654321", 120))
            .await
            .expect("insert");
        let forms: Vec<String> = ["+74951234567", "74951234567", "84951234567"]
            .map(String::from)
            .to_vec();
        assert_eq!(
            ids(&store.open_tasks_for_numbers(&forms).await.expect("read")),
            [eight, plus]
        );
        assert!(store
            .open_tasks_for_numbers(&[])
            .await
            .expect("read")
            .is_empty());
    }

    #[tokio::test]
    async fn tasks_are_listed_newest_first_by_filter() {
        let store = Store::open_in_memory().await.expect("open");
        let a = store.insert_task(&task("1", 0)).await.expect("insert");
        let b = store.insert_task(&task("2", 60)).await.expect("insert");
        let mut other = task("3", 60);
        other.assignee = Some(Assignee {
            kind: "queue".to_owned(),
            value: "sales".to_owned(),
            reason: "no manager".to_owned(),
        });
        let c = store.insert_task(&other).await.expect("insert");
        let d = store.insert_task(&task("4", 30)).await.expect("insert");
        store
            .close_task(d, at(90), "extension:104")
            .await
            .expect("close");

        assert_eq!(
            ids(&store.tasks(&TaskFilter::All, 10).await.expect("all")),
            [c, b, d, a]
        );
        assert_eq!(
            ids(&store.tasks(&TaskFilter::All, 2).await.expect("all")),
            [c, b]
        );
        assert_eq!(
            ids(&store.tasks(&TaskFilter::Open, 10).await.expect("open")),
            [c, b, a]
        );
        let mine = TaskFilter::OpenAssignedTo {
            kind: "extension".to_owned(),
            value: "104".to_owned(),
        };
        assert_eq!(ids(&store.tasks(&mine, 10).await.expect("mine")), [b, a]);
        let queue = TaskFilter::OpenAssignedTo {
            kind: "queue".to_owned(),
            value: "sales".to_owned(),
        };
        assert_eq!(ids(&store.tasks(&queue, 10).await.expect("queue")), [c]);
        let all_mine = TaskFilter::AssignedTo {
            kind: "extension".to_owned(),
            value: "104".to_owned(),
        };
        assert_eq!(
            ids(&store.tasks(&all_mine, 10).await.expect("all mine")),
            [b, d, a]
        );
    }

    #[tokio::test]
    async fn a_kind_the_column_cannot_hold_is_refused() {
        let store = Store::open_in_memory().await.expect("open");
        for bad in ["missed,voicemail", ""] {
            let mut bad_task = task("1", 0);
            bad_task.kinds = vec!["missed".to_owned(), bad.to_owned()];
            let err = store.insert_task(&bad_task).await.expect_err("refused");
            assert!(
                matches!(&err, StoreError::InvalidKind { kind } if kind == bad),
                "{err:?}"
            );
        }
        let mut empty = task("1", 0);
        empty.kinds.clear();
        let id = store.insert_task(&empty).await.expect("no kinds yet");
        assert_eq!(
            store.task(id).await.expect("read").expect("task").kinds,
            Vec::<String>::new()
        );
    }

    /// Every missed call asks for the open task of its number, and the task list is read
    /// often: seeks and ordered index walks, never a sort of every task ever made.
    #[tokio::test]
    async fn task_lookups_walk_an_index_without_sorting() {
        let store = Store::open_in_memory().await.expect("open");
        assert_eq!(
            query_plan(
                &store,
                &format!("{SELECT_TASK} WHERE number = ?1 AND state = 'open'")
            )
            .await,
            ["SEARCH callback_tasks USING INDEX callback_tasks_open_number (number=?)"]
        );
        let mine = TaskFilter::OpenAssignedTo {
            kind: String::new(),
            value: String::new(),
        };
        let all_mine = TaskFilter::AssignedTo {
            kind: String::new(),
            value: String::new(),
        };
        let expected = [
            (
                all_mine,
                "SCAN callback_tasks USING INDEX callback_tasks_last_at",
            ),
            (
                TaskFilter::Open,
                "SEARCH callback_tasks USING INDEX callback_tasks_state_last_at (state=?)",
            ),
            (
                TaskFilter::All,
                "SCAN callback_tasks USING INDEX callback_tasks_last_at",
            ),
            (
                mine,
                "SEARCH callback_tasks USING INDEX callback_tasks_open_assignee \
                 (assignee_kind=? AND assignee=?)",
            ),
        ];
        for (filter, plan) in expected {
            assert_eq!(
                query_plan(&store, &tasks_query(&filter).0).await,
                [plan],
                "{filter:?}"
            );
        }
    }
}
