//! The SDP rewrite against what real phones send, and against garbage.

use super::*;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

const PBX: Target = Target {
    ip: IpAddr::V4(std::net::Ipv4Addr::new(203, 0, 113, 5)),
    port: 20002,
};

/// SIPp's built-in UAC offer (`-sn uac`), line endings as SIPp sends them.
const SIPP_OFFER: &str = "v=0\r\n\
o=user1 53655765 2353687637 IN IP4 127.0.0.1\r\n\
s=-\r\n\
c=IN IP4 127.0.0.1\r\n\
t=0 0\r\n\
m=audio 6000 RTP/AVP 0 8 101\r\n\
a=rtpmap:0 PCMU/8000\r\n\
a=rtpmap:8 PCMA/8000\r\n\
a=rtpmap:101 telephone-event/8000\r\n\
a=fmtp:101 0-15\r\n";

/// What baresip offers: Opus, G.722, G.711 and telephone-event at both clock rates.
const BARESIP_OFFER: &str = "v=0\r\n\
o=- 1439542386 1873917025 IN IP4 192.168.1.35\r\n\
s=-\r\n\
c=IN IP4 192.168.1.35\r\n\
t=0 0\r\n\
a=tool:baresip 3.10.1\r\n\
m=audio 10354 RTP/AVP 96 9 0 8 101 102\r\n\
b=AS:128\r\n\
a=rtpmap:96 opus/48000/2\r\n\
a=fmtp:96 stereo=1;sprop-stereo=1;maxaveragebitrate=28000\r\n\
a=rtpmap:9 G722/8000\r\n\
a=rtpmap:0 PCMU/8000\r\n\
a=rtpmap:8 PCMA/8000\r\n\
a=rtpmap:101 telephone-event/48000\r\n\
a=fmtp:101 0-15\r\n\
a=rtpmap:102 telephone-event/8000\r\n\
a=fmtp:102 0-15\r\n\
a=rtcp-fb:96 nack\r\n\
a=rtcp-fb:* trr-int 100\r\n\
a=rtcp-rsize\r\n\
a=rtcp-mux\r\n\
a=sendrecv\r\n\
a=label:1\r\n\
a=ssrc:1164791284 cname:b1a9c4d2-6c73-4a0e-9b3e-2a7b0c3d5e11\r\n\
a=mid:1\r\n\
a=ptime:20\r\n";

fn text(rewritten: &Rewritten) -> &str {
    std::str::from_utf8(&rewritten.body).unwrap()
}

fn addr(text: &str) -> Option<SocketAddr> {
    Some(text.parse().unwrap())
}

#[test]
fn sipp_offer() {
    let out = rewrite(SIPP_OFFER.as_bytes(), PBX).unwrap();
    assert_eq!(
        text(&out),
        "s=-\r\n\
         c=IN IP4 203.0.113.5\r\n\
         t=0 0\r\n\
         m=audio 20002 RTP/AVP 0 8 101\r\n\
         a=rtpmap:0 PCMU/8000\r\n\
         a=rtpmap:8 PCMA/8000\r\n\
         a=rtpmap:101 telephone-event/8000\r\n\
         a=fmtp:101 0-15\r\n\
         a=sendrecv\r\n"
    );
    assert_eq!(
        out.remote,
        Remote {
            rtp: addr("127.0.0.1:6000"),
            rtcp: addr("127.0.0.1:6001"),
            direction: Direction::SendRecv,
        }
    );
}

#[test]
fn baresip_offer_keeps_only_g711_and_8khz_telephone_event() {
    let out = rewrite(BARESIP_OFFER.as_bytes(), PBX).unwrap();
    assert_eq!(
        text(&out),
        "s=-\r\n\
         c=IN IP4 203.0.113.5\r\n\
         t=0 0\r\n\
         a=tool:baresip 3.10.1\r\n\
         m=audio 20002 RTP/AVP 0 8 102\r\n\
         b=AS:128\r\n\
         a=rtpmap:0 PCMU/8000\r\n\
         a=rtpmap:8 PCMA/8000\r\n\
         a=rtpmap:102 telephone-event/8000\r\n\
         a=fmtp:102 0-15\r\n\
         a=rtcp-fb:* trr-int 100\r\n\
         a=label:1\r\n\
         a=ssrc:1164791284 cname:b1a9c4d2-6c73-4a0e-9b3e-2a7b0c3d5e11\r\n\
         a=mid:1\r\n\
         a=ptime:20\r\n\
         a=sendrecv\r\n"
    );
    assert_eq!(out.remote.rtp, addr("192.168.1.35:10354"));
}

