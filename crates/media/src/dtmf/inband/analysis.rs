//! Whether one short window of audio holds a DTMF key, and which: the frequency-domain half of
//! the detector. The time-domain half (how long, how many times) is in `detector`.
//!
//! A window holds a key only if all of these hold, each aimed at a way that speech, music or
//! noise could fake one:
//! - **level**: each of the two tones is at least [`MIN_TONE_DBM0`] (quiet noise);
//! - **dominance**: the strongest row is [`DOMINANCE_DB`] above the other three rows, and the
//!   strongest column above the other columns (noise, chords, leakage between keys);
//! - **purity**: the two tones carry at least [`MIN_TONE_SHARE`] of the window's power
//!   (speech and music spread their power over many harmonics);
//! - **no overtones**: the second harmonic of the column and the third of the row are
//!   [`HARMONIC_DB`] below their tones (a voice or instrument whose harmonics happen to hit a
//!   row and a column has more harmonics above them; a DTMF generator has none). The row's
//!   second harmonic (1394-1882 Hz) is not used: it lies within a bin or so of the columns
//!   1336-1633 Hz, and would measure the column tone itself.
//!
//! The **twist** (two tones of very different level are not one key) is judged by
//! [`twist_ok`] on the powers summed over the windows of a press, not window by window: in a
//! 102-sample window each tone leaks into the other's filter enough to move the measured
//! twist by up to 1.5 dB depending on phase, and the sum averages that out.

use crate::dtmf::inband::goertzel;
use crate::dtmf::inband::keypad::{self, COLUMNS, ROWS};
use crate::dtmf::Digit;
use crate::tones::level::dbm0_power;

/// Samples per analysis window (12.75 ms at 8 kHz): 8000/102 = 78 Hz resolution, fine enough
/// to tell rows 73 Hz apart, and short enough to time a 40 ms tone. The size spandsp and
/// Asterisk use.
pub(crate) const WINDOW: usize = 102;

/// The weakest tone accepted. Tones of -25 dBm0 each must be heard (the weakest the tests
/// use); the 11 dB of margin covers windows that straddle a tone's start or end, and lossy
/// lines.
const MIN_TONE_DBM0: f64 = -36.0;
/// How much the chosen row (column) must exceed each other row (column).
const DOMINANCE_DB: f64 = 8.0;
/// How much weaker than the row the column may be (normal twist): the usual reading of ITU-T
/// Q.24, which spandsp uses too.
const MAX_NORMAL_TWIST_DB: f64 = 8.0;
/// How much stronger than the row the column may be (reverse twist), likewise.
const MAX_REVERSE_TWIST_DB: f64 = 4.0;
/// The share of the window's power the two tones must carry.
const MIN_TONE_SHARE: f64 = 0.8;
/// How far below each tone its overtone must be.
const HARMONIC_DB: f64 = 15.0;

/// A key heard in one window, with the power of its two tones.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Heard {
    /// The key.
    pub(crate) digit: Digit,
    /// Mean power of its row tone.
    pub(crate) row_power: f64,
    /// Mean power of its column tone.
    pub(crate) column_power: f64,
}

/// The key `window` (of [`WINDOW`] samples) holds, if any; its twist is left to [`twist_ok`].
pub(crate) fn classify(window: &[f64]) -> Option<Heard> {
    let min_power = dbm0_power(MIN_TONE_DBM0);
    let mean_square = window.iter().map(|x| x * x).sum::<f64>() / window.len().max(1) as f64;
    // Two tones that loud make the window at least this loud: skip silence cheaply.
    if mean_square < min_power {
        return None;
    }
    let (row, row_power) = dominant(&ROWS, window)?;
    let (column, column_power) = dominant(&COLUMNS, window)?;
    let accepted = row_power >= min_power
        && column_power >= min_power
        && row_power + column_power >= MIN_TONE_SHARE * mean_square
        && goertzel::power(window, 3.0 * ROWS[row]) * db(HARMONIC_DB) <= row_power
        && goertzel::power(window, 2.0 * COLUMNS[column]) * db(HARMONIC_DB) <= column_power;
    accepted.then(|| Heard {
        digit: keypad::key(row, column),
        row_power,
        column_power,
    })
}

/// Whether a row and a column tone of these powers are level enough to be one key: the column
/// at most [`MAX_NORMAL_TWIST_DB`] weaker and at most [`MAX_REVERSE_TWIST_DB`] stronger.
pub(crate) fn twist_ok(row_power: f64, column_power: f64) -> bool {
    row_power <= column_power * db(MAX_NORMAL_TWIST_DB)
        && column_power <= row_power * db(MAX_REVERSE_TWIST_DB)
}

/// The index and power of the strongest of `group` in `window`, if it beats every other
/// frequency of the group by [`DOMINANCE_DB`].
fn dominant(group: &[f64; 4], window: &[f64]) -> Option<(usize, f64)> {
    let powers = group.map(|f| goertzel::power(window, f));
    let (best, &power) = powers
        .iter()
        .enumerate()
        .max_by(|a, b| a.1.total_cmp(b.1))?;
    let clear = powers
        .iter()
        .enumerate()
        .all(|(i, &p)| i == best || p * db(DOMINANCE_DB) <= power);
    clear.then_some((best, power))
}

/// The power ratio of `decibels`.
fn db(decibels: f64) -> f64 {
    10f64.powf(decibels / 10.0)
}
