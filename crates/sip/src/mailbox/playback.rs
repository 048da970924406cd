//! What the menu says, as audio: each [`Say`] item becomes clips of the box's language
//! (the grammar is `sb_media::audio::say`'s), the message's recording, the owner's greeting,
//! or the tone plan's beep.
//!
//! A clip that cannot be had (a prompt missing from an override directory, a message file
//! damaged on disk) is left out with a warning: the owner hears the rest and the menu goes
//! on, rather than the call failing over one file.

use crate::plan::Voice;
use sb_media::audio::{say, Clip, Language};
use sb_store::Store;
use sb_voicemail::Say;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tracing::warn;

/// Where the recordings a playback may name are.
pub(super) struct Recordings<'a> {
    pub store: &'a Store,
    /// The box whose greetings [`Say::Greeting`] plays.
    pub mailbox: &'a str,
    /// The box's messages' files, by id.
    pub messages: &'a HashMap<i64, PathBuf>,
}

/// The clips of `items`, in order, in `language`.
pub(super) async fn clips(
    voice: &Voice,
    language: Language,
    items: &[Say],
    recordings: Option<&Recordings<'_>>,
) -> Vec<Arc<Clip>> {
    let mut clips = Vec::new();
    for item in items {
        match item {
            Say::Prompt(name) => clips.extend(voice.clips(language, [name])),
            Say::Number(n) => clips.extend(voice.clips(language, say::say_number(language, *n))),
            Say::Digits(digits) => {
                for digit in digits.chars().filter_map(|c| c.to_digit(10)) {
                    clips.extend(voice.clips(language, say::say_number(language, digit)));
                }
            }
            Say::MessageCounts { new, saved } => {
                let words = say::message_counts(language, *new, *saved);
                clips.extend(voice.clips(language, &words));
            }
            Say::Time { hour, minute } => {
                let words = say::time_of_day(language, *hour, *minute);
                clips.extend(voice.clips(language, &words));
            }
            Say::Date { day, month } => {
                clips.extend(voice.clips(language, say::date(language, *day, *month)));
            }
            Say::Beep => clips.extend(voice.clips(language, ["tone:beep"])),
            Say::Message(id) => match recordings.and_then(|r| r.messages.get(id)) {
                Some(path) => clips.extend(load(path).await),
                None => warn!(id, "no file for the message: not played"),
            },
            Say::Greeting(kind) => {
                let path = recordings.map(|r| r.store.greeting_path(r.mailbox, *kind));
                match path {
                    Some(Ok(path)) => clips.extend(load(&path).await),
                    Some(Err(e)) => warn!(?kind, error = %e, "no greeting path: not played"),
                    None => warn!(?kind, "a greeting outside a box: not played"),
                }
            }
        }
    }
    clips
}

/// A recording from disk, read off the call's task.
async fn load(path: &Path) -> Option<Arc<Clip>> {
    let owned = path.to_owned();
    match tokio::task::spawn_blocking(move || Clip::load(&owned)).await {
        Ok(Ok(clip)) => Some(Arc::new(clip)),
        Ok(Err(e)) => {
            warn!(path = %path.display(), error = %e, "recording cannot be played: skipped");
            None
        }
        Err(e) => {
            warn!(path = %path.display(), error = %e, "recording loader failed");
            None
        }
    }
}
