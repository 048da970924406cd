//! Media anchoring: RTP from SIPp's g711a.pcap played in both directions of a call between
//! two extensions must arrive at the far end through the PBX's own ports.
//!
//! SIPp does the signalling; the SDP of each side names a UDP socket this test owns (-key
//! rtp_port). Each socket sends its pcap packets to the PBX address that side learnt from the
//! SDP it received (the caller from the 200 OK, the callee from the INVITE), and records what
//! comes back. Because each socket is both sender and receiver, the PBX's symmetric-RTP
//! latching sees the same address it sends to.

mod common;

use common::rtp::{self, Received};
use common::*;
use std::collections::HashSet;
use std::net::{SocketAddr, UdpSocket};
use std::time::{Duration, Instant};

/// Packets each side plays (20 ms apart: 1.2 s of audio).
const PACKETS: usize = 60;

#[test]
fn rtp_flows_both_ways_through_the_pbx() {
    let pbx = Pbx::demo();
    let (low, high) = pbx.rtp_ports;
    let pcap = rtp::read_pcap_rtp(rtp::G711A_PCAP);
    assert!(
        pcap.len() >= 160,
        "g711a.pcap has {} RTP packets",
        pcap.len()
    );
    // Different stretches of the recording for each direction, so a packet's payload tells
    // which side sent it.
    let from_caller: Vec<Vec<u8>> = pcap[..PACKETS].to_vec();
    let from_callee: Vec<Vec<u8>> = pcap[100..100 + PACKETS].to_vec();
    let caller_payloads = rtp::payload_set(&from_caller);
    let callee_payloads = rtp::payload_set(&from_callee);
    assert!(caller_payloads.is_disjoint(&callee_payloads));

    let caller_media = UdpSocket::bind("127.0.0.1:0").unwrap();
    let callee_media = UdpSocket::bind("127.0.0.1:0").unwrap();
    let caller_addr = caller_media.local_addr().unwrap();
    let callee_addr = callee_media.local_addr().unwrap();

    let mut uas = registered_uas(&pbx, "102", "uas_answer", |s| {
        s.rtp_port(callee_addr.port())
    });
    let mut uac = caller(&pbx, "uac_call", "101", "102")
        .rtp_port(caller_addr.port())
        .pause_ms(3000)
        .spawn();

    // Where each side must send: the PBX's address from the SDP it received.
    let to_pbx_from_caller = rtp::parse_addr(&uac.wait_log("SDP_ANSWER", Duration::from_secs(10)));
    let to_pbx_from_callee = rtp::parse_addr(&uas.wait_log("SDP_OFFER", Duration::from_secs(10)));
    for (what, addr) in [
        ("caller", to_pbx_from_caller),
        ("callee", to_pbx_from_callee),
    ] {
        assert!(
            (low..=high).contains(&addr.port()),
            "the SDP sent to the {what} names port {}, outside --rtp-ports {low}-{high}",
            addr.port()
        );
        assert_ne!(
            addr, caller_addr,
            "the {what}'s SDP points at the caller itself"
        );
        assert_ne!(
            addr, callee_addr,
            "the {what}'s SDP points at the callee itself"
        );
    }
    uas.wait_log("GOT_ACK", Duration::from_secs(10));

    let deadline = Instant::now() + Duration::from_millis(2500);
    let interval = Duration::from_millis(20);
    let (at_caller, at_callee) = std::thread::scope(|scope| {
        let caller = scope.spawn(|| {
            rtp::play_and_record(
                &caller_media,
                to_pbx_from_caller,
                &from_caller,
                interval,
                PACKETS,
                deadline,
            )
        });
        let callee = scope.spawn(|| {
            rtp::play_and_record(
                &callee_media,
                to_pbx_from_callee,
                &from_callee,
                interval,
                PACKETS,
                deadline,
            )
        });
        (caller.join().unwrap(), callee.join().unwrap())
    });

    eprintln!(
        "RTP through the PBX: caller got {} packets from {to_pbx_from_caller}, callee got {} from {to_pbx_from_callee} ({PACKETS} sent each way)",
        at_caller.len(),
        at_callee.len()
    );
    let uac = uac.wait();
    let uas = uas.wait_after(&uac);
    uac.assert_success();
    uas.assert_success();

    check_direction(
        "callee → caller",
        &at_caller,
        to_pbx_from_caller,
        (low, high),
        &callee_payloads,
        &caller_payloads,
    );
    check_direction(
        "caller → callee",
        &at_callee,
        to_pbx_from_callee,
        (low, high),
        &caller_payloads,
        &callee_payloads,
    );
}

/// What arrived at one side: enough packets, all RTP from the PBX port that side was given
/// in SDP (symmetric RTP), all carrying the other side's audio.
fn check_direction(
    what: &str,
    received: &[Received],
    pbx_port_in_sdp: SocketAddr,
    (low, high): (u16, u16),
    expected_payloads: &HashSet<Vec<u8>>,
    own_payloads: &HashSet<Vec<u8>>,
) {
    let summary = || {
        let sources: HashSet<SocketAddr> = received.iter().map(|r| r.from).collect();
        format!("{} packets from {:?}", received.len(), sources)
    };
    assert!(
        received.len() >= PACKETS / 2,
        "{what}: only {} of {PACKETS} RTP packets arrived ({})",
        received.len(),
        summary()
    );
    for packet in received {
        assert!(
            (low..=high).contains(&packet.from.port()),
            "{what}: a packet came from {}, not from the PBX's --rtp-ports {low}-{high}: media bypassed the PBX ({})",
            packet.from,
            summary()
        );
        assert_eq!(
            packet.from, pbx_port_in_sdp,
            "{what}: RTP must come from the address the PBX gave in SDP (symmetric RTP)"
        );
        let rtp = rtp::parse_rtp(&packet.data)
            .unwrap_or_else(|| panic!("{what}: not RTP: {:?}", packet.data));
        assert_eq!(rtp.payload_type, 8, "{what}: PCMA in, PCMA out");
        assert!(
            !own_payloads.contains(&rtp.payload),
            "{what}: a side received its own audio back"
        );
        assert!(
            expected_payloads.contains(&rtp.payload),
            "{what}: a payload that the other side never sent arrived"
        );
    }
}
