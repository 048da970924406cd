//! The Goertzel algorithm: the power of one frequency in a block of samples, for the price of
//! one multiply-add per sample. Eight of them are cheaper than an FFT when only the eight DTMF
//! frequencies matter, and they need not fall on FFT bins.

use std::f64::consts::TAU;

/// The rate of the audio the media layer analyses.
pub(crate) const SAMPLE_RATE: f64 = 8000.0;

/// The mean power of the `freq` Hz component of `samples` (at 8 kHz), scaled so that a sine of
/// peak `a` at exactly `freq` over the whole block measures `a² / 2`, its own mean power; it
/// can so be compared with the block's mean square and with a level in dBm0.
///
/// Off-frequency components leak in as the rectangular window lets them: a tone one bin
/// (`8000 / len` Hz) away measures about zero, half a bin away about 40 % of its power.
pub(crate) fn power(samples: &[f64], freq: f64) -> f64 {
    let coeff = 2.0 * (TAU * freq / SAMPLE_RATE).cos();
    let (mut s1, mut s2) = (0.0, 0.0);
    for &x in samples {
        let s0 = x + coeff * s1 - s2;
        s2 = s1;
        s1 = s0;
    }
    let squared_magnitude = s1 * s1 + s2 * s2 - coeff * s1 * s2;
    let n = samples.len().max(1) as f64;
    2.0 * squared_magnitude / (n * n)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sine(freq: f64, peak: f64, len: usize) -> Vec<f64> {
        (0..len)
            .map(|n| peak * (TAU * freq * n as f64 / SAMPLE_RATE).sin())
            .collect()
    }

    #[test]
    fn a_sine_measures_its_own_mean_power() {
        for freq in [425.0, 697.0, 1000.0, 1633.0, 3000.0] {
            let p = power(&sine(freq, 1000.0, 800), freq);
            assert!((p / 500_000.0 - 1.0).abs() < 0.01, "{freq}: {p}");
        }
    }

    #[test]
    fn other_frequencies_barely_register() {
        let samples = sine(1000.0, 1000.0, 800);
        // 800 samples: bins are 10 Hz wide; 100 Hz away is ten bins.
        assert!(power(&samples, 1100.0) < 500_000.0 * 1e-3);
        assert!(power(&samples, 425.0) < 500_000.0 * 1e-4);
    }

    #[test]
    fn silence_and_empty_blocks_measure_nothing() {
        assert_eq!(power(&[0.0; 100], 697.0), 0.0);
        assert_eq!(power(&[], 697.0), 0.0);
    }
}
