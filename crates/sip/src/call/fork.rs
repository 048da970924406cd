//! Ringing several devices at once: one INVITE per device with the same offer, each
//! branch's outcome collected as it ends (RFC 3261 parallel forking, done by the B2BUA).

use super::devices::Target;
use crate::server::Shared;
use rsipstack::dialog::dialog::DialogStateSender;
use rsipstack::dialog::invitation::InviteOption;
use rsipstack::dialog::invite_dialog::InviteDialog;
use rsipstack::dialog::DialogId;
use rsipstack::sip::{Response, Uri};
use tokio::task::JoinSet;
use tracing::warn;

/// How a branch's INVITE ended: its dialog id and final response, or why it failed.
pub(crate) type BranchResult = Result<(DialogId, Option<Response>), String>;

/// The branches still to end: each yields its index among the sent dialogs and its result.
pub(crate) type Pending = JoinSet<(usize, BranchResult)>;

/// Who the INVITEs say is calling.
pub(crate) struct From<'a> {
    pub uri: &'a Uri,
    pub display_name: Option<&'a str>,
}

/// Sends `offer` to every device; returns the dialogs that were sent, each with its `tag`,
/// and the set that yields `(index, result)` as each branch ends. A device that cannot be
/// sent to is logged and left out.
pub(crate) fn invite_all<T>(
    shared: &Shared,
    from: From<'_>,
    devices: impl IntoIterator<Item = (T, Target)>,
    offer: &[u8],
    events: &DialogStateSender,
) -> (Vec<(T, InviteDialog)>, Pending) {
    let mut sent = Vec::new();
    let mut pending = JoinSet::new();
    for (tag, target) in devices {
        let option = InviteOption {
            caller_display_name: from.display_name.map(str::to_string),
            caller: from.uri.clone(),
            callee: target.uri,
            destination: Some(target.destination),
            content_type: Some("application/sdp".into()),
            offer: Some(offer.to_vec()),
            contact: shared.contact.clone(),
            ..Default::default()
        };
        match shared.dialogs.do_invite_async(option, events.clone()) {
            Ok((dialog, handle)) => {
                let index = sent.len();
                sent.push((tag, dialog));
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
    (sent, pending)
}
