//! Reading the parts of an SDP body the PBX acts on: the `m=` lines, `c=` addresses, the
//! direction attributes, `a=rtpmap` and `a=rtcp`. Everything else stays raw bytes.
//!
//! Parsing is lenient where a phone's quirk does not stop the PBX from relaying (an `rtpmap`
//! it cannot read is ignored, a host name in `c=` is treated as "address unknown" and left to
//! latching) and strict where it would (an `m=` port that is not a port).

use super::lines::{self, Line};
use crate::SdpError;
use std::net::IpAddr;

/// An SDP body cut into its session part and its media sections.
#[derive(Debug)]
pub(crate) struct Description<'a> {
    /// The session-level lines after `v=`.
    pub session: Vec<Line<'a>>,
    /// The media sections in order.
    pub media: Vec<MediaSection<'a>>,
}

/// One `m=` line and the lines up to the next one.
#[derive(Debug)]
pub(crate) struct MediaSection<'a> {
    pub m: MediaLine<'a>,
    pub lines: Vec<Line<'a>>,
}

/// `m=<media> <port>[/<count>] <proto> <format>...`
#[derive(Debug)]
pub(crate) struct MediaLine<'a> {
    pub media: &'a str,
    pub port: u16,
    pub proto: &'a str,
    pub formats: Vec<&'a str>,
}

/// The media direction of RFC 3264 §5.1; `sendrecv` when no attribute says otherwise.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum Direction {
    #[default]
    SendRecv,
    SendOnly,
    RecvOnly,
    Inactive,
}

/// The codecs the PBX relays.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Codec {
    Pcmu,
    Pcma,
    TelephoneEvent,
}

/// Splits and parses `body`.
pub(crate) fn parse(body: &[u8]) -> Result<Description<'_>, SdpError> {
    let mut lines = lines::split(body)?.into_iter().skip(1); // v=0, checked by split
    let mut session = Vec::new();
    let mut media: Vec<MediaSection<'_>> = Vec::new();
    for line in lines.by_ref() {
        if line.kind == b'm' {
            media.push(MediaSection {
                m: media_line(&line)?,
                lines: Vec::new(),
            });
        } else if let Some(section) = media.last_mut() {
            section.lines.push(line);
        } else {
            session.push(line);
        }
    }
    Ok(Description { session, media })
}

fn media_line<'a>(line: &Line<'a>) -> Result<MediaLine<'a>, SdpError> {
    let mut tokens = line.text()?.split_ascii_whitespace();
    let (Some(media), Some(port), Some(proto)) = (tokens.next(), tokens.next(), tokens.next())
    else {
        return Err(SdpError::malformed(
            line.number,
            "m= needs <media> <port> <proto> <formats>",
        ));
    };
    let port = port
        .split('/')
        .next()
        .and_then(|port| port.parse::<u16>().ok())
        .ok_or_else(|| SdpError::malformed(line.number, "m= port is not a number 0-65535"))?;
    Ok(MediaLine {
        media,
        port,
        proto,
        formats: tokens.collect(),
    })
}

/// The address of a `c=` line: `None` when it is not an IP address the PBX can send to
/// without a lookup (a host name, an unknown network type), so latching must find it.
/// `0.0.0.0` is returned as is: it means "do not send to me" (RFC 2543 hold).
pub(crate) fn connection(line: &Line<'_>) -> Result<Option<IpAddr>, SdpError> {
    let mut tokens = line.text()?.split_ascii_whitespace();
    let (Some(nettype), Some(_addrtype), Some(address)) =
        (tokens.next(), tokens.next(), tokens.next())
    else {
        return Err(SdpError::malformed(
            line.number,
            "c= needs <nettype> <addrtype> <address>",
        ));
    };
    if !nettype.eq_ignore_ascii_case("IN") {
        return Ok(None);
    }
    // A multicast address may carry /ttl and /count; the address is what precedes them.
    let address = address.split('/').next().unwrap_or(address);
    Ok(address.parse().ok())
}

impl Direction {
    /// The direction an attribute name states, if it is one.
    pub fn from_attribute(name: &[u8]) -> Option<Direction> {
        [
            Direction::SendRecv,
            Direction::SendOnly,
            Direction::RecvOnly,
            Direction::Inactive,
        ]
        .into_iter()
        .find(|direction| name.eq_ignore_ascii_case(direction.as_str().as_bytes()))
    }

    /// The attribute name.
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::SendRecv => "sendrecv",
            Direction::SendOnly => "sendonly",
            Direction::RecvOnly => "recvonly",
            Direction::Inactive => "inactive",
        }
    }

    /// The direction once receiving is ruled out, for a `c=0.0.0.0` that says "send
    /// nothing to me".
    pub fn without_receive(self) -> Direction {
        match self {
            Direction::SendRecv | Direction::SendOnly => Direction::SendOnly,
            Direction::RecvOnly | Direction::Inactive => Direction::Inactive,
        }
    }
}

/// A payload type number of an `m=` format or the start of an `rtpmap`/`fmtp` value.
pub(crate) fn payload_type(token: &[u8]) -> Option<u8> {
    let text = std::str::from_utf8(token).ok()?;
    text.parse::<u8>().ok().filter(|&pt| pt < 128)
}

