//! Callers: joining, keys, leaving, and the one place every caller's time ends
//! ([`Acd::finish`]), which is what guarantees exactly one outcome per caller.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use super::{after, elapsed, Acd};
use crate::action::{Action, LeaveReason, Outcome, QueueEventKind, Refusal, RingFailure};
use crate::caller::{Caller, CallerState, CallerTimer, CALLER_TIMERS};
use crate::timers::TimerKey;

/// A caller at the door: what [`Event::CallerJoined`](crate::Event::CallerJoined) says.
pub(super) struct Joining {
    pub call: String,
    pub queue: String,
    pub priority: i32,
    pub number: String,
    pub exit_keys: BTreeMap<char, String>,
}

impl Acd {
    pub(super) fn join(&mut self, joining: Joining, now: DateTime<Utc>, out: &mut Vec<Action>) {
        let Joining {
            call,
            queue,
            priority,
            number,
            exit_keys,
        } = joining;
        if self.by_call.contains_key(&call) || self.connected.contains_key(&call) {
            return out.push(Action::Refused {
                subject: call,
                reason: Refusal::DuplicateCall,
            });
        }
        let Some(&q) = self.queue_index.get(&queue) else {
            out.push(Action::Leave {
                call,
                reason: LeaveReason::NoSuchQueue,
            });
            return;
        };
        let config = &self.queues[q].config;
        let turned_away = if self.queues[q].is_empty_by(config.join_empty) {
            Some(LeaveReason::JoinEmpty)
        } else if config
            .max_len
            .is_some_and(|max| self.queues[q].line.len() >= max as usize)
        {
            Some(LeaveReason::Full)
        } else {
            None
        };
        if let Some(reason) = turned_away {
            let kind = QueueEventKind::Ended {
                outcome: Outcome::Left(reason.clone()),
                waited: Default::default(),
            };
            self.record(q, &call, kind, now, out);
            out.push(Action::Leave { call, reason });
            return;
        }

        let seq = self.next_seq;
        self.next_seq += 1;
        let mut caller = Caller {
            call: call.clone(),
            queue: q,
            priority,
            number,
            exit_keys,
            joined: now,
            seq,
            position_at_join: 0,
            live: true,
            state: CallerState::Waiting,
            max_penalty: config.max_penalty,
            escalation_step: 0,
            periodic_next: 0,
            callbacks: 0,
            deadlines: [None; CALLER_TIMERS],
        };
        // Steps due at once (`after = 0`) apply before the first offer.
        while let Some(step) = config.escalation.get(caller.escalation_step) {
            if step.after > 0 {
                break;
            }
            caller.max_penalty = Some(step.max_penalty);
            caller.escalation_step += 1;
        }
        let timers = [
            (CallerTimer::MaxWait, config.max_wait.map(|s| after(now, s))),
            (CallerTimer::Announce, every(now, config.announce_frequency)),
            (CallerTimer::Periodic, every(now, config.periodic_frequency)),
            (
                CallerTimer::Escalate,
                config
                    .escalation
                    .get(caller.escalation_step)
                    .map(|step| after(now, step.after)),
            ),
        ];
        let key = caller.key();
        let queue = &mut self.queues[q];
        queue.line.insert(key);
        queue.eligible.insert(key);
        queue.by_join.insert(seq);
        let position = queue.position(&key);
        caller.position_at_join = position;
        self.callers.insert(seq, caller);
        self.by_call.insert(call.clone(), seq);
        for (timer, at) in timers {
            self.set_timer(seq, timer, at);
        }
        self.pending_callers.push(seq);
        self.record(
            q,
            &call,
            QueueEventKind::Joined { priority, position },
            now,
            out,
        );
    }

    /// The caller hung up. A call already put through ends instead.
    pub(super) fn caller_left(&mut self, call: &str, now: DateTime<Utc>, out: &mut Vec<Action>) {
        if self.connected.contains_key(call) {
            return self.call_ended(call, now, out);
        }
        let Some(&seq) = self.by_call.get(call) else {
            return;
        };
        if let CallerState::CallingBack { .. } = self.callers[&seq].state {
            return self.callback_failed(call, now, out);
        }
        self.finish(seq, Outcome::Abandoned, now, out);
    }

