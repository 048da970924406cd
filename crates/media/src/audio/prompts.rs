//! The prompt catalogue: every recorded phrase the PBX plays, by language and name, found in
//! a directory tree and replaceable one by one with an operator's own recordings.
//!
//! Prompts live in `<dir>/<language>/<name>.wav` (or a headerless G.711 file, `.ul`/`.al`
//! and aliases). The project ships a set made by `scripts/make-prompts.sh` in `prompts/`;
//! a configuration can name an override directory of the same shape, and any prompt found
//! there is played instead of the shipped one. So an office can record its own greeting
//! while keeping the shipped number words, and a prompt the operator added that the
//! catalogue does not name (a promotional message, say) is found the same way.

use std::collections::HashMap;
use std::fmt;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use super::clip::{Clip, EXTENSIONS};
use super::error::AudioError;
use super::say;

/// A language prompts are recorded in; its code names the prompt subdirectory.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Language {
    /// English (`en`).
    En,
    /// Russian (`ru`).
    Ru,
}

impl Language {
    /// Every language the catalogue has prompts for.
    pub const ALL: [Language; 2] = [Language::En, Language::Ru];

    /// The ISO 639-1 code, as used in configuration and as the directory name.
    pub fn code(self) -> &'static str {
        match self {
            Language::En => "en",
            Language::Ru => "ru",
        }
    }

    /// The language of an ISO 639-1 code (`"en"`, `"ru"`), or `None` if there are no prompts
    /// for it.
    pub fn from_code(code: &str) -> Option<Language> {
        Language::ALL
            .into_iter()
            .find(|l| l.code().eq_ignore_ascii_case(code))
    }
}

impl fmt::Display for Language {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// Prompts played whole, named by scenarios, queues and voicemail.
const ANNOUNCEMENTS: [&str; 14] = [
    "greeting-morning",
    "greeting-day",
    "greeting-evening",
    "menu-default",
    "invalid-choice",
    "lunch",
    "night",
    "queue-all-busy",
    "queue-thank-you",
    "vm-leave-message",
    // "... we will call you back at the number" <digits> "as soon as an operator is free".
    "queue-callback-at",
    "queue-callback-kept",
    // What a queue's agent hears before the caller when no prompt of the queue's names it.
    "queue-agent-call",
    // `*98`: which box to listen to (the SIP layer's mailbox call).
    "vm-enter-mailbox",
];

/// Every prompt name the PBX itself plays in `language`: the announcements, the voicemail
/// menu's prompts and the words the phrases of [`say`] are built from. The shipped set
/// holds exactly these.
pub fn catalogue(language: Language) -> Vec<&'static str> {
    // The voicemail engine names its own prompts; those it shares with the announcements or
    // the phrases are listed once.
    let words = say::vocabulary(language);
    let mut names = ANNOUNCEMENTS.to_vec();
    names.extend(
        sb_voicemail::PROMPTS
            .into_iter()
            .filter(|name| !ANNOUNCEMENTS.contains(name) && !words.contains(name)),
    );
    names.extend(words);
    names
}

/// The prompts of one installation: the shipped directory, an optional override directory,
/// and the clips decoded so far.
///
/// Clips are decoded on first use and kept for the life of the set, shared as `Arc<Clip>`
/// by every call playing them; to pick up changed files, build a new set (on configuration
/// reload). Loading reads files: do it at startup with [`PromptSet::preload`], or from a
/// blocking task.
pub struct PromptSet {
    /// Searched in order: the override directory (if any), then the shipped one.
    dirs: Vec<PathBuf>,
    cache: Mutex<HashMap<(Language, String), Arc<Clip>>>,
}

impl PromptSet {
    /// A set reading `<base>/<language>/<name>.wav`.
    pub fn new(base: impl Into<PathBuf>) -> PromptSet {
        PromptSet {
            dirs: vec![base.into()],
            cache: Mutex::new(HashMap::new()),
        }
    }

    /// The same set, with prompts in `<dir>/<language>/` taking precedence over the base
    /// directory's, prompt by prompt.
    pub fn with_override(mut self, dir: impl Into<PathBuf>) -> PromptSet {
        self.dirs.insert(0, dir.into());
        self
    }

    /// The prompt `name` in `language`, from the override directory if it has one, else from
    /// the base directory.
    ///
    /// A damaged override file is an error, not a silent fall-back to the shipped prompt:
    /// the operator put it there and must hear about it.
    pub fn get(&self, language: Language, name: &str) -> Result<Arc<Clip>, AudioError> {
        let key = (language, name.to_owned());
        if let Some(clip) = crate::lock(&self.cache).get(&key) {
            return Ok(Arc::clone(clip));
        }
        // Decoded outside the lock so other calls' prompts are not held up by the disk;
        // two calls racing for the same new prompt both decode it, and one copy is kept.
        let clip = Arc::new(self.load(language, name)?);
        Ok(Arc::clone(
            crate::lock(&self.cache).entry(key).or_insert(clip),
        ))
    }

