//! Coalescing mailbox changes: at most one notification round per mailbox at a time, and a
//! burst of changes (a caller leaving a message, then the owner deleting three) costs one
//! more round, not one per change.
//!
//! A round reads the counts once and tells every device. A change that arrives while a round
//! runs marks the mailbox "again"; the round then makes one more pass, which reads counts
//! that include the change. So no change is ever lost, and each mailbox has a bounded number
//! of NOTIFYs in flight.

use std::collections::HashSet;

/// How many mailboxes may have a round at once; beyond it a change is dropped with a
/// warning (it can only happen if callers name mailboxes that do not exist).
pub(crate) const MAX_ROUNDS: usize = 4096;

/// What [`Rounds::request`] decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Request {
    /// No round runs for this mailbox: the caller starts one.
    Start,
    /// A round runs and will make another pass.
    Joined,
    /// Too many rounds run; the change is dropped.
    Refused,
}

/// The mailboxes with a round running, and those changed since their round read counts.
#[derive(Debug, Default)]
pub(crate) struct Rounds {
    running: HashSet<String>,
    again: HashSet<String>,
}

impl Rounds {
    /// A mailbox changed.
    pub fn request(&mut self, extension: &str) -> Request {
        if self.running.contains(extension) {
            self.again.insert(extension.to_owned());
            return Request::Joined;
        }
        if self.running.len() >= MAX_ROUNDS {
            return Request::Refused;
        }
        self.running.insert(extension.to_owned());
        Request::Start
    }

    /// The round is about to read the counts: changes so far are covered by this pass.
    pub fn begin_pass(&mut self, extension: &str) {
        self.again.remove(extension);
    }

    /// The pass is done: `true` if the mailbox changed meanwhile and the round must make
    /// another pass; `false` ends the round.
    pub fn finish_pass(&mut self, extension: &str) -> bool {
        if self.again.contains(extension) {
            return true;
        }
        self.running.remove(extension);
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_before_the_counts_are_read_costs_one_pass() {
        let mut rounds = Rounds::default();
        assert_eq!(rounds.request("101"), Request::Start);
        for _ in 0..50 {
            assert_eq!(rounds.request("101"), Request::Joined);
        }
        rounds.begin_pass("101");
        assert!(
            !rounds.finish_pass("101"),
            "one pass covers the whole burst"
        );
        assert_eq!(rounds.request("101"), Request::Start, "the round is over");
    }

    #[test]
    fn a_change_during_a_pass_makes_exactly_one_more() {
        let mut rounds = Rounds::default();
        assert_eq!(rounds.request("101"), Request::Start);
        rounds.begin_pass("101");
        assert_eq!(rounds.request("101"), Request::Joined);
        assert_eq!(rounds.request("101"), Request::Joined);
        assert!(rounds.finish_pass("101"));
        rounds.begin_pass("101");
        assert!(!rounds.finish_pass("101"));
    }

    #[test]
    fn mailboxes_are_independent_and_bounded() {
        let mut rounds = Rounds::default();
        assert_eq!(rounds.request("101"), Request::Start);
        assert_eq!(rounds.request("102"), Request::Start);
        rounds.begin_pass("101");
        assert!(!rounds.finish_pass("101"));
        assert_eq!(rounds.request("102"), Request::Joined);
        for i in 0..MAX_ROUNDS - 1 {
            rounds.request(&format!("box{i}"));
        }
        assert_eq!(rounds.request("one-too-many"), Request::Refused);
        assert_eq!(
            rounds.request("102"),
            Request::Joined,
            "running ones still join"
        );
    }
}
