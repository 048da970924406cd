//! The call flow engine: one call's walk through a scenario, driven by events and `now`.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};

use super::config::{
    MenuStep, Outcome, RingGroupStep, RingStrategy, ScenarioConfig, StepConfig,
    DEFAULT_RING_TIMEOUT,
};
use super::validate::{handoff, Flows};
use crate::schedule::{Greeting, Mode};

/// How long a menu waits for the next digit of an extension number.
pub const INTER_DIGIT_TIMEOUT: Duration = Duration::from_secs(3);

/// Steps entered one after another without waiting for anything, before the engine gives
/// up and hangs up; validation already refuses such loops, this guards the engine itself.
const MAX_IMMEDIATE_STEPS: usize = 64;

/// The prompt name that stands for the greeting of the time of day.
pub(crate) const GREETING: &str = "greeting";

/// What [`GREETING`] becomes, by the time of day; [`Flows::prompt_names`] lists all three,
/// so the prompt files are checked for every hour.
pub(crate) fn greeting_prompt(greeting: Greeting) -> &'static str {
    match greeting {
        Greeting::Morning => "greeting-morning",
        Greeting::Day => "greeting-day",
        Greeting::Evening => "greeting-evening",
    }
}

/// The character of a one-character text.
fn one_char(text: &str) -> Option<char> {
    let mut chars = text.chars();
    match (chars.next(), chars.next()) {
        (Some(c), None) => Some(c),
        _ => None,
    }
}

/// One party a [`Action::Dial`] rings.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DialTarget {
    /// An extension: every registered device of it.
    Extension(String),
    /// A number outside, reached through the trunk (`+79000000101`).
    Outside(String),
}

impl fmt::Display for DialTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DialTarget::Extension(number) => f.write_str(number),
            DialTarget::Outside(number) => write!(f, "outside {number}"),
        }
    }
}

/// What the shell must do for the call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Answer the call (sent once, before the first prompt, menu or voicemail).
    Answer,
    /// Play the prompts in order, then report [`Event::PlayFinished`] with `id`. On a call
    /// not yet answered (no [`Action::Answer`] before it) play them as early media.
    Play {
        /// Prompt names, `greeting` already resolved to `greeting-morning` and so on.
        prompts: Vec<String>,
        /// Names this playback in [`Event::PlayFinished`].
        id: u32,
    },
    /// Stop playback `id` at once (the caller pressed a key); no `PlayFinished` is needed.
    StopPlay {
        /// The playback to stop.
        id: u32,
    },
    /// Report [`Event::TimerFired`] at `at`; replaces any earlier timer. A timer that fires
    /// late or after it was replaced is harmless: the engine checks the time itself.
    SetTimer {
        /// When to fire.
        at: DateTime<Utc>,
    },
    /// Ring every target at once and report one [`Event::DialOutcome`] for them all: the
    /// first to answer has the call and the others stop ringing. The shell gives up after
    /// `timeout` and reports [`Outcome::NoAnswer`]; when no target could ring it reports
    /// what stopped them (busy, unavailable).
    Dial {
        /// Who rings; never empty.
        targets: Vec<DialTarget>,
        /// How long to ring.
        timeout: Duration,
    },
    /// Hand the call to a queue and report [`Event::HookOutcome`] for what the queue
    /// decided, [`Event::QueueExitKey`] when the caller pressed one of `exit_keys`, or
    /// [`Event::QueueCallback`] when the caller asked to be called back.
    Queue {
        /// The queue's name.
        name: String,
        /// The keys that take the caller out of the queue, each with its step (for the
        /// queue's records; the flow routes the key itself).
        exit_keys: BTreeMap<char, String>,
    },
    /// Ask the responsible-manager service; ring the manager found (like a dial) and
    /// report [`Event::HookOutcome`]: `answered`, `no_answer`, `busy`, `unavailable`, or
    /// `not_found` when nobody is responsible.
    Responsible {
        /// How long to ring the manager.
        timeout: Duration,
        /// Also ring the manager's mobile.
        mobile: bool,
    },
    /// Connect the caller to a voicemail box; the flow is over.
    Voicemail {
        /// The box.
        mailbox: String,
    },
    /// Record a call attribute.
    SetAttribute {
        /// Its name.
        name: String,
        /// Its value.
        value: String,
    },
    /// End the call; the flow is over.
    Hangup {
        /// Why, for the call record.
        cause: String,
    },
}

