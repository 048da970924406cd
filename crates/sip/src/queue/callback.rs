//! Calling back a caller who pressed the queue's `callback_key`: the caller has hung up
//! and the distributor keeps the place. When the place comes up, the distributor offers it
//! to agents like any caller ([`Action::RingAgents`]); the agent who answers hears ringback
//! while the caller is called ([`Action::StartCallback`]): an extension directly, an
//! outside number through the trunk. When the caller answers, the two legs are joined;
//! when not (busy, no answer, the agent gave up), the agent is let go and the distributor
//! decides whether to try again after `callback_pause`.
//!
//! One task per callback, from the request to the end of the conversation or the
//! distributor's last word on the caller ([`QueueEventKind::Ended`]). Each leg the PBX
//! places (to the agent, to the caller) gets a call record of its own, with a short trace
//! naming the original call, the queue and the attempt.

use super::AGENT_RING_LIMIT;
use crate::call::record::{finish, ActiveCall, CallInfo, Outcome};
use crate::routing::Caller;
use crate::scenario::dialer::{CalleeEvent, Dialer, Party};
use crate::server::Shared;
use chrono::{DateTime, Utc};
use sb_acd::{Action, Event, QueueEventKind};
use sb_flow::scenario::{DialTarget, Outcome as FlowOutcome};
use sb_media::tones::ToneKind;
use sb_store::{CallParty, Disposition, HangupBy, TraceLine};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;
use tracing::{debug, info, info_span, warn, Instrument};

/// How long the caller's phone may ring on a call back. A carrier usually gives up sooner
/// by itself (480 or 408 after 30-60 s); this only bounds a network that never answers.
const CALLER_RING_LIMIT: Duration = Duration::from_secs(60);

/// The trace step of the callback legs' records.
const TRACE_STEP: &str = "callback";

/// A caller who asked to be called back, handed over by the call that asked.
pub(crate) struct Request {
    /// The original call's id, which names the caller in the distributor.
    pub call: String,
    /// The queue keeping the place.
    pub queue: String,
    /// Who asked: an extension is rung directly, a trunk caller through the trunk.
    pub caller: Caller,
    /// The number the caller dialled: what an outside caller sees calling back.
    pub dialled: String,
    /// The distributor's actions about the caller (the channel the call joined with).
    pub actions: mpsc::UnboundedReceiver<Action>,
    /// Agents already ringing for the caller when the key was pressed: one who answers
    /// now starts the call back at once.
    pub ringing: HashMap<String, Dialer>,
}

/// Starts the task that serves `request` until the caller's time in the queue ends.
pub(crate) fn spawn(shared: Arc<Shared>, request: Request) {
    let span = info_span!("callback", call = %request.call, queue = %request.queue);
    let since = shared.clock.now();
    let ringing = request
        .ringing
        .into_iter()
        .map(|(agent, dialer)| (agent, Ringing { dialer, since }))
        .collect();
    let task = Callback {
        shared,
        call: request.call,
        queue: request.queue,
        caller: request.caller,
        dialled: request.dialled,
        ringing,
        attempt: None,
    };
    tokio::spawn(task.run(request.actions).instrument(span));
}

/// One leg the PBX placed, with what its record needs.
struct Leg {
    dialer: Dialer,
    info: CallInfo,
    _active: ActiveCall,
}

/// One call back: the agent on the line, the caller being called or talking.
struct Attempt {
    number: u32,
    agent: Leg,
    caller: Option<Leg>,
    /// Ringback plays to the agent until the caller answers (or sends early media).
    ringback: bool,
    connected: bool,
    trace: Vec<TraceLine>,
}

/// An agent ringing for the callback, since when.
struct Ringing {
    dialer: Dialer,
    since: DateTime<Utc>,
}

struct Callback {
    shared: Arc<Shared>,
    call: String,
    queue: String,
    caller: Caller,
    dialled: String,
    ringing: HashMap<String, Ringing>,
    attempt: Option<Attempt>,
}

/// What the task woke up for.
enum Wake {
    Action(Option<Action>),
    Ringing(String, CalleeEvent),
    Agent(CalleeEvent),
    Caller(CalleeEvent),
    Shutdown,
}

