//! Voicemail on no answer: a direct call to an extension that is not answered in time, that
//! finds the person busy, or that finds no phone registered is taken by the extension's own
//! box, as a PBX does with `Dial(PJSIP/103,20)` then `VoiceMail(103)`.
//!
//! `[voicemail] on_no_answer` and `ring_timeout_secs` say it for the whole office in one
//! line each; an extension's `voicemail_on_no_answer` and `voicemail_ring_timeout_secs`
//! say it for that person, either way.

use crate::error::ConfigError;
use crate::model::Config;
use std::ops::RangeInclusive;

/// Ring times allowed, seconds: long enough to reach the phone across the room, short
/// enough that the caller is still there when the box answers.
const RING_SECS: RangeInclusive<u32> = 5..=300;

impl Config {
    /// How many seconds a direct call rings extension `number` before its voicemail box
    /// takes the call; `None` when no box does (the extension's own setting, else
    /// `[voicemail] on_no_answer`, is off, or there is no such extension), so the call
    /// rings out as `[pbx] ring_timeout_secs` says.
    pub fn no_answer_voicemail(&self, number: &str) -> Option<u32> {
        let extension = self.extension(number)?;
        let on = extension
            .voicemail_on_no_answer
            .unwrap_or(self.voicemail.on_no_answer);
        on.then(|| {
            extension
                .voicemail_ring_timeout_secs
                .unwrap_or(self.voicemail.ring_timeout_secs)
        })
    }
}

/// The ring times, `[voicemail]`'s and each extension's, each error at its key path.
pub(crate) fn check(config: &Config) -> Vec<ConfigError> {
    let global = (
        "voicemail.ring_timeout_secs".to_owned(),
        config.voicemail.ring_timeout_secs,
    );
    let own = config
        .extensions
        .iter()
        .enumerate()
        .filter_map(|(i, extension)| {
            let secs = extension.voicemail_ring_timeout_secs?;
            Some((format!("extension[{i}].voicemail_ring_timeout_secs"), secs))
        });
    std::iter::once(global)
        .chain(own)
        .filter(|(_, secs)| !RING_SECS.contains(secs))
        .map(|(path, secs)| {
            let message = format!(
                "must be {} to {} seconds, not {secs}",
                RING_SECS.start(),
                RING_SECS.end()
            );
            ConfigError::new(path, message)
        })
        .collect()
}
