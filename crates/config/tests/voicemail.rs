//! `[voicemail]`, `[[mailbox]]` and the boxes that voicemail steps name: each mistake at
//! its key path; the boxes the PBX sees, whether an extension's own or shared.

use sb_config::{demo, parse, ConfigError, Language, DEMO_TOML};

/// The demo text with `from` replaced by `to` (exactly once).
fn demo_with(from: &str, to: &str) -> String {
    assert_eq!(
        DEMO_TOML.matches(from).count(),
        1,
        "{from:?} is in the demo once"
    );
    DEMO_TOML.replacen(from, to, 1)
}

fn only_error(text: &str) -> ConfigError {
    let errors = parse(text).expect_err("the text is invalid");
    assert_eq!(errors.errors().len(), 1, "{errors}");
    errors.into_iter().next().expect("one error")
}

#[test]
fn every_extension_has_its_own_box_with_its_pin() {
    let config = demo();
    let anna = config.mailbox("101").expect("101's box");
    assert_eq!(anna.pin.as_deref(), Some("1101"));
    assert_eq!(anna.owners, ["101"]);
    assert_eq!(anna.language, Language::Ru);
}

#[test]
fn the_general_box_is_anna_s_to_look_after() {
    let config = demo();
    let general = config.mailbox("general").expect("the general box");
    assert_eq!(general.pin.as_deref(), Some("1000"));
    assert_eq!(general.owners, ["101"]);
    assert_eq!(config.mailboxes_of("101"), ["101", "general"]);
    assert_eq!(config.mailboxes_of("104"), ["104"]);
    assert!(config.mailbox("nobody").is_none());
}

#[test]
fn a_pin_is_4_to_8_digits() {
    for bad in ["123", "123456789", "12a4", ""] {
        let error = only_error(&demo_with(
            "voicemail_pin = \"1104\"",
            &format!("voicemail_pin = \"{bad}\""),
        ));
        assert_eq!(error.path, "extension[3].voicemail_pin", "{bad:?}");
        assert_eq!(error.message, "must be 4 to 8 digits");
    }
    let error = only_error(&demo_with("pin = \"1000\"", "pin = \"10\""));
    assert_eq!(error.path, "mailbox[0].pin");
}

#[test]
fn a_shared_box_needs_a_safe_unique_name_that_is_no_extension() {
    let text = demo_with("name = \"general\"", "name = \"../etc\"");
    let errors = parse(&text).expect_err("an unsafe name");
    assert!(
        errors
            .errors()
            .iter()
            .any(|e| e.path == "mailbox[0].name" && e.message.contains("letters, digits")),
        "{errors}"
    );
    let text = demo_with("name = \"general\"", "name = \"105\"");
    let errors = parse(&text).expect_err("an extension number");
    assert!(
        errors
            .errors()
            .iter()
            .any(|e| e.path == "mailbox[0].name" && e.message.contains("extension number")),
        "{errors}"
    );
    let twice = format!("{DEMO_TOML}\n[[mailbox]]\nname = \"general\"\n");
    let error = only_error(&twice);
    assert_eq!(error.path, "mailbox[1].name");
}

#[test]
fn owners_must_be_extensions_and_addresses_must_be_addresses() {
    let error = only_error(&demo_with(
        "owners = [\"101\"]",
        "owners = [\"101\", \"199\"]",
    ));
    assert_eq!(error.path, "mailbox[0].owners[1]");
    let error = only_error(&demo_with(
        "# email = [\"office@example.com\"]",
        "email = [\"office at example.com\"]",
    ));
    assert_eq!(error.path, "mailbox[0].email[0]");
    let error = only_error(&demo_with(
        "# email = \"anna@example.com\"",
        "email = \"anna@localhost\"",
    ));
    assert_eq!(error.path, "extension[0].email");
}

#[test]
fn voicemail_settings_are_checked() {
    let error = only_error(&demo_with("max_message_secs = 180", "max_message_secs = 0"));
    assert_eq!(error.path, "voicemail.max_message_secs");
    let error = only_error(&demo_with("silence_secs = 7", "silence_secs = 600"));
    assert_eq!(error.path, "voicemail.silence_secs");
    let error = only_error(&demo_with("pin_attempts = 3", "pin_attempts = 0"));
    assert_eq!(error.path, "voicemail.pin_attempts");
    let error = only_error(&demo_with(
        "timezone = \"Europe/Moscow\"\n\n# A shared",
        "timezone = \"Mars/Olympus\"\n\n# A shared",
    ));
    assert_eq!(error.path, "voicemail.timezone");
}

#[test]
fn a_voicemail_step_must_name_a_known_box() {
    let error = only_error(&demo_with(
        "kind = \"voicemail\"\nbox = \"general\"",
        "kind = \"voicemail\"\nbox = \"generel\"",
    ));
    assert_eq!(error.path, "scenario.main.steps.voicemail.box");
    assert!(
        error.message.contains("unknown mailbox \"generel\""),
        "{error}"
    );
}

#[test]
fn the_smtp_server_is_read_and_checked_at_its_key() {
    let with_email = format!(
        "{DEMO_TOML}\n[email]\nhost = \"127.0.0.1\"\nport = 2525\nsecurity = \"none\"\nfrom = \"PBX <pbx@example.com>\"\n"
    );
    let config = parse(&with_email).expect("a valid [email]");
    let email = config.email.expect("[email] read");
    assert_eq!(email.port(), 2525);
    let broken = with_email.replace("from = \"PBX <pbx@example.com>\"", "from = \"nobody\"");
    let error = only_error(&broken);
    assert_eq!(error.path, "email.from");
}
