//! A direct call as a back-to-back user agent: the caller's leg (A) is a server dialog,
//! every device of the callee is rung as a client dialog (B, forked in parallel), the first
//! to answer wins and the others are cancelled; media is anchored in a bridge, and hold
//! re-INVITEs pass through with their SDP rewritten.

use super::devices::{best_failure, failure_outcome, targets, Target};
use super::fork::{invite_all, note_hang_up, Branch, BranchResult, From};
use super::hangup;
use super::record::{CallInfo, Outcome};
use super::{caller_dialog, sdp_headers, sdp_refusal, status};
use crate::routing::{Caller, Route};
use crate::server::Shared;
use rsipstack::dialog::dialog::{DialogState, TerminatedReason, TransactionHandle};
use rsipstack::dialog::invite_dialog::InviteDialog;
use rsipstack::sip::{Request, StatusCode, StatusCodeKind, Uri};
use rsipstack::transaction::transaction::Transaction;
use sb_config::Config;
use sb_media::{Bridge, Leg, SdpKind};
use sb_store::{Disposition, HangupBy};
use std::sync::Arc;
use std::time::Duration;
use tracing::{debug, info, warn, Instrument};

/// Everything that can refuse the call before anything rings: targets, media ports, SDP.
pub(super) async fn prepare(
    shared: &Shared,
    config: &Config,
    tx: &Transaction,
    route: &Route,
) -> Result<(Vec<Target>, Arc<Bridge>, Vec<u8>), Outcome> {
    let targets = targets(shared, config, route)?;
    if tx.original.body.is_empty() {
        return Err(Outcome::new(
            Disposition::Failed,
            HangupBy::System,
            488,
            "INVITE without SDP (late offer is not supported)",
        ));
    }
    let bridge = shared.media.open_bridge().await.map_err(|e| {
        warn!(error = %e, "no media ports for the call");
        Outcome::new(Disposition::Failed, HangupBy::System, 503, "no media ports")
    })?;
    let offer = bridge
        .rewrite(Leg::Caller, SdpKind::Offer, &tx.original.body)
        .map_err(|e| sdp_refusal(&e))?;
    Ok((targets, Arc::new(bridge), offer))
}

