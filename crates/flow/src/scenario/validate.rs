//! Checking scenarios before any call runs through them, every mistake with its key path.

use std::collections::{BTreeMap, BTreeSet};

use super::config::{Outcome, ScenarioConfig, StepConfig};
use super::engine::{greeting_prompt, GREETING};
use super::ring_memory::RingMemory;
use crate::error::{PathError, PathErrors};
use crate::schedule::{Greeting, ModeDecision, Override, Schedule};
use chrono::{DateTime, Utc};

/// Everything a call flow consults: the checked scenarios, the compiled schedules with
/// their manual overrides, the extension numbers that exist with their mobiles, and the
/// round-robin [`RingMemory`].
///
/// Built once from the config by [`Flows::new`] and shared (`Arc`) by every call. A clone
/// shares the ring memory with the original.
#[derive(Debug, Clone)]
pub struct Flows {
    pub(crate) scenarios: BTreeMap<String, ScenarioConfig>,
    pub(crate) schedules: BTreeMap<String, Schedule>,
    pub(crate) overrides: BTreeMap<String, Override>,
    /// Extension number → its mobile, if it has one.
    pub(crate) extensions: BTreeMap<String, Option<String>>,
    pub(crate) ring_memory: RingMemory,
}

impl Flows {
    /// Checks the scenarios against the schedules and the extension numbers, reporting
    /// every mistake: unknown step, scenario or schedule names, steps nothing leads to,
    /// loops of steps that never wait for the caller (`schedule`, `set`, `goto`), menu
    /// and queue exit keys that are not DTMF, unknown extensions, a `mobile` dial of an
    /// extension with no mobile, ring groups without members or with a member twice,
    /// outside numbers that are not numbers, empty prompts, zero timeouts, and `answered`
    /// mapped to a step (a person has the call; the flow is over). Whether an exit key is
    /// also its queue's callback key is checked with the queues, by the configuration.
    ///
    /// `extensions` maps each extension number to its mobile (`+79000000101`), if any.
    /// The ring memory starts empty; see [`Flows::with_ring_memory`].
    pub fn new(
        scenarios: BTreeMap<String, ScenarioConfig>,
        schedules: BTreeMap<String, Schedule>,
        extensions: BTreeMap<String, Option<String>>,
    ) -> Result<Flows, PathErrors> {
        let flows = Flows {
            scenarios,
            schedules,
            overrides: BTreeMap::new(),
            extensions,
            ring_memory: RingMemory::new(),
        };
        let mut errors = Vec::new();
        for (name, scenario) in &flows.scenarios {
            flows.check_scenario(name, scenario, &mut errors);
        }
        flows.check_loops(&mut errors);
        match PathErrors::from_vec(errors) {
            Some(errors) => Err(errors),
            None => Ok(flows),
        }
    }

    /// Lays a manual override on a schedule (`None` removes it); calls started after
    /// this see it.
    pub fn set_override(&mut self, schedule: &str, manual: Option<Override>) {
        match manual {
            Some(manual) => self.overrides.insert(schedule.to_owned(), manual),
            None => self.overrides.remove(schedule),
        };
    }

    /// The round-robin memory these flows read and write; a handle to the same memory.
    pub fn ring_memory(&self) -> RingMemory {
        self.ring_memory.clone()
    }

    /// These flows with `memory` in place of their own: on a configuration reload the
    /// shell passes the old flows' [`Flows::ring_memory`], so round-robin groups go on
    /// where they were. Groups that no longer exist are harmless: nothing asks for them.
    pub fn with_ring_memory(mut self, memory: RingMemory) -> Flows {
        self.ring_memory = memory;
        self
    }

    /// The mode of schedule `name` at `now`, with its manual override laid on: what a call
    /// starting now would be routed by. `None` for an unknown schedule.
    pub fn schedule_mode(&self, name: &str, now: DateTime<Utc>) -> Option<ModeDecision> {
        let schedule = self.schedules.get(name)?;
        Some(schedule.mode_at_with(now, self.overrides.get(name)))
    }

    /// Whether `number` is a known extension.
    pub fn is_extension(&self, number: &str) -> bool {
        self.extensions.contains_key(number)
    }

    /// The mobile of extension `number`, if it exists and has one.
    pub fn mobile(&self, number: &str) -> Option<&str> {
        self.extensions.get(number)?.as_deref()
    }

