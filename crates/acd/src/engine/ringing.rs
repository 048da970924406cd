//! Offers and their ends: ringing agents, answers, failures, calls back, and the end of a
//! call that was put through (wrap-up).

use chrono::{DateTime, Utc};

use super::{after, elapsed, Acd, Connected};
use crate::action::{Action, Outcome, QueueEventKind, RingFailure, Whisper};
use crate::agent::AgentIdx;
use crate::caller::{CallerState, CallerTimer};
use crate::config::Strategy;
use crate::timers::TimerKey;

impl Acd {
    /// Rings `agents` for caller `seq` (a first offer, or one more agent of a progressive
    /// attempt), and restarts the attempt's ring-out.
    pub(super) fn ring(
        &mut self,
        seq: u64,
        agents: Vec<(u64, AgentIdx)>,
        now: DateTime<Utc>,
        out: &mut Vec<Action>,
    ) {
        let Some(caller) = self.callers.get_mut(&seq) else {
            return;
        };
        let (q, call, number) = (caller.queue, caller.call.clone(), caller.number.clone());
        let queue = &mut self.queues[q];
        queue.eligible.remove(&caller.key());
        match &mut caller.state {
            CallerState::Ringing { agents: ringing } => {
                ringing.extend(agents.iter().map(|&(_, idx)| idx))
            }
            state => {
                *state = CallerState::Ringing {
                    agents: agents.iter().map(|&(_, idx)| idx).collect(),
                }
            }
        }
        let config = &queue.config;
        if config.strategy == Strategy::RoundRobin {
            queue.rr_last = agents.last().map(|&(order, _)| order);
        }
        let ring_out = after(now, config.ring_timeout);
        let step = (config.strategy == Strategy::RingProgressive)
            .then(|| after(now, config.progressive_step));
        self.set_timer(seq, CallerTimer::RingOut, Some(ring_out));
        self.set_timer(seq, CallerTimer::Step, step);
        let mut ids = Vec::with_capacity(agents.len());
        for &(_, idx) in &agents {
            self.agents[idx as usize].ringing = Some(seq);
            self.refresh_agent(idx, Some(now), out);
            let id = self.agents[idx as usize].id.clone();
            let kind = QueueEventKind::Offered { agent: id.clone() };
            self.record(q, &call, kind, now, out);
            ids.push(id);
        }
        out.push(Action::RingAgents {
            call,
            agents: ids,
            caller: number,
        });
    }

    /// Ends the offers of caller `seq` to `agents` without an answer (agents no longer
    /// ringing for it are skipped); `cancel` asks the shell to stop the phones (not needed
    /// when a phone itself gave up). The attempt fails when no agent is left ringing,
    /// unless the offers were cancelled because the caller is served or gone.
    pub(super) fn withdraw_offers(
        &mut self,
        seq: u64,
        agents: &[AgentIdx],
        why: RingFailure,
        cancel: bool,
        now: DateTime<Utc>,
        out: &mut Vec<Action>,
    ) {
        let Some(caller) = self.callers.get_mut(&seq) else {
            return;
        };
        let mut stopped = Vec::with_capacity(agents.len());
        for &idx in agents {
            let agent = &mut self.agents[idx as usize];
            if agent.ringing == Some(seq) {
                agent.ringing = None;
                stopped.push(idx);
            }
        }
        if let CallerState::Ringing { agents: ringing } = &mut caller.state {
            ringing.retain(|a| !stopped.contains(a));
        }
        let attempt_over =
            matches!(&caller.state, CallerState::Ringing { agents } if agents.is_empty());
        let (q, call) = (caller.queue, caller.call.clone());
        if stopped.is_empty() {
            return;
        }
        if cancel {
            out.push(Action::CancelRinging {
                call: call.clone(),
                agents: stopped
                    .iter()
                    .map(|&idx| self.agents[idx as usize].id.clone())
                    .collect(),
            });
        }
        let unanswered = matches!(
            why,
            RingFailure::NoAnswer | RingFailure::Timeout | RingFailure::Rejected
        );
        for idx in stopped {
            if unanswered {
                self.count_unanswered(idx, q);
            }
            let agent = self.agents[idx as usize].id.clone();
            self.record(
                q,
                &call,
                QueueEventKind::OfferFailed { agent, why },
                now,
                out,
            );
            self.refresh_agent(idx, Some(now), out);
        }
        if attempt_over && why != RingFailure::Cancelled {
            let pause = self.queues[q].config.retry;
            self.rest(seq, pause, now);
        }
    }

