//! A PBX under load: new calls past `[pbx] max_calls` are refused at once with 503 and
//! `Retry-After` (and a call record that says why), and a call that ends frees what it
//! held at once, without waiting for the far end to answer the hang-up: under load a far
//! end that has given up never answers, and every agent held for the 32 s a BYE takes to
//! time out was an agent the queue could not use.

mod common;

use common::http::request;
use common::*;
use std::time::Duration;

/// The number the carrier calls from.
const CALLER_NUMBER: &str = "79161234567";
/// The sales queue's DID.
const SALES_DID: &str = "74950000001";

/// The demo's sales queue as written in the demo file.
const DEMO_SALES: &str = "name = \"sales\"\nnumber = \"700\"\nmembers = [\"103\", \"104\", \"105\"]\n\
    # With no agent's phone registered, callers go on in the scenario (`unavailable`)\n\
    # instead of waiting for nobody.\njoin_empty = \"unreachable\"\nleave_when_empty = \"unreachable\"";

/// The demo office with the carrier at 127.0.0.1:`trunk`, `[pbx] max_calls` when given,
/// and the sales queue's settings after its name replaced by `sales`.
fn office(trunk: u16, max_calls: Option<usize>, sales: &str) -> Pbx {
    let mut config = ConfigText::demo().trunk_port(trunk);
    if let Some(max_calls) = max_calls {
        config = config.pbx("max_calls", &max_calls.to_string());
    }
    let text = config.0;
    assert!(text.contains(DEMO_SALES), "the demo's sales queue");
    let text = text.replace(DEMO_SALES, &format!("name = \"sales\"\n{sales}"));
    Pbx::start(PbxOptions::with_config(ConfigText(text)))
}

/// `switchboard_active_calls` of `GET /metrics`.
fn active_calls(pbx: &Pbx) -> u64 {
    let (status, body) = request(pbx.http, "GET", "/metrics", None);
    assert_eq!(status, 200, "{body}");
    body.lines()
        .find_map(|l| l.strip_prefix("switchboard_active_calls "))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| panic!("no switchboard_active_calls in /metrics:\n{body}"))
}

/// The state of `agent` in `GET /api/queues`.
fn agent_state(pbx: &Pbx, agent: &str) -> String {
    let (status, body) = request(pbx.http, "GET", "/api/queues", None);
    assert_eq!(status, 200, "{body}");
    let view: serde_json::Value =
        serde_json::from_str(&body).unwrap_or_else(|e| panic!("{e}: {body}"));
    view["agents"]
        .as_array()
        .and_then(|agents| agents.iter().find(|a| a["agent"] == agent))
        .and_then(|a| a["state"].as_str())
        .unwrap_or_else(|| panic!("no agent {agent} in {view}"))
        .to_owned()
}

/// With `max_calls = 2`, two callers wait in the queue (nobody to answer them) and a third
/// call is refused at once: 503 with Retry-After, and its record says why. Once a waiting
/// caller hangs up, there is room again.
#[test]
fn a_call_past_max_calls_gets_503_and_a_record_saying_why() {
    let trunk = ports::port();
    let pbx = office(
        trunk,
        Some(2),
        "number = \"700\"\nmembers = [\"103\"]\njoin_empty = \"never\"\nleave_when_empty = \"never\"",
    );
    let waiting: Vec<SippRun> = ["101", "102"]
        .into_iter()
        .map(|extension| {
            caller(&pbx, "rg_caller", extension, "700")
                .pause_ms(6_000)
                .timeout(Duration::from_secs(30))
                .spawn()
        })
        .collect();
    wait_until("two calls in progress", Duration::from_secs(10), || {
        (active_calls(&pbx) == 2).then_some(())
    });

    let refused = pbx
        .sipp("trunk_uac_expect_503")
        .port(trunk)
        .key("user", CALLER_NUMBER)
        .service(SALES_DID)
        .timeout(Duration::from_secs(10))
        .run();
    refused.assert_success();
    assert_eq!(refused.expect_log("FINAL"), "503");
    assert_eq!(refused.expect_log("RETRY_AFTER"), "5");

    let record = pbx.wait_for_call("FAILED", RECORD_TIMEOUT);
    assert!(
        record.line.contains("503") && record.line.contains("max_calls"),
        "the record says why: {record:?}"
    );
    assert!(
        record.caller.contains(CALLER_NUMBER),
        "the record names the caller: {record:?}"
    );
    assert_eq!(active_calls(&pbx), 2, "the refused call was never counted");

    for run in waiting {
        let outcome = run.wait();
        outcome.assert_success();
        assert_eq!(outcome.expect_log("ANSWERED"), "1", "{outcome}");
    }
    wait_until("the waiting callers gone", Duration::from_secs(10), || {
        (active_calls(&pbx) == 0).then_some(())
    });
    let admitted = pbx
        .sipp("q_trunk_caller")
        .port(trunk)
        .key("user", CALLER_NUMBER)
        .service(SALES_DID)
        .pause_ms(200)
        .timeout(Duration::from_secs(10))
        .run();
    admitted.assert_success();
    assert_eq!(
        admitted.expect_log("ANSWERED"),
        "1",
        "with room again, a call is taken"
    );
}

/// The agent hangs up and the PBX hangs up on the caller, who never answers that BYE.
/// The call ends at once: the agent is available again and no call is in progress,
/// well before the BYE's transaction gives up (64 x T1 = 32 s), which is how long a queue
/// agent stayed busy before.
#[test]
fn an_agent_is_free_as_soon_as_the_call_ends_even_if_the_caller_never_answers_the_bye() {
    let trunk = ports::port();
    let pbx = office(
        trunk,
        None,
        "number = \"700\"\nmembers = [\"103\"]\njoin_empty = \"never\"\nleave_when_empty = \"never\"",
    );
    let agent = registered_uas(&pbx, "103", "uas_answer_then_bye", |s| {
        s.pause_ms(500).timeout(Duration::from_secs(30))
    });
    let mut carrier = pbx
        .sipp("trunk_uac_no_bye_reply")
        .port(trunk)
        .key("user", CALLER_NUMBER)
        .service(SALES_DID)
        .timeout(Duration::from_secs(30))
        .spawn();
    carrier.wait_log("GOT_BYE", Duration::from_secs(15));
    let agent = agent.wait();
    agent.assert_success();
    assert_eq!(agent.expect_log("BYE_ANSWERED"), "1", "the agent hung up");

    // Far less than the 32 s the unanswered BYE lasts, and far more than the call needs.
    let bound = Duration::from_secs(10);
    wait_until("agent 103 available again", bound, || {
        (agent_state(&pbx, "103") == "available").then_some(())
    });
    wait_until("no call in progress", bound, || {
        (active_calls(&pbx) == 0).then_some(())
    });
    let record = pbx.wait_for_call("ANSWERED", RECORD_TIMEOUT);
    assert!(
        record.line.contains("callee hung up"),
        "the record: {record:?}"
    );
    carrier.stop();
}
