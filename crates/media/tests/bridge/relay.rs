//! Packets flowing through the bridge, and where they are sent.

use crate::common::*;
use sb_media::{Leg, SdpKind};
use std::time::Duration;

const TIMEOUT: Duration = Duration::from_secs(60);

#[tokio::test]
async fn rtp_is_relayed_both_ways_from_each_legs_own_pbx_port() {
    let media = media(30400, 8, TIMEOUT);
    let bridge = media.open_bridge().await.unwrap();
    let (caller, callee) = call(&bridge).await;

    for seq in 0..5 {
        caller
            .rtp
            .send_to(&rtp(seq), pbx_rtp(&bridge, Leg::Caller))
            .await
            .unwrap();
        let (packet, from) = receive(&callee.rtp).await;
        assert_eq!(packet, rtp(seq));
        assert_eq!(from, pbx_rtp(&bridge, Leg::Callee));
    }
    for seq in 100..103 {
        callee
            .rtp
            .send_to(&rtp(seq), pbx_rtp(&bridge, Leg::Callee))
            .await
            .unwrap();
        let (packet, from) = receive(&caller.rtp).await;
        assert_eq!(packet, rtp(seq));
        assert_eq!(from, pbx_rtp(&bridge, Leg::Caller));
    }

    let stats = bridge.stats();
    assert_eq!(
        (stats.caller.rtp_packets, stats.caller.rtp_bytes),
        (5, 5 * 172)
    );
    assert_eq!(
        (stats.callee.rtp_packets, stats.callee.rtp_bytes),
        (3, 3 * 172)
    );
    assert_eq!(stats.caller.rtp_source, Some(caller.rtp_addr()));
    assert_eq!(stats.callee.rtp_source, Some(callee.rtp_addr()));
    assert_eq!(stats.from_leg(Leg::Caller).dropped_packets, 0);
}

#[tokio::test]
async fn rtcp_is_relayed_on_the_odd_ports() {
    let media = media(30420, 8, TIMEOUT);
    let bridge = media.open_bridge().await.unwrap();
    let (caller, callee) = call(&bridge).await;

    caller
        .rtcp
        .send_to(&rtcp(), pbx_rtcp(&bridge, Leg::Caller))
        .await
        .unwrap();
    let (packet, from) = receive(&callee.rtcp).await;
    assert_eq!((packet, from), (rtcp(), pbx_rtcp(&bridge, Leg::Callee)));

    callee
        .rtcp
        .send_to(&rtcp(), pbx_rtcp(&bridge, Leg::Callee))
        .await
        .unwrap();
    let (packet, from) = receive(&caller.rtcp).await;
    assert_eq!((packet, from), (rtcp(), pbx_rtcp(&bridge, Leg::Caller)));

    let stats = bridge.stats();
    assert_eq!((stats.caller.rtcp_packets, stats.caller.rtcp_bytes), (1, 8));
    assert_eq!(stats.callee.rtcp_packets, 1);
    assert_eq!((stats.caller.rtp_packets, stats.callee.rtp_packets), (0, 0));
    assert_eq!(stats.caller.rtcp_source, Some(caller.rtcp_addr()));
}

#[tokio::test]
async fn rtcp_goes_to_the_rtp_port_plus_one_without_an_rtcp_attribute() {
    let media = media(30440, 8, TIMEOUT);
    let bridge = media.open_bridge().await.unwrap();
    let (caller, callee) = call(&bridge).await;
    let (rtp_port, rtcp_port) = bind_even_pair().await;
    let answer = sdp(rtp_port.local_addr().unwrap(), callee.rtcp_addr(), "")
        .replace(&format!("a=rtcp:{}\r\n", callee.rtcp_addr().port()), "");
    bridge
        .rewrite(Leg::Callee, SdpKind::Answer, answer.as_bytes())
        .unwrap();

    caller
        .rtcp
        .send_to(&rtcp(), pbx_rtcp(&bridge, Leg::Caller))
        .await
        .unwrap();
    let (packet, _) = receive(&rtcp_port).await;
    assert_eq!(packet, rtcp());
}

/// Two sockets on consecutive ports, the first even.
async fn bind_even_pair() -> (tokio::net::UdpSocket, tokio::net::UdpSocket) {
    for _ in 0..100 {
        let rtp = socket().await;
        let port = rtp.local_addr().unwrap().port();
        if port % 2 == 0 {
            if let Ok(rtcp) = tokio::net::UdpSocket::bind((LOCALHOST, port + 1)).await {
                return (rtp, rtcp);
            }
        }
    }
    panic!("no free even/odd port pair");
}

