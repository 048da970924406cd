//! `3` on a message: ring the person who left it, an extension or an outside number
//! through the trunk, and put the owner through; the menu is over.
//!
//! Ringing is the scenario's [`Dialer`], so a call back follows the same rules as a `dial`
//! step: every registered phone of an extension rings, a person busy in another call is not
//! rung, an outside number goes out through the first trunk. The owner hears ringback (or
//! the far end's early media) meanwhile, and hold music while the other side holds them.
//! When nobody answers, the call ends: the engine ended the menu with the call back.
//!
//! Once answered, the call record names the person called, so an answered call back to an
//! outside number closes that number's callback task like any answered call with it.

use super::MailboxCall;
use crate::call::record::Outcome;
use crate::scenario::dialer::{CalleeEvent, Dialer};
use rsipstack::dialog::dialog::DialogState;
use sb_flow::scenario::DialTarget;
use sb_media::tones::ToneKind;
use sb_media::EndpointEvent;
use sb_store::HangupBy;
use std::time::Duration;
use tracing::info;

/// What woke a call back up.
enum Wake {
    Callee(CalleeEvent),
    Caller(Option<Box<DialogState>>),
    Media(Option<EndpointEvent>),
    Shutdown,
}

impl MailboxCall<'_> {
    /// Rings `number` (a message's caller, as received) and connects the owner; returns
    /// how the call ended.
    pub(super) async fn call_back(&mut self, number: &str) -> Outcome {
        let config = &self.plan.config;
        let target = match config.extension(number) {
            Some(extension) => DialTarget::Extension(extension.number.clone()),
            None => DialTarget::Outside(number.to_owned()),
        };
        let timeout = Duration::from_secs(config.pbx.ring_timeout_secs);
        let started = Dialer::start(&self.shared, &self.plan, &self.caller, &[target], timeout);
        let mut dialer = match started {
            Ok(dialer) => dialer,
            Err(outcome) => {
                info!(number, ?outcome, "call back: nobody to ring");
                let text = format!("call back {number}: {outcome:?}");
                return self.end(HangupBy::System, 200, &text).await;
            }
        };
        info!(number, "calling back the caller of a message");
        let ringback = self.shared.voice.tone_plan.tone(ToneKind::Ringback);
        // Ringback, then hold music while the other side holds the owner.
        let mut tone = Some(self.endpoint.play_tone(ringback));
        loop {
            let wake = tokio::select! {
                event = dialer.next() => Wake::Callee(event),
                event = self.caller_events.recv() => Wake::Caller(event.map(Box::new)),
                event = self.endpoint.next_event() => Wake::Media(event),
                () = self.shared.hangup_all.cancelled() => Wake::Shutdown,
            };
            let outcome = match wake {
                Wake::Callee(CalleeEvent::EarlyMedia) => {
                    if tone.take().is_some() {
                        self.endpoint.stop();
                    }
                    self.endpoint.join(&dialer.endpoint);
                    None
                }
                Wake::Callee(CalleeEvent::Answered) => {
                    if tone.take().is_some() {
                        self.endpoint.stop();
                    }
                    self.endpoint.join(&dialer.endpoint);
                    if let Some(party) = dialer.answerer() {
                        self.info.callee = party.call_party(&self.plan.config);
                    }
                    info!(number, "call back answered");
                    None
                }
                Wake::Callee(CalleeEvent::Failed(outcome)) => {
                    let text = format!("call back {number}: {outcome:?}");
                    Some(self.end(HangupBy::System, 200, &text).await)
                }
                Wake::Callee(CalleeEvent::HungUp) => {
                    Some(self.end(HangupBy::Callee, 200, "callee hung up").await)
                }
                Wake::Callee(CalleeEvent::Hold(true)) => {
                    if let Some(music) = self.shared.voice.hold_music() {
                        tone = Some(self.endpoint.moh(music));
                    }
                    None
                }
                Wake::Callee(CalleeEvent::Hold(false)) => {
                    if tone.take().is_some() {
                        self.endpoint.stop();
                    }
                    None
                }
                Wake::Callee(
                    CalleeEvent::Ringing | CalleeEvent::PlayFinished(_) | CalleeEvent::Handled,
                ) => None,
                // RFC 4733 and in-band keys travel with the media to the other side; keys
                // by SIP INFO are answered and go no further.
                Wake::Caller(event) => self.caller_event(event).await,
                Wake::Media(event) => self.media_event(event).await,
                Wake::Shutdown => Some(self.end(HangupBy::System, 503, "shutdown").await),
            };
            if let Some(outcome) = outcome {
                dialer.end().await;
                return outcome;
            }
        }
    }
}
