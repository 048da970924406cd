//! Applying a configuration: at start ([`Acd::new`]) and in place, while calls go on
//! ([`Acd::reconfigure`]), as Asterisk's `queue reload` and FreeSWITCH's `callcenter_config
//! queue reload` do.
//!
//! Both paths share the code that places a queue's static members, so a queue added by a
//! reload starts exactly as it would have at start. What a reload must not lose (callers
//! and their places, the agents' presence, the figures) lives outside the settings, so
//! replacing the settings keeps it.

use std::collections::{BTreeSet, HashMap, HashSet};

use chrono::{DateTime, Utc};

use super::Acd;
use crate::action::{Action, RingFailure};
use crate::agent::AgentIdx;
use crate::config::{AcdConfig, AgentConfig, MemberConfig, QueueConfig};
use crate::queue::Queue;
use crate::validate::{validate, ConfigErrors};

impl Acd {
    /// Replaces the configuration at `now`, keeping everything that is not a setting. On
    /// error (the same checks as [`Acd::new`]) nothing changes.
    ///
    /// Timers due by `now` fire first, under the settings they were armed with. Then:
    ///
    /// - **A queue in both** (same name) keeps its callers (places, join times, priorities,
    ///   callbacks, exit keys), its figures (interval counters, wait estimate, the round
    ///   robin's place) and the members who logged in by themselves; its settings are
    ///   replaced. A setting read when something starts applies from the next start: a
    ///   deadline already armed (a caller's `max_wait`, an attempt's `ring_timeout`, the
    ///   next announcement, escalation step or wrap-up) stays, and the new value applies to
    ///   the next one armed; `max_penalty` applies to new callers. Settings read at each
    ///   decision (strategy, weight, `ringinuse`, `leave_when_empty`) apply at once: an
    ///   agent on a call stops ringing for a queue that no longer rings agents in use, and
    ///   a queue now empty by its `leave_when_empty` sends its callers away with that
    ///   outcome.
    /// - **Static members** follow the new `members`: one added is logged in (the engine
    ///   keeps what it knows of the agent, reachable or not, paused or not; an agent it never
    ///   heard of is assumed reachable, as at start); one no longer listed is logged out of
    ///   that queue, an offer ringing for it ending with
    ///   [`RingFailure::Gone`](crate::RingFailure::Gone); one kept takes its new penalty and
    ///   weight. A member who logged in by itself ([`Event::AgentLogin`]) and is now listed
    ///   becomes static, with the listed penalty. Member order (`linear`, `round_robin`,
    ///   `ring_progressive`) becomes the listed order, then the others in their order; the
    ///   round robin goes on after the last member it offered a call to who is still a
    ///   member.
    /// - **A new queue** is added, its static members logged in as at start.
    /// - **A queue no longer configured** is retired: a join gets
    ///   [`LeaveReason::NoSuchQueue`](crate::LeaveReason::NoSuchQueue) and a login is
    ///   refused as for an unknown queue, and the views no longer show it; but nobody
    ///   waiting is thrown out: its callers stay, with the queue's last settings, and its
    ///   members keep serving them until each is served or leaves. Once its line is empty
    ///   its members leave it. Configured again, it comes back with its callers.
    /// - **`[[agent]]` settings** are replaced; a wrap-up already running keeps its end.
    /// - `seed` is read only by [`Acd::new`]: the generator goes on where it is, as do the
    ///   interval counters and occupancy, so a reload splits no report.
    ///
    /// [`Event::AgentLogin`]: crate::Event::AgentLogin
    pub fn reconfigure(
        &mut self,
        config: AcdConfig,
        now: DateTime<Utc>,
    ) -> Result<Vec<Action>, ConfigErrors> {
        validate(&config)?;
        let mut out = Vec::new();
        self.interval_start.get_or_insert(now);
        self.fire_due(now, &mut out);
        self.set_agent_settings(&config.agents);
        let slots: HashMap<String, usize> = self
            .queues
            .iter()
            .enumerate()
            .map(|(q, queue)| (queue.config.name.clone(), q))
            .collect();
        let mut configured = Vec::with_capacity(config.queues.len());
        for queue in config.queues {
            let q = match slots.get(&queue.name) {
                Some(&q) => {
                    self.update_queue(q, queue, now, &mut out);
                    q
                }
                None => self.add_queue(queue),
            };
            configured.push(q);
        }
        self.queue_index = configured
            .iter()
            .map(|&q| (self.queues[q].config.name.clone(), q))
            .collect();
        let live: HashSet<usize> = configured.iter().copied().collect();
        for q in 0..self.queues.len() {
            if !live.contains(&q) {
                self.retire(q);
            }
        }
        for idx in 0..self.agents.len() as AgentIdx {
            self.recheck_agent(idx, now, &mut out);
        }
        for q in configured {
            self.leave_if_empty(q, now, &mut out);
        }
        self.settle(now, &mut out);
        Ok(out)
    }

