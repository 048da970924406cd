//! SUBSCRIBE handling for `message-summary` (RFC 6665 §4.2.1, RFC 3842 §3.7): the
//! subscriber proves who it is with the same digest credentials as for REGISTER, may watch
//! only its own mailbox, and gets its durations clamped like registrations.
//!
//! Every SUBSCRIBE comes here, in a dialog or not: the PBX serves no other event package,
//! so anything else is answered 489 with `Allow-Events`.

use super::package::{self, Grant, Limits};
use super::subscriptions::{DialogKey, Peer, RefreshError, Subscription};
use crate::auth::{authenticate, challenge, claimed_user, AuthHeader, Authenticated};
use crate::server::{reply, source_addr, Shared};
use rsipstack::sip::{Header, HeadersExt, StatusCode, Transport, Uri};
use rsipstack::transaction::transaction::Transaction;
use std::time::{Duration, Instant};
use tracing::{debug, info, warn};

/// Answers one SUBSCRIBE transaction.
pub(crate) async fn handle_subscribe(shared: &Shared, mut tx: Transaction) {
    let event = tx.original.headers.iter().find_map(|h| match h {
        Header::Event(_) => Some(h.value().to_owned()),
        _ => None,
    });
    if !event.as_deref().is_some_and(package::is_message_summary) {
        debug!(source = %source_addr(&tx), ?event, "SUBSCRIBE for an event package we do not serve");
        reply(&mut tx, StatusCode::BadEvent, vec![allow_events()]).await;
        return;
    }
    let asked = match package::parse_expires(tx.original.expires_header().map(|e| e.value())) {
        Ok(asked) => asked,
        Err(_) => {
            debug!(source = %source_addr(&tx), "SUBSCRIBE with an unreadable Expires");
            reply(&mut tx, StatusCode::BadRequest, vec![]).await;
            return;
        }
    };
    let local_tag = tx
        .original
        .to_header()
        .ok()
        .and_then(|to| to.tag().ok().flatten());
    match local_tag {
        Some(tag) => in_dialog(shared, &mut tx, tag.value(), asked).await,
        None => new_subscription(shared, &mut tx, asked).await,
    }
}

/// The header that tells a subscriber which event packages the PBX serves (RFC 6665).
fn allow_events() -> Header {
    Header::Other("Allow-Events".into(), package::EVENT.into())
}

async fn new_subscription(shared: &Shared, tx: &mut Transaction, asked: Option<u32>) {
    let plan = shared.plan();
    let claimed = claimed_user(tx, AuthHeader::Www);
    let Some(extension) = claimed
        .as_deref()
        .and_then(|user| plan.config.extension(user))
        .cloned()
    else {
        if claimed.is_some() {
            warn!(source = %source_addr(tx), user = ?claimed, "SUBSCRIBE from an unknown user");
            reply(tx, StatusCode::Forbidden, vec![]).await;
        } else {
            challenge(shared, tx, AuthHeader::Www, false).await;
        }
        return;
    };
    match authenticate(shared, tx, AuthHeader::Www, &extension).await {
        Authenticated::Yes => {}
        Authenticated::Answered => return,
    }
    let mailbox = tx.original.uri.user().map(str::to_owned);
    if mailbox.as_deref() != Some(extension.number.as_str()) {
        warn!(
            extension = %extension.number,
            ?mailbox,
            source = %source_addr(tx),
            "SUBSCRIBE to another extension's mailbox refused"
        );
        reply(tx, StatusCode::Forbidden, vec![]).await;
        return;
    }
    let secs = match Limits::from_pbx(&plan.config.pbx).grant(asked) {
        Grant::TooBrief { min } => return too_brief(tx, min).await,
        Grant::Unsubscribe => 0,
        Grant::Seconds(secs) => secs,
    };
    let now = Instant::now();
    let local_tag = uuid::Uuid::new_v4().simple().to_string();
    let expires_at = now + Duration::from_secs(secs.into());
    let subscription = match read_dialog(tx, &extension.number, &local_tag, expires_at) {
        Ok(subscription) => subscription,
        Err(reason) => {
            debug!(extension = %extension.number, reason, "SUBSCRIBE refused");
            reply(tx, StatusCode::BadRequest, vec![]).await;
            return;
        }
    };
    if let Ok(to) = tx.original.to_header() {
        let tagged = to.with_tag(local_tag.as_str().into());
        tx.original.headers.unique_push(Header::To(tagged));
    }
    let key = subscription.key.clone();
    if secs == 0 {
        // RFC 6665 §4.4.3: a one-time fetch; the state is sent once and nothing is kept.
        accept(shared, tx, 0).await;
        shared
            .mwi
            .notify_in_background(subscription.into_final_notify());
        return;
    }
    let inserted = shared.mwi.subscriptions().insert(subscription, now);
    match inserted {
        Ok(evicted) => {
            if let Some(evicted) = evicted {
                info!(extension = %extension.number, peer = %evicted.peer.addr, "oldest subscription of the mailbox gave way");
            }
            info!(extension = %extension.number, source = %source_addr(tx), expires = secs, "subscribed to message-summary");
            accept(shared, tx, secs).await;
            shared.mwi.notify_subscription(&key);
        }
        Err(e) => {
            warn!(extension = %extension.number, error = %e, "SUBSCRIBE refused");
            reply(tx, StatusCode::ServiceUnavailable, vec![]).await;
        }
    }
}

