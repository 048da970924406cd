//! Symmetric RTP: where to send one leg's media, learned from its SDP and then from where its
//! packets really come from, since a phone behind NAT advertises an address nobody can reach.
//!
//! The rule, per leg and per channel (RTP and RTCP latch separately):
//! 1. Until a packet arrives, send to the address the leg's SDP gave.
//! 2. The first packet latches: its source becomes the destination.
//! 3. Once latched, a packet from another source is dropped, so a stranger spraying packets
//!    at the PBX's ports cannot take over a call (the "RTP bleed" attack), unless
//!    * it comes from exactly the address the SDP gave: signalling is authoritative, so a
//!      phone whose first packet lost a race to a stranger's still gets its media; or
//!    * the latched source has been silent for [`RELATCH_AFTER`]: the phone has moved (a
//!      NAT rebinding, a re-INVITE to another device) and the new source takes over.
//! 4. An SDP from the leg that changes its address (a re-INVITE) forgets the latch and starts
//!    again at 1.
//!
//! What stays possible: a stranger who sends while the real source is silent for longer than
//! [`RELATCH_AFTER`] (silence suppression) takes the stream, and loses it again as above.

use std::net::SocketAddr;
use std::time::Duration;
use tokio::time::Instant;

/// How long the latched source must be silent before another source may take its place.
/// Short enough that media resumes within a second when a phone's address changes, long
/// enough to outlast the jitter of a live stream (packets every 20 ms).
pub(crate) const RELATCH_AFTER: Duration = Duration::from_secs(1);

/// Where one leg's packets of one channel go, and where they came from.
#[derive(Debug, Default)]
pub(crate) struct Latch {
    signalled: Option<SocketAddr>,
    latched: Option<(SocketAddr, Instant)>,
}

impl Latch {
    /// Where the leg's packets must be sent: the latched source, else the SDP's address.
    pub fn destination(&self) -> Option<SocketAddr> {
        self.latched.map(|(source, _)| source).or(self.signalled)
    }

    /// The source latched onto, if any.
    pub fn latched(&self) -> Option<SocketAddr> {
        self.latched.map(|(source, _)| source)
    }

    /// Records the address the leg's SDP gives; a new one forgets the latch.
    pub fn signal(&mut self, address: Option<SocketAddr>) {
        if address != self.signalled {
            self.signalled = address;
            self.latched = None;
        }
    }

    /// Whether a packet from `source`, received at `now`, belongs to the leg (and may be
    /// relayed); latches onto `source` when the rule allows.
    pub fn accept(&mut self, source: SocketAddr, now: Instant) -> bool {
        if source.port() == 0 || source.ip().is_unspecified() {
            // Nothing can be sent back to such a source (SIPp replays pcaps from port 0):
            // its packets count when a stranger's would, but replies keep their address.
            return self
                .latched
                .is_none_or(|(_, seen)| now.saturating_duration_since(seen) >= RELATCH_AFTER);
        }
        let takes_over = match self.latched {
            Some((latched, _)) if latched == source => true,
            None => true,
            Some(_) if Some(source) == self.signalled => true,
            Some((_, last_seen)) => now.saturating_duration_since(last_seen) >= RELATCH_AFTER,
        };
        if takes_over {
            if self.latched() != Some(source) {
                tracing::debug!(%source, previous = ?self.latched(), "media latched");
            }
            self.latched = Some((source, now));
        }
        takes_over
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addr(port: u16) -> SocketAddr {
        SocketAddr::from(([192, 0, 2, 1], port))
    }

    #[test]
    fn sends_to_the_sdp_address_until_a_packet_arrives() {
        let mut latch = Latch::default();
        assert_eq!(latch.destination(), None);
        latch.signal(Some(addr(4000)));
        assert_eq!(latch.destination(), Some(addr(4000)));
        assert!(latch.accept(addr(5000), Instant::now()));
        assert_eq!(latch.destination(), Some(addr(5000)));
        assert_eq!(latch.latched(), Some(addr(5000)));
    }

    #[test]
    fn a_stranger_cannot_take_over_a_live_stream() {
        let mut latch = Latch::default();
        latch.signal(Some(addr(4000)));
        let start = Instant::now();
        assert!(latch.accept(addr(5000), start));
        assert!(!latch.accept(addr(6666), start + Duration::from_millis(10)));
        assert!(latch.accept(addr(5000), start + Duration::from_millis(20)));
        assert!(!latch.accept(addr(6666), start + RELATCH_AFTER));
        assert_eq!(latch.destination(), Some(addr(5000)));
    }

    #[test]
    fn another_source_takes_over_once_the_latched_one_is_silent() {
        let mut latch = Latch::default();
        let start = Instant::now();
        assert!(latch.accept(addr(5000), start));
        assert!(latch.accept(addr(6000), start + RELATCH_AFTER));
        assert_eq!(latch.destination(), Some(addr(6000)));
        assert!(!latch.accept(addr(5000), start + RELATCH_AFTER));
    }

    #[test]
    fn a_source_that_cannot_be_answered_is_heard_but_never_latched() {
        let mut latch = Latch::default();
        latch.signal(Some(addr(4000)));
        let start = Instant::now();
        assert!(latch.accept(addr(0), start));
        assert_eq!(latch.destination(), Some(addr(4000)));
        assert_eq!(latch.latched(), None);
        assert!(latch.accept(addr(5000), start));
        assert!(!latch.accept(addr(0), start + Duration::from_millis(10)));
        assert_eq!(latch.destination(), Some(addr(5000)));
    }

    #[test]
    fn the_sdp_address_always_wins() {
        let mut latch = Latch::default();
        latch.signal(Some(addr(4000)));
        let start = Instant::now();
        assert!(latch.accept(addr(6666), start));
        assert!(latch.accept(addr(4000), start));
        assert_eq!(latch.destination(), Some(addr(4000)));
        assert!(!latch.accept(addr(6666), start));
    }

    #[test]
    fn a_new_sdp_address_forgets_the_latch_and_the_same_one_does_not() {
        let mut latch = Latch::default();
        latch.signal(Some(addr(4000)));
        assert!(latch.accept(addr(5000), Instant::now()));
        latch.signal(Some(addr(4000)));
        assert_eq!(latch.destination(), Some(addr(5000)));
        latch.signal(Some(addr(4002)));
        assert_eq!(latch.destination(), Some(addr(4002)));
        assert_eq!(latch.latched(), None);
    }
}
