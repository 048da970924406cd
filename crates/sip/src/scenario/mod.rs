//! A call the PBX answers itself and walks through a scenario: the I/O shell around the
//! flow engine ([`sb_flow::scenario::CallFlow`]).
//!
//! The engine decides; this module carries its [`Action`]s out and feeds back what
//! happened as [`Event`]s:
//!
//! - the caller's leg is a [`MediaEndpoint`] for the whole call: prompts play on it
//!   (as early media, 183, before the engine answers), digits come from it (RFC 4733 or
//!   in-band) and from SIP INFO;
//! - `dial` rings people from a second endpoint ([`dialer`]); the caller hears ringback (or
//!   the far end's early media) and, once someone answers, the two endpoints are joined.
//!   When nobody answers, the caller is still here and the scenario goes on;
//! - the engine's timer is a deadline on the PBX clock;
//! - `queue` hands the caller to the queue service ([`queue_wait`]): hold music,
//!   announcements, the agents the distributor picks rung one leg each, the one it
//!   connects joined like an answered dial, after an announcement to the agent when the
//!   queue has one ([`agent_whisper`]);
//! - `responsible` asks the responsible-manager service ([`responsible`]) while the caller
//!   hears ringback, writes its decisions into the routing trace, and rings the manager
//!   found like a dial; the outcome (answered, no answer, busy, unavailable, not found) is
//!   the hook's, so the scenario goes on when the manager is not reached;
//! - `voicemail` records a message ([`voicemail`]).
//!
//! The call ends when the engine hangs up, the caller hangs up, the person connected hangs
//! up, media stops, or the PBX shuts down; its routing trace goes into the call record.

mod agent_whisper;
pub(crate) mod dialer;
mod hold;
pub(crate) mod info_digits;
mod queue_wait;
mod responsible;
mod voicemail;

use crate::call::record::{CallInfo, Outcome};
use crate::call::{caller_dialog, sdp_headers, sdp_refusal, status};
use crate::plan::Plan;
use crate::routing::Caller;
use crate::server::{reply, Shared};
use dialer::{CalleeEvent, Dialer, Party};
use rsipstack::dialog::dialog::{DialogState, DialogStateReceiver, TerminatedReason};
use rsipstack::dialog::invite_dialog::InviteDialog;
use rsipstack::sip::StatusCode;
use rsipstack::transaction::transaction::Transaction;
use sb_config::{Config, DigitMethods};
use sb_flow::scenario::{Action, CallFlow, Event, Outcome as FlowOutcome};
use sb_media::audio::Language;
use sb_media::playout::RecorderConfig;
use sb_media::tones::ToneKind;
use sb_media::{DigitMethod, EndpointEvent, MediaEndpoint, PlayId};
use sb_store::{Disposition, HangupBy, TraceLine};
use sb_voicemail::greeting::VoicemailReason;
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::Arc;
use std::time::Duration;
use tokio::time::Instant;
use tracing::{debug, info, warn};
use voicemail::LeaveMessage;

/// How long an in-dialog response gets to leave before the PBX's BYE.
const REPLY_SETTLE: Duration = Duration::from_millis(30);

/// How long to wait for a recording to be closed after the caller hung up on it.
const RECORDING_CLOSE_WAIT: Duration = Duration::from_secs(2);

/// A conversation is recorded whole: no silence rule, no stop digit, and a limit only so a
/// call left open for days cannot fill the disk.
fn call_recording_config() -> RecorderConfig {
    RecorderConfig {
        max_length: Duration::from_secs(8 * 3600),
        silence: None,
        stop_digits: String::new(),
    }
}

