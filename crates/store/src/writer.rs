//! The background writer: the SIP layer hands finished calls to a [`CallRecordSink`] and goes
//! on; one task writes them to the database, many to a transaction when they queue up.
//!
//! Why a task and not an `insert_call` on the SIP path: a hang-up must never wait on the disk
//! (a slow fsync, a locked database, a full disk being retried), and one writer batching
//! commits keeps up with a burst of hang-ups that one commit per call would not.
//!
//! Shutdown: when every sink is dropped the writer writes what is still queued and its task
//! ends; awaiting its [`JoinHandle`] after dropping the sinks is how SIGTERM flushes records.

use std::future::Future;
use std::time::Duration;

use tokio::runtime::Handle;
use tokio::sync::mpsc::{self, error::TrySendError};
use tokio::task::JoinHandle;

use crate::error::StoreError;
use crate::record::CallRecord;
use crate::store::Store;

/// How many records may wait for the writer before [`CallRecordSink::submit`] overflows:
/// 10,000 calls is minutes of a busy call centre's hang-ups, and a few megabytes of memory.
pub const QUEUE_CAPACITY: usize = 10_000;

/// The most records written in one transaction: big enough to amortise the commit, small
/// enough that a batch does not hold SQLite's write lock against the API for long.
const MAX_BATCH: usize = 500;

/// The pauses before each retry of a write that failed for a reason that may pass
/// (the database busy or locked, the disk full); after the last one the write is given up.
const RETRY_DELAYS: [Duration; 3] = [
    Duration::from_millis(100),
    Duration::from_millis(500),
    Duration::from_secs(2),
];

const WRITER_STOPPED: &str = "the call record writer has stopped";

/// Where the SIP layer drops finished calls. Cheap to clone (one per call task if need be);
/// the writer stops once every clone is dropped and the queue is written.
#[derive(Debug, Clone)]
pub struct CallRecordSink {
    sender: mpsc::Sender<CallRecord>,
    runtime: Handle,
}

impl CallRecordSink {
    /// Queues `record` for writing and returns at once, never waiting, even when the queue is
    /// full.
    ///
    /// On a full queue the record is not dropped: a warning names the call, and a small task
    /// of its own waits for room in the queue. The writer stays the only writer (keeping its
    /// batching and retries), and because that task holds the queue open, a shutdown still
    /// waits for the record. The cost under a sustained overload is memory, one task per
    /// overflowing record, which is the right trade for call accounting.
    ///
    /// If the writer has already stopped (it panicked or was aborted), the record is logged
    /// in full as an error, since it can no longer reach the database.
    pub fn submit(&self, record: CallRecord) {
        match self.sender.try_send(record) {
            Ok(()) => {}
            Err(TrySendError::Full(record)) => {
                tracing::warn!(
                    call_id = %record.id,
                    capacity = QUEUE_CAPACITY,
                    "call record queue is full; the record waits for room in a task of its own"
                );
                let sender = self.sender.clone();
                self.runtime.spawn(async move {
                    if let Err(mpsc::error::SendError(record)) = sender.send(record).await {
                        log_lost(&record, WRITER_STOPPED);
                    }
                });
            }
            Err(TrySendError::Closed(record)) => {
                log_lost(&record, WRITER_STOPPED);
            }
        }
    }
}

/// Starts the writer task on the current Tokio runtime and returns the sink that feeds it and
/// the handle that finishes once every sink is dropped and every queued record is written.
///
/// # Panics
///
/// When called outside a Tokio runtime.
pub fn spawn_writer(store: Store) -> (CallRecordSink, JoinHandle<()>) {
    spawn_writer_with_capacity(store, QUEUE_CAPACITY)
}

fn spawn_writer_with_capacity(store: Store, capacity: usize) -> (CallRecordSink, JoinHandle<()>) {
    let (sender, queue) = mpsc::channel(capacity);
    let runtime = Handle::current();
    let handle = runtime.spawn(run_writer(store, queue));
    (CallRecordSink { sender, runtime }, handle)
}

async fn run_writer(store: Store, mut queue: mpsc::Receiver<CallRecord>) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    // `recv_many` returns 0 only once every sender is gone and the queue is empty.
    while queue.recv_many(&mut batch, MAX_BATCH).await > 0 {
        write_batch(&store, &batch).await;
        batch.clear();
    }
    tracing::debug!("call record writer: every sink dropped, queue written");
}

async fn write_batch(store: &Store, batch: &[CallRecord]) {
    if let [record] = batch {
        write_one(store, record).await;
        return;
    }
    let Err(err) = with_retries(|| store.insert_calls(batch)).await else {
        return;
    };
    if err.is_transient() {
        // The database refused every retry; writing the records one by one would only
        // multiply the wait while the queue grows.
        for record in batch {
            log_lost(record, &err);
        }
    } else {
        // One record the database rejects (a duplicate id) must not take the others down.
        tracing::warn!(
            error = %err,
            count = batch.len(),
            "batch of call records rejected; writing them one by one"
        );
        for record in batch {
            write_one(store, record).await;
        }
    }
}

