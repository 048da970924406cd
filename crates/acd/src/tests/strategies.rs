//! Every strategy against its definition, over sequences of calls.

use std::collections::BTreeMap;

use super::*;

const TEAM: &[&str] = &["101", "102", "103"];

fn sim(strategy: Strategy) -> Sim {
    Sim::new(vec![queue("q", strategy, TEAM)])
}

#[test]
fn ring_all_rings_every_available_agent_and_the_first_answer_wins() {
    let mut sim = sim(Strategy::RingAll);
    let actions = sim.join(0, "c1", "q");
    assert_eq!(rung(&actions, "c1"), strings(TEAM));
    let actions = sim.answer(3, "c1", "102");
    assert_eq!(cancelled(&actions, "c1"), strings(&["101", "103"]));
    assert!(actions.contains(&Action::Connect {
        call: "c1".into(),
        agent: "102".into(),
        whisper: Whisper {
            queue: "q".into(),
            waited_secs: 3
        },
    }));
    assert_eq!(outcomes(&actions), [("c1".into(), connected("102"))]);
    // The next caller rings the two still free.
    let actions = sim.join(4, "c2", "q");
    assert_eq!(rung(&actions, "c2"), strings(&["101", "103"]));
}

#[test]
fn linear_takes_the_first_available_member_in_order() {
    let mut sim = sim(Strategy::Linear);
    assert_eq!(rung(&sim.join(0, "c1", "q"), "c1"), ["101"]);
    sim.answer(1, "c1", "101");
    assert_eq!(rung(&sim.join(2, "c2", "q"), "c2"), ["102"]);
    sim.answer(3, "c2", "102");
    sim.end(4, "c1");
    // 101 is free again and first in order: it comes before 103.
    assert_eq!(rung(&sim.join(5, "c3", "q"), "c3"), ["101"]);
    // Always the first: five calls served one by one all go to 101 while it is free.
    let mut sim = self::sim(Strategy::Linear);
    for i in 0..5 {
        assert_eq!(sim.serve(i, &format!("s{i}"), "q"), "101");
    }
}

#[test]
fn round_robin_goes_on_after_the_last_member_offered_and_wraps_round() {
    let mut sim = sim(Strategy::RoundRobin);
    let order: Vec<String> = (0..7)
        .map(|i| sim.serve(i, &format!("c{i}"), "q"))
        .collect();
    assert_eq!(
        order,
        strings(&["101", "102", "103", "101", "102", "103", "101"])
    );

    // A busy member is skipped, and the memory goes on from the one offered.
    let mut sim = self::sim(Strategy::RoundRobin);
    assert_eq!(rung(&sim.join(0, "a", "q"), "a"), ["101"]);
    sim.answer(0, "a", "101");
    assert_eq!(rung(&sim.join(1, "b", "q"), "b"), ["102"]);
    sim.answer(1, "b", "102");
    sim.end(2, "a");
    assert_eq!(rung(&sim.join(3, "c", "q"), "c"), ["103"]);
    sim.answer(3, "c", "103");
    // After 103 it wraps to 101 (102 is busy).
    assert_eq!(rung(&sim.join(4, "d", "q"), "d"), ["101"]);
}

#[test]
fn round_robin_memory_also_counts_unanswered_offers() {
    let mut sim = sim(Strategy::RoundRobin);
    assert_eq!(rung(&sim.join(0, "a", "q"), "a"), ["101"]);
    // 101 does not answer; the caller rests 5 s and then rings the next member.
    sim.at(
        2,
        Event::AgentNoAnswer {
            call: "a".into(),
            agent: "101".into(),
        },
    );
    assert_eq!(rung(&sim.tick(7), "a"), ["102"]);
}

