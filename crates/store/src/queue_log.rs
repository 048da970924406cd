//! The queue log: every record the distributor emits and every change of an agent's
//! standing, kept so that the statistics of any past interval can be rebuilt
//! ([`Store::queue_report`]) with the engine's own counting ([`sb_acd::replay`]).
//!
//! The log is written by [`QueueLogSink`](crate::QueueLogSink)'s background task; each run
//! of the PBX starts it with the agents' standings ([`QueueLogEntry::Start`]), which also
//! ends, at that moment, the standing of every agent the previous run left staffed or busy
//! (the PBX stopped, or crashed, since: its calls are gone).

use chrono::{DateTime, TimeDelta, Utc};
use sb_acd::{
    replay, AgentOccupancy, AgentRecord, AgentState, IntervalReport, QueueEvent, ReportedQueue,
};
use sqlx::{QueryBuilder, Sqlite, Transaction};

use crate::error::StoreError;
use crate::queue_log_codec::{decode, encode, EventColumns};
use crate::store::Store;

/// One thing for the queue log.
#[derive(Debug, Clone, PartialEq)]
pub enum QueueLogEntry {
    /// A record of a queue.
    Queue(QueueEvent),
    /// An agent's state or standing changed.
    Agent {
        /// When, who, and how the agent counts for occupancy from then on.
        record: AgentRecord,
        /// The state shown.
        state: AgentState,
    },
    /// The PBX starts its distributor: every agent's standing at `at`.
    Start {
        /// When.
        at: DateTime<Utc>,
        /// Every agent the distributor knows, with its state and standing.
        agents: Vec<(String, AgentState, AgentOccupancy)>,
    },
}

/// Where a report starts when the reader names no start: the last 24 hours before `to`,
/// from the interval boundary at or before that (intervals of `step` counted from the Unix
/// epoch, so hourly ones start on the hour and quarter hours on :00, :15, :30, :45, as
/// call-centre reports are read).
pub fn default_report_start(to: DateTime<Utc>, step: TimeDelta) -> DateTime<Utc> {
    let start = to - TimeDelta::hours(24);
    let step_ms = step.num_milliseconds().max(1);
    let ms = start.timestamp_millis();
    DateTime::from_timestamp_millis(ms - ms.rem_euclid(step_ms)).unwrap_or(start)
}

/// An interval's records, as [`sb_acd::replay`] takes them.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct QueueLog {
    /// The queue records in the interval, in order.
    pub events: Vec<QueueEvent>,
    /// Each agent's last standing before the interval, then the changes in it, in order.
    pub agents: Vec<AgentRecord>,
}

#[derive(sqlx::FromRow)]
struct EventRow {
    id: i64,
    at: i64,
    queue: String,
    call_id: String,
    #[sqlx(flatten)]
    columns: EventColumns,
}

#[derive(sqlx::FromRow)]
struct AgentRow {
    at: i64,
    agent: String,
    staffed: bool,
    busy: bool,
}

fn time(table: &'static str, id: i64, at: i64) -> Result<DateTime<Utc>, StoreError> {
    DateTime::from_timestamp_millis(at).ok_or_else(|| StoreError::InvalidRow {
        table,
        id,
        column: "at",
        detail: format!("{at} is not a time"),
    })
}

fn database(action: &str) -> impl FnOnce(sqlx::Error) -> StoreError + '_ {
    move |source| StoreError::Database {
        action: action.to_owned(),
        source,
    }
}