    /// A key pressed while waiting: one of the caller's exit keys leaves to its step; the
    /// queue's callback key keeps the place and lets the call go, but only for a caller
    /// with a number (there is nobody to call back otherwise). Other keys mean nothing here.
    pub(super) fn key(
        &mut self,
        call: &str,
        digit: char,
        now: DateTime<Utc>,
        out: &mut Vec<Action>,
    ) {
        let Some(&seq) = self.by_call.get(call) else {
            return;
        };
        let caller = &self.callers[&seq];
        if !caller.live {
            return;
        }
        let config = &self.queues[caller.queue].config;
        if let Some(step) = caller.exit_keys.get(&digit) {
            let reason = LeaveReason::ExitKey {
                digit,
                step: step.clone(),
            };
            self.finish(seq, Outcome::Left(reason), now, out);
        } else if config.callback_key == Some(digit) && !caller.number.is_empty() {
            // The place is kept; only the call goes. Nothing more is played to it.
            let queue = caller.queue;
            if let Some(caller) = self.callers.get_mut(&seq) {
                caller.live = false;
            }
            self.set_timer(seq, CallerTimer::Announce, None);
            self.set_timer(seq, CallerTimer::Periodic, None);
            self.set_timer(seq, CallerTimer::MaxWait, None);
            self.record(queue, call, QueueEventKind::CallbackRequested, now, out);
            out.push(Action::Leave {
                call: call.to_owned(),
                reason: LeaveReason::Callback,
            });
        }
    }

    /// Ends caller `seq`'s time in the queue with `outcome`: stops any ringing, removes
    /// the caller from every index and timer, tells the shell (`Leave` for a call still
    /// up) and records the outcome. Every ending goes through here.
    pub(super) fn finish(
        &mut self,
        seq: u64,
        outcome: Outcome,
        now: DateTime<Utc>,
        out: &mut Vec<Action>,
    ) {
        let Some(caller) = self.callers.get(&seq) else {
            return;
        };
        if let CallerState::Ringing { agents } = &caller.state {
            let agents = agents.clone();
            self.withdraw_offers(seq, &agents, RingFailure::Cancelled, true, now, out);
        }
        for timer in CallerTimer::ALL {
            self.set_timer(seq, timer, None);
        }
        let Some(caller) = self.callers.remove(&seq) else {
            return;
        };
        self.by_call.remove(&caller.call);
        let queue = &mut self.queues[caller.queue];
        let key = caller.key();
        queue.line.remove(&key);
        queue.eligible.remove(&key);
        queue.by_join.remove(&seq);
        if queue.retired && queue.line.len() == 0 {
            self.closing.push(caller.queue);
        }
        let waited = elapsed(caller.joined, now);
        if let Outcome::Connected { .. } = outcome {
            queue.estimator.record(waited, caller.position_at_join);
        }
        if let (true, Outcome::Left(reason)) = (caller.live, &outcome) {
            out.push(Action::Leave {
                call: caller.call.clone(),
                reason: reason.clone(),
            });
        }
        let kind = QueueEventKind::Ended { outcome, waited };
        self.record(caller.queue, &caller.call, kind, now, out);
    }

    /// Sets (or clears, with `None`) one of a caller's timers.
    pub(super) fn set_timer(&mut self, seq: u64, timer: CallerTimer, at: Option<DateTime<Utc>>) {
        let Some(caller) = self.callers.get_mut(&seq) else {
            return;
        };
        let slot = &mut caller.deadlines[timer as usize];
        self.timers.replace(TimerKey::Caller(seq, timer), *slot, at);
        *slot = at;
    }

    /// The caller may be offered again.
    pub(super) fn make_eligible(&mut self, seq: u64) {
        let Some(caller) = self.callers.get_mut(&seq) else {
            return;
        };
        caller.state = CallerState::Waiting;
        let key = caller.key();
        self.queues[caller.queue].eligible.insert(key);
        self.pending_callers.push(seq);
    }

    /// Rests the caller `pause` seconds before being offered again.
    pub(super) fn rest(&mut self, seq: u64, pause: u32, now: DateTime<Utc>) {
        self.set_timer(seq, CallerTimer::RingOut, None);
        self.set_timer(seq, CallerTimer::Step, None);
        if pause == 0 {
            return self.make_eligible(seq);
        }
        if let Some(caller) = self.callers.get_mut(&seq) {
            caller.state = CallerState::Retry;
        }
        self.set_timer(seq, CallerTimer::Retry, Some(after(now, pause)));
    }
}

impl CallerTimer {
    const ALL: [CallerTimer; CALLER_TIMERS] = [
        CallerTimer::RingOut,
        CallerTimer::Step,
        CallerTimer::Retry,
        CallerTimer::MaxWait,
        CallerTimer::Announce,
        CallerTimer::Periodic,
        CallerTimer::Escalate,
    ];
}

/// The next of a periodic timer, `0` being off.
pub(super) fn every(now: DateTime<Utc>, secs: u32) -> Option<DateTime<Utc>> {
    (secs > 0).then(|| after(now, secs))
}