#[test]
fn longest_idle_takes_the_member_whose_last_call_ended_longest_ago() {
    let mut sim = sim(Strategy::LongestIdle);
    // Nobody had a call: the first member.
    assert_eq!(sim.serve(0, "c1", "q"), "101");
    // 101 has just finished; 102 and 103 never had a call: 102 first.
    assert_eq!(sim.serve(10, "c2", "q"), "102");
    assert_eq!(sim.serve(20, "c3", "q"), "103");
    // Now the oldest end is 101's (at 0), then 102's (10), then 103's (20).
    assert_eq!(sim.serve(30, "c4", "q"), "101");
    // A long call of 102 that ends last moves 102 behind 103.
    sim.join(40, "c5", "q");
    sim.answer(40, "c5", "102");
    sim.end(100, "c5");
    assert_eq!(sim.serve(110, "c6", "q"), "103");
    assert_eq!(sim.serve(120, "c7", "q"), "101");
    assert_eq!(sim.serve(130, "c8", "q"), "102");
}

#[test]
fn fewest_calls_takes_the_member_with_the_fewest_completed_calls() {
    let mut sim = sim(Strategy::FewestCalls);
    let mut counts: BTreeMap<String, u32> = TEAM.iter().map(|a| ((*a).to_owned(), 0)).collect();
    for i in 0..12 {
        let agent = sim.serve(i, &format!("c{i}"), "q");
        let least = *counts.values().min().unwrap();
        // The definition: the chosen member had the fewest (the earliest member on a tie).
        let expected = counts.iter().find(|(_, &n)| n == least).unwrap().0.clone();
        assert_eq!(agent, expected, "call {i}");
        *counts.get_mut(&agent).unwrap() += 1;
    }
    assert!(counts.values().all(|&n| n == 4));
}

#[test]
fn least_talk_time_takes_the_member_who_talked_least() {
    let mut sim = sim(Strategy::LeastTalkTime);
    let mut talk: BTreeMap<String, i64> = TEAM.iter().map(|a| ((*a).to_owned(), 0)).collect();
    let lengths = [50, 10, 30, 5, 60, 20, 15, 40];
    let mut now = 0;
    for (i, length) in lengths.into_iter().enumerate() {
        let call = format!("c{i}");
        let actions = sim.join(now, &call, "q");
        let agent = rung(&actions, &call)[0].clone();
        let least = *talk.values().min().unwrap();
        let expected = talk.iter().find(|(_, &s)| s == least).unwrap().0.clone();
        assert_eq!(agent, expected, "call {i}");
        sim.answer(now, &call, &agent);
        sim.end(now + length, &call);
        *talk.get_mut(&agent).unwrap() += length;
        now += length + 1;
    }
}

/// How often each agent is chosen over `n` calls that are offered and then abandoned.
fn draws(strategy: Strategy, members: Vec<MemberEntry>, seed: u64, n: usize) -> Vec<String> {
    let mut config = queue("q", strategy, &[]);
    config.members = members;
    let mut sim = Sim::with(AcdConfig {
        seed,
        queues: vec![config],
        agents: Vec::new(),
    });
    (0..n)
        .map(|i| {
            let call = format!("c{i}");
            let agent = rung(&sim.join(i as i64, &call, "q"), &call)[0].clone();
            sim.hang_up(i as i64, &call);
            agent
        })
        .collect()
}

fn tally(picks: &[String]) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    for pick in picks {
        *counts.entry(pick.clone()).or_default() += 1;
    }
    counts
}

fn plain(members: &[&str]) -> Vec<MemberEntry> {
    members
        .iter()
        .map(|m| MemberEntry::Plain((*m).to_owned()))
        .collect()
}

#[test]
fn random_is_uniform_and_repeats_with_the_seed() {
    let picks = draws(Strategy::Random, plain(TEAM), 42, 3000);
    for (agent, n) in tally(&picks) {
        assert!((900..=1100).contains(&n), "{agent}: {n} of 3000");
    }
    assert_eq!(picks, draws(Strategy::Random, plain(TEAM), 42, 3000));
    assert_ne!(picks, draws(Strategy::Random, plain(TEAM), 43, 3000));
}

