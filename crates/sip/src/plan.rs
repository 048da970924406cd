//! One version of what calls read from the configuration: the validated file, the scenarios
//! and schedules compiled for the flow engine, and the voice the PBX speaks with.
//!
//! A call takes the current plan when its INVITE arrives and keeps that `Arc` to its end,
//! so a reload (SIGHUP, the API) or a manual schedule override changes what *new* calls
//! do while calls in progress finish on the version they started with.

use sb_config::Config;
use sb_flow::scenario::{
    DialStep, Flows, HangupStep, Outcome, QueueStep, ResponsibleStep, RingMemory, ScenarioConfig,
    StepConfig, VoicemailStep,
};
use sb_flow::schedule::Override;
use sb_media::audio::Clip;
use sb_media::audio::{Language, PromptSet};
use sb_media::playout::MohClass;
use sb_media::tones::{tone_clip, ToneKind, TonePlan};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

/// How the PBX sounds: its prompts, their default language and its tones.
pub struct Voice {
    /// Shipped prompts, with the operator's override directory first.
    pub prompts: PromptSet,
    /// The language of prompts for callers no step chose another for.
    pub language: Language,
    /// Ringback, busy and beep as the callers' network plays them.
    pub tone_plan: TonePlan,
    /// Where voicemail messages are written (`<dir>/<box>/...wav`).
    pub voicemail_dir: PathBuf,
    /// Where connected calls are recorded (`<dir>/<date>/<call id>.wav`), when they are.
    pub recordings_dir: Option<PathBuf>,
    /// Music-on-hold classes by name; `default` is what held callers hear.
    pub moh: BTreeMap<String, Arc<MohClass>>,
}

/// How long a repeating tone named among a step's prompts (`tone:busy`) plays.
const TONE_PROMPT: std::time::Duration = std::time::Duration::from_secs(4);

impl Voice {
    /// What a prompt name sounds like: a call-progress tone for `tone:NAME` (`tone:busy`,
    /// `tone:beep`; repeating tones for four seconds), else the prompt in `language`.
    pub fn clip(&self, language: Language, name: &str) -> Result<Arc<Clip>, String> {
        match name.strip_prefix("tone:") {
            Some(tone) => {
                let kind = ToneKind::from_name(tone).ok_or_else(|| {
                    let known: Vec<&str> = ToneKind::ALL.iter().map(|k| k.name()).collect();
                    format!("unknown tone {tone:?} (known: {})", known.join(", "))
                })?;
                Ok(Arc::new(tone_clip(self.tone_plan.tone(kind), TONE_PROMPT)))
            }
            None => self.prompts.get(language, name).map_err(|e| e.to_string()),
        }
    }

    /// The clips of `names` in order, for one playback; a prompt that cannot be played is
    /// left out with a log line naming it, and the rest is played.
    pub fn clips<S: AsRef<str>>(
        &self,
        language: Language,
        names: impl IntoIterator<Item = S>,
    ) -> Vec<Arc<Clip>> {
        names
            .into_iter()
            .filter_map(|name| {
                let name = name.as_ref();
                self.clip(language, name)
                    .map_err(|e| {
                        tracing::warn!(prompt = %name, language = language.code(), error = %e, "prompt skipped");
                    })
                    .ok()
            })
            .collect()
    }

    /// The class a held party hears: `default`, if the music has been started.
    pub fn hold_music(&self) -> Option<Arc<MohClass>> {
        self.moh.get(HOLD_CLASS).cloned()
    }
}

/// The music-on-hold class for calls put on hold.
pub const HOLD_CLASS: &str = "default";

/// Everything a call reads from the configuration, as one version.
pub struct Plan {
    pub config: Arc<Config>,
    pub flows: Arc<Flows>,
}

/// Why a configuration could not become a plan.
#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    /// The schedules or scenarios do not compile (the configuration was not validated?).
    #[error("{0}")]
    Flows(String),
    /// Prompts named by scenarios that neither the override nor the shipped directory has.
    #[error("{}", .0.join("\n"))]
    MissingPrompts(Vec<String>),
    /// The responsible-manager service cannot be built from `[icm]`.
    #[error("[icm]: {0}")]
    Icm(String),
}

