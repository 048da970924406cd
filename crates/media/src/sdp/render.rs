//! Writing the rewritten SDP: the PBX's address and port in place of the sender's, only the
//! relayed codecs, every other stream declined, and the rest passed through verbatim.

use super::audio::{Audio, PayloadTypes};
use super::lines::Line;
use super::parse::{self, Description, Direction};
use super::Target;
use std::io::Write;

/// Attributes describing the sender's own transport (ICE, DTLS-SRTP, SDES keys, RTCP
/// placement, bundling): wrong once the PBX is the other end, so they are dropped.
const TRANSPORT_ATTRIBUTES: &[&[u8]] = &[
    b"rtcp",
    b"rtcp-mux",
    b"rtcp-mux-only",
    b"rtcp-rsize",
    b"candidate",
    b"remote-candidates",
    b"end-of-candidates",
    b"ice-ufrag",
    b"ice-pwd",
    b"ice-options",
    b"ice-lite",
    b"ice-mismatch",
    b"ice-pacing",
    b"fingerprint",
    b"setup",
    b"connection",
    b"tls-id",
    b"crypto",
    b"group",
    b"bundle-only",
];

/// Attributes whose value starts with the payload type they describe.
const PAYLOAD_ATTRIBUTES: &[&[u8]] = &[b"rtpmap", b"fmtp", b"rtcp-fb"];

/// The SDP from `s=` on; see the module documentation of [`super`] for what it holds.
pub(crate) fn render(description: &Description<'_>, audio: &Audio<'_>, target: Target) -> Vec<u8> {
    let mut out = Vec::with_capacity(512);
    let family = if target.ip.is_ipv4() { "IP4" } else { "IP6" };
    // Writing to a Vec cannot fail.
    let _ = write!(out, "s=-\r\nc=IN {family} {}\r\n", target.ip);
    let session = &description.session;
    write_lines(&mut out, session.iter().filter(|line| line.kind == b'b'));
    let mut times = session
        .iter()
        .filter(|line| matches!(line.kind, b't' | b'r' | b'z'))
        .peekable();
    if times.peek().is_none() {
        out.extend_from_slice(b"t=0 0\r\n");
    }
    write_lines(&mut out, times);
    write_lines(
        &mut out,
        session
            .iter()
            .filter(|line| line.kind == b'a' && keep_session_attribute(line)),
    );
    for (index, section) in description.media.iter().enumerate() {
        let m = &section.m;
        if index != audio.section {
            let _ = write!(out, "m={} 0 {}", m.media, m.proto);
            for format in &m.formats {
                let _ = write!(out, " {format}");
            }
            out.extend_from_slice(b"\r\n");
            continue;
        }
        let _ = write!(
            out,
            "m={} {} {} {}\r\n",
            m.media,
            target.port,
            m.proto,
            audio.formats.join(" ")
        );
        write_lines(
            &mut out,
            section.lines.iter().filter(|line| line.kind == b'b'),
        );
        write_lines(
            &mut out,
            section
                .lines
                .iter()
                .filter(|line| line.kind == b'a' && keep_media_attribute(line, &audio.kept)),
        );
        let _ = write!(out, "a={}\r\n", audio.remote.direction.as_str());
    }
    out
}

fn write_lines<'l, 'a: 'l>(out: &mut Vec<u8>, lines: impl Iterator<Item = &'l Line<'a>>) {
    for line in lines {
        out.extend_from_slice(&[line.kind, b'=']);
        out.extend_from_slice(line.value);
        out.extend_from_slice(b"\r\n");
    }
}

/// Session attributes pass, except transport ones and the direction, which is written on the
/// audio stream instead.
fn keep_session_attribute(line: &Line<'_>) -> bool {
    let (name, _) = line.attribute();
    !is_transport(name) && Direction::from_attribute(name).is_none()
}

/// Audio attributes pass, except transport ones, the direction (written last), and
/// per-payload-type ones for payload types that were dropped.
fn keep_media_attribute(line: &Line<'_>, kept: &PayloadTypes) -> bool {
    let (name, value) = line.attribute();
    if is_transport(name) || Direction::from_attribute(name).is_some() {
        return false;
    }
    if !PAYLOAD_ATTRIBUTES
        .iter()
        .any(|known| known.eq_ignore_ascii_case(name))
    {
        return true;
    }
    let pt = value.and_then(|value| value.split(|&b| b == b' ').next());
    match pt {
        Some(b"*") => name.eq_ignore_ascii_case(b"rtcp-fb"),
        Some(pt) => parse::payload_type(pt).is_some_and(|pt| kept.contains(pt)),
        None => false,
    }
}

fn is_transport(name: &[u8]) -> bool {
    TRANSPORT_ATTRIBUTES
        .iter()
        .any(|known| known.eq_ignore_ascii_case(name))
}
