//! Timers firing: each at its own deadline, settled before the next, so the outcome of a
//! late tick is the outcome of a punctual one.

use chrono::{DateTime, Utc};

use super::callers::every as periodic;
use super::{after, Acd};
use crate::action::{Action, LeaveReason, Outcome};
use crate::caller::{CallerState, CallerTimer};
use crate::timers::TimerKey;

impl Acd {
    pub(super) fn fire_due(&mut self, now: DateTime<Utc>, out: &mut Vec<Action>) {
        while let Some((at, key)) = self.timers.pop_due(now) {
            match key {
                TimerKey::WrapUp(idx) => {
                    self.agents[idx as usize].wrapup_until = None;
                    self.refresh_agent(idx, Some(at), out);
                }
                TimerKey::Caller(seq, timer) => {
                    // The set held it; the caller's own copy goes too.
                    if let Some(caller) = self.callers.get_mut(&seq) {
                        caller.deadlines[timer as usize] = None;
                    }
                    self.fire_caller(seq, timer, at, out);
                }
            }
            self.settle(at, out);
        }
    }

    fn fire_caller(
        &mut self,
        seq: u64,
        timer: CallerTimer,
        at: DateTime<Utc>,
        out: &mut Vec<Action>,
    ) {
        let Some(caller) = self.callers.get_mut(&seq) else {
            return;
        };
        let config = &self.queues[caller.queue].config;
        match timer {
            CallerTimer::RingOut => self.ring_out(seq, at, out),
            CallerTimer::Step => self.step(seq, at, out),
            CallerTimer::Retry => {
                if caller.state == CallerState::Retry {
                    self.make_eligible(seq);
                }
            }
            CallerTimer::MaxWait => self.finish(seq, Outcome::Left(LeaveReason::Timeout), at, out),
            CallerTimer::Announce => {
                let next = periodic(at, config.announce_frequency);
                let queue = &self.queues[caller.queue];
                let position = queue.position(&caller.key());
                out.push(Action::PlayPosition {
                    call: caller.call.clone(),
                    position,
                    estimated_wait: queue.estimator.estimate(position),
                });
                self.set_timer(seq, timer, next);
            }
            CallerTimer::Periodic => {
                let messages = &config.periodic_messages;
                if let Some(message) = messages.get(caller.periodic_next % messages.len().max(1)) {
                    out.push(Action::PlayPeriodic {
                        call: caller.call.clone(),
                        message: message.clone(),
                    });
                }
                caller.periodic_next = (caller.periodic_next + 1) % messages.len().max(1);
                let next = periodic(at, config.periodic_frequency);
                self.set_timer(seq, timer, next);
            }
            CallerTimer::Escalate => {
                if let Some(step) = config.escalation.get(caller.escalation_step) {
                    caller.max_penalty = Some(step.max_penalty);
                    caller.escalation_step += 1;
                }
                let next = config
                    .escalation
                    .get(caller.escalation_step)
                    .map(|step| after(caller.joined, step.after));
                // A caller waiting may now reach an agent it could not before.
                if caller.state == CallerState::Waiting {
                    self.pending_callers.push(seq);
                }
                self.set_timer(seq, timer, next);
            }
        }
    }
}