async fn write_one(store: &Store, record: &CallRecord) {
    if let Err(err) = with_retries(|| store.insert_call(record)).await {
        log_lost(record, &err);
    }
}

/// Runs `write` until it succeeds, fails for good, or the retries in [`RETRY_DELAYS`] are used up.
pub(crate) async fn with_retries<F, Fut>(mut write: F) -> Result<(), StoreError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<(), StoreError>>,
{
    let mut delays = RETRY_DELAYS.iter();
    loop {
        let err = match write().await {
            Ok(()) => return Ok(()),
            Err(err) => err,
        };
        match delays.next() {
            Some(delay) if err.is_transient() => {
                tracing::warn!(error = %err, retry_in = ?delay, "database write failed; retrying");
                tokio::time::sleep(*delay).await;
            }
            _ => return Err(err),
        }
    }
}

/// The last resort for a record the database will not take: the whole record in the log at
/// error level, so an operator can still bill the call.
fn log_lost(record: &CallRecord, cause: impl std::fmt::Display) {
    tracing::error!(
        call_id = %record.id,
        cause = %cause,
        record = ?record,
        "call record NOT written to the database"
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{answered_call, traced_call};

    async fn ids_in(store: &Store) -> Vec<String> {
        let mut ids: Vec<String> = store
            .recent_calls(u32::MAX)
            .await
            .expect("read calls")
            .into_iter()
            .map(|call| call.id)
            .collect();
        ids.sort();
        ids
    }

    fn ids(range: std::ops::Range<usize>) -> Vec<String> {
        let mut ids: Vec<String> = range.map(|n| format!("call-{n:03}")).collect();
        ids.sort();
        ids
    }

    #[tokio::test]
    async fn dropping_every_sink_drains_the_queue_into_the_database() {
        let store = Store::open_in_memory().await.expect("open");
        let (sink, writer) = spawn_writer(store.clone());
        let second_sink = sink.clone();
        for n in 0..120 {
            let which = if n % 2 == 0 { &sink } else { &second_sink };
            which.submit(answered_call(&format!("call-{n:03}"), n as i64));
        }
        drop(sink);
        drop(second_sink);
        writer.await.expect("writer task");
        assert_eq!(ids_in(&store).await, ids(0..120));
    }

    #[tokio::test]
    async fn a_full_queue_loses_no_record() {
        let store = Store::open_in_memory().await.expect("open");
        let (sink, writer) = spawn_writer_with_capacity(store.clone(), 4);
        // The writer cannot run before the first await on this single-threaded runtime,
        // so all but four of these overflow.
        for n in 0..50 {
            sink.submit(answered_call(&format!("call-{n:03}"), n as i64));
        }
        drop(sink);
        writer.await.expect("writer task");
        assert_eq!(ids_in(&store).await, ids(0..50));
    }

    #[tokio::test]
    async fn a_rejected_record_does_not_take_its_batch_down() {
        let store = Store::open_in_memory().await.expect("open");
        let (sink, writer) = spawn_writer(store.clone());
        sink.submit(answered_call("call-000", 0));
        sink.submit(answered_call("call-001", 1));
        sink.submit(answered_call("call-000", 2)); // a duplicate id: rejected for good
        sink.submit(answered_call("call-002", 3));
        drop(sink);
        writer.await.expect("writer task");
        assert_eq!(ids_in(&store).await, ids(0..3));
        let kept = store
            .call("call-000")
            .await
            .expect("read")
            .expect("present");
        assert_eq!(kept, answered_call("call-000", 0));
    }

    #[tokio::test]
    async fn a_record_with_a_trace_reads_back_whole_through_the_writer() {
        let store = Store::open_in_memory().await.expect("open");
        let (sink, writer) = spawn_writer(store.clone());
        // One batch of several (nothing runs the writer before the first await) ...
        for n in 0..5 {
            sink.submit(traced_call(&format!("call-{n:03}"), n));
        }
        drop(sink);
        writer.await.expect("writer task");
        // ... and a record alone, the writer's other path.
        let (sink, writer) = spawn_writer(store.clone());
        sink.submit(traced_call("call-005", 5));
        drop(sink);
        writer.await.expect("writer task");

        for n in 0..6 {
            let id = format!("call-{n:03}");
            assert_eq!(
                store.call(&id).await.expect("read"),
                Some(traced_call(&id, n)),
                "{id}"
            );
        }
    }

    #[tokio::test]
    async fn a_rejected_duplicate_leaves_the_first_trace_alone() {
        let store = Store::open_in_memory().await.expect("open");
        let (sink, writer) = spawn_writer(store.clone());
        sink.submit(traced_call("call-000", 0));
        let mut duplicate = traced_call("call-000", 1);
        duplicate.trace[0].text = "a second decision that must not be stored".to_owned();
        sink.submit(duplicate);
        sink.submit(traced_call("call-001", 2));
        drop(sink);
        writer.await.expect("writer task");
        assert_eq!(
            store.call("call-000").await.expect("read"),
            Some(traced_call("call-000", 0))
        );
        assert_eq!(
            store.call("call-001").await.expect("read"),
            Some(traced_call("call-001", 2))
        );
    }
}