    /// Every prompt a step can play, as `(key path, prompt name)`, in the order of the
    /// scenarios and steps: `play` and `menu` prompts, `invalid_prompts`,
    /// `timeout_prompts`. `greeting` is listed as `greeting-morning`, `greeting-day` and
    /// `greeting-evening`, each at the same path, since the hour picks one at call time.
    /// The shell checks them against the prompt files at load, so a missing recording is
    /// an error at start-up rather than silence on a call.
    pub fn prompt_names(&self) -> Vec<(String, String)> {
        let mut names = Vec::new();
        for (name, scenario) in &self.scenarios {
            for (step_name, step) in &scenario.steps {
                for (key, prompts) in prompt_lists(step) {
                    for (i, prompt) in prompts.iter().enumerate() {
                        let path = format!("scenario.{name}.steps.{step_name}.{key}[{i}]");
                        if prompt == GREETING {
                            for greeting in [Greeting::Morning, Greeting::Day, Greeting::Evening] {
                                names.push((path.clone(), greeting_prompt(greeting).to_owned()));
                            }
                        } else {
                            names.push((path, prompt.clone()));
                        }
                    }
                }
            }
        }
        names
    }

    /// The scenario by name.
    pub fn scenario(&self, name: &str) -> Option<&ScenarioConfig> {
        self.scenarios.get(name)
    }

    fn check_scenario(&self, name: &str, scenario: &ScenarioConfig, errors: &mut Vec<PathError>) {
        let root = format!("scenario.{name}");
        let mut error = |path: String, message: String| errors.push(PathError { path, message });
        for (key, target) in [("entry", &scenario.entry), ("default", &scenario.default)] {
            if !scenario.steps.contains_key(target) {
                error(format!("{root}.{key}"), format!("no step \"{target}\""));
            }
        }
        if let Some(schedule) = &scenario.schedule {
            if !self.schedules.contains_key(schedule) {
                error(
                    format!("{root}.schedule"),
                    format!("no schedule \"{schedule}\""),
                );
            }
        }
        for (step_name, step) in &scenario.steps {
            let path = format!("{root}.steps.{step_name}");
            for (key, target) in targets(step) {
                if !scenario.steps.contains_key(target) {
                    error(format!("{path}.{key}"), format!("no step \"{target}\""));
                }
            }
            match step {
                StepConfig::Schedule(step) => {
                    match step.schedule.as_ref().or(scenario.schedule.as_ref()) {
                        None => error(
                            path.clone(),
                            "no schedule named here or in the scenario".into(),
                        ),
                        Some(schedule)
                            if step.schedule.is_some()
                                && !self.schedules.contains_key(schedule) =>
                        {
                            error(
                                format!("{path}.schedule"),
                                format!("no schedule \"{schedule}\""),
                            );
                        }
                        Some(_) => {}
                    }
                }
                StepConfig::Play(play) if play.prompts.is_empty() => {
                    error(format!("{path}.prompts"), "no prompt to play".into());
                }
                StepConfig::Menu(menu) => {
                    if menu.prompts.is_empty() {
                        error(format!("{path}.prompts"), "no prompt to play".into());
                    }
                    if menu.timeout == 0 {
                        error(
                            format!("{path}.timeout"),
                            "must be at least 1 second".into(),
                        );
                    }
                    for key in menu.digits.keys() {
                        if !is_dtmf_key(key) {
                            error(
                                format!("{path}.digits.{key}"),
                                format!("\"{key}\" is not one DTMF key (0-9, *, #)"),
                            );
                        }
                    }
                }
                StepConfig::Dial(dial) => {
                    if !self.is_extension(&dial.extension) {
                        error(
                            format!("{path}.extension"),
                            format!("no extension \"{}\"", dial.extension),
                        );
                    } else if dial.mobile && self.mobile(&dial.extension).is_none() {
                        error(
                            format!("{path}.mobile"),
                            format!("extension \"{}\" has no mobile", dial.extension),
                        );
                    }
                    if dial.timeout == 0 {
                        error(
                            format!("{path}.timeout"),
                            "must be at least 1 second".into(),
                        );
                    }
                }
                StepConfig::RingGroup(group) => {
                    if group.members.is_empty() {
                        error(format!("{path}.members"), "no member to ring".into());
                    }
                    let mut listed = BTreeSet::new();
                    for (i, member) in group.members.iter().enumerate() {
                        if !self.is_extension(member) {
                            error(
                                format!("{path}.members[{i}]"),
                                format!("no extension \"{member}\""),
                            );
                        } else if !listed.insert(member) {
                            error(
                                format!("{path}.members[{i}]"),
                                format!("\"{member}\" is listed twice"),
                            );
                        }
                    }
                    if group.member_timeout == 0 {
                        error(
                            format!("{path}.member_timeout"),
                            "must be at least 1 second".into(),
                        );
                    }
                }
                StepConfig::Forward(forward) => {
                    if !is_phone_number(&forward.number) {
                        error(
                            format!("{path}.number"),
                            format!(
                                "\"{}\" is not a phone number (3 to 15 digits, optionally after +)",
                                forward.number
                            ),
                        );
                    }
                    if forward.timeout == 0 {
                        error(
                            format!("{path}.timeout"),
                            "must be at least 1 second".into(),
                        );
                    }
                }
                StepConfig::Queue(queue) => {
                    for key in queue.exit_keys.keys() {
                        if !is_dtmf_key(key) {
                            error(
                                format!("{path}.exit_keys.{key}"),
                                format!("\"{key}\" is not one DTMF key (0-9, *, #)"),
                            );
                        }
                    }
                }
                StepConfig::Responsible(step) if step.timeout == 0 => {
                    error(
                        format!("{path}.timeout"),
                        "must be at least 1 second".into(),
                    );
                }
                StepConfig::Goto(goto) if !self.scenarios.contains_key(&goto.scenario) => {
                    error(
                        format!("{path}.scenario"),
                        format!("no scenario \"{}\"", goto.scenario),
                    );
                }
                _ => {}
            }
            // The engine resolves `greeting` by the scenario's schedule; without one it
            // would play a file called "greeting" that no hour chose.
            if scenario.schedule.is_none() {
                for (key, prompts) in prompt_lists(step) {
                    if prompts.iter().any(|p| p == GREETING) {
                        error(
                            format!("{path}.{key}"),
                            "\"greeting\" needs the scenario's schedule".into(),
                        );
                    }
                }
            }
            if let Some((on, _)) = handoff(step) {
                if on.contains_key(&Outcome::Answered) {
                    error(
                        format!("{path}.on.answered"),
                        "an answered call is with a person; it leads to no step".into(),
                    );
                }
            }
        }
        // Steps nothing leads to are mistakes: usually a misspelt target elsewhere.
        let mut seen = BTreeSet::new();
        let mut stack = vec![scenario.entry.as_str(), scenario.default.as_str()];
        while let Some(step_name) = stack.pop() {
            let Some(step) = scenario.steps.get(step_name) else {
                continue;
            };
            if seen.insert(step_name) {
                stack.extend(targets(step).into_iter().map(|(_, target)| target));
            }
        }
        for step_name in scenario.steps.keys() {
            if !seen.contains(step_name.as_str()) {
                error(
                    format!("{root}.steps.{step_name}"),
                    "no step leads here (unreachable)".into(),
                );
            }
        }
    }

