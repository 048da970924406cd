//! Queues on live calls, end to end: SIPp agents register as the demo's sales people and
//! answer, SIPp callers dial the sales queue through the carrier (DID 74950000001) or 700
//! from a desk phone. Who is rung, in what order, who gets the call, and how a caller who
//! waited too long goes on in the scenario; agents log out and in with `*45` and pause
//! with `*46`; `GET /api/queues` shows the line.

mod common;

use common::scenario::http_get;
use common::*;
use std::time::Duration;

/// The number the carrier calls from.
const CALLER_NUMBER: &str = "79161234567";
/// The sales queue's DID.
const SALES_DID: &str = "74950000001";
/// A DID and an internal number leading to the tests' scenario `qs`.
const QS_DID: &str = "74950000010";
const QS_NUMBER: &str = "810";

/// The demo's sales queue as written in the demo file.
const DEMO_SALES: &str = "name = \"sales\"\nnumber = \"700\"\nmembers = [\"103\", \"104\", \"105\"]\n\
    # With no agent's phone registered, callers go on in the scenario (`unavailable`)\n\
    # instead of waiting for nobody.\njoin_empty = \"unreachable\"\nleave_when_empty = \"unreachable\"";

/// The demo office on trunk port `trunk`, its sales queue replaced by `sales` (the keys
/// after `name`), plus the scenario `qs` (`steps`, entry `entry`) at 810 and 74950000010.
fn office(trunk: u16, sales: &str, entry: &str, steps: &str) -> Pbx {
    let text = ConfigText::demo().trunk_port(trunk).0;
    assert!(text.contains(DEMO_SALES), "the demo's sales queue");
    let mut text = text.replace(DEMO_SALES, &format!("name = \"sales\"\n{sales}"));
    if !steps.is_empty() {
        text.push_str(&format!(
            r#"

[[internal]]
number = "{QS_NUMBER}"
target = "scenario:qs"

[[did]]
number = "{QS_DID}"
trunk = "carrier"
target = "scenario:qs"

[scenario.qs]
entry = "{entry}"
default = "closed"
{steps}

[scenario.qs.steps.closed]
kind = "hangup"
cause = "closed"
"#
        ));
    }
    Pbx::start(PbxOptions::with_config(ConfigText(text)))
}

/// An agent's phone: registered on its own port, answering one call at a time.
struct Agent {
    extension: &'static str,
    port: u16,
}

impl Agent {
    fn register(pbx: &Pbx, extension: &'static str) -> Agent {
        let port = ports::port();
        register(pbx, extension, port);
        Agent { extension, port }
    }

    /// Ready to answer (after `ring_ms` of ringing) the next call.
    fn answer(&self, pbx: &Pbx, ring_ms: u64) -> SippRun {
        let mut uas = pbx
            .sipp("uas_answer")
            .port(self.port)
            .pause_ms(ring_ms)
            .timeout(Duration::from_secs(60))
            .spawn();
        uas.wait_ready();
        uas
    }

    /// Rings without answering.
    fn ring_forever(&self, pbx: &Pbx) -> SippRun {
        let mut uas = pbx
            .sipp("uas_ring_forever")
            .port(self.port)
            .timeout(Duration::from_secs(60))
            .spawn();
        uas.wait_ready();
        uas
    }
}

/// Extension `from` calls `number` and talks (waits) `talk_ms` before hanging up.
fn desk_call(pbx: &Pbx, from: &str, number: &str, talk_ms: u64) -> SippRun {
    caller(pbx, "rg_caller", from, number)
        .pause_ms(talk_ms)
        .timeout(Duration::from_secs(60))
        .spawn()
}

/// `*45` or `*46` from `extension`: answered, a beep, the PBX hangs up.
fn agent_code(pbx: &Pbx, extension: &str, code: &str) {
    let outcome = caller(pbx, "rg_caller_wait_end", extension, code)
        .recv_timeout(Duration::from_secs(5))
        .timeout(Duration::from_secs(15))
        .run();
    outcome.assert_success();
    assert_eq!(outcome.expect_log("ANSWERED"), "1", "{code} is answered");
    assert_eq!(
        outcome.expect_log("GOT_BYE"),
        "1",
        "{code}: the PBX hangs up"
    );
}

