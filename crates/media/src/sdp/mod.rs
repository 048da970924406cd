//! Rewriting SDP so that both legs send their media to the PBX.
//!
//! Hand-written rather than built on an SDP crate: the PBX acts on a handful of lines
//! (`o=`, `c=`, the audio `m=` port and format list, `rtpmap`/`fmtp`/`rtcp-fb`, direction
//! and transport attributes) and must pass everything else through as the phone wrote it.
//! The Rust SDP crates parse into a full model and print it back out, which either
//! refuses what phones really send (attributes before `c=`, host names in `c=`, Latin-1
//! session names) or loses lines it does not model; a line-level rewriter keeps unknown lines
//! byte for byte and is small enough to fuzz completely.
//!
//! What comes out, for the SDP of one leg sent on to the other:
//! * `v=0`, the PBX's own `o=` (added by the bridge, which keeps its version) and `s=-`;
//! * one session-level `c=` with the PBX's advertised address;
//! * the session's `b=`, `t=`/`r=`/`z=` lines (`t=0 0` if there were none) and attributes,
//!   less the transport ones the PBX invalidates (ICE, DTLS, `rtcp`, `rtcp-mux`, `group`...);
//! * the first RTP/AVP audio stream offering PCMU or PCMA, on the PBX's port, with only
//!   PCMU, PCMA and 8 kHz telephone-event kept (and only their `rtpmap`/`fmtp`/`rtcp-fb`),
//!   its `b=` lines, its other attributes, and its direction written out explicitly;
//! * every other `m=` line with port 0 (declined), so that offer and answer keep the same
//!   number of streams (RFC 3264 §6).

mod audio;
mod lines;
mod parse;
mod render;
#[cfg(test)]
mod tests;

pub(crate) use audio::select;
pub(crate) use parse::{parse, rtpmap, static_codec, Codec, Direction, MediaSection};

use crate::SdpError;
use std::net::{IpAddr, SocketAddr};

/// Where the receiving leg must send its media: the PBX's address and port for that leg.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Target {
    pub ip: IpAddr,
    pub port: u16,
}

/// What an SDP says about its sender's media.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Remote {
    /// Where the sender wants RTP; `None` when the SDP gave no usable address (a host name,
    /// `0.0.0.0`): latching will find it.
    pub rtp: Option<SocketAddr>,
    /// Where the sender wants RTCP: `a=rtcp` if given, else the RTP port + 1.
    pub rtcp: Option<SocketAddr>,
    /// The audio stream's direction.
    pub direction: Direction,
}

/// A rewritten SDP, from `s=` on (the bridge puts `v=` and its `o=` in front), and what it
/// taught about its sender.
#[derive(Debug)]
pub(crate) struct Rewritten {
    pub body: Vec<u8>,
    pub remote: Remote,
}

/// Rewrites `sdp` for the other leg, which is to send its media to `target`.
pub(crate) fn rewrite(sdp: &[u8], target: Target) -> Result<Rewritten, SdpError> {
    let description = parse::parse(sdp)?;
    let audio = audio::select(&description)?;
    let body = render::render(&description, &audio, target);
    Ok(Rewritten {
        body,
        remote: audio.remote,
    })
}
