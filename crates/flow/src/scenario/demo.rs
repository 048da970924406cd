//! The demo office's scenario `main` (DEMO.md): the fixed ground tests and a first run share.

use std::collections::BTreeMap;

use super::config::Outcome;
use super::config::{
    DialStep, MenuStep, PlayStep, QueueStep, ResponsibleStep, ScenarioConfig, ScheduleStep,
    StepConfig, VoicemailStep, DEFAULT_RING_TIMEOUT,
};
use super::validate::Flows;
use crate::schedule::demo_schedule;

/// Scenario `main` as the operator would write it (the body of `[scenario.main]`);
/// [`demo_main_scenario`] builds the same value, a test keeps the two equal.
pub const DEMO_MAIN_TOML: &str = r#"
entry = "hours"
default = "operator"          # Anna, the secretary
schedule = "main"

[steps.hours]
kind = "schedule"
day = "greeting"
lunch = "lunch"
night = "night"
holiday = "night"

[steps.greeting]
kind = "play"
prompts = ["greeting"]        # good morning / afternoon / evening
next = "manager"

[steps.manager]
kind = "responsible"          # the caller's responsible manager (ICM), when known
on = { not_found = "menu" }   # nobody responsible: the menu
next = "menu"                 # the manager busy, not answering, not registered: the menu

[steps.menu]
kind = "menu"
prompts = ["menu-default"]
digits = { 1 = "sales", 2 = "support", 0 = "operator" }
timeout = 5
retries = 1
invalid_prompts = ["invalid-choice"]
fallback = "operator"         # no input: Anna
direct_dial = true            # 101-109 ring the extension

[steps.sales]
kind = "queue"
queue = "sales"

[steps.support]
kind = "queue"
queue = "support"

[steps.operator]
kind = "dial"
extension = "101"
next = "voicemail"            # Anna does not answer: a message

[steps.lunch]
kind = "play"
prompts = ["lunch"]
next = "sales"

[steps.night]
kind = "play"
prompts = ["night"]
next = "voicemail"

[steps.voicemail]
kind = "voicemail"
box = "general"
"#;

/// Scenario `main` of the demo office: working hours → greeting by time of day → the
/// responsible manager → (not found) the menu: 1 sales, 2 support, 0 or no input Anna
/// (101), extension numbers dialable; lunch → announcement → queue `sales`; night and
/// holidays → night greeting → voicemail box `general`.
pub fn demo_main_scenario() -> ScenarioConfig {
    let text = |s: &str| s.to_owned();
    let play = |prompt: &str, next: &str| {
        StepConfig::Play(PlayStep {
            prompts: vec![text(prompt)],
            answer: true,
            next: Some(text(next)),
        })
    };
    let queue = |name: &str| {
        StepConfig::Queue(QueueStep {
            queue: text(name),
            exit_keys: BTreeMap::new(),
            on: BTreeMap::new(),
            next: None,
        })
    };
    let steps = [
        (
            "hours",
            StepConfig::Schedule(ScheduleStep {
                schedule: None,
                day: Some(text("greeting")),
                lunch: Some(text("lunch")),
                night: Some(text("night")),
                holiday: Some(text("night")),
            }),
        ),
        ("greeting", play("greeting", "manager")),
        (
            "manager",
            StepConfig::Responsible(ResponsibleStep {
                on: BTreeMap::from([(Outcome::NotFound, text("menu"))]),
                next: Some(text("menu")),
                ..ResponsibleStep::default()
            }),
        ),
        (
            "menu",
            StepConfig::Menu(MenuStep {
                prompts: vec![text("menu-default")],
                digits: BTreeMap::from([
                    (text("1"), text("sales")),
                    (text("2"), text("support")),
                    (text("0"), text("operator")),
                ]),
                timeout: 5,
                retries: 1,
                invalid_prompts: vec![text("invalid-choice")],
                timeout_prompts: Vec::new(),
                fallback: Some(text("operator")),
                direct_dial: true,
            }),
        ),
        ("sales", queue("sales")),
        ("support", queue("support")),
        (
            "operator",
            StepConfig::Dial(DialStep {
                extension: text("101"),
                mobile: false,
                timeout: DEFAULT_RING_TIMEOUT,
                on: BTreeMap::new(),
                next: Some(text("voicemail")),
            }),
        ),
        ("lunch", play("lunch", "sales")),
        ("night", play("night", "voicemail")),
        (
            "voicemail",
            StepConfig::Voicemail(VoicemailStep {
                mailbox: text("general"),
            }),
        ),
    ];
    ScenarioConfig {
        entry: text("hours"),
        default: text("operator"),
        schedule: Some(text("main")),
        steps: steps
            .into_iter()
            .map(|(name, step)| (name.to_owned(), step))
            .collect(),
    }
}

/// The demo extensions, 101-109, each with its mobile `+79000000NNN` (DEMO.md).
pub fn demo_extensions() -> BTreeMap<String, Option<String>> {
    (101..=109)
        .map(|n: u32| (n.to_string(), Some(format!("+79000000{n}"))))
        .collect()
}

/// The demo office's flows: scenario `main`, schedule `main`, extensions 101-109.
pub fn demo_flows() -> Flows {
    Flows::new(
        BTreeMap::from([("main".to_owned(), demo_main_scenario())]),
        BTreeMap::from([("main".to_owned(), demo_schedule())]),
        demo_extensions(),
    )
    .expect("the demo scenario is valid")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_documented_toml_is_the_demo_scenario() {
        let parsed: ScenarioConfig = toml::from_str(DEMO_MAIN_TOML).unwrap();
        assert_eq!(parsed, demo_main_scenario());
        let text = toml::to_string(&demo_main_scenario()).unwrap();
        assert_eq!(toml::from_str::<ScenarioConfig>(&text).unwrap(), parsed);
    }

    #[test]
    fn the_demo_flows_validate() {
        let flows = demo_flows();
        assert!(flows.is_extension("104"));
        assert!(!flows.is_extension("110"));
        assert_eq!(flows.mobile("104"), Some("+79000000104"));
        assert_eq!(flows.mobile("110"), None);
    }
}