/// Whether the task goes on.
enum Next {
    Continue,
    Done,
}

/// Who ended a conversation.
#[derive(Clone, Copy)]
enum EndedBy {
    Agent,
    Caller,
    System,
}

impl EndedBy {
    /// As the agent's leg records it: its caller is the queue calling for the caller.
    fn on_agent_leg(self) -> HangupBy {
        match self {
            EndedBy::Agent => HangupBy::Callee,
            EndedBy::Caller => HangupBy::Caller,
            EndedBy::System => HangupBy::System,
        }
    }

    /// As the caller's leg records it: its caller is the agent.
    fn on_caller_leg(self) -> HangupBy {
        match self {
            EndedBy::Agent => HangupBy::Caller,
            EndedBy::Caller => HangupBy::Callee,
            EndedBy::System => HangupBy::System,
        }
    }
}

impl Callback {
    async fn run(mut self, mut actions: mpsc::UnboundedReceiver<Action>) {
        info!(caller = %self.caller.number(), "callback waiting for an agent");
        loop {
            let next = match self.wait(&mut actions).await {
                Wake::Action(Some(action)) => self.action(action).await,
                Wake::Action(None) => {
                    warn!("the queue service is gone: the callback ends");
                    self.abandon("the queue service is gone").await;
                    Next::Done
                }
                Wake::Ringing(agent, event) => {
                    self.ringing_event(agent, event).await;
                    Next::Continue
                }
                Wake::Agent(event) => self.agent_event(event).await,
                Wake::Caller(event) => self.caller_event(event).await,
                Wake::Shutdown => {
                    self.abandon("shutdown").await;
                    Next::Done
                }
            };
            if let Next::Done = next {
                return;
            }
        }
    }

    async fn wait(&mut self, actions: &mut mpsc::UnboundedReceiver<Action>) -> Wake {
        let ringing = &mut self.ringing;
        let (agent, caller) = match &mut self.attempt {
            Some(attempt) => (
                Some(&mut attempt.agent.dialer),
                attempt.caller.as_mut().map(|leg| &mut leg.dialer),
            ),
            None => (None, None),
        };
        tokio::select! {
            action = actions.recv() => Wake::Action(action),
            (agent, event) = async {
                if ringing.is_empty() {
                    return std::future::pending().await;
                }
                let futures = ringing.iter_mut().map(|(agent, ringing)| {
                    Box::pin(async move { (agent.clone(), ringing.dialer.next().await) })
                });
                futures::future::select_all(futures).await.0
            } => Wake::Ringing(agent, event),
            event = async {
                match agent {
                    Some(dialer) => dialer.next().await,
                    None => std::future::pending().await,
                }
            } => Wake::Agent(event),
            event = async {
                match caller {
                    Some(dialer) => dialer.next().await,
                    None => std::future::pending().await,
                }
            } => Wake::Caller(event),
            () = self.shared.hangup_all.cancelled() => Wake::Shutdown,
        }
    }

    fn report(&self, event: Event) {
        self.shared.queues.event(event);
    }

    async fn action(&mut self, action: Action) -> Next {
        match action {
            Action::RingAgents { agents, .. } => {
                for agent in agents {
                    self.ring_agent(agent);
                }
            }
            Action::CancelRinging { agents, .. } => {
                for agent in agents {
                    if let Some(ringing) = self.ringing.remove(&agent) {
                        debug!(%agent, "agent's ringing cancelled");
                        ringing.dialer.end().await;
                    }
                }
            }
            Action::StartCallback {
                agent,
                number,
                attempt,
                ..
            } => self.start_attempt(agent, number, attempt).await,
            Action::QueueEvent(event) => {
                if let QueueEventKind::Ended { outcome, .. } = event.kind {
                    if !matches!(outcome, sb_acd::Outcome::Connected { .. }) {
                        info!(?outcome, "the callback is over without a conversation");
                        self.abandon("the queue gave up the callback").await;
                        return Next::Done;
                    }
                }
            }
            Action::Connect { .. }
            | Action::PlayPosition { .. }
            | Action::PlayPeriodic { .. }
            | Action::Leave { .. }
            | Action::AgentState { .. }
            | Action::Refused { .. } => {}
        }
        Next::Continue
    }

