//! In-band DTMF: the two sines of a key, for legs that cannot take RFC 4733 events.

use std::f64::consts::TAU;

use crate::dtmf::inband::goertzel::SAMPLE_RATE;
use crate::dtmf::inband::keypad;
use crate::dtmf::Digit;

/// `ms` milliseconds of `digit` as 8 kHz PCM: its row and column sines, each of peak
/// `amplitude`, starting at phase zero.
///
/// [`crate::tones::dbm0_amplitude`] turns a level into an amplitude; -7 to -10 dBm0 per tone
/// is usual. The sum of two sines peaks at twice `amplitude` and is clipped at full scale
/// above -3 dBm0 or so. A press is usually 70-100 ms, followed by as much silence.
pub fn generate(digit: Digit, ms: u32, amplitude: i16) -> Vec<i16> {
    let (row, column) = keypad::frequencies(digit);
    let peak = f64::from(amplitude);
    let samples = ms as usize * (SAMPLE_RATE as usize / 1000);
    (0..samples)
        .map(|n| {
            let t = n as f64 / SAMPLE_RATE;
            let x = peak * ((TAU * row * t).sin() + (TAU * column * t).sin());
            // Clamped into range, so the cast only rounds.
            x.round().clamp(-32768.0, 32767.0) as i16
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dtmf::inband::goertzel;

    #[test]
    fn lasts_as_asked() {
        assert_eq!(generate(Digit::One, 0, 1000).len(), 0);
        assert_eq!(generate(Digit::One, 40, 1000).len(), 320);
        assert_eq!(generate(Digit::One, 125, 1000).len(), 1000);
    }

    #[test]
    fn holds_the_row_and_column_of_the_key_and_nothing_else() {
        for digit in Digit::ALL {
            let samples: Vec<f64> = generate(digit, 100, 8000)
                .into_iter()
                .map(f64::from)
                .collect();
            let (row, column) = keypad::frequencies(digit);
            let expected = 8000.0f64.powi(2) / 2.0;
            for f in keypad::ROWS.into_iter().chain(keypad::COLUMNS) {
                let p = goertzel::power(&samples, f);
                if f == row || f == column {
                    assert!((p / expected - 1.0).abs() < 0.02, "{digit} {f}: {p}");
                } else {
                    assert!(p < expected / 100.0, "{digit} {f}: {p}");
                }
            }
        }
    }

    #[test]
    fn loud_tones_clip_instead_of_wrapping() {
        let samples = generate(Digit::D, 100, i16::MAX);
        assert!(samples.contains(&i16::MAX));
        assert!(samples.contains(&i16::MIN));
        let (row, column) = keypad::frequencies(Digit::D);
        for (n, &s) in samples.iter().enumerate() {
            let t = n as f64 / SAMPLE_RATE;
            let unclipped = 32767.0 * ((TAU * row * t).sin() + (TAU * column * t).sin());
            if unclipped.abs() > 32767.0 {
                assert_eq!(f64::from(s).signum(), unclipped.signum(), "sample {n}");
                assert!(s == i16::MAX || s == i16::MIN, "sample {n}");
            }
        }
    }
}
