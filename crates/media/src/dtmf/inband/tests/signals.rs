//! Test signals: tones in noise, speech-like and music-like sounds, real synthetic speech.

use std::f64::consts::TAU;

use crate::dtmf::inband::generate;
use crate::dtmf::Digit;
use crate::tones::{dbm0_amplitude, level::dbm0_power};

/// A deterministic source of white noise (xorshift64*), so failures can be replayed.
pub(super) struct Noise(u64);

impl Noise {
    pub(super) fn new(seed: u64) -> Noise {
        Noise(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1)
    }

    /// A uniform sample in [-1, 1): mean power 1/3.
    pub(super) fn next(&mut self) -> f64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        let bits = self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 11;
        bits as f64 / (1u64 << 52) as f64 - 1.0
    }

    /// `len` samples of white noise of mean power `power`.
    pub(super) fn samples(&mut self, len: usize, power: f64) -> Vec<f64> {
        let scale = (3.0 * power).sqrt();
        (0..len).map(|_| scale * self.next()).collect()
    }
}

/// Rounds to 16-bit PCM, clipping as a codec would.
pub(super) fn pcm(samples: &[f64]) -> Vec<i16> {
    samples
        .iter()
        .map(|x| x.round().clamp(-32768.0, 32767.0) as i16)
        .collect()
}

/// A key press as it reaches the PBX: `lead` samples of nothing, the tone (each sine at
/// `dbm0`) for `ms`, and 100 ms of nothing, all under white noise `snr_db` below the tone's
/// power.
pub(super) fn press_in_noise(
    digit: Digit,
    dbm0: f64,
    ms: u32,
    lead: usize,
    snr_db: f64,
    noise: &mut Noise,
) -> Vec<i16> {
    let tone = generate(digit, ms, dbm0_amplitude(dbm0));
    let mut signal = vec![0.0; lead];
    signal.extend(tone.iter().map(|&s| f64::from(s)));
    signal.extend(std::iter::repeat_n(0.0, 800));
    let noise_power = 2.0 * dbm0_power(dbm0) / 10f64.powf(snr_db / 10.0);
    let noise = noise.samples(signal.len(), noise_power);
    let mixed: Vec<f64> = signal.iter().zip(noise).map(|(s, n)| s + n).collect();
    pcm(&mixed)
}

/// A sung or spoken vowel: a harmonic series on a pitch gliding from `f0_from` to `f0_to` Hz
/// with some vibrato, shaped by three formants, at about `dbm0` overall.
pub(super) fn vowel(formants: [f64; 3], f0_from: f64, f0_to: f64, ms: u32, dbm0: f64) -> Vec<f64> {
    let len = ms as usize * 8;
    let mut phase = 0.0;
    let raw: Vec<f64> = (0..len)
        .map(|n| {
            let t = n as f64 / len as f64;
            let f0 = (f0_from + (f0_to - f0_from) * t)
                * (1.0 + 0.01 * (TAU * 5.5 * n as f64 / 8000.0).sin());
            phase += TAU * f0 / 8000.0;
            let mut x = 0.0;
            let mut k = 1.0;
            while k * f0 < 3800.0 {
                let f = k * f0;
                // Each formant a resonance about 80-120 Hz wide, over a -6 dB/octave source.
                let gain: f64 = formants
                    .iter()
                    .enumerate()
                    .map(|(i, &fc)| {
                        let bw = 80.0 + 20.0 * i as f64;
                        1.0 / (1.0 + ((f - fc) / bw).powi(2)) / (1.0 + i as f64)
                    })
                    .sum::<f64>()
                    / k;
                x += gain * (k * phase).sin();
                k += 1.0;
            }
            x
        })
        .collect();
    at_level(raw, dbm0)
}

/// A chord: each note with its first harmonics (1, 1/2, 1/3, 1/4 in amplitude), as a plucked
/// or bowed instrument gives, at about `dbm0` overall.
pub(super) fn chord(notes: &[f64], ms: u32, dbm0: f64) -> Vec<f64> {
    let len = ms as usize * 8;
    let raw = (0..len)
        .map(|n| {
            let t = n as f64 / 8000.0;
            notes
                .iter()
                .flat_map(|&f| (1..=4).map(move |k| (k as f64, f)))
                .filter(|(k, f)| k * f < 3900.0)
                .map(|(k, f)| (TAU * k * f * t).sin() / k)
                .sum()
        })
        .collect();
    at_level(raw, dbm0)
}

/// The frequency of a note, `semitones` above A4 (440 Hz).
pub(super) fn note(semitones: i32) -> f64 {
    440.0 * 2f64.powf(f64::from(semitones) / 12.0)
}

/// `samples` scaled so that their mean power is that of a sine at `dbm0`.
pub(super) fn at_level(samples: Vec<f64>, dbm0: f64) -> Vec<f64> {
    let power = samples.iter().map(|x| x * x).sum::<f64>() / samples.len().max(1) as f64;
    let scale = (dbm0_power(dbm0) / power.max(f64::MIN_POSITIVE)).sqrt();
    samples.into_iter().map(|x| x * scale).collect()
}

/// The samples of a 16-bit PCM mono WAV file, and its sample rate.
///
/// Enough of RIFF for what espeak-ng writes: chunks are walked to `fmt ` and `data`; a data
/// chunk whose size is larger than the file (espeak-ng writing to a pipe cannot know the
/// size) runs to the end of the file.
pub(super) fn read_wav(bytes: &[u8]) -> Option<(u32, Vec<i16>)> {
    if bytes.get(0..4)? != b"RIFF" || bytes.get(8..12)? != b"WAVE" {
        return None;
    }
    let mut rate = None;
    let mut at = 12;
    while at + 8 <= bytes.len() {
        let id = &bytes[at..at + 4];
        let size = u32::from_le_bytes(bytes[at + 4..at + 8].try_into().ok()?) as usize;
        let body = &bytes[at + 8..(at + 8).saturating_add(size).min(bytes.len())];
        match id {
            b"fmt " => {
                let format = u16::from_le_bytes(body.get(0..2)?.try_into().ok()?);
                let channels = u16::from_le_bytes(body.get(2..4)?.try_into().ok()?);
                let bits = u16::from_le_bytes(body.get(14..16)?.try_into().ok()?);
                if (format, channels, bits) != (1, 1, 16) {
                    return None;
                }
                rate = Some(u32::from_le_bytes(body.get(4..8)?.try_into().ok()?));
            }
            b"data" => {
                let samples = body
                    .chunks_exact(2)
                    .map(|b| i16::from_le_bytes([b[0], b[1]]))
                    .collect();
                return Some((rate?, samples));
            }
            _ => {}
        }
        at += 8 + size + size % 2;
    }
    None
}

/// `samples` at `rate` Hz brought to 8 kHz by linear interpolation (no anti-alias filter:
/// what aliases is more noise for the detector to ignore).
pub(super) fn resample_to_8k(samples: &[i16], rate: u32) -> Vec<f64> {
    let step = f64::from(rate) / 8000.0;
    let len = (samples.len() as f64 / step) as usize;
    (0..len)
        .map(|n| {
            let pos = n as f64 * step;
            let i = pos as usize;
            let frac = pos - i as f64;
            let a = f64::from(samples[i]);
            let b = f64::from(*samples.get(i + 1).unwrap_or(&samples[i]));
            a + (b - a) * frac
        })
        .collect()
}
