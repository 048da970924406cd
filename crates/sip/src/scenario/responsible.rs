//! A scenario's `responsible` step: ask the responsible-manager service (ICM) who owns the
//! caller, then ring that person.
//!
//! The caller is never left in silence: ringback plays from the moment the lookup starts
//! (as early media on a call not yet answered) and goes on while the manager rings. The
//! lookup is bounded by the service's own per-source time limits. Its decisions go into the
//! call's routing trace line by line (`history: last answered by 104 on ... → ext 104`), so
//! an operator sees why the call rang 104 or went on to the menu. The manager is rung with
//! the usual [`Dialer`](super::dialer::Dialer); its outcome (answered, no answer, busy,
//! unavailable) is the hook's, and a lookup that found nobody is `not_found`.

use super::ScenarioCall;
use sb_flow::scenario::{DialTarget, Event, Outcome as FlowOutcome};
use sb_icm::resolve::Outcome as IcmOutcome;
use sb_icm::Resolution;
use sb_media::tones::ToneKind;
use std::time::Duration;
use tokio::task::JoinHandle;
use tracing::{info, warn};

/// A lookup running in its own task, with what the step asked for once it is done.
pub(super) struct Lookup {
    task: JoinHandle<Resolution>,
    timeout: Duration,
    mobile: bool,
}

/// A finished lookup.
pub(super) struct LookupDone {
    result: Result<Resolution, String>,
    timeout: Duration,
    mobile: bool,
}

impl Lookup {
    /// Waits for the lookup; call once (the call drops the lookup when it wakes).
    pub(super) async fn next(&mut self) -> LookupDone {
        let result = (&mut self.task).await.map_err(|e| e.to_string());
        LookupDone {
            result,
            timeout: self.timeout,
            mobile: self.mobile,
        }
    }

    pub(super) fn abort(self) {
        self.task.abort();
    }
}

impl ScenarioCall<'_> {
    /// The step's action: start the lookup with ringback playing.
    pub(super) fn responsible(&mut self, timeout: Duration, mobile: bool) {
        let now = self.shared.clock.now();
        let Some(icm) = self.shared.icm() else {
            self.flow
                .add_note("no responsible-manager service configured ([icm])", now);
            self.events
                .push_back(Event::HookOutcome(FlowOutcome::NotFound));
            return;
        };
        self.early_media();
        let tone = self.shared.voice.tone_plan.tone(ToneKind::Ringback);
        self.plays.clear();
        self.ringback = Some(self.endpoint.play_tone(tone));
        let caller = self.caller.number().to_owned();
        info!(%caller, "looking up the responsible manager");
        let task = tokio::spawn(async move { icm.resolve(&caller).await });
        self.lookup = Some(Lookup {
            task,
            timeout,
            mobile,
        });
    }

    /// The lookup is over: its trace into the call's, then ring the manager or go on.
    pub(super) fn lookup_done(&mut self, done: LookupDone) {
        self.lookup = None;
        let now = self.shared.clock.now();
        let resolution = match done.result {
            Ok(resolution) => resolution,
            Err(error) => {
                warn!(%error, "the responsible-manager lookup failed");
                self.flow.add_note(format!("lookup failed: {error}"), now);
                self.no_manager();
                return;
            }
        };
        for entry in &resolution.trace {
            self.flow.add_note(entry.text.clone(), entry.at);
        }
        match resolution.outcome {
            IcmOutcome::Resolved { extension, .. } => {
                let mut targets = vec![DialTarget::Extension(extension.clone())];
                let mobile = done
                    .mobile
                    .then(|| self.plan.config.extension(&extension))
                    .flatten()
                    .and_then(|e| e.mobile.clone());
                let mut text = format!(
                    "ringing the manager {extension} ({} s)",
                    done.timeout.as_secs()
                );
                if let Some(mobile) = mobile {
                    text = format!(
                        "ringing the manager {extension} and {mobile} ({} s)",
                        done.timeout.as_secs()
                    );
                    targets.push(DialTarget::Outside(mobile));
                }
                info!(%extension, "responsible manager found");
                self.flow.add_note(text, now);
                self.dial_is_hook = true;
                self.dial(&targets, done.timeout);
                if self.dial.is_none() && self.ringback.take().is_some() {
                    // Nobody could ring (not registered, busy): no ringback for nothing.
                    self.endpoint.stop();
                }
            }
            IcmOutcome::NotFound { .. } => self.no_manager(),
        }
    }

    fn no_manager(&mut self) {
        if self.ringback.take().is_some() {
            self.endpoint.stop();
        }
        self.events
            .push_back(Event::HookOutcome(FlowOutcome::NotFound));
    }
}
