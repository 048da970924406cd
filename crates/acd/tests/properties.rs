//! Random event sequences against random configurations, reconfigured at random moments:
//! every caller who joins ends with exactly one outcome, no agent is ever offered two calls
//! at once, and the engine's own invariants hold after every event.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, TimeDelta, Utc};
use proptest::prelude::*;
use sb_acd::Strategy as Pick;
use sb_acd::{
    replay, Acd, AcdConfig, Action, AgentConfig, AgentRecord, EmptyRule, Escalation, Event,
    MemberConfig, MemberEntry, Outcome, QueueConfig, QueueEvent, QueueEventKind, ReportedQueue,
};

const AGENTS: [&str; 5] = ["101", "102", "103", "104", "105"];
const STRATEGIES: [Pick; 9] = [
    Pick::RingAll,
    Pick::RoundRobin,
    Pick::Linear,
    Pick::LongestIdle,
    Pick::FewestCalls,
    Pick::LeastTalkTime,
    Pick::Random,
    Pick::WeightedRandom,
    Pick::RingProgressive,
];
const RULES: [EmptyRule; 4] = [
    EmptyRule::Never,
    EmptyRule::NoMembers,
    EmptyRule::Unreachable,
    EmptyRule::Paused,
];

fn queue_config() -> impl Strategy<Value = QueueConfig> {
    (
        (
            0..STRATEGIES.len(),
            prop::collection::vec((0..5usize, 0..3u32), 0..4),
        ),
        (1..20u32, 0..6u32, 0..8u32, prop::option::of(20..200u32)),
        (
            prop::option::of(1..6u32),
            0..4usize,
            0..4usize,
            any::<bool>(),
        ),
        (
            prop::option::of(1..4u32),
            0..3u32,
            prop::option::of(0..2u32),
            0..3u32,
        ),
    )
        .prop_map(
            |(
                (strategy, members),
                (ring_timeout, retry, wrapup, max_wait),
                (max_len, join_empty, leave_empty, ringinuse),
                (autopause, weight, max_penalty, callback_attempts),
            )| {
                let mut q = QueueConfig::new("q");
                q.strategy = STRATEGIES[strategy];
                let mut seen = BTreeSet::new();
                q.members = members
                    .into_iter()
                    .filter(|(agent, _)| seen.insert(*agent))
                    .map(|(agent, penalty)| {
                        MemberEntry::Detailed(MemberConfig {
                            agent: AGENTS[agent].to_owned(),
                            penalty,
                            weight: penalty + 1,
                        })
                    })
                    .collect();
                q.ring_timeout = ring_timeout;
                q.retry = retry;
                q.wrapup = wrapup;
                q.max_wait = max_wait;
                q.max_len = max_len;
                q.join_empty = RULES[join_empty];
                q.leave_when_empty = RULES[leave_empty];
                q.ringinuse = ringinuse;
                q.autopause = autopause;
                q.weight = weight;
                q.max_penalty = max_penalty;
                q.escalation = vec![Escalation {
                    after: 15,
                    max_penalty: 2,
                }];
                q.progressive_step = 3;
                q.announce_frequency = 10;
                q.periodic_messages = vec!["m".into()];
                q.periodic_frequency = 7;
                q.callback_key = Some('*');
                q.callback_attempts = callback_attempts;
                q.callback_pause = 5;
                q
            },
        )
}

fn config() -> impl Strategy<Value = AcdConfig> {
    (any::<u64>(), prop::collection::vec(queue_config(), 1..4)).prop_map(|(seed, queues)| {
        let queues = queues
            .into_iter()
            .enumerate()
            .map(|(i, mut q)| {
                q.name = format!("q{i}");
                q
            })
            .collect();
        AcdConfig {
            seed,
            queues,
            agents: vec![AgentConfig {
                id: "101".into(),
                wrapup: Some(2),
            }],
        }
    })
}

