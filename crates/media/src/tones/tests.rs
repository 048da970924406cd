//! Every plan's tones, as generated, against the standards: frequencies and level measured by
//! Goertzel, cadence timed to the sample and the frame.

use crate::dtmf::inband::goertzel;
use crate::tones::level::dbm0_power;
use crate::tones::{ToneGenerator, ToneKind, TonePlan, FRAME_SAMPLES};

/// What one tone must sound like, written out again from the sources rather than read from
/// the plan, so that a slip in either shows.
struct Expected {
    plan: TonePlan,
    kind: ToneKind,
    /// Frequencies in Hz.
    freqs: &'static [f64],
    /// Level of each, in dBm0.
    dbm0: f64,
    /// On/off durations in ms.
    cadence: &'static [u32],
    repeats: bool,
}

const EXPECTED: [Expected; 15] = [
    Expected {
        plan: TonePlan::Russia,
        kind: ToneKind::Ringback,
        freqs: &[425.0],
        dbm0: -10.0,
        cadence: &[1000, 4000],
        repeats: true,
    },
    Expected {
        plan: TonePlan::Russia,
        kind: ToneKind::Busy,
        freqs: &[425.0],
        dbm0: -10.0,
        cadence: &[400, 400],
        repeats: true,
    },
    Expected {
        plan: TonePlan::Russia,
        kind: ToneKind::Congestion,
        freqs: &[425.0],
        dbm0: -10.0,
        cadence: &[200, 200],
        repeats: true,
    },
    Expected {
        plan: TonePlan::Russia,
        kind: ToneKind::CallWaiting,
        freqs: &[425.0],
        dbm0: -10.0,
        cadence: &[200, 5000],
        repeats: true,
    },
    Expected {
        plan: TonePlan::Russia,
        kind: ToneKind::Beep,
        freqs: &[1000.0],
        dbm0: -13.0,
        cadence: &[250],
        repeats: false,
    },
    Expected {
        plan: TonePlan::Europe,
        kind: ToneKind::Ringback,
        freqs: &[425.0],
        dbm0: -13.0,
        cadence: &[1000, 4000],
        repeats: true,
    },
    Expected {
        plan: TonePlan::Europe,
        kind: ToneKind::Busy,
        freqs: &[425.0],
        dbm0: -13.0,
        cadence: &[500, 500],
        repeats: true,
    },
    Expected {
        plan: TonePlan::Europe,
        kind: ToneKind::Congestion,
        freqs: &[425.0],
        dbm0: -13.0,
        cadence: &[250, 250],
        repeats: true,
    },
    Expected {
        plan: TonePlan::Europe,
        kind: ToneKind::CallWaiting,
        freqs: &[425.0],
        dbm0: -13.0,
        cadence: &[200, 200, 200, 5000],
        repeats: true,
    },
    Expected {
        plan: TonePlan::Europe,
        kind: ToneKind::Beep,
        freqs: &[1000.0],
        dbm0: -13.0,
        cadence: &[250],
        repeats: false,
    },
    Expected {
        plan: TonePlan::Us,
        kind: ToneKind::Ringback,
        freqs: &[440.0, 480.0],
        dbm0: -19.0,
        cadence: &[2000, 4000],
        repeats: true,
    },
    Expected {
        plan: TonePlan::Us,
        kind: ToneKind::Busy,
        freqs: &[480.0, 620.0],
        dbm0: -24.0,
        cadence: &[500, 500],
        repeats: true,
    },
    Expected {
        plan: TonePlan::Us,
        kind: ToneKind::Congestion,
        freqs: &[480.0, 620.0],
        dbm0: -24.0,
        cadence: &[250, 250],
        repeats: true,
    },
    Expected {
        plan: TonePlan::Us,
        kind: ToneKind::CallWaiting,
        freqs: &[440.0],
        dbm0: -13.0,
        cadence: &[300, 9700],
        repeats: true,
    },
    Expected {
        plan: TonePlan::Us,
        kind: ToneKind::Beep,
        freqs: &[1000.0],
        dbm0: -13.0,
        cadence: &[250],
        repeats: false,
    },
];

/// Frequencies a tone might wrongly contain: every plan's, and their neighbours.
const OTHERS: [f64; 9] = [
    350.0, 400.0, 425.0, 440.0, 480.0, 620.0, 1000.0, 1400.0, 2000.0,
];

/// `frames` frames of the tone, as one signal.
fn play(plan: TonePlan, kind: ToneKind, frames: usize) -> Vec<i16> {
    ToneGenerator::new(plan.tone(kind))
        .take(frames)
        .flatten()
        .collect()
}

