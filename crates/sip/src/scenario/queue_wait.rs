//! A scenario's `queue` step on a live call: the caller joins the queue service, hears the
//! hold music and the announcements, and the agents the distributor picks are rung, each
//! from a [`Dialer`] of its own so that each answer, refusal or silence is reported for
//! that agent. When the distributor connects one, that agent's leg becomes the call's
//! `dial` and the call goes on as an answered dial (the agent first hears who is calling
//! when the queue has `announce_to_agent`); when the caller leaves the queue, the
//! scenario routes the reason (`timeout`, `unavailable`, or the exit key pressed).
//!
//! A caller who presses the queue's callback key hears where they will be called back,
//! then the PBX hangs up; the place stays in the queue, served by a
//! [`callback`](crate::queue::callback) task that takes over the call's queue channel.

use super::dialer::{CalleeEvent, Dialer, Party};
use super::ScenarioCall;
use crate::call::record::Outcome;
use crate::queue::{callback, AGENT_RING_LIMIT};
use sb_acd::{Action as AcdAction, Event as AcdEvent, LeaveReason};
use sb_flow::scenario::{DialTarget, Event, Outcome as FlowOutcome};
use sb_media::audio::say;
use sb_media::PlayId;
use sb_store::{Disposition, HangupBy};
use std::collections::{BTreeMap, HashMap};
use tokio::sync::mpsc;
use tracing::{debug, info, warn};

/// A caller in a queue, from joining to being connected or leaving.
pub(super) struct QueueWait {
    /// The queue's name.
    pub name: String,
    /// What the distributor asks about this call.
    pub actions: mpsc::UnboundedReceiver<AcdAction>,
    /// The agents ringing for this caller, each with its own leg.
    pub ringing: HashMap<String, Dialer>,
    /// The hold music playing to the caller.
    pub music: Option<PlayId>,
    /// An announcement playing instead of the music.
    pub announcement: Option<PlayId>,
}

/// What the queue side of a call woke up for.
pub(super) enum QueueWake {
    Action(Option<AcdAction>),
    Agent(String, CalleeEvent),
}

impl QueueWait {
    /// The next thing the distributor or a ringing agent did; cancel-safe.
    pub async fn next(&mut self) -> QueueWake {
        let ringing = &mut self.ringing;
        let actions = &mut self.actions;
        tokio::select! {
            action = actions.recv() => QueueWake::Action(action),
            (agent, event) = async {
                // An agent who answered waits for the distributor's word (connect, or
                // cancel when the offer ended meanwhile) unpolled: a hang-up of theirs in
                // between is then reported once they are the call's dial, and a connect
                // never finds their leg gone.
                let futures: Vec<_> = ringing
                    .iter_mut()
                    .filter(|(_, dialer)| dialer.answerer().is_none())
                    .map(|(agent, dialer)| {
                        Box::pin(async move { (agent.clone(), dialer.next().await) })
                    })
                    .collect();
                if futures.is_empty() {
                    return std::future::pending().await;
                }
                futures::future::select_all(futures).await.0
            } => QueueWake::Agent(agent, event),
        }
    }
}