/// One step of a random sequence; indexes pick among what exists at that moment.
#[derive(Debug, Clone)]
enum Op {
    Join { queue: usize, priority: i32 },
    HangUp(usize),
    Answer(usize),
    NoAnswer(usize, u8),
    End(usize),
    Key(usize, char),
    Login(usize, usize, u32),
    Logout(usize, Option<usize>),
    Pause(usize),
    Unpause(usize),
    Reachable(usize, bool),
    InUse(usize, bool),
    Callback(usize, bool),
    Tick,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (0..3usize, prop_oneof![3 => Just(0), 1 => Just(5)])
            .prop_map(|(queue, priority)| Op::Join { queue, priority }),
        1 => any::<usize>().prop_map(Op::HangUp),
        4 => any::<usize>().prop_map(Op::Answer),
        2 => (any::<usize>(), 0..3u8).prop_map(|(i, how)| Op::NoAnswer(i, how)),
        3 => any::<usize>().prop_map(Op::End),
        1 => (any::<usize>(), prop_oneof![Just('0'), Just('*'), Just('5')]).prop_map(|(i, d)| Op::Key(i, d)),
        1 => (0..5usize, 0..3usize, 0..3u32).prop_map(|(a, q, p)| Op::Login(a, q, p)),
        1 => (0..5usize, prop::option::of(0..3usize)).prop_map(|(a, q)| Op::Logout(a, q)),
        1 => (0..5usize).prop_map(Op::Pause),
        1 => (0..5usize).prop_map(Op::Unpause),
        1 => (0..5usize, any::<bool>()).prop_map(|(a, r)| Op::Reachable(a, r)),
        1 => (0..5usize, any::<bool>()).prop_map(|(a, u)| Op::InUse(a, u)),
        2 => (any::<usize>(), any::<bool>()).prop_map(|(i, ok)| Op::Callback(i, ok)),
        3 => Just(Op::Tick),
    ]
}

/// One step of the first property: an event, or now and then a whole new configuration.
#[derive(Debug, Clone)]
enum Step {
    Event(Op),
    Reconfigure(AcdConfig),
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        25 => op().prop_map(Step::Event),
        1 => config().prop_map(Step::Reconfigure),
    ]
}

/// What the shell would know, built from the actions only.
#[derive(Default)]
struct World {
    joined: Vec<String>,
    outcomes: BTreeMap<String, Vec<Outcome>>,
    /// agent → the call it is offered now.
    ringing: BTreeMap<String, String>,
    /// Calls put through and not ended.
    talking: BTreeSet<String>,
    /// Calls back started and not answered or failed.
    calling_back: BTreeSet<String>,
}

impl World {
    fn observe(&mut self, actions: &[Action]) -> Result<(), TestCaseError> {
        for action in actions {
            match action {
                Action::RingAgents { call, agents, .. } => {
                    for agent in agents {
                        if let Some(other) = self.ringing.insert(agent.clone(), call.clone()) {
                            return Err(TestCaseError::fail(format!(
                                "{agent} offered {call} while offered {other}"
                            )));
                        }
                    }
                }
                Action::Connect { call, agent, .. } => {
                    prop_assert_eq!(self.ringing.remove(agent), Some(call.clone()));
                }
                Action::StartCallback { call, agent, .. } => {
                    prop_assert_eq!(self.ringing.remove(agent), Some(call.clone()));
                    self.calling_back.insert(call.clone());
                }
                Action::QueueEvent(QueueEvent { call, kind, .. }) => match kind {
                    QueueEventKind::OfferFailed { agent, .. } => {
                        prop_assert_eq!(self.ringing.remove(agent), Some(call.clone()));
                    }
                    QueueEventKind::Ended { outcome, .. } => {
                        self.outcomes
                            .entry(call.clone())
                            .or_default()
                            .push(outcome.clone());
                        self.calling_back.remove(call);
                        if let Outcome::Connected { .. } = outcome {
                            self.talking.insert(call.clone());
                        }
                    }
                    QueueEventKind::Completed { .. } => {
                        self.talking.remove(call);
                    }
                    _ => {}
                },
                _ => {}
            }
        }
        Ok(())
    }
}

