//! Ringing several devices at once: one INVITE per device with the same offer, each
//! branch's outcome collected as it ends (RFC 3261 parallel forking, done by the B2BUA).

use super::devices::Target;
use crate::server::Shared;
use rsipstack::dialog::dialog::{DialogStateSender, TerminatedReason};
use rsipstack::dialog::invitation::InviteOption;
use rsipstack::dialog::invite_dialog::InviteDialog;
use rsipstack::dialog::DialogId;
use rsipstack::sip::{Response, Uri};
use tokio::task::JoinSet;
use tracing::warn;

/// How a branch's INVITE ended: its dialog id and final response, or why it failed.
pub(crate) type BranchResult = Result<(DialogId, Option<Response>), String>;

/// The branches still to end: each yields its index among the sent legs and its result.
pub(crate) type Pending = JoinSet<(usize, BranchResult)>;

/// Who the INVITEs say is calling.
pub(crate) struct From<'a> {
    pub uri: &'a Uri,
    pub display_name: Option<&'a str>,
}

/// One forked INVITE and what is known of its end.
pub(crate) struct Branch<T> {
    /// Whose device the branch rings (the dialer's party; nothing for a direct call).
    pub tag: T,
    pub dialog: InviteDialog,
    /// The final failure response, once the INVITE failed.
    pub final_code: Option<u16>,
    /// The dialog its 2xx confirmed, once the branch answered.
    pub confirmed: Option<DialogId>,
    /// A CANCEL was sent (another branch answered): it is not sent twice.
    pub cancelled: bool,
    /// The callee sent BYE. The dialog event of that BYE can be taken before the branch's
    /// answer when both are ready at once (a busy PBX, a phone that hangs up at once), so
    /// it is remembered here, for when the answer is taken.
    pub hung_up: bool,
}

impl<T> Branch<T> {
    /// No final response was taken for it yet: it may still ring.
    pub fn ringing(&self) -> bool {
        self.final_code.is_none() && self.confirmed.is_none()
    }
}

/// Marks the leg whose dialog `id` ended by the callee's BYE; its index.
pub(crate) fn note_hang_up<T>(
    legs: &mut [Branch<T>],
    id: &DialogId,
    reason: &TerminatedReason,
) -> Option<usize> {
    if !matches!(reason, TerminatedReason::UasBye) {
        return None;
    }
    let index = legs
        .iter()
        .position(|leg| leg.dialog.id().call_id == id.call_id)?;
    legs[index].hung_up = true;
    Some(index)
}

/// Sends `offer` to every device; returns the legs that were sent and the set that yields
/// `(index, result)` as each branch ends. A device that cannot be sent to is logged and
/// left out.
pub(crate) fn invite_all<T>(
    shared: &Shared,
    from: From<'_>,
    devices: impl IntoIterator<Item = (T, Target)>,
    offer: &[u8],
    events: &DialogStateSender,
) -> (Vec<Branch<T>>, Pending) {
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
                sent.push(Branch {
                    tag,
                    dialog,
                    final_code: None,
                    confirmed: None,
                    cancelled: false,
                    hung_up: false,
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
    (sent, pending)
}
