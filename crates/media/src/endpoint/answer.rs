//! The endpoint's side of offer/answer (RFC 3264): answering a phone's offer with the one
//! G.711 codec the PBX will speak, and offering to a phone the PBX calls.
//!
//! Unlike the bridge, which passes the phone's lines on, the endpoint *is* the far end, so it
//! writes its own minimal SDP: one codec (the offerer's first of PCMU and PCMA, with the
//! offerer's payload type number), telephone-event at 8 kHz if offered (with its number),
//! `ptime:20`, and the direction that complements the offer's.

use crate::audio::Codec;
use crate::sdp::{self, Direction};
use crate::SdpError;
use std::io::Write;
use std::net::{IpAddr, SocketAddr};

/// What an offer/answer exchange settled for the endpoint's stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Negotiated {
    /// The G.711 variant both sides send.
    pub codec: Codec,
    /// Its RTP payload type (0 or 8 unless the offer mapped it to a dynamic number).
    pub payload_type: u8,
    /// The telephone-event payload type, if the phone sends RFC 4733 digits.
    pub events: Option<u8>,
    /// Where the phone's SDP says to send RTP (`None`: learn it from its packets).
    pub remote: Option<SocketAddr>,
    /// Whether the phone wants to receive media from the PBX.
    pub remote_receives: bool,
    /// Whether the phone will send media to the PBX.
    pub remote_sends: bool,
}

/// The result of reading a phone's SDP: what was settled, and the lines the answer needs.
pub(crate) struct Answer {
    pub negotiated: Negotiated,
    /// The answer from `s=` on (the endpoint puts `v=` and its `o=` in front).
    pub body: Vec<u8>,
}

/// Reads `offer` and writes the answer from `s=` on, for the PBX at `ip`:`port`; with
/// `events` false, telephone-event is left out even when offered (a leg configured to send
/// its digits another way).
pub(crate) fn answer(
    offer: &[u8],
    ip: IpAddr,
    port: u16,
    events: bool,
) -> Result<Answer, SdpError> {
    let description = sdp::parse(offer)?;
    let audio = sdp::select(&description)?;
    let section = &description.media[audio.section];
    let mut negotiated = negotiated(section, &audio.formats, audio.remote)?;
    if !events {
        negotiated.events = None;
    }
    let direction = match audio.remote.direction {
        Direction::SendRecv => Direction::SendRecv,
        Direction::SendOnly => Direction::RecvOnly,
        Direction::RecvOnly => Direction::SendOnly,
        Direction::Inactive => Direction::Inactive,
    };
    let mut body = session(ip);
    for (index, other) in description.media.iter().enumerate() {
        if index == audio.section {
            audio_section(&mut body, port, negotiated, direction);
        } else {
            let m = &other.m;
            let _ = write!(body, "m={} 0 {}", m.media, m.proto);
            for format in &m.formats {
                let _ = write!(body, " {format}");
            }
            body.extend_from_slice(b"\r\n");
        }
    }
    Ok(Answer { negotiated, body })
}

/// The PBX's own offer from `s=` on: PCMU, PCMA and telephone-event 101.
pub(crate) fn offer(ip: IpAddr, port: u16) -> Vec<u8> {
    let mut body = session(ip);
    let _ = write!(
        body,
        "m=audio {port} RTP/AVP 0 8 101\r\n\
         a=rtpmap:0 PCMU/8000\r\n\
         a=rtpmap:8 PCMA/8000\r\n\
         a=rtpmap:101 telephone-event/8000\r\n\
         a=fmtp:101 0-16\r\n\
         a=ptime:20\r\n\
         a=sendrecv\r\n"
    );
    body
}

/// What a phone's answer to [`offer`] settled: its first G.711 format and its
/// telephone-event, as for an offer.
pub(crate) fn accept(answer: &[u8]) -> Result<Negotiated, SdpError> {
    let description = sdp::parse(answer)?;
    let audio = sdp::select(&description)?;
    negotiated(
        &description.media[audio.section],
        &audio.formats,
        audio.remote,
    )
}

