//! Playing a [`Tone`]: 20 ms frames of 8 kHz PCM, generated as they are needed.
//!
//! The tone's sines run on continuously from the first sample, through every frame and every
//! silent part of the cadence, and are only switched on and off, with a 2 ms raised-cosine
//! ramp inside each on period: so no frame join and no cadence boundary makes a click, and the
//! cadence is exact to the sample (the ramps sit inside the on periods, whose length is as
//! the plan says).

use std::f64::consts::{PI, TAU};

use crate::tones::level::dbm0_peak;
use crate::tones::plan::Tone;

/// Samples in one frame: 20 ms at 8 kHz.
pub const FRAME_SAMPLES: usize = 160;
/// Samples per millisecond.
const SAMPLES_PER_MS: u64 = 8;
/// Length of the on and off ramps (2 ms).
const RAMP: u64 = 16;

/// Plays a tone as an endless (or, for a tone that does not repeat, finite) iterator of
/// 20 ms frames. No I/O and no clock: the playout pulls a frame each time it sends one.
#[derive(Debug, Clone)]
pub struct ToneGenerator {
    /// Each sine's phase (radians, kept below 2π) and its step per sample.
    oscillators: Vec<(f64, f64)>,
    /// Each sine's peak.
    peak: f64,
    /// The cadence's on periods, as [start, end) sample offsets within one pass.
    on: Vec<(u64, u64)>,
    /// Samples in one pass of the cadence.
    pass: u64,
    repeats: bool,
    /// Samples played since the start.
    played: u64,
}

impl ToneGenerator {
    /// A generator that plays `tone` from the start of its cadence.
    pub fn new(tone: Tone) -> ToneGenerator {
        let mut on = Vec::new();
        let mut at = 0;
        for (i, &ms) in tone.cadence_ms.iter().enumerate() {
            let end = at + u64::from(ms) * SAMPLES_PER_MS;
            if i % 2 == 0 {
                on.push((at, end));
            }
            at = end;
        }
        ToneGenerator {
            oscillators: tone
                .frequencies
                .iter()
                .map(|f| (0.0, TAU * f / 8000.0))
                .collect(),
            peak: dbm0_peak(tone.level_dbm0),
            on,
            pass: at,
            repeats: tone.repeats,
            played: 0,
        }
    }

    /// The gain (0 to 1) of the sample at `offset` within a pass: 0 when off, 1 when on,
    /// between on the ramps.
    fn gain(&self, offset: u64) -> f64 {
        let Some(&(start, end)) = self.on.iter().find(|(s, e)| (*s..*e).contains(&offset)) else {
            return 0.0;
        };
        let ramp = RAMP.min((end - start) / 2).max(1);
        let edge = (offset - start).min(end - 1 - offset);
        if edge >= ramp {
            1.0
        } else {
            (1.0 - (PI * edge as f64 / ramp as f64).cos()) / 2.0
        }
    }

    /// The next sample: the sines advance whether or not they are heard.
    fn sample(&mut self) -> f64 {
        let offset = if self.pass == 0 {
            0
        } else {
            self.played % self.pass
        };
        let finished = !self.repeats && self.played >= self.pass;
        let gain = if finished { 0.0 } else { self.gain(offset) };
        let mut sum = 0.0;
        for (phase, step) in &mut self.oscillators {
            sum += phase.sin();
            *phase = (*phase + *step) % TAU;
        }
        self.played += 1;
        gain * self.peak * sum
    }
}

/// `tone` as a clip to play among prompts: a tone that ends (the beep) whole, a repeating
/// one (busy, ringback) for at most `longest`.
pub fn tone_clip(tone: Tone, longest: std::time::Duration) -> crate::audio::Clip {
    let frames = (longest.as_millis() / 20) as usize;
    let samples: Vec<i16> = ToneGenerator::new(tone).take(frames).flatten().collect();
    crate::audio::Clip::from_samples(samples)
}

impl Iterator for ToneGenerator {
    type Item = [i16; FRAME_SAMPLES];