/// What happened to the call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// Playback `id` ended (or could not play: the flow goes on either way).
    PlayFinished(u32),
    /// The caller pressed a key.
    Digit(char),
    /// The timer of the last [`Action::SetTimer`] fired.
    TimerFired,
    /// The targets of the last [`Action::Dial`] answered or did not.
    DialOutcome(Outcome),
    /// The queue or responsible-manager hook ended.
    HookOutcome(Outcome),
    /// The caller left the queue by pressing this one of the queue step's `exit_keys`.
    QueueExitKey(char),
    /// The caller asked the queue to call back at `number` and keeps the place there. The
    /// flow is over: the queue has the caller now, and the shell ends this call once the
    /// caller heard where the call back will come (as after a voicemail message).
    QueueCallback {
        /// The number the queue will call.
        number: String,
    },
    /// The caller is gone.
    CallerHungUp,
}

/// One decision of the flow, for the routing trace shown to operators.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TraceEntry {
    /// When it was decided.
    pub at: DateTime<Utc>,
    /// The step deciding (empty before the first step).
    pub step: String,
    /// What and why, like `menu: digit 2 → support`.
    pub text: String,
}

/// What the flow waits for.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Wait {
    Play {
        id: u32,
    },
    Menu(MenuState),
    /// One dial decides: `label` names it in the trace (`dial 101`, `forward +7...`).
    Dial {
        label: String,
        timeout: u32,
    },
    /// A ring group ringing its members one at a time.
    Ring(RingState),
    Hook {
        label: String,
    },
    Finished,
}

/// A ring group ringing its members one after another.
#[derive(Debug, Clone, PartialEq, Eq)]
struct RingState {
    /// The step's name, for the trace.
    group: String,
    /// Members in the order they ring this time.
    order: Vec<String>,
    /// The member ringing now, an index into `order`.
    at: usize,
    /// Seconds each member rings.
    timeout: u32,
    /// Whether any member rang out, or was busy, so far.
    rang_out: bool,
    busy: bool,
    /// The [`RingMemory`](super::RingMemory) key to record who answers; round robin only.
    memory_key: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct MenuState {
    /// The prompt still playing, if any.
    playing: Option<u32>,
    /// When the current no-input or inter-digit wait ends.
    deadline: Option<DateTime<Utc>>,
    /// Digits of an extension number so far.
    digits: String,
    /// Invalid inputs and timeouts so far.
    failures: u32,
}

/// One call's position in its scenario; pure: no clock, no I/O.
///
/// ```
/// use std::sync::Arc;
/// use sb_flow::scenario::{demo_flows, Action, CallFlow, Event, Outcome};
///
/// let now = "2026-11-23T07:05:00Z".parse().unwrap(); // 10:05 in Moscow, a Monday
/// let (mut call, actions) = CallFlow::start(Arc::new(demo_flows()), "main", now, Default::default());
/// assert_eq!(actions[0], Action::Answer);
/// let Action::Play { id, .. } = &actions[1] else { panic!() };
/// let next = call.on_event(Event::PlayFinished(*id), now);
/// assert!(matches!(next[..], [Action::Responsible { .. }]));
/// ```
#[derive(Debug, Clone)]
pub struct CallFlow {
    flows: Arc<Flows>,
    scenario: String,
    step: String,
    wait: Wait,
    answered: bool,
    next_play: u32,
    attributes: BTreeMap<String, String>,
    trace: Vec<TraceEntry>,
}

impl CallFlow {
    /// Starts a call in `scenario` with the caller's attributes (number, name, ...).
    /// An unknown scenario hangs up with cause `no_route` rather than leave the caller in
    /// silence.
    pub fn start(
        flows: Arc<Flows>,
        scenario: &str,
        now: DateTime<Utc>,
        attributes: BTreeMap<String, String>,
    ) -> (CallFlow, Vec<Action>) {
        let entry = flows.scenario(scenario).map(|s| s.entry.clone());
        let mut flow = CallFlow {
            flows,
            scenario: scenario.to_owned(),
            step: String::new(),
            wait: Wait::Finished,
            answered: false,
            next_play: 1,
            attributes,
            trace: Vec::new(),
        };
        let mut out = Vec::new();
        match entry {
            Some(entry) => {
                flow.note(now, format!("scenario {scenario}"));
                flow.run(entry, now, &mut out);
            }
            None => flow.hang_up(
                now,
                format!("no scenario \"{scenario}\""),
                "no_route",
                &mut out,
            ),
        }
        (flow, out)
    }

