//! Queues sharing agents: the heavier queue first, then the longest wait.

use super::*;

fn shared(sales_weight: u32, support_weight: u32) -> Sim {
    let mut sales = queue("sales", Strategy::RingAll, &["101"]);
    sales.weight = sales_weight;
    let mut support = queue("support", Strategy::RingAll, &["101"]);
    support.weight = support_weight;
    let mut sim = Sim::new(vec![sales, support]);
    sim.join(0, "busy", "sales");
    sim.answer(0, "busy", "101");
    sim
}

#[test]
fn a_freed_agent_takes_the_heavier_queues_caller() {
    let mut sim = shared(10, 0);
    sim.join(1, "support-1", "support");
    sim.join(5, "sales-1", "sales");
    let actions = sim.end(20, "busy");
    assert_eq!(rings(&actions), [("sales-1".into(), strings(&["101"]))]);
}

#[test]
fn with_equal_weights_the_longest_waiting_caller_goes_first() {
    let mut sim = shared(0, 0);
    sim.join(1, "support-1", "support");
    sim.join(2, "sales-1", "sales");
    sim.join(3, "support-2", "support");
    let mut served = Vec::new();
    let mut current = "busy".to_owned();
    for i in 0..3 {
        let actions = sim.end(10 + i, &current);
        let (call, _) = rings(&actions).remove(0);
        sim.answer(10 + i, &call, "101");
        served.push(call.clone());
        current = call;
    }
    assert_eq!(served, strings(&["support-1", "sales-1", "support-2"]));
}

#[test]
fn a_vip_in_one_queue_is_first_in_its_own_line_only() {
    let mut sim = shared(0, 0);
    sim.join(1, "support-1", "support");
    sim.join_with(2, "sales-vip", "sales", 5);
    sim.join(3, "sales-1", "sales");
    // support-1 waited longest across queues; the VIP heads the sales line.
    let actions = sim.end(10, "busy");
    assert_eq!(rings(&actions)[0].0, "support-1");
    sim.answer(10, "support-1", "101");
    let actions = sim.end(11, "support-1");
    assert_eq!(rings(&actions)[0].0, "sales-vip");
}

#[test]
fn shared_agents_are_spread_across_queues_by_weight_over_many_calls() {
    // Two agents shared by two queues: h0 and l0 find them free; after that the heavy
    // queue gets every freed agent while it has callers.
    let mut heavy = queue("heavy", Strategy::Linear, &["101", "102"]);
    heavy.weight = 2;
    let light = queue("light", Strategy::Linear, &["101", "102"]);
    let mut sim = Sim::new(vec![heavy, light]);
    for i in 0..4 {
        sim.join(0, &format!("h{i}"), "heavy");
        sim.join(0, &format!("l{i}"), "light");
    }
    let mut served = Vec::new();
    for round in 0..8 {
        let ringing: Vec<(String, Vec<String>)> = rings(&sim.log)
            .into_iter()
            .filter(|(call, _)| !served.contains(call))
            .collect();
        let (call, agents) = ringing[0].clone();
        sim.answer(1 + round, &call, &agents[0]);
        sim.end(1 + round, &call);
        served.push(call);
    }
    assert_eq!(
        served,
        strings(&["h0", "l0", "h1", "h2", "h3", "l1", "l2", "l3"])
    );
}