#[tokio::test]
async fn media_latches_onto_where_the_phone_really_sends_from() {
    let media = media(30460, 8, TIMEOUT);
    let bridge = media.open_bridge().await.unwrap();
    // The caller's SDP names an address that is not where its packets come from (NAT).
    let advertised = socket().await;
    let nat = socket().await;
    let callee = Phone::new().await;
    let offer = sdp(
        advertised.local_addr().unwrap(),
        advertised.local_addr().unwrap(),
        "",
    );
    bridge
        .rewrite(Leg::Caller, SdpKind::Offer, offer.as_bytes())
        .unwrap();
    bridge
        .rewrite(Leg::Callee, SdpKind::Answer, callee.sdp("").as_bytes())
        .unwrap();

    // Before the caller has sent anything, the SDP's address is all there is.
    callee
        .rtp
        .send_to(&rtp(1), pbx_rtp(&bridge, Leg::Callee))
        .await
        .unwrap();
    assert_eq!(receive(&advertised).await.0, rtp(1));

    nat.send_to(&rtp(2), pbx_rtp(&bridge, Leg::Caller))
        .await
        .unwrap();
    assert_eq!(receive(&callee.rtp).await.0, rtp(2));
    callee
        .rtp
        .send_to(&rtp(3), pbx_rtp(&bridge, Leg::Callee))
        .await
        .unwrap();
    assert_eq!(receive(&nat).await, (rtp(3), pbx_rtp(&bridge, Leg::Caller)));
    nothing_arrives(&advertised, Duration::from_millis(100)).await;
    assert_eq!(
        bridge.stats().caller.rtp_source,
        Some(nat.local_addr().unwrap())
    );
}

#[tokio::test]
async fn a_stranger_cannot_take_over_a_latched_call() {
    let media = media(30480, 8, TIMEOUT);
    let bridge = media.open_bridge().await.unwrap();
    let (caller, callee) = call(&bridge).await;
    let stranger = socket().await;

    caller
        .rtp
        .send_to(&rtp(1), pbx_rtp(&bridge, Leg::Caller))
        .await
        .unwrap();
    assert_eq!(receive(&callee.rtp).await.0, rtp(1));
    stranger
        .send_to(&rtp(666), pbx_rtp(&bridge, Leg::Caller))
        .await
        .unwrap();
    caller
        .rtp
        .send_to(&rtp(2), pbx_rtp(&bridge, Leg::Caller))
        .await
        .unwrap();
    assert_eq!(
        receive(&callee.rtp).await.0,
        rtp(2),
        "the stranger's packet was relayed"
    );

    callee
        .rtp
        .send_to(&rtp(3), pbx_rtp(&bridge, Leg::Callee))
        .await
        .unwrap();
    assert_eq!(receive(&caller.rtp).await.0, rtp(3));
    nothing_arrives(&stranger, Duration::from_millis(100)).await;
    let stats = bridge.stats();
    assert_eq!(stats.caller.dropped_packets, 1);
    assert_eq!(stats.caller.rtp_source, Some(caller.rtp_addr()));
}

#[tokio::test]
async fn a_new_source_takes_over_after_the_latched_one_falls_silent() {
    let media = media(30500, 8, TIMEOUT);
    let bridge = media.open_bridge().await.unwrap();
    // The SDP's address is silent, so only the silence rule can move the latch.
    let advertised = socket().await;
    let callee = Phone::new().await;
    let offer = sdp(
        advertised.local_addr().unwrap(),
        advertised.local_addr().unwrap(),
        "",
    );
    bridge
        .rewrite(Leg::Caller, SdpKind::Offer, offer.as_bytes())
        .unwrap();
    bridge
        .rewrite(Leg::Callee, SdpKind::Answer, callee.sdp("").as_bytes())
        .unwrap();
    let (first, second) = (socket().await, socket().await);

    first
        .send_to(&rtp(1), pbx_rtp(&bridge, Leg::Caller))
        .await
        .unwrap();
    assert_eq!(receive(&callee.rtp).await.0, rtp(1));
    tokio::time::sleep(Duration::from_millis(1100)).await;
    second
        .send_to(&rtp(2), pbx_rtp(&bridge, Leg::Caller))
        .await
        .unwrap();
    assert_eq!(receive(&callee.rtp).await.0, rtp(2));

    callee
        .rtp
        .send_to(&rtp(3), pbx_rtp(&bridge, Leg::Callee))
        .await
        .unwrap();
    assert_eq!(receive(&second).await.0, rtp(3));
    first
        .send_to(&rtp(4), pbx_rtp(&bridge, Leg::Caller))
        .await
        .unwrap();
    nothing_arrives(&callee.rtp, Duration::from_millis(100)).await;
}