    /// Feeds one event; events that do not fit the current step are ignored.
    pub fn on_event(&mut self, event: Event, now: DateTime<Utc>) -> Vec<Action> {
        let mut out = Vec::new();
        let wait = std::mem::replace(&mut self.wait, Wait::Finished);
        match (event, wait) {
            (_, Wait::Finished) => {}
            (Event::CallerHungUp, _) => self.note(now, "caller hung up".to_owned()),
            (Event::PlayFinished(done), Wait::Play { id }) if done == id => {
                let next = self.with_step(|step| match step {
                    StepConfig::Play(play) => play.next.clone(),
                    _ => None,
                });
                let target = match next {
                    Some(next) => Some(next),
                    None => self.route_to_default(now, "play: done".to_owned(), &mut out),
                };
                self.run_opt(target, now, &mut out);
            }
            (Event::PlayFinished(done), Wait::Menu(mut menu)) if menu.playing == Some(done) => {
                menu.playing = None;
                if let Some(step) = self.menu_step() {
                    let at = now + TimeDelta::seconds(i64::from(step.timeout));
                    menu.deadline = Some(at);
                    out.push(Action::SetTimer { at });
                }
                self.wait = Wait::Menu(menu);
            }
            (Event::Digit(digit), Wait::Menu(mut menu)) => {
                if let Some(id) = menu.playing.take() {
                    out.push(Action::StopPlay { id });
                }
                menu.deadline = None;
                menu.digits.push(digit);
                self.menu_input(menu, false, now, &mut out);
            }
            (Event::TimerFired, Wait::Menu(mut menu))
                if menu.deadline.is_some_and(|deadline| now >= deadline) =>
            {
                menu.deadline = None;
                if menu.digits.is_empty() {
                    self.menu_failure(menu, None, now, &mut out);
                } else {
                    self.menu_input(menu, true, now, &mut out);
                }
            }
            (Event::DialOutcome(outcome), Wait::Dial { label, timeout }) => {
                let text = match outcome {
                    Outcome::NoAnswer => format!("{label}: no answer after {timeout} s"),
                    outcome => format!("{label}: {outcome}"),
                };
                self.handed_off(outcome, text, now, &mut out);
            }
            (Event::DialOutcome(outcome), Wait::Ring(ring)) => {
                self.ring_outcome(ring, outcome, now, &mut out);
            }
            (Event::HookOutcome(outcome), Wait::Hook { label }) => {
                self.handed_off(outcome, format!("{label}: {outcome}"), now, &mut out);
            }
            (Event::QueueExitKey(key), Wait::Hook { label }) => {
                self.queue_exit(key, label, now, &mut out);
            }
            (Event::QueueCallback { number }, Wait::Hook { label }) => {
                self.note(
                    now,
                    format!("{label}: callback to {number} requested, place kept"),
                );
            }
            (_, wait) => self.wait = wait,
        }
        out
    }

