//! One call through the PBX as a back-to-back user agent: the caller's leg (A) is a server
//! dialog, every device of the callee is rung as a client dialog (B, forked in parallel),
//! the first to answer wins and the others are cancelled; media is anchored in a bridge.
//! The task owns the call from the INVITE to the call record.

use crate::auth::{authenticate, challenge, claimed_user, AuthHeader, Authenticated};
use crate::routing::{self, Caller, Route};
use crate::server::{reply, source_addr, Shared};
use chrono::{DateTime, Utc};
use rsipstack::dialog::dialog::{DialogState, TerminatedReason, TransactionHandle};
use rsipstack::dialog::invitation::InviteOption;
use rsipstack::dialog::invite_dialog::InviteDialog;
use rsipstack::dialog::DialogId;
use rsipstack::sip::{
    Header, HeadersExt, Request, Response, StatusCode, StatusCodeKind, Transport, Uri,
};
use rsipstack::transaction::transaction::Transaction;
use rsipstack::transport::SipAddr;
use sb_media::{Bridge, Leg, SdpError, SdpKind};
use sb_store::{CallParty, CallRecord, Disposition, HangupBy};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;
use tokio::task::JoinSet;
use tracing::{debug, info, info_span, warn, Instrument};

/// How the call ended, as the call record tells it.
struct Outcome {
    disposition: Disposition,
    hangup_by: HangupBy,
    cause: u16,
    reason: String,
}

impl Outcome {
    fn new(
        disposition: Disposition,
        hangup_by: HangupBy,
        cause: u16,
        reason: impl Into<String>,
    ) -> Self {
        Outcome {
            disposition,
            hangup_by,
            cause,
            reason: reason.into(),
        }
    }
}

/// One device being rung.
struct Target {
    uri: Uri,
    destination: SipAddr,
}

/// What is known of the call before it is routed, for its record.
struct CallInfo {
    id: String,
    sip_call_id: String,
    caller: CallParty,
    callee: CallParty,
    started_at: DateTime<Utc>,
    answered_at: Option<DateTime<Utc>>,
}

/// Keeps the count of calls in progress exact, whichever way the call task ends.
struct ActiveCall(Arc<Shared>);

impl ActiveCall {
    fn enter(shared: &Arc<Shared>) -> Self {
        shared.active_calls.fetch_add(1, Ordering::SeqCst);
        ActiveCall(shared.clone())
    }
}

