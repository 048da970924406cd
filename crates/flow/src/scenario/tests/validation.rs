//! Validation: every mistake at once, each with its key path.

use super::*;

#[test]
fn unknown_targets_are_named_by_their_paths() {
    let found = errors(
        r#"
        [scenario.x]
        entry = "start"
        default = "nobody"
        [scenario.x.steps.menu]
        kind = "menu"
        prompts = ["p"]
        digits = { 1 = "salse" }
        fallback = "gone"
        [scenario.x.steps.d]
        kind = "dial"
        extension = "101"
        on = { busy = "menu", no_answer = "nowhere" }
        next = "elsewhere"
        [scenario.x.steps.h]
        kind = "schedule"
        schedule = "main"
        day = "menu"
        lunch = "d"
        night = "dark"
        holiday = "d"
    "#,
    );
    assert_eq!(
        found,
        [
            "scenario.x.entry: no step \"start\"",
            "scenario.x.default: no step \"nobody\"",
            "scenario.x.steps.d.next: no step \"elsewhere\"",
            "scenario.x.steps.d.on.no_answer: no step \"nowhere\"",
            "scenario.x.steps.h.night: no step \"dark\"",
            "scenario.x.steps.menu.fallback: no step \"gone\"",
            "scenario.x.steps.menu.digits.1: no step \"salse\"",
            "scenario.x.steps.d: no step leads here (unreachable)",
            "scenario.x.steps.h: no step leads here (unreachable)",
            "scenario.x.steps.menu: no step leads here (unreachable)",
        ]
    );
}

#[test]
fn unknown_scenarios_schedules_and_extensions() {
    let found = errors(
        r#"
        [scenario.x]
        entry = "s"
        default = "g"
        schedule = "office"
        [scenario.x.steps.s]
        kind = "schedule"
        schedule = "shop"
        day = "d"
        [scenario.x.steps.d]
        kind = "dial"
        extension = "110"
        timeout = 0
        [scenario.x.steps.g]
        kind = "goto"
        scenario = "y"

        [scenario.z]
        entry = "s"
        default = "s"
        [scenario.z.steps.s]
        kind = "schedule"
    "#,
    );
    assert_eq!(
        found,
        [
            "scenario.x.schedule: no schedule \"office\"",
            "scenario.x.steps.d.extension: no extension \"110\"",
            "scenario.x.steps.d.timeout: must be at least 1 second",
            "scenario.x.steps.g.scenario: no scenario \"y\"",
            "scenario.x.steps.s.schedule: no schedule \"shop\"",
            "scenario.z.steps.s: no schedule named here or in the scenario",
        ]
    );
}

#[test]
fn menus_prompts_and_outcomes_that_make_no_sense() {
    let found = errors(
        r##"
        [scenario.x]
        entry = "m"
        default = "q"
        [scenario.x.steps.m]
        kind = "menu"
        prompts = []
        timeout = 0
        digits = { 12 = "q", a = "q", "*" = "p", "#" = "q" }
        [scenario.x.steps.p]
        kind = "play"
        prompts = ["greeting"]
        [scenario.x.steps.q]
        kind = "queue"
        queue = "sales"
        on = { answered = "p" }
        [scenario.x.steps.e]
        kind = "play"
        prompts = []
        next = "q"
    "##,
    );
    assert_eq!(
        found,
        [
            "scenario.x.steps.e.prompts: no prompt to play",
            "scenario.x.steps.m.prompts: no prompt to play",
            "scenario.x.steps.m.timeout: must be at least 1 second",
            "scenario.x.steps.m.digits.12: \"12\" is not one DTMF key (0-9, *, #)",
            "scenario.x.steps.m.digits.a: \"a\" is not one DTMF key (0-9, *, #)",
            "scenario.x.steps.p.prompts: \"greeting\" needs the scenario's schedule",
            "scenario.x.steps.q.on.answered: an answered call is with a person; it leads to no step",
            "scenario.x.steps.e: no step leads here (unreachable)",
        ]
    );
}

#[test]
fn loops_that_never_wait_for_the_caller_are_refused() {
    let found = errors(
        r#"
        [scenario.a]
        entry = "hours"
        default = "mark"
        [scenario.a.steps.hours]
        kind = "schedule"
        schedule = "main"
        day = "mark"
        night = "menu"
        [scenario.a.steps.mark]
        kind = "set"
        attribute = "x"
        value = "1"
        next = "hours"
        [scenario.a.steps.menu]
        kind = "menu"
        prompts = ["m"]
        digits = { 1 = "menu", 2 = "away" }
        fallback = "hours"
        [scenario.a.steps.away]
        kind = "goto"
        scenario = "b"

        [scenario.b]
        entry = "back"
        default = "back"
        [scenario.b.steps.back]
        kind = "goto"
        scenario = "c"

        [scenario.c]
        entry = "self"
        default = "self"
        [scenario.c.steps.self]
        kind = "set"
        attribute = "y"
        value = "2"
        next = "self"
        [scenario.c.steps.x]
        kind = "goto"
        scenario = "a"
    "#,
    );
    assert_eq!(
        found,
        [
            "scenario.c.steps.x: no step leads here (unreachable)",
            "scenario.c.steps.self: steps self → self loop without waiting for the caller",
            "scenario.a.steps.hours: steps hours → mark → hours loop without waiting for the caller",
        ]
    );
    // A loop through a menu waits for the caller each time round: allowed.
    assert!(errors(
        r#"
        [scenario.a]
        entry = "menu"
        default = "menu"
        [scenario.a.steps.menu]
        kind = "menu"
        prompts = ["m"]
        digits = { 1 = "again" }
        [scenario.a.steps.again]
        kind = "goto"
        scenario = "a"
    "#
    )
    .is_empty());
}