    /// Adds a line to the routing trace at the current step: what the shell learnt while
    /// carrying out an action (the responsible-manager service's decisions).
    pub fn add_note(&mut self, text: impl Into<String>, now: DateTime<Utc>) {
        self.note(now, text.into());
    }

    /// The routing trace so far.
    pub fn trace(&self) -> &[TraceEntry] {
        &self.trace
    }

    /// The call's attributes: those it started with and those `set` steps wrote.
    pub fn attributes(&self) -> &BTreeMap<String, String> {
        &self.attributes
    }

    /// Whether the flow is over: answered, in voicemail, hung up.
    pub fn is_finished(&self) -> bool {
        self.wait == Wait::Finished
    }

    /// The scenario the call is in now (a `goto` changes it).
    pub fn scenario(&self) -> &str {
        &self.scenario
    }

    /// The current step's name.
    pub fn step(&self) -> &str {
        &self.step
    }

    fn note(&mut self, at: DateTime<Utc>, text: String) {
        self.trace.push(TraceEntry {
            at,
            step: self.step.clone(),
            text,
        });
    }

    fn hang_up(&mut self, now: DateTime<Utc>, text: String, cause: &str, out: &mut Vec<Action>) {
        self.note(now, format!("{text}; hanging up ({cause})"));
        out.push(Action::Hangup {
            cause: cause.to_owned(),
        });
        self.wait = Wait::Finished;
    }

    fn answer(&mut self, out: &mut Vec<Action>) {
        if !self.answered {
            self.answered = true;
            out.push(Action::Answer);
        }
    }

    /// Starts a playback; `answer` first unless it may be early media.
    fn play(&mut self, prompts: Vec<String>, answer: bool, out: &mut Vec<Action>) -> u32 {
        if answer {
            self.answer(out);
        }
        let id = self.next_play;
        self.next_play += 1;
        out.push(Action::Play { prompts, id });
        id
    }

    fn current(&self) -> Option<&ScenarioConfig> {
        self.flows.scenario(&self.scenario)
    }

    fn with_step<T>(&self, f: impl FnOnce(&StepConfig) -> Option<T>) -> Option<T> {
        self.current()?.steps.get(&self.step).and_then(f)
    }

    fn menu_step(&self) -> Option<MenuStep> {
        self.with_step(|step| match step {
            StepConfig::Menu(menu) => Some(menu.clone()),
            _ => None,
        })
    }

    /// The scenario's default step, unless the call is already there: then nothing is
    /// left to try and the call is hung up with cause `unrouted`.
    fn route_to_default(
        &mut self,
        now: DateTime<Utc>,
        text: String,
        out: &mut Vec<Action>,
    ) -> Option<String> {
        let default = self.current().map(|s| s.default.clone());
        match default {
            Some(default) if default != self.step => {
                self.note(now, format!("{text} → {default} (default)"));
                Some(default)
            }
            _ => {
                self.hang_up(now, format!("{text} at the default step"), "unrouted", out);
                None
            }
        }
    }

    /// Routes the outcome of a dial, queue or hook: `answered` ends the flow, others go by
    /// the step's `on`, then its `next`, then the default.
    fn handed_off(
        &mut self,
        outcome: Outcome,
        text: String,
        now: DateTime<Utc>,
        out: &mut Vec<Action>,
    ) {
        if outcome == Outcome::Answered {
            self.note(now, text);
            self.wait = Wait::Finished;
            return;
        }
        let mapped = self.with_step(|step| {
            let (on, next) = handoff(step)?;
            on.get(&outcome).or(next.as_ref()).cloned()
        });
        let target = match mapped {
            Some(target) => {
                self.note(now, format!("{text} → {target}"));
                Some(target)
            }
            None => self.route_to_default(now, text, out),
        };
        self.run_opt(target, now, out);
    }

