//! Silence: keeps a leg's stream alive (and its NAT binding open) while nothing is to be
//! heard, and makes pauses between prompts.

use super::{Frame, FrameSource, FRAME_SAMPLES};
use crate::playout::pacer::FRAME_DURATION;
use std::time::Duration;

/// Frames of digital silence, without end or for a time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Silence {
    remaining: Option<u64>,
}

impl Silence {
    /// Silence until stopped.
    pub fn endless() -> Silence {
        Silence { remaining: None }
    }

    /// Silence for `duration`, rounded up to whole frames.
    pub fn lasting(duration: Duration) -> Silence {
        let frames = duration.as_nanos().div_ceil(FRAME_DURATION.as_nanos());
        Silence {
            remaining: Some(u64::try_from(frames).unwrap_or(u64::MAX)),
        }
    }
}

impl FrameSource for Silence {
    fn next_frame(&mut self) -> Option<Frame> {
        if let Some(remaining) = &mut self.remaining {
            *remaining = remaining.checked_sub(1)?;
        }
        Some([0; FRAME_SAMPLES])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lasting_silence_ends_after_whole_frames() {
        let mut silence = Silence::lasting(Duration::from_millis(50));
        assert_eq!((0..5).filter_map(|_| silence.next_frame()).count(), 3);
        assert_eq!(silence.next_frame(), None);
    }

    #[test]
    fn endless_silence_goes_on() {
        let mut silence = Silence::endless();
        assert!((0..1000).all(|_| silence.next_frame() == Some([0; FRAME_SAMPLES])));
    }
}
