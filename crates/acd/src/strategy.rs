//! The strategies: which of the available agents of one penalty level get the offer.
//!
//! Penalties are decided before a strategy is asked (the engine passes the first level the
//! caller reaches), so each strategy here is only its own definition over one level,
//! ordered by member order. Ties go to the earlier member, so every choice is a function
//! of the state and the seeded generator.

use std::collections::BTreeSet;
use std::time::Duration;

use chrono::{DateTime, Utc};
use rand_chacha::ChaCha8Rng;
use rand_core::RngCore;

use crate::config::Strategy;
use crate::queue::LevelEntry;

/// What a strategy may know of a member.
#[derive(Debug, Clone, Copy)]
pub(crate) struct MemberFacts {
    pub last_call_end: Option<DateTime<Utc>>,
    pub calls: u32,
    pub talk: Duration,
    pub weight: u32,
}

/// A uniform draw in `0..n` (multiply and shift: the bias is below 2^-32 for any team).
pub(crate) fn below(rng: &mut ChaCha8Rng, n: u64) -> u64 {
    ((u128::from(rng.next_u64()) * u128::from(n)) >> 64) as u64
}

/// The agents to offer the call to; never empty when `level` is not.
pub(crate) fn choose(
    strategy: Strategy,
    level: &BTreeSet<LevelEntry>,
    rr_last: Option<u64>,
    rng: &mut ChaCha8Rng,
    facts: impl Fn(LevelEntry) -> MemberFacts,
) -> Vec<LevelEntry> {
    let first = level.first().copied();
    let one = |entry: Option<LevelEntry>| entry.into_iter().collect::<Vec<_>>();
    match strategy {
        Strategy::RingAll => level.iter().copied().collect(),
        Strategy::Linear | Strategy::RingProgressive => one(first),
        Strategy::RoundRobin => {
            // The next member after the last one offered, wrapping round.
            let next = rr_last.and_then(|last| level.range((last + 1, 0)..).next().copied());
            one(next.or(first))
        }
        Strategy::LongestIdle => one(min_by_key(level, |e| {
            // Never had a call: idle longest of all.
            facts(e)
                .last_call_end
                .map_or((0, 0), |t| (1, t.timestamp_micros()))
        })),
        Strategy::FewestCalls => one(min_by_key(level, |e| facts(e).calls)),
        Strategy::LeastTalkTime => one(min_by_key(level, |e| facts(e).talk)),
        Strategy::Random => {
            let pick = below(rng, level.len() as u64) as usize;
            one(level.iter().nth(pick).copied())
        }
        Strategy::WeightedRandom => {
            let total: u64 = level.iter().map(|&e| u64::from(facts(e).weight)).sum();
            if total == 0 {
                // Every weight zero: no preference, so uniform.
                let pick = below(rng, level.len() as u64) as usize;
                return one(level.iter().nth(pick).copied());
            }
            let mut draw = below(rng, total);
            for &entry in level {
                let weight = u64::from(facts(entry).weight);
                if draw < weight {
                    return vec![entry];
                }
                draw -= weight;
            }
            one(first)
        }
    }
}

/// The first entry with the least key (ties: the earlier member).
fn min_by_key<K: Ord>(
    level: &BTreeSet<LevelEntry>,
    key: impl Fn(LevelEntry) -> K,
) -> Option<LevelEntry> {
    let mut best: Option<(K, LevelEntry)> = None;
    for &entry in level {
        let k = key(entry);
        if best.as_ref().is_none_or(|(b, _)| k < *b) {
            best = Some((k, entry));
        }
    }
    best.map(|(_, entry)| entry)
}