    /// The caller pressed an exit key of the queue step: its step comes next. A key the
    /// step does not list (the shell passed on a key the flow never gave it) routes as
    /// `invalid input`.
    fn queue_exit(&mut self, key: char, label: String, now: DateTime<Utc>, out: &mut Vec<Action>) {
        let target = self.with_step(|step| match step {
            StepConfig::Queue(queue) => queue
                .exit_keys
                .iter()
                .find(|(listed, _)| one_char(listed) == Some(key))
                .map(|(_, step)| step.clone()),
            _ => None,
        });
        match target {
            Some(target) => {
                self.note(now, format!("{label}: key {key} → {target}"));
                self.run(target, now, out);
            }
            None => {
                let text = format!("{label}: key {key} (no exit key)");
                self.handed_off(Outcome::InvalidInput, text, now, out);
            }
        }
    }

    fn run_opt(&mut self, target: Option<String>, now: DateTime<Utc>, out: &mut Vec<Action>) {
        if let Some(target) = target {
            self.run(target, now, out);
        }
    }

    /// Enters `target` and every step after it that moves on at once.
    fn run(&mut self, mut target: String, now: DateTime<Utc>, out: &mut Vec<Action>) {
        for _ in 0..MAX_IMMEDIATE_STEPS {
            match self.enter(target, now, out) {
                Some(next) => target = next,
                None => return,
            }
        }
        self.hang_up(
            now,
            "flow: too many steps without waiting".to_owned(),
            "loop",
            out,
        );
    }

