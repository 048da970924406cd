//! The queue log's background writer: the distributor's task hands each record to a
//! [`QueueLogSink`] and goes on; one task writes them, many to a transaction.
//!
//! The distributor decides for every call of the PBX, so it must never wait on the disk. The
//! queue is bounded: past [`QUEUE_LOG_CAPACITY`] waiting records (the database stalled, or
//! a load beyond what the disk takes) a record is not written, and an error line says how
//! many, once a second at most. Calls are never affected; their own records go through the
//! call record writer.
//!
//! Shutdown: once every sink is dropped, the writer writes what is queued and its task ends.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::mpsc::{self, error::TrySendError};
use tokio::task::JoinHandle;

use crate::queue_log::QueueLogEntry;
use crate::store::Store;
use crate::writer::with_retries;

/// How many records may wait for the writer: about ten seconds at 1,000 queue calls a
/// second (ten records a call), enough to ride out the database's own stalls (a WAL
/// checkpoint) at the highest rate the PBX sustains here; some 20 MB at worst.
pub const QUEUE_LOG_CAPACITY: usize = 100_000;

/// The most records written in one transaction.
const MAX_BATCH: usize = 1_000;

/// How often, at most, a full queue log is reported: under a sustained overload a line per
/// record would cost more than the records and bury the rest of the log.
const DROP_REPORT_EVERY: Duration = Duration::from_secs(1);

/// Where the distributor drops its records. Cheap to clone.
#[derive(Debug, Clone)]
pub struct QueueLogSink {
    sender: mpsc::Sender<QueueLogEntry>,
    dropped: Arc<Dropped>,
}

/// Records not written since the last report, and when that was.
#[derive(Debug, Default)]
struct Dropped {
    count: AtomicU64,
    reported: Mutex<Option<Instant>>,
}

impl QueueLogSink {
    /// Queues `entry` and returns at once, never waiting: see the module documentation for
    /// a full queue.
    pub fn submit(&self, entry: QueueLogEntry) {
        match self.sender.try_send(entry) {
            Ok(()) => {}
            Err(TrySendError::Full(entry)) => self.dropped(&entry, "queue log full"),
            Err(TrySendError::Closed(entry)) => {
                self.dropped(&entry, "queue log writer stopped");
            }
        }
    }

    /// Counts a record not written; once a second at most, says how many, with this one
    /// as an example.
    fn dropped(&self, entry: &QueueLogEntry, why: &str) {
        let count = self.dropped.count.fetch_add(1, Ordering::Relaxed) + 1;
        let mut reported = self
            .dropped
            .reported
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if reported.is_some_and(|at| at.elapsed() < DROP_REPORT_EVERY) {
            return;
        }
        *reported = Some(Instant::now());
        self.dropped.count.fetch_sub(count, Ordering::Relaxed);
        tracing::error!(
            capacity = QUEUE_LOG_CAPACITY,
            not_written = count,
            example = ?entry,
            "{why}: queue records NOT written (the statistics of this interval will be short)"
        );
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
    let dropped = Arc::new(Dropped::default());
    (QueueLogSink { sender, dropped }, handle)
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
    async fn a_batch_larger_than_one_statement_is_written_whole_and_in_order() {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = Store::open(dir.path()).await.expect("store");
        let entries: Vec<QueueLogEntry> = (0..1_000)
            .flat_map(|i| {
                [
                    answered(i, 1),
                    agent(i, "101", AgentState::OnCall, true, i % 2 == 0),
                ]
            })
            .collect();
        store.write_queue_log(&entries).await.expect("write");
        let log = store.queue_log(at(0), at(1_000)).await.expect("log");
        let calls: Vec<String> = log.events.iter().map(|e| e.call.clone()).collect();
        let expected: Vec<String> = (0..1_000).map(|i| format!("call-{i}")).collect();
        assert_eq!(calls, expected);
        assert_eq!(log.agents.len(), 1_000);
        assert!(log.agents.windows(2).all(|w| w[0].at <= w[1].at));
    }

    #[test]
    fn a_full_queue_is_reported_once_a_second_with_the_count() {
        let (sender, _queue) = mpsc::channel(1);
        let sink = QueueLogSink {
            sender,
            dropped: Arc::default(),
        };
        sink.submit(answered(1, 1));
        sink.submit(answered(2, 1));
        assert_eq!(
            sink.dropped.count.load(Ordering::Relaxed),
            0,
            "the first one is reported at once"
        );
        sink.submit(answered(3, 1));
        sink.submit(answered(4, 1));
        assert_eq!(
            sink.dropped.count.load(Ordering::Relaxed),
            2,
            "counted for the next report"
        );
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
