//! Checking scenarios before any call runs through them, every mistake with its key path.

use std::collections::{BTreeMap, BTreeSet};

use super::config::{Outcome, ScenarioConfig, StepConfig};
use crate::error::{PathError, PathErrors};
use crate::schedule::{Override, Schedule};

/// Everything a call flow consults: the checked scenarios, the compiled schedules with
/// their manual overrides, and the extension numbers that exist.
///
/// Built once from the config by [`Flows::new`] and shared (`Arc`) by every call.
#[derive(Debug, Clone)]
pub struct Flows {
    pub(crate) scenarios: BTreeMap<String, ScenarioConfig>,
    pub(crate) schedules: BTreeMap<String, Schedule>,
    pub(crate) overrides: BTreeMap<String, Override>,
    pub(crate) extensions: BTreeSet<String>,
}

impl Flows {
    /// Checks the scenarios against the schedules and the extension numbers, reporting
    /// every mistake: unknown step, scenario or schedule names, steps nothing leads to,
    /// loops of steps that never wait for the caller (`schedule`, `set`, `goto`), menu
    /// keys that are not DTMF, unknown extensions, empty prompts, zero timeouts, and
    /// `answered` mapped to a step (a person has the call; the flow is over).
    pub fn new(
        scenarios: BTreeMap<String, ScenarioConfig>,
        schedules: BTreeMap<String, Schedule>,
        extensions: BTreeSet<String>,
    ) -> Result<Flows, PathErrors> {
        let flows = Flows {
            scenarios,
            schedules,
            overrides: BTreeMap::new(),
            extensions,
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

    /// Whether `number` is a known extension.
    pub fn is_extension(&self, number: &str) -> bool {
        self.extensions.contains(number)
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
                StepConfig::Play(play) => {
                    if play.prompts.is_empty() {
                        error(format!("{path}.prompts"), "no prompt to play".into());
                    }
                    if play.prompts.iter().any(|p| p == "greeting") && scenario.schedule.is_none() {
                        error(
                            format!("{path}.prompts"),
                            "\"greeting\" needs the scenario's schedule".into(),
                        );
                    }
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
                    }
                    if dial.timeout == 0 {
                        error(
                            format!("{path}.timeout"),
                            "must be at least 1 second".into(),
                        );
                    }
                }
                StepConfig::Goto(goto) if !self.scenarios.contains_key(&goto.scenario) => {
                    error(
                        format!("{path}.scenario"),
                        format!("no scenario \"{}\"", goto.scenario),
                    );
                }
                _ => {}
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

/// The outcome map and `next` of steps that hand the call to someone.
pub(crate) fn handoff(step: &StepConfig) -> Option<(&BTreeMap<Outcome, String>, &Option<String>)> {
    match step {
        StepConfig::Dial(s) => Some((&s.on, &s.next)),
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