    /// The attempt rang out: every agent still ringing is stopped.
    pub(super) fn ring_out(&mut self, seq: u64, now: DateTime<Utc>, out: &mut Vec<Action>) {
        let Some(CallerState::Ringing { agents }) = self.callers.get(&seq).map(|c| &c.state) else {
            return;
        };
        let agents = agents.clone();
        self.withdraw_offers(seq, &agents, RingFailure::Timeout, true, now, out);
    }

    /// `ring_progressive`: one more agent, if one is available.
    pub(super) fn step(&mut self, seq: u64, now: DateTime<Utc>, out: &mut Vec<Action>) {
        let Some(caller) = self.callers.get(&seq) else {
            return;
        };
        if !matches!(caller.state, CallerState::Ringing { .. }) {
            return;
        }
        let queue = &self.queues[caller.queue];
        let next = queue
            .first_level(caller.max_penalty)
            .and_then(|(_, level)| level.first().copied());
        match next {
            Some(entry) => self.ring(seq, vec![entry], now, out),
            None => {
                let at = after(now, queue.config.progressive_step);
                self.set_timer(seq, CallerTimer::Step, Some(at));
            }
        }
    }

    pub(super) fn ring_failed(
        &mut self,
        call: &str,
        agent: &str,
        why: RingFailure,
        now: DateTime<Utc>,
        out: &mut Vec<Action>,
    ) {
        if let Some((seq, idx)) = self.offer(call, agent) {
            self.withdraw_offers(seq, &[idx], why, false, now, out);
        }
    }

    /// The caller and agent of a live offer of `call` to `agent`.
    fn offer(&self, call: &str, agent: &str) -> Option<(u64, AgentIdx)> {
        let seq = *self.by_call.get(call)?;
        let idx = *self.agent_index.get(agent)?;
        (self.agents[idx as usize].ringing == Some(seq)).then_some((seq, idx))
    }

    pub(super) fn answered(
        &mut self,
        call: &str,
        agent: &str,
        now: DateTime<Utc>,
        out: &mut Vec<Action>,
    ) {
        let Some((seq, idx)) = self.offer(call, agent) else {
            return;
        };
        let caller = self.callers.get_mut(&seq).expect("offered callers exist");
        let others: Vec<AgentIdx> = match &mut caller.state {
            CallerState::Ringing { agents } => {
                agents.retain(|&a| a != idx);
                std::mem::take(agents)
            }
            _ => Vec::new(),
        };
        caller.state = CallerState::CallingBack { agent: idx };
        let (q, live, waited) = (caller.queue, caller.live, elapsed(caller.joined, now));
        self.withdraw_offers(seq, &others, RingFailure::Cancelled, true, now, out);
        self.set_timer(seq, CallerTimer::RingOut, None);
        self.set_timer(seq, CallerTimer::Step, None);
        let agent_state = &mut self.agents[idx as usize];
        agent_state.ringing = None;
        agent_state.unanswered = 0;
        agent_state.calls += 1;
        let id = agent_state.id.clone();
        self.refresh_agent(idx, Some(now), out);
        if live {
            out.push(Action::Connect {
                call: call.to_owned(),
                agent: id.clone(),
                whisper: Whisper {
                    queue: self.queues[q].config.name.clone(),
                    waited_secs: waited.as_secs(),
                },
            });
            self.put_through(seq, idx, now, out);
        } else {
            // A callback: the agent waits on the line while the caller is called.
            let caller = self.callers.get_mut(&seq).expect("offered callers exist");
            caller.callbacks += 1;
            let (attempt, number) = (caller.callbacks, caller.number.clone());
            let kind = QueueEventKind::CallbackStarted {
                agent: id.clone(),
                attempt,
            };
            self.record(q, call, kind, now, out);
            out.push(Action::StartCallback {
                call: call.to_owned(),
                agent: id,
                number,
                attempt,
            });
        }
    }

