//! One clip played over and over: music on hold.
//!
//! The loop is seamless: the frame that holds the clip's last samples is completed with its
//! first ones, so the music never stops for the rest of a frame at the loop point (an audible
//! click 20 ms long, every loop, for as long as the caller waits).

use super::{fill, Frame, FrameSource, FRAME_SAMPLES};

/// A clip repeated without end and without gaps. An empty clip plays silence, so an operator
/// who empties the hold music file gets silent hold rather than a call with no media.
#[derive(Debug, Clone)]
pub struct Looping<C> {
    clip: C,
    position: usize,
}

impl<C: AsRef<[i16]>> Looping<C> {
    /// A loop of `clip` from its start.
    pub fn new(clip: C) -> Looping<C> {
        Looping { clip, position: 0 }
    }
}

impl<C: AsRef<[i16]> + Send> FrameSource for Looping<C> {
    fn next_frame(&mut self) -> Option<Frame> {
        let mut frame = [0; FRAME_SAMPLES];
        let samples = self.clip.as_ref();
        if samples.is_empty() {
            return Some(frame);
        }
        let mut filled = 0;
        while filled < FRAME_SAMPLES {
            fill(&mut frame, &mut filled, samples, &mut self.position);
            if self.position >= samples.len() {
                self.position = 0;
            }
        }
        Some(frame)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frames(source: &mut impl FrameSource, n: usize) -> Vec<i16> {
        (0..n).flat_map(|_| source.next_frame().unwrap()).collect()
    }

    #[test]
    fn the_loop_point_is_seamless() {
        // 1.3 frames: the loop point falls inside a frame, at a different place each time.
        let clip: Vec<i16> = (1..=208).collect();
        let mut looping = Looping::new(clip.clone());
        let played = frames(&mut looping, 13);
        let expected: Vec<i16> = clip.iter().copied().cycle().take(13 * 160).collect();
        assert_eq!(played, expected);
    }

    #[test]
    fn a_clip_shorter_than_a_frame_repeats_within_it() {
        let mut looping = Looping::new([5i16, 6, 7]);
        let played = frames(&mut looping, 2);
        let expected: Vec<i16> = [5, 6, 7].into_iter().cycle().take(320).collect();
        assert_eq!(played, expected);
    }

    #[test]
    fn an_empty_clip_plays_silence() {
        let mut looping = Looping::new(Vec::<i16>::new());
        assert_eq!(looping.next_frame(), Some([0; FRAME_SAMPLES]));
    }
}