#[test]
fn answer_with_one_codec_and_lf_endings() {
    let answer = "v=0\no=- 1 1 IN IP4 10.0.0.7\ns=SIP Call\nc=IN IP4 10.0.0.7\nt=0 0\n\
                  m=audio 40000 RTP/AVP 8 101\na=rtpmap:101 telephone-event/8000\na=ptime:20\n";
    let out = rewrite(answer.as_bytes(), PBX).unwrap();
    assert!(
        text(&out).contains("m=audio 20002 RTP/AVP 8 101\r\n"),
        "{}",
        text(&out)
    );
    assert_eq!(out.remote.rtp, addr("10.0.0.7:40000"));
}

#[test]
fn static_payload_types_need_no_rtpmap_and_a_remapped_one_is_dropped() {
    let sdp = "v=0\r\nc=IN IP4 10.0.0.7\r\nm=audio 4000 RTP/AVP 0 8 18\r\n";
    let out = rewrite(sdp.as_bytes(), PBX).unwrap();
    assert!(text(&out).contains("m=audio 20002 RTP/AVP 0 8\r\n"));

    let remapped =
        "v=0\r\nc=IN IP4 10.0.0.7\r\nm=audio 4000 RTP/AVP 0 8\r\na=rtpmap:8 G729/8000\r\n";
    let out = rewrite(remapped.as_bytes(), PBX).unwrap();
    assert!(text(&out).contains("m=audio 20002 RTP/AVP 0\r\n"));
    assert!(!text(&out).contains("G729"));
}

#[test]
fn streams_the_pbx_does_not_relay_are_declined_in_place() {
    let sdp = "v=0\r\nc=IN IP4 10.0.0.7\r\nt=0 0\r\n\
               m=video 5000 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\n\
               m=audio 4000 RTP/AVP 0\r\n\
               m=audio 4002 RTP/AVP 8\r\n\
               m=image 4004 udptl t38\r\na=T38FaxVersion:0\r\n";
    let out = rewrite(sdp.as_bytes(), PBX).unwrap();
    assert_eq!(
        text(&out),
        "s=-\r\nc=IN IP4 203.0.113.5\r\nt=0 0\r\n\
         m=video 0 RTP/AVP 96\r\n\
         m=audio 20002 RTP/AVP 0\r\na=sendrecv\r\n\
         m=audio 0 RTP/AVP 8\r\n\
         m=image 0 udptl t38\r\n"
    );
}

#[test]
fn what_cannot_be_anchored_is_named() {
    let cases = [
        (
            "m=audio 4000 RTP/AVP 96 9\r\na=rtpmap:96 opus/48000/2\r\n",
            SdpError::NoCommonCodec,
        ),
        (
            "m=audio 4000 RTP/AVP 101\r\na=rtpmap:101 telephone-event/8000\r\n",
            SdpError::NoCommonCodec,
        ),
        ("m=audio 4000 RTP/AVP\r\n", SdpError::NoCommonCodec),
        ("m=audio 0 RTP/AVP 0\r\n", SdpError::NoAudio),
        ("m=video 4000 RTP/AVP 96\r\n", SdpError::NoAudio),
        ("", SdpError::NoAudio),
        (
            "m=audio 4000 RTP/SAVP 0\r\n",
            SdpError::UnsupportedTransport {
                proto: "RTP/SAVP".into(),
            },
        ),
        (
            "m=audio 4000 RTP/SAVP 0\r\nm=audio 4002 RTP/AVP 9\r\n",
            SdpError::NoCommonCodec,
        ),
    ];
    for (media, expected) in cases {
        let sdp = format!("v=0\r\nc=IN IP4 10.0.0.7\r\nt=0 0\r\n{media}");
        assert_eq!(
            rewrite(sdp.as_bytes(), PBX).unwrap_err(),
            expected,
            "{media}"
        );
    }
}

#[test]
fn hold_directions_pass_through() {
    for (session, media, expected) in [
        ("a=sendonly\r\n", "", Direction::SendOnly),
        ("", "a=inactive\r\n", Direction::Inactive),
        ("a=sendonly\r\n", "a=recvonly\r\n", Direction::RecvOnly),
        ("", "a=sendrecv\r\n", Direction::SendRecv),
    ] {
        let sdp = format!(
            "v=0\r\nc=IN IP4 10.0.0.7\r\nt=0 0\r\n{session}m=audio 4000 RTP/AVP 0\r\n{media}"
        );
        let out = rewrite(sdp.as_bytes(), PBX).unwrap();
        assert_eq!(out.remote.direction, expected);
        let body = text(&out);
        assert!(
            body.ends_with(&format!("a={}\r\n", expected.as_str())),
            "{body}"
        );
        assert_eq!(
            body.matches("a=s").count() + body.matches("a=r").count() + body.matches("a=i").count(),
            1,
            "{body}"
        );
    }
}

