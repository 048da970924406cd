//! The queue log's background writer: the distributor's task hands each record to a
//! [`QueueLogSink`] and goes on; one task writes them, many to a transaction.
//!
//! The distributor decides for every call of the PBX, so it must never wait on the disk. The
//! queue is bounded: past [`QUEUE_LOG_CAPACITY`] waiting records (the database stalled for
//! minutes under a full call centre) a record is not written, and the log line names it in
//! full, so the figures of that interval can still be corrected by hand. Calls are never
//! affected; their own records go through the call record writer.
//!
//! Shutdown: once every sink is dropped, the writer writes what is queued and its task ends.

use tokio::sync::mpsc::{self, error::TrySendError};
use tokio::task::JoinHandle;

use crate::queue_log::QueueLogEntry;
use crate::store::Store;
use crate::writer::with_retries;

/// How many records may wait for the writer: minutes of a busy call centre's queue traffic.
pub const QUEUE_LOG_CAPACITY: usize = 20_000;

/// The most records written in one transaction.
const MAX_BATCH: usize = 1_000;

/// Where the distributor drops its records. Cheap to clone.
#[derive(Debug, Clone)]
pub struct QueueLogSink {
    sender: mpsc::Sender<QueueLogEntry>,
}

impl QueueLogSink {
    /// Queues `entry` and returns at once, never waiting: see the module documentation for
    /// a full queue.
    pub fn submit(&self, entry: QueueLogEntry) {
        match self.sender.try_send(entry) {
            Ok(()) => {}
            Err(TrySendError::Full(entry)) => {
                tracing::error!(
                    capacity = QUEUE_LOG_CAPACITY,
                    record = ?entry,
                    "queue log full: record NOT written"
                );
            }
            Err(TrySendError::Closed(entry)) => {
                tracing::error!(record = ?entry, "queue log writer stopped: record NOT written");
            }
        }
    }
}

/// Starts the writer on the current Tokio runtime: the sink that feeds it, and the handle
/// that finishes once every sink is dropped and every queued record is written.
///
/// # Panics
///
/// When called outside a Tokio runtime.
pub fn spawn_queue_log(store: Store) -> (QueueLogSink, JoinHandle<()>) {
    let (sender, queue) = mpsc::channel(QUEUE_LOG_CAPACITY);
    let handle = tokio::spawn(run(store, queue));
    (QueueLogSink { sender }, handle)
}

async fn run(store: Store, mut queue: mpsc::Receiver<QueueLogEntry>) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while queue.recv_many(&mut batch, MAX_BATCH).await > 0 {
        if let Err(err) = with_retries(|| store.write_queue_log(&batch)).await {
            for entry in &batch {
                tracing::error!(error = %err, record = ?entry, "queue log record NOT written");
            }
        }
        batch.clear();
    }
    tracing::debug!("queue log writer: every sink dropped, queue written");
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::at;
    use sb_acd::{
        AgentOccupancy, AgentRecord, AgentState, Outcome, QueueEvent, QueueEventKind, ReportedQueue,
    };
    use std::time::Duration;

    fn answered(secs: i64, waited: u64) -> QueueLogEntry {
        QueueLogEntry::Queue(QueueEvent {
            at: at(secs),
            queue: "sales".into(),
            call: format!("call-{secs}"),
            kind: QueueEventKind::Ended {
                outcome: Outcome::Connected {
                    agent: "101".into(),
                },
                waited: Duration::from_secs(waited),
            },
        })
    }

    fn agent(
        secs: i64,
        agent: &str,
        state: AgentState,
        staffed: bool,
        busy: bool,
    ) -> QueueLogEntry {
        QueueLogEntry::Agent {
            record: AgentRecord {
                at: at(secs),
                agent: agent.into(),
                occupancy: AgentOccupancy { staffed, busy },
            },
            state,
        }
    }

    #[tokio::test]
    async fn what_the_sink_takes_is_in_the_report_after_the_writer_ends() {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = Store::open(dir.path()).await.expect("store");
        let (sink, writer) = spawn_queue_log(store.clone());
        sink.submit(QueueLogEntry::Start {
            at: at(0),
            agents: vec![(
                "101".into(),
                AgentState::Available,
                AgentOccupancy {
                    staffed: true,
                    busy: false,
                },
            )],
        });
        sink.submit(answered(10, 5));
        sink.submit(agent(10, "101", AgentState::OnCall, true, true));
        sink.submit(answered(20, 30));
        sink.submit(agent(30, "101", AgentState::Available, true, false));
        sink.submit(answered(70, 1));
        drop(sink);
        writer.await.expect("writer ends");

        let queues = [ReportedQueue {
            name: "sales".into(),
            service_level: Duration::from_secs(20),
        }];
        let reports = store
            .queue_report(&queues, at(0), at(80), chrono::TimeDelta::seconds(40))
            .await
            .expect("report");
        assert_eq!(reports.len(), 2);
        let first = &reports[0].queues[0].counters;
        assert_eq!((first.answered, first.answered_in_threshold), (2, 1));
        assert_eq!(reports[0].occupancy, Some(0.5), "busy 10..30 of 0..40");
        let second = &reports[1].queues[0].counters;
        assert_eq!(second.answered, 1);
        assert_eq!(reports[1].occupancy, Some(0.0));
    }

    #[tokio::test]
    async fn a_new_run_ends_what_the_last_one_left_staffed() {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = Store::open(dir.path()).await.expect("store");
        store
            .write_queue_log(&[
                agent(0, "101", AgentState::OnCall, true, true),
                agent(0, "102", AgentState::Available, true, false),
                agent(0, "103", AgentState::LoggedOut, false, false),
            ])
            .await
            .expect("first run");
        store
            .write_queue_log(&[QueueLogEntry::Start {
                at: at(100),
                agents: vec![(
                    "102".into(),
                    AgentState::Unreachable,
                    AgentOccupancy::default(),
                )],
            }])
            .await
            .expect("second run");
        let log = store.queue_log(at(100), at(200)).await.expect("log");
        let standing: Vec<(&str, bool)> = log
            .agents
            .iter()
            .filter(|r| r.at == at(100))
            .map(|r| (r.agent.as_str(), r.occupancy.staffed || r.occupancy.busy))
            .collect();
        assert_eq!(standing.len(), 2, "{standing:?}");
        assert!(standing.contains(&("101", false)), "gone from the config");
        assert!(standing.contains(&("102", false)), "as the new run says");
        let report = store
            .queue_report(&[], at(100), at(200), chrono::TimeDelta::seconds(100))
            .await
            .expect("report");
        assert_eq!(
            report[0].occupancy, None,
            "nobody staffed after the restart"
        );
    }
}
