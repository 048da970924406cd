//! SDP through the bridge: the PBX's address and ports, and its session versions.

use crate::common::*;
use sb_media::{Bridge, Leg, Media, MediaConfig, SdpError, SdpKind};
use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

const PUBLIC: IpAddr = IpAddr::V4(Ipv4Addr::new(198, 51, 100, 7));

fn media(first: u16) -> Media {
    Media::new(MediaConfig {
        port_min: first,
        port_max: first + 3,
        inactivity_timeout: Duration::from_secs(60),
        ..MediaConfig::new(LOCALHOST, PUBLIC)
    })
    .unwrap()
}

fn sipp(port: u16, extra: &str) -> String {
    let addr = std::net::SocketAddr::new(LOCALHOST, port);
    sdp(addr, std::net::SocketAddr::new(LOCALHOST, port + 1), extra)
}

/// The session id and version of the `o=` line, checking the rest of it.
fn origin(sdp: &[u8]) -> (u64, u64) {
    let text = std::str::from_utf8(sdp).unwrap();
    let line = text.lines().nth(1).unwrap();
    let fields: Vec<&str> = line.split(' ').collect();
    assert_eq!(
        (fields[0], &fields[3..]),
        ("o=-", &["IN", "IP4", "198.51.100.7"][..]),
        "{line}"
    );
    (fields[1].parse().unwrap(), fields[2].parse().unwrap())
}

fn rewrite(bridge: &Bridge, from: Leg, kind: SdpKind, sdp: &str) -> Vec<u8> {
    bridge.rewrite(from, kind, sdp.as_bytes()).unwrap()
}

#[tokio::test]
async fn each_leg_is_told_the_pbx_address_and_its_own_port() {
    let media = media(31200);
    let bridge = media.open_bridge().await.unwrap();
    let to_callee = rewrite(&bridge, Leg::Caller, SdpKind::Offer, &sipp(6000, ""));
    let to_callee = String::from_utf8(to_callee).unwrap();
    assert!(to_callee.starts_with("v=0\r\no=- "), "{to_callee}");
    assert!(
        to_callee.contains("\r\nc=IN IP4 198.51.100.7\r\n"),
        "{to_callee}"
    );
    let m = format!(
        "\r\nm=audio {} RTP/AVP 0 8 101\r\n",
        bridge.local_port(Leg::Callee)
    );
    assert!(to_callee.contains(&m), "{to_callee}");
    assert!(!to_callee.contains("127.0.0.1"), "{to_callee}");

    let to_caller = rewrite(&bridge, Leg::Callee, SdpKind::Answer, &sipp(7000, ""));
    let to_caller = String::from_utf8(to_caller).unwrap();
    let m = format!(
        "\r\nm=audio {} RTP/AVP 0 8 101\r\n",
        bridge.local_port(Leg::Caller)
    );
    assert!(to_caller.contains(&m), "{to_caller}");
}

#[tokio::test]
async fn session_versions_move_only_when_a_legs_sdp_changes() {
    let media = media(31210);
    let bridge = media.open_bridge().await.unwrap();
    let offer = rewrite(&bridge, Leg::Caller, SdpKind::Offer, &sipp(6000, ""));
    let answer = rewrite(&bridge, Leg::Callee, SdpKind::Answer, &sipp(7000, ""));
    let (callee_session, v1) = origin(&offer);
    let (caller_session, w1) = origin(&answer);
    assert_ne!(callee_session, caller_session);

    // A session refresh: the same SDP, the same version, byte for byte the same body.
    let refresh = rewrite(&bridge, Leg::Caller, SdpKind::Offer, &sipp(6000, ""));
    assert_eq!(refresh, offer);
    // The caller holds: the callee's version goes up, the caller's only when its SDP changes.
    let hold = rewrite(
        &bridge,
        Leg::Caller,
        SdpKind::Offer,
        &sipp(6000, "a=sendonly\r\n"),
    );
    assert_eq!(origin(&hold), (callee_session, v1 + 1));
    let held = rewrite(
        &bridge,
        Leg::Callee,
        SdpKind::Answer,
        &sipp(7000, "a=recvonly\r\n"),
    );
    assert_eq!(origin(&held), (caller_session, w1 + 1));
    let again = rewrite(
        &bridge,
        Leg::Callee,
        SdpKind::Answer,
        &sipp(7000, "a=recvonly\r\n"),
    );
    assert_eq!(origin(&again), (caller_session, w1 + 1));
    let resume = rewrite(&bridge, Leg::Caller, SdpKind::Offer, &sipp(6000, ""));
    assert_eq!(origin(&resume), (callee_session, v1 + 2));
    // A change of the phone's own o= line alone changes nothing the other leg sees.
    let renumbered = sipp(6000, "").replace("2353687637", "2353687638");
    let same = rewrite(&bridge, Leg::Caller, SdpKind::Offer, &renumbered);
    assert_eq!(origin(&same), (callee_session, v1 + 2));
}

#[tokio::test]
async fn sdp_that_cannot_be_relayed_is_refused_without_changing_anything() {
    let media = media(31220);
    let bridge = media.open_bridge().await.unwrap();
    let offer = rewrite(&bridge, Leg::Caller, SdpKind::Offer, &sipp(6000, ""));

    let opus = "v=0\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 6000 RTP/AVP 96\r\na=rtpmap:96 opus/48000/2\r\n";
    let refused = bridge.rewrite(Leg::Caller, SdpKind::Offer, opus.as_bytes());
    assert_eq!(refused, Err(SdpError::NoCommonCodec));
    let rejected = sipp(7000, "").replace("m=audio 7000", "m=audio 0");
    let refused = bridge.rewrite(Leg::Callee, SdpKind::Answer, rejected.as_bytes());
    assert_eq!(refused, Err(SdpError::NoAudio));
    let garbage = bridge.rewrite(Leg::Caller, SdpKind::Offer, b"\xff\xfe\x00garbage");
    assert!(matches!(garbage, Err(SdpError::Malformed { line: 1, .. })));

    let refresh = rewrite(&bridge, Leg::Caller, SdpKind::Offer, &sipp(6000, ""));
    assert_eq!(origin(&refresh), origin(&offer));
}
