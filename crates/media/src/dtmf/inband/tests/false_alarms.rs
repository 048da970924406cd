//! Sounds that are not digits: the detector must stay silent through speech and music (the
//! "talk-off" of DTMF receivers).

use std::path::Path;
use std::process::Command;

use super::detect;
use super::signals::{chord, note, pcm, read_wav, resample_to_8k, vowel};

/// Vowels as (name, first three formants in Hz), from Peterson & Barney's averages, plus an
/// unkind one whose formants sit on 697 and 1209 Hz, the tones of key 1.
const VOWELS: [(&str, [f64; 3]); 7] = [
    ("a", [730.0, 1090.0, 2440.0]),
    ("i", [270.0, 2290.0, 3010.0]),
    ("u", [300.0, 870.0, 2240.0]),
    ("e", [530.0, 1840.0, 2480.0]),
    ("o", [570.0, 840.0, 2410.0]),
    ("ae", [660.0, 1720.0, 2410.0]),
    ("key 1", [697.0, 1209.0, 2600.0]),
];

#[test]
fn vowels_of_any_pitch_are_not_digits() {
    // Pitch glides cover male, female and child voices, rising and falling, so that harmonics
    // sweep across every DTMF frequency.
    let glides = [
        (80.0, 160.0),
        (150.0, 300.0),
        (100.0, 240.0),
        (350.0, 120.0),
    ];
    for (name, formants) in VOWELS {
        for (from, to) in glides {
            for dbm0 in [-5.0, -15.0, -25.0] {
                let samples = pcm(&vowel(formants, from, to, 2000, dbm0));
                assert_eq!(
                    detect(&samples),
                    [],
                    "vowel {name}, {from}-{to} Hz, {dbm0} dBm0"
                );
            }
        }
    }
}

#[test]
fn chords_are_not_digits() {
    // Major, minor, seventh, open fifth and sixth chords on every semitone over two octaves
    // from A3, each note with its harmonics.
    let shapes: [&[i32]; 5] = [
        &[0, 4, 7],
        &[0, 3, 7],
        &[0, 4, 7, 10],
        &[0, 7, 12],
        &[0, 5, 9],
    ];
    for root in -12..12 {
        for shape in shapes {
            let notes: Vec<f64> = shape.iter().map(|&s| note(root + s)).collect();
            for dbm0 in [-5.0, -15.0] {
                let samples = pcm(&chord(&notes, 500, dbm0));
                assert_eq!(detect(&samples), [], "chord {notes:?} at {dbm0} dBm0");
            }
        }
    }
}

const ESPEAK: &str = "/usr/bin/espeak-ng";

/// Spoken sentences, as a caller and as the PBX's own prompts would sound, in the voices of
/// espeak-ng; skipped, with a notice, where espeak-ng is not installed.
#[test]
fn speech_is_not_digits() {
    if !Path::new(ESPEAK).exists() {
        eprintln!("skipped: {ESPEAK} is not installed (Debian package espeak-ng)");
        return;
    }
    let sentences = [
        (
            "en",
            "Thank you for calling. All our agents are busy; please hold the line, \
             your call is important to us.",
        ),
        (
            "en+f3",
            "Press one for sales, two for support, star to repeat, or hash to finish.",
        ),
        (
            "en-us",
            "Zero one two three four five six seven eight nine.",
        ),
        (
            "ru",
            "Здравствуйте! Все операторы заняты, пожалуйста, оставайтесь на линии.",
        ),
    ];
    for (voice, text) in sentences {
        let out = Command::new(ESPEAK)
            .args(["--stdout", "-v", voice, text])
            .output()
            .expect("espeak-ng runs");
        assert!(out.status.success(), "espeak-ng -v {voice} failed");
        let (rate, samples) = read_wav(&out.stdout).expect("espeak-ng writes 16-bit mono WAV");
        let speech = resample_to_8k(&samples, rate);
        assert!(
            speech.len() > 8000,
            "{voice}: only {} samples",
            speech.len()
        );
        // As espeak-ng speaks it, and 6 dB louder and 20 dB quieter.
        for gain in [1.0, 2.0, 0.1] {
            let scaled: Vec<f64> = speech.iter().map(|x| x * gain).collect();
            assert_eq!(detect(&pcm(&scaled)), [], "{voice} x{gain}: {text}");
        }
    }
}

#[test]
fn two_notes_with_overtones_on_a_row_and_a_column_are_not_a_key() {
    // An organ holding two notes right on 697 and 1209 Hz (key 1): the fundamentals alone
    // would be a key, but their 2nd and 3rd harmonics, 12 dB down, give them away.
    use std::f64::consts::TAU;
    let samples: Vec<f64> = (0..8000)
        .map(|n| {
            let t = f64::from(n) / 8000.0;
            [697.0, 1209.0]
                .iter()
                .flat_map(|&f| [(f, 1.0), (2.0 * f, 0.25), (3.0 * f, 0.25)])
                .filter(|(f, _)| *f < 4000.0)
                .map(|(f, a)| a * (TAU * f * t).sin())
                .sum()
        })
        .collect();
    let samples = super::signals::at_level(samples, -10.0);
    assert_eq!(detect(&pcm(&samples)), []);
}
