//! Why an audio file or a prompt could not be had, naming the file, so the operator who
//! configured it can fix it from the message alone.

use std::io;
use std::path::PathBuf;

/// Why a clip or a prompt could not be loaded.
///
/// Every variant names the file (or the prompt and the files looked for) and the cause. An
/// empty file is not an error: a zero-length clip is valid and plays as nothing.
#[derive(Debug, thiserror::Error)]
pub enum AudioError {
    /// The file does not exist.
    #[error("audio file {} does not exist", path.display())]
    Missing {
        /// The file looked for.
        path: PathBuf,
    },
    /// The file exists but could not be read (permissions, a directory, a disk error).
    #[error("cannot read audio file {}: {source}", path.display())]
    Unreadable {
        /// The file.
        path: PathBuf,
        /// The operating system's reason.
        #[source]
        source: io::Error,
    },
    /// The file is readable but holds audio in a form this module does not decode (an
    /// unknown extension, ADPCM or GSM in WAV, an absurd sample rate).
    #[error("audio file {} is in an unsupported format: {reason}", path.display())]
    Unsupported {
        /// The file.
        path: PathBuf,
        /// What about it is unsupported, for a person to read.
        reason: String,
    },
    /// The file claims a supported format but is broken: truncated, garbage, inconsistent.
    #[error("audio file {} is damaged: {reason}", path.display())]
    Malformed {
        /// The file.
        path: PathBuf,
        /// What is wrong with it, for a person to read.
        reason: String,
    },
    /// A prompt name that cannot be a file name in the prompt directory (empty, holding a
    /// path separator, or starting with a dot): names come from configuration and must not
    /// reach outside the directory.
    #[error("{name:?} is not a valid prompt name: it must be a file name without extension")]
    InvalidPromptName {
        /// The name as given.
        name: String,
    },
    /// No file for the prompt exists in any of the directories searched.
    #[error(
        "prompt {name:?} not found: no {name}.wav (nor .ul, .al and their aliases) in {}",
        list(searched)
    )]
    PromptMissing {
        /// The prompt name.
        name: String,
        /// The directories looked in, the override directory first.
        searched: Vec<PathBuf>,
    },
}

/// The paths as one comma-separated line, for [`AudioError::PromptMissing`].
fn list(paths: &[PathBuf]) -> String {
    let shown: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
    shown.join(", ")
}
