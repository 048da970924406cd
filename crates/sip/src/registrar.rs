//! REGISTER handling: authenticate the phone, apply its contacts to the location service,
//! and answer with the bindings it now has (RFC 3261 §10.3).

use crate::auth::{authenticate, AuthHeader, Authenticated};
use crate::location::{ContactUpdate, LocationError, RegisterSource};
use crate::server::Shared;
use rsipstack::sip::{Header, HeadersExt, StatusCode};
use rsipstack::transaction::transaction::Transaction;
use std::time::{Duration, Instant};
use tracing::{info, warn};

/// Answers one REGISTER transaction.
pub(crate) async fn handle_register(shared: &Shared, tx: &mut Transaction) {
    let source = crate::server::source_addr(tx);
    let user = tx
        .original
        .to_header()
        .ok()
        .and_then(|to| to.uri().ok())
        .and_then(|uri| uri.user().map(str::to_string));
    let plan = shared.plan();
    let Some(extension) = user.and_then(|u| plan.config.extension(&u).cloned()) else {
        info!(?source, "REGISTER for an unknown extension");
        crate::server::reply(tx, StatusCode::NotFound, vec![]).await;
        return;
    };
    match authenticate(shared, tx, AuthHeader::Www, &extension).await {
        Authenticated::Yes => {}
        Authenticated::Answered => return,
    }

    let pbx = &plan.config.pbx;
    let header_expires = tx
        .original
        .expires_header()
        .and_then(|e| e.value().trim().parse::<u32>().ok());
    let raw_contacts: Vec<String> = tx
        .original
        .headers
        .iter()
        .filter_map(|h| match h {
            Header::Contact(c) => Some(c.value().to_string()),
            _ => None,
        })
        .collect();
    let now = Instant::now();

    if raw_contacts.iter().any(|c| c.trim() == "*") {
        if header_expires != Some(0) || raw_contacts.len() != 1 {
            crate::server::reply(tx, StatusCode::BadRequest, vec![]).await;
            return;
        }
        shared.location.lock().remove_all(&extension.number);
        info!(extension = %extension.number, "all devices unregistered");
        shared.queues.event(sb_acd::Event::AgentUnreachable {
            agent: extension.number.clone(),
        });
        crate::server::reply(tx, StatusCode::OK, vec![]).await;
        return;
    }

    let contacts = match tx.original.typed_contact_headers() {
        Ok(contacts) => contacts,
        Err(e) => {
            warn!(extension = %extension.number, error = %e, "REGISTER with an unreadable Contact");
            crate::server::reply(tx, StatusCode::BadRequest, vec![]).await;
            return;
        }
    };
    let mut updates = Vec::with_capacity(contacts.len());
    for contact in &contacts {
        let asked = contact
            .expires()
            .or(header_expires)
            .unwrap_or(pbx.register_default_expires);
        if asked != 0 && asked < pbx.register_min_expires {
            let min = Header::MinExpires(pbx.register_min_expires.to_string().into());
            crate::server::reply(tx, StatusCode::IntervalTooBrief, vec![min]).await;
            return;
        }
        updates.push(ContactUpdate {
            contact: contact.uri.to_string(),
            expires: Duration::from_secs(asked.min(pbx.register_max_expires).into()),
        });
    }

    let from = RegisterSource {
        source,
        transport: tx
            .connection
            .as_ref()
            .map(|c| c.transport().to_string())
            .unwrap_or_else(|| "UDP".into()),
        call_id: tx
            .original
            .call_id_header()
            .map(|c| c.value().to_string())
            .unwrap_or_default(),
        cseq: tx
            .original
            .cseq_header()
            .ok()
            .and_then(|c| c.seq().ok())
            .unwrap_or(0),
        user_agent: tx
            .original
            .user_agent_header()
            .map(|u| u.value().to_string()),
    };
    let known = shared.location.lock().lookup(&extension.number, now);
    let result = shared
        .location
        .lock()
        .register(&extension.number, &from, &updates, now);
    match result {
        Ok(bindings) => {
            info!(extension = %extension.number, %source, devices = bindings.len(), "registered");
            shared.mwi.registered(&extension.number, &known, &bindings);
            let agent = extension.number.clone();
            shared.queues.event(if bindings.is_empty() {
                sb_acd::Event::AgentUnreachable { agent }
            } else {
                sb_acd::Event::AgentReachable { agent }
            });
            let headers = bindings
                .iter()
                .map(|b| {
                    Header::Contact(
                        format!("<{}>;expires={}", b.contact, b.remaining_secs(now)).into(),
                    )
                })
                .collect();
            crate::server::reply(tx, StatusCode::OK, headers).await;
        }
        Err(e @ LocationError::OutOfOrder { .. }) => {
            warn!(extension = %extension.number, error = %e, "REGISTER refused");
            crate::server::reply(tx, StatusCode::ServerInternalError, vec![]).await;
        }
        Err(e @ LocationError::TooManyBindings) => {
            warn!(extension = %extension.number, error = %e, "REGISTER refused");
            crate::server::reply(tx, StatusCode::Forbidden, vec![]).await;
        }
    }
}
