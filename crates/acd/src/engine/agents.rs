//! Agents' presence: login, logout, pause, registration; and keeping every queue's index
//! of available agents equal to what the agents' states say.

use std::time::Duration;

use chrono::{DateTime, Utc};

use super::Acd;
use crate::action::{Action, AgentOccupancy, LeaveReason, Outcome, Refusal, RingFailure};
use crate::agent::{AgentIdx, Membership};
use crate::caller::CallerState;

/// The reason shown for a pause the engine made after unanswered offers.
pub const AUTO_PAUSE_REASON: &str = "auto-pause";

impl Acd {
    /// Brings the queues' indexes and counters in line with agent `idx`'s state, announces
    /// a changed state, and marks the agent for an offer when it became available.
    /// `now` is `None` only while the engine is built.
    pub(super) fn refresh_agent(
        &mut self,
        idx: AgentIdx,
        now: Option<DateTime<Utc>>,
        out: &mut Vec<Action>,
    ) {
        let agent = &mut self.agents[idx as usize];
        let readiness = agent.readiness();
        let (plain, in_use) = (agent.offerable(false), agent.offerable(true));
        let mut became_available = false;
        let mut less_ready = Vec::new();
        for m in &mut agent.memberships {
            let queue = &mut self.queues[m.queue];
            let want = if queue.config.ringinuse {
                in_use
            } else {
                plain
            };
            let entry = (m.order, idx);
            if want != m.indexed {
                if want {
                    queue.add_available(m.penalty, entry);
                    became_available = true;
                } else {
                    queue.remove_available(m.penalty, entry);
                }
                m.indexed = want;
            }
            if m.counted != Some(readiness) {
                if let Some(old) = m.counted {
                    queue.count(old, -1);
                    if readiness < old {
                        less_ready.push(m.queue);
                    }
                }
                queue.count(readiness, 1);
                m.counted = Some(readiness);
            }
        }
        if became_available {
            self.pending_agents.push(idx);
        }
        let state = agent.state();
        let occupancy = (agent.is_staffed(), agent.is_busy());
        if state != agent.shown || occupancy != agent.occupancy {
            agent.shown = state.clone();
            // Without `now` the engine is being built: nothing is announced then, and
            // `agent_standings` tells where the agents start.
            if let Some(at) = now {
                out.push(Action::AgentState {
                    at,
                    agent: agent.id.clone(),
                    state,
                    occupancy: AgentOccupancy {
                        staffed: occupancy.0,
                        busy: occupancy.1,
                    },
                });
            }
        }
        self.occupancy.change(now, agent.occupancy, occupancy);
        agent.occupancy = occupancy;
        if let Some(now) = now {
            for queue in less_ready {
                self.leave_if_empty(queue, now, out);
            }
        }
    }

    /// Sends the waiting callers of `queue` away when `leave_when_empty` says it is empty.
    /// A caller being called back keeps the agent already on the line.
    pub(super) fn leave_if_empty(
        &mut self,
        queue: usize,
        now: DateTime<Utc>,
        out: &mut Vec<Action>,
    ) {
        let q = &self.queues[queue];
        if !q.is_empty_by(q.config.leave_when_empty) {
            return;
        }
        let leaving: Vec<u64> = q
            .line
            .iter()
            .map(|&(_, seq)| seq)
            .filter(|seq| !matches!(self.callers[seq].state, CallerState::CallingBack { .. }))
            .collect();
        for seq in leaving {
            self.finish(seq, Outcome::Left(LeaveReason::LeaveEmpty), now, out);
        }
    }

    pub(super) fn login(
        &mut self,
        agent: &str,
        queue: &str,
        penalty: u32,
        weight: u32,
        now: DateTime<Utc>,
        out: &mut Vec<Action>,
    ) {
        let Some(&q) = self.queue_index.get(queue) else {
            return refuse(agent, Refusal::NoSuchQueue(queue.to_owned()), out);
        };
        let idx = self.agent_idx_or_create(agent);
        if self.agents[idx as usize].membership(q).is_some() {
            // Logged in already: a new penalty and weight take effect, the place in order
            // stays.
            self.unindex(idx, q);
            if let Some(m) = self.agents[idx as usize].membership_mut(q) {
                m.penalty = penalty;
                m.weight = weight;
            }
        } else {
            self.add_membership(idx, q, penalty, weight, false);
        }
        self.refresh_agent(idx, Some(now), out);
    }

    /// Makes agent `idx` a member of `queue`, last in member order; refreshing the agent
    /// is left to the caller.
    pub(super) fn add_membership(
        &mut self,
        idx: AgentIdx,
        queue: usize,
        penalty: u32,
        weight: u32,
        is_static: bool,
    ) {
        let q = &mut self.queues[queue];
        let order = q.next_order;
        q.next_order += 1;
        q.members.insert(idx);
        self.agents[idx as usize].memberships.push(Membership {
            queue,
            penalty,
            weight,
            order,
            is_static,
            calls: 0,
            talk: Duration::ZERO,
            indexed: false,
            counted: None,
        });
    }