impl Plan {
    /// Compiles `config` for the flow engine, lays the manual `overrides` on its schedules
    /// and checks that every prompt its scenarios name can be played in `voice`'s language.
    pub fn new(
        config: Arc<Config>,
        voice: &Voice,
        overrides: &BTreeMap<String, Override>,
    ) -> Result<Plan, PlanError> {
        let mut flows = compile_flows(&config)?;
        for (schedule, manual) in overrides {
            flows.set_override(schedule, Some(manual.clone()));
        }
        check_prompts(&config, &flows, voice)?;
        Ok(Plan {
            config,
            flows: Arc::new(flows),
        })
    }

    /// The same plan remembering who answered each round-robin ring group last (carried
    /// over a reload so the rotation does not restart).
    pub fn with_ring_memory(self, memory: RingMemory) -> Plan {
        let flows = Arc::unwrap_or_clone(self.flows).with_ring_memory(memory);
        Plan {
            config: self.config,
            flows: Arc::new(flows),
        }
    }

    /// The same plan with `overrides` laid on its schedules instead.
    pub fn with_overrides(&self, overrides: &BTreeMap<String, Override>) -> Plan {
        let mut flows = (*self.flows).clone();
        for schedule in self.config.schedules.keys() {
            flows.set_override(schedule, overrides.get(schedule).cloned());
        }
        Plan {
            config: self.config.clone(),
            flows: Arc::new(flows),
        }
    }
}

fn compile_flows(config: &Config) -> Result<Flows, PlanError> {
    let mut schedules = BTreeMap::new();
    for (name, schedule) in &config.schedules {
        let compiled = schedule
            .compile(name)
            .map_err(|e| PlanError::Flows(e.to_string()))?;
        schedules.insert(name.clone(), compiled);
    }
    let extensions = config
        .extensions
        .iter()
        .map(|e| (e.number.clone(), e.mobile.clone()))
        .collect();
    let mut scenarios = config.scenarios.clone();
    for queue in &config.queues {
        scenarios
            .entry(queue_scenario(&queue.name))
            .or_insert_with(|| implicit_queue_scenario(&queue.name));
    }
    for extension in &config.extensions {
        if let Some(ring_secs) = config.no_answer_voicemail(&extension.number) {
            scenarios
                .entry(extension_scenario(&extension.number))
                .or_insert_with(|| implicit_extension_scenario(&extension.number, ring_secs));
        }
    }
    scenarios
        .entry(sb_config::RESPONSIBLE_SCENARIO.to_owned())
        .or_insert_with(implicit_responsible_scenario);
    Flows::new(scenarios, schedules, extensions).map_err(|e| PlanError::Flows(e.to_string()))
}

/// The built-in scenario of the responsible-manager service (`scenario:responsible`, 6100
/// in the demo), like `queue:NAME` for queues: one `responsible` step for the calling
/// number; a manager found is rung, and when nobody is found (an extension calling has no
/// manager) or the manager does not answer, the call ends with that outcome as its cause.
fn implicit_responsible_scenario() -> ScenarioConfig {
    let hangup = |cause: &str| {
        StepConfig::Hangup(HangupStep {
            cause: cause.to_owned(),
        })
    };
    let on = [
        (Outcome::NoAnswer, "no_answer"),
        (Outcome::Busy, "busy"),
        (Outcome::Unavailable, "unavailable"),
    ];
    let mut steps = BTreeMap::from([(
        "responsible".to_owned(),
        StepConfig::Responsible(ResponsibleStep {
            on: on
                .iter()
                .map(|(outcome, step)| (*outcome, (*step).to_owned()))
                .collect(),
            next: Some("not_found".to_owned()),
            ..ResponsibleStep::default()
        }),
    )]);
    for cause in ["no_answer", "busy", "unavailable", "not_found"] {
        steps.insert(cause.to_owned(), hangup(cause));
    }
    ScenarioConfig {
        entry: "responsible".to_owned(),
        default: "not_found".to_owned(),
        schedule: None,
        steps,
    }
}

