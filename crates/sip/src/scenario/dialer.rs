//! A scenario's `dial`: ring one or more people (their registered phones, a mobile through
//! the trunk) from a call the PBX already holds, and report how it went.
//!
//! The callee side is a second [`MediaEndpoint`] that offers PCMU, PCMA and
//! telephone-event; the caller's leg never moves, so when nobody answers the scenario simply
//! goes on with the caller, and when someone does the two endpoints are joined. Busy people
//! (in another call) and people with no registered phone are not rung at all: the dial
//! reports `busy` or `unavailable` at once, which is how ring groups skip them.

use crate::call::devices::{extension_devices, trunk_target, Target};
use crate::call::fork::{invite_all, note_hang_up, Branch, BranchResult, From, Pending};
use crate::call::hangup;
use crate::plan::Plan;
use crate::presence::InCall;
use crate::routing::Caller;
use crate::server::Shared;
use rsipstack::dialog::dialog::{DialogState, DialogStateReceiver};
use rsipstack::sip::{StatusCode, StatusCodeKind, Uri};
use sb_flow::scenario::{DialTarget, Outcome};
use sb_media::{EndpointEvent, MediaEndpoint, PlayId};
use sb_store::CallParty;
use std::sync::Arc;
use std::time::Duration;
use tokio::time::Instant;
use tracing::{debug, info, warn};

/// What the callee side did.
#[derive(Debug)]
pub(crate) enum CalleeEvent {
    /// A phone rings (180 without SDP); reported once.
    Ringing,
    /// The far end sends early media (183 with SDP: a carrier's announcement, ringback).
    EarlyMedia,
    /// Someone answered; the endpoint has their media.
    Answered,
    /// Nobody answered: the dial's outcome for the scenario.
    Failed(Outcome),
    /// The person who answered hung up.
    HungUp,
    /// The person who answered put the caller on hold (`true`) or took them off it.
    Hold(bool),
    /// A playback on the callee's leg ended (played out, stopped or replaced): the
    /// announcement a queue's agent hears before the caller is put through ends so.
    PlayFinished(PlayId),
    /// Something the dialer handled by itself (a re-INVITE, a second device's answer, what
    /// the callee's leg reports besides the end of a playback).
    Handled,
}

/// Ringing, then the answered leg, of one `dial` action.
///
/// Dropping it ends the callee side (see [`Dialer::end`]), so a dial is never left
/// ringing or answered, whichever way the call task ends.
pub(crate) struct Dialer {
    shared: Arc<Shared>,
    pub endpoint: MediaEndpoint,
    /// One device each, tagged with whose device it is.
    branches: Vec<Branch<Party>>,
    pending: Pending,
    events: DialogStateReceiver,
    deadline: Instant,
    winner: Option<usize>,
    ringing: bool,
    early: bool,
    /// People skipped before ringing, which decide the outcome if nobody else answers.
    skipped_busy: bool,
    answered_by: Option<InCall>,
    /// [`CalleeEvent::HungUp`] was reported: it is reported once.
    hang_up_reported: bool,
}

/// Whose device a branch rings, and so who answered, for the call record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Party {
    /// A phone of this extension.
    Extension(String),
    /// This outside number (digits) through this trunk.
    Outside { number: String, trunk: String },
}

/// The trunk an outside number is dialled through: the one a caller from outside came in
/// on (the carrier that brought the call takes it on, as a forward to a mobile or a queue's
/// call back is expected to), else the first configured.
fn outgoing_trunk<'a>(
    trunks: &'a [sb_config::Trunk],
    caller: &Caller,
) -> Option<&'a sb_config::Trunk> {
    let came_in_on = match caller {
        Caller::Trunk { name, .. } => trunks.iter().find(|trunk| trunk.name == *name),
        Caller::Extension { .. } => None,
    };
    came_in_on.or_else(|| trunks.first())
}

