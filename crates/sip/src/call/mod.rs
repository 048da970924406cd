//! One call through the PBX, from the INVITE to the call record: who is calling, where the
//! number leads, and then either a direct call between two parties ([`b2bua`]) or a call
//! the PBX answers and runs through a scenario ([`crate::scenario`]).

pub(crate) mod admission;
mod b2bua;
mod caller;
pub(crate) mod devices;
mod feature;
pub(crate) mod fork;
pub(crate) mod hangup;
pub(crate) mod record;

use crate::routing::{self, Route};
use crate::server::{reply, Shared};
use record::{finish, ActiveCall, CallInfo, Outcome};
use rsipstack::dialog::dialog::DialogStateReceiver;
use rsipstack::dialog::invite_dialog::InviteDialog;
use rsipstack::sip::{Header, HeadersExt, StatusCode};
use rsipstack::transaction::transaction::Transaction;
use sb_media::SdpError;
use sb_store::{CallParty, Disposition, HangupBy};
use std::sync::Arc;
use tracing::{debug, info, info_span, warn, Instrument};

/// Handles a new INVITE: admit, authenticate, route, ring, bridge, record.
pub(crate) async fn handle_invite(shared: Arc<Shared>, tx: Transaction) {
    let sip_call_id = tx
        .original
        .call_id_header()
        .map(|c| c.value().to_string())
        .unwrap_or_default();
    let id = uuid::Uuid::new_v4().to_string();
    let span = info_span!("call", call = %id, sip_call_id = %sip_call_id);
    async move {
        match shared.admission.admit(&shared) {
            Ok(active) => run_call(shared, tx, id, sip_call_id, active).await,
            Err(refusal) => refuse(&shared, tx, id, sip_call_id, &refusal).await,
        }
    }
    .instrument(span)
    .await;
}

/// Answers an INVITE the PBX has no room for: 503 with `Retry-After`, and a call record
/// saying why. Nothing else is done for it (no authentication, routing or media), so the
/// caller is named as its From header claims.
async fn refuse(
    shared: &Shared,
    mut tx: Transaction,
    id: String,
    sip_call_id: String,
    refusal: &admission::Refusal,
) {
    debug!(%refusal, "new call refused");
    let retry_after = admission::RETRY_AFTER_SECS.to_string();
    let headers = vec![Header::RetryAfter(retry_after.as_str().into())];
    reply(&mut tx, StatusCode::ServiceUnavailable, headers).await;
    let caller = CallParty {
        number: tx
            .original
            .from_header()
            .ok()
            .and_then(|f| f.uri().ok())
            .and_then(|u| u.user().map(str::to_string))
            .unwrap_or_default(),
        name: None,
        endpoint: None,
    };
    let now = shared.clock.now();
    let info = CallInfo {
        id,
        sip_call_id,
        caller,
        callee: CallParty {
            number: tx.original.uri.user().unwrap_or_default().to_string(),
            name: None,
            endpoint: None,
        },
        started_at: now,
        answered_at: None,
        missed: None,
    };
    let outcome = Outcome::new(
        Disposition::Failed,
        HangupBy::System,
        503,
        refusal.to_string(),
    );
    finish(shared, &info, outcome, Vec::new());
}

