//! Anchored media for the Switchboard B2BUA: every call's RTP and RTCP flow through the PBX.
//!
//! For each call [`Media::open_bridge`] binds an even RTP port and the odd RTCP port above it
//! for each leg, from the configured range. [`Bridge::rewrite`] turns the SDP of one leg into
//! the SDP for the other, naming the PBX's address and ports, so both phones send to the PBX,
//! which relays each leg's packets out of the other leg's socket. Where to send a leg's
//! packets is learned from its SDP and then latched onto where its packets really come from
//! (symmetric RTP, for phones behind NAT; the rule is in the `latch` module).
//!
//! Only PCMU, PCMA and telephone-event are offered, so the PBX never needs to transcode; the
//! payload is relayed untouched.
//!
//! The SIP layer's part, per call:
//! 1. `open_bridge()` when an INVITE with (or without) SDP arrives;
//! 2. `rewrite(from, kind, sdp)` for every SDP body, in either direction, with the leg it
//!    came from and whether it is an offer or an answer; send the result to the other leg;
//! 3. end the call when `inactive()` resolves; drop the bridge when the call ends.
//!
//! A leg the PBX answers itself (an IVR, a queue's hold music, voicemail) is a
//! [`MediaEndpoint`] instead, from [`Media::open_endpoint`]: see the [`endpoint`] module.

mod activity;
pub mod audio;
mod bridge;
mod config;
pub mod dtmf;
pub mod endpoint;
mod error;
mod latch;
mod media;
mod origin;
pub mod playout;
mod ports;
mod relay;
mod sdp;
mod stats;
pub mod tones;

pub use bridge::{Bridge, Leg, SdpKind};
pub use config::MediaConfig;
pub use endpoint::{DigitMethod, EndpointEvent, MediaEndpoint, PlayId};
pub use error::{MediaError, SdpError};
pub use media::Media;
pub use stats::{BridgeStats, LegStats};

use std::sync::{Mutex, MutexGuard, PoisonError};

/// Locks `mutex`, carrying on past a poisoned lock: the state behind each one stays valid
/// whatever point a panicking holder reached, and one call's panic must not end others.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}
