//! The built-in hold music: a quiet arpeggio synthesised at start, so a PBX with no music
//! files configured still tells a held caller that the line is alive (silence makes people
//! hang up; a repeating beep annoys them).

use super::Clip;
use std::f64::consts::TAU;

/// Samples per second of every clip.
const RATE: f64 = 8000.0;

/// Each note: its frequency in Hz (C major / A minor, in a comfortable middle register).
const NOTES: [f64; 16] = [
    523.25, 659.25, 783.99, 659.25, 440.00, 523.25, 659.25, 523.25, 349.23, 440.00, 523.25, 440.00,
    392.00, 493.88, 587.33, 493.88,
];

/// How long each note lasts, in seconds.
const NOTE_SECS: f64 = 0.5;

/// Peak level: about -20 dBFS, well below prompts, so hold music never startles.
const PEAK: f64 = 3277.0;

/// The built-in music: 8 s of soft notes, each with a gentle attack and decay so the loop
/// has no clicks; loops seamlessly since it starts and ends in silence.
pub fn built_in_music() -> Clip {
    let per_note = (NOTE_SECS * RATE) as usize;
    let mut samples = Vec::with_capacity(per_note * NOTES.len());
    for frequency in NOTES {
        for n in 0..per_note {
            let t = n as f64 / RATE;
            let attack = (t / 0.02).min(1.0);
            let decay = (-3.0 * t).exp();
            let fundamental = (TAU * frequency * t).sin();
            let overtone = 0.3 * (TAU * 2.0 * frequency * t).sin();
            let value = PEAK * attack * decay * (fundamental + overtone) / 1.3;
            samples.push(value.round() as i16);
        }
    }
    Clip::from_samples(samples)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eight_quiet_seconds_that_start_and_end_near_silence() {
        let music = built_in_music();
        let samples = music.samples();
        assert_eq!(samples.len(), 8 * 8000);
        let peak = samples.iter().map(|s| s.unsigned_abs()).max().unwrap_or(0);
        assert!(peak > 1000 && peak <= 3300, "peak {peak}");
        assert!(samples[0].unsigned_abs() < 50);
        assert!(samples[samples.len() - 1].unsigned_abs() < 1000);
    }
}