/// `GET /api/queues` as JSON.
fn queues(pbx: &Pbx) -> serde_json::Value {
    let (status, body) = http_get(pbx.http, "/api/queues");
    assert_eq!(status, 200, "{body}");
    serde_json::from_str(&body).unwrap_or_else(|e| panic!("{e}: {body}"))
}

fn agent_state(view: &serde_json::Value, agent: &str) -> String {
    view["agents"]
        .as_array()
        .and_then(|agents| agents.iter().find(|a| a["agent"] == agent))
        .map(|a| a["state"].as_str().unwrap_or_default().to_owned())
        .unwrap_or_else(|| panic!("no agent {agent} in {view}"))
}

fn sales(view: &serde_json::Value) -> &serde_json::Value {
    view["queues"]
        .as_array()
        .and_then(|queues| queues.iter().find(|q| q["name"] == "sales"))
        .unwrap_or_else(|| panic!("no sales queue in {view}"))
}

/// Waits until `sales` has `n` callers waiting; the view then.
fn wait_waiting(pbx: &Pbx, n: u64) -> serde_json::Value {
    wait_until(
        &format!("{n} callers waiting in sales"),
        Duration::from_secs(10),
        || {
            let view = queues(pbx);
            (sales(&view)["waiting"].as_u64() == Some(n)).then_some(view)
        },
    )
}

/// The demo's sales queue (ring all) from the carrier's DID: 103 and 104 ring at once
/// (105 has no phone), 103 answers and gets the caller, 104 is cancelled.
#[test]
fn ring_all_from_the_trunk_connects_the_first_to_answer() {
    let trunk = ports::port();
    let pbx = office(
        trunk,
        "number = \"700\"\nmembers = [\"103\", \"104\", \"105\"]",
        "",
        "",
    );
    let vera = Agent::register(&pbx, "103").answer(&pbx, 700);
    let gleb = Agent::register(&pbx, "104").ring_forever(&pbx);
    let carrier = pbx
        .sipp("q_trunk_caller")
        .port(trunk)
        .key("user", CALLER_NUMBER)
        .service(SALES_DID)
        .pause_ms(3_000)
        .timeout(Duration::from_secs(30))
        .run();
    let vera = vera.wait_after(&carrier);
    let gleb = gleb.wait_after(&carrier);
    carrier.assert_success();
    vera.assert_success();
    gleb.assert_success();
    assert_eq!(carrier.expect_log("ANSWERED"), "1", "the queue answers");
    assert_eq!(
        vera.expect_log("GOT_BYE"),
        "1",
        "the caller's BYE reaches 103"
    );
    assert!(
        vera.expect_log("FROM").contains(&CALLER_NUMBER[1..]),
        "103 sees the caller's number: {}",
        vera.expect_log("FROM")
    );
    assert_eq!(gleb.expect_log("GOT_INVITE"), "1", "104 rang too");
    assert_eq!(gleb.expect_log("GOT_CANCEL"), "1", "104 is cancelled");
    let record = pbx.wait_for_call("ANSWERED", RECORD_TIMEOUT);
    assert!(
        record.callee.starts_with("103"),
        "answered by 103: {record:?}"
    );
    assert!(
        pbx.log().contains("queue call connected"),
        "{}",
        tail(&pbx.log(), 80)
    );
}

