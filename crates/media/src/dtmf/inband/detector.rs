//! In-band DTMF detection over time: windows classified by `analysis`, turned into one digit
//! per key press.
//!
//! The audio is cut into windows of 102 samples (12.75 ms) that start every 20 samples
//! (2.5 ms, eight per 20 ms frame), so a tone's length is known to a few milliseconds
//! whatever the frame boundaries. A window that straddles a tone's edge holds the key when the
//! tone fills most of it.
//!
//! A key is reported once [`ON_WINDOWS`] windows in a row hold it and the twist of their
//! summed powers is within limits: a 40 ms tone gives 12-14 such windows, a 30 ms one 8-10
//! (at 15 dB SNR, any alignment), so 40 ms is accepted and 30 ms rejected, as ITU-T Q.24 asks
//! (accept 40 ms, reject the much shorter). It is reported once, at that moment, however long
//! the key is held. The press ends after [`GAP_WINDOWS`] windows in a row without it: a 40 ms
//! pause gives 18-21, a 20 ms dropout at most 13, so the pause between two presses separates
//! them and a short break inside one press does not make two; only then can the next key be
//! reported.
//!
//! The cost is about 400 windows of ten 102-sample Goertzel filters per second, some 0.4
//! million multiply-adds per second of audio.

use crate::dtmf::inband::analysis::{classify, twist_ok, Heard, WINDOW};
use crate::dtmf::Digit;

/// Samples between the starts of two windows (2.5 ms).
const HOP: usize = 20;
/// Windows in a row that must hold a key before it is reported (about 35 ms of tone).
const ON_WINDOWS: u32 = 11;
/// Windows in a row without the key that end a press (about 30 ms of pause).
const GAP_WINDOWS: u32 = 16;

/// A key heard in the latest windows, not yet reported.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Candidate {
    digit: Digit,
    /// Windows in a row that held it.
    windows: u32,
    /// Its row tone's power, summed over those windows.
    row_power: f64,
    /// Its column tone's power, summed likewise.
    column_power: f64,
}

impl Candidate {
    /// The candidate after one more window that held `heard`.
    fn and(candidate: Option<Candidate>, heard: Heard) -> Candidate {
        match candidate {
            Some(c) if c.digit == heard.digit => Candidate {
                windows: c.windows + 1,
                row_power: c.row_power + heard.row_power,
                column_power: c.column_power + heard.column_power,
                ..c
            },
            _ => Candidate {
                digit: heard.digit,
                windows: 1,
                row_power: heard.row_power,
                column_power: heard.column_power,
            },
        }
    }

    /// Whether it has lasted long enough, with tones level enough, to be a key press.
    fn is_press(&self) -> bool {
        self.windows >= ON_WINDOWS && twist_ok(self.row_power, self.column_power)
    }
}

/// Where the detector is between key presses.
#[derive(Debug, Clone, Copy, PartialEq)]
enum State {
    /// No key is down; `candidate` may become one.
    Idle { candidate: Option<Candidate> },
    /// `digit` was reported and is held, or was until `misses` windows ago.
    Pressed { digit: Digit, misses: u32 },
}

/// Finds DTMF digits in 8 kHz mono audio, one per key press.
///
/// Feed it the decoded audio of one leg, frame after frame, in any frame size. It keeps less
/// than one window of audio between calls. No I/O, no clock: time is the sample count.
#[derive(Debug, Clone)]
pub struct InbandDetector {
    /// Samples not yet analysed in every window they belong to; the next window is the first
    /// [`WINDOW`] of them.
    pending: Vec<f64>,
    state: State,
}

impl Default for InbandDetector {
    fn default() -> InbandDetector {
        InbandDetector::new()
    }
}

impl InbandDetector {
    /// A detector that has heard nothing yet.
    pub fn new() -> InbandDetector {
        InbandDetector {
            pending: Vec::with_capacity(WINDOW + 160),
            state: State::Idle { candidate: None },
        }
    }

    /// Takes the next `samples` of the leg's audio and returns the key presses recognised in
    /// them, in order; usually none, at most one per 80 ms or so.
    ///
    /// A press is reported about 40 ms after its tone began.
    pub fn push(&mut self, samples: &[i16]) -> Vec<Digit> {
        let mut digits = Vec::new();
        self.pending.extend(samples.iter().map(|&s| f64::from(s)));
        while self.pending.len() >= WINDOW {
            if let Some(digit) = self.step(classify(&self.pending[..WINDOW])) {
                digits.push(digit);
            }
            self.pending.drain(..HOP);
        }
        digits
    }

    /// Advances the state by one window that held `heard`; returns a newly pressed key.
    fn step(&mut self, heard: Option<Heard>) -> Option<Digit> {
        match self.state {
            State::Idle { candidate } => {
                let candidate = heard.map(|heard| Candidate::and(candidate, heard));
                match candidate {
                    Some(c) if c.is_press() => {
                        self.state = State::Pressed {
                            digit: c.digit,
                            misses: 0,
                        };
                        Some(c.digit)
                    }
                    _ => {
                        self.state = State::Idle { candidate };
                        None
                    }
                }
            }
            State::Pressed { digit, misses } => {
                self.state = if heard.map(|h| h.digit) == Some(digit) {
                    State::Pressed { digit, misses: 0 }
                } else if misses + 1 >= GAP_WINDOWS {
                    State::Idle { candidate: None }
                } else {
                    State::Pressed {
                        digit,
                        misses: misses + 1,
                    }
                };
                None
            }
        }
    }
}
