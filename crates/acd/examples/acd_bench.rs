//! Decision time per event of the distributor, by hand:
//! `cargo run --release -p sb-acd --example acd_bench`.
//!
//! 1,000 agents in 20 queues, each agent a member of three queues (penalty 0, 1 and 2
//! there), so each queue has 150 members and every agent is shared. Two loads, for every
//! strategy:
//!
//! - `waiting`: every agent on a call and 10,000 callers waiting (500 a queue). A call
//!   ends (the agent takes the best head caller of its three queues), the offer is
//!   answered, a new caller joins and waits; one caller in ten hangs up from anywhere in
//!   a line; the clock advances 50 ms an event, and position announcements (every 60 s
//!   a caller) fire on ticks.
//! - `idle`: nobody waits and about half the agents are free: every caller who joins is
//!   offered at once by the strategy over the free agents of the first level.
//!
//! The time is the whole `Acd::handle` call, actions included. One run; the machine is
//! shared, so compare ratios rather than trust the last digit.

use std::collections::HashMap;
use std::time::Instant;

use chrono::{DateTime, TimeDelta, Utc};
use sb_acd::{Acd, AcdConfig, Action, Event, MemberConfig, MemberEntry, QueueConfig, Strategy};

const QUEUES: usize = 20;
const AGENTS: usize = 1_000;
const WAITING: usize = 10_000;
const ROUNDS: usize = 20_000;

fn config(strategy: Strategy) -> AcdConfig {
    let mut queues: Vec<QueueConfig> = (0..QUEUES)
        .map(|q| {
            let mut config = QueueConfig::new(&format!("q{q:02}"));
            config.strategy = strategy;
            config.announce_frequency = 60;
            config.weight = (q % 3) as u32;
            config
        })
        .collect();
    for agent in 0..AGENTS {
        for (penalty, shift) in [0, 7, 13].into_iter().enumerate() {
            queues[(agent + shift) % QUEUES]
                .members
                .push(MemberEntry::Detailed(MemberConfig {
                    agent: format!("{}", 1000 + agent),
                    penalty: penalty as u32,
                    weight: 1 + (agent % 4) as u32,
                }));
        }
    }
    AcdConfig {
        seed: 1,
        queues,
        agents: Vec::new(),
    }
}

/// A tiny deterministic generator for the load (the engine has its own).
struct Load(u64);

impl Load {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n as u64) as usize
    }
}

/// A set with random picks: calls waiting, calls talking.
#[derive(Default)]
struct Bag {
    items: Vec<String>,
    index: HashMap<String, usize>,
}

impl Bag {
    fn insert(&mut self, item: String) {
        self.index.insert(item.clone(), self.items.len());
        self.items.push(item);
    }
    fn remove(&mut self, item: &str) {
        if let Some(i) = self.index.remove(item) {
            self.items.swap_remove(i);
            if let Some(moved) = self.items.get(i) {
                self.index.insert(moved.clone(), i);
            }
        }
    }
    fn pick(&self, load: &mut Load) -> Option<String> {
        (!self.items.is_empty()).then(|| self.items[load.below(self.items.len())].clone())
    }
    fn len(&self) -> usize {
        self.items.len()
    }
}

/// The shell: answers every offer with its first agent, keeps track of calls.
struct Shell {
    acd: Acd,
    now: DateTime<Utc>,
    waiting: Bag,
    talking: Bag,
    offers: Vec<(String, String)>,
    next_call: usize,
    timings: HashMap<&'static str, Vec<f64>>,
}

impl Shell {
    fn new(strategy: Strategy) -> Shell {
        Shell {
            acd: Acd::new(config(strategy)).unwrap(),
            now: "2026-11-23T07:00:00Z".parse().unwrap(),
            waiting: Bag::default(),
            talking: Bag::default(),
            offers: Vec::new(),
            next_call: 0,
            timings: HashMap::new(),
        }
    }

    /// Handles one event; times it under `label` when given.
    fn handle(&mut self, event: Event, label: Option<&'static str>) {
        let start = Instant::now();
        let actions = self.acd.handle(event, self.now);
        let micros = start.elapsed().as_secs_f64() * 1e6;
        if let Some(label) = label {
            self.timings.entry(label).or_default().push(micros);
        }
        for action in actions {
            match action {
                Action::RingAgents { call, agents, .. } => {
                    self.offers.push((call, agents[0].clone()))
                }
                Action::Connect { call, .. } => {
                    self.waiting.remove(&call);
                    self.talking.insert(call);
                }
                Action::Leave { call, .. } => self.waiting.remove(&call),
                _ => {}
            }
        }
    }

