//! Queues on live calls, end to end: SIPp agents register as the demo's sales people and
//! answer, SIPp callers dial the sales queue through the carrier (DID 74950000001) or 700
//! from a desk phone. Who is rung, in what order, who gets the call, and how a caller who
//! waited too long goes on in the scenario; agents log out and in with `*45` and pause
//! with `*46`; `GET /api/queues` shows the line. A caller behind another hears the
//! position prompt (checked in the RTP it receives); an exit key leaves for its step; a
//! caller who presses the callback key and hangs up is called back through the trunk (a
//! SIPp bound to the carrier's address answers, or does not, each time).

mod common;

use common::media_check::{self as mc, MediaSocket};
use common::scenario::{assert_trace_in_order, http_get, CallerScript};
use common::*;
use sb_media::audio::Codec;
use std::time::{Duration, Instant};

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

    // The queue log has the call: offered, answered, completed; 103 was busy for a while.
    let stats = wait_for_stats(&pbx, |sales| sales["completed"] == 1);
    let today = last_interval(&stats);
    let sales = &today["queues"][0];
    assert_eq!(sales["queue"], "sales", "{stats}");
    assert_eq!(sales["offered"], 1, "{stats}");
    assert_eq!(sales["answered"], 1, "{stats}");
    assert_eq!(sales["answered_in_threshold"], 1, "{stats}");
    assert_eq!(sales["service_level"], 1.0, "{stats}");
    let occupancy = today["occupancy"].as_f64().unwrap_or(0.0);
    assert!(occupancy > 0.0, "{stats}");
    let out = std::process::Command::new(common::pbx::binary())
        .arg("--data-dir")
        .arg(&pbx.data_dir)
        .args(["queue-stats", "--interval", "1440"])
        .env("RUST_LOG", "warn")
        .output()
        .expect("run switchboard queue-stats");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let line: Vec<&str> = text
        .lines()
        .rfind(|line| line.contains(" sales "))
        .unwrap_or_default()
        .split_whitespace()
        .collect();
    assert_eq!(
        line.get(3..8),
        Some(&["1", "1", "0", "100%", "100%"][..]),
        "{text}"
    );
}

