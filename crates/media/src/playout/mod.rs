//! Paced RTP playout of audio to a call leg, and recording of a leg to WAV.
//!
//! The PBX speaks on a call (prompts, music on hold, silence) by sending its own RTP stream
//! out of the leg's media socket; it listens (voicemail, recorded greetings) by decoding what
//! the leg sends. The parts, one idea each:
//!
//! * [`rtp`]: the packet format, and [`RtpStream`], the numbering of one outgoing stream
//!   (SSRC, sequence, timestamp, marker) that stays one unbroken line across prompts and
//!   hold music, so a phone's jitter buffer never sees a new stream mid-call.
//! * [`pacer`] and [`clock`]: when each 20 ms packet is due, from absolute deadlines so a
//!   ten-minute prompt ends on time, with a bounded catch-up after a stall.
//! * [`source`]: where 20 ms frames of 8 kHz audio come from: a playlist of clips, a seamless
//!   loop, silence.
//! * [`codec`]: the one thing playout needs of a codec, turning PCM into a payload.
//! * [`player`]: [`play`] sends a source to a leg until it ends or is stopped.
//! * [`moh`]: a music-on-hold class decodes once and feeds any number of held calls.
//! * [`recorder`]: PCM (or RTP through a decoder) into a WAV file that appears under its
//!   name only when complete, stopping on a digit, silence, hang-up or a length limit.
//!
//! Everything that decides (pacing, numbering, stop conditions) is a plain struct fed the
//! time or the samples; only [`play`], [`MohClass`] and the file writing do I/O.

pub mod clock;
pub mod codec;
pub mod moh;
pub mod pacer;
pub mod player;
pub mod recorder;
pub mod rtp;
mod send;
pub mod source;
#[cfg(test)]
mod testing;

pub use clock::{Clock, TokioClock};
pub use codec::Encoder;
pub use moh::{MohClass, MohError};
pub use pacer::{Pace, Pacer};
pub use player::{play, PlayEnd, PlayOutcome};
pub use recorder::{
    Progress, RecordError, Recorder, RecorderConfig, Recording, RtpDecoder, SilenceRule, StopReason,
};
pub use rtp::{Extension, RtpError, RtpHeader, RtpPacket, RtpStream, SentCount, FIXED_HEADER_LEN};
pub use source::{Frame, FrameSource, Looping, Playlist, Silence, FRAME_SAMPLES};