/// `round_robin`: two calls to 700 one after the other go to two different agents, each
/// rung alone.
#[test]
fn round_robin_takes_turns() {
    let pbx = office(
        ports::port(),
        "number = \"700\"\nmembers = [\"103\", \"104\"]\nstrategy = \"round_robin\"",
        "",
        "",
    );
    let agents = [Agent::register(&pbx, "103"), Agent::register(&pbx, "104")];
    let mut order = Vec::new();
    let mut waiting: Vec<Option<SippRun>> =
        agents.iter().map(|a| Some(a.answer(&pbx, 200))).collect();
    for _ in 0..2 {
        let call = desk_call(&pbx, "101", "700", 2_000).wait();
        call.assert_success();
        let mut answered = None;
        for (i, agent) in agents.iter().enumerate() {
            let uas = waiting[i].take().expect("a waiting agent");
            if wait_done(&uas) {
                let outcome = uas.wait();
                outcome.assert_success();
                assert!(answered.is_none(), "one agent per call");
                answered = Some(agent.extension);
                waiting[i] = Some(agent.answer(&pbx, 200));
            } else {
                waiting[i] = Some(uas);
            }
        }
        order.push(answered.expect("an agent answered"));
    }
    for uas in waiting.into_iter().flatten() {
        let rest = uas.stop();
        assert_eq!(rest.received("INVITE"), 0, "{rest}");
    }
    assert_eq!(order, ["103", "104"], "round robin in member order");
}

/// Whether a UAS got a call (its log says GOT_BYE) within a short wait.
fn wait_done(uas: &SippRun) -> bool {
    for _ in 0..20 {
        if uas.logged("GOT_BYE").is_some() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    false
}

/// `longest_idle`: three calls in a row go to the three agents in turn, the one who
/// waited longest first.
#[test]
fn longest_idle_offers_the_agent_idle_longest() {
    let pbx = office(
        ports::port(),
        "number = \"700\"\nmembers = [\"103\", \"104\", \"105\"]\nstrategy = \"longest_idle\"",
        "",
        "",
    );
    let agents = [
        Agent::register(&pbx, "103"),
        Agent::register(&pbx, "104"),
        Agent::register(&pbx, "105"),
    ];
    let mut waiting: Vec<Option<SippRun>> =
        agents.iter().map(|a| Some(a.answer(&pbx, 200))).collect();
    let mut order = Vec::new();
    for _ in 0..4 {
        let call = desk_call(&pbx, "101", "700", 1_500).wait();
        call.assert_success();
        for (i, agent) in agents.iter().enumerate() {
            let uas = waiting[i].take().expect("a waiting agent");
            if wait_done(&uas) {
                uas.wait().assert_success();
                order.push(agent.extension);
                waiting[i] = Some(agent.answer(&pbx, 200));
            } else {
                waiting[i] = Some(uas);
            }
        }
    }
    for uas in waiting.into_iter().flatten() {
        uas.stop();
    }
    assert_eq!(order.len(), 4, "one agent per call: {order:?}");
    let first_three: std::collections::BTreeSet<_> = order[..3].iter().collect();
    assert_eq!(
        first_three.len(),
        3,
        "three different agents first: {order:?}"
    );
    assert_eq!(order[3], order[0], "then the one idle longest: {order:?}");
}

/// A caller who waits `max_wait` leaves the queue with `timeout`, and the scenario goes on
/// at the step the queue step names for it.
#[test]
fn max_wait_timeout_goes_on_in_the_scenario() {
    let steps = r#"
[scenario.qs.steps.wait]
kind = "queue"
queue = "sales"
on = { timeout = "sorry" }

[scenario.qs.steps.sorry]
kind = "hangup"
cause = "queue_timeout"
"#;
    // 103 has no phone registered: nobody can take the call.
    let pbx = office(
        ports::port(),
        "number = \"700\"\nmembers = [\"103\"]\nmax_wait = 2",
        "wait",
        steps,
    );
    let started = std::time::Instant::now();
    let call = caller(&pbx, "rg_caller_wait_end", "101", QS_NUMBER)
        .recv_timeout(Duration::from_secs(10))
        .timeout(Duration::from_secs(20))
        .run();
    call.assert_success();
    assert_eq!(call.expect_log("ANSWERED"), "1");
    assert_eq!(
        call.expect_log("GOT_BYE"),
        "1",
        "the PBX hangs up after the wait"
    );
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_millis(1_900) && waited < Duration::from_secs(8),
        "max_wait of 2 s: {waited:?}"
    );
    wait_until("the timeout in the log", Duration::from_secs(5), || {
        pbx.log().contains("left the queue").then_some(())
    });
    pbx.wait_for_call("ANSWERED", RECORD_TIMEOUT);
}

