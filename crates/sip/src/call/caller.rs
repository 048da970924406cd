//! Who is calling: the carrier by its address, or an extension by its digest credentials.

use crate::auth::{authenticate, challenge, claimed_user, AuthHeader, Authenticated};
use crate::routing::Caller;
use crate::server::{reply, source_addr, Shared};
use rsipstack::sip::{HeadersExt, StatusCode};
use rsipstack::transaction::transaction::Transaction;
use sb_config::Config;
use tracing::warn;

/// The caller of a new INVITE, or `None` when the request was answered (challenged or
/// refused) and the call goes no further.
pub(crate) async fn identify_caller(
    shared: &Shared,
    config: &Config,
    tx: &mut Transaction,
) -> Option<Caller> {
    let source = source_addr(tx);
    let from_user = tx
        .original
        .from_header()
        .ok()
        .and_then(|f| f.uri().ok())
        .and_then(|u| u.user().map(str::to_string))
        .unwrap_or_default();
    if let Some(trunk) = config.trunk_for_source(source) {
        return Some(Caller::Trunk {
            name: trunk.name.clone(),
            number: from_user,
        });
    }
    let claimed = claimed_user(tx, AuthHeader::Proxy);
    let Some(extension) = claimed
        .as_deref()
        .and_then(|user| config.extension(user))
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