/// The scenario a call to a queue's DID or internal number runs: `queue:NAME`.
pub(crate) fn queue_scenario(queue: &str) -> String {
    format!("queue:{queue}")
}

/// One step, the queue; whatever way the caller leaves it without an agent, the call ends.
fn implicit_queue_scenario(queue: &str) -> ScenarioConfig {
    let steps = BTreeMap::from([
        (
            "queue".to_owned(),
            StepConfig::Queue(QueueStep {
                queue: queue.to_owned(),
                exit_keys: BTreeMap::new(),
                on: BTreeMap::new(),
                next: Some("end".to_owned()),
            }),
        ),
        (
            "end".to_owned(),
            StepConfig::Hangup(HangupStep {
                cause: "queue_left".to_owned(),
            }),
        ),
    ]);
    ScenarioConfig {
        entry: "queue".to_owned(),
        default: "end".to_owned(),
        schedule: None,
        steps,
    }
}

/// The scenario a direct call to an extension with voicemail on no answer runs
/// ([`crate::routing::Route::ExtensionWithVoicemail`]): `extension:NUMBER`.
pub(crate) fn extension_scenario(number: &str) -> String {
    format!("extension:{number}")
}

/// Rings the extension for `ring_secs`; when nobody answers, the person is busy (their busy
/// greeting then plays) or no phone is registered, the extension's own box takes the call.
/// A dial that could not be made at all (no media ports) ends the call as before: 480.
fn implicit_extension_scenario(number: &str, ring_secs: u32) -> ScenarioConfig {
    let to_the_box = [Outcome::NoAnswer, Outcome::Busy, Outcome::Unavailable]
        .into_iter()
        .map(|outcome| (outcome, "voicemail".to_owned()))
        .collect();
    let steps = BTreeMap::from([
        (
            "dial".to_owned(),
            StepConfig::Dial(DialStep {
                extension: number.to_owned(),
                mobile: false,
                timeout: ring_secs,
                on: to_the_box,
                next: Some("end".to_owned()),
            }),
        ),
        (
            "voicemail".to_owned(),
            StepConfig::Voicemail(VoicemailStep {
                mailbox: number.to_owned(),
            }),
        ),
        (
            "end".to_owned(),
            StepConfig::Hangup(HangupStep {
                cause: "failed".to_owned(),
            }),
        ),
    ]);
    ScenarioConfig {
        entry: "dial".to_owned(),
        default: "end".to_owned(),
        schedule: None,
        steps,
    }
}

/// Loads every prompt the scenarios and queues name, so a missing or broken file is
/// reported at start (or refused on reload) with its key path rather than found by a
/// caller; loading also warms the cache, so calls never wait for the disk.
fn check_prompts(config: &Config, flows: &Flows, voice: &Voice) -> Result<(), PlanError> {
    let queue_prompts = config.queues.iter().enumerate().filter_map(|(i, queue)| {
        let prompt = queue.agent_announcement.clone()?;
        Some((format!("queue[{i}].agent_announcement"), prompt))
    });
    let missing: Vec<String> = flows
        .prompt_names()
        .into_iter()
        .chain(queue_prompts)
        .filter_map(|(path, name)| {
            voice
                .clip(voice.language, &name)
                .err()
                .map(|e| format!("{path}: prompt \"{name}\" cannot be played: {e}"))
        })
        .collect();
    if missing.is_empty() {
        Ok(())
    } else {
        Err(PlanError::MissingPrompts(missing))
    }
}

