//! Clips played one after the other, as one continuous stream: "you are caller number" and
//! "three" run together without a gap at the boundary, since a frame may hold the end of
//! one clip and the start of the next.

use super::{fill, Frame, FrameSource, FRAME_SAMPLES};
use std::collections::VecDeque;

/// Clips played in order, then the end. The last frame is completed with silence.
///
/// Generic over the clip type so that shared clips (`Arc<[i16]>`, or an `Arc` of the audio
/// module's clip) are played without copying.
#[derive(Debug, Clone)]
pub struct Playlist<C> {
    clips: VecDeque<C>,
    position: usize,
}

impl<C: AsRef<[i16]>> Playlist<C> {
    /// A playlist of `clips`, in order; empty clips are passed over.
    pub fn new(clips: impl IntoIterator<Item = C>) -> Playlist<C> {
        Playlist {
            clips: clips.into_iter().collect(),
            position: 0,
        }
    }
}

impl<C: AsRef<[i16]> + Send> FrameSource for Playlist<C> {
    fn next_frame(&mut self) -> Option<Frame> {
        let mut frame = [0; FRAME_SAMPLES];
        let mut filled = 0;
        while filled < FRAME_SAMPLES {
            let Some(clip) = self.clips.front() else {
                break;
            };
            let samples = clip.as_ref();
            fill(&mut frame, &mut filled, samples, &mut self.position);
            if self.position >= samples.len() {
                self.clips.pop_front();
                self.position = 0;
            }
        }
        (filled > 0).then_some(frame)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    fn ramp(from: i16, len: usize) -> Arc<[i16]> {
        (0..len).map(|i| from + i as i16).collect()
    }

    #[test]
    fn clips_run_together_across_frames_and_the_end_is_padded() {
        let mut playlist = Playlist::new([ramp(0, 100), ramp(1000, 0), ramp(100, 150)]);
        let first = playlist.next_frame().unwrap();
        assert_eq!(first.to_vec(), (0..160).collect::<Vec<i16>>());
        let second = playlist.next_frame().unwrap();
        assert_eq!(second[..90].to_vec(), (160..250).collect::<Vec<i16>>());
        assert!(second[90..].iter().all(|&s| s == 0));
        assert_eq!(playlist.next_frame(), None);
        assert_eq!(playlist.next_frame(), None);
    }

    #[test]
    fn an_empty_playlist_ends_at_once() {
        let mut playlist = Playlist::new(Vec::<Vec<i16>>::new());
        assert_eq!(playlist.next_frame(), None);
        let mut empty_clips = Playlist::new([Vec::<i16>::new(), Vec::new()]);
        assert_eq!(empty_clips.next_frame(), None);
    }
}
