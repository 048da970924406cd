//! What a bridge has relayed: counters kept with relaxed atomics (one add per packet, no
//! lock) and the snapshot the PBX reads for CDRs, logs and tests.

use crate::Leg;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};

/// The media received from one leg and relayed to the other.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LegStats {
    /// RTP packets relayed.
    pub rtp_packets: u64,
    /// Their bytes (RTP header and payload).
    pub rtp_bytes: u64,
    /// RTCP packets relayed.
    pub rtcp_packets: u64,
    /// Their bytes.
    pub rtcp_bytes: u64,
    /// Packets received and not relayed: not RTP/RTCP, from a source that is not the leg's
    /// (see the latching rule), with nowhere to go yet, or failed to send.
    pub dropped_packets: u64,
    /// The source RTP is latched onto: where the other leg's RTP is sent.
    pub rtp_source: Option<SocketAddr>,
    /// The source RTCP is latched onto.
    pub rtcp_source: Option<SocketAddr>,
}

/// A snapshot of a bridge's traffic, per leg it came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct BridgeStats {
    /// Received from the caller, relayed to the callee.
    pub caller: LegStats,
    /// Received from the callee, relayed to the caller.
    pub callee: LegStats,
}

impl BridgeStats {
    /// The traffic received from `leg`.
    pub fn from_leg(&self, leg: Leg) -> &LegStats {
        match leg {
            Leg::Caller => &self.caller,
            Leg::Callee => &self.callee,
        }
    }
}

/// RTP or RTCP: the two sockets of a leg, relayed alike and counted apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Channel {
    Rtp,
    Rtcp,
}

/// The live counters behind [`LegStats`].
#[derive(Debug, Default)]
pub(crate) struct Counters {
    rtp_packets: AtomicU64,
    rtp_bytes: AtomicU64,
    rtcp_packets: AtomicU64,
    rtcp_bytes: AtomicU64,
    dropped_packets: AtomicU64,
}

impl Counters {
    pub fn relayed(&self, channel: Channel, bytes: usize) {
        let (packets, total) = match channel {
            Channel::Rtp => (&self.rtp_packets, &self.rtp_bytes),
            Channel::Rtcp => (&self.rtcp_packets, &self.rtcp_bytes),
        };
        packets.fetch_add(1, Ordering::Relaxed);
        total.fetch_add(bytes as u64, Ordering::Relaxed);
    }

    pub fn dropped(&self) {
        self.dropped_packets.fetch_add(1, Ordering::Relaxed);
    }

    /// The counts, with the latched sources added by the caller.
    pub fn snapshot(&self) -> LegStats {
        LegStats {
            rtp_packets: self.rtp_packets.load(Ordering::Relaxed),
            rtp_bytes: self.rtp_bytes.load(Ordering::Relaxed),
            rtcp_packets: self.rtcp_packets.load(Ordering::Relaxed),
            rtcp_bytes: self.rtcp_bytes.load(Ordering::Relaxed),
            dropped_packets: self.dropped_packets.load(Ordering::Relaxed),
            rtp_source: None,
            rtcp_source: None,
        }
    }
}
