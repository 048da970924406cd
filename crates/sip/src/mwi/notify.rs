//! Building and sending one NOTIFY: in a subscription dialog, or unsolicited to a registered
//! device. Each is a client non-INVITE transaction of its own; its outcome is reported, never
//! waited for by anyone but the task that sent it.

use super::package::{CONTENT_TYPE, EVENT};
use super::subscriptions::{Peer, State};
use rsipstack::sip::{typed, Header, Method, Request, SipMessage, Uri, Version};
use rsipstack::transaction::endpoint::EndpointInnerRef;
use rsipstack::transaction::key::{TransactionKey, TransactionRole};
use rsipstack::transaction::transaction::Transaction;
use rsipstack::transport::SipAddr;

/// The parts of a NOTIFY that differ between one request and the next.
pub(crate) struct Notify<'a> {
    pub request_uri: Uri,
    pub peer: &'a Peer,
    pub call_id: String,
    pub from: String,
    pub to: String,
    pub cseq: u32,
    pub route_set: &'a [String],
    /// `Subscription-State`; unsolicited NOTIFYs carry none, as Asterisk's do.
    pub state: Option<State>,
    /// The message summary; `None` when the counts could not be read.
    pub body: Option<String>,
}

/// How a NOTIFY ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Delivery {
    /// 2xx.
    Accepted,
    /// 481: the subscriber no longer knows the dialog.
    Gone,
    /// 408 or no answer before Timer F.
    TimedOut,
    /// Another final response.
    Refused(u16),
    /// The request could not be built or handed to the transport.
    NotSent(String),
}

impl Delivery {
    /// RFC 6665 §4.2.2: a subscription whose NOTIFY got 481 or timed out is over.
    pub fn ends_subscription(&self) -> bool {
        matches!(self, Delivery::Gone | Delivery::TimedOut)
    }
}

/// A NOTIFY that could not be built: the endpoint has no address to put in its Via.
#[derive(Debug, thiserror::Error)]
#[error("cannot build a NOTIFY: {0}")]
pub(crate) struct BuildError(String);

/// The NOTIFY request, with a Via for the transport the device uses.
pub(crate) fn build(
    endpoint: &EndpointInnerRef,
    contact: &Uri,
    notify: Notify<'_>,
) -> Result<Request, BuildError> {
    // Listeners only: the connection cache holds peers' addresses, never ours.
    let listener = endpoint
        .transport_layer
        .get_listen_addrs()
        .into_iter()
        .find(|a| a.r#type == Some(notify.peer.transport));
    let via = endpoint
        .get_via(listener, None)
        .map_err(|e| BuildError(e.to_string()))?;
    let mut headers = vec![Header::Via(via.into())];
    headers.extend(
        notify
            .route_set
            .iter()
            .map(|route| Header::Route(route.clone().into())),
    );
    headers.extend([
        Header::MaxForwards(70.into()),
        Header::From(notify.from.into()),
        Header::To(notify.to.into()),
        Header::CallId(notify.call_id.into()),
        Header::CSeq(
            typed::CSeq {
                seq: notify.cseq,
                method: Method::Notify,
            }
            .into(),
        ),
        Header::Contact(format!("<{contact}>").into()),
        Header::UserAgent(endpoint.user_agent.clone().into()),
        Header::Event(EVENT.into()),
    ]);
    if let Some(state) = notify.state {
        headers.push(Header::SubscriptionState(state.header_value().into()));
    }
    let body = notify.body.map(String::into_bytes).unwrap_or_default();
    if !body.is_empty() {
        headers.push(Header::ContentType(CONTENT_TYPE.into()));
    }
    headers.push(Header::ContentLength((body.len() as u32).into()));
    Ok(Request {
        method: Method::Notify,
        uri: notify.request_uri,
        headers: headers.into(),
        body,
        version: Version::V2,
    })
}

/// Sends `request` to `peer` and waits for its final response (at most Timer F, 32 s).
pub(crate) async fn send(endpoint: &EndpointInnerRef, request: Request, peer: &Peer) -> Delivery {
    let key = match TransactionKey::from_request(&request, TransactionRole::Client) {
        Ok(key) => key,
        Err(e) => return Delivery::NotSent(e.to_string()),
    };
    let mut tx = Transaction::new_client(key, request, endpoint.clone(), None);
    tx.destination = Some(SipAddr::new(peer.transport, peer.addr.into()));
    if let Err(e) = tx.send().await {
        return Delivery::NotSent(e.to_string());
    }
    while let Some(message) = tx.receive().await {
        let SipMessage::Response(response) = message else {
            continue;
        };
        return match response.status_code.code() {
            100..=199 => continue,
            200..=299 => Delivery::Accepted,
            481 => Delivery::Gone,
            408 => Delivery::TimedOut,
            code => Delivery::Refused(code),
        };
    }
    Delivery::TimedOut
}