fn t(secs: i64) -> DateTime<Utc> {
    "2026-11-23T07:00:00Z".parse::<DateTime<Utc>>().unwrap() + TimeDelta::seconds(secs)
}

fn pick<T: Clone>(items: impl IntoIterator<Item = T>, i: usize) -> Option<T> {
    let items: Vec<T> = items.into_iter().collect();
    (!items.is_empty()).then(|| items[i % items.len()].clone())
}

/// The event `op` stands for, the `n`th of the sequence, given what exists now.
fn event_for(op: Op, n: usize, queues: &[String], world: &mut World) -> Event {
    let agent = |i: usize| AGENTS[i].to_owned();
    match op {
        Op::Join { queue, priority } => {
            let call = format!("c{n}");
            world.joined.push(call.clone());
            Event::CallerJoined {
                call,
                queue: queues[queue % queues.len()].clone(),
                priority,
                number: "+7900".into(),
                exit_keys: [('0', "operator".to_owned())].into(),
            }
        }
        Op::HangUp(i) => match pick(world.joined.clone(), i) {
            Some(call) => Event::CallerLeft { call },
            None => Event::Tick,
        },
        Op::Answer(i) => match pick(world.ringing.clone(), i) {
            Some((agent, call)) => Event::AgentAnswered { call, agent },
            None => Event::Tick,
        },
        Op::NoAnswer(i, how) => match pick(world.ringing.clone(), i) {
            Some((agent, call)) => match how {
                0 => Event::AgentNoAnswer { call, agent },
                1 => Event::AgentBusy { call, agent },
                _ => Event::AgentRejected { call, agent },
            },
            None => Event::Tick,
        },
        Op::End(i) => match pick(world.talking.clone(), i) {
            Some(call) => Event::CallEnded { call },
            None => Event::Tick,
        },
        Op::Key(i, digit) => match pick(world.joined.clone(), i) {
            Some(call) => Event::CallerPressedKey { call, digit },
            None => Event::Tick,
        },
        Op::Login(a, q, penalty) => Event::AgentLogin {
            agent: agent(a),
            queue: queues[q % queues.len()].clone(),
            penalty,
            weight: penalty + 1,
        },
        Op::Logout(a, q) => Event::AgentLogout {
            agent: agent(a),
            queue: q.map(|q| queues[q % queues.len()].clone()),
        },
        Op::Pause(a) => Event::AgentPause {
            agent: agent(a),
            reason: "x".into(),
        },
        Op::Unpause(a) => Event::AgentUnpause { agent: agent(a) },
        Op::Reachable(a, true) => Event::AgentReachable { agent: agent(a) },
        Op::Reachable(a, false) => Event::AgentUnreachable { agent: agent(a) },
        Op::InUse(a, in_use) => Event::AgentInUse {
            agent: agent(a),
            in_use,
        },
        Op::Callback(i, ok) => match pick(world.calling_back.clone(), i) {
            Some(call) if ok => Event::CallbackAnswered { call },
            Some(call) => Event::CallbackFailed { call },
            None => Event::Tick,
        },
        Op::Tick => Event::Tick,
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn every_caller_ends_once_and_no_agent_rings_twice(
        config in config(),
        steps in prop::collection::vec((step(), 0..6i64), 1..120),
    ) {
        let mut queues: Vec<String> = config.queues.iter().map(|q| q.name.clone()).collect();
        let mut acd = Acd::new(config).unwrap();
        let mut world = World::default();
        let mut now = 0;
        for (n, (step, dt)) in steps.into_iter().enumerate() {
            now += dt;
            let actions = match step {
                Step::Event(op) => {
                    let event = event_for(op, n, &queues, &mut world);
                    acd.handle(event, t(now))
                }
                Step::Reconfigure(config) => {
                    // Queues taken out keep their callers; new joins go to the queues in force.
                    queues = config.queues.iter().map(|q| q.name.clone()).collect();
                    acd.reconfigure(config, t(now)).map_err(|e| TestCaseError::fail(e.to_string()))?
                }
            };
            world.observe(&actions)?;
            acd.check_invariants().map_err(TestCaseError::fail)?;
            for (call, outcomes) in &world.outcomes {
                prop_assert!(outcomes.len() == 1, "{} ended {:?}", call, outcomes);
            }
        }
        // Everyone still waiting hangs up (a call back in progress fails first).
        for _ in 0..4 {
            let waiting: Vec<String> = world
                .joined
                .iter()
                .filter(|call| !world.outcomes.contains_key(*call))
                .cloned()
                .collect();
            for call in waiting {
                let actions = acd.handle(Event::CallerLeft { call }, t(now));
                world.observe(&actions)?;
                acd.check_invariants().map_err(TestCaseError::fail)?;
            }
        }
        prop_assert_eq!(acd.waiting_callers(), 0);
        for call in &world.joined {
            let outcomes = world.outcomes.get(call).map_or(0, Vec::len);
            prop_assert_eq!(outcomes, 1, "{} has {} outcomes", call, outcomes);
        }
        prop_assert!(world.ringing.is_empty(), "still ringing: {:?}", world.ringing);
    }

    /// The figures of an interval rebuilt from the records the engine emitted (as the PBX
    /// logs them) are the ones the engine reports live for that interval.
    #[test]
    fn the_log_replayed_gives_the_live_figures(
        config in config(),
        ops in prop::collection::vec((op(), 0..6i64), 2..120),
        cut in any::<prop::sample::Index>(),
    ) {
        let queues: Vec<String> = config.queues.iter().map(|q| q.name.clone()).collect();
        let reported: Vec<ReportedQueue> = config
            .queues
            .iter()
            .map(|q| ReportedQueue {
                name: q.name.clone(),
                service_level: std::time::Duration::from_secs(u64::from(q.service_level)),
            })
            .collect();
        let mut acd = Acd::new(config).unwrap();
        let mut agents: Vec<AgentRecord> = acd
            .agent_standings()
            .map(|(agent, _, occupancy)| AgentRecord { at: t(0), agent: agent.to_owned(), occupancy })
            .collect();
        let mut events = Vec::new();
        let mut world = World::default();
        let cut = cut.index(ops.len());
        let mut now = 0;
        let mut from = None;
        for (n, (op, dt)) in ops.into_iter().enumerate() {
            now += dt;
            if n == cut {
                // The timers due by now fire, the live interval starts half a second later,
                // and the next event comes after that: every record is on one side of the
                // cut both live and in the log.
                let actions = acd.handle(Event::Tick, t(now));
                world.observe(&actions)?;
                for action in &actions {
                    log(action, &mut events, &mut agents);
                }
                let cut_at = t(now) + TimeDelta::milliseconds(500);
                acd.take_interval(cut_at);
                from = Some(cut_at);
                now += 1;
            }
            let event = event_for(op, n, &queues, &mut world);
            let actions = acd.handle(event, t(now));
            world.observe(&actions)?;
            for action in &actions {
                log(action, &mut events, &mut agents);
            }
        }
        let to = t(now + 1);
        let live = acd.take_interval(to);
        let from = from.expect("the cut is inside the sequence");
        let replayed = replay(&reported, from, to, to - from, &events, &agents).remove(0);
        prop_assert_eq!(&replayed.queues, &live.queues);
        match (replayed.occupancy, live.occupancy) {
            (Some(a), Some(b)) => prop_assert!((a - b).abs() < 1e-9, "occupancy {} replayed, {} live", a, b),
            (a, b) => prop_assert_eq!(a, b),
        }
    }
}

/// What the PBX writes to its queue log of `action`.
fn log(action: &Action, events: &mut Vec<QueueEvent>, agents: &mut Vec<AgentRecord>) {
    match action {
        Action::QueueEvent(event) => events.push(event.clone()),
        Action::AgentState {
            at,
            agent,
            occupancy,
            ..
        } => agents.push(AgentRecord {
            at: *at,
            agent: agent.clone(),
            occupancy: *occupancy,
        }),
        _ => {}
    }
}