    /// The caller and agent talk: the caller's time in the queue ends, the call's begins.
    fn put_through(&mut self, seq: u64, idx: AgentIdx, now: DateTime<Utc>, out: &mut Vec<Action>) {
        let caller = &self.callers[&seq];
        let connected = Connected {
            agent: idx,
            queue: caller.queue,
            answered: now,
        };
        self.connected.insert(caller.call.clone(), connected);
        // Not ringing any more, so `finish` has nothing to cancel.
        if let Some(caller) = self.callers.get_mut(&seq) {
            caller.state = CallerState::Retry;
        }
        let agent = self.agents[idx as usize].id.clone();
        self.finish(seq, Outcome::Connected { agent }, now, out);
    }

    pub(super) fn callback_answered(
        &mut self,
        call: &str,
        now: DateTime<Utc>,
        out: &mut Vec<Action>,
    ) {
        let Some(&seq) = self.by_call.get(call) else {
            return;
        };
        if let CallerState::CallingBack { agent } = self.callers[&seq].state {
            self.put_through(seq, agent, now, out);
        }
    }

    /// The call back did not reach the caller: the agent is free again (no wrap-up:
    /// nobody talked), the caller keeps the place and is tried again after
    /// `callback_pause`, until `callback_attempts` calls back failed.
    pub(super) fn callback_failed(
        &mut self,
        call: &str,
        now: DateTime<Utc>,
        out: &mut Vec<Action>,
    ) {
        let Some(&seq) = self.by_call.get(call) else {
            return;
        };
        let caller = &self.callers[&seq];
        let CallerState::CallingBack { agent } = caller.state else {
            return;
        };
        let config = &self.queues[caller.queue].config;
        let (exhausted, pause) = (
            caller.callbacks >= config.callback_attempts,
            config.callback_pause,
        );
        let agent_state = &mut self.agents[agent as usize];
        agent_state.calls = agent_state.calls.saturating_sub(1);
        self.refresh_agent(agent, Some(now), out);
        if exhausted {
            if let Some(caller) = self.callers.get_mut(&seq) {
                caller.state = CallerState::Retry;
            }
            self.finish(seq, Outcome::CallbackFailed, now, out);
        } else {
            self.rest(seq, pause, now);
        }
    }

    /// A call ends: talk time counts, the agent wraps up. An end of a call still in the
    /// queue is the caller hanging up.
    pub(super) fn call_ended(&mut self, call: &str, now: DateTime<Utc>, out: &mut Vec<Action>) {
        let Some(connected) = self.connected.remove(call) else {
            if self.by_call.contains_key(call) {
                self.caller_left(call, now, out);
            }
            return;
        };
        let Connected {
            agent: idx,
            queue: q,
            answered,
        } = connected;
        let talk = elapsed(answered, now);
        let agent = &mut self.agents[idx as usize];
        agent.calls = agent.calls.saturating_sub(1);
        agent.last_call_end = Some(now);
        if let Some(m) = agent.membership_mut(q) {
            m.calls += 1;
            m.talk += talk;
        }
        let wrapup = agent
            .wrapup_override
            .unwrap_or(self.queues[q].config.wrapup);
        if wrapup > 0 {
            let until = after(now, wrapup);
            let old = agent.wrapup_until.replace(until);
            self.timers.replace(TimerKey::WrapUp(idx), old, Some(until));
        }
        let kind = QueueEventKind::Completed {
            agent: agent.id.clone(),
            talk,
            wrapup: std::time::Duration::from_secs(u64::from(wrapup)),
        };
        self.record(q, call, kind, now, out);
        self.refresh_agent(idx, Some(now), out);
    }
}