/// Checks that `config` can become a plan in `voice`: what `check-config` and a reload
/// refuse beyond the file's own errors (prompts the scenarios name that cannot be played).
pub fn check_plan(config: Arc<Config>, voice: &Voice) -> Result<(), PlanError> {
    Plan::new(config, voice, &BTreeMap::new()).map(drop)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The shipped prompts, in the demo's language.
    fn voice() -> Voice {
        let shipped = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../prompts");
        Voice {
            prompts: PromptSet::new(shipped),
            language: Language::Ru,
            tone_plan: TonePlan::Russia,
            voicemail_dir: PathBuf::from("voicemail"),
            recordings_dir: None,
            moh: BTreeMap::new(),
        }
    }

    /// With voicemail on no answer, a direct call to 103 is a dial of 103 for its ring
    /// time, then its box on no answer, busy or unavailable; an answer, or the caller
    /// hanging up while it rings, ends the flow with no box. Off (the demo), nothing is
    /// added.
    #[test]
    fn voicemail_on_no_answer_is_a_dial_then_the_extensions_box() {
        use sb_flow::scenario::{Action, CallFlow, DialTarget, Event};
        use std::time::Duration;

        let demo = Plan::new(Arc::new(sb_config::demo()), &voice(), &BTreeMap::new()).unwrap();
        for extension in &demo.config.extensions {
            assert!(demo
                .flows
                .scenario(&extension_scenario(&extension.number))
                .is_none());
        }

        let mut config = sb_config::demo();
        config.voicemail.on_no_answer = true;
        config.extensions[2].voicemail_ring_timeout_secs = Some(25);
        config.extensions[3].voicemail_on_no_answer = Some(false);
        let plan = Plan::new(Arc::new(config), &voice(), &BTreeMap::new()).unwrap();
        assert!(plan.flows.scenario(&extension_scenario("104")).is_none());
        let now = "2026-11-23T07:05:00Z".parse().unwrap();
        let start = |number: &str| {
            CallFlow::start(
                plan.flows.clone(),
                &extension_scenario(number),
                now,
                BTreeMap::new(),
            )
        };
        let dial = |number: &str, secs: u64| Action::Dial {
            targets: vec![DialTarget::Extension(number.into())],
            timeout: Duration::from_secs(secs),
        };
        for (outcome, routed) in [
            (
                Outcome::NoAnswer,
                "dial 103: no answer after 25 s → voicemail",
            ),
            (Outcome::Busy, "dial 103: busy → voicemail"),
            (Outcome::Unavailable, "dial 103: unavailable → voicemail"),
        ] {
            let (mut call, actions) = start("103");
            assert_eq!(actions, [dial("103", 25)]);
            let actions = call.on_event(Event::DialOutcome(outcome), now);
            assert_eq!(
                actions,
                [
                    Action::Answer,
                    Action::Voicemail {
                        mailbox: "103".into()
                    }
                ]
            );
            let trace: Vec<&str> = call.trace().iter().map(|e| e.text.as_str()).collect();
            assert_eq!(
                trace,
                [
                    "scenario extension:103",
                    "dial 103 (25 s)",
                    routed,
                    "voicemail 103"
                ]
            );
        }

        let (mut call, actions) = start("105");
        assert_eq!(actions, [dial("105", 20)], "[voicemail]'s ring time");
        assert_eq!(
            call.on_event(Event::DialOutcome(Outcome::Answered), now),
            []
        );
        assert!(call.is_finished());
        let (mut call, _) = start("105");
        assert_eq!(call.on_event(Event::CallerHungUp, now), []);
        assert!(call.is_finished());
        assert_eq!(
            call.on_event(Event::DialOutcome(Outcome::NoAnswer), now),
            []
        );
    }

    /// A queue's `agent_announcement` must be a prompt the PBX can play, and a missing one
    /// is refused at its key path like a scenario's prompt.
    #[test]
    fn a_queues_agent_announcement_must_exist() {
        let mut config = sb_config::demo();
        config.queues[1].announce_to_agent = true;
        assert!(check_plan(Arc::new(config.clone()), &voice()).is_ok());
        config.queues[1].agent_announcement = Some("queue-thank-you".into());
        assert!(check_plan(Arc::new(config.clone()), &voice()).is_ok());

        config.queues[1].agent_announcement = Some("no-such-prompt".into());
        let error = check_plan(Arc::new(config), &voice()).unwrap_err();
        let PlanError::MissingPrompts(lines) = &error else {
            panic!("{error}");
        };
        assert_eq!(lines.len(), 1, "{error}");
        assert!(
            lines[0].starts_with("queue[1].agent_announcement: prompt \"no-such-prompt\""),
            "{error}"
        );
    }
}