fn session(ip: IpAddr) -> Vec<u8> {
    let family = if ip.is_ipv4() { "IP4" } else { "IP6" };
    let mut body = Vec::with_capacity(256);
    let _ = write!(body, "s=-\r\nc=IN {family} {ip}\r\nt=0 0\r\n");
    body
}

fn audio_section(body: &mut Vec<u8>, port: u16, negotiated: Negotiated, direction: Direction) {
    let pt = negotiated.payload_type;
    let name = match negotiated.codec {
        Codec::Pcmu => "PCMU",
        Codec::Pcma => "PCMA",
    };
    let _ = write!(body, "m=audio {port} RTP/AVP {pt}");
    if let Some(events) = negotiated.events {
        let _ = write!(body, " {events}");
    }
    let _ = write!(body, "\r\na=rtpmap:{pt} {name}/8000\r\n");
    if let Some(events) = negotiated.events {
        let _ = write!(
            body,
            "a=rtpmap:{events} telephone-event/8000\r\na=fmtp:{events} 0-16\r\n"
        );
    }
    let _ = write!(body, "a=ptime:20\r\na={}\r\n", direction.as_str());
}

/// The first G.711 format and the first 8 kHz telephone-event among `formats` (those the
/// selection kept, in the sender's order).
fn negotiated(
    section: &sdp::MediaSection<'_>,
    formats: &[&str],
    remote: sdp::Remote,
) -> Result<Negotiated, SdpError> {
    let mut mapped: Vec<(u8, Option<sdp::Codec>)> = Vec::new();
    for line in &section.lines {
        if line.kind != b'a' {
            continue;
        }
        if let (name, Some(value)) = line.attribute() {
            if name.eq_ignore_ascii_case(b"rtpmap") {
                if let Some(found) = sdp::rtpmap(value) {
                    mapped.push(found);
                }
            }
        }
    }
    let codec_of = |pt: u8| {
        mapped
            .iter()
            .find(|(mapped_pt, _)| *mapped_pt == pt)
            .map_or_else(|| sdp::static_codec(pt), |(_, codec)| *codec)
    };
    let mut voice = None;
    let mut events = None;
    for pt in formats.iter().filter_map(|f| f.parse::<u8>().ok()) {
        match codec_of(pt) {
            Some(sdp::Codec::Pcmu) if voice.is_none() => voice = Some((Codec::Pcmu, pt)),
            Some(sdp::Codec::Pcma) if voice.is_none() => voice = Some((Codec::Pcma, pt)),
            Some(sdp::Codec::TelephoneEvent) if events.is_none() => events = Some(pt),
            _ => {}
        }
    }
    let (codec, payload_type) = voice.ok_or(SdpError::NoCommonCodec)?;
    let direction = remote.direction;
    Ok(Negotiated {
        codec,
        payload_type,
        events,
        remote: remote.rtp,
        remote_receives: matches!(direction, Direction::SendRecv | Direction::RecvOnly),
        remote_sends: matches!(direction, Direction::SendRecv | Direction::SendOnly),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;

    const OFFER: &[u8] =
        b"v=0\r\no=- 1 1 IN IP4 192.0.2.5\r\ns=-\r\nc=IN IP4 192.0.2.5\r\nt=0 0\r\n\
        m=audio 4000 RTP/AVP 8 0 96\r\na=rtpmap:96 telephone-event/8000\r\na=sendrecv\r\n";

    #[test]
    fn events_are_answered_only_when_allowed() {
        let ip = IpAddr::V4(Ipv4Addr::LOCALHOST);
        let with = answer(OFFER, ip, 20000, true).expect("answer");
        assert_eq!(with.negotiated.events, Some(96));
        assert!(String::from_utf8_lossy(&with.body).contains("telephone-event"));
        let without = answer(OFFER, ip, 20000, false).expect("answer");
        assert_eq!(without.negotiated.events, None);
        let body = String::from_utf8_lossy(&without.body);
        assert!(!body.contains("telephone-event"), "{body}");
        assert!(body.contains("m=audio 20000 RTP/AVP 8\r\n"), "{body}");
    }
}
