//! One queue at run time: the line of callers and the index of available agents.
//!
//! Both are kept sorted as they change, so a decision never scans the whole line or the
//! whole team: the next caller is the first of `eligible`, the agents to offer are the
//! first non-empty penalty level of `levels`, each level ordered by member order (which
//! is what `linear`, `round_robin` and `ring_progressive` need).

use std::collections::{BTreeMap, BTreeSet};

use crate::agent::{AgentIdx, Readiness};
use crate::caller::LineKey;
use crate::config::{EmptyRule, QueueConfig};
use crate::line::Line;
use crate::stats::{IntervalCounters, WaitEstimator};

/// An available agent in a level: member order first, so levels iterate in that order.
pub(crate) type LevelEntry = (u64, AgentIdx);

#[derive(Debug, Clone)]
pub(crate) struct Queue {
    pub config: QueueConfig,
    /// Everyone waiting, in order: position is the rank here.
    pub line: Line,
    /// Those of `line` who may be offered now (not ringing, not resting).
    pub eligible: BTreeSet<LineKey>,
    /// Sequence numbers of `line`: the first joined first, for the longest wait.
    pub by_join: BTreeSet<u64>,
    /// Available agents by penalty.
    pub levels: BTreeMap<u32, BTreeSet<LevelEntry>>,
    /// Logged-in members.
    pub members: BTreeSet<AgentIdx>,
    /// Logged-in members by readiness (`Readiness as usize`).
    pub readiness: [u32; 3],
    /// The member order of the agent offered the last call, for `round_robin`.
    pub rr_last: Option<u64>,
    /// The next member order to give a login.
    pub next_order: u64,
    /// Removed from the configuration: it takes no new callers or logins, serves those
    /// still in its line, and its members leave it once the line is empty.
    pub retired: bool,
    pub estimator: WaitEstimator,
    pub interval: IntervalCounters,
}

impl Queue {
    pub fn new(config: QueueConfig) -> Self {
        Queue {
            config,
            line: Line::default(),
            eligible: BTreeSet::new(),
            by_join: BTreeSet::new(),
            levels: BTreeMap::new(),
            members: BTreeSet::new(),
            readiness: [0; 3],
            rr_last: None,
            next_order: 0,
            retired: false,
            estimator: WaitEstimator::default(),
            interval: IntervalCounters::default(),
        }
    }

    pub fn add_available(&mut self, penalty: u32, entry: LevelEntry) {
        self.levels.entry(penalty).or_default().insert(entry);
    }

    pub fn remove_available(&mut self, penalty: u32, entry: LevelEntry) {
        if let Some(level) = self.levels.get_mut(&penalty) {
            level.remove(&entry);
            if level.is_empty() {
                self.levels.remove(&penalty);
            }
        }
    }

    pub fn count(&mut self, readiness: Readiness, delta: i32) {
        let slot = &mut self.readiness[readiness as usize];
        *slot = slot.saturating_add_signed(delta);
    }

    /// Whether the queue is empty under `rule`.
    pub fn is_empty_by(&self, rule: EmptyRule) -> bool {
        let at_least = |from: Readiness| self.readiness[from as usize..].iter().sum::<u32>() == 0;
        match rule {
            EmptyRule::Never => false,
            EmptyRule::NoMembers => at_least(Readiness::Unreachable),
            EmptyRule::Unreachable => at_least(Readiness::Paused),
            EmptyRule::Paused => at_least(Readiness::Ready),
        }
    }

    /// The place of a caller in the line, from 1.
    pub fn position(&self, key: &LineKey) -> usize {
        self.line.rank(key) + 1
    }

    /// The first level a caller reaching `max_penalty` may be offered to.
    pub fn first_level(&self, max_penalty: Option<u32>) -> Option<(u32, &BTreeSet<LevelEntry>)> {
        let (&penalty, level) = self.levels.first_key_value()?;
        max_penalty
            .is_none_or(|max| penalty <= max)
            .then_some((penalty, level))
    }
}
