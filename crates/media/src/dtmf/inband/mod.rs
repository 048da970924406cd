//! DTMF as audio: a Goertzel detector for digits played into the call, and a generator for
//! playing them, for phones and trunks that send no RFC 4733 events.
//!
//! Audio is 8 kHz mono 16-bit PCM, already decoded from G.711.

mod analysis;
mod detector;
mod generator;
pub(crate) mod goertzel;
mod keypad;

pub use detector::InbandDetector;
pub use generator::generate;

#[cfg(test)]
mod tests;
