//! The devices to ring for a number: every registered binding of an extension, or the
//! trunk for an outside number; and what their failures mean for the caller.

use super::record::Outcome;
use crate::routing::Route;
use crate::server::Shared;
use rsipstack::sip::{Transport, Uri};
use rsipstack::transport::SipAddr;
use sb_config::{Config, Trunk};
use sb_store::Disposition;
use sb_store::HangupBy;
use tracing::warn;

/// One device being rung.
pub(crate) struct Target {
    pub uri: Uri,
    pub destination: SipAddr,
}

pub(crate) fn sip_addr(addr: std::net::SocketAddr, transport: &str) -> SipAddr {
    let transport = if transport.eq_ignore_ascii_case("tcp") {
        Transport::Tcp
    } else {
        Transport::Udp
    };
    SipAddr::new(transport, addr.into())
}

/// Every registered device of `extension`, each to be reached where its REGISTER came from.
pub(crate) fn extension_devices(shared: &Shared, extension: &str) -> Vec<Target> {
    let bindings = shared
        .location
        .lock()
        .lookup(extension, std::time::Instant::now());
    bindings
        .iter()
        .filter_map(|b| {
            let uri = Uri::try_from(b.contact.as_str()).ok()?;
            Some(Target {
                uri,
                destination: sip_addr(b.source, &b.transport),
            })
        })
        .collect()
}

/// The trunk's far end, for an outside `number` (digits only).
pub(crate) fn trunk_target(trunk: &Trunk, number: &str) -> Result<Target, Outcome> {
    let uri = Uri::try_from(format!("sip:{number}@{}", trunk.outbound_address).as_str())
        .map_err(|_| Outcome::new(Disposition::Failed, HangupBy::System, 484, "bad number"))?;
    Ok(Target {
        uri,
        destination: sip_addr(trunk.outbound_address, "udp"),
    })
}

/// The devices to ring for a route, or the outcome when there are none.
pub(crate) fn targets(
    shared: &Shared,
    config: &Config,
    route: &Route,
) -> Result<Vec<Target>, Outcome> {
    match route {
        Route::Extension { number, .. } => {
            let devices = extension_devices(shared, number);
            if devices.is_empty() {
                return Err(Outcome::new(
                    Disposition::Failed,
                    HangupBy::System,
                    480,
                    "not registered",
                ));
            }
            Ok(devices)
        }
        Route::Trunk { trunk, number } => {
            let Some(trunk) = config.trunks.iter().find(|t| &t.name == trunk) else {
                return Err(Outcome::new(
                    Disposition::Failed,
                    HangupBy::System,
                    503,
                    "trunk missing",
                ));
            };
            Ok(vec![trunk_target(trunk, number)?])
        }
        Route::Scenario { .. }
        | Route::ExtensionWithVoicemail { .. }
        | Route::Feature { .. }
        | Route::Queue { .. }
        | Route::AgentCode { .. }
        | Route::Mailbox { .. } => Err(Outcome::new(
            Disposition::Failed,
            HangupBy::System,
            500,
            "the PBX answers this number itself",
        )),
        Route::NotAvailable { target } => {
            warn!(%target, "this target is not served yet");
            Err(Outcome::new(
                Disposition::Failed,
                HangupBy::System,
                480,
                format!("{target} not available"),
            ))
        }
        Route::NotFound => Err(Outcome::new(
            Disposition::Failed,
            HangupBy::System,
            404,
            "unknown number",
        )),
    }
}

/// The final response to give the caller when no device answered (RFC 3261 §16.7 in spirit:
/// busy wins over unavailable, so the caller hears the most useful tone).
pub(crate) fn best_failure(codes: impl Iterator<Item = u16>) -> u16 {
    let codes: Vec<u16> = codes.collect();
    if codes.iter().any(|&c| c == 486 || c == 600) {
        486
    } else if let Some(&c) = codes.iter().find(|&&c| c >= 600) {
        c
    } else {
        480
    }
}

pub(crate) fn failure_outcome(code: u16) -> Outcome {
    match code {
        486 | 600 | 603 => Outcome::new(Disposition::Busy, HangupBy::Callee, code, "busy"),
        _ => Outcome::new(
            Disposition::NoAnswer,
            HangupBy::Callee,
            code,
            "no device answered",
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn busy_wins_over_unavailable() {
        assert_eq!(best_failure([480, 486, 408].into_iter()), 486);
        assert_eq!(best_failure([480, 408].into_iter()), 480);
        assert_eq!(best_failure([603, 480].into_iter()), 603);
    }

    #[test]
    fn failures_map_to_dispositions() {
        assert_eq!(failure_outcome(486).disposition, Disposition::Busy);
        assert_eq!(failure_outcome(603).disposition, Disposition::Busy);
        assert_eq!(failure_outcome(480).disposition, Disposition::NoAnswer);
    }
}
