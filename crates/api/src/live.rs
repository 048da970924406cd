//! The live state of the PBX as the HTTP side sees it: a snapshot taken on demand from
//! whatever owns calls and registrations (the SIP layer), so the API never reaches into SIP
//! internals and its tests can hand it any state they like.

use serde::Serialize;

/// A source of [`LiveSnapshot`]s, implemented by the SIP layer.
///
/// `snapshot` is called on an HTTP task for every `/metrics` scrape and every
/// `/api/registrations` request, so it must be quick and must not block: copy the counters
/// and the registrar's entries out under a short lock, nothing more.
pub trait LiveView: Send + Sync + 'static {
    /// The state of the PBX at this moment.
    fn snapshot(&self) -> LiveSnapshot;
}

/// What is going on in the PBX right now.
#[derive(Debug, Clone, Serialize)]
pub struct LiveSnapshot {
    /// Calls in progress (ringing or answered).
    pub active_calls: usize,
    /// Whether the PBX is draining for a shutdown: it finishes the calls it has and takes no
    /// new ones. Monitors alert on it, load balancers steer away.
    pub draining: bool,
    /// Every registered contact; one extension may have several (desk phone and softphone).
    pub registrations: Vec<RegistrationView>,
}

/// One registered contact, as the registrar holds it.
#[derive(Debug, Clone, Serialize)]
pub struct RegistrationView {
    /// The extension (SIP user) that registered, `101`.
    pub extension: String,
    /// The Contact URI calls are sent to, `sip:101@192.0.2.10:5062`.
    pub contact: String,
    /// The address the REGISTER came from, `192.0.2.10:5062`: behind NAT it differs from the
    /// contact, and that is the first thing to look at when a phone does not ring.
    pub source: String,
    /// The transport it registered over, `UDP` or `TCP`.
    pub transport: String,
    /// Seconds until the registration expires unless renewed.
    pub expires_in_secs: u64,
    /// The phone's User-Agent header, when it sent one.
    pub user_agent: Option<String>,
}