    /// Enters one step: returns the next step if it moves on at once, else sets the wait.
    fn enter(&mut self, name: String, now: DateTime<Utc>, out: &mut Vec<Action>) -> Option<String> {
        let flows = Arc::clone(&self.flows);
        let Some(scenario) = flows.scenario(&self.scenario) else {
            let text = format!("no scenario \"{}\"", self.scenario);
            self.hang_up(now, text, "no_route", out);
            return None;
        };
        let Some(step) = scenario.steps.get(&name) else {
            self.hang_up(now, format!("no step \"{name}\""), "no_route", out);
            return None;
        };
        self.step = name;
        match step {
            StepConfig::Schedule(branch) => {
                let schedule_name = branch.schedule.as_ref().or(scenario.schedule.as_ref());
                let Some((schedule_name, schedule)) =
                    schedule_name.and_then(|name| Some((name, flows.schedules.get(name)?)))
                else {
                    return self.route_to_default(now, "schedule: no schedule".to_owned(), out);
                };
                let decision = schedule.mode_at_with(now, flows.overrides.get(schedule_name));
                let target = match decision.mode {
                    Mode::Day => &branch.day,
                    Mode::Lunch => &branch.lunch,
                    Mode::Night => &branch.night,
                    Mode::Holiday => &branch.holiday,
                };
                match target {
                    Some(target) => {
                        self.note(now, format!("{} → {target}", decision.reason));
                        Some(target.clone())
                    }
                    None => self.route_to_default(now, decision.reason, out),
                }
            }
            StepConfig::Play(play) => {
                let prompts = self.resolve(&play.prompts, scenario, now);
                let early = if play.answer || self.answered {
                    ""
                } else {
                    " (before answer)"
                };
                self.note(now, format!("play {}{early}", prompts.join(", ")));
                let id = self.play(prompts, play.answer, out);
                self.wait = Wait::Play { id };
                None
            }
            StepConfig::Menu(menu) => {
                let prompts = self.resolve(&menu.prompts, scenario, now);
                self.note(now, format!("menu {}", prompts.join(", ")));
                let id = self.play(prompts, true, out);
                self.wait = Wait::Menu(MenuState {
                    playing: Some(id),
                    deadline: None,
                    digits: String::new(),
                    failures: 0,
                });
                None
            }
            StepConfig::Dial(dial) => {
                let mut targets = vec![DialTarget::Extension(dial.extension.clone())];
                let mut label = format!("dial {}", dial.extension);
                // Validation requires the mobile; flows built without it ring the desk.
                if let Some(mobile) = flows.mobile(&dial.extension).filter(|_| dial.mobile) {
                    label = format!("{label} and mobile {mobile}");
                    targets.push(DialTarget::Outside(mobile.to_owned()));
                }
                self.dial(label, targets, dial.timeout, now, out);
                None
            }
            StepConfig::RingGroup(group) if group.members.is_empty() => {
                // Validation refuses this; flows built without it must not dial nobody.
                let text = format!("ring group {}: no members", self.step);
                self.route_to_default(now, text, out)
            }
            StepConfig::RingGroup(group) => {
                self.ring_group(group, now, out);
                None
            }
            StepConfig::Forward(forward) => {
                let targets = vec![DialTarget::Outside(forward.number.clone())];
                let label = format!("forward {}", forward.number);
                self.dial(label, targets, forward.timeout, now, out);
                None
            }
            StepConfig::Queue(queue) => {
                let label = format!("queue {}", queue.queue);
                self.note(now, label.clone());
                // Validation allows only one-character keys; anything else is no key.
                let exit_keys = queue
                    .exit_keys
                    .iter()
                    .filter_map(|(key, step)| Some((one_char(key)?, step.clone())))
                    .collect();
                out.push(Action::Queue {
                    name: queue.queue.clone(),
                    exit_keys,
                });
                self.wait = Wait::Hook { label };
                None
            }
            StepConfig::Responsible(step) => {
                self.note(now, "responsible manager lookup".to_owned());
                out.push(Action::Responsible {
                    timeout: Duration::from_secs(u64::from(step.timeout)),
                    mobile: step.mobile,
                });
                self.wait = Wait::Hook {
                    label: "responsible".to_owned(),
                };
                None
            }
            StepConfig::Voicemail(voicemail) => {
                self.note(now, format!("voicemail {}", voicemail.mailbox));
                self.answer(out);
                out.push(Action::Voicemail {
                    mailbox: voicemail.mailbox.clone(),
                });
                self.wait = Wait::Finished;
                None
            }
            StepConfig::Set(set) => {
                self.note(now, format!("set {} = {}", set.attribute, set.value));
                self.attributes
                    .insert(set.attribute.clone(), set.value.clone());
                out.push(Action::SetAttribute {
                    name: set.attribute.clone(),
                    value: set.value.clone(),
                });
                match &set.next {
                    Some(next) => Some(next.clone()),
                    None => self.route_to_default(now, "set: done".to_owned(), out),
                }
            }
            StepConfig::Goto(goto) => {
                let Some(entry) = flows.scenario(&goto.scenario).map(|s| s.entry.clone()) else {
                    let text = format!("goto: no scenario \"{}\"", goto.scenario);
                    self.hang_up(now, text, "no_route", out);
                    return None;
                };
                self.note(now, format!("goto scenario {} → {entry}", goto.scenario));
                self.scenario = goto.scenario.clone();
                Some(entry)
            }
            StepConfig::Hangup(hangup) => {
                self.note(now, format!("hangup: {}", hangup.cause));
                out.push(Action::Hangup {
                    cause: hangup.cause.clone(),
                });
                self.wait = Wait::Finished;
                None
            }
        }
    }

    /// Rings `targets` at once; one outcome decides, routed by the step's `on`/`next`.
    fn dial(
        &mut self,
        label: String,
        targets: Vec<DialTarget>,
        timeout: u32,
        now: DateTime<Utc>,
        out: &mut Vec<Action>,
    ) {
        self.note(now, format!("{label} ({timeout} s)"));
        out.push(Action::Dial {
            targets,
            timeout: Duration::from_secs(u64::from(timeout)),
        });
        self.wait = Wait::Dial { label, timeout };
    }

