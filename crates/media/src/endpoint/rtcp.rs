//! RTCP on an endpoint's leg (RFC 3550 §6): the sender reports a phone expects from the far
//! end of its call, and a count of the phone's own reports.
//!
//! Why send them: some phones and carriers' session border controllers show call quality from
//! them or end calls that send RTP but never RTCP, and the report's NTP/RTP timestamp pair is
//! what lets the far end measure the round trip. The PBX reports about every
//! [`REPORT_INTERVAL`] while it sends (RFC 3550's minimum interval, without the randomisation
//! that matters only for large sessions): a compound packet of a Sender Report with no
//! reception blocks and an SDES with the CNAME that §6.5.1 requires.
//!
//! Where to: the address the phone's RTCP comes from, once some has (symmetric RTCP behind
//! NAT, as for RTP), else the RTP address of its SDP with the port plus one. What the phone
//! sends is only checked for shape and counted; a datagram that is not RTCP is passed over.

use super::answer::Negotiated;
use crate::latch::Latch;
use crate::playout::SentCount;
use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tokio::time::Instant;

/// Time between two sender reports.
pub const REPORT_INTERVAL: Duration = Duration::from_secs(5);

/// RTCP packet types (RFC 3550 §12.1).
const SR: u8 = 200;
const RR: u8 = 201;
const SDES: u8 = 202;
const APP: u8 = 204;
/// SDES item type of the CNAME.
const CNAME: u8 = 1;
/// Seconds from the NTP epoch (1900) to the Unix epoch (1970).
const NTP_UNIX_OFFSET: u64 = 2_208_988_800;

/// One leg's RTCP state.
#[derive(Debug)]
pub(crate) struct Rtcp {
    latch: Latch,
    cname: String,
    /// The stream's packet count at the last report, to tell whether it sent since.
    reported: Option<u32>,
    received: u64,
}

impl Rtcp {
    /// A leg whose reports name `cname` (unique per stream: RFC 7022 allows a random one).
    pub fn new(cname: String) -> Rtcp {
        Rtcp {
            latch: Latch::default(),
            cname,
            reported: None,
            received: 0,
        }
    }

    /// Takes the leg's (re)negotiation: where its SDP says RTCP goes.
    pub fn negotiated(&mut self, negotiated: &Negotiated) {
        let signalled = negotiated
            .remote
            .and_then(|rtp| Some(SocketAddr::new(rtp.ip(), rtp.port().checked_add(1)?)));
        self.latch.signal(signalled);
    }

    /// Where to send reports, of the socket's family (`v6`: IPv4-mapped).
    pub fn destination(&self, v6: bool) -> Option<SocketAddr> {
        let dest = self.latch.destination()?;
        Some(match dest {
            SocketAddr::V4(v4) if v6 => {
                SocketAddr::new(IpAddr::V6(v4.ip().to_ipv6_mapped()), v4.port())
            }
            other => other,
        })
    }

    /// One datagram on the RTCP port: counted (and latched onto) if it is RTCP.
    pub fn received(&mut self, bytes: &[u8], source: SocketAddr, now: Instant) {
        if is_rtcp(bytes) && self.latch.accept(source, now) {
            self.received += 1;
        }
    }

    /// Reports received from the phone.
    pub fn reports_received(&self) -> u64 {
        self.received
    }

    /// The compound report to send now for the stream `ssrc` that has sent `sent`, or `None`
    /// if it sent nothing since the last report (nothing to report as a sender).
    pub fn report(&mut self, ssrc: u32, sent: &SentCount) -> Option<Vec<u8>> {
        let packets = sent.packets();
        if packets == 0 || self.reported == Some(packets) {
            return None;
        }
        self.reported = Some(packets);
        Some(sender_report(ssrc, sent, &self.cname, SystemTime::now()))
    }
}

/// A Sender Report without reception blocks followed by an SDES with one CNAME chunk.
pub(crate) fn sender_report(ssrc: u32, sent: &SentCount, cname: &str, now: SystemTime) -> Vec<u8> {
    let mut out = Vec::with_capacity(64);
    // SR: V=2, P=0, RC=0; length 6 words after the first.
    out.extend_from_slice(&[0x80, SR, 0, 6]);
    out.extend_from_slice(&ssrc.to_be_bytes());
    out.extend_from_slice(&ntp(now).to_be_bytes());
    out.extend_from_slice(&sent.timestamp().to_be_bytes());
    out.extend_from_slice(&sent.packets().to_be_bytes());
    out.extend_from_slice(&sent.octets().to_be_bytes());
    // SDES: one chunk: SSRC, CNAME item, end item, padded to a word.
    let name = &cname.as_bytes()[..cname.len().min(255)];
    let mut chunk = Vec::with_capacity(8 + name.len());
    chunk.extend_from_slice(&ssrc.to_be_bytes());
    chunk.push(CNAME);
    chunk.push(name.len() as u8);
    chunk.extend_from_slice(name);
    chunk.push(0);
    while chunk.len() % 4 != 0 {
        chunk.push(0);
    }
    let words = u16::try_from(chunk.len() / 4).unwrap_or(u16::MAX);
    out.extend_from_slice(&[0x81, SDES]);
    out.extend_from_slice(&words.to_be_bytes());
    out.extend_from_slice(&chunk);
    out
}

/// The 64-bit NTP timestamp of `now` (seconds since 1900, and the fraction).
fn ntp(now: SystemTime) -> u64 {
    let since = now.duration_since(UNIX_EPOCH).unwrap_or_default();
    let seconds = since.as_secs().wrapping_add(NTP_UNIX_OFFSET);
    let fraction = (u64::from(since.subsec_nanos()) << 32) / 1_000_000_000;
    (seconds << 32) | fraction
}