impl Party {
    /// The party as a call record names it: an extension with the person's name, or the
    /// outside number with the trunk it was reached through.
    pub fn call_party(&self, config: &sb_config::Config) -> CallParty {
        match self {
            Party::Extension(extension) => CallParty {
                number: extension.clone(),
                name: config.extension(extension).map(|e| e.name.clone()),
                endpoint: Some(format!("extension:{extension}")),
            },
            Party::Outside { number, trunk } => CallParty {
                number: number.clone(),
                name: None,
                endpoint: Some(format!("trunk:{trunk}")),
            },
        }
    }
}

impl Dialer {
    /// Starts ringing `targets`; an `Err` is the outcome when there was nobody to ring.
    pub fn start(
        shared: &Arc<Shared>,
        plan: &Plan,
        caller: &Caller,
        targets: &[DialTarget],
        timeout: Duration,
    ) -> Result<Dialer, Outcome> {
        let mut devices: Vec<(Party, Target)> = Vec::new();
        let mut skipped_busy = false;
        for target in targets {
            match target {
                DialTarget::Extension(number) => {
                    if shared.presence.is_busy(number) {
                        info!(extension = %number, "busy in another call: not rung");
                        skipped_busy = true;
                        continue;
                    }
                    let found = extension_devices(shared, number);
                    if found.is_empty() {
                        info!(extension = %number, "no registered phone");
                    }
                    let party = Party::Extension(number.clone());
                    devices.extend(found.into_iter().map(|t| (party.clone(), t)));
                }
                DialTarget::Outside(number) => {
                    let digits: String = number.chars().filter(char::is_ascii_digit).collect();
                    let Some(trunk) = outgoing_trunk(&plan.config.trunks, caller) else {
                        warn!(%number, "no trunk to reach an outside number");
                        continue;
                    };
                    match trunk_target(trunk, &digits) {
                        Ok(target) => {
                            let party = Party::Outside {
                                number: digits,
                                trunk: trunk.name.clone(),
                            };
                            devices.push((party, target));
                        }
                        Err(outcome) => warn!(%number, reason = %outcome.reason, "cannot dial"),
                    }
                }
            }
        }
        if devices.is_empty() {
            return Err(if skipped_busy {
                Outcome::Busy
            } else {
                Outcome::Unavailable
            });
        }
        let endpoint = shared.media.open_endpoint().map_err(|e| {
            warn!(error = %e, "no media ports to dial with");
            Outcome::Failed
        })?;
        let (state_tx, events) = shared.dialogs.new_dialog_state_channel();
        let from = format!("sip:{}@{}", caller.number(), plan.config.pbx.domain);
        let caller_uri = Uri::try_from(from.as_str()).map_err(|_| Outcome::Failed)?;
        let offer = endpoint.offer();
        let from = From {
            uri: &caller_uri,
            display_name: caller.name(),
        };
        let (branches, pending) = invite_all(shared, from, devices, &offer, &state_tx);
        if branches.is_empty() {
            return Err(Outcome::Failed);
        }
        Ok(Dialer {
            shared: shared.clone(),
            endpoint,
            branches,
            pending,
            events,
            deadline: Instant::now() + timeout,
            winner: None,
            ringing: false,
            early: false,
            skipped_busy,
            answered_by: None,
            hang_up_reported: false,
        })
    }

    /// Who answered, once someone did.
    pub fn answerer(&self) -> Option<&Party> {
        self.winner.map(|w| &self.branches[w].tag)
    }

    /// The SIP Call-ID of the leg, for its call record: the answered device's, else the
    /// first device rung.
    pub fn sip_call_id(&self) -> String {
        self.winner
            .or((!self.branches.is_empty()).then_some(0))
            .map(|index| self.branches[index].dialog.id().call_id)
            .unwrap_or_default()
    }