/// The [start, end) sample ranges of the on periods in the first `passes` passes.
fn on_periods(cadence: &[u32], passes: usize) -> Vec<(usize, usize)> {
    let pass: usize = cadence.iter().map(|&ms| ms as usize * 8).sum();
    let mut periods = Vec::new();
    for p in 0..passes {
        let mut at = p * pass;
        for (i, &ms) in cadence.iter().enumerate() {
            let end = at + ms as usize * 8;
            if i % 2 == 0 {
                periods.push((at, end));
            }
            at = end;
        }
    }
    periods
}

#[test]
fn every_tone_has_its_frequencies_at_its_level_and_nothing_else() {
    for Expected {
        plan,
        kind,
        freqs,
        dbm0,
        cadence,
        ..
    } in EXPECTED
    {
        let samples = play(plan, kind, 10);
        // 100 ms from inside the first on period, clear of the ramp.
        let on: Vec<f64> = samples[80..880].iter().map(|&s| f64::from(s)).collect();
        let expected = dbm0_power(dbm0);
        for &f in freqs {
            let measured = 10.0 * (goertzel::power(&on, f) / expected).log10();
            assert!(
                measured.abs() < 0.2,
                "{plan:?} {kind:?} {f} Hz: {measured} dB off"
            );
        }
        // Those at least 50 Hz (5 bins of this window) from the tone's own, whose leakage
        // is below -24 dB; a tone a few hertz off fails the level check above instead.
        let far = |f: &f64| freqs.iter().all(|g| (f - g).abs() >= 50.0);
        for f in OTHERS.into_iter().filter(far) {
            let power = goertzel::power(&on, f);
            assert!(power < expected / 100.0, "{plan:?} {kind:?} has {f} Hz");
        }
        assert!(
            cadence[0] >= 110,
            "the window above must fit in the first on period"
        );
    }
}

#[test]
fn every_cadence_is_exact_to_the_sample() {
    for Expected {
        plan,
        kind,
        cadence,
        repeats,
        ..
    } in EXPECTED
    {
        let pass: usize = cadence.iter().map(|&ms| ms as usize * 8).sum();
        let passes = if repeats { 3 } else { 1 };
        let samples = play(plan, kind, (passes * pass).div_ceil(FRAME_SAMPLES));
        let on = on_periods(cadence, passes);
        let is_on = |n: usize| on.iter().any(|&(s, e)| (s..e).contains(&n));
        for (n, &s) in samples.iter().enumerate() {
            if !is_on(n) {
                assert_eq!(s, 0, "{plan:?} {kind:?}: sound at sample {n}, in a pause");
            }
        }
        for (start, end) in on {
            let heard: Vec<usize> = (start..end).filter(|&n| samples[n] != 0).collect();
            let (first, last) = (heard[0], heard[heard.len() - 1]);
            assert!(
                first - start <= 2,
                "{plan:?} {kind:?}: starts at {first}, not {start}"
            );
            assert!(
                end - 1 - last <= 2,
                "{plan:?} {kind:?}: ends at {last}, not {end}"
            );
        }
    }
}

/// Frame by frame, for the plans' best-known rhythms: which 20 ms frames carry tone.
#[test]
fn cadences_land_on_the_expected_frames() {
    let sounding = |plan: TonePlan, kind: ToneKind, frames: usize| -> Vec<bool> {
        ToneGenerator::new(plan.tone(kind))
            .take(frames)
            .map(|frame| frame.iter().any(|&s| s != 0))
            .collect()
    };
    let pattern = |runs: &[(bool, usize)]| -> Vec<bool> {
        runs.iter()
            .flat_map(|&(on, n)| std::iter::repeat_n(on, n))
            .collect()
    };
    // Russia ringback: 1 s on (50 frames), 4 s off (200), again.
    assert_eq!(
        sounding(TonePlan::Russia, ToneKind::Ringback, 300),
        pattern(&[(true, 50), (false, 200), (true, 50)])
    );
    // US ringback: 2 s on, 4 s off.
    assert_eq!(
        sounding(TonePlan::Us, ToneKind::Ringback, 400),
        pattern(&[(true, 100), (false, 200), (true, 100)])
    );
    // Europe busy: 0.5 s on and off.
    assert_eq!(
        sounding(TonePlan::Europe, ToneKind::Busy, 100),
        pattern(&[(true, 25), (false, 25), (true, 25), (false, 25)])
    );
    // Russia congestion: 0.2 s on and off.
    assert_eq!(
        sounding(TonePlan::Russia, ToneKind::Congestion, 40),
        pattern(&[(true, 10), (false, 10), (true, 10), (false, 10)])
    );
    // US reorder: 0.25 s is 12.5 frames, so frames 12 and 37 are half tone, half silence.
    assert_eq!(
        sounding(TonePlan::Us, ToneKind::Congestion, 50),
        pattern(&[(true, 13), (false, 12), (true, 13), (false, 12)])
    );
    // The beep: 12.5 frames, then the generator stops.
    assert_eq!(
        sounding(TonePlan::Europe, ToneKind::Beep, 100),
        vec![true; 13]
    );
}