#[allow(clippy::too_many_arguments)]
pub(super) async fn bridge_call(
    shared: &Arc<Shared>,
    config: &Config,
    tx: Transaction,
    caller: &Caller,
    callee_extension: Option<&str>,
    targets: Vec<Target>,
    bridge: Arc<Bridge>,
    offer: Vec<u8>,
    info: &mut CallInfo,
) -> Outcome {
    let (a_dialog, mut a_events) = match caller_dialog(shared, tx).await {
        Ok(dialog) => dialog,
        Err(outcome) => return outcome,
    };

    let (b_state_tx, mut b_events) = shared.dialogs.new_dialog_state_channel();
    let from_uri = format!("sip:{}@{}", caller.number(), config.pbx.domain);
    let Ok(caller_uri) = Uri::try_from(from_uri.as_str()) else {
        a_dialog.reject(Some(StatusCode::BadRequest), None).ok();
        return Outcome::new(
            Disposition::Failed,
            HangupBy::System,
            400,
            "bad caller number",
        );
    };
    let from = From {
        uri: &caller_uri,
        display_name: caller.name(),
    };
    let devices = targets.into_iter().map(|t| ((), t));
    let (mut branches, mut pending) = invite_all(shared, from, devices, &offer, &b_state_tx);
    if branches.is_empty() {
        a_dialog
            .reject(Some(StatusCode::TemporarilyUnavailable), None)
            .ok();
        return Outcome::new(
            Disposition::Failed,
            HangupBy::System,
            480,
            "no device could be rung",
        );
    }

    let ring_timeout = tokio::time::sleep(Duration::from_secs(config.pbx.ring_timeout_secs));
    tokio::pin!(ring_timeout);
    let inactivity = {
        let bridge = bridge.clone();
        async move { bridge.inactive().await }
    };
    tokio::pin!(inactivity);
    let mut winner: Option<usize> = None;
    let mut ringing_sent = false;
    let mut callee_busy = None;

    let outcome = loop {
        // Biased: the callee's 180 and 200 can be ready together, and the 180 must reach the
        // caller first, so dialog events are taken before branch results.
        tokio::select! {
            biased;
            event = a_events.recv() => match event {
                Some(DialogState::Terminated(_, reason)) => {
                    break caller_ended(winner, reason);
                }
                Some(DialogState::Updated(_, request, handle)) => {
                    if let Some(w) = winner {
                        forward_reoffer(bridge.clone(), Leg::Caller, request, handle, branches[w].dialog.clone());
                    } else {
                        handle.reply(StatusCode::RequestPending).await.ok();
                    }
                }
                Some(DialogState::Info(_, _, handle)) | Some(DialogState::Options(_, _, handle)) => {
                    handle.reply(StatusCode::OK).await.ok();
                }
                Some(_) => {}
                None => break Outcome::new(Disposition::Failed, HangupBy::System, 500, "caller dialog lost"),
            },
            event = b_events.recv() => match event {
                Some(DialogState::Early(id, response)) if winner.is_none() => {
                    if !response.body.is_empty() {
                        match bridge.rewrite(Leg::Callee, SdpKind::Answer, &response.body) {
                            Ok(sdp) => { a_dialog.ringing(Some(sdp_headers()), Some(sdp)).ok(); }
                            Err(e) => warn!(error = %e, branch = %id, "early media SDP ignored"),
                        }
                    } else if !ringing_sent {
                        a_dialog.ringing(None, None).ok();
                    }
                    ringing_sent = true;
                }
                Some(DialogState::Terminated(id, reason)) => {
                    let hung_up = note_hang_up(&mut branches, &id, &reason);
                    if hung_up.is_some() && hung_up == winner {
                        hangup::hang_up(shared, &a_dialog);
                        break callee_hung_up();
                    }
                    if winner.is_some_and(|w| branches[w].dialog.id().call_id == id.call_id) {
                        debug!(?reason, "answered branch terminated");
                    }
                }
                Some(DialogState::Updated(id, request, handle)) => {
                    if winner.is_some_and(|w| branches[w].dialog.id().call_id == id.call_id) {
                        forward_reoffer(bridge.clone(), Leg::Callee, request, handle, a_dialog.clone());
                    } else {
                        handle.reply(StatusCode::CallTransactionDoesNotExist).await.ok();
                    }
                }
                Some(DialogState::Info(_, _, handle)) | Some(DialogState::Options(_, _, handle)) => {
                    handle.reply(StatusCode::OK).await.ok();
                }
                Some(_) => {}
                None => break Outcome::new(Disposition::Failed, HangupBy::System, 500, "callee dialogs lost"),
            },
            Some(done) = pending.join_next() => {
                let Ok((index, result)) = done else { continue };
                if let Some(outcome) = branch_finished(shared, &mut branches, &mut winner, index, result, &bridge, &a_dialog, info) {
                    break outcome;
                }
                if winner.is_some_and(|w| branches[w].hung_up) {
                    // Their BYE was taken before their answer.
                    hangup::hang_up(shared, &a_dialog);
                    break callee_hung_up();
                }
                if winner.is_some() && callee_busy.is_none() {
                    callee_busy = callee_extension.map(|number| shared.presence.enter(number));
                }
            }
            () = &mut ring_timeout, if winner.is_none() => {
                info!(secs = config.pbx.ring_timeout_secs, "ring timeout");
                a_dialog.reject(Some(StatusCode::TemporarilyUnavailable), Some("ring timeout".into())).ok();
                break Outcome::new(Disposition::NoAnswer, HangupBy::System, 480, "ring timeout");
            }
            () = &mut inactivity, if winner.is_some() => {
                warn!("no RTP in either direction: ending the call");
                hangup::hang_up(shared, &a_dialog);
                break Outcome::new(Disposition::Answered, HangupBy::System, 200, "rtp timeout");
            }
            () = shared.hangup_all.cancelled() => {
                if winner.is_some() {
                    hangup::hang_up(shared, &a_dialog);
                } else {
                    a_dialog.reject(Some(StatusCode::ServiceUnavailable), Some("shutdown".into())).ok();
                }
                let disposition = if winner.is_some() { Disposition::Answered } else { Disposition::Failed };
                break Outcome::new(disposition, HangupBy::System, 503, "shutdown");
            }
        }
    };

    // The callee side ends in the background: BYE to who answered, CANCEL to what still
    // rings, and a BYE to a device whose answer crossed the end.
    hangup::release(shared, branches, winner, pending);
    drop(callee_busy);
    shared.dialogs.remove_dialog(&a_dialog.id());
    info!(disposition = ?outcome.disposition, reason = %outcome.reason, "call ended");
    outcome
}

fn callee_hung_up() -> Outcome {
    Outcome::new(
        Disposition::Answered,
        HangupBy::Callee,
        200,
        "callee hung up",
    )
}

