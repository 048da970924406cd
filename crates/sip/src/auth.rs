//! Challenging requests from phones: 401 for REGISTER, 407 for calls, 403 for wrong passwords.

use crate::digest::{Credentials, Verdict};
use crate::server::Shared;
use rsipstack::sip::{Header, StatusCode};
use rsipstack::transaction::transaction::Transaction;
use sb_config::Extension;
use std::time::{SystemTime, UNIX_EPOCH};
use tracing::warn;

/// Which pair of headers a request authenticates with.
#[derive(Debug, Clone, Copy)]
pub(crate) enum AuthHeader {
    /// REGISTER: `Authorization`, challenged with 401 `WWW-Authenticate`.
    Www,
    /// Calls: `Proxy-Authorization`, challenged with 407 `Proxy-Authenticate`.
    Proxy,
}

impl AuthHeader {
    fn credentials_header(self) -> &'static str {
        match self {
            AuthHeader::Www => "Authorization",
            AuthHeader::Proxy => "Proxy-Authorization",
        }
    }
}

/// The user name in the request's credentials, before verification: tells the B2BUA which
/// extension a caller claims to be.
pub(crate) fn claimed_user(tx: &Transaction, kind: AuthHeader) -> Option<String> {
    tx.original
        .headers
        .iter()
        .filter(|h| h.name().eq_ignore_ascii_case(kind.credentials_header()))
        .filter_map(|h| Credentials::parse(h.value()))
        .find_map(|c| c.username().map(str::to_string))
}

/// Answers 401/407 with fresh challenges.
pub(crate) async fn challenge(
    shared: &Shared,
    tx: &mut Transaction,
    kind: AuthHeader,
    stale: bool,
) {
    let headers = shared
        .auth
        .challenges(unix_now(), stale)
        .into_iter()
        .map(|value| match kind {
            AuthHeader::Www => Header::WwwAuthenticate(value.into()),
            AuthHeader::Proxy => Header::ProxyAuthenticate(value.into()),
        })
        .collect();
    let status = match kind {
        AuthHeader::Www => StatusCode::Unauthorized,
        AuthHeader::Proxy => StatusCode::ProxyAuthenticationRequired,
    };
    crate::server::reply(tx, status, headers).await;
}

/// Whether the request may go on; when it may not, the transaction is already answered.
pub(crate) enum Authenticated {
    Yes,
    Answered,
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// Looks up the extension's credentials in the request, and answers with a challenge or a
/// refusal when they are missing or wrong.
pub(crate) async fn authenticate(
    shared: &Shared,
    tx: &mut Transaction,
    kind: AuthHeader,
    extension: &Extension,
) -> Authenticated {
    let header_name = kind.credentials_header();
    let now = unix_now();
    let method = tx.original.method.to_string();
    let verdict = tx
        .original
        .headers
        .iter()
        .filter(|h| h.name().eq_ignore_ascii_case(header_name))
        .filter_map(|h| Credentials::parse(h.value()))
        .map(|creds| {
            shared
                .auth
                .verify(&creds, &method, &extension.number, &extension.password, now)
        })
        .find(|v| *v != Verdict::Missing)
        .unwrap_or(Verdict::Missing);
    match verdict {
        Verdict::Valid => Authenticated::Yes,
        Verdict::Missing | Verdict::Stale => {
            challenge(shared, tx, kind, verdict == Verdict::Stale).await;
            Authenticated::Answered
        }
        Verdict::Invalid(reason) => {
            warn!(
                extension = %extension.number,
                source = %crate::server::source_addr(tx),
                %method,
                reason,
                "authentication failed"
            );
            crate::server::reply(tx, StatusCode::Forbidden, vec![]).await;
            Authenticated::Answered
        }
    }
}
