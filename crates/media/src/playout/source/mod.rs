//! Where the audio of an outgoing stream comes from, one 20 ms frame at a time.
//!
//! A source only produces samples; pacing, encoding and numbering are the player's. Sources
//! are pulled, not pushed, so a source is never ahead of the wire by more than one frame and
//! stopping a prompt wastes nothing.

mod looping;
mod playlist;
mod silence;

pub use looping::Looping;
pub use playlist::Playlist;
pub use silence::Silence;

/// Samples in one frame: 20 ms at 8 kHz, the packet size every SIP phone expects for G.711.
pub const FRAME_SAMPLES: usize = 160;

/// One frame of 8 kHz mono audio.
pub type Frame = [i16; FRAME_SAMPLES];

/// A producer of frames.
pub trait FrameSource: Send {
    /// The next frame, or `None` once the source has ended (a source that has ended stays
    /// ended).
    fn next_frame(&mut self) -> Option<Frame>;
}

impl<S: FrameSource + ?Sized> FrameSource for Box<S> {
    fn next_frame(&mut self) -> Option<Frame> {
        (**self).next_frame()
    }
}

/// Copies from `clip` starting at `*position` into `frame[*filled..]` as far as both allow,
/// advancing both; the common step of the playlist and the loop.
fn fill(frame: &mut Frame, filled: &mut usize, clip: &[i16], position: &mut usize) {
    let rest = &clip[(*position).min(clip.len())..];
    let n = rest.len().min(FRAME_SAMPLES - *filled);
    frame[*filled..*filled + n].copy_from_slice(&rest[..n]);
    *filled += n;
    *position += n;
}