fn callee_party(route: &Route, dialled: &str) -> CallParty {
    match route {
        Route::Extension { number, name } => CallParty {
            number: number.clone(),
            name: Some(name.clone()),
            endpoint: Some(format!("extension:{number}")),
        },
        // The person's number and name, but not yet the person: that the PBX answers for
        // their box is no call answered by them (the scenario names them once they do).
        Route::ExtensionWithVoicemail { number, name } => CallParty {
            number: number.clone(),
            name: Some(name.clone()),
            endpoint: Some(format!(
                "scenario:{}",
                crate::plan::extension_scenario(number)
            )),
        },
        Route::Trunk { trunk, number } => CallParty {
            number: number.clone(),
            name: None,
            endpoint: Some(format!("trunk:{trunk}")),
        },
        Route::Scenario { name } => CallParty {
            number: dialled.to_string(),
            name: None,
            endpoint: Some(format!("scenario:{name}")),
        },
        Route::Feature { code } => CallParty {
            number: code.clone(),
            name: None,
            endpoint: Some(format!("feature:{code}")),
        },
        Route::Queue { name } => CallParty {
            number: dialled.to_string(),
            name: None,
            endpoint: Some(format!("queue:{name}")),
        },
        Route::AgentCode { .. } | Route::Mailbox { .. } => CallParty {
            number: dialled.to_string(),
            name: None,
            endpoint: Some(format!("feature:{dialled}")),
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

pub(crate) fn status(code: u16) -> StatusCode {
    StatusCode::from(code)
}

/// Refuses an unusable SDP: 488 when there is nothing to agree on, 400 when it is broken.
pub(crate) fn sdp_refusal(e: &SdpError) -> Outcome {
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

/// The caller's leg as a server dialog, with the channel of its events (BYE, CANCEL,
/// re-INVITE, INFO); the INVITE transaction is handled in the background.
pub(crate) async fn caller_dialog(
    shared: &Shared,
    tx: Transaction,
) -> Result<(InviteDialog, DialogStateReceiver), Outcome> {
    let (state_tx, events) = shared.dialogs.new_dialog_state_channel();
    let dialog = match shared.dialogs.get_or_create_server_invite(
        &tx,
        state_tx,
        None,
        Some(shared.contact.clone()),
    ) {
        Ok(dialog) => dialog,
        Err(e) => {
            warn!(error = %e, "cannot create the caller's dialog");
            let mut tx = tx;
            reply(&mut tx, StatusCode::ServerInternalError, vec![]).await;
            return Err(Outcome::new(
                Disposition::Failed,
                HangupBy::System,
                500,
                "dialog error",
            ));
        }
    };
    let mut handler = dialog.clone();
    tokio::spawn(
        async move {
            let mut tx = tx;
            if let Err(e) = handler.handle(&mut tx).await {
                debug!(error = %e, "caller INVITE transaction ended with an error");
            }
        }
        .in_current_span(),
    );
    Ok((dialog, events))
}

pub(crate) fn sdp_headers() -> Vec<Header> {
    vec![Header::ContentType("application/sdp".into())]
}

async fn run_call(
    shared: Arc<Shared>,
    mut tx: Transaction,
    id: String,
    sip_call_id: String,
    _active: ActiveCall,
) {
    let plan = shared.plan();
    let Some(caller) = caller::identify_caller(&shared, &plan.config, &mut tx).await else {
        return;
    };
    let dialled = tx.original.uri.user().unwrap_or_default().to_string();
    let route = routing::route(&plan.config, &caller, &dialled);
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
        missed: None,
    };
    let _caller_busy = caller
        .extension()
        .map(|number| shared.presence.enter(number));

    if let Route::Feature { code } = &route {
        let outcome = feature::run(&shared, &plan, tx, caller.extension(), code, &mut info).await;
        finish(&shared, &info, outcome, Vec::new());
        return;
    }
    if let Route::AgentCode { code } = &route {
        let outcome = feature::agent_code(&shared, tx, caller.extension(), *code, &mut info).await;
        finish(&shared, &info, outcome, Vec::new());
        return;
    }
    if let Route::Mailbox { code } = &route {
        let outcome = crate::mailbox::run(&shared, &plan, tx, &caller, *code, &mut info).await;
        finish(&shared, &info, outcome, Vec::new());
        return;
    }
    let scenario = match &route {
        Route::Scenario { name } => Some(name.clone()),
        Route::Queue { name } => Some(crate::plan::queue_scenario(name)),
        Route::ExtensionWithVoicemail { number, .. } => {
            Some(crate::plan::extension_scenario(number))
        }
        _ => None,
    };
    if let Some(name) = &scenario {
        let (outcome, trace) =
            crate::scenario::run(&shared, &plan, tx, &caller, name, &dialled, &mut info).await;
        finish(&shared, &info, outcome, trace);
        return;
    }
    let prepared = b2bua::prepare(&shared, &plan.config, &tx, &route).await;
    let (targets, bridge, offer) = match prepared {
        Ok(prepared) => prepared,
        Err(outcome) => {
            reply(&mut tx, status(outcome.cause), vec![]).await;
            finish(&shared, &info, outcome, Vec::new());
            return;
        }
    };
    let callee_extension = match &route {
        Route::Extension { number, .. } => Some(number.as_str()),
        _ => None,
    };
    let outcome = b2bua::bridge_call(
        &shared,
        &plan.config,
        tx,
        &caller,
        callee_extension,
        targets,
        bridge,
        offer,
        &mut info,
    )
    .await;
    finish(&shared, &info, outcome, Vec::new());
}
