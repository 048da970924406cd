//! A voicemail box on disk and its settings: where its messages and greetings live, and the
//! PIN its owner set by phone.
//!
//! Below the voicemail directory ([`VOICEMAIL_DIR`](crate::VOICEMAIL_DIR) in the data
//! directory):
//!
//! ```text
//! <box>/msg-<id>.wav                                 a message (src/voicemail.rs)
//! <box>/.msg-<id>.wav.<random>.part                  a message being recorded
//! <box>/greetings/{unavailable,busy,temporary,name}.wav
//! lost+found/<box>/<file>                            audio found without a row (src/recovery.rs)
//! ```
//!
//! `<box>` is the mailbox name made safe for a path: ASCII letters, digits and `-` stay, `_`
//! becomes `__` and every other byte `_XX` (its hex value), so `../etc` is `_2E_2E_2Fetc`. A
//! name from the configuration or a SIP header can therefore never leave the directory, and
//! two boxes never share one (`a.b` is `a_2Eb`, `a_b` is `a__b`): greetings are found by path
//! alone. Extension numbers, the usual box names, are unchanged. `lost+found` contains a `+`,
//! which no box's directory does, so no mailbox can be named into it.

use std::fmt::Write as _;
use std::io::ErrorKind;
use std::path::{Path, PathBuf};

use sb_voicemail::{GreetingKind, Greetings};

use crate::error::StoreError;
use crate::store::Store;

/// Where recovery moves audio files that no row describes, instead of deleting them.
pub(crate) const LOST_AND_FOUND: &str = "lost+found";

/// A box's greetings, beside its messages.
const GREETINGS_DIR: &str = "greetings";

/// Every greeting kind, each one file `<box>/greetings/<kind>.wav`, which the call flow plays
/// when present and replaces with a default prompt when not.
const GREETING_KINDS: [GreetingKind; 4] = [
    GreetingKind::Unavailable,
    GreetingKind::Busy,
    GreetingKind::Temporary,
    GreetingKind::Name,
];

/// The greeting's file name without `.wav`. Written out here rather than taken from the
/// engine's type: these are names on disk, and renaming a variant must not orphan the files
/// owners have recorded.
fn greeting_file_stem(kind: GreetingKind) -> &'static str {
    match kind {
        GreetingKind::Unavailable => "unavailable",
        GreetingKind::Busy => "busy",
        GreetingKind::Temporary => "temporary",
        GreetingKind::Name => "name",
    }
}

/// A word that names no greeting kind, where the command line or the API expected one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "no greeting kind {0:?}: the kinds are {kinds}",
    kinds = GREETING_KINDS.map(greeting_file_stem).join(", ")
)]
pub struct UnknownGreetingKind(pub String);

/// The greeting kind `name` names (`unavailable`, `busy`, `temporary`, `name`). The words are
/// the files' names, so what an operator types is what they find on disk, and both stay
/// fixed when the engine's type changes.
pub fn parse_greeting_kind(name: &str) -> Result<GreetingKind, UnknownGreetingKind> {
    GREETING_KINDS
        .into_iter()
        .find(|&kind| greeting_file_stem(kind) == name)
        .ok_or_else(|| UnknownGreetingKind(name.to_owned()))
}

/// The word [`parse_greeting_kind`] reads as `kind`, for messages that name it.
pub fn greeting_kind_name(kind: GreetingKind) -> &'static str {
    greeting_file_stem(kind)
}

/// The directory name of `mailbox`, as the module documentation describes.
pub(crate) fn box_dir_name(mailbox: &str) -> String {
    if mailbox.is_empty() {
        // `_` alone is no other name's encoding: a `_` always has `_` or two hex digits after it.
        return "_".to_owned();
    }
    let mut name = String::with_capacity(mailbox.len());
    for byte in mailbox.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' => name.push(char::from(byte)),
            b'_' => name.push_str("__"),
            _ => {
                // Writing to a String cannot fail.
                let _ = write!(name, "_{byte:02X}");
            }
        }
    }
    name
}

/// The file name of message `id`.
pub(crate) fn message_file_name(id: i64) -> String {
    format!("msg-{id}.wav")
}

