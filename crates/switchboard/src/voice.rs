//! Where the PBX's voice comes from: the shipped prompt directory, the operator's overrides,
//! the language and the tone plan.

use anyhow::{bail, Result};
use sb_config::Config;
use sb_media::audio::{Language, PromptSet};
use sb_media::tones::TonePlan;
use sb_sip::Voice;
use std::path::{Path, PathBuf};
use tracing::{info, warn};

/// The shipped prompts: the `--prompts-dir` given, else the first of `./prompts`, `prompts`
/// next to the binary, `../share/switchboard/prompts` from the binary (an installed layout),
/// and the source tree the binary was built from (`cargo run`).
pub fn prompts_dir(given: Option<&Path>) -> Result<PathBuf> {
    if let Some(dir) = given {
        if !dir.join(Language::En.code()).is_dir() {
            bail!(
                "--prompts-dir {}: no {}/ directory of prompts in it",
                dir.display(),
                Language::En.code()
            );
        }
        return Ok(dir.to_path_buf());
    }
    let exe_dir = std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().map(Path::to_path_buf));
    let mut candidates = vec![PathBuf::from("prompts")];
    if let Some(dir) = &exe_dir {
        candidates.push(dir.join("prompts"));
        candidates.push(dir.join("../share/switchboard/prompts"));
    }
    candidates.push(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../prompts"));
    candidates
        .into_iter()
        .find(|dir| dir.join(Language::En.code()).is_dir())
        .ok_or_else(|| {
            anyhow::anyhow!(
                "no prompt directory found (looked in ./prompts, next to the binary and in the source tree); give one with --prompts-dir"
            )
        })
}

/// The voice of `config`: its prompt override directory over the shipped prompts, its
/// language and tone plan. The shipped catalogue is loaded now, so a damaged prompt
/// directory is reported at start and calls never wait for the disk.
pub fn voice(config: &Config, prompts: &Path, data_dir: &Path) -> Voice {
    let media = &config.media;
    let mut set = PromptSet::new(prompts);
    if let Some(dir) = &media.prompt_override_dir {
        set = set.with_override(dir);
    }
    let language = match media.language {
        sb_config::Language::En => Language::En,
        sb_config::Language::Ru => Language::Ru,
    };
    if let Err(errors) = set.preload(language) {
        for error in errors {
            warn!(%error, "prompt unavailable");
        }
    }
    info!(prompts = %prompts.display(), overrides = ?media.prompt_override_dir, language = language.code(), "voice ready");
    Voice {
        prompts: set,
        language,
        tone_plan: match media.tone_plan {
            sb_config::TonePlan::Russia => TonePlan::Russia,
            sb_config::TonePlan::Europe => TonePlan::Europe,
            sb_config::TonePlan::Us => TonePlan::Us,
        },
        voicemail_dir: data_dir.join("voicemail"),
        recordings_dir: media.record_calls.then(|| data_dir.join("recordings")),
        moh: Default::default(),
    }
}