    /// Enters a ring group: `all` is one dial of every member; the other strategies ring
    /// the first member of this call's order, and [`CallFlow::ring_outcome`] the rest.
    fn ring_group(&mut self, group: &RingGroupStep, now: DateTime<Utc>, out: &mut Vec<Action>) {
        let name = self.step.clone();
        let timeout = group.member_timeout;
        if group.strategy == RingStrategy::All {
            let targets = group
                .members
                .iter()
                .map(|member| DialTarget::Extension(member.clone()))
                .collect();
            let label = format!("ring group {name}");
            let text = format!(
                "{label}: {} at once ({timeout} s)",
                group.members.join(", ")
            );
            self.note(now, text);
            out.push(Action::Dial {
                targets,
                timeout: Duration::from_secs(u64::from(timeout)),
            });
            self.wait = Wait::Dial { label, timeout };
            return;
        }
        let mut order = group.members.clone();
        let mut memory_key = None;
        if group.strategy == RingStrategy::RoundRobin {
            let key = format!("{}/{name}", self.scenario);
            let last = self.flows.ring_memory.last_answered(&key);
            // A member who left the group since starts nothing: ring from the top.
            if let Some(at) = last
                .as_ref()
                .and_then(|last| order.iter().position(|m| m == last))
            {
                order.rotate_left(at + 1);
                let text = format!(
                    "ring group {name}: round robin from {} ({} answered last)",
                    order[0],
                    order[order.len() - 1]
                );
                self.note(now, text);
            }
            memory_key = Some(key);
        }
        let ring = RingState {
            group: name,
            order,
            at: 0,
            timeout,
            rang_out: false,
            busy: false,
            memory_key,
        };
        self.ring_member(ring, now, out);
    }

    /// Rings the member at `ring.at`.
    fn ring_member(&mut self, ring: RingState, now: DateTime<Utc>, out: &mut Vec<Action>) {
        let member = &ring.order[ring.at];
        let text = format!(
            "ring group {}: ring {member} ({} s)",
            ring.group, ring.timeout
        );
        self.note(now, text);
        out.push(Action::Dial {
            targets: vec![DialTarget::Extension(member.clone())],
            timeout: Duration::from_secs(u64::from(ring.timeout)),
        });
        self.wait = Wait::Ring(ring);
    }

    /// One member's outcome: an answer ends the flow (and is remembered for round robin);
    /// anything else moves on to the next member, and after the last one the group's
    /// outcome is routed: `no_answer` if any member rang out, else `busy` if any was busy,
    /// else `unavailable` (nobody could ring at all).
    fn ring_outcome(
        &mut self,
        mut ring: RingState,
        outcome: Outcome,
        now: DateTime<Utc>,
        out: &mut Vec<Action>,
    ) {
        let member = ring.order[ring.at].clone();
        let group = ring.group.clone();
        match outcome {
            Outcome::Answered => {
                if let Some(key) = &ring.memory_key {
                    self.flows.ring_memory.record_answer(key, &member);
                }
                self.note(now, format!("ring group {group}: {member} answered"));
                self.wait = Wait::Finished;
                return;
            }
            Outcome::NoAnswer => {
                ring.rang_out = true;
                let text = format!(
                    "ring group {group}: {member} no answer after {} s",
                    ring.timeout
                );
                self.note(now, text);
            }
            Outcome::Busy => {
                ring.busy = true;
                self.note(now, format!("ring group {group}: {member} busy"));
            }
            outcome => self.note(now, format!("ring group {group}: {member} {outcome}")),
        }
        ring.at += 1;
        if ring.at < ring.order.len() {
            return self.ring_member(ring, now, out);
        }
        let outcome = if ring.rang_out {
            Outcome::NoAnswer
        } else if ring.busy {
            Outcome::Busy
        } else {
            Outcome::Unavailable
        };
        self.handed_off(outcome, format!("ring group {group}: {outcome}"), now, out);
    }