/// A SUBSCRIBE in an existing dialog: a refresh, or `Expires: 0` to end it.
async fn in_dialog(shared: &Shared, tx: &mut Transaction, local_tag: &str, asked: Option<u32>) {
    let now = Instant::now();
    let Some((key, cseq)) = dialog_key(tx, local_tag) else {
        reply(tx, StatusCode::CallTransactionDoesNotExist, vec![]).await;
        return;
    };
    let number = shared
        .mwi
        .subscriptions()
        .extension_of(&key, now)
        .map(str::to_owned);
    let plan = shared.plan();
    let Some(extension) = number.and_then(|n| plan.config.extension(&n).cloned()) else {
        reply(tx, StatusCode::CallTransactionDoesNotExist, vec![]).await;
        return;
    };
    match authenticate(shared, tx, AuthHeader::Www, &extension).await {
        Authenticated::Yes => {}
        Authenticated::Answered => return,
    }
    match Limits::from_pbx(&plan.config.pbx).grant(asked) {
        Grant::TooBrief { min } => too_brief(tx, min).await,
        Grant::Unsubscribe => {
            let ended = shared.mwi.subscriptions().unsubscribe(&key, cseq, now);
            match ended {
                Ok(last) => {
                    info!(extension = %extension.number, source = %source_addr(tx), "unsubscribed from message-summary");
                    accept(shared, tx, 0).await;
                    shared.mwi.notify_in_background(last);
                }
                Err(e) => refuse_refresh(tx, e).await,
            }
        }
        Grant::Seconds(secs) => {
            let target = tx
                .original
                .typed_contact_headers()
                .ok()
                .and_then(|c| c.into_iter().next())
                .map(|c| c.uri);
            let expires_at = now + Duration::from_secs(secs.into());
            let refreshed = shared
                .mwi
                .subscriptions()
                .refresh(&key, cseq, target, expires_at, now);
            match refreshed {
                Ok(()) => {
                    debug!(extension = %extension.number, expires = secs, "subscription refreshed");
                    accept(shared, tx, secs).await;
                    // RFC 6665 §4.2.1.2: a refresh is answered with the current state.
                    shared.mwi.notify_subscription(&key);
                }
                Err(e) => refuse_refresh(tx, e).await,
            }
        }
    }
}

async fn refuse_refresh(tx: &mut Transaction, error: RefreshError) {
    debug!(error = %error, source = %source_addr(tx), "SUBSCRIBE refresh refused");
    let status = match error {
        RefreshError::Unknown => StatusCode::CallTransactionDoesNotExist,
        RefreshError::OutOfOrder { .. } => StatusCode::ServerInternalError,
    };
    reply(tx, status, vec![]).await;
}

async fn too_brief(tx: &mut Transaction, min: u32) {
    let min = Header::MinExpires(min.to_string().into());
    reply(tx, StatusCode::IntervalTooBrief, vec![min]).await;
}

/// 200 with the granted duration (RFC 6665 §4.2.1.1: the response's `Expires` is what
/// counts) and our Contact, the remote target of the subscriber's refreshes.
async fn accept(shared: &Shared, tx: &mut Transaction, secs: u32) {
    let headers = vec![
        Header::Expires(secs.to_string().into()),
        Header::Contact(format!("<{}>", shared.contact).into()),
    ];
    reply(tx, StatusCode::OK, headers).await;
}

/// The dialog a SUBSCRIBE in a dialog names, and its CSeq.
fn dialog_key(tx: &Transaction, local_tag: &str) -> Option<(DialogKey, u32)> {
    let request = &tx.original;
    let remote_tag = request.from_header().ok()?.tag().ok()??;
    let key = DialogKey {
        call_id: request.call_id_header().ok()?.value().to_owned(),
        remote_tag: remote_tag.value().to_owned(),
        local_tag: local_tag.to_owned(),
    };
    let cseq = request.cseq_header().ok()?.seq().ok()?;
    Some((key, cseq))
}

/// The dialog state a new SUBSCRIBE sets up (RFC 3261 §12.1.1, UAS side).
fn read_dialog(
    tx: &Transaction,
    extension: &str,
    local_tag: &str,
    expires_at: Instant,
) -> Result<Subscription, &'static str> {
    let request = &tx.original;
    let (key, remote_cseq) = dialog_key(tx, local_tag).ok_or("no From tag, Call-ID or CSeq")?;
    let remote_target: Uri = request
        .typed_contact_headers()
        .ok()
        .and_then(|c| c.into_iter().next())
        .map(|c| c.uri)
        .ok_or("no usable Contact")?;
    let local = request
        .to_header()
        .map_err(|_| "no To")?
        .with_tag(local_tag.into())
        .value()
        .to_owned();
    let remote = request
        .from_header()
        .map_err(|_| "no From")?
        .value()
        .to_owned();
    let route_set = request
        .record_route_headers()
        .into_iter()
        .map(|rr| rr.value().to_owned())
        .collect();
    let transport = tx
        .connection
        .as_ref()
        .map(|c| c.transport())
        .unwrap_or(Transport::Udp);
    Ok(Subscription {
        key,
        extension: extension.to_owned(),
        remote_target,
        peer: Peer {
            addr: source_addr(tx),
            transport,
        },
        local,
        remote,
        route_set,
        expires_at,
        remote_cseq,
        local_cseq: 0,
    })
}