    /// Loads every prompt of the catalogue in `language`, reporting every one that is
    /// missing or broken, so a bad prompt directory is found at startup rather than by a
    /// caller.
    pub fn preload(&self, language: Language) -> Result<(), Vec<AudioError>> {
        let errors: Vec<AudioError> = catalogue(language)
            .into_iter()
            .filter_map(|name| self.get(language, name).err())
            .collect();
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }

    fn load(&self, language: Language, name: &str) -> Result<Clip, AudioError> {
        if !is_valid_name(name) {
            return Err(AudioError::InvalidPromptName {
                name: name.to_owned(),
            });
        }
        let searched: Vec<PathBuf> = self.dirs.iter().map(|d| d.join(language.code())).collect();
        for dir in &searched {
            for extension in EXTENSIONS {
                match Clip::load(dir.join(format!("{name}.{extension}"))) {
                    Err(AudioError::Missing { .. }) => continue,
                    found => return found,
                }
            }
        }
        Err(AudioError::PromptMissing {
            name: name.to_owned(),
            searched,
        })
    }
}

impl fmt::Debug for PromptSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PromptSet")
            .field("dirs", &self.dirs)
            .field("cached", &crate::lock(&self.cache).len())
            .finish()
    }
}

/// Whether `name` names a file directly inside a prompt directory.
fn is_valid_name(name: &str) -> bool {
    !name.is_empty() && !name.starts_with('.') && !name.contains(['/', '\\', '\0'])
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;
    use std::path::Path;

    /// Writes `<root>/<lang>/<file>` holding `samples` as 8 kHz mono 16-bit WAV.
    fn write_prompt(root: &Path, lang: &str, file: &str, samples: &[i16]) {
        let dir = root.join(lang);
        std::fs::create_dir_all(&dir).unwrap();
        let spec = hound::WavSpec {
            channels: 1,
            sample_rate: 8000,
            bits_per_sample: 16,
            sample_format: hound::SampleFormat::Int,
        };
        let mut writer = hound::WavWriter::create(dir.join(file), spec).unwrap();
        for &s in samples {
            writer.write_sample(s).unwrap();
        }
        writer.finalize().unwrap();
    }

    #[test]
    fn languages_have_codes() {
        assert_eq!(Language::from_code("ru"), Some(Language::Ru));
        assert_eq!(Language::from_code("EN"), Some(Language::En));
        assert_eq!(Language::from_code("de"), None);
        assert_eq!(Language::Ru.to_string(), "ru");
    }

    #[test]
    fn the_override_directory_wins_prompt_by_prompt() {
        let base = tempfile::tempdir().unwrap();
        let custom = tempfile::tempdir().unwrap();
        write_prompt(base.path(), "en", "greeting-day.wav", &[1, 1]);
        write_prompt(base.path(), "en", "night.wav", &[2, 2]);
        write_prompt(custom.path(), "en", "greeting-day.wav", &[3, 3, 3]);
        // A headerless μ-law override beats the base WAV too.
        std::fs::write(custom.path().join("en/lunch.ul"), [0xFF, 0xFF]).unwrap();
        write_prompt(base.path(), "en", "lunch.wav", &[4]);
        // Another language's override does not leak across.
        write_prompt(custom.path(), "ru", "night.wav", &[5]);

        let set = PromptSet::new(base.path()).with_override(custom.path());
        assert_eq!(
            set.get(Language::En, "greeting-day").unwrap().samples(),
            [3, 3, 3]
        );
        assert_eq!(set.get(Language::En, "night").unwrap().samples(), [2, 2]);
        assert_eq!(set.get(Language::En, "lunch").unwrap().samples(), [0, 0]);
        assert_eq!(set.get(Language::Ru, "night").unwrap().samples(), [5]);
        // Without the override, the shipped prompt.
        let plain = PromptSet::new(base.path());
        assert_eq!(
            plain.get(Language::En, "greeting-day").unwrap().samples(),
            [1, 1]
        );
    }

    #[test]
    fn clips_are_decoded_once_and_shared() {
        let base = tempfile::tempdir().unwrap();
        write_prompt(base.path(), "ru", "night.wav", &[7; 80]);
        let set = PromptSet::new(base.path());
        let first = set.get(Language::Ru, "night").unwrap();
        std::fs::remove_file(base.path().join("ru/night.wav")).unwrap();
        let second = set.get(Language::Ru, "night").unwrap();
        assert!(Arc::ptr_eq(&first, &second));
        assert!(format!("{set:?}").contains("cached: 1"));
    }

    #[test]
    fn a_missing_prompt_names_every_directory_searched() {
        let base = tempfile::tempdir().unwrap();
        let custom = tempfile::tempdir().unwrap();
        let set = PromptSet::new(base.path()).with_override(custom.path());
        let err = set.get(Language::En, "menu-default").unwrap_err();
        let AudioError::PromptMissing { ref searched, .. } = err else {
            panic!("{err}")
        };
        assert_eq!(
            searched,
            &[custom.path().join("en"), base.path().join("en")]
        );
        let message = err.to_string();
        assert!(message.contains("menu-default.wav"), "{message}");
        assert!(
            message.contains(&base.path().join("en").display().to_string()),
            "{message}"
        );
    }

    #[test]
    fn a_broken_override_is_reported_not_skipped() {
        let base = tempfile::tempdir().unwrap();
        let custom = tempfile::tempdir().unwrap();
        write_prompt(base.path(), "en", "night.wav", &[1]);
        std::fs::create_dir_all(custom.path().join("en")).unwrap();
        std::fs::write(custom.path().join("en/night.wav"), b"RIFF garbage").unwrap();
        let set = PromptSet::new(base.path()).with_override(custom.path());
        let err = set.get(Language::En, "night").unwrap_err();
        assert!(matches!(err, AudioError::Malformed { .. }), "{err}");
    }

    #[test]
    fn names_cannot_leave_the_prompt_directory() {
        let base = tempfile::tempdir().unwrap();
        write_prompt(base.path(), "en", "ok_name-1.wav", &[1]);
        let set = PromptSet::new(base.path().join("en"));
        for name in [
            "",
            "..",
            ".hidden",
            "../en/ok_name-1",
            "a/b",
            "a\\b",
            "nul\0",
        ] {
            let err = set.get(Language::En, name).unwrap_err();
            assert!(
                matches!(err, AudioError::InvalidPromptName { .. }),
                "{name:?}: {err}"
            );
        }
        let set = PromptSet::new(base.path());
        assert!(set.get(Language::En, "ok_name-1").is_ok());
    }

    #[test]
    fn preload_reports_every_missing_prompt() {
        let base = tempfile::tempdir().unwrap();
        write_prompt(base.path(), "en", "night.wav", &[1]);
        let errors = PromptSet::new(base.path())
            .preload(Language::En)
            .unwrap_err();
        assert_eq!(errors.len(), catalogue(Language::En).len() - 1);
    }

    fn shipped() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../prompts")
    }

    /// Every prompt the PBX plays exists in the shipped set, in both languages, as
    /// non-empty 8 kHz mono 16-bit WAV (the format that needs no conversion at load).
    #[test]
    fn the_shipped_prompts_are_complete() {
        let set = PromptSet::new(shipped());
        for language in Language::ALL {
            if let Err(errors) = set.preload(language) {
                let lines: Vec<String> = errors.iter().map(ToString::to_string).collect();
                panic!("run scripts/make-prompts.sh:\n{}", lines.join("\n"));
            }
            for name in catalogue(language) {
                let path = shipped().join(language.code()).join(format!("{name}.wav"));
                let reader = hound::WavReader::open(&path).unwrap();
                let spec = reader.spec();
                assert_eq!(
                    (spec.sample_rate, spec.channels, spec.bits_per_sample),
                    (8000, 1, 16),
                    "{}",
                    path.display()
                );
                let clip = set.get(language, name).unwrap();
                assert!(
                    clip.duration().as_millis() >= 150,
                    "{} is too short",
                    path.display()
                );
                assert!(
                    clip.duration().as_secs() < 20,
                    "{} is too long",
                    path.display()
                );
            }
        }
    }

    /// The texts the script speaks are exactly the catalogue, so a prompt added to the code
    /// without a text (or the reverse) fails here.
    #[test]
    fn the_script_texts_match_the_catalogue() {
        let texts = std::fs::read_to_string(shipped().join("texts.tsv")).unwrap();
        for language in Language::ALL {
            let mut spoken = BTreeSet::new();
            for line in texts
                .lines()
                .filter(|l| !l.is_empty() && !l.starts_with('#'))
            {
                let fields: Vec<&str> = line.split('\t').collect();
                assert_eq!(fields.len(), 3, "texts.tsv line {line:?}");
                assert!(!fields[2].trim().is_empty(), "texts.tsv line {line:?}");
                if fields[0] == language.code() {
                    assert!(spoken.insert(fields[1]), "{} twice in texts.tsv", fields[1]);
                }
            }
            let named: BTreeSet<&str> = catalogue(language).into_iter().collect();
            assert_eq!(spoken, named, "{language}");
        }
    }
}