/// The id in a message's file name (`msg-42.wav` is 42), `None` for any other name.
pub(crate) fn message_id_of(file_name: &str) -> Option<i64> {
    let digits = file_name.strip_prefix("msg-")?.strip_suffix(".wav")?;
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

/// Whether `file_name` is a recorder's temporary file (`.<name>.<random>.part`).
pub(crate) fn is_part_file(file_name: &str) -> bool {
    file_name.starts_with('.') && file_name.ends_with(".part")
}

/// Whether `file_name` is a temporary file of the recording of message `id`.
pub(crate) fn is_part_of(file_name: &str, id: i64) -> bool {
    is_part_file(file_name)
        && file_name
            .strip_prefix('.')
            .and_then(|rest| rest.strip_prefix(&message_file_name(id)))
            .is_some_and(|rest| rest.starts_with('.'))
}

impl Store {
    /// The voicemail directory, or the error saying this store has none.
    pub(crate) fn voicemail_root(&self) -> Result<&Path, StoreError> {
        self.voicemail_dir
            .as_deref()
            .ok_or(StoreError::NoVoicemailDir)
    }

    /// The directory of `mailbox`'s messages.
    pub(crate) fn box_dir(&self, mailbox: &str) -> Result<PathBuf, StoreError> {
        Ok(self.voicemail_root()?.join(box_dir_name(mailbox)))
    }

    /// The PIN the owner of `mailbox` set by phone, which replaces the configured one; `None`
    /// while they have not. Callers compare it and never log it.
    pub async fn pin_override(&self, mailbox: &str) -> Result<Option<String>, StoreError> {
        sqlx::query_scalar("SELECT pin FROM voicemail_boxes WHERE mailbox = ?1")
            .bind(mailbox)
            .fetch_optional(&self.pool)
            .await
            .map_err(|source| StoreError::Database {
                action: format!("read the PIN of voicemail box {mailbox}"),
                source,
            })
    }

    /// Sets the PIN of `mailbox` as its owner changed it by phone; it overrides the configured
    /// PIN from now on, across restarts. The error never contains the PIN.
    pub async fn set_pin(&self, mailbox: &str, pin: &str) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO voicemail_boxes (mailbox, pin) VALUES (?1, ?2) \
             ON CONFLICT (mailbox) DO UPDATE SET pin = excluded.pin",
        )
        .bind(mailbox)
        .bind(pin)
        .execute(&self.pool)
        .await
        .map_err(|source| StoreError::Database {
            action: format!("set the PIN of voicemail box {mailbox}"),
            source,
        })?;
        Ok(())
    }

    /// Where `mailbox`'s greeting of `kind` is, whether or not it has been recorded: the file
    /// a player plays, or a recorder writes after [`Store::prepare_greeting`].
    pub fn greeting_path(&self, mailbox: &str, kind: GreetingKind) -> Result<PathBuf, StoreError> {
        Ok(self
            .box_dir(mailbox)?
            .join(GREETINGS_DIR)
            .join(format!("{}.wav", greeting_file_stem(kind))))
    }

    /// [`Store::greeting_path`], with its directory created so a recorder can write there
    /// (the recorder writes a temporary file beside the greeting and renames it into place).
    pub async fn prepare_greeting(
        &self,
        mailbox: &str,
        kind: GreetingKind,
    ) -> Result<PathBuf, StoreError> {
        let path = self.greeting_path(mailbox, kind)?;
        if let Some(dir) = path.parent() {
            tokio::fs::create_dir_all(dir)
                .await
                .map_err(|source| StoreError::File {
                    action: "create greetings directory",
                    path: dir.to_owned(),
                    source,
                })?;
        }
        Ok(path)
    }

    /// The greetings `mailbox`'s owner has recorded, so the call flow and the voicemail menu
    /// know which to play and which to offer to re-record.
    pub async fn greetings(&self, mailbox: &str) -> Result<Greetings, StoreError> {
        let mut present = Greetings::default();
        for kind in GREETING_KINDS {
            let path = self.greeting_path(mailbox, kind)?;
            match tokio::fs::metadata(&path).await {
                Ok(meta) => present.set(kind, meta.is_file()),
                Err(err) if err.kind() == ErrorKind::NotFound => {}
                Err(source) => {
                    return Err(StoreError::File {
                        action: "read greeting",
                        path,
                        source,
                    })
                }
            }
        }
        Ok(present)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn box_names_stay_inside_the_directory_and_never_collide() {
        assert_eq!(box_dir_name("101"), "101");
        assert_eq!(box_dir_name("sales-Team"), "sales-Team");
        assert_eq!(box_dir_name("../etc"), "_2E_2E_2Fetc");
        assert_eq!(box_dir_name("a/b"), "a_2Fb");
        assert_eq!(box_dir_name("a.b"), "a_2Eb");
        assert_eq!(box_dir_name("a_b"), "a__b");
        assert_eq!(box_dir_name("a_2Eb"), "a__2Eb");
        assert_eq!(box_dir_name(""), "_");
        assert_eq!(box_dir_name("_"), "__");
        assert_eq!(box_dir_name("я"), "_D1_8F");
        assert_eq!(box_dir_name("lost+found"), "lost_2Bfound");
        for name in ["..", ".", "/", "a\\b", "\0", "lost+found", "orphaned "] {
            let dir = box_dir_name(name);
            assert!(
                dir.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'),
                "{name:?} → {dir:?}"
            );
        }
    }

    #[test]
    fn greeting_kinds_are_named_as_their_files() {
        for kind in GREETING_KINDS {
            assert_eq!(
                parse_greeting_kind(greeting_file_stem(kind)),
                Ok(kind),
                "{kind:?}"
            );
        }
        for word in ["", "Busy", "busy.wav", "holiday"] {
            assert_eq!(
                parse_greeting_kind(word),
                Err(UnknownGreetingKind(word.to_owned()))
            );
        }
        assert_eq!(
            UnknownGreetingKind("holiday".into()).to_string(),
            "no greeting kind \"holiday\": the kinds are unavailable, busy, temporary, name"
        );
    }

    #[test]
    fn message_and_part_file_names() {
        assert_eq!(message_file_name(42), "msg-42.wav");
        assert_eq!(message_id_of("msg-42.wav"), Some(42));
        for other in [
            "msg-.wav",
            "msg-4x.wav",
            "msg-+4.wav",
            "msg-42.wav.part",
            "m-42.wav",
        ] {
            assert_eq!(message_id_of(other), None, "{other}");
        }
        assert!(is_part_of(".msg-5.wav.00ab34cd00ab34cd.part", 5));
        assert!(!is_part_of(".msg-55.wav.00ab34cd00ab34cd.part", 5));
        assert!(!is_part_of("msg-5.wav.00ab34cd00ab34cd.part", 5));
        assert!(!is_part_of(".msg-5.wav", 5));
        assert!(is_part_file(".name.wav.0123.part"));
        assert!(!is_part_file("msg-5.wav"));
    }

    #[tokio::test]
    async fn a_pin_set_by_phone_overrides_until_changed_again() {
        let store = Store::open_in_memory().await.expect("open");
        assert_eq!(store.pin_override("101").await.expect("read"), None);
        store.set_pin("101", "4711").await.expect("set");
        store.set_pin("102", "0000").await.expect("set");
        assert_eq!(
            store.pin_override("101").await.expect("read").as_deref(),
            Some("4711")
        );
        store.set_pin("101", "0815").await.expect("change");
        assert_eq!(
            store.pin_override("101").await.expect("read").as_deref(),
            Some("0815")
        );
        assert_eq!(
            store.pin_override("102").await.expect("read").as_deref(),
            Some("0000")
        );
    }

    #[tokio::test]
    async fn greetings_are_the_files_present() {
        let temp = tempfile::tempdir().expect("temp dir");
        let store = Store::open_in_memory()
            .await
            .expect("open")
            .with_voicemail_dir(temp.path());
        assert_eq!(
            store.greetings("101").await.expect("list"),
            Greetings::default()
        );

        let busy = store
            .prepare_greeting("101", GreetingKind::Busy)
            .await
            .expect("prepare");
        assert_eq!(busy, temp.path().join("101/greetings/busy.wav"));
        assert!(busy.parent().expect("dir").is_dir());
        std::fs::write(&busy, b"RIFF").expect("write");
        let name = store
            .greeting_path("101", GreetingKind::Name)
            .expect("path");
        std::fs::write(&name, b"RIFF").expect("write");
        // A directory under a greeting's name is not a greeting.
        std::fs::create_dir(
            store
                .greeting_path("101", GreetingKind::Temporary)
                .expect("path"),
        )
        .expect("mkdir");

        assert_eq!(
            store.greetings("101").await.expect("list"),
            Greetings {
                busy: true,
                name: true,
                ..Greetings::default()
            }
        );
        assert_eq!(
            store.greetings("102").await.expect("list"),
            Greetings::default()
        );
    }

    #[tokio::test]
    async fn without_a_voicemail_directory_paths_are_an_error() {
        let store = Store::open_in_memory().await.expect("open");
        let err = store
            .greeting_path("101", GreetingKind::Busy)
            .expect_err("no directory");
        assert!(matches!(err, StoreError::NoVoicemailDir), "{err:?}");
    }
}
