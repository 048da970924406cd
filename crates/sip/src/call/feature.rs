//! Star codes dialled from a phone (`[[feature_code]]`): today the manual schedule
//! override, "we close early today" by `*51` from the secretary's phone.
//!
//! The PBX answers, sets or removes the override, confirms with a beep and hangs up; a
//! phone not in the code's `allowed` list gets 403.

use super::record::{CallInfo, Outcome};
use super::{caller_dialog, sdp_headers, sdp_refusal, status};
use crate::plan::Plan;
use crate::routing::AgentCode;
use crate::server::{reply, Shared};
use rsipstack::sip::StatusCode;
use rsipstack::transaction::transaction::Transaction;
use sb_config::FeatureCode;
use sb_flow::schedule::Override;
use sb_media::tones::ToneKind;
use sb_media::EndpointEvent;
use sb_store::{Disposition, HangupBy};
use std::time::Duration;
use tracing::{info, warn};

/// The confirmation beep never takes longer than this to play.
const CONFIRMATION_WAIT: Duration = Duration::from_secs(3);

/// Carries out `code` dialled by `extension`.
pub(super) async fn run(
    shared: &Shared,
    plan: &Plan,
    mut tx: Transaction,
    extension: Option<&str>,
    code: &str,
    info: &mut CallInfo,
) -> Outcome {
    let Some(feature) = plan.config.feature_code(code) else {
        reply(&mut tx, StatusCode::NotFound, vec![]).await;
        return Outcome::new(Disposition::Failed, HangupBy::System, 404, "unknown code");
    };
    let Some(extension) = extension.filter(|e| feature.is_allowed(e)) else {
        warn!(
            code,
            ?extension,
            "feature code dialled from a phone not allowed to"
        );
        reply(&mut tx, StatusCode::Forbidden, vec![]).await;
        let reason = format!("feature {code}: not allowed");
        return Outcome::new(Disposition::Failed, HangupBy::System, 403, reason);
    };
    let reason = apply(shared, feature, extension);
    match confirm(shared, tx, info).await {
        Ok(()) => Outcome::new(Disposition::Answered, HangupBy::System, 200, reason),
        Err(refusal) => Outcome {
            reason: format!("{reason}; not confirmed: {}", refusal.reason),
            ..refusal
        },
    }
}

/// `*45` (log in or out of one's queues) or `*46` (pause or unpause) from `extension`:
/// answered with a beep when done, 403 when there is nothing to do (not an agent).
pub(super) async fn agent_code(
    shared: &Shared,
    mut tx: Transaction,
    extension: Option<&str>,
    code: AgentCode,
    info: &mut CallInfo,
) -> Outcome {
    let Some(extension) = extension else {
        reply(&mut tx, StatusCode::Forbidden, vec![]).await;
        return Outcome::new(
            Disposition::Failed,
            HangupBy::System,
            403,
            "not an extension",
        );
    };
    let done = match code {
        AgentCode::Login => shared.queues.toggle_login(extension).await,
        AgentCode::Pause => shared.queues.toggle_pause(extension).await,
    };
    let reason = match done {
        Ok(text) => text,
        Err(why) => {
            warn!(extension, %why, "agent code refused");
            reply(&mut tx, StatusCode::Forbidden, vec![]).await;
            return Outcome::new(Disposition::Failed, HangupBy::System, 403, why);
        }
    };
    match confirm(shared, tx, info).await {
        Ok(()) => Outcome::new(Disposition::Answered, HangupBy::System, 200, reason),
        Err(refusal) => Outcome {
            reason: format!("{reason}; not confirmed: {}", refusal.reason),
            ..refusal
        },
    }
}

/// Sets or removes the override; returns what was done, for the call record.
fn apply(shared: &Shared, feature: &FeatureCode, extension: &str) -> String {
    let set_by = format!("extension {extension} ({})", feature.code);
    let manual = feature.mode.mode().map(|mode| Override {
        mode,
        until: feature.duration().and_then(|d| {
            chrono::TimeDelta::from_std(d)
                .ok()
                .map(|d| shared.clock.now() + d)
        }),
        set_by,
    });
    let text = match &manual {
        Some(manual) => format!(
            "feature {}: schedule {} set to {}",
            feature.code, feature.schedule, manual.mode
        ),
        None => format!(
            "feature {}: schedule {} back to its hours",
            feature.code, feature.schedule
        ),
    };
    shared.set_override(&feature.schedule, manual);
    info!("{text}");
    text
}

/// Answers, beeps and hangs up; `Err` carries the outcome of a call that could not be
/// answered (the override is set either way).
async fn confirm(shared: &Shared, mut tx: Transaction, info: &mut CallInfo) -> Result<(), Outcome> {
    let endpoint = match shared.media.open_endpoint() {
        Ok(endpoint) => endpoint,
        Err(e) => {
            warn!(error = %e, "no media ports: confirming without a beep");
            reply(&mut tx, StatusCode::ServiceUnavailable, vec![]).await;
            return Err(Outcome::new(
                Disposition::Failed,
                HangupBy::System,
                503,
                "no media ports",
            ));
        }
    };
    let answer = match endpoint.answer(&tx.original.body) {
        Ok(answer) => answer,
        Err(e) => {
            let outcome = sdp_refusal(&e);
            reply(&mut tx, status(outcome.cause), vec![]).await;
            return Err(outcome);
        }
    };
    let (dialog, _events) = caller_dialog(shared, tx).await?;
    dialog.accept(Some(sdp_headers()), Some(answer)).ok();
    info.answered_at = Some(shared.clock.now());
    let beep = endpoint.play_tone(shared.voice.tone_plan.tone(ToneKind::Beep));
    let _ = tokio::time::timeout(CONFIRMATION_WAIT, async {
        while let Some(event) = endpoint.next_event().await {
            if matches!(event, EndpointEvent::PlayFinished { id, .. } if id == beep) {
                break;
            }
        }
    })
    .await;
    dialog.bye().await.ok();
    shared.dialogs.remove_dialog(&dialog.id());
    Ok(())
}