#[test]
fn old_style_hold_with_a_zero_address_sends_nothing_to_the_holder() {
    let sdp = "v=0\r\nc=IN IP4 0.0.0.0\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n";
    let out = rewrite(sdp.as_bytes(), PBX).unwrap();
    assert_eq!(
        out.remote,
        Remote {
            rtp: None,
            rtcp: None,
            direction: Direction::SendOnly
        }
    );
    assert!(text(&out).contains("c=IN IP4 203.0.113.5\r\n"));
    assert!(text(&out).ends_with("a=sendonly\r\n"));

    let recvonly = "v=0\r\nc=IN IP4 0.0.0.0\r\nm=audio 4000 RTP/AVP 0\r\na=recvonly\r\n";
    assert_eq!(
        rewrite(recvonly.as_bytes(), PBX).unwrap().remote.direction,
        Direction::Inactive
    );
}

#[test]
fn media_level_addresses_and_rtcp_attribute() {
    let sdp = "v=0\r\nc=IN IP4 10.0.0.7\r\nt=0 0\r\n\
               m=audio 4000 RTP/AVP 0\r\nc=IN IP4 10.0.0.8\r\na=rtcp:4101\r\n";
    let out = rewrite(sdp.as_bytes(), PBX).unwrap();
    assert_eq!(out.remote.rtp, addr("10.0.0.8:4000"));
    assert_eq!(out.remote.rtcp, addr("10.0.0.8:4101"));
    assert!(!text(&out).contains("10.0.0"));
    assert!(!text(&out).contains("a=rtcp"));

    let elsewhere =
        "v=0\r\nc=IN IP4 10.0.0.7\r\nm=audio 4000 RTP/AVP 0\r\na=rtcp:5001 IN IP4 10.0.0.9\r\n";
    assert_eq!(
        rewrite(elsewhere.as_bytes(), PBX).unwrap().remote.rtcp,
        addr("10.0.0.9:5001")
    );

    let top_port = "v=0\r\nc=IN IP4 10.0.0.7\r\nm=audio 65535 RTP/AVP 0\r\n";
    assert_eq!(rewrite(top_port.as_bytes(), PBX).unwrap().remote.rtcp, None);
}

#[test]
fn addresses_the_pbx_cannot_send_to_are_left_to_latching() {
    for connection in ["c=IN IP4 phone.example.com\r\n", ""] {
        let sdp = format!("v=0\r\n{connection}t=0 0\r\nm=audio 4000 RTP/AVP 0\r\n");
        let out = rewrite(sdp.as_bytes(), PBX).unwrap();
        assert_eq!(
            (out.remote.rtp, out.remote.rtcp),
            (None, None),
            "{connection}"
        );
        assert!(text(&out).starts_with("s=-\r\nc=IN IP4 203.0.113.5\r\nt=0 0\r\n"));
    }
}

#[test]
fn ipv6_both_ways() {
    let sdp = "v=0\r\nc=IN IP6 2001:db8::7\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n";
    let target = Target {
        ip: "2001:db8::1".parse().unwrap(),
        port: 20004,
    };
    let out = rewrite(sdp.as_bytes(), target).unwrap();
    assert_eq!(out.remote.rtp, addr("[2001:db8::7]:4000"));
    assert!(text(&out).contains("c=IN IP6 2001:db8::1\r\n"));
}

#[test]
fn transport_attributes_are_dropped_at_both_levels() {
    let sdp = "v=0\r\nc=IN IP4 10.0.0.7\r\nt=0 0\r\na=group:BUNDLE 0\r\na=ice-lite\r\na=fingerprint:sha-256 AA\r\n\
               m=audio 4000 RTP/AVP 0\r\na=ice-ufrag:x\r\na=ice-pwd:y\r\na=candidate:1 1 UDP 1 10.0.0.7 4000 typ host\r\n\
               a=setup:actpass\r\na=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:k\r\na=rtcp-mux\r\na=X-custom:kept\r\n";
    let out = rewrite(sdp.as_bytes(), PBX).unwrap();
    let body = text(&out);
    for gone in [
        "group",
        "ice",
        "fingerprint",
        "candidate",
        "setup",
        "crypto",
        "rtcp-mux",
    ] {
        assert!(!body.contains(gone), "{gone} in {body}");
    }
    assert!(body.contains("a=X-custom:kept\r\n"));
}