#[test]
fn a_loop_across_scenarios_names_the_other_scenarios_steps() {
    let found = errors(
        r#"
        [scenario.a]
        entry = "go"
        default = "go"
        [scenario.a.steps.go]
        kind = "goto"
        scenario = "b"
        [scenario.b]
        entry = "back"
        default = "back"
        [scenario.b.steps.back]
        kind = "goto"
        scenario = "a"
    "#,
    );
    assert_eq!(
        found,
        ["scenario.a.steps.go: steps go → b.back → go loop without waiting for the caller"]
    );
}

#[test]
fn errors_display_one_per_line() {
    let text = flows_from(
        r#"
        [scenario.x]
        entry = "a"
        default = "b"
        [scenario.x.steps.a]
        kind = "hangup"
        [scenario.x.steps.c]
        kind = "hangup"
    "#,
    )
    .unwrap_err()
    .to_string();
    assert_eq!(
        text,
        "scenario.x.default: no step \"b\"\n\
         scenario.x.steps.c: no step leads here (unreachable)"
    );
}

#[test]
fn unknown_keys_and_kinds_are_refused_by_the_parser() {
    let parse = |text: &str| toml::from_str::<ScenarioConfig>(text).map_err(|e| e.to_string());
    let base = "entry = \"a\"\ndefault = \"a\"\n[steps.a]\n";
    let unknown_key = parse(&format!("{base}kind = \"hangup\"\ncuase = \"x\"\n")).unwrap_err();
    assert!(unknown_key.contains("cuase"), "{unknown_key}");
    let unknown_kind = parse(&format!("{base}kind = \"transfer\"\n")).unwrap_err();
    assert!(unknown_kind.contains("transfer"), "{unknown_kind}");
    let top = parse("entry = \"a\"\ndefault = \"a\"\nsteps = {}\nextra = 1\n").unwrap_err();
    assert!(top.contains("extra"), "{top}");
    assert!(parse(&format!("{base}kind = \"hangup\"\n")).is_ok());
}

#[test]
fn a_mobile_dial_needs_an_extension_with_a_mobile() {
    let text = r#"
        [scenario.x]
        entry = "d"
        default = "e"
        [scenario.x.steps.d]
        kind = "dial"
        extension = "109"
        mobile = true
        next = "e"
        [scenario.x.steps.e]
        kind = "dial"
        extension = "110"
        mobile = true
    "#;
    #[derive(serde::Deserialize)]
    struct File {
        scenario: BTreeMap<String, ScenarioConfig>,
    }
    let mut extensions = demo_extensions();
    extensions.insert("109".into(), None);
    let file: File = toml::from_str(text).unwrap();
    let found: Vec<String> = Flows::new(file.scenario, BTreeMap::new(), extensions)
        .unwrap_err()
        .into_iter()
        .map(|e| e.to_string())
        .collect();
    assert_eq!(
        found,
        [
            "scenario.x.steps.d.mobile: extension \"109\" has no mobile",
            // An unknown extension is reported once, at its number.
            "scenario.x.steps.e.extension: no extension \"110\"",
        ]
    );
    // With the demo's mobiles the first dial is fine.
    assert_eq!(
        errors(text),
        ["scenario.x.steps.e.extension: no extension \"110\""]
    );
}

#[test]
fn ring_groups_and_forwards_that_make_no_sense() {
    let found = errors(
        r#"
        [scenario.x]
        entry = "g"
        default = "f"
        [scenario.x.steps.g]
        kind = "ring_group"
        members = ["103", "110", "103"]
        member_timeout = 0
        on = { answered = "f", no_answer = "nowhere" }
        next = "h"
        [scenario.x.steps.h]
        kind = "ring_group"
        members = []
        next = "f"
        [scenario.x.steps.f]
        kind = "forward"
        number = "+7 900 000-01-01"
        timeout = 0
        on = { busy = "t" }
        [scenario.x.steps.t]
        kind = "forward"
        number = "+79"
    "#,
    );
    assert_eq!(
        found,
        [
            "scenario.x.steps.f.number: \"+7 900 000-01-01\" is not a phone number \
             (3 to 15 digits, optionally after +)",
            "scenario.x.steps.f.timeout: must be at least 1 second",
            "scenario.x.steps.g.on.no_answer: no step \"nowhere\"",
            "scenario.x.steps.g.members[1]: no extension \"110\"",
            "scenario.x.steps.g.members[2]: \"103\" is listed twice",
            "scenario.x.steps.g.member_timeout: must be at least 1 second",
            "scenario.x.steps.g.on.answered: an answered call is with a person; it leads to no step",
            "scenario.x.steps.h.members: no member to ring",
            "scenario.x.steps.t.number: \"+79\" is not a phone number \
             (3 to 15 digits, optionally after +)",
        ]
    );
    // Digits without + are a number too, and a good group passes.
    assert!(errors(
        r#"
        [scenario.x]
        entry = "g"
        default = "f"
        [scenario.x.steps.g]
        kind = "ring_group"
        members = ["103", "104"]
        strategy = "round_robin"
        next = "f"
        [scenario.x.steps.f]
        kind = "forward"
        number = "89000000101"
    "#
    )
    .is_empty());
}

#[test]
fn greeting_needs_the_schedule_in_menus_too() {
    let found = errors(
        r#"
        [scenario.x]
        entry = "m"
        default = "m"
        [scenario.x.steps.m]
        kind = "menu"
        prompts = ["menu"]
        timeout_prompts = ["greeting"]
    "#,
    );
    assert_eq!(
        found,
        ["scenario.x.steps.m.timeout_prompts: \"greeting\" needs the scenario's schedule"]
    );
}
