//! Choosing the audio stream the PBX anchors, which of its payload types it keeps, and
//! where its sender wants media.

use super::lines::Line;
use super::parse::{self, Codec, Description, Direction, MediaSection};
use super::Remote;
use crate::SdpError;
use std::net::{IpAddr, SocketAddr};

/// The anchored audio stream.
#[derive(Debug)]
pub(crate) struct Audio<'a> {
    /// Its index among the media sections.
    pub section: usize,
    /// The `m=` formats kept, in the sender's order of preference.
    pub formats: Vec<&'a str>,
    /// The payload types kept, for filtering `rtpmap`/`fmtp`/`rtcp-fb`.
    pub kept: PayloadTypes,
    pub remote: Remote,
}

/// A set of RTP payload types (0-127).
#[derive(Debug, Clone, Copy)]
pub(crate) struct PayloadTypes([bool; 128]);

impl PayloadTypes {
    pub fn contains(&self, pt: u8) -> bool {
        self.0.get(usize::from(pt)).copied().unwrap_or(false)
    }
}

/// The first active RTP/AVP audio stream that offers PCMU or PCMA. When there is none, the
/// error says what came closest: an audio stream without our codecs, then one on another
/// transport, then no audio at all.
pub(crate) fn select<'a>(description: &Description<'a>) -> Result<Audio<'a>, SdpError> {
    let session_connection = match connection_line(&description.session) {
        Some(line) => parse::connection(line)?,
        None => None,
    };
    let session_direction = direction(&description.session);
    let mut error = SdpError::NoAudio;
    for (index, section) in description.media.iter().enumerate() {
        if !section.m.media.eq_ignore_ascii_case("audio") || section.m.port == 0 {
            continue;
        }
        if !section.m.proto.eq_ignore_ascii_case("RTP/AVP") {
            if error == SdpError::NoAudio {
                error = SdpError::UnsupportedTransport {
                    proto: section.m.proto.to_owned(),
                };
            }
            continue;
        }
        let Some((formats, kept)) = codecs(section) else {
            error = SdpError::NoCommonCodec;
            continue;
        };
        let connection = match connection_line(&section.lines) {
            Some(line) => parse::connection(line)?,
            None => session_connection,
        };
        let direction = direction(&section.lines).or(session_direction);
        return Ok(Audio {
            section: index,
            formats,
            kept,
            remote: remote(section, connection, direction.unwrap_or_default()),
        });
    }
    Err(error)
}

/// The formats of `section` that are PCMU, PCMA or telephone-event, if PCMU or PCMA is one.
fn codecs<'a>(section: &MediaSection<'a>) -> Option<(Vec<&'a str>, PayloadTypes)> {
    let mut mapped: [Option<Option<Codec>>; 128] = [None; 128];
    for line in attributes(&section.lines, b"rtpmap") {
        if let Some((pt, codec)) = parse::rtpmap(line) {
            mapped[usize::from(pt)] = Some(codec);
        }
    }
    let mut kept = PayloadTypes([false; 128]);
    let mut formats = Vec::new();
    let mut voice = false;
    for &format in &section.m.formats {
        let Some(pt) = parse::payload_type(format.as_bytes()) else {
            continue;
        };
        let codec = mapped[usize::from(pt)].unwrap_or_else(|| parse::static_codec(pt));
        if codec.is_none() || kept.contains(pt) {
            continue;
        }
        voice |= codec != Some(Codec::TelephoneEvent);
        kept.0[usize::from(pt)] = true;
        formats.push(format);
    }
    voice.then_some((formats, kept))
}

/// Where the sender of `section` wants its media, and its direction. An unspecified
/// address (`c=IN IP4 0.0.0.0`, the old way to hold) means "send me nothing".
fn remote(section: &MediaSection<'_>, connection: Option<IpAddr>, direction: Direction) -> Remote {
    let port = section.m.port;
    if connection.is_some_and(|ip| ip.is_unspecified()) {
        return Remote {
            rtp: None,
            rtcp: None,
            direction: direction.without_receive(),
        };
    }
    let rtcp = match attributes(&section.lines, b"rtcp").find_map(parse::rtcp_attribute) {
        Some((rtcp_port, address)) => address.or(connection).map(|ip| (ip, rtcp_port)),
        None => connection.zip(port.checked_add(1)),
    };
    Remote {
        rtp: connection.map(|ip| SocketAddr::new(ip, port)),
        rtcp: rtcp.map(|(ip, port)| SocketAddr::new(ip, port)),
        direction,
    }
}

/// The first `c=` line among `lines`; a media-level one overrides the session's.
fn connection_line<'l, 'a>(lines: &'l [Line<'a>]) -> Option<&'l Line<'a>> {
    lines.iter().find(|line| line.kind == b'c')
}

/// The last direction attribute among `lines`.
fn direction(lines: &[Line<'_>]) -> Option<Direction> {
    lines
        .iter()
        .filter(|line| line.kind == b'a')
        .filter_map(|line| Direction::from_attribute(line.attribute().0))
        .next_back()
}

/// The values of the `a=<name>:` attributes among `lines`.
fn attributes<'a, 'l>(
    lines: &'l [Line<'a>],
    name: &'l [u8],
) -> impl Iterator<Item = &'a [u8]> + 'l {
    lines
        .iter()
        .filter(|line| line.kind == b'a')
        .filter_map(move |line| match line.attribute() {
            (found, Some(value)) if found.eq_ignore_ascii_case(name) => Some(value),
            _ => None,
        })
}
