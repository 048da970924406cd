//! RTP for the media tests: packets read from a pcap (SIPp's g711a.pcap), and a UDP endpoint
//! that plays them to the PBX while recording what comes back and from where.

use std::collections::HashSet;
use std::net::{SocketAddr, UdpSocket};
use std::path::Path;
use std::time::{Duration, Instant};

/// SIPp's 20 ms PCMA (payload type 8) recording, 236 packets.
pub const G711A_PCAP: &str = "/usr/share/sip-tester/g711a.pcap";

/// The UDP payloads of a classic pcap file (Ethernet, Linux cooked or raw IP link types;
/// IPv4) that look like RTP version 2.
pub fn read_pcap_rtp(path: impl AsRef<Path>) -> Vec<Vec<u8>> {
    let path = path.as_ref();
    let data = std::fs::read(path).unwrap_or_else(|e| {
        panic!(
            "cannot read {} ({e}): install sip-tester with scripts/install-test-peers.sh",
            path.display()
        )
    });
    assert!(data.len() >= 24, "{}: not a pcap file", path.display());
    let magic = u32::from_le_bytes(data[0..4].try_into().unwrap());
    let le = match magic {
        0xa1b2_c3d4 | 0xa1b2_3c4d => true,
        0xd4c3_b2a1 | 0x4d3c_b2a1 => false,
        _ => panic!(
            "{}: not a classic pcap file (magic {magic:#x})",
            path.display()
        ),
    };
    let u32_at = |at: usize| {
        let b: [u8; 4] = data[at..at + 4].try_into().unwrap();
        if le {
            u32::from_le_bytes(b)
        } else {
            u32::from_be_bytes(b)
        }
    };
    let link_type = u32_at(20);
    let mut packets = Vec::new();
    let mut at = 24;
    while at + 16 <= data.len() {
        let caplen = u32_at(at + 8) as usize;
        let frame = &data[at + 16..(at + 16 + caplen).min(data.len())];
        at += 16 + caplen;
        let ip = match link_type {
            1 if frame.len() > 14 && frame[12..14] == [0x08, 0x00] => &frame[14..], // Ethernet, IPv4
            113 if frame.len() > 16 && frame[14..16] == [0x08, 0x00] => &frame[16..], // Linux SLL
            101 | 228 => frame,                                                     // raw IPv4
            _ => continue,
        };
        if ip.len() < 20 || ip[0] >> 4 != 4 || ip[9] != 17 {
            continue;
        }
        let header_len = usize::from(ip[0] & 0x0f) * 4;
        let Some(udp) = ip.get(header_len..) else {
            continue;
        };
        if udp.len() < 8 {
            continue;
        }
        let udp_len = usize::from(u16::from_be_bytes([udp[4], udp[5]]));
        let payload = &udp[8..udp_len.clamp(8, udp.len())];
        if payload.len() >= 12 && payload[0] >> 6 == 2 {
            packets.push(payload.to_vec());
        }
    }
    packets
}

/// The fields of an RTP packet the tests look at.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rtp {
    pub payload_type: u8,
    pub sequence: u16,
    pub ssrc: u32,
    pub payload: Vec<u8>,
}

/// Parses a fixed RTP header (with CSRCs and an extension skipped; padding removed).
pub fn parse_rtp(packet: &[u8]) -> Option<Rtp> {
    if packet.len() < 12 || packet[0] >> 6 != 2 {
        return None;
    }
    let csrc = usize::from(packet[0] & 0x0f);
    let mut start = 12 + 4 * csrc;
    if packet[0] & 0x10 != 0 {
        let ext = packet.get(start..start + 4)?;
        start += 4 + 4 * usize::from(u16::from_be_bytes([ext[2], ext[3]]));
    }
    let mut end = packet.len();
    if packet[0] & 0x20 != 0 {
        end = end.checked_sub(usize::from(*packet.last()?))?;
    }
    Some(Rtp {
        payload_type: packet[1] & 0x7f,
        sequence: u16::from_be_bytes([packet[2], packet[3]]),
        ssrc: u32::from_be_bytes(packet[8..12].try_into().unwrap()),
        payload: packet.get(start..end)?.to_vec(),
    })
}

/// One RTP packet received: from where, and what.
#[derive(Clone, Debug)]
pub struct Received {
    pub from: SocketAddr,
    pub data: Vec<u8>,
}

/// Plays `packets` from `socket` to `to` every `interval` while recording everything
/// received; returns when all were sent and `expect` packets arrived, or at `deadline`.
pub fn play_and_record(
    socket: &UdpSocket,
    to: SocketAddr,
    packets: &[Vec<u8>],
    interval: Duration,
    expect: usize,
    deadline: Instant,
) -> Vec<Received> {
    let mut received = Vec::new();
    let mut next_send = Instant::now();
    let mut sent = 0;
    let mut buf = vec![0u8; 2048];
    loop {
        let now = Instant::now();
        if now >= deadline || (sent == packets.len() && received.len() >= expect) {
            return received;
        }
        if sent < packets.len() && now >= next_send {
            socket.send_to(&packets[sent], to).expect("send RTP");
            sent += 1;
            next_send += interval;
            continue;
        }
        let wake = if sent < packets.len() {
            next_send.min(deadline)
        } else {
            deadline
        };
        let wait = wake
            .saturating_duration_since(now)
            .max(Duration::from_millis(1));
        socket.set_read_timeout(Some(wait)).expect("read timeout");
        if let Ok((n, from)) = socket.recv_from(&mut buf) {
            received.push(Received {
                from,
                data: buf[..n].to_vec(),
            });
        }
    }
}

/// The payloads of `packets`, to check that what arrived is what the other side sent.
pub fn payload_set(packets: &[Vec<u8>]) -> HashSet<Vec<u8>> {
    packets
        .iter()
        .filter_map(|p| parse_rtp(p))
        .map(|r| r.payload)
        .collect()
}

/// "127.0.0.1:20004" from a SIPp SDP log value.
pub fn parse_addr(value: &str) -> SocketAddr {
    value
        .trim()
        .parse()
        .unwrap_or_else(|e| panic!("{value:?} is not an address from SDP: {e}"))
}