    pub(super) fn logout(
        &mut self,
        agent: &str,
        queue: Option<&str>,
        now: DateTime<Utc>,
        out: &mut Vec<Action>,
    ) {
        let Some(&idx) = self.agent_index.get(agent) else {
            return refuse(agent, Refusal::NoSuchAgent(agent.to_owned()), out);
        };
        let memberships = &self.agents[idx as usize].memberships;
        let leaving: Vec<usize> = match queue {
            Some(name) => {
                let Some(&q) = self.queue_index.get(name) else {
                    return refuse(agent, Refusal::NoSuchQueue(name.to_owned()), out);
                };
                match memberships.iter().find(|m| m.queue == q) {
                    None => return refuse(agent, Refusal::NotLoggedIn(name.to_owned()), out),
                    Some(m) if m.is_static => {
                        return refuse(agent, Refusal::StaticMember(name.to_owned()), out)
                    }
                    Some(_) => vec![q],
                }
            }
            None => {
                let dynamic: Vec<usize> = memberships
                    .iter()
                    .filter(|m| !m.is_static)
                    .map(|m| m.queue)
                    .collect();
                if dynamic.is_empty() {
                    let reason = match memberships.first() {
                        Some(m) => Refusal::StaticMember(self.queues[m.queue].config.name.clone()),
                        None => Refusal::NotLoggedIn("any queue".to_owned()),
                    };
                    return refuse(agent, reason, out);
                }
                dynamic
            }
        };
        for q in leaving {
            self.leave_queue(idx, q, now, out);
        }
    }

    /// Agent `idx` is no longer a member of `queue`: an offer of the queue's caller ringing
    /// ends (`gone`), and the queue's callers are sent away if it is empty by its rule.
    pub(super) fn leave_queue(
        &mut self,
        idx: AgentIdx,
        queue: usize,
        now: DateTime<Utc>,
        out: &mut Vec<Action>,
    ) {
        if let Some(seq) = self.agents[idx as usize].ringing {
            if self.callers.get(&seq).is_some_and(|c| c.queue == queue) {
                self.withdraw_offers(seq, &[idx], RingFailure::Gone, true, now, out);
            }
        }
        self.unindex(idx, queue);
        let agent = &mut self.agents[idx as usize];
        if let Some(m) = agent.membership(queue) {
            if let Some(old) = m.counted {
                self.queues[queue].count(old, -1);
            }
        }
        agent.memberships.retain(|m| m.queue != queue);
        self.queues[queue].members.remove(&idx);
        self.refresh_agent(idx, Some(now), out);
        self.leave_if_empty(queue, now, out);
    }

    /// Takes agent `idx` out of `queue`'s index of available agents (to change the key).
    pub(super) fn unindex(&mut self, idx: AgentIdx, queue: usize) {
        if let Some(m) = self.agents[idx as usize].membership_mut(queue) {
            if m.indexed {
                m.indexed = false;
                let entry = (m.order, idx);
                let penalty = m.penalty;
                self.queues[queue].remove_available(penalty, entry);
            }
        }
    }

    /// Pauses with a reason, or unpauses with `None`. An offer ringing goes on: the agent
    /// may still take the call the phone shows.
    pub(super) fn pause(
        &mut self,
        agent: &str,
        reason: Option<String>,
        now: DateTime<Utc>,
        out: &mut Vec<Action>,
    ) {
        let Some(&idx) = self.agent_index.get(agent) else {
            return refuse(agent, Refusal::NoSuchAgent(agent.to_owned()), out);
        };
        let agent = &mut self.agents[idx as usize];
        if reason.is_none() {
            agent.unanswered = 0;
        }
        agent.paused = reason;
        self.refresh_agent(idx, Some(now), out);
    }

    /// A phone registered or went away; events about phones of non-agents are ignored.
    pub(super) fn reachable(
        &mut self,
        agent: &str,
        reachable: bool,
        now: DateTime<Utc>,
        out: &mut Vec<Action>,
    ) {
        let Some(&idx) = self.agent_index.get(agent) else {
            return;
        };
        if let (false, Some(seq)) = (reachable, self.agents[idx as usize].ringing) {
            self.withdraw_offers(seq, &[idx], RingFailure::Gone, true, now, out);
        }
        self.agents[idx as usize].reachable = reachable;
        self.refresh_agent(idx, Some(now), out);
    }

    /// The phone is on a call outside the queues, or no longer; unknown agents ignored.
    pub(super) fn in_use(
        &mut self,
        agent: &str,
        in_use: bool,
        now: DateTime<Utc>,
        out: &mut Vec<Action>,
    ) {
        let Some(&idx) = self.agent_index.get(agent) else {
            return;
        };
        // Ringing for a queue that does not ring agents in use: the offer is off.
        if let (true, Some(seq)) = (in_use, self.agents[idx as usize].ringing) {
            let ringinuse = self
                .callers
                .get(&seq)
                .is_some_and(|c| self.queues[c.queue].config.ringinuse);
            if !ringinuse {
                self.withdraw_offers(seq, &[idx], RingFailure::Busy, true, now, out);
            }
        }
        self.agents[idx as usize].in_use_elsewhere = in_use;
        self.refresh_agent(idx, Some(now), out);
    }

    /// Counts an unanswered offer of `queue`'s call; pauses the agent at its `autopause`.
    pub(super) fn count_unanswered(&mut self, idx: AgentIdx, queue: usize) {
        let limit = self.queues[queue].config.autopause;
        let agent = &mut self.agents[idx as usize];
        agent.unanswered += 1;
        if limit.is_some_and(|n| agent.unanswered >= n) && agent.paused.is_none() {
            agent.paused = Some(AUTO_PAUSE_REASON.to_owned());
            agent.unanswered = 0;
        }
    }
}

fn refuse(subject: &str, reason: Refusal, out: &mut Vec<Action>) {
    out.push(Action::Refused {
        subject: subject.to_owned(),
        reason,
    });
}