    /// Cycles among steps that move on at once (`schedule`, `set`, `goto`) would spin
    /// forever without the caller doing anything; each is reported once, at its first step.
    fn check_loops(&self, errors: &mut Vec<PathError>) {
        type Node<'a> = (&'a str, &'a str);
        let mut edges: BTreeMap<Node, Vec<Node>> = BTreeMap::new();
        for (name, scenario) in &self.scenarios {
            for (step_name, step) in &scenario.steps {
                let local: Vec<Option<&String>> = match step {
                    StepConfig::Schedule(s) => vec![
                        s.day.as_ref(),
                        s.lunch.as_ref(),
                        s.night.as_ref(),
                        s.holiday.as_ref(),
                    ],
                    StepConfig::Set(set) => vec![set.next.as_ref()],
                    StepConfig::Goto(_) => Vec::new(),
                    _ => continue,
                };
                let mut next: Vec<Node> = local
                    .into_iter()
                    // An unmapped outcome goes to the default, except at the default
                    // itself, where the engine hangs up: no edge then.
                    .filter_map(|target| match target {
                        Some(target) => Some(target.as_str()),
                        None if *step_name != scenario.default => Some(scenario.default.as_str()),
                        None => None,
                    })
                    .filter(|target| scenario.steps.contains_key(*target))
                    .map(|target| (name.as_str(), target))
                    .collect();
                if let StepConfig::Goto(goto) = step {
                    if let Some(other) = self.scenarios.get(&goto.scenario) {
                        if other.steps.contains_key(&other.entry) {
                            next.push((goto.scenario.as_str(), other.entry.as_str()));
                        }
                    }
                }
                edges.insert((name.as_str(), step_name.as_str()), next);
            }
        }
        // Depth-first search over the immediate steps; a grey node met again closes a cycle.
        let mut done: BTreeSet<Node> = BTreeSet::new();
        let mut reported: BTreeSet<BTreeSet<Node>> = BTreeSet::new();
        for &start in edges.keys() {
            let mut path: Vec<Node> = Vec::new();
            visit(start, &edges, &mut path, &mut done, &mut reported, errors);
        }
    }
}