    fn join(&mut self, load: &mut Load, label: Option<&'static str>) {
        let call = format!("c{}", self.next_call);
        self.next_call += 1;
        self.waiting.insert(call.clone());
        let queue = format!("q{:02}", load.below(QUEUES));
        let event = Event::CallerJoined {
            call,
            queue,
            priority: if load.below(50) == 0 { 5 } else { 0 },
            number: "+79001234567".into(),
            exit_keys: Default::default(),
        };
        self.handle(event, label);
    }

    fn answer_offers(&mut self, label: Option<&'static str>) {
        while let Some((call, agent)) = self.offers.pop() {
            self.handle(Event::AgentAnswered { call, agent }, label);
        }
    }

    fn end(&mut self, load: &mut Load, label: Option<&'static str>) {
        if let Some(call) = self.talking.pick(load) {
            self.talking.remove(&call);
            self.handle(Event::CallEnded { call }, label);
        }
    }

    fn advance(&mut self, millis: i64) {
        self.now += TimeDelta::milliseconds(millis);
    }
}

fn waiting_load(strategy: Strategy, load: &mut Load) -> Shell {
    let mut shell = Shell::new(strategy);
    // Fill: every agent on a call, then 10,000 callers waiting, over a minute (so their
    // announcements fall due spread out, as in life).
    while shell.waiting.len() < WAITING {
        shell.join(load, None);
        shell.answer_offers(None);
        shell.advance(6);
    }
    assert_eq!(shell.talking.len(), AGENTS);
    for round in 0..ROUNDS {
        shell.end(load, Some("call ends, agent offered"));
        shell.answer_offers(Some("agent answers"));
        shell.join(load, Some("caller joins, waits"));
        if round % 10 == 0 {
            if let Some(call) = shell.waiting.pick(load) {
                shell.waiting.remove(&call);
                shell.handle(Event::CallerLeft { call }, Some("caller abandons"));
            }
            shell.join(load, None);
        }
        shell.advance(50);
        if round % 20 == 0 {
            shell.handle(Event::Tick, Some("tick (announcements)"));
        }
    }
    shell
}

fn idle_load(strategy: Strategy, load: &mut Load) -> Shell {
    let mut shell = Shell::new(strategy);
    for _ in 0..ROUNDS {
        shell.join(load, Some("caller joins, offered"));
        shell.answer_offers(Some("agent answers"));
        if shell.talking.len() > AGENTS / 2 {
            shell.end(load, Some("call ends"));
        }
        shell.advance(50);
    }
    shell
}

fn summary(samples: &mut [f64]) -> (usize, f64, f64, f64) {
    samples.sort_by(f64::total_cmp);
    let n = samples.len();
    let mean = samples.iter().sum::<f64>() / n as f64;
    let p99 = samples[(n * 99 / 100).min(n - 1)];
    (n, mean, p99, samples[n - 1])
}

fn main() {
    let strategies = [
        ("ring_all", Strategy::RingAll),
        ("round_robin", Strategy::RoundRobin),
        ("linear", Strategy::Linear),
        ("longest_idle", Strategy::LongestIdle),
        ("fewest_calls", Strategy::FewestCalls),
        ("least_talk_time", Strategy::LeastTalkTime),
        ("random", Strategy::Random),
        ("weighted_random", Strategy::WeightedRandom),
        ("ring_progressive", Strategy::RingProgressive),
    ];
    println!(
        "{AGENTS} agents, {QUEUES} queues (150 members each, every agent in 3), \
         {ROUNDS} rounds; times in µs per Acd::handle"
    );
    println!(
        "{:<17} {:<8} {:<28} {:>7} {:>8} {:>8} {:>8}",
        "strategy", "load", "event", "count", "mean", "p99", "max"
    );
    let mut worst_p99: f64 = 0.0;
    for (name, strategy) in strategies {
        let mut load = Load(0x9e37_79b9_7f4a_7c15);
        for (load_name, shell) in [
            ("waiting", waiting_load(strategy, &mut load)),
            ("idle", idle_load(strategy, &mut load)),
        ] {
            let mut labels: Vec<_> = shell.timings.into_iter().collect();
            labels.sort_by_key(|(label, _)| *label);
            for (label, mut samples) in labels {
                let (n, mean, p99, max) = summary(&mut samples);
                if !label.starts_with("tick") {
                    worst_p99 = worst_p99.max(p99);
                }
                println!(
                    "{name:<17} {load_name:<8} {label:<28} {n:>7} {mean:>8.2} {p99:>8.2} {max:>8.1}"
                );
            }
        }
    }
    println!("worst p99 of a single decision (ticks aside): {worst_p99:.2} µs (target < 50 µs)");
}
