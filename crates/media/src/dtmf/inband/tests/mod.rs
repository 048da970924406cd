//! The detector against the signals it must hear (tones in noise, at the edges of the
//! standard's limits) and those it must not (speech, music, noise, call-progress tones).

mod detection;
mod false_alarms;
mod signals;

use crate::dtmf::inband::InbandDetector;
use crate::dtmf::Digit;

/// The digits a fresh detector finds in `samples`, fed as 20 ms frames.
fn detect(samples: &[i16]) -> Vec<Digit> {
    let mut detector = InbandDetector::new();
    samples
        .chunks(160)
        .flat_map(|frame| detector.push(frame))
        .collect()
}