impl ScenarioCall<'_> {
    /// The scenario's `queue` step: answer, join (with the step's exit keys), hold music.
    pub(super) fn join_queue(&mut self, name: &str, exit_keys: BTreeMap<char, String>) {
        self.answer();
        let priority = self
            .flow
            .attributes()
            .get("priority")
            .and_then(|p| p.trim().parse::<i32>().ok())
            .unwrap_or(0);
        info!(queue = %name, priority, "joining the queue");
        // Only a number that can be dialled back may ask for a callback: the queue ignores
        // the callback key of a caller without one ("anonymous", a SIP name).
        let number = self.caller.number();
        let number = if is_dialable(number) { number } else { "" };
        let actions = self
            .shared
            .queues
            .join(&self.info.id, name, priority, number, exit_keys);
        self.queue = Some(QueueWait {
            name: name.to_owned(),
            actions,
            ringing: HashMap::new(),
            music: None,
            announcement: None,
        });
        self.start_music();
    }

    fn start_music(&mut self) {
        let music = self.shared.voice.hold_music();
        if let Some(queue) = &mut self.queue {
            queue.music = music.map(|class| self.endpoint.moh(class));
        }
    }

    fn queue_event(&self, event: AcdEvent) {
        self.shared.queues.event(event);
    }

    pub(super) async fn queue_wake(&mut self, wake: QueueWake) {
        match wake {
            QueueWake::Action(Some(action)) => self.queue_action(action).await,
            QueueWake::Action(None) => {
                warn!("the queue service is gone: leaving the queue");
                self.leave_queue(Event::HookOutcome(FlowOutcome::Failed))
                    .await;
            }
            QueueWake::Agent(agent, event) => self.agent_event(agent, event).await,
        }
    }

    async fn queue_action(&mut self, action: AcdAction) {
        let call = self.info.id.clone();
        match action {
            AcdAction::RingAgents { agents, .. } => {
                for agent in agents {
                    self.ring_agent(&call, agent);
                }
            }
            AcdAction::CancelRinging { agents, .. } => {
                for agent in agents {
                    let dialer = self.queue.as_mut().and_then(|q| q.ringing.remove(&agent));
                    if let Some(dialer) = dialer {
                        debug!(%agent, "agent's ringing cancelled");
                        dialer.end().await;
                    }
                }
            }
            AcdAction::Connect { agent, whisper, .. } => self.connect_agent(agent, whisper).await,
            AcdAction::PlayPosition {
                position,
                estimated_wait,
                ..
            } => {
                let language = self.language();
                let mut words = say::queue_position(language, position as u32);
                if let Some(wait) = estimated_wait {
                    let minutes = wait.as_secs().div_ceil(60) as u32;
                    words.extend(say::estimated_wait(language, minutes));
                }
                info!(position, ?estimated_wait, "position announced");
                let words: Vec<String> = words.into_iter().map(str::to_owned).collect();
                self.announce(&words);
            }
            AcdAction::PlayPeriodic { message, .. } => self.announce(&[message]),
            AcdAction::Leave {
                reason: LeaveReason::Callback,
                ..
            } => self.callback_requested().await,
            AcdAction::Leave { reason, .. } => {
                info!(%reason, "left the queue");
                let event = match reason {
                    LeaveReason::Timeout => Event::HookOutcome(FlowOutcome::Timeout),
                    LeaveReason::ExitKey { digit, .. } => Event::QueueExitKey(digit),
                    LeaveReason::Full
                    | LeaveReason::JoinEmpty
                    | LeaveReason::LeaveEmpty
                    | LeaveReason::NoSuchQueue
                    | LeaveReason::Callback => Event::HookOutcome(FlowOutcome::Unavailable),
                };
                self.leave_queue(event).await;
            }
            AcdAction::QueueEvent(event) => {
                info!(queue = %event.queue, kind = ?event.kind, "queue event");
            }
            AcdAction::StartCallback { .. }
            | AcdAction::AgentState { .. }
            | AcdAction::Refused { .. } => {}
        }
    }

    fn ring_agent(&mut self, call: &str, agent: String) {
        let Some(queue) = &self.queue else {
            return;
        };
        if queue.ringing.contains_key(&agent) {
            return;
        }
        let target = [DialTarget::Extension(agent.clone())];
        match Dialer::start(
            &self.shared,
            &self.plan,
            &self.caller,
            &target,
            AGENT_RING_LIMIT,
        ) {
            Ok(dialer) => {
                info!(%agent, "ringing agent");
                if let Some(queue) = &mut self.queue {
                    queue.ringing.insert(agent, dialer);
                }
            }
            Err(outcome) => {
                info!(%agent, %outcome, "agent cannot be rung");
                let call = call.to_owned();
                self.queue_event(match outcome {
                    FlowOutcome::Busy => AcdEvent::AgentBusy { call, agent },
                    FlowOutcome::Unavailable => AcdEvent::AgentUnreachable { agent },
                    _ => AcdEvent::AgentNoAnswer { call, agent },
                });
            }
        }
    }

    async fn agent_event(&mut self, agent: String, event: CalleeEvent) {
        let call = self.info.id.clone();
        match event {
            CalleeEvent::Answered => {
                info!(%agent, "agent answered");
                self.queue_event(AcdEvent::AgentAnswered { call, agent });
            }
            CalleeEvent::Failed(outcome) => {
                if let Some(dialer) = self.queue.as_mut().and_then(|q| q.ringing.remove(&agent)) {
                    dialer.end().await;
                }
                info!(%agent, %outcome, "agent did not answer");
                self.queue_event(match outcome {
                    FlowOutcome::Busy => AcdEvent::AgentBusy { call, agent },
                    _ => AcdEvent::AgentNoAnswer { call, agent },
                });
            }
            CalleeEvent::HungUp => {
                if let Some(dialer) = self.queue.as_mut().and_then(|q| q.ringing.remove(&agent)) {
                    dialer.end().await;
                }
                self.queue_event(AcdEvent::AgentNoAnswer { call, agent });
            }
            CalleeEvent::Ringing
            | CalleeEvent::EarlyMedia
            | CalleeEvent::Hold(_)
            | CalleeEvent::PlayFinished(_)
            | CalleeEvent::Handled => {}
        }
    }

    /// The distributor put the call through to `agent`: the others ringing are let go,
    /// the agent's leg becomes the call's `dial`, and the legs are joined, at once or,
    /// when the queue announces calls to its agents, once the agent has heard `whisper`
    /// ([`agent_whisper`](super::agent_whisper)).
    async fn connect_agent(&mut self, agent: String, whisper: sb_acd::Whisper) {
        let Some(mut queue) = self.queue.take() else {
            return;
        };
        let Some(dialer) = queue.ringing.remove(&agent) else {
            // The distributor put the call through to a leg that is gone: it must hear
            // that this call ended, or the agent stays busy and the caller waits forever.
            warn!(%agent, "connect to an agent not ringing: the caller leaves the queue");
            self.queue = Some(queue);
            self.queue_event(AcdEvent::CallEnded {
                call: self.info.id.clone(),
            });
            self.leave_queue(Event::HookOutcome(FlowOutcome::Failed))
                .await;
            return;
        };
        for (_, other) in queue.ringing.drain() {
            other.end().await;
        }
        info!(queue = %queue.name, %agent, waited_secs = whisper.waited_secs, "queue call connected");
        if let Some(agent @ Party::Extension(_)) = dialer.answerer() {
            self.info.callee = agent.call_party(&self.plan.config);
        }
        self.dial = Some(dialer);
        self.connected = true;
        self.queue_connected = true;
        self.events
            .push_back(Event::HookOutcome(FlowOutcome::Answered));
        let caller_hears = queue.music.is_some() || queue.announcement.is_some();
        if !self.whisper_to_agent(&whisper) {
            if caller_hears {
                self.endpoint.stop();
            }
            self.join_agent();
        } else if queue.announcement.is_some() {
            // The caller is put through in a moment: the music again rather than the rest
            // of a position announcement.
            if let Some(class) = self.shared.voice.hold_music() {
                self.endpoint.moh(class);
            }
        }
    }

    /// The caller and the agent talk: the legs are joined and, when calls are recorded,
    /// the conversation is.
    pub(super) fn join_agent(&mut self) {
        self.connect_media();
        self.record_call();
    }

    /// Plays an announcement over the music; the music comes back after it.
    fn announce(&mut self, prompts: &[String]) {
        let language = self.language();
        let clips = self.shared.voice.clips(language, prompts);
        let Some(queue) = &mut self.queue else {
            return;
        };
        if clips.is_empty() {
            return;
        }
        queue.music = None;
        queue.announcement = Some(self.endpoint.play(clips));
    }

    /// An announcement ended: the music again. `true` when `id` was one.
    pub(super) fn queue_played(&mut self, id: PlayId) -> bool {
        let Some(queue) = &mut self.queue else {
            return false;
        };
        if queue.announcement != Some(id) {
            return false;
        }
        queue.announcement = None;
        self.start_music();
        true
    }

    /// The caller pressed a key while waiting.
    pub(super) fn queue_digit(&mut self, digit: char) -> bool {
        if self.queue.is_none() {
            return false;
        }
        self.queue_event(AcdEvent::CallerPressedKey {
            call: self.info.id.clone(),
            digit,
        });
        true
    }

    /// The caller leaves the queue without an agent; the scenario goes on with `event`.
    async fn leave_queue(&mut self, event: Event) {
        let Some(mut queue) = self.queue.take() else {
            return;
        };
        for (_, dialer) in queue.ringing.drain() {
            dialer.end().await;
        }
        if queue.music.is_some() || queue.announcement.is_some() {
            self.endpoint.stop();
        }
        self.events.push_back(event);
    }

    /// The caller pressed the callback key and keeps the place: a callback task takes the
    /// queue's channel and any agents ringing over, the scenario notes the request, and
    /// the caller hears the number they will be called back at ("... at the number 7 9 1
    /// 6 ..."), after which [`callback_confirmed`](Self::callback_confirmed) hangs up.
    async fn callback_requested(&mut self) {
        let Some(queue) = self.queue.take() else {
            return;
        };
        if queue.music.is_some() || queue.announcement.is_some() {
            self.endpoint.stop();
        }
        let number = self.caller.number().to_owned();
        info!(queue = %queue.name, %number, "callback requested; the place is kept");
        // The caller hangs up without having talked to anyone: the call leaves a task for
        // the queue, open until someone talks with the number.
        self.info.missed = Some(sb_voicemail::tasks::MissedKind::CallbackRequested {
            queue: queue.name.clone(),
        });
        let dialled = self
            .flow
            .attributes()
            .get("dialled")
            .cloned()
            .unwrap_or_default();
        callback::spawn(
            self.shared.clone(),
            callback::Request {
                call: self.info.id.clone(),
                queue: queue.name,
                caller: self.caller.clone(),
                dialled,
                actions: queue.actions,
                ringing: queue.ringing,
            },
        );
        self.events.push_back(Event::QueueCallback {
            number: number.clone(),
        });
        let language = self.language();
        let mut words = vec!["queue-callback-at"];
        words.extend(
            number
                .chars()
                .filter_map(|c| c.to_digit(10))
                .flat_map(|digit| say::say_number(language, digit)),
        );
        words.push("queue-callback-kept");
        let clips = self.shared.voice.clips(language, words);
        // Played even when empty, so its end (at once) hangs up like any other.
        self.callback_confirmation = Some(self.endpoint.play(clips));
    }

    /// A playback ended: when it was the callback confirmation, the PBX hangs up.
    pub(super) async fn callback_confirmed(&mut self, id: PlayId) -> Option<Outcome> {
        if self.callback_confirmation != Some(id) {
            return None;
        }
        self.callback_confirmation = None;
        crate::call::hangup::bye_after_ack(&self.dialog).await;
        Some(Outcome::new(
            Disposition::Answered,
            HangupBy::System,
            200,
            "queue: callback requested",
        ))
    }

    /// The call ends: the distributor hears that the caller left or the talk ended, and a
    /// caller still waiting is marked as having abandoned the queue.
    pub(super) async fn end_queue(&mut self) {
        let call = self.info.id.clone();
        if let Some(mut queue) = self.queue.take() {
            // Still waiting when the call ends: the caller gave up (or the PBX stopped),
            // which leaves a callback task for the queue.
            self.info.missed = Some(sb_voicemail::tasks::MissedKind::QueueAbandoned {
                queue: queue.name.clone(),
                position: None,
            });
            for (_, dialer) in queue.ringing.drain() {
                dialer.end().await;
            }
            self.queue_event(AcdEvent::CallerLeft { call });
        } else if self.queue_connected {
            self.queue_event(AcdEvent::CallEnded { call });
        }
    }
}

/// A number the PBX can call: digits, optionally after `+`, 2 to 15 of them (an extension
/// or an E.164 number).
fn is_dialable(number: &str) -> bool {
    let digits = number.strip_prefix('+').unwrap_or(number);
    (2..=15).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::is_dialable;

    #[test]
    fn only_numbers_can_be_called_back() {
        for number in ["101", "79161234567", "+79161234567"] {
            assert!(is_dialable(number), "{number}");
        }
        for number in ["", "anonymous", "+", "7", "7916-123", "1234567890123456"] {
            assert!(!is_dialable(number), "{number}");
        }
    }
}
