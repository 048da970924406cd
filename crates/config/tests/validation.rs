//! Each kind of semantic mistake is reported at its exact key path, and all are collected.
//!
//! Each test changes one thing in the demo office (which is valid) and expects exactly the
//! one error that change causes.

use sb_config::{demo, Config, DigitMethod};

/// The errors of `config`, one "path: message" line each; empty when it is valid.
fn errors(config: &Config) -> Vec<String> {
    match config.validate() {
        Ok(()) => Vec::new(),
        Err(errors) => errors.errors().iter().map(|e| e.to_string()).collect(),
    }
}

/// Applies `change` to the demo and asserts that it causes exactly `expected`.
fn assert_error(change: impl FnOnce(&mut Config), expected: &str) {
    let mut config = demo();
    change(&mut config);
    assert_eq!(errors(&config), [expected]);
}

/// Applies `change` to the demo and asserts that it is still valid.
fn assert_valid(change: impl FnOnce(&mut Config)) {
    let mut config = demo();
    change(&mut config);
    assert_eq!(errors(&config), Vec::<String>::new());
}

#[test]
fn error_paths_are_exact() {
    let mut config = demo();
    config.dids[0].trunk = "carier".into();
    let error = config.validate().unwrap_err();
    assert_eq!(error.errors()[0].path, "did[0].trunk");
    assert_eq!(error.errors()[0].message, r#"unknown trunk "carier""#);
}

// Extensions.

#[test]
fn digit_methods_must_list_something_once() {
    assert_error(
        |c| c.extensions[0].dtmf = Some(Vec::new()),
        "extension[0].dtmf: lists no method: callers' digits would never be heard (leave the key out for the default)",
    );
    assert_error(
        |c| {
            c.trunks[0].dtmf = Some(vec![
                DigitMethod::Inband,
                DigitMethod::Info,
                DigitMethod::Inband,
            ])
        },
        "trunk[0].dtmf[2]: is listed twice",
    );
    assert_valid(|c| c.trunks[0].dtmf = Some(vec![DigitMethod::Inband]));
}

#[test]
fn a_hold_music_class_needs_files() {
    assert_error(
        |c| {
            c.moh
                .insert("default".into(), sb_config::MohClass { files: Vec::new() });
        },
        "moh.default.files: must list at least one file",
    );
}

#[test]
fn an_unknown_digit_method_is_refused_by_name() {
    let mut text = sb_config::DEMO_TOML.to_owned();
    text = text.replacen(
        "mobile = \"+79000000101\"",
        "mobile = \"+79000000101\"\ndtmf = [\"rfc2833\"]",
        1,
    );
    let error = sb_config::parse(&text).expect_err("rfc2833 is not a method");
    let text = error.to_string();
    assert!(text.contains("rfc2833"), "{text}");
    assert!(text.contains("dtmf"), "{text}");
}

#[test]
fn extension_number_must_be_digits() {
    assert_error(
        |c| c.extensions[8].number = "10a".into(),
        r#"extension[8].number: "10a" is not a number of digits"#,
    );
}

#[test]
fn extension_number_must_be_2_to_6_digits() {
    assert_error(
        |c| c.extensions[8].number = "1".into(),
        r#"extension[8].number: "1" must be 2 to 6 digits long"#,
    );
    assert_error(
        |c| c.extensions[8].number = "1234567".into(),
        r#"extension[8].number: "1234567" must be 2 to 6 digits long"#,
    );
    assert_valid(|c| c.extensions[8].number = "12".into());
    assert_valid(|c| c.extensions[8].number = "123456".into());
}

#[test]
fn extension_number_must_not_be_a_feature_code() {
    assert_error(
        |c| c.extensions[8].number = "*97".into(),
        r#"extension[8].number: "*97" starts with *, which begins feature codes"#,
    );
}

#[test]
fn extension_numbers_must_be_unique() {
    assert_error(
        |c| {
            let mut copy = c.extensions[0].clone();
            copy.name = "Anna's twin".into();
            c.extensions.push(copy);
        },
        r#"extension[9].number: "101" is already used by extension[0]"#,
    );
}

#[test]
fn extension_name_must_not_be_empty() {
    assert_error(
        |c| c.extensions[1].name = "  ".into(),
        "extension[1].name: must not be empty",
    );
}

#[test]
fn extension_password_must_not_be_empty() {
    assert_error(
        |c| c.extensions[2].password = String::new(),
        "extension[2].password: must not be empty",
    );
}

#[test]
fn extension_password_must_be_4_characters() {
    assert_error(
        |c| c.extensions[2].password = "abc".into(),
        "extension[2].password: must be at least 4 characters",
    );
    assert_valid(|c| c.extensions[2].password = "abcd".into());
}

#[test]
fn extension_mobile_must_look_like_a_phone_number() {
    assert_error(
        |c| c.extensions[0].mobile = Some("+7 900 000-01-01".into()),
        r#"extension[0].mobile: "+7 900 000-01-01" is not a phone number (digits, optionally after +)"#,
    );
    assert_valid(|c| c.extensions[0].mobile = Some("89000000101".into()));
    assert_valid(|c| c.extensions[0].mobile = None);
}

#[test]
fn extension_number_must_not_be_a_queue_number() {
    assert_error(
        |c| c.extensions[8].number = "700".into(),
        r#"queue[0].number: "700" is already used by extension[8]"#,
    );
}

// Trunks.

#[test]
fn trunk_names_must_be_unique() {
    assert_error(
        |c| {
            let mut copy = c.trunks[0].clone();
            copy.inbound_addresses = vec!["10.0.0.1:5060".parse().expect("valid address")];
            c.trunks.push(copy);
        },
        r#"trunk[1].name: "carrier" is already used by trunk[0]"#,
    );
}

#[test]
fn trunk_name_must_not_be_empty() {
    assert_error(
        |c| {
            let mut other = c.trunks[0].clone();
            other.name = String::new();
            other.inbound_addresses = vec!["10.0.0.1:5060".parse().expect("valid address")];
            c.trunks.push(other);
        },
        "trunk[1].name: must not be empty",
    );
}

#[test]
fn trunk_must_list_inbound_addresses() {
    assert_error(
        |c| c.trunks[0].inbound_addresses.clear(),
        "trunk[0].inbound_addresses: must list at least one address",
    );
}

#[test]
fn trunk_inbound_address_must_belong_to_one_trunk() {
    assert_error(
        |c| {
            let mut copy = c.trunks[0].clone();
            copy.name = "backup".into();
            c.trunks.push(copy);
        },
        "trunk[1].inbound_addresses[0]: 127.0.0.1:5090 is already used by trunk[0]",
    );
}

// DIDs.

#[test]
fn did_number_must_be_digits() {
    assert_error(
        |c| c.dids[0].number = "+74950000000".into(),
        r#"did[0].number: "+74950000000" is not a number of digits"#,
    );
}

#[test]
fn did_numbers_must_be_unique() {
    assert_error(
        |c| c.dids[2].number = "74950000001".into(),
        r#"did[2].number: "74950000001" is already used by did[1]"#,
    );
}

#[test]
fn did_trunk_must_exist() {
    assert_error(
        |c| c.dids[0].trunk = "carier".into(),
        r#"did[0].trunk: unknown trunk "carier""#,
    );
}

#[test]
fn did_target_must_have_a_known_kind() {
    assert_error(
        |c| c.dids[1].target = "queu:sales".into(),
        r#"did[1].target: "queu:sales" must be extension:NUMBER, queue:NAME or scenario:NAME"#,
    );
}

#[test]
fn did_target_extension_must_exist() {
    assert_error(
        |c| c.dids[1].target = "extension:199".into(),
        r#"did[1].target: unknown extension "199""#,
    );
    assert_valid(|c| c.dids[1].target = "extension:101".into());
}

#[test]
fn did_target_queue_must_exist() {
    assert_error(
        |c| c.dids[1].target = "queue:billing".into(),
        r#"did[1].target: unknown queue "billing""#,
    );
}

#[test]
fn did_target_scenario_must_be_named() {
    assert_error(
        |c| c.dids[0].target = "scenario:".into(),
        r#"did[0].target: "scenario:" names no scenario"#,
    );
    assert_error(
        |c| c.dids[0].target = "scenario:night".into(),
        r#"did[0].target: unknown scenario "night""#,
    );
    assert_valid(|c| c.dids[1].target = "scenario:main".into());
}

// Schedules and scenarios: the flow engine's own checks, at their key paths.

#[test]
fn a_broken_schedule_is_reported_at_its_path() {
    assert_error(
        |c| {
            if let Some(main) = c.schedules.get_mut("main") {
                main.mon = vec!["14:00-13:00".into()];
            }
        },
        r#"schedule.main.mon[0]: "14:00-13:00" ends before it starts"#,
    );
}

#[test]
fn a_scenario_dialling_an_unknown_extension_is_reported_at_its_path() {
    let mut config = demo();
    let main = config.scenarios.get_mut("main").expect("the demo has main");
    let text = toml::to_string(&main.steps["operator"])
        .expect("a step serialises")
        .replace("\"101\"", "\"199\"");
    main.steps.insert(
        "operator".into(),
        toml::from_str(&text).expect("a step parses"),
    );
    let found = errors(&config);
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(
        found[0].starts_with("scenario.main.steps.operator.extension:") && found[0].contains("199"),
        "{found:?}"
    );
}

// Queues.

#[test]
fn queue_names_must_be_unique() {
    assert_error(
        |c| {
            c.queues[1].name = "sales".into();
            c.dids[2].target = "queue:sales".into();
            queue_step(c, "support").queue = "sales".into();
        },
        r#"queue[1].name: "sales" is already used by queue[0]"#,
    );
}

#[test]
fn queue_name_must_not_be_empty() {
    assert_error(
        |c| {
            c.queues[1].name = String::new();
            c.dids[2].target = "queue:sales".into();
            queue_step(c, "support").queue = "sales".into();
        },
        "queue[1].name: must not be empty",
    );
}

#[test]
fn queue_numbers_must_be_unique() {
    assert_error(
        |c| c.queues[1].number = "700".into(),
        r#"queue[1].number: "700" is already used by queue[0]"#,
    );
}

#[test]
fn queue_number_must_be_digits() {
    assert_error(
        |c| c.queues[1].number = "7o1".into(),
        r#"queue[1].number: "7o1" is not a number of digits"#,
    );
}

#[test]
fn queue_members_must_be_extensions() {
    assert_error(
        |c| {
            c.queues[0]
                .members
                .push(sb_config::MemberEntry::Plain("199".into()))
        },
        r#"queue[0].members[3]: unknown extension "199""#,
    );
}

#[test]
fn queue_members_must_be_listed_once() {
    assert_error(
        |c| {
            c.queues[1]
                .members
                .push(sb_config::MemberEntry::Plain("106".into()))
        },
        r#"queue[1].members[3]: "106" is listed twice"#,
    );
}

// [pbx] limits.

#[test]
fn pbx_domain_must_not_be_empty() {
    assert_error(
        |c| c.pbx.domain = String::new(),
        "pbx.domain: must not be empty",
    );
}

#[test]
fn pbx_ring_timeout_is_1_to_600() {
    assert_error(
        |c| c.pbx.ring_timeout_secs = 0,
        "pbx.ring_timeout_secs: must be 1 to 600 seconds, not 0",
    );
    assert_error(
        |c| c.pbx.ring_timeout_secs = 601,
        "pbx.ring_timeout_secs: must be 1 to 600 seconds, not 601",
    );
    assert_valid(|c| c.pbx.ring_timeout_secs = 1);
    assert_valid(|c| c.pbx.ring_timeout_secs = 600);
}

#[test]
fn pbx_rtp_timeout_is_5_to_3600() {
    assert_error(
        |c| c.pbx.rtp_timeout_secs = 4,
        "pbx.rtp_timeout_secs: must be 5 to 3600 seconds, not 4",
    );
    assert_error(
        |c| c.pbx.rtp_timeout_secs = 3601,
        "pbx.rtp_timeout_secs: must be 5 to 3600 seconds, not 3601",
    );
    assert_valid(|c| c.pbx.rtp_timeout_secs = 5);
    assert_valid(|c| c.pbx.rtp_timeout_secs = 3600);
}

#[test]
fn pbx_register_min_expires_is_at_least_1() {
    let mut config = demo();
    config.pbx.register_min_expires = 0;
    config.pbx.register_default_expires = 0;
    assert_eq!(
        errors(&config),
        ["pbx.register_min_expires: must be at least 1 second, not 0"]
    );
}

#[test]
fn pbx_register_default_expires_is_between_min_and_max() {
    assert_error(
        |c| c.pbx.register_default_expires = 59,
        "pbx.register_default_expires: 59 is below register_min_expires (60)",
    );
    assert_error(
        |c| c.pbx.register_default_expires = 3601,
        "pbx.register_default_expires: 3601 is above register_max_expires (3600)",
    );
    assert_valid(|c| {
        c.pbx.register_min_expires = 600;
        c.pbx.register_max_expires = 600;
    });
}

#[test]
fn pbx_nonce_ttl_is_at_least_10() {
    assert_error(
        |c| c.pbx.nonce_ttl_secs = 9,
        "pbx.nonce_ttl_secs: must be at least 10 seconds, not 9",
    );
    assert_valid(|c| c.pbx.nonce_ttl_secs = 10);
}

#[test]
fn pbx_drain_timeout_is_at_most_3600() {
    assert_error(
        |c| c.pbx.drain_timeout_secs = 3601,
        "pbx.drain_timeout_secs: must be at most 3600 seconds, not 3601",
    );
    assert_valid(|c| c.pbx.drain_timeout_secs = 0);
}

#[test]
fn pbx_max_calls_is_1_to_100000() {
    assert_error(
        |c| c.pbx.max_calls = 0,
        "pbx.max_calls: must be 1 to 100000 calls, not 0",
    );
    assert_error(
        |c| c.pbx.max_calls = 100_001,
        "pbx.max_calls: must be 1 to 100000 calls, not 100001",
    );
    assert_valid(|c| c.pbx.max_calls = 1);
    assert_valid(|c| c.pbx.max_calls = 100_000);
}

// [numbering].

#[test]
fn numbering_country_code_is_1_to_3_digits() {
    assert_error(
        |c| c.numbering.country_code = "+7".into(),
        r#"numbering.country_code: "+7" must be 1 to 3 digits, without +"#,
    );
    assert_error(
        |c| c.numbering.country_code = "1234".into(),
        r#"numbering.country_code: "1234" must be 1 to 3 digits, without +"#,
    );
}

#[test]
fn numbering_area_code_is_digits_or_empty() {
    assert_error(
        |c| c.numbering.area_code = "49x".into(),
        r#"numbering.area_code: "49x" is not a number of digits"#,
    );
    assert_valid(|c| c.numbering.area_code = String::new());
}

// All at once.

#[test]
fn all_errors_are_collected_in_file_order() {
    let mut config = demo();
    config.queues[0]
        .members
        .push(sb_config::MemberEntry::Plain("199".into()));
    config.dids[0].trunk = "carier".into();
    config.extensions[3].number = "10a".into();
    config.pbx.ring_timeout_secs = 0;
    let error = config.validate().unwrap_err();
    let expected = [
        "pbx.ring_timeout_secs: must be 1 to 600 seconds, not 0",
        r#"extension[3].number: "10a" is not a number of digits"#,
        r#"did[0].trunk: unknown trunk "carier""#,
        // The sales queue lost member 104 when its extension was renumbered.
        r#"queue[0].members[1]: unknown extension "104""#,
        r#"queue[0].members[3]: unknown extension "199""#,
    ];
    assert_eq!(error.to_string(), expected.join("\n"));
    assert_eq!(error.errors().len(), expected.len());
}

// Internal numbers.

#[test]
fn internal_number_must_be_2_to_6_digits() {
    assert_error(
        |c| c.internals[0].number = "8".into(),
        r#"internal[0].number: "8" must be 2 to 6 digits long"#,
    );
    assert_error(
        |c| c.internals[0].number = "80a".into(),
        r#"internal[0].number: "80a" is not a number of digits"#,
    );
    assert_valid(|c| c.internals[0].number = "80".into());
}

#[test]
fn an_internal_star_code_leads_to_a_scenario_like_a_feature_code() {
    assert_valid(|c| c.internals[0].number = "*800".into());
    assert_error(
        |c| c.internals[0].number = "*80000".into(),
        r#"internal[0].number: "*80000" must be * and 1 to 4 digits"#,
    );
    assert_error(
        |c| c.internals[0].number = "*51".into(),
        r#"internal[0].number: "*51" is already used by feature_code[0]"#,
    );
    assert_error(
        |c| c.internals[0].number = "*97".into(),
        r#"internal[0].number: "*97" is Switchboard's own code (own voicemail box)"#,
    );
}

#[test]
fn internal_number_must_not_be_an_extension_a_queue_or_another_internal() {
    assert_error(
        |c| c.internals[0].number = "101".into(),
        r#"internal[0].number: "101" is already used by extension[0]"#,
    );
    assert_error(
        |c| c.internals[0].number = "701".into(),
        r#"internal[0].number: "701" is already used by queue[1]"#,
    );
    assert_error(
        |c| {
            let copy = c.internals[0].clone();
            c.internals.push(copy);
        },
        r#"internal[2].number: "800" is already used by internal[0]"#,
    );
}

#[test]
fn internal_target_must_exist() {
    assert_error(
        |c| c.internals[0].target = "scenario:mian".into(),
        r#"internal[0].target: unknown scenario "mian""#,
    );
    assert_error(
        |c| c.internals[0].target = "queue:billing".into(),
        r#"internal[0].target: unknown queue "billing""#,
    );
    assert_error(
        |c| c.internals[0].target = "extension:199".into(),
        r#"internal[0].target: unknown extension "199""#,
    );
    assert_error(
        |c| c.internals[0].target = "menu:main".into(),
        r#"internal[0].target: "menu:main" must be extension:NUMBER, queue:NAME or scenario:NAME"#,
    );
    assert_valid(|c| c.internals[0].target = "queue:support".into());
    assert_valid(|c| c.internals[0].target = "extension:109".into());
}

// Feature codes.

#[test]
fn feature_code_is_a_star_and_1_to_4_digits() {
    for bad in ["51", "*", "*12345", "*5a", "**51", "#51"] {
        assert_error(
            |c| c.feature_codes[0].code = bad.into(),
            &format!("feature_code[0].code: {bad:?} must be * and 1 to 4 digits"),
        );
    }
    assert_valid(|c| c.feature_codes[0].code = "*1".into());
    assert_valid(|c| c.feature_codes[0].code = "*1234".into());
}

#[test]
fn feature_codes_must_be_unique_and_not_switchboards_own() {
    assert_error(
        |c| c.feature_codes[2].code = "*51".into(),
        r#"feature_code[2].code: "*51" is already used by feature_code[0]"#,
    );
    assert_error(
        |c| c.feature_codes[0].code = "*97".into(),
        r#"feature_code[0].code: "*97" is Switchboard's own code (own voicemail box)"#,
    );
    assert_error(
        |c| c.feature_codes[1].code = "*8".into(),
        r#"feature_code[1].code: "*8" is Switchboard's own code (group pickup)"#,
    );
}

#[test]
fn feature_code_schedule_must_exist() {
    assert_error(
        |c| c.feature_codes[1].schedule = "shop".into(),
        r#"feature_code[1].schedule: unknown schedule "shop""#,
    );
}

#[test]
fn feature_code_allowed_must_be_extensions_listed_once() {
    assert_error(
        |c| c.feature_codes[0].allowed.push("199".into()),
        r#"feature_code[0].allowed[2]: unknown extension "199""#,
    );
    assert_error(
        |c| c.feature_codes[0].allowed.push("101".into()),
        r#"feature_code[0].allowed[2]: "101" is listed twice"#,
    );
    // Nobody allowed is valid: the code is configured but locked.
    assert_valid(|c| c.feature_codes[0].allowed.clear());
}

#[test]
fn feature_code_hours_are_at_least_1_and_not_with_auto() {
    assert_error(
        |c| c.feature_codes[0].hours = Some(0),
        "feature_code[0].hours: must be at least 1 hour",
    );
    assert_error(
        |c| c.feature_codes[2].hours = Some(2),
        r#"feature_code[2].hours: means nothing with mode "auto", which removes the override"#,
    );
    assert_valid(|c| c.feature_codes[0].hours = Some(12));
}

// Scenarios against the extensions' mobiles.

#[test]
fn a_dial_of_the_mobile_needs_the_extension_to_have_one() {
    use sb_flow::scenario::StepConfig;
    let ring_mobile = |c: &mut Config| {
        let main = c.scenarios.get_mut("main").expect("the demo has main");
        let Some(StepConfig::Dial(operator)) = main.steps.get_mut("operator") else {
            panic!("the demo's operator step is a dial")
        };
        operator.mobile = true;
    };
    assert_valid(ring_mobile);
    assert_error(
        |c| {
            ring_mobile(c);
            c.extensions[0].mobile = None;
        },
        r#"scenario.main.steps.operator.mobile: extension "101" has no mobile"#,
    );
}

#[test]
fn overlapping_schedule_rules_are_reported_at_their_paths() {
    use sb_flow::schedule::HolidayConfig;
    assert_error(
        |c| {
            let main = c.schedules.get_mut("main").expect("the demo has main");
            main.holidays.push(HolidayConfig {
                date: "01-05".into(),
                name: None,
            });
        },
        r#"schedule.main.holidays[7].date: "01-05" overlaps holidays[0] ("01-01..01-08")"#,
    );
    assert_error(
        |c| {
            let main = c.schedules.get_mut("main").expect("the demo has main");
            main.fri = vec!["09:00-13:30".into()];
        },
        r#"schedule.main.lunch: "13:00-14:00" is partly outside the working hours on fri"#,
    );
}

// The responsible-manager service.

#[test]
fn icm_mistakes_have_key_paths_and_never_quote_a_secret() {
    let text = sb_config::DEMO_TOML.replace(
        "[icm]\norder = [\"history\"]",
        "[icm]\norder = [\"history\", \"bitrix24\", \"megaplan\"]\ntimeout_ms = 0",
    ) + r#"
[icm.bitrix24]
webhook = "portal/rest/1/s3cr3t/"
users = { "3" = "110" }
"#;
    let errors = sb_config::parse(&text).unwrap_err().to_string();
    let lines: Vec<&str> = errors.lines().collect();
    assert_eq!(
        lines,
        [
            "icm.order[2]: megaplan has no [icm.megaplan] table",
            "icm.timeout_ms: must be more than 0",
            "icm.bitrix24.webhook: is not an http(s) URL",
            "icm.bitrix24.users.3: unknown extension \"110\"",
        ]
    );
    assert!(!errors.contains("s3cr3t"));
}

#[test]
fn icm_unknown_keys_and_excluded_strangers() {
    let text = sb_config::DEMO_TOML.replace("[icm.history]\n", "[icm.history]\ndays = 3\n");
    let errors = sb_config::parse(&text).unwrap_err().to_string();
    assert!(
        errors.starts_with("icm.history.days: unknown field `days`"),
        "{errors}"
    );
    assert_error(
        |c| {
            c.icm.as_mut().unwrap().exclude.insert("110".into());
        },
        "icm.exclude: unknown extension \"110\"",
    );
}

#[test]
fn icm_round_trips_with_its_credentials_and_debug_hides_them() {
    let text = sb_config::DEMO_TOML.replace(
        "[icm]\norder = [\"history\"]",
        "[icm]\norder = [\"amocrm\", \"history\"]",
    ) + r#"
[icm.amocrm]
url = "http://127.0.0.1:9"
token = "t0ken"
users = { "7" = "105" }
"#;
    let config = sb_config::parse(&text).unwrap();
    assert!(!format!("{config:?}").contains("t0ken"));
    let written = toml::to_string(&config).unwrap();
    assert_eq!(sb_config::parse(&written), Ok(config));
}

// Queue steps of scenarios.

/// The demo's `main` scenario step `name`, a queue step.
fn queue_step<'a>(config: &'a mut Config, name: &str) -> &'a mut sb_flow::scenario::QueueStep {
    let step = config
        .scenarios
        .get_mut("main")
        .and_then(|main| main.steps.get_mut(name));
    match step {
        Some(sb_flow::scenario::StepConfig::Queue(step)) => step,
        other => panic!("the demo's main.{name} is a queue step: {other:?}"),
    }
}

