//! Settling: matching waiting callers with available agents after every change.
//!
//! Two kinds of work are queued by the changes themselves: agents that became available
//! and callers that became eligible. A freed agent looks at the first eligible caller of
//! each of its queues who reaches its penalty, and takes the heaviest queue's, the
//! longest-waiting on a tie; that caller is then offered by the queue's own rules (first
//! level, strategy), which may pick a better-placed agent of the queue; the freed agent is
//! looked at again if so. A newly eligible caller is offered to the first level of its
//! queue it reaches. Both are cheap: the callers ahead are known to reach no available
//! agent, so nothing else needs looking at.
//!
//! Settling also closes the retired queues whose last caller left: their members leave
//! them first, before any offer.

use std::cmp::Reverse;

use chrono::{DateTime, Utc};

use super::Acd;
use crate::action::Action;
use crate::agent::AgentIdx;
use crate::caller::CallerState;
use crate::strategy::{choose, MemberFacts};

/// How a freed agent ranks the heads of its queues: heavier queue, then longer wait (the
/// sequence number breaks ties between callers who joined at the same instant).
type Rank = (u32, Reverse<DateTime<Utc>>, Reverse<u64>);

impl Acd {
    pub(super) fn settle(&mut self, now: DateTime<Utc>, out: &mut Vec<Action>) {
        loop {
            if !self.closing.is_empty() {
                self.close_retired(now, out);
                continue;
            }
            if !self.pending_agents.is_empty() {
                let agents = std::mem::take(&mut self.pending_agents);
                for idx in agents {
                    self.offer_agent(idx, now, out);
                }
                continue;
            }
            if self.pending_callers.is_empty() {
                return;
            }
            let mut callers = std::mem::take(&mut self.pending_callers);
            // Heaviest queue first, then the line's own order.
            callers.sort_by_key(|seq| {
                self.callers.get(seq).map(|c| {
                    let weight = self.queues[c.queue].config.weight;
                    (Reverse(weight), c.key())
                })
            });
            callers.dedup();
            for seq in callers {
                self.offer_caller(seq, now, out);
            }
        }
    }

    /// Finds the caller an available agent should take, across the agent's queues.
    fn offer_agent(&mut self, idx: AgentIdx, now: DateTime<Utc>, out: &mut Vec<Action>) {
        let agent = &self.agents[idx as usize];
        let mut best: Option<(Rank, u64)> = None;
        for m in agent.memberships.iter().filter(|m| m.indexed) {
            let queue = &self.queues[m.queue];
            let head = queue
                .eligible
                .iter()
                .map(|&(_, seq)| &self.callers[&seq])
                .find(|c| c.reaches(m.penalty));
            if let Some(caller) = head {
                let rank = (
                    queue.config.weight,
                    Reverse(caller.joined),
                    Reverse(caller.seq),
                );
                if best.as_ref().is_none_or(|(b, _)| rank > *b) {
                    best = Some((rank, caller.seq));
                }
            }
        }
        let Some((_, seq)) = best else {
            return;
        };
        let rang = self.offer_caller(seq, now, out);
        let agent = &self.agents[idx as usize];
        if rang && agent.memberships.iter().any(|m| m.indexed) {
            self.pending_agents.push(idx);
        }
    }

    /// Offers an eligible caller to the first penalty level of its queue it reaches;
    /// whether any agent rings.
    fn offer_caller(&mut self, seq: u64, now: DateTime<Utc>, out: &mut Vec<Action>) -> bool {
        let Some(caller) = self.callers.get(&seq) else {
            return false;
        };
        if caller.state != CallerState::Waiting {
            return false;
        }
        let q = caller.queue;
        let queue = &self.queues[q];
        let Some((_, level)) = queue.first_level(caller.max_penalty) else {
            return false;
        };
        let agents = &self.agents;
        let chosen = choose(
            queue.config.strategy,
            level,
            queue.rr_last,
            &mut self.rng,
            |(_, idx)| {
                let agent = &agents[idx as usize];
                let m = agent.membership(q);
                MemberFacts {
                    last_call_end: agent.last_call_end,
                    calls: m.map_or(0, |m| m.calls),
                    talk: m.map_or_else(Default::default, |m| m.talk),
                    weight: m.map_or(1, |m| m.weight),
                }
            },
        );
        if chosen.is_empty() {
            return false;
        }
        self.ring(seq, chosen, now, out);
        true
    }
}
