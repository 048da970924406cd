//! The voicemail step until voicemail boxes have their own home: "leave a message after the
//! tone", a beep, and a recording to a WAV file in the box's directory.
//!
//! A message is kept however the caller leaves: by `#`, by silence, at the length limit,
//! or by hanging up (even at the tone: a zero-length message is still a missed customer).

use chrono::{DateTime, Utc};
use sb_media::playout::{RecorderConfig, SilenceRule};
use sb_media::PlayId;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The longest message.
const MAX_LENGTH: Duration = Duration::from_secs(180);

/// A caller silent this long has finished (or left the phone off the hook).
const SILENCE: Duration = Duration::from_secs(7);

/// Quieter than this is silence: line noise on a G.711 call sits around -60 dBFS, speech
/// well above -35.
const SILENCE_THRESHOLD_DBFS: f64 = -45.0;

/// Where the caller is in the voicemail step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Stage {
    /// "Leave a message after the tone" is playing.
    Greeting(PlayId),
    /// The beep is playing.
    Beep(PlayId),
    /// Recording into the file.
    Recording(PathBuf),
}

/// How messages are recorded: up to three minutes, ended by `#` or by seven seconds of
/// silence.
pub(crate) fn recorder_config() -> RecorderConfig {
    RecorderConfig {
        max_length: MAX_LENGTH,
        silence: Some(SilenceRule {
            threshold_dbfs: SILENCE_THRESHOLD_DBFS,
            duration: SILENCE,
        }),
        stop_digits: "#".to_owned(),
    }
}

/// The file for a new message in `mailbox`: `<dir>/<mailbox>/<UTC time>-<call id>.wav`.
/// The box name comes from the configuration; anything but letters, digits, `-` and `_`
/// is replaced, so a name can never lead outside the voicemail directory.
pub(crate) fn message_path(dir: &Path, mailbox: &str, now: DateTime<Utc>, call: &str) -> PathBuf {
    let safe = |s: &str| -> String {
        s.chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                    c
                } else {
                    '_'
                }
            })
            .collect()
    };
    let short_call: String = call.chars().take(8).collect();
    dir.join(safe(mailbox)).join(format!(
        "{}-{}.wav",
        now.format("%Y%m%dT%H%M%SZ"),
        safe(&short_call)
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_go_under_the_box_with_time_and_call() {
        let now: DateTime<Utc> = "2026-11-23T19:30:05Z".parse().unwrap();
        let path = message_path(
            Path::new("/data/voicemail"),
            "general",
            now,
            "0a1b2c3d-4e5f",
        );
        assert_eq!(
            path,
            Path::new("/data/voicemail/general/20261123T193005Z-0a1b2c3d.wav")
        );
    }

    #[test]
    fn a_box_name_cannot_escape_the_directory() {
        let now: DateTime<Utc> = "2026-11-23T19:30:05Z".parse().unwrap();
        let path = message_path(Path::new("/vm"), "../../etc", now, "x/y");
        assert!(path.starts_with("/vm/______etc"), "{}", path.display());
    }
}