    /// `greeting` becomes the greeting for the scenario schedule's local hour.
    fn resolve(
        &self,
        prompts: &[String],
        scenario: &ScenarioConfig,
        now: DateTime<Utc>,
    ) -> Vec<String> {
        let greeting = scenario
            .schedule
            .as_ref()
            .and_then(|name| self.flows.schedules.get(name))
            .map(|schedule| greeting_prompt(schedule.greeting_at(now)));
        prompts
            .iter()
            .map(|prompt| match (prompt.as_str(), greeting) {
                (GREETING, Some(greeting)) => greeting.to_owned(),
                _ => prompt.clone(),
            })
            .collect()
    }

    /// Acts on the digits so far; `last` when no more are coming (the inter-digit wait ran
    /// out). A key that may start an extension number waits for more; otherwise a menu
    /// key selects its step, a whole extension number rings, anything else is invalid.
    fn menu_input(
        &mut self,
        mut menu: MenuState,
        last: bool,
        now: DateTime<Utc>,
        out: &mut Vec<Action>,
    ) {
        let Some(step) = self.menu_step() else {
            let target = self.route_to_default(now, "menu: gone".to_owned(), out);
            return self.run_opt(target, now, out);
        };
        let digits = menu.digits.clone();
        if step.direct_dial && !last {
            let longer = self
                .flows
                .extensions
                .keys()
                .any(|ext| ext.len() > digits.len() && ext.starts_with(&digits));
            if longer {
                let at = now + TimeDelta::from_std(INTER_DIGIT_TIMEOUT).unwrap_or_default();
                menu.deadline = Some(at);
                out.push(Action::SetTimer { at });
                self.wait = Wait::Menu(menu);
                return;
            }
        }
        if let Some(target) = step.digits.get(&digits) {
            self.note(now, format!("menu: digit {digits} → {target}"));
            return self.run(target.clone(), now, out);
        }
        if step.direct_dial && self.flows.is_extension(&digits) {
            self.note(now, format!("menu: extension {digits} dialled"));
            let targets = vec![DialTarget::Extension(digits.clone())];
            let label = format!("dial {digits}");
            return self.dial(label, targets, DEFAULT_RING_TIMEOUT, now, out);
        }
        self.menu_failure(menu, Some(digits), now, out);
    }

    /// Counts a timeout (`invalid` is `None`) or the invalid digits: replays the menu while
    /// retries last, then goes to the fallback (or the default).
    fn menu_failure(
        &mut self,
        mut menu: MenuState,
        invalid: Option<String>,
        now: DateTime<Utc>,
        out: &mut Vec<Action>,
    ) {
        let what = match &invalid {
            None => "timeout".to_owned(),
            Some(digits) => format!("invalid input \"{digits}\""),
        };
        let Some(step) = self.menu_step() else {
            let target = self.route_to_default(now, format!("menu: {what}"), out);
            return self.run_opt(target, now, out);
        };
        menu.failures += 1;
        menu.digits.clear();
        if menu.failures <= step.retries {
            self.note(
                now,
                format!("menu: {what} ({} of {})", menu.failures, step.retries),
            );
            let before = match invalid {
                None => &step.timeout_prompts,
                Some(_) => &step.invalid_prompts,
            };
            let prompts: Vec<String> = before.iter().chain(&step.prompts).cloned().collect();
            let flows = Arc::clone(&self.flows);
            let prompts = match flows.scenario(&self.scenario) {
                Some(scenario) => self.resolve(&prompts, scenario, now),
                None => prompts,
            };
            menu.playing = Some(self.play(prompts, true, out));
            self.wait = Wait::Menu(menu);
            return;
        }
        let text = format!("menu: {what}, no retries left");
        let target = match step.fallback {
            Some(fallback) => {
                self.note(now, format!("{text} → {fallback}"));
                Some(fallback)
            }
            None => self.route_to_default(now, text, out),
        };
        self.run_opt(target, now, out);
    }
}
