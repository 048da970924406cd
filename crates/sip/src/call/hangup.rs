//! Ending legs without making the call wait for the far end.
//!
//! A BYE or a CANCEL is a transaction of its own, answered within a round trip by a
//! healthy peer but only given up after 64 x T1 (32 s) by one that is gone. A call task
//! that awaited them stayed in progress for that long, and so did what it held: the
//! agent of a queue call stayed busy until the caller answered the PBX's BYE, and under
//! load (a caller that had already given up never answers) agents ran out. So a call
//! ends at once, and its hang-ups run on [`Shared::background`], each bounded by
//! rsipstack's transaction timers and [`RELEASE_LIMIT`], and still waited for on
//! shutdown.

use super::fork::{Branch, Pending};
use crate::server::Shared;
use rsipstack::dialog::invite_dialog::InviteDialog;
use rsipstack::sip::StatusCodeKind;
use std::time::{Duration, Instant};
use tracing::{debug, info, Instrument};

/// How long the end of a ring may take in the background: a CANCEL or a BYE is answered,
/// or its transaction gives up, within 64 x T1 (32 s), and an INVITE still pending gets its
/// final response within that time after its CANCEL. Past this, the dialogs are forgotten
/// anyway.
pub(crate) const RELEASE_LIMIT: Duration = Duration::from_secs(40);

/// How long a BYE to a caller the PBX answered waits for the ACK: the INVITE server
/// transaction gives the ACK up after 64 x T1, and the dialog ends with it.
const ACK_WAIT: Duration = Duration::from_secs(32);

/// How often the wait for the ACK looks at the dialog; rsipstack reports the ACK only to
/// the caller's event stream, which the call's own loop reads.
const ACK_POLL: Duration = Duration::from_millis(10);

/// Hangs up a caller the PBX answered itself (a scenario, a mailbox), after the ACK of its
/// 200 (RFC 3261 §15: a callee does not send BYE before it). The 200 and the BYE leave
/// from different tasks, so a BYE sent right after the answer (a queue that turns the
/// caller away at once) could reach the caller before the 200, for a dialog it does not
/// have yet.
pub(crate) async fn bye_after_ack(dialog: &InviteDialog) {
    let deadline = Instant::now() + ACK_WAIT;
    while dialog.state().waiting_ack() && Instant::now() < deadline {
        tokio::time::sleep(ACK_POLL).await;
    }
    if let Err(e) = dialog.bye().await {
        debug!(error = %e, "BYE to the caller not answered");
    }
}

/// Sends BYE on `dialog` and returns at once; the answer (or its absence) is only logged.
pub(crate) fn hang_up(shared: &Shared, dialog: &InviteDialog) {
    let dialog = dialog.clone();
    shared.background.spawn(
        async move {
            if let Err(e) = dialog.bye().await {
                debug!(error = %e, "BYE not answered");
            }
        }
        .in_current_span(),
    );
}

/// Sends CANCEL on a leg still ringing and returns at once.
pub(crate) fn cancel<T>(shared: &Shared, leg: &mut Branch<T>) {
    if leg.cancelled || !leg.ringing() {
        return;
    }
    leg.cancelled = true;
    let dialog = leg.dialog.clone();
    shared.background.spawn(
        async move {
            if let Err(e) = dialog.cancel().await {
                debug!(error = %e, "CANCEL not answered");
            }
        }
        .in_current_span(),
    );
}

/// Ends every leg of a ring in the background: BYE to the one that answered (`winner`),
/// CANCEL to those still ringing, and the results still pending taken as they come. A
/// branch whose 2xx crossed its CANCEL (or was not taken yet when the call ended) gets a
/// BYE, or its callee would sit in a call nobody hears; then every dialog is removed from
/// the dialog layer. Bounded by [`RELEASE_LIMIT`].
pub(crate) fn release<T: Send + Sync + 'static>(
    shared: &Shared,
    legs: Vec<Branch<T>>,
    winner: Option<usize>,
    mut pending: Pending,
) {
    let dialogs = shared.dialogs.clone();
    shared.background.spawn(
        async move {
            let stops = legs.iter().enumerate().map(|(i, leg)| async move {
                let result = if Some(i) == winner {
                    leg.dialog.bye().await
                } else if leg.ringing() && !leg.cancelled {
                    leg.dialog.cancel().await
                } else {
                    Ok(())
                };
                if let Err(e) = result {
                    debug!(branch = i, error = %e, "ending a branch");
                }
            });
            let mut late = Vec::new();
            let drain = async {
                while let Some(done) = pending.join_next().await {
                    let Ok((index, Ok((id, Some(response))))) = done else {
                        continue;
                    };
                    if response.status_code.kind() != StatusCodeKind::Successful {
                        continue;
                    }
                    if Some(index) != winner {
                        if let Some(leg) = legs.get(index) {
                            info!(
                                branch = index,
                                "a branch answered as its ring ended: hanging it up"
                            );
                            if let Err(e) = leg.dialog.bye().await {
                                debug!(branch = index, error = %e, "BYE not answered");
                            }
                        }
                    }
                    late.push(id);
                }
            };
            let ended = tokio::time::timeout(
                RELEASE_LIMIT,
                futures::future::join(futures::future::join_all(stops), drain),
            )
            .await;
            if ended.is_err() {
                info!(
                    limit_secs = RELEASE_LIMIT.as_secs(),
                    "a callee did not end its leg in time; its dialog is forgotten"
                );
            }
            for leg in &legs {
                dialogs.remove_dialog(&leg.dialog.id());
                if let Some(id) = &leg.confirmed {
                    dialogs.remove_dialog(id);
                }
            }
            for id in &late {
                dialogs.remove_dialog(id);
            }
        }
        .in_current_span(),
    );
}