/// The payload type an `a=rtpmap` value describes, and the codec if it is one the PBX
/// relays; `None` for a value that cannot be read.
pub(crate) fn rtpmap(value: &[u8]) -> Option<(u8, Option<Codec>)> {
    let text = std::str::from_utf8(value).ok()?;
    let (pt, encoding) = text.trim().split_once(' ')?;
    let pt = payload_type(pt.as_bytes())?;
    let mut parts = encoding.trim().split('/');
    let name = parts.next()?;
    let rate = parts.next()?;
    let channels = parts.next();
    let mono = channels.is_none_or(|c| c == "1");
    let codec = if rate != "8000" || !mono || parts.next().is_some() {
        None
    } else if name.eq_ignore_ascii_case("PCMU") {
        Some(Codec::Pcmu)
    } else if name.eq_ignore_ascii_case("PCMA") {
        Some(Codec::Pcma)
    } else if name.eq_ignore_ascii_case("telephone-event") {
        Some(Codec::TelephoneEvent)
    } else {
        None
    };
    Some((pt, codec))
}

/// The codec of a static payload type used without an `rtpmap` (RFC 3551 table 4).
pub(crate) fn static_codec(pt: u8) -> Option<Codec> {
    match pt {
        0 => Some(Codec::Pcmu),
        8 => Some(Codec::Pcma),
        _ => None,
    }
}

/// The port and, if given, address of an `a=rtcp` value (RFC 3605); `None` when unreadable.
pub(crate) fn rtcp_attribute(value: &[u8]) -> Option<(u16, Option<IpAddr>)> {
    let text = std::str::from_utf8(value).ok()?;
    let mut tokens = text.split_ascii_whitespace();
    let port = tokens.next()?.parse().ok()?;
    let address = match (tokens.next(), tokens.next(), tokens.next()) {
        (Some(nettype), Some(_), Some(address)) if nettype.eq_ignore_ascii_case("IN") => {
            address.parse().ok()
        }
        _ => None,
    };
    Some((port, address))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sections_follow_m_lines() {
        let sdp = b"v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nm=audio 4000/2 RTP/AVP 0 8\r\na=x\r\nm=video 0 RTP/AVP 96\r\n";
        let description = parse(sdp).unwrap();
        assert_eq!(description.session.len(), 2);
        assert_eq!(description.media.len(), 2);
        let audio = &description.media[0];
        assert_eq!(
            (audio.m.media, audio.m.port, audio.m.proto),
            ("audio", 4000, "RTP/AVP")
        );
        assert_eq!(audio.m.formats, ["0", "8"]);
        assert_eq!(audio.lines.len(), 1);
        assert_eq!(description.media[1].m.port, 0);
    }

    #[test]
    fn m_lines_that_cannot_be_relayed_are_malformed() {
        for m in [
            "m=audio",
            "m=audio 4000",
            "m=audio 65536 RTP/AVP 0",
            "m=audio -1 RTP/AVP 0",
            "m=audio x RTP/AVP 0",
        ] {
            let sdp = format!("v=0\r\n{m}\r\n");
            assert!(
                matches!(
                    parse(sdp.as_bytes()),
                    Err(SdpError::Malformed { line: 2, .. })
                ),
                "{m}"
            );
        }
    }

    #[test]
    fn connection_addresses() {
        let line = |value: &'static str| Line {
            number: 3,
            kind: b'c',
            value: value.as_bytes(),
        };
        assert_eq!(
            connection(&line("IN IP4 10.0.0.1")).unwrap(),
            Some("10.0.0.1".parse().unwrap())
        );
        assert_eq!(
            connection(&line("IN IP4 224.2.1.1/127/3")).unwrap(),
            Some("224.2.1.1".parse().unwrap())
        );
        assert_eq!(
            connection(&line("IN IP6 ::1")).unwrap(),
            Some("::1".parse().unwrap())
        );
        assert_eq!(connection(&line("IN IP4 pbx.example.com")).unwrap(), None);
        assert_eq!(connection(&line("ATM NSAP x")).unwrap(), None);
        assert!(connection(&line("IN IP4")).is_err());
    }

    #[test]
    fn rtpmaps_of_our_codecs_need_8000_hz_mono() {
        assert_eq!(rtpmap(b"0 PCMU/8000"), Some((0, Some(Codec::Pcmu))));
        assert_eq!(rtpmap(b"8 pcma/8000/1"), Some((8, Some(Codec::Pcma))));
        assert_eq!(
            rtpmap(b"101 telephone-event/8000"),
            Some((101, Some(Codec::TelephoneEvent)))
        );
        assert_eq!(rtpmap(b"101 telephone-event/48000"), Some((101, None)));
        assert_eq!(rtpmap(b"110 PCMU/8000/2"), Some((110, None)));
        assert_eq!(rtpmap(b"96 opus/48000/2"), Some((96, None)));
        assert_eq!(rtpmap(b"300 PCMU/8000"), None);
        assert_eq!(rtpmap(b"PCMU/8000"), None);
        assert_eq!(rtpmap(b"0 PCMU"), None);
    }

    #[test]
    fn rtcp_attribute_port_and_address() {
        assert_eq!(rtcp_attribute(b"53020"), Some((53020, None)));
        assert_eq!(
            rtcp_attribute(b"53020 IN IP4 126.16.64.4"),
            Some((53020, Some("126.16.64.4".parse().unwrap())))
        );
        assert_eq!(rtcp_attribute(b"70000"), None);
    }

    #[test]
    fn direction_attributes() {
        assert_eq!(
            Direction::from_attribute(b"sendonly"),
            Some(Direction::SendOnly)
        );
        assert_eq!(
            Direction::from_attribute(b"INACTIVE"),
            Some(Direction::Inactive)
        );
        assert_eq!(Direction::from_attribute(b"ptime"), None);
        assert_eq!(Direction::SendRecv.without_receive(), Direction::SendOnly);
        assert_eq!(Direction::RecvOnly.without_receive(), Direction::Inactive);
    }
}
