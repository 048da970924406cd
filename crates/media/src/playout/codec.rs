//! What playout needs of a codec: turning 8 kHz PCM into an RTP payload of a payload type.
//!
//! A trait rather than a fixed list, so the player and music on hold work with whatever the
//! audio module provides (G.711 μ-law and A-law today) and tests can count calls.

/// An encoder for one RTP payload format at 8 kHz.
pub trait Encoder: Send + Sync {
    /// The RTP payload type it produces (0 for PCMU, 8 for PCMA).
    fn payload_type(&self) -> u8;

    /// Appends the payload for `pcm` to `out`.
    fn encode(&self, pcm: &[i16], out: &mut Vec<u8>);
}

/// G.711 as the audio module implements it, at its static payload type (0 or 8).
impl Encoder for crate::audio::Codec {
    fn payload_type(&self) -> u8 {
        crate::audio::Codec::payload_type(*self)
    }

    fn encode(&self, pcm: &[i16], out: &mut Vec<u8>) {
        crate::audio::Codec::encode(*self, pcm, out);
    }
}