    /// The next 20 ms; `None` once a tone that does not repeat is over (its last frame is
    /// padded with silence).
    fn next(&mut self) -> Option<[i16; FRAME_SAMPLES]> {
        if !self.repeats && self.played >= self.pass {
            return None;
        }
        let mut frame = [0; FRAME_SAMPLES];
        for s in &mut frame {
            // Clamped into range, so the cast only rounds.
            *s = self.sample().round().clamp(-32768.0, 32767.0) as i16;
        }
        Some(frame)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tones::{ToneKind, TonePlan};

    /// The tone as an ideal, never-interrupted sum of sines: what the generator must equal
    /// wherever it is fully on.
    fn ideal(tone: Tone, n: usize) -> f64 {
        let peak = dbm0_peak(tone.level_dbm0);
        tone.frequencies
            .iter()
            .map(|f| peak * (TAU * f * n as f64 / 8000.0).sin())
            .sum()
    }

    #[test]
    fn the_sines_run_on_across_frames_and_pauses() {
        // Busy and reorder tones change every 0.25-0.5 s, in the middle of frames too.
        for plan in [TonePlan::Russia, TonePlan::Europe, TonePlan::Us] {
            for kind in [ToneKind::Busy, ToneKind::Congestion, ToneKind::CallWaiting] {
                let tone = plan.tone(kind);
                let mut generator = ToneGenerator::new(tone);
                let samples: Vec<i16> = generator.by_ref().take(1000).flatten().collect();
                for (n, &s) in samples.iter().enumerate() {
                    if generator.gain(n as u64 % generator.pass) == 1.0 {
                        let error = (f64::from(s) - ideal(tone, n)).abs();
                        assert!(error <= 0.5 + 1e-6, "{plan:?} {kind:?} at {n}: {error}");
                    }
                }
            }
        }
    }

    #[test]
    fn no_frame_join_or_cadence_edge_clicks() {
        for plan in [TonePlan::Russia, TonePlan::Europe, TonePlan::Us] {
            for kind in [ToneKind::Ringback, ToneKind::Busy, ToneKind::Congestion] {
                let tone = plan.tone(kind);
                // The largest step a sum of these sines can take between two samples.
                let peak = dbm0_peak(tone.level_dbm0);
                let max_step: f64 = tone
                    .frequencies
                    .iter()
                    .map(|f| peak * TAU * f / 8000.0)
                    .sum::<f64>()
                    + 1.0;
                let samples: Vec<i16> = ToneGenerator::new(tone).take(800).flatten().collect();
                for (n, pair) in samples.windows(2).enumerate() {
                    let step = f64::from(pair[1]) - f64::from(pair[0]);
                    assert!(
                        step.abs() <= max_step,
                        "{plan:?} {kind:?}: step {step} at {n}"
                    );
                }
            }
        }
    }

    #[test]
    fn the_ramps_are_short_and_smooth() {
        let tone = TonePlan::Europe.tone(ToneKind::Busy);
        let generator = ToneGenerator::new(tone);
        let gains: Vec<f64> = (0..4000).map(|n| generator.gain(n)).collect();
        assert_eq!(gains[0], 0.0);
        assert!(gains[1] > 0.0 && gains[1] < 0.05);
        assert!(gains[..16].windows(2).all(|w| w[0] < w[1]));
        assert!(gains[16..3984].iter().all(|&g| g == 1.0));
        assert!(gains[3984..].windows(2).all(|w| w[0] > w[1]));
        assert_eq!(generator.gain(4000), 0.0);
    }

    #[test]
    fn a_tone_that_does_not_repeat_ends() {
        let frames: Vec<_> = ToneGenerator::new(TonePlan::Us.tone(ToneKind::Beep)).collect();
        // 250 ms: twelve whole frames and half of the thirteenth.
        assert_eq!(frames.len(), 13);
        assert!(frames[12][..80].iter().any(|&s| s != 0));
        assert!(frames[12][80..].iter().all(|&s| s == 0));
    }

    #[test]
    fn a_repeating_tone_does_not_end() {
        let generator = ToneGenerator::new(TonePlan::Russia.tone(ToneKind::Busy));
        assert_eq!(generator.take(100_000).count(), 100_000);
    }

    #[test]
    fn a_single_on_period_that_repeats_is_continuous() {
        let tone = Tone {
            frequencies: &[425.0],
            level_dbm0: -10.0,
            cadence_ms: &[1000],
            repeats: true,
        };
        let generator = ToneGenerator::new(tone);
        // Ramps at each pass's edges, but never silence in the middle of one.
        assert!((RAMP..8000 - RAMP).all(|n| generator.gain(n) == 1.0));
        let frames: Vec<_> = generator.take(120).collect();
        assert!(frames.iter().all(|f| f.iter().any(|&s| s != 0)));
    }
}

#[cfg(test)]
mod clip_tests {
    use super::*;
    use crate::tones::{ToneKind, TonePlan};
    use std::time::Duration;

    #[test]
    fn a_repeating_tone_is_cut_at_the_limit_and_a_beep_is_whole() {
        let busy = tone_clip(
            TonePlan::Russia.tone(ToneKind::Busy),
            Duration::from_secs(3),
        );
        assert_eq!(busy.samples().len(), 3 * 8000);
        let beep = tone_clip(
            TonePlan::Europe.tone(ToneKind::Beep),
            Duration::from_secs(3),
        );
        assert!(beep.samples().len() < 8000, "{}", beep.samples().len());
        assert!(beep.samples().iter().any(|&s| s != 0));
    }

    #[test]
    fn tones_are_named_as_configurations_write_them() {
        for kind in ToneKind::ALL {
            assert_eq!(ToneKind::from_name(kind.name()), Some(kind));
        }
        assert_eq!(
            ToneKind::from_name("call-waiting"),
            Some(ToneKind::CallWaiting)
        );
        assert_eq!(ToneKind::from_name("siren"), None);
    }
}
