//! Reading configuration text and files: syntax, type and unknown-key errors name their key
//! path and line; semantic errors come through `parse` too.

use sb_config::{demo, load_file, parse, ConfigError, DEMO_TOML};
use std::path::PathBuf;

/// The single error that parsing `text` gives.
fn only_error(text: &str) -> ConfigError {
    let errors = parse(text).expect_err("the text is invalid");
    assert_eq!(errors.errors().len(), 1, "{errors}");
    errors.into_iter().next().expect("one error")
}

/// The demo text with `from` replaced by `to` (exactly once).
fn demo_with(from: &str, to: &str) -> String {
    assert_eq!(
        DEMO_TOML.matches(from).count(),
        1,
        "{from:?} is in the demo once"
    );
    DEMO_TOML.replacen(from, to, 1)
}

/// The line of `needle` in `text`, counted from 1.
fn line_of(text: &str, needle: &str) -> usize {
    let offset = text.find(needle).expect("needle is in the text");
    text[..offset].matches('\n').count() + 1
}

#[test]
fn a_syntax_error_names_its_line_and_key() {
    let text = demo_with("ring_timeout_secs = 30", "ring_timeout_secs = 30 s");
    let error = only_error(&text);
    assert_eq!(error.path, "pbx.ring_timeout_secs");
    let line = line_of(&text, "ring_timeout_secs = 30 s");
    assert!(
        error
            .message
            .ends_with(&format!("(line {line}, column 21)")),
        "{error}"
    );
}

#[test]
fn a_syntax_error_in_an_array_of_tables_names_its_index() {
    let text = demo_with("name = \"Gleb\"", "name = \"Gleb");
    let error = only_error(&text);
    assert_eq!(error.path, "extension[3].name");
    let line = line_of(&text, "name = \"Gleb");
    assert!(
        error.message.contains(&format!("(line {line}, ")),
        "{error}"
    );
}

#[test]
fn a_syntax_error_in_a_header_names_the_table() {
    let error = only_error("[[extension]\nnumber = \"101\"\n");
    assert_eq!(error.path, "extension[0]");
    assert!(error.message.ends_with("(line 1, column 13)"), "{error}");
}

#[test]
fn a_syntax_error_outside_any_key_is_at_the_top_level() {
    let error = only_error("= 5\n");
    assert_eq!(error.path, "(top level)");
    assert!(error.message.ends_with("(line 1, column 1)"), "{error}");
}

#[test]
fn a_duplicate_key_is_named() {
    let error = only_error("[pbx]\nnonce_ttl_secs = 300\nnonce_ttl_secs = 30\n");
    assert_eq!(error.path, "pbx.nonce_ttl_secs");
    assert_eq!(error.message, "duplicate key (line 3, column 1)");
}

#[test]
fn a_type_error_names_its_key_and_line() {
    let error = only_error("[pbx]\nring_timeout_secs = \"30\"\n");
    assert_eq!(error.path, "pbx.ring_timeout_secs");
    assert_eq!(
        error.message,
        "invalid type: string \"30\", expected u64 (line 2, column 21)"
    );
}

#[test]
fn a_negative_number_is_a_type_error() {
    let error = only_error("[pbx]\nring_timeout_secs = -1\n");
    assert_eq!(error.path, "pbx.ring_timeout_secs");
}

#[test]
fn a_type_error_in_an_array_of_tables_names_its_index() {
    let text = demo_with("number = \"105\"", "number = 105");
    let error = only_error(&text);
    assert_eq!(error.path, "extension[4].number");
    assert!(
        error.message.starts_with("invalid type: integer `105`"),
        "{error}"
    );
}

#[test]
fn a_bad_socket_address_is_named() {
    let text = demo_with(
        "inbound_addresses = [\"127.0.0.1:5090\"]",
        "inbound_addresses = [\"127.0.0.1:5090\", \"127.0.0.1\"]",
    );
    let error = only_error(&text);
    assert_eq!(error.path, "trunk[0].inbound_addresses[1]");
    assert!(
        error.message.starts_with("invalid socket address syntax"),
        "{error}"
    );
}

#[test]
fn an_unknown_key_is_named() {
    let error = only_error("[pbx]\nring_timout_secs = 30\n");
    assert_eq!(error.path, "pbx.ring_timout_secs");
    assert!(
        error
            .message
            .starts_with("unknown field `ring_timout_secs`, expected one of"),
        "{error}"
    );
    assert!(error.message.ends_with("(line 2, column 1)"), "{error}");
}

#[test]
fn an_unknown_key_in_an_array_of_tables_is_named() {
    let text = demo_with("mobile = \"+79000000102\"", "mobil = \"+79000000102\"");
    assert_eq!(only_error(&text).path, "extension[1].mobil");
}

#[test]
fn an_unknown_table_is_named() {
    let error = only_error("[[extensions]]\nnumber = \"101\"\n");
    assert_eq!(error.path, "extensions");
    assert!(
        error.message.starts_with("unknown field `extensions`"),
        "{error}"
    );
}

#[test]
fn a_missing_key_is_named() {
    let error = only_error("[[extension]]\nnumber = \"101\"\nname = \"Anna\"\n");
    assert_eq!(error.path, "extension[0].password");
    assert_eq!(error.message, "is required but missing (line 1, column 1)");
}

#[test]
fn parse_reports_every_semantic_error() {
    let text = demo_with("ring_timeout_secs = 30", "ring_timeout_secs = 0");
    let text = text.replacen("trunk = \"carrier\"", "trunk = \"carier\"", 1);
    let errors = parse(&text).expect_err("the text is invalid");
    assert_eq!(
        errors.to_string(),
        "pbx.ring_timeout_secs: must be 1 to 600 seconds, not 0\n\
         did[0].trunk: unknown trunk \"carier\""
    );
}