    /// Rings `agent` for the callback; the agent's phone shows the caller's number.
    fn ring_agent(&mut self, agent: String) {
        if self.ringing.contains_key(&agent) {
            return;
        }
        let plan = self.shared.plan();
        let target = [DialTarget::Extension(agent.clone())];
        match Dialer::start(&self.shared, &plan, &self.caller, &target, AGENT_RING_LIMIT) {
            Ok(dialer) => {
                info!(%agent, "ringing agent for the callback");
                let since = self.shared.clock.now();
                self.ringing.insert(agent, Ringing { dialer, since });
            }
            Err(outcome) => {
                info!(%agent, %outcome, "agent cannot be rung");
                let call = self.call.clone();
                self.report(match outcome {
                    FlowOutcome::Busy => Event::AgentBusy { call, agent },
                    FlowOutcome::Unavailable => Event::AgentUnreachable { agent },
                    _ => Event::AgentNoAnswer { call, agent },
                });
            }
        }
    }

    async fn ringing_event(&mut self, agent: String, event: CalleeEvent) {
        let call = self.call.clone();
        match event {
            CalleeEvent::Answered => {
                info!(%agent, "agent answered the callback offer");
                self.report(Event::AgentAnswered { call, agent });
            }
            CalleeEvent::Failed(outcome) => {
                if let Some(ringing) = self.ringing.remove(&agent) {
                    ringing.dialer.end().await;
                }
                info!(%agent, %outcome, "agent did not answer the callback offer");
                self.report(match outcome {
                    FlowOutcome::Busy => Event::AgentBusy { call, agent },
                    _ => Event::AgentNoAnswer { call, agent },
                });
            }
            CalleeEvent::HungUp => {
                if let Some(ringing) = self.ringing.remove(&agent) {
                    ringing.dialer.end().await;
                }
                self.report(Event::AgentNoAnswer { call, agent });
            }
            CalleeEvent::Ringing
            | CalleeEvent::EarlyMedia
            | CalleeEvent::Hold(_)
            | CalleeEvent::PlayFinished(_)
            | CalleeEvent::Handled => {}
        }
    }

    /// The agent answered: ringback to the agent, and the caller is called.
    async fn start_attempt(&mut self, agent: String, number: String, attempt: u32) {
        let Some(ringing) = self.ringing.remove(&agent) else {
            warn!(%agent, "call back with an agent not on the line");
            self.report(Event::CallbackFailed {
                call: self.call.clone(),
            });
            return;
        };
        let now = self.shared.clock.now();
        let plan = self.shared.plan();
        let agent_name = plan.config.extension(&agent).map(|e| e.name.clone());
        let trace = vec![self.line(format!(
            "queue {}: call back {number} for call {}, attempt {attempt}; agent {agent} answered",
            self.queue, self.call
        ))];
        let agent_leg = Leg {
            info: CallInfo {
                id: uuid::Uuid::new_v4().to_string(),
                sip_call_id: ringing.dialer.sip_call_id(),
                caller: CallParty {
                    number: number.clone(),
                    name: None,
                    endpoint: Some(format!("queue:{}", self.queue)),
                },
                callee: CallParty {
                    number: agent.clone(),
                    name: agent_name.clone(),
                    endpoint: Some(format!("extension:{agent}")),
                },
                started_at: ringing.since,
                answered_at: Some(now),
                missed: None,
            },
            dialer: ringing.dialer,
            _active: ActiveCall::enter(&self.shared),
        };
        let tone = self.shared.voice.tone_plan.tone(ToneKind::Ringback);
        agent_leg.dialer.endpoint.play_tone(tone);
        let mut attempt = Attempt {
            number: attempt,
            agent: agent_leg,
            caller: None,
            ringback: true,
            connected: false,
            trace,
        };
        // An outside caller sees the number they called; an extension sees the agent.
        let (from, target) = match &self.caller {
            Caller::Trunk { name, .. } => (
                Caller::Trunk {
                    name: name.clone(),
                    number: self.dialled.clone(),
                },
                DialTarget::Outside(number.clone()),
            ),
            Caller::Extension { .. } => (
                Caller::Extension {
                    number: agent.clone(),
                    name: agent_name.clone().unwrap_or_else(|| agent.clone()),
                },
                DialTarget::Extension(number.clone()),
            ),
        };
        info!(%agent, %number, attempt = attempt.number, "calling the caller back");
        match Dialer::start(&self.shared, &plan, &from, &[target], CALLER_RING_LIMIT) {
            Ok(dialer) => {
                let callee = match &self.caller {
                    Caller::Trunk { name, .. } => CallParty {
                        number: number.clone(),
                        name: None,
                        endpoint: Some(format!("trunk:{name}")),
                    },
                    Caller::Extension { name, .. } => CallParty {
                        number: number.clone(),
                        name: Some(name.clone()),
                        endpoint: Some(format!("extension:{number}")),
                    },
                };
                attempt.caller = Some(Leg {
                    info: CallInfo {
                        id: uuid::Uuid::new_v4().to_string(),
                        sip_call_id: dialer.sip_call_id(),
                        // The agent calls: a conversation between the agent and an outside
                        // number, which closes that number's missed-call task.
                        caller: CallParty {
                            number: agent.clone(),
                            name: agent_name,
                            endpoint: Some(format!("extension:{agent}")),
                        },
                        callee,
                        started_at: now,
                        answered_at: None,
                        missed: None,
                    },
                    dialer,
                    _active: ActiveCall::enter(&self.shared),
                });
                self.attempt = Some(attempt);
            }
            Err(outcome) => {
                self.attempt = Some(attempt);
                self.attempt_failed(outcome).await;
            }
        }
    }