    /// `[[agent]]`: every agent named is known from now on, and takes its settings.
    pub(super) fn set_agent_settings(&mut self, agents: &[AgentConfig]) {
        self.wrapup_overrides = agents
            .iter()
            .filter_map(|a| a.wrapup.map(|w| (a.id.clone(), w)))
            .collect();
        for agent in agents {
            self.agent_idx_or_create(&agent.id);
        }
        for agent in &mut self.agents {
            agent.wrapup_override = self.wrapup_overrides.get(&agent.id).copied();
        }
    }

    /// A new queue with its static members; refreshing the agents is left to the caller.
    pub(super) fn add_queue(&mut self, config: QueueConfig) -> usize {
        let q = self.queues.len();
        let members: Vec<MemberConfig> = config.members.iter().map(|m| m.settings()).collect();
        self.queue_index.insert(config.name.clone(), q);
        self.queues.push(Queue::new(config));
        self.set_static_members(q, &members);
        q
    }

    /// New settings for queue `q`: static members no longer listed log out, then the
    /// listed ones are placed.
    fn update_queue(
        &mut self,
        q: usize,
        config: QueueConfig,
        now: DateTime<Utc>,
        out: &mut Vec<Action>,
    ) {
        let members: Vec<MemberConfig> = config.members.iter().map(|m| m.settings()).collect();
        let listed: HashSet<&str> = members.iter().map(|m| m.agent.as_str()).collect();
        let queue = &mut self.queues[q];
        queue.config = config;
        queue.retired = false;
        let dropped: Vec<AgentIdx> = queue
            .members
            .iter()
            .copied()
            .filter(|&idx| {
                let agent = &self.agents[idx as usize];
                agent.membership(q).is_some_and(|m| m.is_static)
                    && !listed.contains(agent.id.as_str())
            })
            .collect();
        for idx in dropped {
            self.leave_queue(idx, q, now, out);
        }
        self.set_static_members(q, &members);
    }

    /// Makes `members` the static members of queue `q`, first in member order and in the
    /// listed order, the other members after them in their order. Every member is taken
    /// out of the index of available agents; refreshing the agents puts them back.
    fn set_static_members(&mut self, q: usize, members: &[MemberConfig]) {
        let mut before: Vec<(u64, AgentIdx)> = self.queues[q]
            .members
            .iter()
            .filter_map(|&idx| {
                let m = self.agents[idx as usize].membership(q)?;
                Some((m.order, idx))
            })
            .collect();
        before.sort_unstable();
        for &(_, idx) in &before {
            self.unindex(idx, q);
        }
        self.queues[q].next_order = 0;
        let mut listed = BTreeSet::new();
        for member in members {
            let idx = self.agent_idx_or_create(&member.agent);
            listed.insert(idx);
            let order = self.queues[q].next_order;
            match self.agents[idx as usize].membership_mut(q) {
                Some(m) => {
                    m.penalty = member.penalty;
                    m.weight = member.weight;
                    m.is_static = true;
                    m.order = order;
                    self.queues[q].next_order += 1;
                }
                None => self.add_membership(idx, q, member.penalty, member.weight, true),
            }
        }
        for &(_, idx) in before.iter().filter(|(_, idx)| !listed.contains(idx)) {
            let order = self.queues[q].next_order;
            self.queues[q].next_order += 1;
            if let Some(m) = self.agents[idx as usize].membership_mut(q) {
                m.order = order;
            }
        }
        // The round robin goes on after the last member it offered a call to, or after the
        // member before that one when it left.
        let last = self.queues[q].rr_last.and_then(|last| {
            let &(_, idx) = before.iter().rev().find(|&&(order, _)| order <= last)?;
            Some(self.agents[idx as usize].membership(q)?.order)
        });
        self.queues[q].rr_last = last;
    }

    /// Takes queue `q` out of the configuration; its members leave it once nobody waits.
    fn retire(&mut self, q: usize) {
        let queue = &mut self.queues[q];
        if !queue.retired {
            queue.retired = true;
            if queue.line.len() == 0 {
                self.closing.push(q);
            }
        }
    }

    /// Members of retired queues whose lines emptied leave them.
    pub(super) fn close_retired(&mut self, now: DateTime<Utc>, out: &mut Vec<Action>) {
        while let Some(q) = self.closing.pop() {
            let queue = &self.queues[q];
            if !queue.retired || queue.line.len() > 0 {
                continue;
            }
            let members: Vec<AgentIdx> = queue.members.iter().copied().collect();
            for idx in members {
                self.leave_queue(idx, q, now, out);
            }
        }
    }

    /// Brings agent `idx` in line with settings that may have changed: an offer it may no
    /// longer have (on a call, for a queue without `ringinuse`) ends as busy, and the
    /// indexes follow `ringinuse` and the memberships.
    fn recheck_agent(&mut self, idx: AgentIdx, now: DateTime<Utc>, out: &mut Vec<Action>) {
        let agent = &self.agents[idx as usize];
        if let Some(seq) = agent.ringing {
            let on_call = agent.calls > 0 || agent.in_use_elsewhere;
            let ringinuse = self
                .callers
                .get(&seq)
                .is_some_and(|c| self.queues[c.queue].config.ringinuse);
            if on_call && !ringinuse {
                self.withdraw_offers(seq, &[idx], RingFailure::Busy, true, now, out);
            }
        }
        self.refresh_agent(idx, Some(now), out);
    }
}
