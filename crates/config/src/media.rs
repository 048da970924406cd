//! `[media]`: how the PBX sounds to callers.

use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// The prompts' language, tones and the operator's own recordings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Media {
    /// The language of prompts for callers no scenario chose another for (a `set` step
    /// with `attribute = "language"` does, per call).
    pub language: Language,
    /// Whose call-progress tones callers hear (ringback, busy, the voicemail beep).
    pub tone_plan: TonePlan,
    /// A directory of the operator's own recordings, `<dir>/<language>/<prompt>.wav`, each
    /// replacing the shipped prompt of that name (any sample rate, mono or stereo).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prompt_override_dir: Option<PathBuf>,
    /// Record every conversation the PBX connects through a scenario or a queue, both
    /// voices mixed, to `<data-dir>/recordings/<date>/<call id>.wav`.
    #[serde(default)]
    pub record_calls: bool,
}

impl Default for Media {
    fn default() -> Self {
        Media {
            language: Language::Ru,
            tone_plan: TonePlan::Russia,
            prompt_override_dir: None,
            record_calls: false,
        }
    }
}

/// A language Switchboard ships prompts in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Language {
    /// English.
    En,
    /// Russian.
    Ru,
}

/// A national tone plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TonePlan {
    /// Russian national rules (425 Hz, ringback 0.8 s on, 3.2 s off).
    Russia,
    /// The CEPT/ETSI harmonised tones.
    Europe,
    /// The North American precise tone plan.
    Us,
}

/// `[moh.NAME]`: a music-on-hold class, its files played in order and looped. The class
/// `default` is what a held caller hears; without one, the PBX plays its built-in music.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MohClass {
    /// WAV files (any rate, mono or stereo) or raw G.711 files, in playing order.
    pub files: Vec<PathBuf>,
}
