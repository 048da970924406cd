//! The relay loop: one task per socket, moving each packet that arrives on a leg's socket out
//! of the other leg's matching socket.
//!
//! Each task owns one 2 KiB buffer for its whole life (larger than any RTP packet on an
//! Ethernet path), so relaying allocates nothing; a packet is sent before the next is read,
//! so nothing queues in the PBX beyond the kernel's bounded socket buffers.

use crate::bridge::Shared;
use crate::ports::Port;
use crate::stats::Channel;
use crate::{lock, Leg};
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;
use tokio::time::Instant;

const RECEIVE_BUFFER: usize = 2048;

/// A pause after a socket error, so that an error that repeats cannot spin the task.
const ERROR_PAUSE: Duration = Duration::from_millis(10);

/// Relays what arrives on `inbound` (the `channel` socket of `leg`) out of `outbound` (the
/// same channel's socket of the other leg), until the task is aborted.
pub(crate) async fn relay(
    shared: Arc<Shared>,
    leg: Leg,
    channel: Channel,
    inbound: Arc<Port>,
    outbound: Arc<Port>,
) {
    let mut buffer = [0u8; RECEIVE_BUFFER];
    let outbound_v6 = outbound
        .socket
        .local_addr()
        .is_ok_and(|addr| addr.is_ipv6());
    let from = shared.leg(leg);
    let to = shared.leg(leg.other());
    loop {
        let (len, source) = match inbound.socket.recv_from(&mut buffer).await {
            Ok(received) => received,
            Err(err) => {
                tracing::debug!(port = inbound.port, %err, "media receive failed");
                tokio::time::sleep(ERROR_PAUSE).await;
                continue;
            }
        };
        let packet = &buffer[..len];
        let source = SocketAddr::new(source.ip().to_canonical(), source.port());
        let now = Instant::now();
        if !plausible(channel, packet) || !lock(from.latch(channel)).accept(source, now) {
            from.counters.dropped();
            continue;
        }
        if channel == Channel::Rtp {
            shared.activity.rtp_received(now);
        }
        let Some(destination) = lock(to.latch(channel)).destination() else {
            from.counters.dropped();
            continue;
        };
        let destination = for_socket(destination, outbound_v6);
        match outbound.socket.send_to(packet, destination).await {
            Ok(_) => from.counters.relayed(channel, len),
            Err(err) => {
                tracing::debug!(%destination, %err, "media send failed");
                from.counters.dropped();
            }
        }
    }
}

/// Whether `packet` can be RTP (version 2, a full header) or RTCP (version 2, a report type
/// 192-223), so stray traffic such as STUN or keep-alives neither latches nor is relayed.
fn plausible(channel: Channel, packet: &[u8]) -> bool {
    let version_2 = packet.first().is_some_and(|&b| b >> 6 == 2);
    match channel {
        Channel::Rtp => version_2 && packet.len() >= 12,
        Channel::Rtcp => version_2 && packet.len() >= 8 && (192..=223).contains(&packet[1]),
    }
}

/// An IPv4 destination is written IPv4-mapped for a socket bound to an IPv6 address.
fn for_socket(destination: SocketAddr, socket_v6: bool) -> SocketAddr {
    match destination {
        SocketAddr::V4(v4) if socket_v6 => {
            SocketAddr::new(IpAddr::V6(v4.ip().to_ipv6_mapped()), v4.port())
        }
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_version_2_packets_with_a_full_header_pass() {
        let rtp = [0x80, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1];
        assert!(plausible(Channel::Rtp, &rtp));
        assert!(!plausible(Channel::Rtp, &rtp[..11]));
        assert!(!plausible(Channel::Rtp, &[0x00; 20]));
        assert!(!plausible(Channel::Rtp, &[]));
        let sender_report = [0x80, 200, 0, 6, 0, 0, 0, 1];
        assert!(plausible(Channel::Rtcp, &sender_report));
        assert!(!plausible(Channel::Rtcp, &[0x80, 0, 0, 6, 0, 0, 0, 1]));
        assert!(!plausible(Channel::Rtcp, &sender_report[..7]));
    }

    #[test]
    fn ipv4_destinations_are_mapped_for_ipv6_sockets() {
        let v4: SocketAddr = "192.0.2.1:4000".parse().unwrap();
        assert_eq!(for_socket(v4, false), v4);
        assert_eq!(
            for_socket(v4, true),
            "[::ffff:192.0.2.1]:4000".parse().unwrap()
        );
        let v6: SocketAddr = "[2001:db8::1]:4000".parse().unwrap();
        assert_eq!(for_socket(v6, true), v6);
    }
}