fn sales_step(config: &mut Config) -> &mut sb_flow::scenario::QueueStep {
    queue_step(config, "sales")
}

#[test]
fn a_queue_step_names_a_queue_and_its_exit_keys_are_not_the_callback_key() {
    assert_error(
        |c| sales_step(c).queue = "sale".into(),
        r#"scenario.main.steps.sales.queue: unknown queue "sale""#,
    );
    let callback_and_exit = |c: &mut Config| {
        c.queues[0].callback_key = Some('*');
        let exits = &mut sales_step(c).exit_keys;
        exits.insert("*".into(), "operator".into());
        exits.insert("0".into(), "operator".into());
    };
    assert_error(
        callback_and_exit,
        r#"scenario.main.steps.sales.exit_keys.*: "*" is the callback key of queue "sales"; an exit key must differ"#,
    );
    assert_valid(|c| {
        c.queues[0].callback_key = Some('*');
        sales_step(c)
            .exit_keys
            .insert("0".into(), "operator".into());
    });
    assert_error(
        |c| c.queues[0].callback_key = Some('x'),
        r#"queue[0].callback_key: 'x' is not a keypad key (0-9, *, #)"#,
    );
}

#[test]
fn queue_keys_round_trip_through_toml() {
    let mut config = demo();
    config.queues[0].callback_key = Some('*');
    config.queues[0].callback_attempts = 2;
    config.queues[0].callback_pause = 30;
    sales_step(&mut config)
        .exit_keys
        .insert("0".into(), "operator".into());
    let written = toml::to_string(&config).unwrap();
    assert!(written.contains("callback_key = \"*\""), "{written}");
    assert_eq!(sb_config::parse(&written), Ok(config));
}