/// Whether `bytes` is a well-formed compound RTCP packet (RFC 3550 §6.1): version 2 in every
/// packet, a known type first, lengths that add up to the datagram exactly.
pub(crate) fn is_rtcp(bytes: &[u8]) -> bool {
    let mut rest = bytes;
    let mut first = true;
    while !rest.is_empty() {
        let [b0, pt, l0, l1, ..] = *rest else {
            return false;
        };
        if b0 >> 6 != 2 || (first && !matches!(pt, SR | RR)) || !(SR..=APP).contains(&pt) {
            return false;
        }
        let len = (usize::from(u16::from_be_bytes([l0, l1])) + 1) * 4;
        let Some(next) = rest.get(len..) else {
            return false;
        };
        rest = next;
        first = false;
    }
    !first
}

/// What a Sender Report says, for tests.
#[cfg(test)]
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct ParsedReport {
    pub ssrc: u32,
    pub ntp: u64,
    pub rtp_timestamp: u32,
    pub packets: u32,
    pub octets: u32,
    pub cname: String,
}

/// Reads a compound packet made of an SR and an SDES, as [`sender_report`] writes it.
#[cfg(test)]
pub(crate) fn parse_sender_report(bytes: &[u8]) -> Option<ParsedReport> {
    if !is_rtcp(bytes) || bytes.get(1) != Some(&SR) {
        return None;
    }
    let word = |at: usize| Some(u32::from_be_bytes(bytes.get(at..at + 4)?.try_into().ok()?));
    let sr_len = (usize::from(u16::from_be_bytes([bytes[2], bytes[3]])) + 1) * 4;
    let sdes = bytes.get(sr_len..)?;
    if sdes.get(1) != Some(&SDES) || sdes.get(8) != Some(&CNAME) {
        return None;
    }
    let len = usize::from(*sdes.get(9)?);
    let cname = String::from_utf8(sdes.get(10..10 + len)?.to_vec()).ok()?;
    Some(ParsedReport {
        ssrc: word(4)?,
        ntp: (u64::from(word(8)?) << 32) | u64::from(word(12)?),
        rtp_timestamp: word(16)?,
        packets: word(20)?,
        octets: word(24)?,
        cname,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::playout::RtpStream;

    #[test]
    fn a_report_reads_back_and_is_valid_rtcp() {
        let mut stream = RtpStream::starting_at(0xabcd, 1, 5000);
        for _ in 0..3 {
            stream.next_header(0, 160);
        }
        let sent = stream.sent();
        let now = UNIX_EPOCH + Duration::from_millis(1_700_000_000_500);
        let bytes = sender_report(0xabcd, &sent, "sb@pbx", now);
        assert_eq!(bytes.len() % 4, 0);
        assert!(is_rtcp(&bytes));
        let report = parse_sender_report(&bytes).unwrap();
        assert_eq!(
            report,
            ParsedReport {
                ssrc: 0xabcd,
                ntp: ((1_700_000_000 + NTP_UNIX_OFFSET) << 32) | (1 << 31),
                rtp_timestamp: 5480,
                packets: 3,
                octets: 480,
                cname: "sb@pbx".into(),
            }
        );
    }

    #[test]
    fn a_report_only_after_sending() {
        let mut rtcp = Rtcp::new("x".into());
        let mut stream = RtpStream::new();
        assert!(rtcp.report(stream.ssrc(), &stream.sent()).is_none());
        stream.next_header(0, 160);
        assert!(rtcp.report(stream.ssrc(), &stream.sent()).is_some());
        assert!(rtcp.report(stream.ssrc(), &stream.sent()).is_none());
    }

    #[test]
    fn reports_go_to_the_sdp_port_plus_one_until_the_phones_rtcp_arrives() {
        let mut rtcp = Rtcp::new("x".into());
        assert_eq!(rtcp.destination(false), None);
        let remote: SocketAddr = "192.0.2.1:4000".parse().unwrap();
        rtcp.negotiated(&Negotiated {
            codec: crate::audio::Codec::Pcmu,
            payload_type: 0,
            events: None,
            remote: Some(remote),
            remote_receives: true,
            remote_sends: true,
        });
        assert_eq!(rtcp.destination(false), "192.0.2.1:4001".parse().ok());
        assert_eq!(
            rtcp.destination(true),
            "[::ffff:192.0.2.1]:4001".parse().ok()
        );
        let nat: SocketAddr = "198.51.100.7:6001".parse().unwrap();
        rtcp.received(b"not rtcp", nat, Instant::now());
        assert_eq!(rtcp.destination(false), "192.0.2.1:4001".parse().ok());
        rtcp.received(&[0x80, RR, 0, 1, 0, 0, 0, 1], nat, Instant::now());
        assert_eq!(rtcp.destination(false), Some(nat));
        assert_eq!(rtcp.reports_received(), 1);
    }

    #[test]
    fn garbage_is_not_rtcp_and_never_panics() {
        assert!(!is_rtcp(&[]));
        assert!(!is_rtcp(&[0x80, SR, 0]));
        assert!(!is_rtcp(&[0x80, SR, 0, 6, 0, 0]));
        assert!(!is_rtcp(&[0x80, SDES, 0, 0]));
        assert!(!is_rtcp(&[0x40, RR, 0, 0]));
        assert!(is_rtcp(&[0x80, RR, 0, 1, 0, 0, 0, 1]));
        let mut seed = 7u32;
        for len in 0..200 {
            let bytes: Vec<u8> = (0..len)
                .map(|_| {
                    seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12345);
                    (seed >> 16) as u8
                })
                .collect();
            let _ = is_rtcp(&bytes);
            let _ = parse_sender_report(&bytes);
        }
    }
}