    async fn caller_event(&mut self, event: CalleeEvent) -> Next {
        match event {
            CalleeEvent::EarlyMedia => self.join(),
            CalleeEvent::Answered => {
                self.join();
                let now = self.shared.clock.now();
                let line = self.line("the caller answered: connected".to_owned());
                if let Some(attempt) = &mut self.attempt {
                    attempt.connected = true;
                    attempt.trace.push(line);
                    if let Some(leg) = &mut attempt.caller {
                        leg.info.answered_at = Some(now);
                    }
                }
                info!("the caller answered the call back: connected");
                self.report(Event::CallbackAnswered {
                    call: self.call.clone(),
                });
            }
            CalleeEvent::Failed(outcome) => self.attempt_failed(outcome).await,
            CalleeEvent::HungUp => {
                self.talk_ended(EndedBy::Caller, "the caller hung up").await;
                return Next::Done;
            }
            CalleeEvent::Hold(held) => self.hold(held, false),
            CalleeEvent::Ringing | CalleeEvent::PlayFinished(_) | CalleeEvent::Handled => {}
        }
        Next::Continue
    }

    async fn agent_event(&mut self, event: CalleeEvent) -> Next {
        match event {
            CalleeEvent::HungUp if self.attempt.as_ref().is_some_and(|a| a.connected) => {
                self.talk_ended(EndedBy::Agent, "the agent hung up").await;
                return Next::Done;
            }
            CalleeEvent::HungUp => {
                info!("the agent hung up before the caller answered");
                self.attempt_failed(FlowOutcome::Failed).await;
            }
            CalleeEvent::Hold(held) => self.hold(held, true),
            CalleeEvent::Ringing
            | CalleeEvent::EarlyMedia
            | CalleeEvent::Answered
            | CalleeEvent::Failed(_)
            | CalleeEvent::PlayFinished(_)
            | CalleeEvent::Handled => {}
        }
        Next::Continue
    }

    /// The caller's side can be heard by the agent: the ringback stops, the legs join.
    fn join(&mut self) {
        let Some(attempt) = &mut self.attempt else {
            return;
        };
        let Some(caller) = &attempt.caller else {
            return;
        };
        if std::mem::take(&mut attempt.ringback) {
            attempt.agent.dialer.endpoint.stop();
        }
        attempt.agent.dialer.endpoint.join(&caller.dialer.endpoint);
    }

