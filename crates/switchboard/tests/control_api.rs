//! The controls of the HTTP API on the real binary: schedule overrides and configuration
//! reload, asked from the PBX's own machine (loopback) as an operator's `curl` would.

mod common;

use common::http::{get, request};
use common::{ConfigText, Pbx, PbxOptions};
use std::fs;

/// Monday 23 November 2026, 10:00 in Moscow: working hours.
const MONDAY_10: &str = "2026-11-23T10:00:00+03:00";

fn main_schedule(body: &str) -> &str {
    let at = body
        .find("\"name\":\"main\"")
        .unwrap_or_else(|| panic!("no schedule main in {body}"));
    &body[at..]
}

#[test]
fn an_override_by_the_api_changes_the_mode_until_lifted() {
    let pbx = Pbx::start(PbxOptions::demo().arg("--start-time").arg(MONDAY_10));
    let (status, body) = get(pbx.http, "/api/schedules");
    assert_eq!(status, 200, "{body}");
    assert!(
        main_schedule(&body).starts_with("\"name\":\"main\",\"mode\":\"day\""),
        "{body}"
    );

    let (status, body) = request(
        pbx.http,
        "PUT",
        "/api/schedules/main/override",
        Some(r#"{"mode": "night", "hours": 2, "set_by": "Anna"}"#),
    );
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("\"mode\":\"night\""), "{body}");
    assert!(body.contains("\"set_by\":\"Anna\""), "{body}");
    assert!(
        body.contains("\"until\":\"2026-11-23T09:00:"),
        "two hours from 07:00 UTC: {body}"
    );
    let (_, listed) = get(pbx.http, "/api/schedules");
    assert!(
        main_schedule(&listed).contains("\"mode\":\"night\""),
        "{listed}"
    );

    let (status, body) = request(pbx.http, "DELETE", "/api/schedules/main/override", None);
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("\"mode\":\"day\""), "{body}");
    assert!(body.contains("\"override\":null"), "{body}");

    let (status, body) = request(
        pbx.http,
        "PUT",
        "/api/schedules/annex/override",
        Some(r#"{"mode": "night"}"#),
    );
    assert_eq!(status, 404, "{body}");
    let (status, body) = request(
        pbx.http,
        "PUT",
        "/api/schedules/main/override",
        Some(r#"{"mode": "siesta"}"#),
    );
    assert_eq!(status, 422, "{body}");
    assert!(body.contains("siesta"), "{body}");
}

#[test]
fn reload_by_the_api_takes_a_good_file_and_refuses_a_broken_one() {
    let pbx = Pbx::start(
        PbxOptions::with_config(ConfigText::demo())
            .arg("--start-time")
            .arg(MONDAY_10),
    );
    let file = pbx.dir().join("switchboard.toml");
    let original = fs::read_to_string(&file).expect("the config file");

    // Moved to New York, 10:00 in Moscow is 02:00 there: night.
    let moved = original.replacen(
        "time_zone = \"Europe/Moscow\"",
        "time_zone = \"America/New_York\"",
        1,
    );
    assert_ne!(moved, original, "the demo has a Moscow schedule");
    fs::write(&file, &moved).unwrap();
    let (status, body) = request(pbx.http, "POST", "/api/reload", None);
    assert_eq!(status, 200, "{body}");
    assert_eq!(body, r#"{"reloaded":true}"#);
    let (_, listed) = get(pbx.http, "/api/schedules");
    assert!(
        main_schedule(&listed).contains("\"mode\":\"night\""),
        "{listed}"
    );
    assert!(listed.contains("America/New_York"), "{listed}");

    let broken = moved.replacen(
        "target = \"scenario:main\"",
        "target = \"scenario:nope\"",
        1,
    );
    fs::write(&file, &broken).unwrap();
    let (status, body) = request(pbx.http, "POST", "/api/reload", None);
    assert_eq!(status, 422, "{body}");
    assert!(
        body.contains("did[0].target"),
        "the error names the key: {body}"
    );
    let (_, listed) = get(pbx.http, "/api/schedules");
    assert!(
        listed.contains("America/New_York"),
        "the running configuration stays: {listed}"
    );
}

#[test]
fn the_embedded_demo_has_no_file_to_reload() {
    let pbx = Pbx::demo();
    let (status, body) = request(pbx.http, "POST", "/api/reload", None);
    assert_eq!(status, 422, "{body}");
    assert!(body.contains("embedded demo"), "{body}");
}
