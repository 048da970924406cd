//! What must hold between any two events, checked by the tests after every event.
//!
//! The indexes (lines, eligible callers, levels of available agents, timers) duplicate
//! what the callers and agents say, for speed; this is where the duplicates are proven
//! equal, and where "settled" (no eligible caller reaches an available agent) is checked.

use super::Acd;
use crate::caller::CallerState;

impl Acd {
    /// Every internal invariant, or the first that fails. For tests: it looks at every
    /// caller and agent.
    #[doc(hidden)]
    pub fn check_invariants(&self) -> Result<(), String> {
        let in_lines: usize = self.queues.iter().map(|q| q.line.len()).sum();
        if in_lines != self.callers.len() || self.by_call.len() != self.callers.len() {
            return Err(format!(
                "{} callers, {} in lines, {} by call",
                self.callers.len(),
                in_lines,
                self.by_call.len()
            ));
        }
        let mut timers = 0;
        for (seq, caller) in &self.callers {
            let queue = &self.queues[caller.queue];
            if self.by_call.get(&caller.call) != Some(seq) || !queue.line.contains(&caller.key()) {
                return Err(format!("caller {} is not indexed", caller.call));
            }
            let waiting = caller.state == CallerState::Waiting;
            if queue.eligible.contains(&caller.key()) != waiting {
                return Err(format!(
                    "caller {} eligible: {:?}",
                    caller.call, caller.state
                ));
            }
            if waiting && queue.first_level(caller.max_penalty).is_some() {
                return Err(format!("caller {} waits with an agent free", caller.call));
            }
            if let CallerState::Ringing { agents } = &caller.state {
                if agents.is_empty() {
                    return Err(format!("caller {} rings nobody", caller.call));
                }
                for &idx in agents {
                    if self.agents[idx as usize].ringing != Some(*seq) {
                        return Err(format!("caller {} rings a stray agent", caller.call));
                    }
                }
            }
            timers += caller.deadlines.iter().flatten().count();
        }
        for (idx, agent) in self.agents.iter().enumerate() {
            if let Some(seq) = agent.ringing {
                let caller = self.callers.get(&seq).ok_or("ringing for nobody")?;
                let rings = matches!(&caller.state, CallerState::Ringing { agents } if agents.contains(&(idx as u32)));
                if !rings {
                    return Err(format!("agent {} ringing for {}", agent.id, caller.call));
                }
                if (agent.calls > 0 || agent.in_use_elsewhere)
                    && !self.queues[caller.queue].config.ringinuse
                {
                    return Err(format!(
                        "agent {} on a call rings for {}",
                        agent.id, caller.call
                    ));
                }
            }
            for m in &agent.memberships {
                let queue = &self.queues[m.queue];
                let want = agent.offerable(queue.config.ringinuse);
                let indexed = queue
                    .levels
                    .get(&m.penalty)
                    .is_some_and(|level| level.contains(&(m.order, idx as u32)));
                if want != m.indexed || indexed != want {
                    return Err(format!("agent {} index in {}", agent.id, queue.config.name));
                }
            }
            if agent.wrapup_until.is_some() {
                timers += 1;
            }
        }
        self.check_queues()?;
        let levels: usize = self
            .queues
            .iter()
            .flat_map(|q| q.levels.values())
            .map(|level| level.len())
            .sum();
        let indexed = self
            .agents
            .iter()
            .flat_map(|a| &a.memberships)
            .filter(|m| m.indexed)
            .count();
        if levels != indexed {
            return Err(format!("{levels} in levels, {indexed} indexed"));
        }
        if timers != self.timers.len() {
            return Err(format!("{timers} deadlines, {} timers", self.timers.len()));
        }
        Ok(())
    }

    /// The names in force, members and readiness counters agree with the queues and the
    /// agents' memberships; retired queues keep members only while callers remain.
    fn check_queues(&self) -> Result<(), String> {
        let live = self.queues.iter().filter(|q| !q.retired).count();
        if live != self.queue_index.len() {
            return Err(format!(
                "{live} live queues, {} names",
                self.queue_index.len()
            ));
        }
        for (name, &q) in &self.queue_index {
            let queue = &self.queues[q];
            if queue.retired || queue.config.name != *name {
                return Err(format!("{name} names queue {}", queue.config.name));
            }
        }
        let mut counts = vec![[0u32; 3]; self.queues.len()];
        let mut members = 0;
        for (idx, agent) in self.agents.iter().enumerate() {
            for m in &agent.memberships {
                let queue = &self.queues[m.queue];
                if !queue.members.contains(&(idx as u32)) {
                    return Err(format!(
                        "{} not a member of {}",
                        agent.id, queue.config.name
                    ));
                }
                if m.counted != Some(agent.readiness()) {
                    return Err(format!("{} counted {:?}", agent.id, m.counted));
                }
                counts[m.queue][agent.readiness() as usize] += 1;
                members += 1;
            }
        }
        if members != self.queues.iter().map(|q| q.members.len()).sum::<usize>() {
            return Err("members without a membership".to_owned());
        }
        for (queue, counted) in self.queues.iter().zip(counts) {
            if queue.readiness != counted {
                return Err(format!(
                    "{} readiness {:?}",
                    queue.config.name, queue.readiness
                ));
            }
            if queue.retired && queue.line.len() == 0 && !queue.members.is_empty() {
                return Err(format!("retired {} keeps members", queue.config.name));
            }
        }
        Ok(())
    }
}