impl Store {
    /// Writes `entries` in one transaction, in order within each table: the records many
    /// rows to a statement, since a busy call centre logs ten rows a call (one statement per
    /// row fell behind at 1,200 calls/s on two cores).
    pub async fn write_queue_log(&self, entries: &[QueueLogEntry]) -> Result<(), StoreError> {
        let mut tx = self
            .pool
            .begin()
            .await
            .map_err(database("begin a queue log write"))?;
        let mut events: Vec<&QueueEvent> = Vec::new();
        let mut agents: Vec<(&AgentRecord, &AgentState)> = Vec::new();
        for entry in entries {
            match entry {
                QueueLogEntry::Queue(event) => events.push(event),
                QueueLogEntry::Agent { record, state } => agents.push((record, state)),
                QueueLogEntry::Start { at, agents: now } => {
                    // A start must see the rows before it.
                    insert_events(&mut tx, &std::mem::take(&mut events)).await?;
                    insert_agents(&mut tx, &std::mem::take(&mut agents)).await?;
                    start(&mut tx, *at, now).await?;
                }
            }
        }
        insert_events(&mut tx, &events).await?;
        insert_agents(&mut tx, &agents).await?;
        tx.commit()
            .await
            .map_err(database("commit a queue log write"))
    }

    /// The records of `[from, to)` and each agent's standing at `from`.
    pub async fn queue_log(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<QueueLog, StoreError> {
        let (from_ms, to_ms) = (from.timestamp_millis(), to.timestamp_millis());
        let rows: Vec<EventRow> = sqlx::query_as(
            "SELECT id, at, queue, call_id, event, agent, position, priority, attempt, \
             waited_ms, talk_ms, wrapup_ms, reason FROM queue_events \
             WHERE at >= ?1 AND at < ?2 ORDER BY at, id",
        )
        .bind(from_ms)
        .bind(to_ms)
        .fetch_all(&self.pool)
        .await
        .map_err(database("read the queue log"))?;
        let mut events = Vec::with_capacity(rows.len());
        for row in rows {
            let kind = decode(&row.columns).map_err(|detail| StoreError::InvalidRow {
                table: "queue_events",
                id: row.id,
                column: "event",
                detail,
            })?;
            events.push(QueueEvent {
                at: time("queue_events", row.id, row.at)?,
                queue: row.queue,
                call: row.call_id,
                kind,
            });
        }
        // Each agent's latest row before the interval (SQLite takes the bare columns from
        // the row of the MAX), then the rows inside it.
        let rows: Vec<AgentRow> = sqlx::query_as(
            "SELECT at, agent, staffed, busy FROM \
             (SELECT MAX(id) AS id FROM agent_events WHERE at < ?1 GROUP BY agent) AS last \
             JOIN agent_events USING (id) \
             UNION ALL \
             SELECT at, agent, staffed, busy FROM agent_events WHERE at >= ?1 AND at < ?2 \
             ORDER BY at",
        )
        .bind(from_ms)
        .bind(to_ms)
        .fetch_all(&self.pool)
        .await
        .map_err(database("read the agents' log"))?;
        let agents = rows
            .into_iter()
            .map(|row| {
                Ok(AgentRecord {
                    at: time("agent_events", 0, row.at)?,
                    agent: row.agent,
                    occupancy: AgentOccupancy {
                        staffed: row.staffed,
                        busy: row.busy,
                    },
                })
            })
            .collect::<Result<_, StoreError>>()?;
        Ok(QueueLog { events, agents })
    }

    /// The statistics of `[from, to)` in intervals of `step` (the last one shorter when
    /// `step` does not divide the span), rebuilt from the log.
    pub async fn queue_report(
        &self,
        queues: &[ReportedQueue],
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        step: TimeDelta,
    ) -> Result<Vec<IntervalReport>, StoreError> {
        let log = self.queue_log(from, to).await?;
        Ok(replay(queues, from, to, step, &log.events, &log.agents))
    }
}

/// Rows per INSERT: 12 values a row stays far below SQLite's limit of bound parameters.
const ROWS_PER_STATEMENT: usize = 400;

async fn insert_events(
    tx: &mut Transaction<'_, Sqlite>,
    events: &[&QueueEvent],
) -> Result<(), StoreError> {
    for chunk in events.chunks(ROWS_PER_STATEMENT) {
        let mut insert = QueryBuilder::<Sqlite>::new(
            "INSERT INTO queue_events (at, queue, call_id, event, agent, position, priority, \
             attempt, waited_ms, talk_ms, wrapup_ms, reason) ",
        );
        insert.push_values(chunk, |mut row, event| {
            let columns = encode(&event.kind);
            row.push_bind(event.at.timestamp_millis())
                .push_bind(event.queue.clone())
                .push_bind(event.call.clone())
                .push_bind(columns.event)
                .push_bind(columns.agent)
                .push_bind(columns.position)
                .push_bind(columns.priority)
                .push_bind(columns.attempt)
                .push_bind(columns.waited_ms)
                .push_bind(columns.talk_ms)
                .push_bind(columns.wrapup_ms)
                .push_bind(columns.reason);
        });
        insert
            .build()
            .execute(&mut **tx)
            .await
            .map_err(database("write queue records"))?;
    }
    Ok(())
}

async fn insert_agents(
    tx: &mut Transaction<'_, Sqlite>,
    agents: &[(&AgentRecord, &AgentState)],
) -> Result<(), StoreError> {
    for chunk in agents.chunks(ROWS_PER_STATEMENT) {
        let mut insert = QueryBuilder::<Sqlite>::new(
            "INSERT INTO agent_events (at, agent, state, reason, staffed, busy) ",
        );
        insert.push_values(chunk, |mut row, (record, state)| {
            row.push_bind(record.at.timestamp_millis())
                .push_bind(record.agent.clone())
                .push_bind(state.name())
                .push_bind(state.reason().map(str::to_owned))
                .push_bind(record.occupancy.staffed)
                .push_bind(record.occupancy.busy);
        });
        insert
            .build()
            .execute(&mut **tx)
            .await
            .map_err(database("write agents' changes"))?;
    }
    Ok(())
}

/// A new run: agents the last run left staffed or busy and this one does not know are
/// logged out at `at`, then every agent's standing now is written.
async fn start(
    tx: &mut Transaction<'_, Sqlite>,
    at: DateTime<Utc>,
    agents: &[(String, AgentState, AgentOccupancy)],
) -> Result<(), StoreError> {
    let left: Vec<(String,)> = sqlx::query_as(
        "SELECT agent FROM agent_events JOIN \
         (SELECT MAX(id) AS id FROM agent_events GROUP BY agent) AS last USING (id) \
         WHERE staffed OR busy",
    )
    .fetch_all(&mut **tx)
    .await
    .map_err(database("read the agents the last run left"))?;
    let gone = left
        .into_iter()
        .filter(|(agent,)| !agents.iter().any(|(known, _, _)| known == agent))
        .map(|(agent,)| (agent, AgentState::LoggedOut, AgentOccupancy::default()));
    let rows: Vec<(AgentRecord, AgentState)> = gone
        .chain(agents.iter().cloned())
        .map(|(agent, state, occupancy)| {
            let record = AgentRecord {
                at,
                agent,
                occupancy,
            };
            (record, state)
        })
        .collect();
    let rows: Vec<(&AgentRecord, &AgentState)> = rows.iter().map(|(r, s)| (r, s)).collect();
    insert_agents(tx, &rows).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn time(text: &str) -> DateTime<Utc> {
        text.parse().expect("a time")
    }

    #[test]
    fn the_default_report_starts_on_an_interval_boundary_a_day_back() {
        let to = time("2026-11-24T05:12:12.709Z");
        assert_eq!(
            default_report_start(to, TimeDelta::hours(1)),
            time("2026-11-23T05:00:00Z")
        );
        assert_eq!(
            default_report_start(to, TimeDelta::minutes(15)),
            time("2026-11-23T05:00:00Z")
        );
        assert_eq!(
            default_report_start(time("2026-11-24T05:29:59Z"), TimeDelta::minutes(15)),
            time("2026-11-23T05:15:00Z")
        );
        assert_eq!(
            default_report_start(to, TimeDelta::days(1)),
            time("2026-11-23T00:00:00Z"),
            "days start at midnight UTC"
        );
        let boundary = time("2026-11-24T06:00:00Z");
        assert_eq!(
            default_report_start(boundary, TimeDelta::hours(1)),
            time("2026-11-23T06:00:00Z"),
            "a boundary stays where it is"
        );
    }
}