#[test]
fn an_empty_file_is_an_office_with_no_one() {
    let config = parse("").expect("an empty file is valid");
    assert!(config.extensions.is_empty());
    assert_eq!(config.pbx, demo().pbx);
}

/// A file in the temporary directory, removed when dropped.
struct TempFile(PathBuf);

impl TempFile {
    fn new(name: &str, text: &str) -> Self {
        let path = std::env::temp_dir().join(format!("sb-config-{}-{name}", std::process::id()));
        std::fs::write(&path, text).expect("the temporary directory is writable");
        TempFile(path)
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

#[test]
fn load_file_reads_and_validates_a_file() {
    let file = TempFile::new("demo.toml", DEMO_TOML);
    assert_eq!(load_file(&file.0), Ok(demo()));

    let file = TempFile::new("bad.toml", "[pbx]\nring_timeout_secs = 0\n");
    let errors = load_file(&file.0).expect_err("the file is invalid");
    assert_eq!(errors.errors()[0].path, "pbx.ring_timeout_secs");
}

#[test]
fn an_unreadable_file_is_an_error_naming_it() {
    let path = std::env::temp_dir().join("sb-config-no-such-dir/switchboard.toml");
    let errors = load_file(&path).expect_err("the file does not exist");
    assert_eq!(errors.errors().len(), 1);
    let error = &errors.errors()[0];
    assert_eq!(error.path, path.display().to_string());
    assert!(
        error
            .message
            .starts_with("cannot read the configuration file: "),
        "{error}"
    );
}

#[test]
fn an_unknown_feature_code_mode_or_action_is_named() {
    let text = demo_with("mode = \"night\"\nallowed", "mode = \"evening\"\nallowed");
    let error = only_error(&text);
    assert_eq!(error.path, "feature_code[0].mode");
    assert!(
        error.message.contains("unknown variant `evening`"),
        "{error}"
    );
    assert!(error.message.contains("auto"), "{error}");

    let text = demo_with(
        "code = \"*52\"\naction = \"schedule_override\"",
        "code = \"*52\"\naction = \"reboot\"",
    );
    let error = only_error(&text);
    assert_eq!(error.path, "feature_code[1].action");
    assert!(
        error.message.contains("unknown variant `reboot`"),
        "{error}"
    );
}

#[test]
fn an_unknown_key_in_an_internal_number_is_named() {
    let text = demo_with(
        "target = \"scenario:main\"\n\n# Feature",
        "taget = \"scenario:main\"\n\n# Feature",
    );
    let error = only_error(&text);
    assert!(error.path.starts_with("internal[0]"), "{error}");
    assert!(error.message.contains("taget"), "{error}");
}

#[test]
fn queue_tables_take_the_distributors_keys() {
    let text = demo_with(
        "name = \"sales\"\nnumber = \"700\"",
        "name = \"sales\"\nnumber = \"700\"\nstrategy = \"round_robin\"\nring_timeout = 10\nwrapup = 5\nmax_wait = 60\nmax_len = 3\nannounce_frequency = 30",
    );
    let config = sb_config::parse(&text).expect("valid");
    let sales = config.queue("sales").expect("the sales queue");
    assert_eq!(sales.strategy, sb_config::Strategy::RoundRobin);
    assert_eq!((sales.ring_timeout, sales.wrapup), (10, 5));
    assert_eq!((sales.max_wait, sales.max_len), (Some(60), Some(3)));
    assert_eq!(sales.join_empty, sb_config::EmptyRule::Unreachable);
    assert_eq!(sales.announce_frequency, 30);
    // It writes back to the same configuration.
    let again = toml::to_string(&config).expect("serializes");
    assert_eq!(sb_config::parse(&again), Ok(config));
}

#[test]
fn a_wrong_queue_key_is_named_with_its_path() {
    let text = demo_with(
        "name = \"sales\"\n",
        "name = \"sales\"\nstratgy = \"ring_all\"\n",
    );
    let error = only_error(&text);
    assert_eq!(error.path, "queue[0].stratgy", "{error}");
    assert!(error.message.contains("stratgy"), "{error}");

    let text = demo_with(
        "name = \"sales\"\n",
        "name = \"sales\"\nstrategy = \"best\"\n",
    );
    let error = only_error(&text);
    assert_eq!(error.path, "queue[0].strategy", "{error}");

    let text = demo_with("name = \"sales\"\n", "name = \"sales\"\nring_timeout = 0\n");
    let error = only_error(&text);
    assert_eq!(error.path, "queue[0].ring_timeout", "{error}");
}

#[test]
fn the_agent_announcement_is_off_unless_asked_for() {
    let config = parse(DEMO_TOML).expect("the demo is valid");
    for queue in &config.queues {
        assert!(!queue.announce_to_agent, "{}", queue.name);
        assert_eq!(queue.agent_announcement, None, "{}", queue.name);
    }
    let text = demo_with(
        "name = \"sales\"\nnumber = \"700\"",
        "name = \"sales\"\nnumber = \"700\"\nannounce_to_agent = true\nagent_announcement = \"sales-for-agents\"",
    );
    let config = parse(&text).expect("valid");
    let sales = config.queue("sales").expect("the sales queue");
    assert!(sales.announce_to_agent);
    assert_eq!(
        sales.agent_announcement.as_deref(),
        Some("sales-for-agents")
    );

    let text = demo_with(
        "name = \"sales\"\nnumber = \"700\"",
        "name = \"sales\"\nnumber = \"700\"\nannounce_to_agent = \"yes\"",
    );
    let error = only_error(&text);
    assert_eq!(error.path, "queue[0].announce_to_agent", "{error}");
}