/// Runs the call through `scenario` and returns how it ended with its routing trace.
pub(crate) async fn run(
    shared: &Arc<Shared>,
    plan: &Arc<Plan>,
    mut tx: Transaction,
    caller: &Caller,
    scenario: &str,
    dialled: &str,
    info: &mut CallInfo,
) -> (Outcome, Vec<TraceLine>) {
    if tx.original.body.is_empty() {
        reply(&mut tx, StatusCode::NotAcceptableHere, vec![]).await;
        let reason = "INVITE without SDP (late offer is not supported)";
        return (refused(488, reason), Vec::new());
    }
    let endpoint = match shared.media.open_endpoint() {
        Ok(endpoint) => endpoint,
        Err(e) => {
            warn!(error = %e, "no media ports for the call");
            reply(&mut tx, StatusCode::ServiceUnavailable, vec![]).await;
            return (refused(503, "no media ports"), Vec::new());
        }
    };
    let digits = digit_methods(&plan.config, caller);
    if let Some(inband) = digits.inband {
        endpoint.detect_inband(inband);
    }
    let answer = match endpoint.answer_with(&tx.original.body, digits.rfc4733) {
        Ok(answer) => answer,
        Err(e) => {
            let outcome = sdp_refusal(&e);
            reply(&mut tx, status(outcome.cause), vec![]).await;
            return (outcome, Vec::new());
        }
    };
    let (dialog, events) = match caller_dialog(shared, tx).await {
        Ok(dialog) => dialog,
        Err(outcome) => return (outcome, Vec::new()),
    };
    let attributes = BTreeMap::from([
        ("caller".to_owned(), caller.number().to_owned()),
        ("dialled".to_owned(), dialled.to_owned()),
    ]);
    let now = shared.clock.now();
    let (flow, actions) = CallFlow::start(plan.flows.clone(), scenario, now, attributes);
    let mut call = ScenarioCall {
        shared: shared.clone(),
        plan: plan.clone(),
        caller: caller.clone(),
        dialog,
        endpoint,
        answer,
        digits,
        flow,
        answered: false,
        early: false,
        plays: HashMap::new(),
        ringback: None,
        timer: None,
        dial: None,
        connected: false,
        caller_on_hold: None,
        callee_on_hold: None,
        voicemail: None,
        busy_seen: false,
        replied_at: None,
        events: VecDeque::new(),
        queue: None,
        queue_connected: false,
        whisper: None,
        callback_confirmation: None,
        lookup: None,
        dial_is_hook: false,
        info,
    };
    let outcome = call.run(events, actions).await;
    let trace = call
        .flow
        .trace()
        .iter()
        .map(|entry| TraceLine {
            at: entry.at,
            step: entry.step.clone(),
            text: entry.text.clone(),
        })
        .collect();
    (outcome, trace)
}

/// The digit methods configured for whoever is calling (`dtmf` of the extension or trunk).
fn digit_methods(config: &Config, caller: &Caller) -> DigitMethods {
    let listed = match caller {
        Caller::Extension { number, .. } => {
            config.extension(number).and_then(|e| e.dtmf.as_deref())
        }
        Caller::Trunk { name, .. } => config
            .trunks
            .iter()
            .find(|t| &t.name == name)
            .and_then(|t| t.dtmf.as_deref()),
    };
    DigitMethods::from_config(listed)
}

fn refused(cause: u16, reason: &str) -> Outcome {
    Outcome::new(Disposition::Failed, HangupBy::System, cause, reason)
}

/// What woke the call up.
enum Wake {
    Caller(Option<Box<DialogState>>),
    Media(Option<EndpointEvent>),
    Callee(CalleeEvent),
    Queue(queue_wait::QueueWake),
    Lookup(responsible::LookupDone),
    Timer,
    WhisperTimeout,
    Shutdown,
}

/// One call in a scenario: the caller's leg, the engine, and what the engine waits for.
struct ScenarioCall<'a> {
    shared: Arc<Shared>,
    plan: Arc<Plan>,
    caller: Caller,
    dialog: InviteDialog,
    endpoint: MediaEndpoint,
    /// The SDP answer to the caller's offer, sent with the 183 or the 200.
    answer: Vec<u8>,
    /// How the caller's phone or trunk may send digits.
    digits: DigitMethods,
    flow: CallFlow,
    answered: bool,
    /// A 183 with SDP has been sent: the caller hears the PBX before the answer.
    early: bool,
    /// The engine's playbacks by the endpoint's ids.
    plays: HashMap<PlayId, u32>,
    /// Ringback played to the caller while a dial rings.
    ringback: Option<PlayId>,
    timer: Option<Instant>,
    dial: Option<Dialer>,
    /// Someone answered a dial: the two legs are joined and the engine is done.
    connected: bool,
    /// Hold music played to the caller while the person connected holds them.
    caller_on_hold: Option<PlayId>,
    /// Hold music played to the person connected while the caller holds them.
    callee_on_hold: Option<PlayId>,
    /// Leaving a message (a `voicemail` step).
    voicemail: Option<LeaveMessage>,
    /// A dial of this call found the person busy: their busy greeting is the one to play.
    busy_seen: bool,
    /// When the last in-dialog request of the caller was answered.
    replied_at: Option<Instant>,
    /// Events for the engine produced while carrying out its actions.
    events: VecDeque<Event>,
    /// Waiting in a queue (a `queue` step).
    queue: Option<queue_wait::QueueWait>,
    /// An agent of a queue has the call.
    queue_connected: bool,
    /// The agent hears who is calling; the legs are joined after it.
    whisper: Option<agent_whisper::AgentWhisper>,
    /// The caller asked the queue to call back: the confirmation playing, after which the
    /// PBX hangs up.
    callback_confirmation: Option<PlayId>,
    /// The responsible-manager lookup in progress (a `responsible` step).
    lookup: Option<responsible::Lookup>,
    /// The dial in progress rings the responsible manager: its outcome is the hook's.
    dial_is_hook: bool,
    info: &'a mut CallInfo,
}