#[tokio::test]
async fn a_re_invite_to_a_new_address_moves_the_media_at_once() {
    let media = media(30520, 8, TIMEOUT);
    let bridge = media.open_bridge().await.unwrap();
    let (caller, callee) = call(&bridge).await;
    caller
        .rtp
        .send_to(&rtp(1), pbx_rtp(&bridge, Leg::Caller))
        .await
        .unwrap();
    receive(&callee.rtp).await;

    let moved = Phone::new().await;
    bridge
        .rewrite(Leg::Caller, SdpKind::Offer, moved.sdp("").as_bytes())
        .unwrap();
    bridge
        .rewrite(Leg::Callee, SdpKind::Answer, callee.sdp("").as_bytes())
        .unwrap();
    callee
        .rtp
        .send_to(&rtp(2), pbx_rtp(&bridge, Leg::Callee))
        .await
        .unwrap();
    assert_eq!(receive(&moved.rtp).await.0, rtp(2));
    nothing_arrives(&caller.rtp, Duration::from_millis(100)).await;
    assert_eq!(bridge.stats().caller.rtp_source, None);
}

#[tokio::test]
async fn what_is_not_rtp_is_neither_relayed_nor_latched() {
    let media = media(30540, 8, TIMEOUT);
    let bridge = media.open_bridge().await.unwrap();
    let (caller, callee) = call(&bridge).await;
    let stranger = socket().await;

    for junk in [&b"\r\n\r\n"[..], b"", &[0u8; 40], &[0x80; 11]] {
        stranger
            .send_to(junk, pbx_rtp(&bridge, Leg::Caller))
            .await
            .unwrap();
    }
    stranger
        .send_to(&rtp(1), pbx_rtcp(&bridge, Leg::Caller))
        .await
        .unwrap();
    callee
        .rtp
        .send_to(&rtp(2), pbx_rtp(&bridge, Leg::Callee))
        .await
        .unwrap();
    assert_eq!(receive(&caller.rtp).await.0, rtp(2));
    nothing_arrives(&callee.rtp, Duration::from_millis(100)).await;
    nothing_arrives(&callee.rtcp, Duration::from_millis(10)).await;
    eventually(|| bridge.stats().caller.dropped_packets == 5).await;
    let stats = bridge.stats();
    assert_eq!(
        (stats.caller.rtp_source, stats.caller.rtcp_source),
        (None, None)
    );
}

#[tokio::test]
async fn packets_before_any_sdp_latch_and_wait_for_a_destination() {
    let media = media(30560, 8, TIMEOUT);
    let bridge = media.open_bridge().await.unwrap();
    let (caller, callee) = (Phone::new().await, Phone::new().await);
    // Early media from the callee before its answer is known: nowhere to send it yet.
    callee
        .rtp
        .send_to(&rtp(1), pbx_rtp(&bridge, Leg::Callee))
        .await
        .unwrap();
    eventually(|| bridge.stats().callee.dropped_packets == 1).await;
    let stats = bridge.stats();
    assert_eq!(stats.callee.rtp_source, Some(callee.rtp_addr()));

    bridge
        .rewrite(Leg::Caller, SdpKind::Offer, caller.sdp("").as_bytes())
        .unwrap();
    callee
        .rtp
        .send_to(&rtp(2), pbx_rtp(&bridge, Leg::Callee))
        .await
        .unwrap();
    assert_eq!(receive(&caller.rtp).await.0, rtp(2));
    // The callee's answer names the address it was already latched onto: no change.
    bridge
        .rewrite(Leg::Callee, SdpKind::Answer, callee.sdp("").as_bytes())
        .unwrap();
    caller
        .rtp
        .send_to(&rtp(3), pbx_rtp(&bridge, Leg::Caller))
        .await
        .unwrap();
    assert_eq!(receive(&callee.rtp).await.0, rtp(3));
}