fn visit<'a>(
    node: (&'a str, &'a str),
    edges: &BTreeMap<(&'a str, &'a str), Vec<(&'a str, &'a str)>>,
    path: &mut Vec<(&'a str, &'a str)>,
    done: &mut BTreeSet<(&'a str, &'a str)>,
    reported: &mut BTreeSet<BTreeSet<(&'a str, &'a str)>>,
    errors: &mut Vec<PathError>,
) {
    if let Some(at) = path.iter().position(|&n| n == node) {
        let cycle = &path[at..];
        if reported.insert(cycle.iter().copied().collect()) {
            let (scenario, step) = cycle[0];
            let names: Vec<String> = cycle
                .iter()
                .chain(std::iter::once(&cycle[0]))
                .map(|&(s, n)| {
                    if s == scenario {
                        n.to_owned()
                    } else {
                        format!("{s}.{n}")
                    }
                })
                .collect();
            errors.push(PathError {
                path: format!("scenario.{scenario}.steps.{step}"),
                message: format!(
                    "steps {} loop without waiting for the caller",
                    names.join(" → ")
                ),
            });
        }
        return;
    }
    let Some(next) = edges.get(&node) else {
        return;
    };
    if done.contains(&node) {
        return;
    }
    path.push(node);
    for &target in next {
        visit(target, edges, path, done, reported, errors);
    }
    path.pop();
    done.insert(node);
}

/// One DTMF key: `0`-`9`, `*`, `#`.
pub(crate) fn is_dtmf_key(key: &str) -> bool {
    let mut chars = key.chars();
    matches!((chars.next(), chars.next()), (Some(c), None) if c.is_ascii_digit() || c == '*' || c == '#')
}

/// Digits, optionally after `+`: 3 to 15 of them (E.164 allows at most 15).
fn is_phone_number(text: &str) -> bool {
    let digits = text.strip_prefix('+').unwrap_or(text);
    (3..=15).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit())
}

/// The prompt lists of a step with their keys, in the order the step plays them.
fn prompt_lists(step: &StepConfig) -> Vec<(&'static str, &[String])> {
    match step {
        StepConfig::Play(play) => vec![("prompts", &play.prompts)],
        StepConfig::Menu(menu) => vec![
            ("prompts", &menu.prompts),
            ("invalid_prompts", &menu.invalid_prompts),
            ("timeout_prompts", &menu.timeout_prompts),
        ],
        _ => Vec::new(),
    }
}

/// The outcome map and `next` of steps that hand the call to someone.
pub(crate) fn handoff(step: &StepConfig) -> Option<(&BTreeMap<Outcome, String>, &Option<String>)> {
    match step {
        StepConfig::Dial(s) => Some((&s.on, &s.next)),
        StepConfig::RingGroup(s) => Some((&s.on, &s.next)),
        StepConfig::Forward(s) => Some((&s.on, &s.next)),
        StepConfig::Queue(s) => Some((&s.on, &s.next)),
        StepConfig::Responsible(s) => Some((&s.on, &s.next)),
        _ => None,
    }
}

/// Every step a step names, with the key (relative to the step) that names it.
pub(crate) fn targets(step: &StepConfig) -> Vec<(String, &str)> {
    let named: Vec<(String, &Option<String>)> = match step {
        StepConfig::Schedule(s) => vec![
            ("day".into(), &s.day),
            ("lunch".into(), &s.lunch),
            ("night".into(), &s.night),
            ("holiday".into(), &s.holiday),
        ],
        StepConfig::Play(s) => vec![("next".into(), &s.next)],
        StepConfig::Menu(s) => vec![("fallback".into(), &s.fallback)],
        StepConfig::Set(s) => vec![("next".into(), &s.next)],
        _ => match handoff(step) {
            Some((_, next)) => vec![("next".into(), next)],
            None => Vec::new(),
        },
    };
    let mut out: Vec<(String, &str)> = named
        .into_iter()
        .filter_map(|(key, target)| Some((key, target.as_deref()?)))
        .collect();
    if let StepConfig::Menu(menu) = step {
        for (key, target) in &menu.digits {
            out.push((format!("digits.{key}"), target.as_str()));
        }
    }
    if let StepConfig::Queue(queue) = step {
        for (key, target) in &queue.exit_keys {
            out.push((format!("exit_keys.{key}"), target.as_str()));
        }
    }
    if let Some((on, _)) = handoff(step) {
        for (outcome, target) in on {
            out.push((format!("on.{}", serde_key(*outcome)), target.as_str()));
        }
    }
    out
}

/// The outcome as a config key: `no_answer`.
pub(crate) fn serde_key(outcome: Outcome) -> &'static str {
    match outcome {
        Outcome::Answered => "answered",
        Outcome::NoAnswer => "no_answer",
        Outcome::Busy => "busy",
        Outcome::Unavailable => "unavailable",
        Outcome::Timeout => "timeout",
        Outcome::InvalidInput => "invalid_input",
        Outcome::NotFound => "not_found",
        Outcome::Failed => "failed",
    }
}