    /// One side holds the other (`by_agent`: the agent holds the caller): the held side
    /// hears the hold music until taken off hold.
    fn hold(&self, held: bool, by_agent: bool) {
        let Some(attempt) = self.attempt.as_ref().filter(|a| a.connected) else {
            return;
        };
        let Some(caller) = &attempt.caller else {
            return;
        };
        let other = if by_agent {
            &caller.dialer.endpoint
        } else {
            &attempt.agent.dialer.endpoint
        };
        match self.shared.voice.hold_music() {
            Some(class) if held => {
                other.moh(class);
            }
            _ => other.stop(),
        }
    }

    /// The caller was not reached: both legs end and are recorded, and the distributor
    /// frees the agent and decides whether to try again.
    async fn attempt_failed(&mut self, outcome: FlowOutcome) {
        let Some(mut attempt) = self.attempt.take() else {
            return;
        };
        let reason = format!("call back {}: caller {outcome}", attempt.number);
        info!(%outcome, attempt = attempt.number, "the call back did not reach the caller");
        attempt
            .trace
            .push(self.line(format!("the caller: {outcome}")));
        let (disposition, cause) = match outcome {
            FlowOutcome::Busy => (Disposition::Busy, 486),
            FlowOutcome::NoAnswer => (Disposition::NoAnswer, 408),
            FlowOutcome::Failed => (Disposition::Cancelled, 487),
            _ => (Disposition::Failed, 480),
        };
        if let Some(caller) = attempt.caller.take() {
            let outcome = Outcome::new(disposition, HangupBy::System, cause, reason.clone());
            self.close(caller, outcome, &attempt.trace).await;
        }
        let outcome = Outcome::new(Disposition::Answered, HangupBy::System, 200, reason);
        self.close(attempt.agent, outcome, &attempt.trace).await;
        self.report(Event::CallbackFailed {
            call: self.call.clone(),
        });
    }

    /// The conversation ended (or its media did): both legs end and are recorded, and the
    /// agent goes to wrap-up.
    async fn talk_ended(&mut self, by: EndedBy, reason: &str) {
        let Some(mut attempt) = self.attempt.take() else {
            return;
        };
        info!(reason, "the call back ended");
        attempt.trace.push(self.line(reason.to_owned()));
        if let Some(caller) = attempt.caller.take() {
            let outcome = Outcome::new(Disposition::Answered, by.on_caller_leg(), 200, reason);
            self.close(caller, outcome, &attempt.trace).await;
        }
        let outcome = Outcome::new(Disposition::Answered, by.on_agent_leg(), 200, reason);
        self.close(attempt.agent, outcome, &attempt.trace).await;
        self.report(Event::CallEnded {
            call: self.call.clone(),
        });
    }

    /// Ends everything still up (agents ringing, an attempt) without waiting for the
    /// distributor, which is gone or already done with the caller.
    async fn abandon(&mut self, reason: &str) {
        for (_, ringing) in self.ringing.drain() {
            ringing.dialer.end().await;
        }
        let connected = self.attempt.as_ref().is_some_and(|a| a.connected);
        if connected {
            self.talk_ended(EndedBy::System, reason).await;
        } else if let Some(mut attempt) = self.attempt.take() {
            attempt.trace.push(self.line(reason.to_owned()));
            if let Some(caller) = attempt.caller.take() {
                let outcome = Outcome::new(Disposition::Cancelled, HangupBy::System, 487, reason);
                self.close(caller, outcome, &attempt.trace).await;
            }
            let outcome = Outcome::new(Disposition::Answered, HangupBy::System, 200, reason);
            self.close(attempt.agent, outcome, &attempt.trace).await;
            self.report(Event::CallbackFailed {
                call: self.call.clone(),
            });
        }
    }

    /// Hangs up one leg and writes its record.
    async fn close(&self, leg: Leg, outcome: Outcome, trace: &[TraceLine]) {
        let mut info = leg.info;
        if let Some(Party::Outside { trunk, .. }) = leg.dialer.answerer() {
            info.callee.endpoint = Some(format!("trunk:{trunk}"));
        }
        leg.dialer.end().await;
        finish(&self.shared, &info, outcome, trace.to_vec());
    }

    fn line(&self, text: String) -> TraceLine {
        TraceLine {
            at: self.shared.clock.now(),
            step: TRACE_STEP.to_owned(),
            text,
        }
    }
}
