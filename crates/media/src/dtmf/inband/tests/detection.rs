//! Digits the detector must find, once each.

use std::f64::consts::TAU;

use super::detect;
use super::signals::{at_level, pcm, press_in_noise, Noise};
use crate::dtmf::inband::{generate, keypad, InbandDetector};
use crate::dtmf::Digit;
use crate::tones::dbm0_amplitude;

const LEVELS: [f64; 5] = [-3.0, -8.0, -13.0, -19.0, -25.0];

#[test]
fn every_digit_at_every_level_and_length_in_noise_is_detected_once() {
    let mut noise = Noise::new(1);
    for digit in Digit::ALL {
        for dbm0 in LEVELS {
            for ms in [40, 45, 50, 70, 100, 200] {
                // Leads move the tone against the frames and the analysis windows.
                for lead in [400, 407, 413] {
                    let samples = press_in_noise(digit, dbm0, ms, lead, 15.0, &mut noise);
                    assert_eq!(
                        detect(&samples),
                        vec![digit],
                        "{digit} at {dbm0} dBm0 for {ms} ms after {lead} samples"
                    );
                }
            }
        }
    }
}

#[test]
fn thirty_ms_tones_are_rejected() {
    let mut noise = Noise::new(2);
    for digit in Digit::ALL {
        for dbm0 in LEVELS {
            for lead in 400..420 {
                let samples = press_in_noise(digit, dbm0, 30, lead, 15.0, &mut noise);
                assert_eq!(detect(&samples), vec![], "{digit} at {dbm0} dBm0, {lead}");
            }
        }
    }
}

#[test]
fn a_press_is_reported_within_about_40_ms_of_its_start() {
    let samples = press_in_noise(Digit::Five, -10.0, 200, 800, 30.0, &mut Noise::new(3));
    let mut detector = InbandDetector::new();
    let frame = samples
        .chunks(160)
        .position(|frame| !detector.push(frame).is_empty())
        .unwrap();
    // The tone starts at frame 5; a report in frame 7 has seen at most 60 ms of it.
    assert!((6..=7).contains(&frame), "reported in frame {frame}");
}

#[test]
fn frame_sizes_do_not_matter() {
    let mut noise = Noise::new(4);
    let mut samples = Vec::new();
    for digit in [Digit::One, Digit::Hash, Digit::D] {
        samples.extend(press_in_noise(digit, -12.0, 60, 400, 20.0, &mut noise));
    }
    for size in [1, 7, 80, 160, 1000, samples.len()] {
        let mut detector = InbandDetector::new();
        let found: Vec<Digit> = samples
            .chunks(size)
            .flat_map(|chunk| detector.push(chunk))
            .collect();
        assert_eq!(
            found,
            [Digit::One, Digit::Hash, Digit::D],
            "chunks of {size}"
        );
    }
}

/// 100 ms of sines at (frequency in Hz, level in dBm0), in silence.
fn sines(parts: &[(f64, f64)]) -> Vec<i16> {
    let mut samples = vec![0.0; 400];
    samples.extend((0..800).map(|n| {
        let t = f64::from(n) / 8000.0;
        parts
            .iter()
            .map(|&(f, dbm0)| f64::from(dbm0_amplitude(dbm0)) * (TAU * f * t).sin())
            .sum::<f64>()
    }));
    samples.extend([0.0; 400]);
    pcm(&samples)
}

/// A key with its row at `row_dbm0` and its column at `column_dbm0`, 100 ms, in silence.
fn twisted(digit: Digit, row_dbm0: f64, column_dbm0: f64) -> Vec<i16> {
    let (row, column) = keypad::frequencies(digit);
    sines(&[(row, row_dbm0), (column, column_dbm0)])
}

#[test]
fn twist_within_q24_limits_is_accepted() {
    for digit in Digit::ALL {
        // Normal twist: the column 7 dB weaker than the row.
        assert_eq!(detect(&twisted(digit, -6.0, -13.0)), [digit], "{digit}");
        // Reverse twist: the column 3 dB stronger.
        assert_eq!(detect(&twisted(digit, -13.0, -10.0)), [digit], "{digit}");
    }
}

#[test]
fn twist_beyond_q24_limits_is_rejected() {
    for digit in Digit::ALL {
        // Normal twist of 10 dB (limit 8).
        assert_eq!(detect(&twisted(digit, -6.0, -16.0)), [], "{digit}");
        // Reverse twist of 6 dB (limit 4).
        assert_eq!(detect(&twisted(digit, -16.0, -10.0)), [], "{digit}");
    }
}