/// `GET /api/queues/stats` for the last day in daily intervals, once `done` holds for
/// the sales queue's figures of today (the queue log is written in the background), or
/// after 10 s.
fn wait_for_stats(pbx: &Pbx, done: impl Fn(&serde_json::Value) -> bool) -> serde_json::Value {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let (status, body) = http_get(pbx.http, "/api/queues/stats?interval=1440");
        assert_eq!(status, 200, "{body}");
        let stats: serde_json::Value = serde_json::from_str(&body).expect("JSON");
        if done(&last_interval(&stats)["queues"][0]) || Instant::now() > deadline {
            return stats;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// The latest interval of a `/api/queues/stats` answer: the one the test's calls are in.
fn last_interval(stats: &serde_json::Value) -> serde_json::Value {
    stats["intervals"]
        .as_array()
        .and_then(|intervals| intervals.last())
        .cloned()
        .unwrap_or_default()
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

/// 101 (or `from`) calls `number` offering PCMU only, its media to `rtp_port`, and waits
/// for the PBX to hang up.
fn pcmu_call(pbx: &Pbx, from: &str, number: &str, rtp_port: u16) -> Sipp {
    caller(pbx, "med_uac_wait_bye", from, number)
        .key("pt", 0)
        .key("codec", "PCMU")
        .key("fmts", "0 101")
        .key("te_attr", "rtpmap:101 telephone-event/8000")
        .rtp_port(rtp_port)
}

/// Where `reference` is heard in `signal` (correlation, first sample). Playbacks start on
/// the 20 ms frames of the stream, so the frames are searched first, then the samples
/// around the best one.
fn find_prompt(reference: &[i16], signal: &[i16]) -> (f64, isize) {
    let last = signal.len().saturating_sub(reference.len()) as isize;
    let frame = mc::FRAME as isize;
    let coarse = (0..=last)
        .step_by(mc::FRAME)
        .map(|lag| mc::best_correlation(reference, signal, lag..=lag))
        .fold(
            (f64::MIN, 0),
            |best, found| {
                if found.0 > best.0 {
                    found
                } else {
                    best
                }
            },
        );
    mc::best_correlation(reference, signal, coarse.1 - frame..=coarse.1 + frame)
}

/// With `announce_frequency`, a caller waiting behind another hears "you are number two"
/// (Russian, the demo's language) in place of the hold music: the prompt files, sample for
/// sample after G.711, one right after the other.
#[test]
fn a_caller_behind_another_hears_the_position_prompt() {
    let pbx = office(
        ports::port(),
        "number = \"700\"\nmembers = [\"103\"]\nannounce_frequency = 3\nmax_wait = 8",
        "",
        "",
    );
    // 103 has no phone: both callers wait, the first one ahead.
    let first = desk_call(&pbx, "102", "700", 7_000);
    wait_waiting(&pbx, 1);
    let media = MediaSocket::bind();
    let second = pcmu_call(&pbx, "101", "700", media.port())
        .recv_timeout(Duration::from_secs(20))
        .timeout(Duration::from_secs(30))
        .spawn();
    let arrivals = mc::record(
        &media.rtp,
        Instant::now() + Duration::from_secs(6),
        Duration::from_millis(1500),
    );
    let second = second.wait();
    second.assert_success();
    assert_eq!(second.expect_log("GOT_BYE"), "1", "max_wait ends the wait");
    first.wait().assert_success();

    let heard = mc::decode(Codec::Pcmu, &mc::rtp_of(&arrivals));
    let you_are = mc::round_trip(Codec::Pcmu, &mc::shipped_prompt("ru", "queue-you-are"));
    let (c, at) = find_prompt(&you_are, &heard);
    let end = at + you_are.len() as isize;
    let two = mc::round_trip(Codec::Pcmu, &mc::shipped_prompt("ru", "num-2"));
    let (c2, at2) = mc::best_correlation(&two, &heard, end - 400..=end + 400);
    eprintln!(
        "queue-you-are: {c:.4} at {at}; num-2: {c2:.4} at {at2} of {} samples",
        heard.len()
    );
    assert!(
        c >= 0.99,
        "queue-you-are not heard: correlation {c:.4} at sample {at}"
    );
    assert!(
        c2 >= 0.99 && (0..mc::FRAME as isize).contains(&(at2 - end)),
        "num-2 not heard right after queue-you-are (ends at {end}): {c2:.4} at {at2}"
    );
    assert!(
        pbx.log().contains("position announced"),
        "{}",
        tail(&pbx.log(), 60)
    );
}

/// A caller turned away at the door (`join_empty`: no agent's phone is registered) goes on
/// in the scenario at once with `unavailable`.
#[test]
fn a_caller_turned_away_at_the_door_goes_on_with_unavailable() {
    let steps = r#"
[scenario.qs.steps.wait]
kind = "queue"
queue = "sales"
on = { unavailable = "nobody" }

[scenario.qs.steps.nobody]
kind = "hangup"
cause = "queue_unavailable"
"#;
    let pbx = office(
        ports::port(),
        "number = \"700\"\nmembers = [\"103\"]\njoin_empty = \"unreachable\"",
        "wait",
        steps,
    );
    let call = caller(&pbx, "rg_caller_wait_end", "101", QS_NUMBER)
        .recv_timeout(Duration::from_secs(10))
        .timeout(Duration::from_secs(20))
        .run();
    call.assert_success();
    assert_eq!(call.expect_log("GOT_BYE"), "1", "the PBX hangs up");
    let trace = common::scenario::trace(&pbx, &call.expect_log("CALL_ID"));
    assert_trace_in_order(
        &trace,
        &[
            "queue sales",
            "queue sales: unavailable → nobody",
            "hangup: queue_unavailable",
        ],
    );
}

/// An exit key of the queue step takes the caller out of the queue to its step; another
/// key means nothing while waiting.
#[test]
fn an_exit_key_leaves_the_queue_for_its_step() {
    let trunk = ports::port();
    let steps = r#"
[scenario.qs.steps.wait]
kind = "queue"
queue = "sales"
exit_keys = { 0 = "thanks" }
on = { timeout = "closed" }

[scenario.qs.steps.thanks]
kind = "play"
prompts = ["queue-thank-you"]
next = "left"

[scenario.qs.steps.left]
kind = "hangup"
cause = "left_by_key"
"#;
    // 103 has no phone: the caller waits until a key takes it out.
    let pbx = office(
        trunk,
        "number = \"700\"\nmembers = [\"103\"]\nmax_wait = 60",
        "wait",
        steps,
    );
    // 1 means nothing here; 0 leaves (SIPp's pcaps play in timestamp order: 1, then 0).
    let carrier = CallerScript::new()
        .pause_ms(1_500)
        .rtp_digits("10")
        .wait_bye(Duration::from_secs(15))
        .carrier(&pbx, trunk, QS_DID)
        .run();
    carrier.assert_success();
    assert_eq!(carrier.expect_log("GOT_BYE"), "1", "the PBX hangs up");
    let trace = common::scenario::trace(&pbx, &carrier.expect_log("CALL_ID"));
    assert_trace_in_order(
        &trace,
        &[
            "queue sales",
            "queue sales: key 0 → thanks",
            "play queue-thank-you",
            "hangup: left_by_key",
        ],
    );
    assert!(!trace.contains("invalid input"), "{trace}");
    assert_eq!(sales(&queues(&pbx))["waiting"], 0);
}

/// Sales with one agent, 103, and a callback key: two calls back at most, 1 s apart.
const CALLBACK_SALES: &str = "number = \"700\"\nmembers = [\"103\"]\nretry = 1\n\
    callback_key = \"*\"\ncallback_attempts = 2\ncallback_pause = 1";

/// The scenario `qs`: the sales queue.
const QUEUE_STEP: &str = r#"
[scenario.qs.steps.wait]
kind = "queue"
queue = "sales"
"#;

/// The office with the callback queue, 103 registered and paused so callers wait.
fn callback_office(trunk: u16) -> (Pbx, Agent) {
    let pbx = office(trunk, CALLBACK_SALES, "wait", QUEUE_STEP);
    let vera = Agent::register(&pbx, "103");
    agent_code(&pbx, "103", "*46");
    (pbx, vera)
}

/// The carrier calls the queue, presses `*` (RFC 4733) and hears where it will be called
/// back ("... at the number 7 9 1 6 ... as soon as an operator is free"); the PBX hangs up;
/// the caller stays in line as a callback.
fn ask_for_callback(pbx: &Pbx, trunk: u16) {
    let media = MediaSocket::bind();
    let asked = CallerScript::new()
        .pause_ms(1_000)
        .rtp_digits("*")
        .wait_bye(Duration::from_secs(30))
        .carrier(pbx, trunk, QS_DID)
        .rtp_port(media.port())
        .spawn();
    let arrivals = mc::record(
        &media.rtp,
        Instant::now() + Duration::from_secs(30),
        Duration::from_millis(1_500),
    );
    let asked = asked.wait();
    asked.assert_success();
    assert_eq!(
        asked.expect_log("GOT_BYE"),
        "1",
        "the PBX hangs up after the confirmation"
    );
    let packets = mc::rtp_of(&arrivals);
    let codec = match packets.first().map(|(_, p)| p.payload_type) {
        Some(8) => Codec::Pcma,
        _ => Codec::Pcmu,
    };
    let heard = mc::decode(codec, &packets);
    let mut words = vec!["queue-callback-at".to_owned()];
    words.extend(CALLER_NUMBER.chars().map(|digit| format!("num-{digit}")));
    words.push("queue-callback-kept".to_owned());
    let first = mc::round_trip(codec, &mc::shipped_prompt("ru", &words[0]));
    let (c, at) = find_prompt(&first, &heard);
    assert!(
        c >= 0.99,
        "queue-callback-at not heard: {c:.4} at sample {at}"
    );
    // The words of one playback follow each other without a gap.
    let mut end = at + first.len() as isize;
    for word in &words[1..] {
        let prompt = mc::round_trip(codec, &mc::shipped_prompt("ru", word));
        let (c, at) = mc::best_correlation(&prompt, &heard, end - 400..=end + 400);
        assert!(
            c >= 0.99 && (0..mc::FRAME as isize).contains(&(at - end)),
            "{word} not heard after the word before (ends at {end}): {c:.4} at {at}"
        );
        end = at + prompt.len() as isize;
    }
    let view = wait_waiting(pbx, 1);
    let caller = &sales(&view)["callers"][0];
    assert_eq!(caller["callback"], true, "{view}");
    let trace = common::scenario::trace(pbx, &asked.expect_log("CALL_ID"));
    assert_trace_in_order(
        &trace,
        &[
            "queue sales",
            &format!("queue sales: callback to {CALLER_NUMBER} requested, place kept"),
        ],
    );
}

/// The call records of the callback legs: (agent legs, caller legs), by disposition.
fn callback_legs(pbx: &Pbx) -> (Vec<CallRow>, Vec<CallRow>) {
    let rows = pbx.calls().unwrap_or_else(|e| panic!("{e}"));
    let agent = rows
        .iter()
        .filter(|r| r.caller.contains(CALLER_NUMBER) && r.callee.starts_with("103"))
        .cloned()
        .collect();
    let caller = rows
        .iter()
        .filter(|r| r.caller.starts_with("103") && r.callee.contains(CALLER_NUMBER))
        .cloned()
        .collect();
    (agent, caller)
}

/// The whole callback: the caller presses `*` and hangs up, keeping the place; when 103
/// comes back from pause, 103 rings first (showing the caller's number) and answers, then
/// the PBX calls the caller through the trunk (from the number the caller dialled); the
/// caller answers and the two are joined (103 hears what the caller says); 103 hangs up,
/// the PBX hangs up the caller. Each leg has its call record.
#[test]
fn a_callback_rings_the_agent_then_calls_the_caller_and_joins_them() {
    const CALLER_HZ: f64 = 1000.0;
    let trunk = ports::port();
    let (pbx, vera) = callback_office(trunk);
    ask_for_callback(&pbx, trunk);

    // The carrier at the trunk's address takes the call back, answers and says 1000 Hz.
    let says: Vec<i16> = (0..48_000)
        .map(|n| {
            (6000.0 * (2.0 * std::f64::consts::PI * CALLER_HZ * n as f64 / 8000.0).sin()) as i16
        })
        .collect();
    mc::write_pcap(
        &pbx.dir().join("mf_uas_media.pcap"),
        &mc::paced(
            mc::audio_packets(Codec::Pcma, &says, 0x7916_1234, 1, 0),
            Duration::ZERO,
        ),
    );
    let mut customer = pbx
        .sipp("mf_uas_answer_pcap")
        .port(trunk)
        .pause_ms(300)
        .recv_timeout(Duration::from_secs(30))
        .timeout(Duration::from_secs(60))
        .spawn();
    customer.wait_ready();
    // 103 answers, listens on the test's socket, and hangs up after 5 s.
    let media = MediaSocket::bind();
    let mut agent = pbx
        .sipp("uas_answer_then_bye")
        .port(vera.port)
        .pause_ms(5_000)
        .rtp_port(media.port())
        .recv_timeout(Duration::from_secs(30))
        .timeout(Duration::from_secs(60))
        .spawn();
    agent.wait_ready();
    agent_code(&pbx, "103", "*46");

    let arrivals = mc::record(
        &media.rtp,
        Instant::now() + Duration::from_secs(30),
        Duration::from_millis(2_000),
    );
    let agent = agent.wait();
    agent.assert_success();
    let customer = customer.wait_after(&agent);
    customer.assert_success();
    assert!(
        agent.expect_log("FROM").contains(CALLER_NUMBER),
        "103 sees the caller's number: {}",
        agent.expect_log("FROM")
    );
    assert!(
        customer.expect_log("REQUEST_URI").contains(CALLER_NUMBER),
        "the trunk is asked for the caller: {}",
        customer.expect_log("REQUEST_URI")
    );
    assert!(
        customer.expect_log("FROM").contains(QS_DID),
        "the caller sees the number they dialled: {}",
        customer.expect_log("FROM")
    );
    assert_eq!(
        customer.expect_log("GOT_BYE"),
        "1",
        "the PBX hangs up the caller"
    );

    // Joined: 103 hears the caller's tone for a whole second somewhere.
    let packets = mc::rtp_of(&arrivals);
    let codec = match packets.first().map(|(_, p)| p.payload_type) {
        Some(8) => Codec::Pcma,
        _ => Codec::Pcmu,
    };
    let heard = mc::decode(codec, &packets);
    let best = heard
        .chunks(8_000)
        .map(|second| mc::tone_share(second, CALLER_HZ))
        .fold(0.0, f64::max);
    assert!(
        best > 0.8,
        "103 never heard the caller's {CALLER_HZ} Hz (best share {best:.3} in {} samples)",
        heard.len()
    );

    let (agent_legs, caller_legs) =
        wait_until("the records of both callback legs", RECORD_TIMEOUT, || {
            let (agent, caller) = callback_legs(&pbx);
            (!agent.is_empty() && !caller.is_empty()).then_some((agent, caller))
        });
    assert_eq!(agent_legs.len(), 1, "{agent_legs:#?}");
    assert_eq!(caller_legs.len(), 1, "{caller_legs:#?}");
    assert_eq!(agent_legs[0].disposition, "ANSWERED", "{agent_legs:#?}");
    assert_eq!(caller_legs[0].disposition, "ANSWERED", "{caller_legs:#?}");
    assert_eq!(sales(&queues(&pbx))["waiting"], 0);
    // The agent's leg is found by the Call-ID 103's phone saw, as any call is.
    let trace = common::scenario::trace(&pbx, &agent.expect_log("CALL_ID"));
    assert!(trace.contains("call back"), "{trace}");
    // The task opened when the caller hung up to wait is closed by the conversation.
    let task = wait_until("the callback task closed", RECORD_TIMEOUT, || {
        let (status, body) = common::http::get(pbx.http, "/api/tasks?state=all");
        assert_eq!(status, 200, "{body}");
        let tasks: serde_json::Value = serde_json::from_str(&body).expect("JSON");
        let task = tasks["tasks"].as_array()?.first()?.clone();
        (task["state"] == "closed").then_some(task)
    });
    assert_eq!(task["kinds"][0]["kind"], "callback_requested", "{task}");
    assert_eq!(task["closed"]["how"], "answered outbound call", "{task}");
}

/// A caller who does not answer the call back (the carrier says 408 after ringing) is
/// tried `callback_attempts` (2) times, 103 answering each time first; then the callback
/// fails, is logged, and every leg is recorded.
#[test]
fn a_callback_nobody_answers_is_retried_then_fails() {
    let trunk = ports::port();
    let (pbx, vera) = callback_office(trunk);
    ask_for_callback(&pbx, trunk);

    let mut customer = pbx
        .sipp("q_uas_no_answer")
        .port(trunk)
        .pause_ms(500)
        .arg("-m")
        .arg("2")
        .recv_timeout(Duration::from_secs(30))
        .timeout(Duration::from_secs(60))
        .spawn();
    customer.wait_ready();
    let mut agent = pbx
        .sipp("uas_answer")
        .port(vera.port)
        .pause_ms(200)
        .arg("-m")
        .arg("2")
        .recv_timeout(Duration::from_secs(30))
        .timeout(Duration::from_secs(60))
        .spawn();
    agent.wait_ready();
    agent_code(&pbx, "103", "*46");

    let customer = customer.wait();
    customer.assert_success();
    let agent = agent.wait_after(&customer);
    agent.assert_success();
    assert_eq!(
        customer.received("INVITE"),
        2,
        "two calls back:\n{customer}"
    );
    assert_eq!(agent.received("INVITE"), 2, "103 rang for each:\n{agent}");
    assert_eq!(agent.received("BYE"), 2, "103 let go each time:\n{agent}");

    wait_waiting(&pbx, 0);
    wait_until("the callback's failure in the log", RECORD_TIMEOUT, || {
        pbx.log()
            .contains("the callback is over without a conversation")
            .then_some(())
    });
    assert!(
        pbx.log().contains("CallbackFailed"),
        "{}",
        tail(&pbx.log(), 60)
    );
    let (agent_legs, caller_legs) =
        wait_until("the records of both attempts", RECORD_TIMEOUT, || {
            let (agent, caller) = callback_legs(&pbx);
            (agent.len() == 2 && caller.len() == 2).then_some((agent, caller))
        });
    assert!(
        caller_legs.iter().all(|r| r.disposition == "NO ANSWER"),
        "{caller_legs:#?}"
    );
    assert!(
        agent_legs.iter().all(|r| r.disposition == "ANSWERED"),
        "{agent_legs:#?}"
    );
    // The caller was promised a call back that never connected: the queue still has the
    // task to call them, opened when they hung up to wait.
    let task = wait_until("the callback task", RECORD_TIMEOUT, || {
        let (status, body) = common::http::get(pbx.http, "/api/tasks");
        assert_eq!(status, 200, "{body}");
        let tasks: serde_json::Value = serde_json::from_str(&body).expect("JSON");
        tasks["tasks"].as_array()?.first().cloned()
    });
    assert_eq!(task["number"], format!("+{CALLER_NUMBER}"), "{task}");
    assert_eq!(task["state"], "open", "{task}");
    assert_eq!(task["kinds"].as_array().map(Vec::len), Some(1), "{task}");
    assert_eq!(task["kinds"][0]["kind"], "callback_requested", "{task}");
    assert_eq!(task["kinds"][0]["queue"], "sales", "{task}");
    assert_eq!(task["assigned"]["kind"], "queue", "{task}");
    assert_eq!(task["assigned"]["value"], "sales", "{task}");
}

/// The whole seconds the PBX logged as the caller's wait when it announced the call to the
/// agent (`waited_secs=N`).
fn announced_wait(log: &str) -> u64 {
    log.lines()
        .find(|line| line.contains("announcing the call to the agent"))
        .and_then(|line| line.split("waited_secs=").nth(1))
        .and_then(|rest| {
            let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
            digits.parse().ok()
        })
        .unwrap_or_else(|| panic!("no announcement to the agent logged:\n{}", tail(log, 60)))
}

/// With `announce_to_agent`, the agent who answers first hears "a call from the queue;
/// waiting time: N seconds" (Russian, the demo's language: the prompt files sample for
/// sample after G.711, one right after the other) and only then the caller, who was put
/// through when the announcement ended: the caller's tone reaches the agent after it, never
/// before. The agent hangs up and the PBX hangs up the caller.
#[test]
fn the_agent_hears_the_queue_announcement_before_the_caller() {
    const CALLER_HZ: f64 = 1000.0;
    let pbx = office(
        ports::port(),
        "number = \"700\"\nmembers = [\"103\"]\nannounce_to_agent = true",
        "",
        "",
    );
    // 103 is paused: the caller waits until 103 comes back.
    let vera = Agent::register(&pbx, "103");
    agent_code(&pbx, "103", "*46");
    // From the answer on, the caller says 1000 Hz for 15 s.
    let says: Vec<i16> = (0..120_000)
        .map(|n| {
            (6000.0 * (2.0 * std::f64::consts::PI * CALLER_HZ * n as f64 / 8000.0).sin()) as i16
        })
        .collect();
    mc::write_pcap(
        &pbx.dir().join("media.pcap"),
        &mc::paced(
            mc::audio_packets(Codec::Pcmu, &says, 0x0101_0700, 1, 0),
            Duration::ZERO,
        ),
    );
    let customer = caller(&pbx, "med_uac_pcap", "101", "700")
        .key("pt", 0)
        .key("codec", "PCMU")
        .key("fmts", "0 101")
        .key("te_attr", "rtpmap:101 telephone-event/8000")
        .recv_timeout(Duration::from_secs(30))
        .timeout(Duration::from_secs(60))
        .spawn();
    wait_waiting(&pbx, 1);
    // 103 answers on the test's socket, talks 6 s and hangs up.
    let media = MediaSocket::bind();
    let mut agent = pbx
        .sipp("uas_answer_then_bye")
        .port(vera.port)
        .pause_ms(6_000)
        .rtp_port(media.port())
        .recv_timeout(Duration::from_secs(30))
        .timeout(Duration::from_secs(60))
        .spawn();
    agent.wait_ready();
    agent_code(&pbx, "103", "*46");
    let arrivals = mc::record(
        &media.rtp,
        Instant::now() + Duration::from_secs(30),
        Duration::from_millis(2_000),
    );
    let agent = agent.wait();
    agent.assert_success();
    let customer = customer.wait_after(&agent);
    customer.assert_success();
    assert_eq!(
        customer.expect_log("GOT_BYE"),
        "1",
        "the agent's hang-up ends the caller's call"
    );

    let packets = mc::rtp_of(&arrivals);
    let codec = match packets.first().map(|(_, p)| p.payload_type) {
        Some(8) => Codec::Pcma,
        _ => Codec::Pcmu,
    };
    let heard = mc::decode(codec, &packets);
    let waited = announced_wait(&pbx.log());
    let mut words = vec!["queue-agent-call"];
    words.extend(sb_media::audio::say::waited(
        sb_media::audio::Language::Ru,
        waited,
    ));
    let first = mc::round_trip(codec, &mc::shipped_prompt("ru", words[0]));
    let (c, at) = find_prompt(&first, &heard);
    assert!(c >= 0.99, "{} not heard: {c:.4} at sample {at}", words[0]);
    let mut end = at + first.len() as isize;
    for word in &words[1..] {
        let prompt = mc::round_trip(codec, &mc::shipped_prompt("ru", word));
        let (c, at) = mc::best_correlation(&prompt, &heard, end - 400..=end + 400);
        assert!(
            c >= 0.99 && (0..mc::FRAME as isize).contains(&(at - end)),
            "{word} not heard after the word before (ends at {end}): {c:.4} at {at}"
        );
        end = at + prompt.len() as isize;
    }

    // The caller's tone: not a frame of it before the announcement ended, then a whole
    // second of it.
    let tone_at = heard
        .chunks(mc::FRAME)
        .position(|frame| mc::tone_share(frame, CALLER_HZ) > 0.5)
        .map(|frame| frame * mc::FRAME)
        .unwrap_or_else(|| panic!("103 never heard the caller ({} samples)", heard.len()));
    assert!(
        tone_at as isize >= end,
        "the caller was heard at sample {tone_at}, before the announcement ended at {end}"
    );
    let talk = &heard[tone_at..];
    let best = talk
        .chunks(8_000)
        .filter(|second| second.len() == 8_000)
        .map(|second| mc::tone_share(second, CALLER_HZ))
        .fold(0.0, f64::max);
    assert!(
        best > 0.8,
        "103 did not hear the caller after the announcement (best share {best:.3})"
    );

    let record = wait_until("the queue call's record", RECORD_TIMEOUT, || {
        let rows = pbx.calls().unwrap_or_else(|e| panic!("{e}"));
        rows.into_iter()
            .find(|r| r.caller.starts_with("101") && r.callee.starts_with("103"))
    });
    assert_eq!(record.disposition, "ANSWERED", "{record:?}");
}

/// `POST /api/reload` reaches the running queues: sales gains 104 and turns `linear`, and a
/// new queue, desk (702), has 104, whose phone registered before it was an agent, and 105,
/// who has no phone (unreachable, not rung); a call to 702 rings 104, who answers.
#[test]
fn a_reload_brings_new_queue_settings_into_force() {
    let pbx = office(
        ports::port(),
        "number = \"700\"\nmembers = [\"103\"]",
        "",
        "",
    );
    Agent::register(&pbx, "103");
    let gleb = Agent::register(&pbx, "104");
    assert_eq!(sales(&queues(&pbx))["logged_in"], 1);

    let file = pbx.dir().join("switchboard.toml");
    let text = std::fs::read_to_string(&file).expect("the config file");
    let written = "name = \"sales\"\nnumber = \"700\"\nmembers = [\"103\"]";
    assert!(text.contains(written), "the office's sales queue");
    let reloaded = "name = \"sales\"\nnumber = \"700\"\nmembers = [\"103\", \"104\"]\n\
        strategy = \"linear\"\n\n[[queue]]\nname = \"desk\"\nnumber = \"702\"\nmembers = [\"104\", \"105\"]";
    std::fs::write(&file, text.replacen(written, reloaded, 1)).expect("rewrite the config");
    let (status, body) = common::http::request(pbx.http, "POST", "/api/reload", None);
    assert_eq!(status, 200, "{body}");

    let view = wait_until("the queues reloaded", Duration::from_secs(10), || {
        let view = queues(&pbx);
        (sales(&view)["logged_in"] == 2).then_some(view)
    });
    let sales = sales(&view);
    assert_eq!(sales["strategy"], "linear", "{sales}");
    assert_eq!(
        sales["members"],
        serde_json::json!(["103", "104"]),
        "{sales}"
    );
    let desk = view["queues"]
        .as_array()
        .and_then(|queues| queues.iter().find(|q| q["name"] == "desk"))
        .unwrap_or_else(|| panic!("no desk queue in {view}"));
    assert_eq!(desk["number"], "702", "{desk}");
    assert_eq!(
        (&desk["logged_in"], &desk["available"], &desk["unreachable"]),
        (&2.into(), &1.into(), &1.into()),
        "{desk}"
    );
    assert_eq!(agent_state(&view, "104"), "available");
    assert_eq!(agent_state(&view, "105"), "unreachable");

    let uas = gleb.answer(&pbx, 200);
    let call = desk_call(&pbx, "101", "702", 1_000).wait();
    call.assert_success();
    let uas = uas.wait_after(&call);
    uas.assert_success();
    assert_eq!(uas.expect_log("GOT_BYE"), "1", "104 took the call to desk");
}
