//! The engine and the validation, with fixed instants (DEMO.md's office, Moscow, UTC+3).

use crate::error::PathErrors;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};

use super::*;
use crate::schedule::{demo_schedule, Mode, Override};

/// A UTC instant from a local RFC 3339 text.
fn at(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text).unwrap().to_utc()
}

fn secs(n: i64) -> TimeDelta {
    TimeDelta::seconds(n)
}

/// Monday 2026-11-23 in Moscow.
const MORNING: &str = "2026-11-23T10:05:00+03:00";
const LUNCH: &str = "2026-11-23T13:05:00+03:00";
const NIGHT: &str = "2026-11-23T19:30:00+03:00";

fn texts(call: &CallFlow) -> Vec<&str> {
    call.trace()
        .iter()
        .map(|entry| entry.text.as_str())
        .collect()
}

fn play(prompts: &[&str], id: u32) -> Action {
    Action::Play {
        prompts: prompts.iter().map(|p| (*p).to_owned()).collect(),
        id,
    }
}

/// A dial of one extension for 15 s (the default).
fn dial(extension: &str) -> Action {
    dial_for(&[ext(extension)], 15)
}

fn dial_for(targets: &[DialTarget], seconds: u64) -> Action {
    Action::Dial {
        targets: targets.to_vec(),
        timeout: Duration::from_secs(seconds),
    }
}

fn ext(number: &str) -> DialTarget {
    DialTarget::Extension(number.to_owned())
}

fn outside(number: &str) -> DialTarget {
    DialTarget::Outside(number.to_owned())
}

fn queue(name: &str) -> Action {
    Action::Queue {
        name: name.to_owned(),
        exit_keys: BTreeMap::new(),
    }
}

fn demo_call(now: DateTime<Utc>) -> (CallFlow, Vec<Action>) {
    CallFlow::start(Arc::new(demo_flows()), "main", now, BTreeMap::new())
}

/// A demo call at 10:05 brought to the menu (the manager was not found); the menu prompt
/// is playback 2.
fn at_the_menu(now: DateTime<Utc>) -> CallFlow {
    let (mut call, _) = demo_call(now);
    assert_eq!(
        call.on_event(Event::PlayFinished(1), now),
        [Action::Responsible {
            timeout: std::time::Duration::from_secs(15),
            mobile: false
        }]
    );
    assert_eq!(
        call.on_event(Event::HookOutcome(Outcome::NotFound), now),
        [play(&["menu-default"], 2)]
    );
    assert_eq!(call.step(), "menu");
    call
}

/// Flows from the `[scenario.NAME]` tables of a TOML text, with the demo schedule `main`
/// and extensions 101-109.
fn flows_from(text: &str) -> Result<Flows, PathErrors> {
    #[derive(serde::Deserialize)]
    struct File {
        scenario: BTreeMap<String, ScenarioConfig>,
    }
    let file: File = toml::from_str(text).unwrap();
    Flows::new(
        file.scenario,
        BTreeMap::from([("main".to_owned(), demo_schedule())]),
        demo_extensions(),
    )
}

fn call_in(text: &str, scenario: &str, now: DateTime<Utc>) -> (CallFlow, Vec<Action>) {
    let flows = flows_from(text).unwrap_or_else(|e| panic!("{e}"));
    CallFlow::start(Arc::new(flows), scenario, now, BTreeMap::new())
}

/// Every error as `path: message`.
fn errors(text: &str) -> Vec<String> {
    match flows_from(text) {
        Ok(_) => Vec::new(),
        Err(errors) => errors.errors().iter().map(ToString::to_string).collect(),
    }
}

mod dial;
mod main_scenario;
mod menu;
mod queue;
mod ring_group;
mod steps;
mod validation;
