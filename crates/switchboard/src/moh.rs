//! Music on hold from `[moh.NAME]`: each class's files joined into one loop, decoded once,
//! and one producing task per class that every held call listens to.

use anyhow::{anyhow, Result};
use sb_config::Config;
use sb_media::audio::{built_in_music, Clip, Codec};
use sb_media::playout::{Encoder, Looping, MohClass, TokioClock};
use sb_sip::HOLD_CLASS;
use std::collections::BTreeMap;
use std::sync::Arc;
use tracing::info;

/// Each class's music as one clip: the configured files in order, or the built-in music
/// for `default` when it is not configured. A file that cannot be read is an error naming
/// its key, so the server refuses to start rather than play silence to held callers.
pub fn load_music(config: &Config) -> Result<BTreeMap<String, Clip>> {
    let mut classes = BTreeMap::new();
    for (name, class) in &config.moh {
        let mut samples = Vec::new();
        for (i, file) in class.files.iter().enumerate() {
            let clip = Clip::load(file)
                .map_err(|e| anyhow!("moh.{name}.files[{i}]: {}: {e}", file.display()))?;
            samples.extend_from_slice(clip.samples());
        }
        classes.insert(name.clone(), Clip::from_samples(samples));
    }
    classes
        .entry(HOLD_CLASS.to_owned())
        .or_insert_with(built_in_music);
    Ok(classes)
}

/// Starts one looping class per clip; must run within the tokio runtime.
pub fn start(music: BTreeMap<String, Clip>) -> BTreeMap<String, Arc<MohClass>> {
    music
        .into_iter()
        .map(|(name, clip)| {
            let encoders: Vec<Box<dyn Encoder>> =
                vec![Box::new(Codec::Pcmu), Box::new(Codec::Pcma)];
            let secs = clip.samples().len() / 8000;
            let source = Looping::new(SharedSamples(Arc::new(clip)));
            info!(class = %name, secs, "music on hold ready");
            let class = MohClass::start(name.clone(), source, encoders, TokioClock);
            (name, Arc::new(class))
        })
        .collect()
}

/// A clip's samples as the looping source wants them.
struct SharedSamples(Arc<Clip>);

impl AsRef<[i16]> for SharedSamples {
    fn as_ref(&self) -> &[i16] {
        self.0.samples()
    }
}
