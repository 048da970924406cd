//! Voicemail on no answer: off unless `[voicemail] on_no_answer` or an extension's
//! `voicemail_on_no_answer` says otherwise, with a ring time from `[voicemail]` or the
//! extension; ring times checked at their key paths; and a configuration using it written
//! out and read back the same.

use sb_config::{demo, parse, ConfigError, Voicemail, DEMO_TOML};

/// The demo text with `from` replaced by `to` (exactly once).
fn demo_with(from: &str, to: &str) -> String {
    assert_eq!(
        DEMO_TOML.matches(from).count(),
        1,
        "{from:?} is in the demo once"
    );
    DEMO_TOML.replacen(from, to, 1)
}

/// The demo with `lines` added to Vera's (103) `[[extension]]` table.
fn vera_with(lines: &str) -> String {
    demo_with(
        "voicemail_pin = \"1103\"",
        &format!("voicemail_pin = \"1103\"\n{lines}"),
    )
}

fn only_error(text: &str) -> ConfigError {
    let errors = parse(text).expect_err("the text is invalid");
    assert_eq!(errors.errors().len(), 1, "{errors}");
    errors.into_iter().next().expect("one error")
}

#[test]
fn off_by_default_with_twenty_seconds_of_ringing() {
    let defaults = Voicemail::default();
    assert!(!defaults.on_no_answer);
    assert_eq!(defaults.ring_timeout_secs, 20);
    let config = demo();
    assert_eq!(
        config.voicemail, defaults,
        "the demo writes out the defaults"
    );
    for extension in &config.extensions {
        assert_eq!(config.no_answer_voicemail(&extension.number), None);
    }
    // Left out of the file altogether, the same.
    let without = DEMO_TOML
        .replacen("on_no_answer = false\n", "", 1)
        .replacen("ring_timeout_secs = 20\n", "", 1);
    assert_eq!(parse(&without).expect("valid").voicemail, defaults);
}

#[test]
fn one_line_turns_it_on_for_everybody_and_an_extension_may_say_otherwise() {
    let everybody = demo_with("on_no_answer = false", "on_no_answer = true");
    let config = parse(&everybody).expect("valid");
    for extension in &config.extensions {
        assert_eq!(config.no_answer_voicemail(&extension.number), Some(20));
    }
    assert_eq!(config.no_answer_voicemail("199"), None, "no such extension");

    let text = everybody.replacen("ring_timeout_secs = 20", "ring_timeout_secs = 25", 1);
    let text = text.replacen(
        "voicemail_pin = \"1103\"",
        "voicemail_pin = \"1103\"\nvoicemail_on_no_answer = false",
        1,
    );
    let config = parse(&text).expect("valid");
    assert_eq!(config.no_answer_voicemail("103"), None, "Vera opted out");
    assert_eq!(config.no_answer_voicemail("104"), Some(25));

    let config = parse(&vera_with(
        "voicemail_on_no_answer = true\nvoicemail_ring_timeout_secs = 40",
    ))
    .expect("valid");
    assert_eq!(config.no_answer_voicemail("103"), Some(40), "Vera only");
    assert_eq!(config.no_answer_voicemail("104"), None);
    let config = parse(&vera_with("voicemail_on_no_answer = true")).expect("valid");
    assert_eq!(config.no_answer_voicemail("103"), Some(20));
}

#[test]
fn ring_times_are_5_to_300_seconds_at_their_key_paths() {
    for (secs, valid) in [(4, false), (5, true), (300, true), (301, false)] {
        let text = demo_with(
            "ring_timeout_secs = 20",
            &format!("ring_timeout_secs = {secs}"),
        );
        match parse(&text) {
            Ok(config) => {
                assert!(valid, "{secs} s accepted");
                assert_eq!(config.voicemail.ring_timeout_secs, secs);
            }
            Err(_) => {
                assert!(!valid, "{secs} s refused");
                let error = only_error(&text);
                assert_eq!(error.path, "voicemail.ring_timeout_secs");
                assert_eq!(
                    error.message,
                    format!("must be 5 to 300 seconds, not {secs}")
                );
            }
        }
        let text = vera_with(&format!("voicemail_ring_timeout_secs = {secs}"));
        match parse(&text) {
            Ok(_) => assert!(valid, "{secs} s accepted for 103"),
            Err(_) => {
                assert!(!valid, "{secs} s refused for 103");
                let error = only_error(&text);
                assert_eq!(error.path, "extension[2].voicemail_ring_timeout_secs");
                assert_eq!(
                    error.message,
                    format!("must be 5 to 300 seconds, not {secs}")
                );
            }
        }
    }
    let error = only_error(&vera_with("voicemail_on_no_answer = \"yes\""));
    assert_eq!(error.path, "extension[2].voicemail_on_no_answer");
}

#[test]
fn a_configuration_using_it_is_written_out_and_read_back_the_same() {
    let text = demo_with("on_no_answer = false", "on_no_answer = true");
    let text = text.replacen(
        "voicemail_pin = \"1103\"",
        "voicemail_pin = \"1103\"\nvoicemail_on_no_answer = false",
        1,
    );
    let text = text.replacen(
        "voicemail_pin = \"1104\"",
        "voicemail_pin = \"1104\"\nvoicemail_ring_timeout_secs = 45",
        1,
    );
    let config = parse(&text).expect("valid");
    let written = toml::to_string(&config).expect("a Config serializes");
    assert_eq!(parse(&written), Ok(config));
    assert_eq!(written.matches("voicemail_on_no_answer = false").count(), 1);
    assert_eq!(
        written.matches("voicemail_ring_timeout_secs = 45").count(),
        1
    );

    // Extensions that say nothing write nothing: they follow [voicemail].
    let written = toml::to_string(&demo()).expect("a Config serializes");
    assert!(!written.contains("voicemail_on_no_answer"), "{written}");
    assert!(
        !written.contains("voicemail_ring_timeout_secs"),
        "{written}"
    );
}
