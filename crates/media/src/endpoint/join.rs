//! Joining two endpoints: each forwards what its phone sends to the other's phone, through
//! the PBX, while both legs stay the PBX's own.
//!
//! Why not a bridge: the caller's leg was answered by an endpoint (greeting, menu) and must
//! stay with the PBX when it is connected to the extension, so the scenario can take it back
//! (hold music, a queue, "back to the menu if the manager does not answer") without
//! re-INVITEing the caller. So the callee's audio reaches the caller as *the caller's
//! endpoint's own stream*: its SSRC, its sequence numbers continuing, its timestamps
//! continuing, its negotiated payload types. The phone's jitter buffer sees one stream from
//! the greeting to the conversation and back to the music.
//!
//! The parts:
//! * [`Link`]: one pairing, shared by both tasks; ended by `unjoin`, by a new `join`, or by
//!   dropping either endpoint, and checked by both tasks on every packet, so neither needs to
//!   hear from the other to stop.
//! * [`Outgoing`]: in the task whose phone sends, classifies each packet (voice of which
//!   codec, telephone-event, or unknown and dropped) and hands it to the peer's task through
//!   a bounded channel: dropped when full, never waiting, never growing.
//! * [`Incoming`]: in the task whose phone receives, maps the packet onto that leg's stream:
//!   timestamps shifted by an offset fixed at the first forwarded packet after a switch (a
//!   new pairing, a playback in between, a new source SSRC), that packet marked; voice
//!   transcoded PCMU<->PCMA when the legs differ; telephone-event renumbered to the leg's
//!   payload type.
//!
//! Who decides whether a forwarded packet goes out at all is the receiving task: not while a
//! playback runs on its leg (ringback to the caller until the answer, a whisper), not while
//! its phone does not receive (hold), not after the pairing ended.

use super::answer::Negotiated;
use crate::audio::Codec;
use crate::dtmf::rfc4733::EventPayload;
use crate::playout::pacer::FRAME_DURATION;
use crate::playout::{RtpPacket, RtpStream};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use tokio::net::UdpSocket;
use tokio::sync::mpsc;
use tokio::time::Instant;

/// Forwarded packets waiting for the receiving task: 320 ms of audio, far beyond a healthy
/// scheduling delay; beyond it packets are dropped, as a congested network would.
pub(crate) const FORWARD_BACKLOG: usize = 16;

/// Names pairings, so a packet or command of an old one is told from the current one's.
static NEXT_LINK: AtomicU64 = AtomicU64::new(1);

/// One pairing of two endpoints.
#[derive(Debug)]
pub(crate) struct Link {
    id: u64,
    ended: AtomicBool,
}

impl Link {
    pub fn new() -> Arc<Link> {
        Arc::new(Link {
            id: NEXT_LINK.fetch_add(1, Ordering::Relaxed),
            ended: AtomicBool::new(false),
        })
    }

    pub fn id(&self) -> u64 {
        self.id
    }

    /// Ends the pairing for both sides.
    pub fn end(&self) {
        self.ended.store(true, Ordering::Relaxed);
    }

    pub fn is_ended(&self) -> bool {
        self.ended.load(Ordering::Relaxed)
    }
}

/// What a forwarded packet carries, independent of the sender's payload type numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Voice(Codec),
    Event,
}

/// One packet from a phone, on its way to the peer's task.
#[derive(Debug)]
pub(crate) struct Forwarded {
    link: u64,
    kind: Kind,
    marker: bool,
    ssrc: u32,
    timestamp: u32,
    payload: Vec<u8>,
}

impl Forwarded {
    /// Appends the packet's audio to `pcm`, if it is voice.
    pub fn decode_voice(&self, pcm: &mut Vec<i16>) {
        if let Kind::Voice(codec) = self.kind {
            codec.decode(&self.payload, pcm);
        }
    }
}

/// The sending side of a pairing, held by the task whose phone's packets are forwarded.
#[derive(Debug)]
pub(crate) struct Outgoing {
    link: Arc<Link>,
    peer: mpsc::Sender<Forwarded>,
}

impl Outgoing {
    /// Forwarding to the task behind `peer`, for as long as `link` lasts.
    pub fn new(link: Arc<Link>, peer: mpsc::Sender<Forwarded>) -> Outgoing {
        Outgoing { link, peer }
    }

    pub fn link(&self) -> &Link {
        &self.link
    }

    /// Whether the pairing still holds: not ended, and the peer's task still running.
    pub fn is_live(&self) -> bool {
        !self.link.is_ended() && !self.peer.is_closed()
    }

    /// Whether `forwarded` belongs to this pairing.
    pub fn carries(&self, forwarded: &Forwarded) -> bool {
        forwarded.link == self.link.id && !self.link.is_ended()
    }