    /// The next thing the callee side did; cancel-safe.
    pub async fn next(&mut self) -> CalleeEvent {
        if let Some(w) = self.winner {
            if self.branches[w].hung_up && !self.hang_up_reported {
                // Their BYE was taken before their answer: the answer came first.
                self.hang_up_reported = true;
                return CalleeEvent::HungUp;
            }
        }
        let ringing = self.winner.is_none();
        tokio::select! {
            biased;
            event = self.events.recv() => match event {
                Some(event) => self.dialog_event(event).await,
                None => std::future::pending().await,
            },
            Some(done) = self.pending.join_next() => match done {
                Ok((index, result)) => self.branch_finished(index, result).await,
                Err(_) => CalleeEvent::Handled,
            },
            () = tokio::time::sleep_until(self.deadline), if ringing => {
                self.cancel_ringing(None);
                CalleeEvent::Failed(Outcome::NoAnswer)
            }
            event = self.endpoint.next_event() => match event {
                Some(
                    EndpointEvent::PlayFinished { id, .. } | EndpointEvent::PlayFailed { id, .. },
                ) => CalleeEvent::PlayFinished(id),
                Some(_) => CalleeEvent::Handled,
                None => std::future::pending().await,
            },
        }
    }

    async fn dialog_event(&mut self, event: DialogState) -> CalleeEvent {
        match event {
            DialogState::Early(id, response) if self.winner.is_none() => {
                if !response.body.is_empty() && !self.early {
                    match self.endpoint.accept_answer(&response.body) {
                        Ok(_) => {
                            self.early = true;
                            return CalleeEvent::EarlyMedia;
                        }
                        Err(e) => warn!(error = %e, branch = %id, "early media SDP ignored"),
                    }
                }
                if self.ringing {
                    CalleeEvent::Handled
                } else {
                    self.ringing = true;
                    CalleeEvent::Ringing
                }
            }
            DialogState::Terminated(id, reason) => {
                let hung_up = note_hang_up(&mut self.branches, &id, &reason);
                if hung_up.is_some() && hung_up == self.winner && !self.hang_up_reported {
                    self.hang_up_reported = true;
                    return CalleeEvent::HungUp;
                }
                CalleeEvent::Handled
            }
            DialogState::Updated(id, request, handle) => {
                let answered = self.winner.map(|w| &self.branches[w]);
                if answered.is_none_or(|b| b.dialog.id().call_id != id.call_id) {
                    handle
                        .reply(StatusCode::CallTransactionDoesNotExist)
                        .await
                        .ok();
                } else if request.body.is_empty() {
                    handle.reply(StatusCode::OK).await.ok();
                } else {
                    match self.endpoint.answer(&request.body) {
                        Ok(sdp) => {
                            let headers = crate::call::sdp_headers();
                            handle
                                .respond(StatusCode::OK, Some(headers), Some(sdp))
                                .await
                                .ok();
                            return CalleeEvent::Hold(super::hold::is_hold(&request.body));
                        }
                        Err(e) => {
                            warn!(error = %e, "callee re-INVITE with unusable SDP");
                            handle.reply(StatusCode::NotAcceptableHere).await.ok();
                        }
                    }
                }
                CalleeEvent::Handled
            }
            DialogState::Info(_, _, handle) | DialogState::Options(_, _, handle) => {
                handle.reply(StatusCode::OK).await.ok();
                CalleeEvent::Handled
            }
            _ => CalleeEvent::Handled,
        }
    }

    async fn branch_finished(&mut self, index: usize, result: BranchResult) -> CalleeEvent {
        let response = match result {
            Ok((id, Some(response))) => {
                if response.status_code.kind() == StatusCodeKind::Successful {
                    self.branches[index].confirmed = Some(id);
                }
                response
            }
            Ok((_, None)) => return self.branch_failed(index, 408),
            Err(e) => {
                debug!(branch = index, error = %e, "branch failed");
                return self.branch_failed(index, 503);
            }
        };
        if response.status_code.kind() != StatusCodeKind::Successful {
            return self.branch_failed(index, response.status_code.code());
        }
        if self.winner.is_some() {
            // A second device answered the same ring: it is not needed.
            hangup::hang_up(&self.shared, &self.branches[index].dialog);
            return CalleeEvent::Handled;
        }
        if let Err(e) = self.endpoint.accept_answer(&response.body) {
            warn!(error = %e, "answer with unusable SDP: hanging up that phone");
            hangup::hang_up(&self.shared, &self.branches[index].dialog);
            return self.branch_failed(index, 488);
        }
        self.winner = Some(index);
        self.cancel_ringing(Some(index));
        if let Party::Extension(extension) = &self.branches[index].tag {
            self.answered_by = Some(self.shared.presence.enter(extension));
        }
        info!(branch = index, party = ?self.branches[index].tag, "dial answered");
        CalleeEvent::Answered
    }

