//! `switchboard queues`: the live view of the running PBX's queues and agents, read from
//! its HTTP API (`GET /api/queues` at `--http-listen`).

use serde_json::Value;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Fetches and prints the queues of the PBX listening for HTTP on `http`.
pub async fn print_queues(http: SocketAddr) -> anyhow::Result<()> {
    let mut address = http;
    if address.ip().is_unspecified() {
        address.set_ip(if address.is_ipv4() {
            Ipv4Addr::LOCALHOST.into()
        } else {
            Ipv6Addr::LOCALHOST.into()
        });
    }
    let body = tokio::time::timeout(Duration::from_secs(5), get(address, "/api/queues"))
        .await
        .map_err(|_| anyhow::anyhow!("no answer from {address} within 5 s"))??;
    let view: Value = serde_json::from_str(&body)?;
    print!("{}", render(&view));
    Ok(())
}

async fn get(address: SocketAddr, path: &str) -> anyhow::Result<String> {
    let mut stream = tokio::net::TcpStream::connect(address)
        .await
        .map_err(|e| anyhow::anyhow!("cannot reach the PBX's HTTP API at {address}: {e}"))?;
    let request = format!("GET {path} HTTP/1.0\r\nHost: {address}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await?;
    let mut response = Vec::new();
    stream.read_to_end(&mut response).await?;
    let text = String::from_utf8_lossy(&response);
    let (head, body) = text
        .split_once("\r\n\r\n")
        .ok_or_else(|| anyhow::anyhow!("a malformed HTTP answer"))?;
    let status = head.lines().next().unwrap_or_default();
    if !status.contains(" 200 ") {
        anyhow::bail!("{path}: {status}");
    }
    Ok(body.to_owned())
}

/// The view as text: one block per queue, then the agents.
fn render(view: &Value) -> String {
    let mut out = String::new();
    let empty = Vec::new();
    for q in view["queues"].as_array().unwrap_or(&empty) {
        out.push_str(&format!(
            "queue {} ({}, {}): {} waiting, longest {} s; agents {} logged in, {} available, {} busy, {} paused, {} unreachable\n",
            q["name"].as_str().unwrap_or_default(),
            q["number"].as_str().unwrap_or_default(),
            q["strategy"].as_str().unwrap_or_default(),
            q["waiting"],
            q["longest_wait_secs"],
            q["logged_in"],
            q["available"],
            q["busy"],
            q["paused"],
            q["unreachable"],
        ));
        for c in q["callers"].as_array().unwrap_or(&empty) {
            let flag = |key: &str, text: &'static str| {
                if c[key].as_bool() == Some(true) {
                    text
                } else {
                    ""
                }
            };
            out.push_str(&format!(
                "  {:>3}. {}  waited {} s{}{}\n",
                c["position"],
                c["call"].as_str().unwrap_or_default(),
                c["waited_secs"],
                flag("callback", ", callback"),
                flag("ringing", ", ringing"),
            ));
        }
    }
    out.push_str("agents:\n");
    for a in view["agents"].as_array().unwrap_or(&empty) {
        let reason = a["reason"]
            .as_str()
            .map(|r| format!(" ({r})"))
            .unwrap_or_default();
        out.push_str(&format!(
            "  {:<8} {}{}\n",
            a["agent"].as_str().unwrap_or_default(),
            a["state"].as_str().unwrap_or_default(),
            reason
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_queues_and_agents() {
        let view = serde_json::json!({
            "queues": [{"name": "sales", "number": "700", "strategy": "ring_all", "waiting": 1,
                "longest_wait_secs": 12, "logged_in": 3, "available": 2, "busy": 1, "paused": 0,
                "unreachable": 0, "members": ["103"],
                "callers": [{"call": "c1", "position": 1, "waited_secs": 12, "ringing": true},
                    {"call": "c2", "position": 2, "waited_secs": 5, "ringing": false,
                        "callback": true}]}],
            "agents": [{"agent": "103", "state": "paused", "reason": "*46"}]
        });
        let text = render(&view);
        assert!(
            text.contains("queue sales (700, ring_all): 1 waiting"),
            "{text}"
        );
        assert!(text.contains("1. c1  waited 12 s, ringing"), "{text}");
        assert!(text.contains("2. c2  waited 5 s, callback\n"), "{text}");
        assert!(text.contains("103      paused (*46)"), "{text}");
    }
}
