//! The queue log: every record the distributor emits and every change of an agent's
//! standing, kept so that the statistics of any past interval can be rebuilt
//! ([`Store::queue_report`]) with the engine's own counting ([`sb_acd::replay`]).
//!
//! The log is written by [`QueueLogSink`](crate::QueueLogSink)'s background task; each run
//! of the PBX starts it with the agents' standings ([`QueueLogEntry::Start`]), which also
//! ends, at that moment, the standing of every agent the previous run left staffed or busy
//! (the PBX stopped, or crashed, since: its calls are gone).

use chrono::{DateTime, Utc};
use sb_acd::{
    replay, AgentOccupancy, AgentRecord, AgentState, IntervalReport, QueueEvent, ReportedQueue,
};
use sqlx::{Sqlite, Transaction};

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
    /// Writes `entries` in one transaction, in order.
    pub async fn write_queue_log(&self, entries: &[QueueLogEntry]) -> Result<(), StoreError> {
        let mut tx = self
            .pool
            .begin()
            .await
            .map_err(database("begin a queue log write"))?;
        for entry in entries {
            match entry {
                QueueLogEntry::Queue(event) => insert_event(&mut tx, event).await?,
                QueueLogEntry::Agent { record, state } => {
                    insert_agent(&mut tx, record, state).await?;
                }
                QueueLogEntry::Start { at, agents } => start(&mut tx, *at, agents).await?,
            }
        }
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
        step: chrono::TimeDelta,
    ) -> Result<Vec<IntervalReport>, StoreError> {
        let log = self.queue_log(from, to).await?;
        let mut reports = Vec::new();
        let mut start = from;
        while start < to {
            let end = (start + step.max(chrono::TimeDelta::seconds(1))).min(to);
            reports.push(replay(queues, start, end, &log.events, &log.agents));
            start = end;
        }
        Ok(reports)
    }
}

async fn insert_event(
    tx: &mut Transaction<'_, Sqlite>,
    event: &QueueEvent,
) -> Result<(), StoreError> {
    let columns = encode(&event.kind);
    sqlx::query(
        "INSERT INTO queue_events (at, queue, call_id, event, agent, position, priority, \
         attempt, waited_ms, talk_ms, wrapup_ms, reason) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
    )
    .bind(event.at.timestamp_millis())
    .bind(&event.queue)
    .bind(&event.call)
    .bind(&columns.event)
    .bind(&columns.agent)
    .bind(columns.position)
    .bind(columns.priority)
    .bind(columns.attempt)
    .bind(columns.waited_ms)
    .bind(columns.talk_ms)
    .bind(columns.wrapup_ms)
    .bind(&columns.reason)
    .execute(&mut **tx)
    .await
    .map_err(database("write a queue record"))?;
    Ok(())
}

async fn insert_agent(
    tx: &mut Transaction<'_, Sqlite>,
    record: &AgentRecord,
    state: &AgentState,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO agent_events (at, agent, state, reason, staffed, busy) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )
    .bind(record.at.timestamp_millis())
    .bind(&record.agent)
    .bind(state.name())
    .bind(state.reason())
    .bind(record.occupancy.staffed)
    .bind(record.occupancy.busy)
    .execute(&mut **tx)
    .await
    .map_err(database("write an agent's change"))?;
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
    let now: Vec<_> = gone.chain(agents.iter().cloned()).collect();
    for (agent, state, occupancy) in now {
        let record = AgentRecord {
            at,
            agent,
            occupancy,
        };
        insert_agent(tx, &record, &state).await?;
    }
    Ok(())
}
