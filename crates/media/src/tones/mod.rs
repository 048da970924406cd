//! Call-progress tones (ringback, busy, congestion, beep, call waiting) by national plan.
//!
//! [`TonePlan::tone`] says what a tone is in a plan (its frequencies, level and cadence, with
//! the standards they come from); [`ToneGenerator`] plays it as 20 ms frames of 8 kHz PCM for
//! the playout to encode and send. [`dbm0_amplitude`] converts the level telephone standards
//! speak in to a PCM amplitude.

mod generator;
pub(crate) mod level;
mod plan;

pub use generator::{tone_clip, ToneGenerator, FRAME_SAMPLES};
pub use level::dbm0_amplitude;
pub use plan::{Tone, ToneKind, TonePlan};

#[cfg(test)]
mod tests;