/// `*45` logs 103 out of sales: a call rings only 104; `*45` again logs 103 back in.
#[test]
fn star_45_logs_an_agent_out_and_in() {
    let pbx = office(
        ports::port(),
        "number = \"700\"\nmembers = [\"103\", \"104\"]",
        "",
        "",
    );
    let vera = Agent::register(&pbx, "103");
    let gleb = Agent::register(&pbx, "104");
    assert_eq!(agent_state(&queues(&pbx), "103"), "available");
    agent_code(&pbx, "103", "*45");
    assert_eq!(agent_state(&queues(&pbx), "103"), "logged_out");
    assert_eq!(sales(&queues(&pbx))["logged_in"], 1);

    let vera_uas = vera.answer(&pbx, 200);
    let gleb_uas = gleb.answer(&pbx, 300);
    let call = desk_call(&pbx, "101", "700", 2_000).wait();
    call.assert_success();
    let gleb_uas = gleb_uas.wait_after(&call);
    gleb_uas.assert_success();
    assert_eq!(gleb_uas.expect_log("GOT_BYE"), "1", "104 took the call");
    let vera_uas = vera_uas.stop();
    assert_eq!(
        vera_uas.received("INVITE"),
        0,
        "103 is logged out:\n{vera_uas}"
    );

    agent_code(&pbx, "103", "*45");
    assert_eq!(agent_state(&queues(&pbx), "103"), "available");
    assert_eq!(sales(&queues(&pbx))["logged_in"], 2);
}

/// A caller whose scenario sets `priority` goes ahead of callers who came earlier: with
/// the only agent paused (`*46`), a VIP joining second is first in line, and is the one
/// the agent gets once unpaused.
#[test]
fn a_vip_overtakes_the_line() {
    let trunk = ports::port();
    let steps = r#"
[scenario.qs.steps.vip]
kind = "set"
attribute = "priority"
value = "10"
next = "wait"

[scenario.qs.steps.wait]
kind = "queue"
queue = "sales"
"#;
    let pbx = office(trunk, "number = \"700\"\nmembers = [\"103\"]", "vip", steps);
    let vera = Agent::register(&pbx, "103");
    agent_code(&pbx, "103", "*46");
    assert_eq!(agent_state(&queues(&pbx), "103"), "paused");

    let ordinary = desk_call(&pbx, "102", "700", 8_000);
    wait_waiting(&pbx, 1);
    let vip = pbx
        .sipp("q_trunk_caller")
        .port(trunk)
        .key("user", CALLER_NUMBER)
        .service(QS_DID)
        .pause_ms(6_000)
        .timeout(Duration::from_secs(30))
        .spawn();
    let view = wait_waiting(&pbx, 2);
    let callers = sales(&view)["callers"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(callers.len(), 2, "{view}");

    // `switchboard queues` shows the same line.
    let out = std::process::Command::new(common::pbx::binary())
        .args(["--http-listen", &pbx.http.to_string(), "queues"])
        .env("RUST_LOG", "warn")
        .output()
        .expect("run switchboard queues");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        text.contains("queue sales (700, ring_all): 2 waiting"),
        "{text}"
    );
    assert!(text.contains("103") && text.contains("paused"), "{text}");

    let uas = vera.answer(&pbx, 200);
    agent_code(&pbx, "103", "*46");
    let vip = vip.wait();
    vip.assert_success();
    let uas = uas.wait_after(&vip);
    uas.assert_success();
    assert!(
        uas.expect_log("FROM").contains(&CALLER_NUMBER[1..]),
        "the VIP, who came second, is served first: {}",
        uas.expect_log("FROM")
    );
    let ordinary = ordinary.wait();
    ordinary.assert_success();
}