impl Drop for ActiveCall {
    fn drop(&mut self) {
        self.0.active_calls.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Handles a new INVITE: authenticate, route, ring, bridge, record.
pub(crate) async fn handle_invite(shared: Arc<Shared>, tx: Transaction) {
    let sip_call_id = tx
        .original
        .call_id_header()
        .map(|c| c.value().to_string())
        .unwrap_or_default();
    let id = uuid::Uuid::new_v4().to_string();
    let span = info_span!("call", call = %id, sip_call_id = %sip_call_id);
    run_call(shared, tx, id, sip_call_id).instrument(span).await;
}

async fn identify_caller(shared: &Shared, tx: &mut Transaction) -> Option<Caller> {
    let source = source_addr(tx);
    let from_user = tx
        .original
        .from_header()
        .ok()
        .and_then(|f| f.uri().ok())
        .and_then(|u| u.user().map(str::to_string))
        .unwrap_or_default();
    if let Some(trunk) = shared.config.trunk_for_source(source) {
        return Some(Caller::Trunk {
            name: trunk.name.clone(),
            number: from_user,
        });
    }
    let claimed = claimed_user(tx, AuthHeader::Proxy);
    let Some(extension) = claimed
        .as_deref()
        .and_then(|user| shared.config.extension(user))
        .cloned()
    else {
        if claimed.is_some() {
            warn!(%source, user = ?claimed, "call from an unknown user");
            reply(tx, StatusCode::Forbidden, vec![]).await;
        } else {
            challenge(shared, tx, AuthHeader::Proxy, false).await;
        }
        return None;
    };
    match authenticate(shared, tx, AuthHeader::Proxy, &extension).await {
        Authenticated::Yes => Some(Caller::Extension {
            number: extension.number.clone(),
            name: extension.name.clone(),
        }),
        Authenticated::Answered => None,
    }
}

fn sip_addr(addr: std::net::SocketAddr, transport: &str) -> SipAddr {
    let transport = if transport.eq_ignore_ascii_case("tcp") {
        Transport::Tcp
    } else {
        Transport::Udp
    };
    SipAddr::new(transport, addr.into())
}

/// The devices to ring for a route, or the outcome when there are none.
fn targets(shared: &Shared, route: &Route) -> Result<Vec<Target>, Outcome> {
    match route {
        Route::Extension { number, .. } => {
            let bindings = shared
                .location
                .lock()
                .lookup(number, std::time::Instant::now());
            if bindings.is_empty() {
                return Err(Outcome::new(
                    Disposition::Failed,
                    HangupBy::System,
                    480,
                    "not registered",
                ));
            }
            Ok(bindings
                .iter()
                .filter_map(|b| {
                    let uri = Uri::try_from(b.contact.as_str()).ok()?;
                    Some(Target {
                        uri,
                        destination: sip_addr(b.source, &b.transport),
                    })
                })
                .collect())
        }
        Route::Trunk { trunk, number } => {
            let Some(trunk) = shared.config.trunks.iter().find(|t| &t.name == trunk) else {
                return Err(Outcome::new(
                    Disposition::Failed,
                    HangupBy::System,
                    503,
                    "trunk missing",
                ));
            };
            let uri = Uri::try_from(format!("sip:{number}@{}", trunk.outbound_address).as_str())
                .map_err(|_| {
                    Outcome::new(Disposition::Failed, HangupBy::System, 484, "bad number")
                })?;
            Ok(vec![Target {
                uri,
                destination: sip_addr(trunk.outbound_address, "udp"),
            }])
        }
        Route::NotAvailable { target } => {
            warn!(%target, "this target is not served yet");
            Err(Outcome::new(
                Disposition::Failed,
                HangupBy::System,
                480,
                format!("{target} not available"),
            ))
        }
        Route::NotFound => Err(Outcome::new(
            Disposition::Failed,
            HangupBy::System,
            404,
            "unknown number",
        )),
    }
}

fn callee_party(route: &Route, dialled: &str) -> CallParty {
    match route {
        Route::Extension { number, name } => CallParty {
            number: number.clone(),
            name: Some(name.clone()),
            endpoint: Some(format!("extension:{number}")),
        },
        Route::Trunk { trunk, number } => CallParty {
            number: number.clone(),
            name: None,
            endpoint: Some(format!("trunk:{trunk}")),
        },
        Route::NotAvailable { target } => CallParty {
            number: dialled.to_string(),
            name: None,
            endpoint: Some(target.clone()),
        },
        Route::NotFound => CallParty {
            number: dialled.to_string(),
            name: None,
            endpoint: None,
        },
    }
}

fn status(code: u16) -> StatusCode {
    StatusCode::from(code)
}

async fn run_call(shared: Arc<Shared>, mut tx: Transaction, id: String, sip_call_id: String) {
    let Some(caller) = identify_caller(&shared, &mut tx).await else {
        return;
    };
    let dialled = tx.original.uri.user().unwrap_or_default().to_string();
    let route = routing::route(&shared.config, &caller, &dialled);
    info!(caller = %caller.number(), %dialled, ?route, "new call");
    let mut info = CallInfo {
        id,
        sip_call_id,
        caller: CallParty {
            number: caller.number().to_string(),
            name: caller.name().map(str::to_string),
            endpoint: Some(caller.endpoint()),
        },
        callee: callee_party(&route, &dialled),
        started_at: shared.clock.now(),
        answered_at: None,
    };
    let _active = ActiveCall::enter(&shared);

    let prepared = prepare(&shared, &tx, &route).await;
    let (targets, bridge, offer) = match prepared {
        Ok(prepared) => prepared,
        Err(outcome) => {
            reply(&mut tx, status(outcome.cause), vec![]).await;
            finish(&shared, &info, outcome);
            return;
        }
    };
    let outcome = bridge_call(&shared, tx, &caller, targets, bridge, offer, &mut info).await;
    finish(&shared, &info, outcome);
}

/// Everything that can refuse the call before anything rings: targets, media ports, SDP.
async fn prepare(
    shared: &Shared,
    tx: &Transaction,
    route: &Route,
) -> Result<(Vec<Target>, Arc<Bridge>, Vec<u8>), Outcome> {
    let targets = targets(shared, route)?;
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

fn sdp_refusal(e: &SdpError) -> Outcome {
    warn!(error = %e, "unusable SDP");
    let cause = match e {
        SdpError::NoCommonCodec | SdpError::NoAudio => 488,
        _ => 400,
    };
    Outcome::new(
        Disposition::Failed,
        HangupBy::System,
        cause,
        format!("SDP: {e}"),
    )
}

fn sdp_headers() -> Vec<Header> {
    vec![Header::ContentType("application/sdp".into())]
}

/// How a branch's INVITE ended: its dialog id and final response, or why it failed.
type BranchResult = Result<(DialogId, Option<Response>), String>;

/// A forked branch: one device of the callee.
struct Branch {
    dialog: InviteDialog,
    final_code: Option<u16>,
    confirmed: Option<DialogId>,
}

/// The final response to give the caller when no device answered (RFC 3261 §16.7 in spirit:
/// busy wins over unavailable, so the caller hears the most useful tone).
fn best_failure(codes: impl Iterator<Item = u16>) -> u16 {
    let codes: Vec<u16> = codes.collect();
    if codes.iter().any(|&c| c == 486 || c == 600) {
        486
    } else if let Some(&c) = codes.iter().find(|&&c| c >= 600) {
        c
    } else {
        480
    }
}

fn failure_outcome(code: u16) -> Outcome {
    match code {
        486 | 600 | 603 => Outcome::new(Disposition::Busy, HangupBy::Callee, code, "busy"),
        _ => Outcome::new(
            Disposition::NoAnswer,
            HangupBy::Callee,
            code,
            "no device answered",
        ),
    }
}

#[allow(clippy::too_many_arguments)]
async fn bridge_call(
    shared: &Arc<Shared>,
    tx: Transaction,
    caller: &Caller,
    targets: Vec<Target>,
    bridge: Arc<Bridge>,
    offer: Vec<u8>,
    info: &mut CallInfo,
) -> Outcome {
    let (a_state_tx, mut a_events) = shared.dialogs.new_dialog_state_channel();
    let a_dialog = match shared.dialogs.get_or_create_server_invite(
        &tx,
        a_state_tx,
        None,
        Some(shared.contact.clone()),
    ) {
        Ok(dialog) => dialog,
        Err(e) => {
            warn!(error = %e, "cannot create the caller's dialog");
            let mut tx = tx;
            reply(&mut tx, StatusCode::ServerInternalError, vec![]).await;
            return Outcome::new(Disposition::Failed, HangupBy::System, 500, "dialog error");
        }
    };
    let mut a_handler = a_dialog.clone();
    tokio::spawn(
        async move {
            let mut tx = tx;
            if let Err(e) = a_handler.handle(&mut tx).await {
                debug!(error = %e, "caller INVITE transaction ended with an error");
            }
        }
        .in_current_span(),
    );

    let (b_state_tx, mut b_events) = shared.dialogs.new_dialog_state_channel();
    let from_uri = format!("sip:{}@{}", caller.number(), shared.config.pbx.domain);
    let Ok(caller_uri) = Uri::try_from(from_uri.as_str()) else {
        a_dialog.reject(Some(StatusCode::BadRequest), None).ok();
        return Outcome::new(
            Disposition::Failed,
            HangupBy::System,
            400,
            "bad caller number",
        );
    };
    let mut branches: Vec<Branch> = Vec::new();
    let mut pending: JoinSet<(usize, BranchResult)> = JoinSet::new();
    for target in targets {
        let option = InviteOption {
            caller_display_name: caller.name().map(str::to_string),
            caller: caller_uri.clone(),
            callee: target.uri,
            destination: Some(target.destination),
            content_type: Some("application/sdp".into()),
            offer: Some(offer.clone()),
            contact: shared.contact.clone(),
            ..Default::default()
        };
        match shared.dialogs.do_invite_async(option, b_state_tx.clone()) {
            Ok((dialog, handle)) => {
                let index = branches.len();
                branches.push(Branch {
                    dialog,
                    final_code: None,
                    confirmed: None,
                });
                pending.spawn(async move {
                    let result = match handle.await {
                        Ok(Ok(answer)) => Ok(answer),
                        Ok(Err(e)) => Err(e.to_string()),
                        Err(e) => Err(format!("branch task: {e}")),
                    };
                    (index, result)
                });
            }
            Err(e) => warn!(error = %e, "cannot ring a device"),
        }
    }
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

    let ring_timeout = tokio::time::sleep(Duration::from_secs(shared.config.pbx.ring_timeout_secs));
    tokio::pin!(ring_timeout);
    let inactivity = {
        let bridge = bridge.clone();
        async move { bridge.inactive().await }
    };
    tokio::pin!(inactivity);
    let mut winner: Option<usize> = None;
    let mut ringing_sent = false;

    let outcome = loop {
        // Biased: the callee's 180 and 200 can be ready together, and the 180 must reach the
        // caller first, so dialog events are taken before branch results.
        tokio::select! {
            biased;
            event = a_events.recv() => match event {
                Some(DialogState::Terminated(_, reason)) => {
                    break caller_ended(&branches, winner, reason).await;
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
                    if let Some(w) = winner.filter(|&w| branches[w].dialog.id().call_id == id.call_id) {
                        if matches!(reason, TerminatedReason::UasBye) {
                            a_dialog.bye().await.ok();
                            break Outcome::new(Disposition::Answered, HangupBy::Callee, 200, "callee hung up");
                        }
                        debug!(branch = w, ?reason, "answered branch terminated");
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
                if let Some(outcome) = branch_finished(&mut branches, &mut winner, index, result, &bridge, &a_dialog, info, shared).await {
                    break outcome;
                }
            }
            () = &mut ring_timeout, if winner.is_none() => {
                info!(secs = shared.config.pbx.ring_timeout_secs, "ring timeout");
                cancel_branches(&branches, None).await;
                a_dialog.reject(Some(StatusCode::TemporarilyUnavailable), Some("ring timeout".into())).ok();
                break Outcome::new(Disposition::NoAnswer, HangupBy::System, 480, "ring timeout");
            }
            () = &mut inactivity, if winner.is_some() => {
                warn!("no RTP in either direction: ending the call");
                hang_up_both(&a_dialog, &branches, winner).await;
                break Outcome::new(Disposition::Answered, HangupBy::System, 200, "rtp timeout");
            }
            () = shared.hangup_all.cancelled() => {
                if winner.is_some() {
                    hang_up_both(&a_dialog, &branches, winner).await;
                } else {
                    cancel_branches(&branches, None).await;
                    a_dialog.reject(Some(StatusCode::ServiceUnavailable), Some("shutdown".into())).ok();
                }
                let disposition = if winner.is_some() { Disposition::Answered } else { Disposition::Failed };
                break Outcome::new(disposition, HangupBy::System, 503, "shutdown");
            }
        }
    };

    pending.abort_all();
    shared.dialogs.remove_dialog(&a_dialog.id());
    for branch in &branches {
        shared.dialogs.remove_dialog(&branch.dialog.id());
        if let Some(id) = &branch.confirmed {
            shared.dialogs.remove_dialog(id);
        }
    }
    info!(disposition = ?outcome.disposition, reason = %outcome.reason, "call ended");
    outcome
}

/// The caller's dialog ended: a CANCEL before the answer, a BYE after it, or a missing ACK.
async fn caller_ended(
    branches: &[Branch],
    winner: Option<usize>,
    reason: TerminatedReason,
) -> Outcome {
    match winner {
        Some(w) => {
            branches[w].dialog.bye().await.ok();
            match reason {
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
            }
        }
        None => {
            cancel_branches(branches, None).await;
            Outcome::new(
                Disposition::Cancelled,
                HangupBy::Caller,
                487,
                "caller cancelled",
            )
        }
    }
}

#[allow(clippy::too_many_arguments)]
async fn branch_finished(
    branches: &mut [Branch],
    winner: &mut Option<usize>,
    index: usize,
    result: BranchResult,
    bridge: &Bridge,
    a_dialog: &InviteDialog,
    info: &mut CallInfo,
    shared: &Shared,
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
        branches[index].dialog.bye().await.ok();
        return None;
    }
    *winner = Some(index);
    cancel_branches(branches, Some(index)).await;
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
            let outcome = sdp_refusal(&e);
            branches[index].dialog.bye().await.ok();
            a_dialog
                .reject(Some(StatusCode::NotAcceptableHere), None)
                .ok();
            Some(outcome)
        }
    }
}

/// When every branch has a final failure, answers the caller with the most useful one.
fn all_failed(branches: &[Branch], a_dialog: &InviteDialog) -> Option<Outcome> {
    if branches.iter().any(|b| b.final_code.is_none()) {
        return None;
    }
    let code = best_failure(branches.iter().filter_map(|b| b.final_code));
    a_dialog.reject(Some(status(code)), None).ok();
    Some(failure_outcome(code))
}

async fn cancel_branches(branches: &[Branch], except: Option<usize>) {
    for (i, branch) in branches.iter().enumerate() {
        if Some(i) != except && branch.final_code.is_none() {
            branch.dialog.cancel().await.ok();
        }
    }
}

async fn hang_up_both(a_dialog: &InviteDialog, branches: &[Branch], winner: Option<usize>) {
    a_dialog.bye().await.ok();
    if let Some(w) = winner {
        branches[w].dialog.bye().await.ok();
    }
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

fn finish(shared: &Shared, info: &CallInfo, outcome: Outcome) {
    let record = CallRecord {
        id: info.id.clone(),
        sip_call_id: info.sip_call_id.clone(),
        caller: info.caller.clone(),
        callee: info.callee.clone(),
        started_at: info.started_at,
        answered_at: info.answered_at,
        ended_at: shared.clock.now(),
        disposition: outcome.disposition,
        hangup_by: outcome.hangup_by,
        sip_cause: outcome.cause,
        reason: outcome.reason,
    };
    shared.records.submit(record);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn busy_wins_over_unavailable() {
        assert_eq!(best_failure([480, 486, 408].into_iter()), 486);
        assert_eq!(best_failure([480, 408].into_iter()), 480);
        assert_eq!(best_failure([603, 480].into_iter()), 603);
    }

    #[test]
    fn failures_map_to_dispositions() {
        assert_eq!(failure_outcome(486).disposition, Disposition::Busy);
        assert_eq!(failure_outcome(603).disposition, Disposition::Busy);
        assert_eq!(failure_outcome(480).disposition, Disposition::NoAnswer);
    }
}
