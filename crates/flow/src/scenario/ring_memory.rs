//! Who answered each round-robin ring group last: the one piece of state calls share.
//!
//! Everything else a call flow decides comes from its own events and `now`. A round-robin
//! group is different by definition: where this call starts depends on who answered the
//! previous call of the group. That memory lives here, behind a lock, in the [`Flows`]
//! every call already shares; the engine reads it when a group step is entered and writes
//! it when a member answers, and nothing else. It is deliberately small (one member per
//! group) and holds no clock, so the engine stays testable with fixed instants: a test
//! sets or reads it like any other input.
//!
//! [`Flows`]: super::Flows

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};

/// The member who answered each round-robin group last, keyed `scenario/step`.
///
/// Cloning shares the memory (it is an `Arc`): the shell takes it from the old
/// [`Flows`](super::Flows) with [`Flows::ring_memory`](super::Flows::ring_memory) and hands
/// it to the new one with [`Flows::with_ring_memory`](super::Flows::with_ring_memory), so a
/// configuration reload does not send the next call back to the first member.
#[derive(Debug, Clone, Default)]
pub struct RingMemory {
    last: Arc<Mutex<BTreeMap<String, String>>>,
}

impl RingMemory {
    /// An empty memory: every group starts at its first member.
    pub fn new() -> Self {
        Self::default()
    }

    /// The member who answered group `key` (`scenario/step`) last, if any.
    pub fn last_answered(&self, key: &str) -> Option<String> {
        self.lock().get(key).cloned()
    }

    /// Remembers that `member` answered group `key`.
    pub fn record_answer(&self, key: &str, member: &str) {
        self.lock().insert(key.to_owned(), member.to_owned());
    }

    /// Forgets every group, as after a restart.
    pub fn clear(&self) {
        self.lock().clear();
    }

    fn lock(&self) -> MutexGuard<'_, BTreeMap<String, String>> {
        // A thread that panicked while holding the lock left a complete map behind (every
        // write is one insert), so the map is still good to use.
        self.last
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}
