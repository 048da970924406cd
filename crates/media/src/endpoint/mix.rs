//! Recording both sides of a joined call into one file: the leg's phone and what the joined
//! peer forwards, mixed.
//!
//! The two sides arrive as packets from two phones with unrelated clocks, so they are lined
//! up by arrival, 20 ms frame by 20 ms frame: a frame of each side makes a mixed frame. A
//! side that lags (a phone that suppresses silence, a peer that is not joined or not
//! talking) is filled with silence once the other side is [`LAG_FRAMES`] ahead, so the
//! recording never waits on it for more than that. Each side keeps at most
//! [`BACKLOG_FRAMES`]: a burst beyond that (a stalled network delivering a second at once)
//! loses its oldest samples rather than growing the buffer.

use crate::playout::FRAME_SAMPLES;
use std::collections::VecDeque;

/// How far one side may run ahead before the other is taken as silent.
const LAG_FRAMES: usize = 3;

/// The most samples kept per side.
const BACKLOG_FRAMES: usize = 8;

/// One 20 ms frame of each side.
pub(crate) type Frames = ([i16; FRAME_SAMPLES], [i16; FRAME_SAMPLES]);

/// The two sides waiting to be mixed.
#[derive(Debug, Default)]
pub(crate) struct Mixer {
    own: VecDeque<i16>,
    peer: VecDeque<i16>,
}

impl Mixer {
    /// Audio from the leg's own phone.
    pub fn push_own(&mut self, pcm: &[i16]) {
        push(&mut self.own, pcm);
    }

    /// Audio the joined peer forwarded.
    pub fn push_peer(&mut self, pcm: &[i16]) {
        push(&mut self.peer, pcm);
    }

    /// The next pair of frames to mix, once both sides have one or one side is
    /// [`LAG_FRAMES`] ahead.
    pub fn next(&mut self) -> Option<Frames> {
        let (own, peer) = (self.own.len(), self.peer.len());
        let ready = (own >= FRAME_SAMPLES && peer >= FRAME_SAMPLES)
            || own >= LAG_FRAMES * FRAME_SAMPLES
            || peer >= LAG_FRAMES * FRAME_SAMPLES;
        ready.then(|| self.take())
    }

    /// Whatever is left, at the end of the recording (the shorter side padded with silence).
    pub fn rest(&mut self) -> Option<Frames> {
        (!self.own.is_empty() || !self.peer.is_empty()).then(|| self.take())
    }

    fn take(&mut self) -> Frames {
        (frame(&mut self.own), frame(&mut self.peer))
    }
}

fn push(side: &mut VecDeque<i16>, pcm: &[i16]) {
    side.extend(pcm);
    let excess = side.len().saturating_sub(BACKLOG_FRAMES * FRAME_SAMPLES);
    side.drain(..excess);
}

/// Up to one frame from the front of `side`, completed with silence.
fn frame(side: &mut VecDeque<i16>) -> [i16; FRAME_SAMPLES] {
    let mut frame = [0; FRAME_SAMPLES];
    let n = side.len().min(FRAME_SAMPLES);
    for (slot, sample) in frame.iter_mut().zip(side.drain(..n)) {
        *slot = sample;
    }
    frame
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_pair_up_by_arrival() {
        let mut mixer = Mixer::default();
        mixer.push_own(&[1; 160]);
        assert!(mixer.next().is_none());
        mixer.push_peer(&[2; 200]);
        let (own, peer) = mixer.next().unwrap();
        assert_eq!((own, peer), ([1; 160], [2; 160]));
        assert!(mixer.next().is_none());
        let (own, peer) = mixer.rest().unwrap();
        assert_eq!(own, [0; 160]);
        assert_eq!(&peer[..40], &[2; 40]);
        assert_eq!(&peer[40..], &[0; 120]);
        assert!(mixer.rest().is_none());
    }

    #[test]
    fn a_lagging_side_is_silence_and_a_burst_is_bounded() {
        let mut mixer = Mixer::default();
        mixer.push_own(&[5; 160 * 2]);
        assert!(mixer.next().is_none());
        mixer.push_own(&[5; 160]);
        assert_eq!(mixer.next().unwrap(), ([5; 160], [0; 160]));
        mixer.push_peer(&vec![7; 160 * 50]);
        let mut frames = 0;
        while mixer.next().is_some() {
            frames += 1;
        }
        assert_eq!(frames, BACKLOG_FRAMES - LAG_FRAMES + 1);
    }
}