#[test]
fn a_second_tone_in_a_group_must_be_well_below_the_first() {
    // Key 1 (697 + 1209 Hz) with a second row tone (770 Hz) or column tone (1336 Hz):
    // 12 dB down it is tolerated, 6 dB down the key is ambiguous and refused.
    let key_1 = [(697.0, -10.0), (1209.0, -10.0)];
    for extra in [770.0, 1336.0] {
        let quiet = [key_1[0], key_1[1], (extra, -22.0)];
        assert_eq!(
            detect(&sines(&quiet)),
            [Digit::One],
            "{extra} Hz 12 dB down"
        );
        let loud = [key_1[0], key_1[1], (extra, -16.0)];
        assert_eq!(detect(&sines(&loud)), [], "{extra} Hz 6 dB down");
    }
}

/// `keys` pressed for `on` ms with `off` ms between them, at -10 dBm0 per tone, under white
/// noise 15 dB below the tones.
fn dialled(keys: &[Digit], on: u32, off: usize, noise: &mut Noise) -> Vec<i16> {
    let mut samples = vec![0.0; 400];
    for &digit in keys {
        let tone = generate(digit, on, dbm0_amplitude(-10.0));
        samples.extend(tone.iter().map(|&s| f64::from(s)));
        samples.extend(std::iter::repeat_n(0.0, off * 8));
    }
    samples.extend([0.0; 400]);
    let noise_power = 2.0 * crate::tones::level::dbm0_power(-10.0) / 10f64.powf(1.5);
    let noise = noise.samples(samples.len(), noise_power);
    pcm(&samples
        .iter()
        .zip(noise)
        .map(|(s, n)| s + n)
        .collect::<Vec<_>>())
}

fn keys(text: &str) -> Vec<Digit> {
    text.chars().map(|c| Digit::from_char(c).unwrap()).collect()
}

#[test]
fn a_sequence_with_50_ms_gaps_is_detected_in_order() {
    let mut noise = Noise::new(5);
    for text in ["0123456789*#", "ABCD", "1111", "#*#*", "55005"] {
        for on in [50, 70] {
            let samples = dialled(&keys(text), on, 50, &mut noise);
            assert_eq!(detect(&samples), keys(text), "{text} at {on} ms");
        }
    }
}

#[test]
fn a_40_ms_pause_separates_two_presses_of_one_key() {
    let mut noise = Noise::new(6);
    let samples = dialled(&keys("77"), 60, 40, &mut noise);
    assert_eq!(detect(&samples), keys("77"));
}

#[test]
fn a_short_break_inside_a_press_does_not_make_two() {
    let mut noise = Noise::new(7);
    for gap in [5, 10, 15] {
        let samples = dialled(&keys("33"), 100, gap, &mut noise);
        assert_eq!(detect(&samples), keys("3"), "break of {gap} ms");
    }
}

#[test]
fn a_held_key_is_reported_once() {
    let samples = dialled(&keys("9"), 3000, 0, &mut Noise::new(8));
    assert_eq!(detect(&samples), keys("9"));
}

#[test]
fn silence_and_noise_give_nothing() {
    assert_eq!(detect(&[0; 16000]), []);
    let mut noise = Noise::new(9);
    for dbm0 in [-40.0, -20.0, -5.0] {
        let samples = pcm(&at_level(noise.samples(40_000, 1.0), dbm0));
        assert_eq!(detect(&samples), [], "{dbm0} dBm0");
    }
}

#[test]
fn single_tones_and_call_progress_tones_give_nothing() {
    let mix = |freqs: &[f64]| {
        let samples: Vec<f64> = (0..8000)
            .map(|n| {
                let t = f64::from(n) / 8000.0;
                freqs.iter().map(|f| (TAU * f * t).sin()).sum()
            })
            .collect();
        pcm(&at_level(samples, -10.0))
    };
    let cases: [&[f64]; 9] = [
        &[697.0],
        &[1209.0],
        &[1633.0],
        &[1000.0],
        &[425.0],
        &[440.0, 480.0],
        &[480.0, 620.0],
        &[350.0, 440.0],
        &[950.0, 1400.0, 1800.0],
    ];
    for freqs in cases {
        assert_eq!(detect(&mix(freqs)), [], "{freqs:?}");
    }
}