#[test]
fn random_only_picks_available_agents() {
    let mut sim = Sim::new(vec![queue("q", Strategy::Random, TEAM)]);
    sim.join(0, "busy", "q");
    let first = rung(&sim.log, "busy")[0].clone();
    sim.answer(0, "busy", &first);
    for i in 0..200 {
        let call = format!("c{i}");
        let agent = rung(&sim.join(i, &call, "q"), &call)[0].clone();
        assert_ne!(agent, first);
        sim.hang_up(i, &call);
    }
}

#[test]
fn weighted_random_follows_the_weights() {
    let weighted = |agent: &str, weight: u32| {
        MemberEntry::Detailed(MemberConfig {
            agent: agent.to_owned(),
            penalty: 0,
            weight,
        })
    };
    let members = vec![weighted("101", 1), weighted("102", 3), weighted("103", 0)];
    let picks = draws(Strategy::WeightedRandom, members.clone(), 7, 4000);
    let counts = tally(&picks);
    assert!((850..=1150).contains(&counts["101"]), "{counts:?}");
    assert!((2850..=3150).contains(&counts["102"]), "{counts:?}");
    assert!(
        !counts.contains_key("103"),
        "weight 0 is never chosen: {counts:?}"
    );
    assert_eq!(picks, draws(Strategy::WeightedRandom, members, 7, 4000));
}

/// Members the PBX logs in itself (so they can log out with `*45`) bring their weight with
/// the login: the shares are the same as for members written into the engine's queue.
#[test]
fn weighted_random_follows_the_weights_agents_logged_in_with() {
    let mut sim = Sim::with(AcdConfig {
        seed: 7,
        queues: vec![queue("q", Strategy::WeightedRandom, &[])],
        agents: Vec::new(),
    });
    for (agent, weight) in [("101", 1), ("102", 3), ("103", 0)] {
        sim.at(
            0,
            Event::AgentLogin {
                agent: agent.to_owned(),
                queue: "q".to_owned(),
                penalty: 0,
                weight,
            },
        );
    }
    let picks: Vec<String> = (0..4000)
        .map(|i| {
            let call = format!("c{i}");
            let agent = rung(&sim.join(i, &call, "q"), &call)[0].clone();
            sim.hang_up(i, &call);
            agent
        })
        .collect();
    let counts = tally(&picks);
    assert!((850..=1150).contains(&counts["101"]), "{counts:?}");
    assert!((2850..=3150).contains(&counts["102"]), "{counts:?}");
    assert!(!counts.contains_key("103"), "{counts:?}");
}

#[test]
fn ring_progressive_adds_one_agent_every_step() {
    let mut q = queue("q", Strategy::RingProgressive, TEAM);
    q.progressive_step = 5;
    q.ring_timeout = 8;
    let mut sim = Sim::new(vec![q]);
    assert_eq!(rung(&sim.join(0, "c1", "q"), "c1"), ["101"]);
    assert_eq!(sim.acd.next_deadline(), Some(t(5)));
    assert_eq!(rung(&sim.tick(5), "c1"), ["102"]);
    // Each added agent rings for ring_timeout from when it was added.
    assert_eq!(rung(&sim.tick(10), "c1"), ["103"]);
    assert!(rung(&sim.tick(15), "c1").is_empty(), "nobody left to add");
    let actions = sim.answer(16, "c1", "102");
    assert_eq!(cancelled(&actions, "c1"), strings(&["101", "103"]));
    assert_eq!(outcomes(&actions), [("c1".into(), connected("102"))]);
}

#[test]
fn ring_progressive_rings_out_after_the_last_agent_added() {
    let mut q = queue("q", Strategy::RingProgressive, &["101", "102"]);
    q.progressive_step = 5;
    q.ring_timeout = 8;
    q.retry = 2;
    let mut sim = Sim::new(vec![q]);
    sim.join(0, "c1", "q");
    sim.tick(5);
    // 102 was added at 5: the attempt ends at 13, not 8.
    assert!(cancelled(&sim.tick(12), "c1").is_empty());
    assert_eq!(cancelled(&sim.tick(13), "c1"), strings(&["101", "102"]));
    // After the retry pause, a new attempt starts from the first member again.
    assert_eq!(rung(&sim.tick(15), "c1"), ["101"]);
}