    fn branch_failed(&mut self, index: usize, code: u16) -> CalleeEvent {
        self.branches[index].final_code = Some(code);
        if self.winner.is_some() || self.branches.iter().any(|b| b.final_code.is_none()) {
            return CalleeEvent::Handled;
        }
        let codes: Vec<u16> = self.branches.iter().filter_map(|b| b.final_code).collect();
        CalleeEvent::Failed(failure(&codes, self.skipped_busy))
    }

    /// Cancels the devices still ringing, but `except`, without waiting for their answers.
    fn cancel_ringing(&mut self, except: Option<usize>) {
        for (i, branch) in self.branches.iter_mut().enumerate() {
            if Some(i) != except {
                hangup::cancel(&self.shared, branch);
            }
        }
    }

    /// Ends the callee side: whoever answered is free at once (presence), and in the
    /// background they are hung up, what still rings is cancelled, a device whose answer
    /// crossed the end is hung up too, and the dialogs are forgotten
    /// ([`hangup::release`]). Returns at once: a phone that never answers the BYE or the
    /// CANCEL no longer holds the call for 32 s.
    pub async fn end(self) {
        drop(self);
    }
}

impl Drop for Dialer {
    fn drop(&mut self) {
        self.answered_by = None;
        if tokio::runtime::Handle::try_current().is_err() {
            return;
        }
        let branches = std::mem::take(&mut self.branches);
        let pending = std::mem::take(&mut self.pending);
        hangup::release(&self.shared, branches, self.winner, pending);
    }
}

/// The outcome of a dial that nobody answered, from the final responses of its devices:
/// busy (or declined: the person is there but will not take it) wins, then no answer for a
/// ring that timed out, else unavailable.
fn failure(codes: &[u16], skipped_busy: bool) -> Outcome {
    if skipped_busy || codes.iter().any(|&c| matches!(c, 486 | 600 | 603)) {
        Outcome::Busy
    } else if codes.iter().any(|&c| c == 408 || c == 487) {
        Outcome::NoAnswer
    } else {
        Outcome::Unavailable
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn busy_wins_then_no_answer_then_unavailable() {
        assert_eq!(failure(&[480, 486], false), Outcome::Busy);
        assert_eq!(failure(&[480], true), Outcome::Busy);
        assert_eq!(failure(&[603], false), Outcome::Busy);
        assert_eq!(failure(&[480, 408], false), Outcome::NoAnswer);
        assert_eq!(failure(&[480, 404, 503], false), Outcome::Unavailable);
    }

    #[test]
    fn an_outside_number_goes_out_on_the_trunk_the_caller_came_in_on() {
        let mut second = sb_config::demo().trunks[0].clone();
        second.name = "backup".into();
        let trunks = vec![sb_config::demo().trunks[0].clone(), second];
        let from = |name: &str| Caller::Trunk {
            name: name.into(),
            number: "+74951234567".into(),
        };
        let name = |trunk: Option<&sb_config::Trunk>| trunk.map(|t| t.name.clone());
        assert_eq!(
            name(outgoing_trunk(&trunks, &from("backup"))),
            Some("backup".into())
        );
        assert_eq!(
            name(outgoing_trunk(&trunks, &from("carrier"))),
            Some("carrier".into())
        );
        assert_eq!(
            name(outgoing_trunk(&trunks, &from("removed since"))),
            Some("carrier".into()),
            "a trunk gone from the configuration: the first"
        );
        let phone = Caller::Extension {
            number: "101".into(),
            name: "Anna".into(),
        };
        assert_eq!(
            name(outgoing_trunk(&trunks, &phone)),
            Some("carrier".into())
        );
        assert_eq!(name(outgoing_trunk(&[], &phone)), None);
    }
}