/// The caller's dialog ended: a CANCEL before the answer, a BYE after it, or a missing ACK.
/// The callee side is ended after the loop.
fn caller_ended(winner: Option<usize>, reason: TerminatedReason) -> Outcome {
    match winner {
        Some(_) => match reason {
            TerminatedReason::UacBye => Outcome::new(
                Disposition::Answered,
                HangupBy::Caller,
                200,
                "caller hung up",
            ),
            other => Outcome::new(
                Disposition::Answered,
                HangupBy::System,
                408,
                format!("caller dialog ended: {other:?}"),
            ),
        },
        None => Outcome::new(
            Disposition::Cancelled,
            HangupBy::Caller,
            487,
            "caller cancelled",
        ),
    }
}

#[allow(clippy::too_many_arguments)]
fn branch_finished(
    shared: &Shared,
    branches: &mut [Branch<()>],
    winner: &mut Option<usize>,
    index: usize,
    result: BranchResult,
    bridge: &Bridge,
    a_dialog: &InviteDialog,
    info: &mut CallInfo,
) -> Option<Outcome> {
    let response = match result {
        Ok((confirmed_id, Some(response))) => {
            if response.status_code.kind() == StatusCodeKind::Successful {
                branches[index].confirmed = Some(confirmed_id);
            }
            response
        }
        Ok((_, None)) => {
            branches[index].final_code = Some(408);
            return all_failed(branches, a_dialog);
        }
        Err(e) => {
            debug!(branch = index, error = %e, "branch failed");
            branches[index].final_code = Some(503);
            return all_failed(branches, a_dialog);
        }
    };
    let code = response.status_code.code();
    if response.status_code.kind() != StatusCodeKind::Successful {
        branches[index].final_code = Some(code);
        return all_failed(branches, a_dialog);
    }
    if winner.is_some() {
        // A second device answered a forked INVITE: it is not needed.
        hangup::hang_up(shared, &branches[index].dialog);
        return None;
    }
    *winner = Some(index);
    for (i, branch) in branches.iter_mut().enumerate() {
        if i != index {
            hangup::cancel(shared, branch);
        }
    }
    match bridge.rewrite(Leg::Callee, SdpKind::Answer, &response.body) {
        Ok(sdp) => {
            if let Err(e) = a_dialog.accept(Some(sdp_headers()), Some(sdp)) {
                warn!(error = %e, "cannot answer the caller");
            }
            info.answered_at = Some(shared.clock.now());
            info!(branch = index, "answered");
            None
        }
        Err(e) => {
            // The answered device is hung up with the rest, as the winner.
            let outcome = sdp_refusal(&e);
            a_dialog
                .reject(Some(StatusCode::NotAcceptableHere), None)
                .ok();
            Some(outcome)
        }
    }
}

/// When every branch has a final failure, answers the caller with the most useful one.
fn all_failed(branches: &[Branch<()>], a_dialog: &InviteDialog) -> Option<Outcome> {
    if branches.iter().any(|b| b.final_code.is_none()) {
        return None;
    }
    let code = best_failure(branches.iter().filter_map(|b| b.final_code));
    a_dialog.reject(Some(status(code)), None).ok();
    Some(failure_outcome(code))
}

/// Passes a re-INVITE (hold, unhold, codec change) from one leg to the other, with the SDP
/// rewritten through the bridge, and relays the answer back.
fn forward_reoffer(
    bridge: Arc<Bridge>,
    from: Leg,
    request: Request,
    handle: TransactionHandle,
    other: InviteDialog,
) {
    let other_leg = match from {
        Leg::Caller => Leg::Callee,
        Leg::Callee => Leg::Caller,
    };
    tokio::spawn(
        async move {
            if request.body.is_empty() {
                handle.reply(StatusCode::OK).await.ok();
                return;
            }
            let offer = match bridge.rewrite(from, SdpKind::Offer, &request.body) {
                Ok(offer) => offer,
                Err(e) => {
                    warn!(error = %e, "re-INVITE with unusable SDP");
                    handle.reply(StatusCode::NotAcceptableHere).await.ok();
                    return;
                }
            };
            match other.reinvite(Some(sdp_headers()), Some(offer)).await {
                Ok(Some(response)) if response.status_code.kind() == StatusCodeKind::Successful => {
                    match bridge.rewrite(other_leg, SdpKind::Answer, &response.body) {
                        Ok(answer) => {
                            handle
                                .respond(StatusCode::OK, Some(sdp_headers()), Some(answer))
                                .await
                                .ok();
                        }
                        Err(e) => {
                            warn!(error = %e, "re-INVITE answer with unusable SDP");
                            handle.reply(StatusCode::NotAcceptableHere).await.ok();
                        }
                    }
                }
                Ok(Some(response)) => {
                    handle.reply(response.status_code.clone()).await.ok();
                }
                Ok(None) | Err(_) => {
                    handle.reply(StatusCode::ServerInternalError).await.ok();
                }
            }
        }
        .in_current_span(),
    );
}
