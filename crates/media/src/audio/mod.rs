//! Audio clips: G.711, WAV files, resampling to 8 kHz, prompts and the words of numbers.
//!
//! Everything here is plain code over samples and files, no sockets and no clock:
//! - [`g711`]: μ-law and A-law, the codecs on the wire;
//! - [`Clip`]: 8 kHz mono audio loaded from WAV (any rate, resampled) or raw G.711;
//!   [`WavAudio`] is a WAV decoded from memory (an upload) on its way to becoming one;
//! - [`prompts`]: the catalogue of recorded phrases by [`Language`] and name, and the
//!   [`PromptSet`] that finds them on disk with per-prompt overrides;
//! - [`say`]: phrases with numbers ("you are number 3 in the queue") as lists of prompt
//!   names, with each language's agreement rules.

mod chime;
mod clip;
mod error;
pub mod g711;
pub mod prompts;
mod resample;
pub mod say;
mod wav;

pub use chime::built_in_music;
pub use clip::Clip;
pub use error::AudioError;
pub use g711::Codec;
pub use prompts::{Language, PromptSet};
pub use wav::{WavAudio, WavError};