#[test]
fn lines_the_pbx_only_passes_on_may_be_any_bytes() {
    let sdp = b"v=0\r\ns=caf\xe9\r\nc=IN IP4 10.0.0.7\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\na=label:\xff\xfe\r\n";
    let out = rewrite(sdp, PBX).unwrap();
    assert!(out.body.starts_with(b"s=-\r\n"));
    assert!(out.body.windows(10).any(|w| w == b"a=label:\xff\xfe"));

    let bad_m = b"v=0\r\nc=IN IP4 10.0.0.7\r\nm=audio 40\xff0 RTP/AVP 0\r\n";
    assert!(matches!(
        rewrite(bad_m, PBX),
        Err(SdpError::Malformed { line: 3, .. })
    ));
    let bad_c = b"v=0\r\nc=IN IP4 10.0.\xff\r\nm=audio 4000 RTP/AVP 0\r\n";
    assert!(matches!(
        rewrite(bad_c, PBX),
        Err(SdpError::Malformed { line: 2, .. })
    ));
}

#[test]
fn huge_and_odd_ports() {
    for port in ["99999999999999999999", "65536", "-5", "/2", ""] {
        let sdp = format!("v=0\r\nc=IN IP4 10.0.0.7\r\nm=audio {port} RTP/AVP 0\r\n");
        assert!(
            matches!(
                rewrite(sdp.as_bytes(), PBX),
                Err(SdpError::Malformed { .. })
            ),
            "{port}"
        );
    }
    // A port count (RFC 4566 §5.14) is ignored, even one that is not a number.
    for port in ["4000/2", "4000/x"] {
        let sdp = format!("v=0\r\nc=IN IP4 10.0.0.7\r\nm=audio {port} RTP/AVP 0\r\n");
        let out = rewrite(sdp.as_bytes(), PBX).unwrap();
        assert_eq!(out.remote.rtp, addr("10.0.0.7:4000"));
        assert!(text(&out).contains("m=audio 20002 RTP/AVP 0\r\n"));
    }
}

/// Whatever the input, rewriting returns; and what it returns is SDP it accepts again,
/// unchanged: the output is always well-formed.
fn check(input: &[u8]) {
    if let Ok(out) = rewrite(input, PBX) {
        let again = [&b"v=0\r\n"[..], &out.body].concat();
        let second = rewrite(&again, PBX).unwrap_or_else(|err| {
            panic!(
                "output of {:?} refused: {err}\n{}",
                String::from_utf8_lossy(input),
                String::from_utf8_lossy(&again)
            )
        });
        assert_eq!(
            second.body,
            out.body,
            "not stable for {:?}",
            String::from_utf8_lossy(input)
        );
    }
}

#[test]
fn random_bytes_never_panic() {
    let mut rng = StdRng::seed_from_u64(0x5b_3d1a);
    for _ in 0..20_000 {
        let len = rng.random_range(0..200);
        let mut input: Vec<u8> = (0..len).map(|_| rng.random()).collect();
        if rng.random_bool(0.5) {
            input.splice(0..0, b"v=0\r\n".iter().copied());
        }
        check(&input);
    }
}

#[test]
fn every_truncation_and_byte_change_of_real_sdp_is_handled() {
    let mut rng = StdRng::seed_from_u64(0xbad_5d9);
    for sdp in [SIPP_OFFER, BARESIP_OFFER] {
        let sdp = sdp.as_bytes();
        for end in 0..=sdp.len() {
            check(&sdp[..end]);
        }
        for at in 0..sdp.len() {
            for replacement in [b'\n', b' ', b'0', b'=', b':', b'/', 0xff, 0, rng.random()] {
                let mut changed = sdp.to_vec();
                changed[at] = replacement;
                check(&changed);
            }
        }
    }
}

#[test]
fn shuffled_and_repeated_lines_are_handled() {
    let mut rng = StdRng::seed_from_u64(0x5_4ff1e);
    let lines: Vec<&str> = BARESIP_OFFER
        .split("\r\n")
        .filter(|l| !l.is_empty())
        .collect();
    for _ in 0..5_000 {
        let count = rng.random_range(1..40);
        let mut picked: Vec<&str> = vec!["v=0"];
        picked.extend((0..count).map(|_| lines[rng.random_range(0..lines.len())]));
        check(picked.join("\r\n").as_bytes());
    }
}
