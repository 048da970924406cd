//! The SIP layer's live state, as the HTTP API shows it.

use sb_api::{LiveSnapshot, LiveView, RegistrationView};
use sb_sip::SipStatus;
use std::time::Instant;

/// Adapts [`SipStatus`] to the API's [`LiveView`], so neither crate depends on the other.
pub struct SipLiveView(pub SipStatus);

impl LiveView for SipLiveView {
    fn snapshot(&self) -> LiveSnapshot {
        let now = Instant::now();
        LiveSnapshot {
            active_calls: self.0.active_calls(),
            draining: self.0.draining(),
            registrations: self
                .0
                .registrations()
                .into_iter()
                .map(|r| RegistrationView {
                    extension: r.extension,
                    contact: r.binding.contact.clone(),
                    source: r.binding.source.to_string(),
                    transport: r.binding.transport.clone(),
                    expires_in_secs: r.binding.remaining_secs(now),
                    user_agent: r.binding.user_agent.clone(),
                })
                .collect(),
        }
    }
}
