//! Penalty levels, the strategy within a level, and escalation over time.

use super::*;

fn tiered(strategy: Strategy) -> QueueConfig {
    let mut q = queue("q", strategy, &[]);
    q.members = vec![
        member("101", 0),
        member("102", 0),
        member("201", 1),
        member("301", 2),
    ];
    q
}

#[test]
fn the_lowest_level_with_an_available_agent_rings_first() {
    let mut sim = Sim::new(vec![tiered(Strategy::RingAll)]);
    assert_eq!(rung(&sim.join(0, "c1", "q"), "c1"), ["101", "102"]);
    sim.answer(1, "c1", "101");
    // 102 is still free at level 0.
    assert_eq!(rung(&sim.join(2, "c2", "q"), "c2"), ["102"]);
    sim.answer(3, "c2", "102");
    // Level 0 busy: level 1.
    assert_eq!(rung(&sim.join(4, "c3", "q"), "c3"), ["201"]);
    sim.answer(5, "c3", "201");
    assert_eq!(rung(&sim.join(6, "c4", "q"), "c4"), ["301"]);
}

#[test]
fn the_strategy_applies_within_the_level() {
    let mut sim = Sim::new(vec![tiered(Strategy::RoundRobin)]);
    let order: Vec<String> = (0..4)
        .map(|i| sim.serve(i, &format!("c{i}"), "q"))
        .collect();
    // Round robin within level 0 only, while level 0 has someone free.
    assert_eq!(order, strings(&["101", "102", "101", "102"]));
}

#[test]
fn a_freed_agent_of_a_better_level_is_preferred_to_a_free_worse_one() {
    let mut sim = Sim::new(vec![tiered(Strategy::Linear)]);
    // Keep 101, 102 and 201 busy, so 301 is the only one free.
    for (i, agent) in ["101", "102", "201"].iter().enumerate() {
        let call = format!("busy{i}");
        assert_eq!(rung(&sim.join(0, &call, "q"), &call), [*agent]);
        sim.answer(0, &call, agent);
    }
    // 301 takes the next caller; then 101 frees while nobody waits.
    assert_eq!(rung(&sim.join(1, "c1", "q"), "c1"), ["301"]);
    sim.answer(1, "c1", "301");
    sim.end(2, "busy0");
    assert_eq!(rung(&sim.join(3, "c2", "q"), "c2"), ["101"]);
}

#[test]
fn max_penalty_holds_callers_to_the_first_levels_until_escalation() {
    let mut q = tiered(Strategy::RingAll);
    q.max_penalty = Some(0);
    q.escalation = vec![
        Escalation {
            after: 30,
            max_penalty: 1,
        },
        Escalation {
            after: 60,
            max_penalty: 2,
        },
    ];
    let mut sim = Sim::new(vec![q]);
    // Both level-0 agents busy.
    sim.join(0, "a", "q");
    sim.answer(0, "a", "101");
    sim.join(0, "b", "q");
    sim.answer(0, "b", "102");
    // A caller at 10 waits although 201 and 301 are free.
    assert!(rung(&sim.join(10, "c", "q"), "c").is_empty());
    assert_eq!(sim.acd.next_deadline(), Some(t(40)));
    assert!(rung(&sim.tick(39), "c").is_empty());
    // After 30 s of waiting the caller reaches level 1.
    assert_eq!(rung(&sim.tick(40), "c"), ["201"]);
    sim.answer(41, "c", "201");
    // The next caller reaches level 2 only after 60 s.
    assert!(rung(&sim.join(50, "d", "q"), "d").is_empty());
    assert!(rung(&sim.tick(80), "d").is_empty(), "level 1 is busy");
    assert_eq!(rung(&sim.tick(110), "d"), ["301"]);
}

#[test]
fn a_freed_agent_only_takes_callers_who_reach_its_level() {
    let mut q = tiered(Strategy::Linear);
    q.members = vec![member("101", 0), member("201", 1)];
    q.max_penalty = Some(0);
    q.escalation = vec![Escalation {
        after: 100,
        max_penalty: 1,
    }];
    let mut sim = Sim::new(vec![q]);
    sim.join(0, "busy", "q");
    sim.answer(0, "busy", "101");
    sim.join(0, "hold", "q");
    // 201 is free but "hold" may not reach it; a VIP joining does not either.
    sim.join_with(5, "vip", "q", 10);
    assert!(rings(&sim.log).iter().all(|(call, _)| call == "busy"));
    // An escalation step "after = 0" reaches level 1 at once.
    let mut q2 = tiered(Strategy::Linear);
    q2.members = vec![member("201", 1)];
    q2.max_penalty = Some(0);
    q2.escalation = vec![Escalation {
        after: 0,
        max_penalty: 1,
    }];
    let mut sim = Sim::new(vec![q2]);
    assert_eq!(rung(&sim.join(0, "c", "q"), "c"), ["201"]);
}

#[test]
fn a_login_penalty_places_a_dynamic_agent_in_its_level() {
    let mut q = queue("q", Strategy::RingAll, &[]);
    q.members = vec![member("101", 1)];
    let mut sim = Sim::new(vec![q]);
    sim.at(
        0,
        Event::AgentLogin {
            agent: "500".into(),
            queue: "q".into(),
            penalty: 0,
            weight: 1,
        },
    );
    assert_eq!(rung(&sim.join(1, "c1", "q"), "c1"), ["500"]);
    sim.hang_up(2, "c1");
    // Logging in again with a worse penalty moves the agent to that level.
    sim.at(
        3,
        Event::AgentLogin {
            agent: "500".into(),
            queue: "q".into(),
            penalty: 1,
            weight: 1,
        },
    );
    assert_eq!(rung(&sim.join(4, "c2", "q"), "c2"), ["101", "500"]);
}
