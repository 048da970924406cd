//! Every prompt the engines name has a text in the shipped prompt set, in every language
//! there, so `scripts/make-prompts.sh` records it (sb-media's tests then check the files).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use sb_voicemail::PROMPTS;

#[test]
fn every_prompt_has_a_text_in_every_language() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../prompts/texts.tsv");
    let texts = std::fs::read_to_string(&path).unwrap();
    let mut by_language: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for line in texts
        .lines()
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
    {
        let mut fields = line.split('\t');
        let (Some(language), Some(name)) = (fields.next(), fields.next()) else {
            panic!("texts.tsv line {line:?}");
        };
        by_language.entry(language).or_default().insert(name);
    }
    assert!(by_language.contains_key("en") && by_language.contains_key("ru"));
    for (language, names) in by_language {
        let missing: Vec<&str> = PROMPTS
            .into_iter()
            .filter(|name| !names.contains(name))
            .collect();
        assert!(missing.is_empty(), "{language}: no text for {missing:?}");
    }
}