#[test]
fn an_agent_announcement_names_a_prompt() {
    for blank in ["", "  "] {
        assert_error(
            |c| c.queues[0].agent_announcement = Some(blank.into()),
            "queue[0].agent_announcement: must name a prompt",
        );
    }
    assert_error(
        |c| {
            c.queues[1].announce_to_agent = true;
            c.queues[1].agent_announcement = Some(String::new());
        },
        "queue[1].agent_announcement: must name a prompt",
    );
    assert_valid(|c| {
        c.queues[0].announce_to_agent = true;
        c.queues[0].agent_announcement = Some("sales-for-agents".into());
    });
    // Kept while the announcement is switched off, to switch it on again.
    assert_valid(|c| c.queues[0].agent_announcement = Some("sales-for-agents".into()));
}

#[test]
fn agent_announcement_keys_round_trip_through_toml() {
    let written = toml::to_string(&demo()).unwrap();
    assert!(!written.contains("announce_to_agent"), "{written}");
    assert!(!written.contains("agent_announcement"), "{written}");

    let mut config = demo();
    config.queues[0].announce_to_agent = true;
    config.queues[0].agent_announcement = Some("sales-for-agents".into());
    config.queues[1].announce_to_agent = true;
    let written = toml::to_string(&config).unwrap();
    assert!(written.contains("announce_to_agent = true"), "{written}");
    assert!(
        written.contains("agent_announcement = \"sales-for-agents\""),
        "{written}"
    );
    assert_eq!(sb_config::parse(&written), Ok(config));
}