    /// Hands one packet of the phone (negotiated as `negotiated`) to the peer. Packets of a
    /// payload type that is neither the phone's telephone-event nor G.711 are dropped: the
    /// peer could not carry them.
    pub fn forward(&self, packet: &RtpPacket<'_>, negotiated: &Negotiated) {
        let pt = packet.header.payload_type;
        let kind = if Some(pt) == negotiated.events {
            Kind::Event
        } else if pt == negotiated.payload_type {
            Kind::Voice(negotiated.codec)
        } else if let Some(codec) = Codec::from_payload_type(pt) {
            Kind::Voice(codec)
        } else {
            return;
        };
        let forwarded = Forwarded {
            link: self.link.id,
            kind,
            marker: packet.header.marker,
            ssrc: packet.header.ssrc,
            timestamp: packet.header.timestamp,
            payload: packet.payload.to_vec(),
        };
        if let Err(mpsc::error::TrySendError::Full(_)) = self.peer.try_send(forwarded) {
            tracing::debug!(link = self.link.id, "joined peer behind; packet dropped");
        }
    }
}

/// Where the peer's timestamps land on this leg's stream.
#[derive(Debug, Clone, Copy)]
struct Mapping {
    link: u64,
    ssrc: u32,
    offset: u32,
}

/// The receiving side: puts the peer's packets on this leg's stream. Its buffers are reused
/// from packet to packet.
#[derive(Debug, Default)]
pub(crate) struct Incoming {
    mapping: Option<Mapping>,
    pcm: Vec<i16>,
    payload: Vec<u8>,
    packet: Vec<u8>,
}

impl Incoming {
    /// Forgets the timestamp mapping: something else was sent on the stream (a playback), so
    /// the next forwarded packet fixes a new offset from where the stream is then.
    pub fn restart(&mut self) {
        self.mapping = None;
    }

    /// Sends `forwarded` to `dest` out of `socket` as a packet of `stream`, for a leg
    /// negotiated as `negotiated`. Packets the leg cannot take (telephone-event on a leg
    /// without it, a truncated event) are dropped; a failed send is only logged, as for
    /// playback.
    pub async fn deliver(
        &mut self,
        socket: &UdpSocket,
        dest: SocketAddr,
        negotiated: &Negotiated,
        stream: &mut RtpStream,
        forwarded: &Forwarded,
    ) {
        let now = Instant::now();
        let Some(len) = self.rewrite(negotiated, stream, forwarded, now) else {
            return;
        };
        if let Err(err) = socket.send_to(&self.packet[..len], dest).await {
            tracing::debug!(%dest, %err, "forwarded send failed");
        }
    }

    /// Writes the packet for `forwarded` into `self.packet`; its length, or `None` to drop.
    fn rewrite(
        &mut self,
        negotiated: &Negotiated,
        stream: &mut RtpStream,
        forwarded: &Forwarded,
        now: Instant,
    ) -> Option<usize> {
        self.payload.clear();
        let (payload_type, length) = match forwarded.kind {
            Kind::Event => {
                let event = EventPayload::parse(&forwarded.payload).ok()?;
                self.payload.extend_from_slice(&forwarded.payload);
                (negotiated.events?, u32::from(event.duration))
            }
            Kind::Voice(codec) if codec == negotiated.codec => {
                self.payload.extend_from_slice(&forwarded.payload);
                (negotiated.payload_type, samples(&forwarded.payload))
            }
            Kind::Voice(codec) => {
                self.pcm.clear();
                codec.decode(&forwarded.payload, &mut self.pcm);
                negotiated.codec.encode(&self.pcm, &mut self.payload);
                (negotiated.payload_type, samples(&forwarded.payload))
            }
        };
        let current = self
            .mapping
            .filter(|m| m.link == forwarded.link && m.ssrc == forwarded.ssrc);
        let (mapping, fresh) = match current {
            Some(mapping) => (mapping, false),
            None => {
                let (_, base) = stream.resume_timestamp(now);
                let mapping = Mapping {
                    link: forwarded.link,
                    ssrc: forwarded.ssrc,
                    offset: base.wrapping_sub(forwarded.timestamp),
                };
                self.mapping = Some(mapping);
                (mapping, true)
            }
        };
        let timestamp = forwarded.timestamp.wrapping_add(mapping.offset);
        let header = stream.custom_header(
            payload_type,
            timestamp,
            fresh || forwarded.marker,
            timestamp.wrapping_add(length),
            samples(&self.payload),
        );
        // Should a playback start next, it continues the line from here.
        stream.pause(now + FRAME_DURATION);
        self.packet.clear();
        header.write(&self.payload, &mut self.packet);
        Some(self.packet.len())
    }
}

/// The length of a payload as the 32-bit counts want it (G.711: also its samples).
fn samples(payload: &[u8]) -> u32 {
    u32::try_from(payload.len()).unwrap_or(u32::MAX)
}