impl ScenarioCall<'_> {
    async fn run(
        &mut self,
        mut caller_events: DialogStateReceiver,
        actions: Vec<Action>,
    ) -> Outcome {
        let mut actions = actions;
        loop {
            if let Some(outcome) = self.perform(actions).await {
                return self.end(outcome).await;
            }
            if let Some(event) = self.events.pop_front() {
                actions = self.flow.on_event(event, self.shared.clock.now());
                continue;
            }
            actions = Vec::new();
            let wake = self.wait(&mut caller_events).await;
            let result = match wake {
                Wake::Caller(event) => self.caller_event(event.map(|e| *e)).await,
                Wake::Media(event) => self.media_event(event).await,
                Wake::Callee(event) => self.callee_event(event).await,
                Wake::Queue(wake) => {
                    self.queue_wake(wake).await;
                    None
                }
                Wake::Lookup(done) => {
                    self.lookup_done(done);
                    None
                }
                Wake::Timer => {
                    self.timer = None;
                    self.events.push_back(Event::TimerFired);
                    None
                }
                Wake::WhisperTimeout => {
                    self.whisper_timed_out();
                    None
                }
                Wake::Shutdown => {
                    self.close_recording().await;
                    if self.answered {
                        crate::call::hangup::bye_after_ack(&self.dialog).await;
                    } else {
                        let refusal = Some("shutdown".to_owned());
                        self.dialog
                            .reject(Some(StatusCode::ServiceUnavailable), refusal)
                            .ok();
                    }
                    Some(Outcome::new(
                        self.disposition(),
                        HangupBy::System,
                        503,
                        "shutdown",
                    ))
                }
            };
            if let Some(outcome) = result {
                return self.end(outcome).await;
            }
        }
    }

    async fn wait(&mut self, caller_events: &mut DialogStateReceiver) -> Wake {
        let timer = self.timer;
        let whisper_deadline = self.whisper.as_ref().map(|w| w.deadline);
        let dial = &mut self.dial;
        let queue = &mut self.queue;
        let lookup = &mut self.lookup;
        let endpoint = &self.endpoint;
        tokio::select! {
            done = async {
                match lookup {
                    Some(lookup) => lookup.next().await,
                    None => std::future::pending().await,
                }
            } => Wake::Lookup(done),
            wake = async {
                match queue {
                    Some(queue) => queue.next().await,
                    None => std::future::pending().await,
                }
            } => Wake::Queue(wake),
            event = caller_events.recv() => Wake::Caller(event.map(Box::new)),
            event = endpoint.next_event() => Wake::Media(event),
            event = async {
                match dial {
                    Some(dialer) => dialer.next().await,
                    None => std::future::pending().await,
                }
            } => Wake::Callee(event),
            () = async {
                match timer {
                    Some(at) => tokio::time::sleep_until(at).await,
                    None => std::future::pending().await,
                }
            } => Wake::Timer,
            () = async {
                match whisper_deadline {
                    Some(at) => tokio::time::sleep_until(at).await,
                    None => std::future::pending().await,
                }
            } => Wake::WhisperTimeout,
            () = self.shared.hangup_all.cancelled() => Wake::Shutdown,
        }
    }

    fn disposition(&self) -> Disposition {
        if self.answered {
            Disposition::Answered
        } else {
            Disposition::Failed
        }
    }

    /// Carries out the engine's actions; `Some` when the call is over.
    async fn perform(&mut self, actions: Vec<Action>) -> Option<Outcome> {
        for action in actions {
            debug!(?action, "scenario action");
            match action {
                Action::Answer => self.answer(),
                Action::Play { prompts, id } => self.play(&prompts, id),
                Action::StopPlay { id } => {
                    if self.plays.values().any(|&playing| playing == id) {
                        self.plays.retain(|_, playing| *playing != id);
                        self.endpoint.stop();
                    }
                }
                Action::SetTimer { at } => {
                    let wait = (at - self.shared.clock.now()).to_std().unwrap_or_default();
                    self.timer = Some(Instant::now() + wait);
                }
                Action::Dial { targets, timeout } => self.dial(&targets, timeout),
                Action::Queue { name, exit_keys } => self.join_queue(&name, exit_keys),
                Action::Responsible { timeout, mobile } => self.responsible(timeout, mobile),
                Action::Voicemail { mailbox } => {
                    if let Some(outcome) = self.voicemail(&mailbox).await {
                        return Some(outcome);
                    }
                }
                Action::SetAttribute { name, value } => {
                    debug!(%name, %value, "call attribute set");
                }
                Action::Hangup { cause } => return Some(self.hang_up(&cause).await),
            }
        }
        None
    }

    fn answer(&mut self) {
        if self.answered {
            return;
        }
        if let Err(e) = self
            .dialog
            .accept(Some(sdp_headers()), Some(self.answer.clone()))
        {
            warn!(error = %e, "cannot answer the caller");
        }
        self.answered = true;
        self.info.answered_at = Some(self.shared.clock.now());
        info!("answered by the PBX");
    }

    /// Before the answer, the caller hears the PBX through early media (183 with SDP).
    fn early_media(&mut self) {
        if self.answered || self.early {
            return;
        }
        if let Err(e) = self
            .dialog
            .ringing(Some(sdp_headers()), Some(self.answer.clone()))
        {
            warn!(error = %e, "cannot send early media");
        }
        self.early = true;
    }

    /// The language of the call's prompts: a `language` attribute set by the scenario, else
    /// the configured one.
    fn language(&self) -> Language {
        self.flow
            .attributes()
            .get("language")
            .and_then(|code| Language::from_code(code))
            .unwrap_or(self.shared.voice.language)
    }

    fn play(&mut self, prompts: &[String], id: u32) {
        let language = self.language();
        let clips = self.shared.voice.clips(language, prompts);
        if clips.is_empty() {
            self.events.push_back(Event::PlayFinished(id));
            return;
        }
        self.early_media();
        self.ringback = None;
        let play = self.endpoint.play(clips);
        self.plays.insert(play, id);
    }

    fn dial(&mut self, targets: &[sb_flow::scenario::DialTarget], timeout: Duration) {
        match Dialer::start(&self.shared, &self.plan, &self.caller, targets, timeout) {
            Ok(dialer) => {
                if self.answered || self.early {
                    let tone = self.shared.voice.tone_plan.tone(ToneKind::Ringback);
                    self.plays.clear();
                    self.ringback = Some(self.endpoint.play_tone(tone));
                }
                self.dial = Some(dialer);
            }
            Err(outcome) => self.dial_outcome(outcome),
        }
    }

    /// The outcome of the dial in progress, for the engine: a dial's, or the responsible
    /// hook's when the dial rings the manager.
    fn dial_outcome(&mut self, outcome: FlowOutcome) {
        self.busy_seen |= outcome == FlowOutcome::Busy;
        if self.dial_is_hook {
            if outcome != FlowOutcome::Answered {
                self.dial_is_hook = false;
            }
            self.events.push_back(Event::HookOutcome(outcome));
        } else {
            self.events.push_back(Event::DialOutcome(outcome));
        }
    }

    /// Starts the `voicemail` step; `Some` when the box does not exist (a configuration
    /// validated at load names only known boxes, so this is a reload race at most).
    async fn voicemail(&mut self, mailbox: &str) -> Option<Outcome> {
        let Some(view) = self.plan.config.mailbox(mailbox) else {
            warn!(%mailbox, "voicemail to an unknown box");
            return Some(self.hang_up("no_route").await);
        };
        self.answer();
        let reason = if self.busy_seen {
            VoicemailReason::Busy
        } else {
            VoicemailReason::Unavailable
        };
        let language = self.language();
        let step = LeaveMessage::start(&self.shared, &self.endpoint, view, reason, language).await;
        self.voicemail = Some(step);
        None
    }

    async fn hang_up(&mut self, cause: &str) -> Outcome {
        let reason = format!("scenario: {cause}");
        if self.answered {
            self.settle_replies().await;
            crate::call::hangup::bye_after_ack(&self.dialog).await;
            Outcome::new(Disposition::Answered, HangupBy::System, 200, reason)
        } else {
            let code = match cause {
                "busy" => 486,
                "no_route" => 404,
                "rejected" | "declined" => 603,
                _ => 480,
            };
            self.dialog.reject(Some(status(code)), None).ok();
            let disposition = if code == 486 {
                Disposition::Busy
            } else {
                Disposition::Failed
            };
            Outcome::new(disposition, HangupBy::System, code, reason)
        }
    }

    async fn caller_event(&mut self, event: Option<DialogState>) -> Option<Outcome> {
        match event {
            Some(DialogState::Terminated(_, reason)) => {
                self.flow
                    .on_event(Event::CallerHungUp, self.shared.clock.now());
                self.close_recording().await;
                Some(match reason {
                    TerminatedReason::UacBye => {
                        Outcome::new(self.disposition(), HangupBy::Caller, 200, "caller hung up")
                    }
                    TerminatedReason::UacCancel => Outcome::new(
                        Disposition::Cancelled,
                        HangupBy::Caller,
                        487,
                        "caller cancelled",
                    ),
                    other => Outcome::new(
                        self.disposition(),
                        HangupBy::System,
                        408,
                        format!("caller dialog ended: {other:?}"),
                    ),
                })
            }
            Some(DialogState::Updated(_, request, handle)) => {
                if request.body.is_empty() {
                    handle.reply(StatusCode::OK).await.ok();
                } else {
                    match self
                        .endpoint
                        .answer_with(&request.body, self.digits.rfc4733)
                    {
                        Ok(sdp) => {
                            self.answer = sdp.clone();
                            handle
                                .respond(StatusCode::OK, Some(sdp_headers()), Some(sdp))
                                .await
                                .ok();
                            self.caller_holds(hold::is_hold(&request.body));
                        }
                        Err(e) => {
                            warn!(error = %e, "caller re-INVITE with unusable SDP");
                            handle.reply(StatusCode::NotAcceptableHere).await.ok();
                        }
                    }
                }
                None
            }
            Some(DialogState::Info(_, request, handle)) => {
                self.replied_at = Some(Instant::now());
                handle.reply(StatusCode::OK).await.ok();
                match info_digits::digit_of(&request) {
                    Some(digit) if self.digits.info && self.connected => self.forward_digit(digit),
                    Some(digit) if self.digits.info => self.digit(digit),
                    Some(digit) => {
                        debug!(%digit, "digit by SIP INFO ignored: not enabled for this caller")
                    }
                    None => {}
                }
                None
            }
            Some(DialogState::Options(_, _, handle)) => {
                handle.reply(StatusCode::OK).await.ok();
                None
            }
            Some(_) => None,
            None => Some(Outcome::new(
                Disposition::Failed,
                HangupBy::System,
                500,
                "caller dialog lost",
            )),
        }
    }

    /// Lets a response just queued for the caller's in-dialog request (an INFO carrying
    /// the digit that ends the call) go out before the BYE: the dialog layer sends it from
    /// another task, so without a pause the BYE can overtake it.
    async fn settle_replies(&mut self) {
        if let Some(replied) = self.replied_at.take() {
            tokio::time::sleep_until(replied + REPLY_SETTLE).await;
        }
    }

    fn digit(&mut self, digit: char) {
        if self.queue_digit(digit) {
            return;
        }
        if !self.connected && self.voicemail.is_none() {
            self.events.push_back(Event::Digit(digit));
        }
    }

    async fn media_event(&mut self, event: Option<EndpointEvent>) -> Option<Outcome> {
        match event {
            Some(EndpointEvent::Digit(digit)) => self.digit(digit.to_char()),
            Some(EndpointEvent::PlayFinished { id, .. }) => return self.played(id).await,
            Some(EndpointEvent::PlayFailed { id, error }) => {
                warn!(%error, "playback failed");
                return self.played(id).await;
            }
            Some(EndpointEvent::RecordFinished(recording)) if !self.in_voicemail() => {
                info!(path = %recording.path.display(), secs = recording.duration.as_secs_f64(), "call recording finished");
            }
            Some(EndpointEvent::RecordFailed(error)) if !self.in_voicemail() => {
                warn!(%error, "the call recording failed; the call goes on");
            }
            Some(EndpointEvent::RecordFinished(recording)) => {
                return Some(self.message_recorded(Ok(recording)).await);
            }
            Some(EndpointEvent::RecordFailed(error)) => {
                return Some(self.message_recorded(Err(error)).await);
            }
            Some(EndpointEvent::MediaTimeout) => {
                warn!("no RTP from the caller: ending the call");
                self.close_recording().await;
                crate::call::hangup::bye_after_ack(&self.dialog).await;
                return Some(Outcome::new(
                    self.disposition(),
                    HangupBy::System,
                    200,
                    "rtp timeout",
                ));
            }
            None => {
                return Some(Outcome::new(
                    Disposition::Failed,
                    HangupBy::System,
                    500,
                    "media endpoint lost",
                ))
            }
        }
        None
    }

    /// A playback ended: the engine's, a queue's, or a stage of voicemail. `Some` when the
    /// call is over (a queue's callback was confirmed, or the voicemail step could not
    /// begin its message).
    async fn played(&mut self, id: PlayId) -> Option<Outcome> {
        if let Some(outcome) = self.callback_confirmed(id).await {
            return Some(outcome);
        }
        if self.queue_played(id) {
            return None;
        }
        if let Some(flow_id) = self.plays.remove(&id) {
            self.events.push_back(Event::PlayFinished(flow_id));
            return None;
        }
        let step = self.voicemail.as_mut()?;
        let settings = &self.plan.config.voicemail;
        step.played(id, &self.shared, &self.endpoint, self.info, settings)
            .await;
        if step.failed() {
            self.voicemail = None;
            crate::call::hangup::bye_after_ack(&self.dialog).await;
            return Some(Outcome::new(
                Disposition::Answered,
                HangupBy::System,
                200,
                "voicemail failed: the message could not be stored",
            ));
        }
        None
    }

    /// The recorder is done with the voicemail message: it is kept, and the PBX hangs up.
    async fn message_recorded(
        &mut self,
        result: Result<sb_media::playout::Recording, sb_media::playout::RecordError>,
    ) -> Outcome {
        let reason = match self.voicemail.take() {
            Some(step) => step.recorded(&self.shared, result, self.info).await,
            None => "voicemail: no message".to_owned(),
        };
        crate::call::hangup::bye_after_ack(&self.dialog).await;
        Outcome::new(Disposition::Answered, HangupBy::System, 200, reason)
    }

    async fn callee_event(&mut self, event: CalleeEvent) -> Option<Outcome> {
        match event {
            CalleeEvent::Ringing => {
                if !self.answered && !self.early {
                    self.dialog.ringing(None, None).ok();
                }
            }
            CalleeEvent::EarlyMedia => {
                self.early_media();
                self.connect_media();
            }
            CalleeEvent::Answered => {
                self.answer();
                self.connect_media();
                self.connected = true;
                self.record_call();
                if let Some(party) = self.dial.as_ref().and_then(Dialer::answerer) {
                    self.info.callee = party.call_party(&self.plan.config);
                }
                self.dial_outcome(FlowOutcome::Answered);
            }
            CalleeEvent::Failed(outcome) => {
                if let Some(dialer) = self.dial.take() {
                    dialer.end().await;
                }
                if self.ringback.take().is_some() {
                    self.endpoint.stop();
                }
                self.dial_outcome(outcome);
            }
            CalleeEvent::Hold(held) => {
                if held && self.caller_on_hold.is_none() {
                    self.caller_on_hold = self
                        .shared
                        .voice
                        .hold_music()
                        .map(|class| self.endpoint.moh(class));
                    info!("the caller is on hold");
                } else if !held && self.caller_on_hold.take().is_some() {
                    // The music stops and what the callee says is forwarded again.
                    self.endpoint.stop();
                    info!("the caller is back from hold");
                }
            }
            CalleeEvent::HungUp => {
                // Not awaited: the call (and a queue's agent) ends now, whether or not
                // the caller answers the BYE.
                crate::call::hangup::hang_up(&self.shared, &self.dialog);
                return Some(Outcome::new(
                    Disposition::Answered,
                    HangupBy::Callee,
                    200,
                    "callee hung up",
                ));
            }
            CalleeEvent::PlayFinished(id) => self.agent_played(id),
            CalleeEvent::Handled => {}
        }
        None
    }

    /// The caller put the person connected on hold, or took them off it: that person hears
    /// the hold music meanwhile.
    fn caller_holds(&mut self, held: bool) {
        let Some(dialer) = self.dial.as_ref().filter(|_| self.connected) else {
            return;
        };
        if held && self.callee_on_hold.is_none() {
            self.callee_on_hold = self
                .shared
                .voice
                .hold_music()
                .map(|class| dialer.endpoint.moh(class));
        } else if !held && self.callee_on_hold.take().is_some() {
            dialer.endpoint.stop();
        }
    }

    /// A key the caller pressed by SIP INFO while connected reaches the other party in the
    /// media, as RFC 4733 events where that leg negotiated them, else as tones (keys
    /// pressed as RFC 4733 or tones already travel with the media).
    fn forward_digit(&mut self, digit: char) {
        let Some(dialer) = &self.dial else { return };
        let method = match dialer.answerer() {
            Some(Party::Extension(number)) => {
                let listed = self
                    .plan
                    .config
                    .extension(number)
                    .and_then(|e| e.dtmf.as_deref());
                if DigitMethods::from_config(listed).rfc4733 {
                    DigitMethod::Rfc4733
                } else {
                    DigitMethod::Inband
                }
            }
            _ => DigitMethod::Rfc4733,
        };
        debug!(%digit, ?method, "digit from SIP INFO passed on");
        dialer.endpoint.send_digits(&digit.to_string(), method);
    }

    /// Whether a voicemail message is being recorded (rather than the conversation).
    fn in_voicemail(&self) -> bool {
        self.voicemail.as_ref().is_some_and(LeaveMessage::recording)
    }

    /// Starts recording the conversation, both voices mixed, when calls are recorded
    /// (`[media] record_calls`); the file is finished when the call ends.
    fn record_call(&mut self) {
        let Some(dir) = &self.shared.voice.recordings_dir else {
            return;
        };
        let day = self.shared.clock.now().format("%Y-%m-%d").to_string();
        let path = dir.join(day).join(format!("{}.wav", self.info.id));
        if let Some(parent) = path.parent() {
            if let Err(e) = std::fs::create_dir_all(parent) {
                warn!(dir = %parent.display(), error = %e, "cannot create the recordings directory; the call is not recorded");
                return;
            }
        }
        info!(path = %path.display(), "recording the call");
        self.endpoint
            .record_both_legs(&path, call_recording_config());
    }

    /// Lets the caller hear the callee side: the ringback stops and the legs are joined.
    fn connect_media(&mut self) {
        if self.ringback.take().is_some() {
            self.endpoint.stop();
        }
        if let Some(dialer) = &self.dial {
            self.endpoint.join(&dialer.endpoint);
        }
    }

    /// A message being recorded when the caller leaves is closed and kept; a caller who
    /// leaves during the greeting or the beep leaves an empty message (their number is the
    /// message).
    async fn close_recording(&mut self) {
        let Some(step) = &mut self.voicemail else {
            return;
        };
        let settings = &self.plan.config.voicemail;
        step.begin_if_not_yet(&self.shared, &self.endpoint, self.info, settings)
            .await;
        if !step.recording() {
            self.voicemail = None;
            return;
        }
        self.endpoint.stop_recording();
        let closed = tokio::time::timeout(RECORDING_CLOSE_WAIT, async {
            while let Some(event) = self.endpoint.next_event().await {
                match event {
                    EndpointEvent::RecordFinished(recording) => return Some(Ok(recording)),
                    EndpointEvent::RecordFailed(error) => return Some(Err(error)),
                    _ => {}
                }
            }
            None
        })
        .await;
        let Some(step) = self.voicemail.take() else {
            return;
        };
        match closed {
            Ok(Some(result)) => {
                step.recorded(&self.shared, result, self.info).await;
            }
            // The recorder may still commit the file: the row stays as recording, and the
            // next start completes it from the file (or drops it when there is none).
            _ => warn!("the voicemail message was not confirmed closed; left for recovery at the next start"),
        }
    }

    /// Ends whatever is still up besides the caller's leg, and returns `outcome`.
    async fn end(&mut self, outcome: Outcome) -> Outcome {
        self.end_queue().await;
        if let Some(lookup) = self.lookup.take() {
            lookup.abort();
        }
        if let Some(dialer) = self.dial.take() {
            dialer.end().await;
        }
        self.shared.dialogs.remove_dialog(&self.dialog.id());
        info!(disposition = ?outcome.disposition, reason = %outcome.reason, "call ended");
        outcome
    }
}
